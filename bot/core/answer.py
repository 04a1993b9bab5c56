"""Answers as readers see them: passages verbatim, matched words marked, each with its citation."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from babel import Locale

from bot.core.answering.language import language_of
from bot.core.answering.search import Hit, SearchResult
from bot.core.answering.tiers import Tier
from bot.core.corpus import CAPTION_PARAGRAPH, Article, Corpus, Passage, is_web_address
from bot.core.replies import quoted_names, replies
from bot.core.text import tokens

TELEGRAM_LIMIT = 4096
# Said before the passages when the bot is not sure they answer and every question word stands in
# them (tier "closest"); when some does not, the heading names it (heading()).
CAVEAT = "The article may not say exactly; the closest passages:"
# Said before the passages that are not an answer to a question.
HEADINGS = {Tier.CLOSEST: CAVEAT, Tier.SUMMARY: "The article in brief:", Tier.MORE: "What the article says next:"}


# Said before the passages found for a question in another language than the article's (tier "across").
ACROSS = "The article is in English and may not answer this exactly; its passages nearest in meaning:"
# The same in Russian (lang/ru/replies.txt holds the texts said to a reader asking in Russian).
ACROSS_RUSSIAN = replies("ru")["across"]


def heading(result: SearchResult) -> str | None:
    """Return what is said before the passages: in the "closest" tier, what the article does not say,
    by the question's words the passages never state ("The article doesn't say how many: it never
    mentions “died”. The closest passage:"), when known."""
    if result.tier is Tier.CLOSEST and result.unstated:
        closest = "The closest passage:" if len(result.hits) == 1 else "The closest passages:"
        said = f"The article doesn't say {result.asked}: it" if result.asked else "The article"
        return f"{said} never mentions {quoted_names(result.unstated, 'en')}. {closest}"
    if result.tier is Tier.CLOSEST and result.unexplained:
        quoted = "this passage never mentions" if len(result.hits) == 1 else "these passages never mention"
        return f"The article may not say exactly: {quoted} {quoted_names(result.unexplained, 'en')}. The closest:"
    if result.tier is Tier.ACROSS:
        return across_heading(result)
    return HEADINGS.get(result.tier)


def language_name(code: str) -> str:
    """Return a language's name in English by its code (CLDR): "ru" is "Russian"."""
    return str(Locale("en").languages.get(code, code))


def across_heading(result: SearchResult) -> str:
    """Return what is said before passages quoted for a question in another language, in that language
    when its texts exist: the names the article may not mention, and that the quotes are its own words."""
    language = language_of(result.question)
    texts = replies(language)
    if not texts:
        written = result.hits[0].passage.language if result.hits else "en"
        return ACROSS if written == "en" else ACROSS.replace("English", language_name(written))
    if not result.unexplained:
        return texts["across"]
    key = "unmentioned_one" if len(result.unexplained) == 1 else "unmentioned_many"
    return texts[key].format(names=quoted_names(result.unexplained, language, joined_by="and"))


@dataclass(frozen=True)
class Citation:
    """Where a passage stands: which article, which paragraph, which sentence."""

    article: str
    title: str
    source: str
    date: str
    url: str | None
    paragraph: int
    sentence: int

    @property
    def place(self) -> str:
        """Return the paragraph and sentence as a reader would say it: '¶7, sentence 2'."""
        if self.paragraph == CAPTION_PARAGRAPH:
            return f"photo caption, sentence {self.sentence}"
        return f"¶{self.paragraph}, sentence {self.sentence}"

    def as_dict(self) -> dict[str, Any]:
        """Return the citation as the JSON output names it."""
        return {
            "article": self.article,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "url": self.url,
            "paragraph": self.paragraph,
            "sentence": self.sentence,
        }


def plural(count: int, word: str) -> str:
    """Return '1 article', '2 articles'."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def cite(corpus: Corpus, passage: Passage) -> Citation:
    """Return the citation of a passage of the corpus."""
    article = corpus.by_id[passage.article_id]
    return Citation(
        article.id, article.title, article.source, article.date, article.url, passage.paragraph, passage.sentence
    )


def mark(text: str, matched: frozenset[str], *, before: str, after: str, escape: Callable[[str], str]) -> str:
    """Return text escaped, with each run of words whose terms are in matched wrapped in before/after."""
    spans: list[list[int]] = []
    for token in tokens(text):
        if token.term not in matched or token.end <= token.start:
            continue
        if spans and not text[spans[-1][1] : token.start].strip():
            spans[-1][1] = token.end  # "North Korea" is marked once, not word by word
        elif not spans or token.start >= spans[-1][1]:
            spans.append([token.start, token.end])
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts += [escape(text[position:start]), before, escape(text[start:end]), after]
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def article_line(article: Article) -> str:
    """Return 'Title — Source, date' for plain text."""
    source = f"{article.source}, " if article.source else ""
    return f"{article.title} — {source}{article.date}"


def correction_note(result: SearchResult) -> str:
    """Return a sentence naming the words that were read as other words, or ''."""
    if not result.corrections:
        return ""
    fixes = ", ".join(f"“{c.word}” as “{c.replacement}”" for c in result.corrections)
    return f"(Read {fixes}.)"


def not_found_text(result: SearchResult, examples: Sequence[str] = ()) -> str:
    """Return the plain reply for a question the article does not answer, with questions to try."""
    if result.notice:
        return result.notice
    if result.error:
        return f"I could not use that question: {result.error}."
    if texts := replies(language_of(result.question)):
        return _not_found_in(texts, result, examples)
    if result.missing:
        names = " or ".join(word.upper() if len(word) <= 3 else word.title() for word in result.missing)
        lines = [f"The article doesn't cover that: it never mentions {names}, so there is nothing to quote."]
    elif result.unstated:
        unstated = quoted_names(result.unstated, "en")
        lines = [f"The article doesn't cover that: it never mentions {unstated}, so nothing answers."]
    else:
        lines = ["The article doesn't cover that, so there is nothing to quote."]
    if result.suggestion:
        lines.append(f"Did you mean: {result.suggestion}")
    if examples:
        lines.append("Try: " + " / ".join(examples[:2]))
    return "\n".join(lines)


def _not_found_in(texts: dict[str, str], result: SearchResult, examples: Sequence[str]) -> str:
    """Return the reply for a question the article does not answer in the question's language."""
    language = language_of(result.question)
    if result.missing:
        key = "missing_one" if len(result.missing) == 1 else "missing_many"
        lines = [texts[key].format(names=quoted_names(result.missing, language))]
    else:
        lines = [texts["nothing"]]
    if examples:
        lines.append(f"{texts['try']} " + " / ".join(examples[:2]))
    return "\n".join(lines)


def _articles_of(corpus: Corpus, hits: Sequence[Hit]) -> list[Article]:
    seen = dict.fromkeys(hit.passage.article_id for hit in hits)
    return [corpus.by_id[article_id] for article_id in seen]


def format_text(result: SearchResult, corpus: Corpus, *, examples: Sequence[str] = ()) -> str:
    """Return the answer as plain text for a terminal, matched words in **bold** markers."""
    if not result.answered:
        return not_found_text(result, examples)
    articles = _articles_of(corpus, result.hits)
    several = len(corpus.articles) > 1
    lines = [] if several else [article_line(articles[0]), ""]
    if said := heading(result):
        lines += [said, ""]
    if (answer := short_answer_text(result)) is not None:
        lines += [f"Answer: {answer}", ""]
    for number, hit in enumerate(result.hits, start=1):
        citation = cite(corpus, hit.passage)
        text = mark(hit.passage.text, hit.matched, before="**", after="**", escape=str)
        where = f"{citation.title}, {citation.date}, {citation.place}" if several else citation.place
        lines += [f"{number}. {text}", f"   [{where}]"]
    if note := correction_note(result):
        lines += ["", note]
    return "\n".join(lines)


def short_answer_text(result: SearchResult) -> str | None:
    """Return the short answer the top passage gives, verbatim, if it gives one."""
    if not result.hits or result.hits[0].answer is None:
        return None
    start, end = result.hits[0].answer
    return result.hits[0].passage.text[start:end]


def _hit_json(hit: Hit, corpus: Corpus) -> dict[str, Any]:
    found: dict[str, Any] = {
        "text": hit.passage.text,
        "score": hit.score,
        "citation": cite(corpus, hit.passage).as_dict(),
    }
    if hit.answer is not None:
        found["answer"] = {"text": hit.passage.text[hit.answer.start : hit.answer.end], **hit.answer._asdict()}
    return found


def as_json(result: SearchResult, corpus: Corpus) -> dict[str, Any]:
    """Return the answer in the line-per-question JSON form (a public contract; "error" is optional)."""
    answer = {
        "question": result.question,
        "answered": result.answered,
        "corrections": [{"word": c.word, "replacement": c.replacement} for c in result.corrections],
        "hits": [_hit_json(hit, corpus) for hit in result.hits],
    }
    if result.tier:
        answer["tier"] = result.tier
    if result.probability is not None:
        answer["probability"] = round(result.probability, 4)
    if result.error:
        answer["error"] = result.error
    if result.missing:
        answer["missing"] = list(result.missing)
    if result.notice:
        answer["notice"] = result.notice
    if result.unexplained:
        answer["unexplained"] = list(result.unexplained)
    if result.unstated:
        answer["unstated"] = list(result.unstated)
    return answer


def linked(text_html: str, url: str | None) -> str:
    """Return HTML text as a link to url when url is a plain http(s) address (Telegram refuses other
    schemes in a link, and a corpus file's url: line can hold anything); else the text alone."""
    if not url or url != url.strip() or not is_web_address(url):
        return text_html
    return f'<a href="{html.escape(url, quote=True)}">{text_html}</a>'


def _html_title(article: Article) -> str:
    title = linked(html.escape(article.title), article.url)
    source = f"{html.escape(article.source)}, " if article.source else ""
    return f"<b>{title}</b> — {source}{html.escape(article.date)}"


def html_passage(corpus: Corpus, hit: Hit, *, several: bool) -> str:
    """Return one hit as Telegram HTML: the passage with matched words bold, then its citation."""
    citation = cite(corpus, hit.passage)
    text = mark(hit.passage.text, hit.matched, before="<b>", after="</b>", escape=html.escape)
    where = html.escape(citation.place)
    if several:
        where = f"{html.escape(citation.title)}, {html.escape(citation.date)}, {where}"
    return f"“{text}”\n<i>{where}</i>"


def format_html(
    result: SearchResult,
    corpus: Corpus,
    *,
    limit: int = TELEGRAM_LIMIT,
    first_number: int = 1,
    examples: Sequence[str] = (),
) -> tuple[str, int]:
    """Return (Telegram HTML reply, hits shown): whole hits only, trailing ones dropped to fit limit."""
    if not result.answered:
        return html.escape(not_found_text(result, examples)), 0
    several = len(corpus.articles) > 1
    head = "" if several else _html_title(_articles_of(corpus, result.hits)[0]) + "\n\n"
    if first_number == 1 and (said := heading(result)):
        head += f"<i>{html.escape(said)}</i>\n\n"
    if first_number == 1 and (answer := short_answer_text(result)) is not None:
        head += f"<b>{html.escape(answer)}</b>\n\n"
    note = correction_note(result)
    tail = f"\n\n<i>{html.escape(note)}</i>" if note else ""
    body: list[str] = []
    for number, hit in enumerate(result.hits, start=first_number):
        block = f"{number}. {html_passage(corpus, hit, several=several)}"
        candidate = head + "\n\n".join([*body, block]) + tail
        if len(candidate) > limit and body:
            break
        body.append(block)
    reply = head + "\n\n".join(body) + tail
    if len(reply) > limit:
        reply = _excerpt(corpus, result.hits[0], head=head, number=first_number, limit=limit)
    return reply, len(body)


def _excerpt(corpus: Corpus, hit: Hit, *, head: str, number: int, limit: int) -> str:
    """Return a lone passage longer than a message as its opening words and its citation."""
    place = f"\n<i>{html.escape(cite(corpus, hit.passage).place)} (shortened)</i>"
    room = limit - len(head) - len(place) - 20
    text = hit.passage.text
    while True:
        excerpt = html.escape(text[:room].rsplit(" ", 1)[0])
        reply = f"{head}{number}. “{excerpt} …”{place}"
        if len(reply) <= limit:
            return reply
        room -= len(reply) - limit

"""Answers as readers see them: passages verbatim, matched words marked, each with its citation."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError

from bot.core.answering.results import Hit, SearchResult, Tier
from bot.core.corpus import CAPTION_PARAGRAPH, Article, Corpus, Passage, is_web_address
from bot.core.messages import ENGLISH, N_, Messages, for_reader
from bot.core.text import tokens

TELEGRAM_LIMIT = 4096
# Said before the passages when the bot is not sure they answer and every question word stands in
# them (tier "closest"); when some does not, the heading names it (heading()).
CAVEAT = N_("The article may not say exactly; the closest passages:")
# Said before the passages that are not an answer to a question.
HEADINGS = {
    Tier.CLOSEST: CAVEAT,
    Tier.SUMMARY: N_("The article in brief:"),
    Tier.MORE: N_("What the article says next:"),
}
# Said before the passages found for a question in another language than the article's (tier "across").
ACROSS = N_("The article is in English and may not answer this exactly; its passages nearest in meaning:")
# What the "closest" tier says a question asks for (SearchResult.asked), each in the catalogue.
ASKED = (N_("how many"), N_("when"), N_("how long"), N_("who"), N_("where"))


def messages_for(result: SearchResult, messages: Messages | None) -> Messages:
    """Return the texts a reply is written in: those given, else the question's language's."""
    return messages if messages is not None else for_reader(question=result.question)


def heading(result: SearchResult, messages: Messages | None = None) -> str | None:
    """Return what is said before the passages: in the "closest" tier, what the article does not say,
    by the question's words the passages never state ("The article doesn't say how many: it never
    mentions “died”. The closest passage:"), when known."""
    say = messages_for(result, messages)
    if result.tier is Tier.CLOSEST and result.unstated:
        names = say.quoted(result.unstated)
        if result.asked:
            return say.ngettext(
                "The article doesn't say {asked}: it never mentions {names}. The closest passage:",
                "The article doesn't say {asked}: it never mentions {names}. The closest passages:",
                len(result.hits),
                asked=say.gettext(result.asked),
                names=names,
            )
        return say.ngettext(
            "The article never mentions {names}. The closest passage:",
            "The article never mentions {names}. The closest passages:",
            len(result.hits),
            names=names,
        )
    if result.tier is Tier.CLOSEST and result.unexplained:
        return say.ngettext(
            "The article may not say exactly: this passage never mentions {names}. The closest:",
            "The article may not say exactly: these passages never mention {names}. The closest:",
            len(result.hits),
            names=say.quoted(result.unexplained),
        )
    if result.tier is Tier.ACROSS:
        return across_heading(result, say)
    said = HEADINGS.get(result.tier)
    return say.gettext(said) if said else None


def language_name(code: str, reader: str = "en") -> str:
    """Return a language's name in the reader's language by its code (CLDR): "ru" is "Russian"."""
    try:
        return str(Locale(reader).languages.get(code, code))
    except (UnknownLocaleError, ValueError):
        return code


def across_heading(result: SearchResult, messages: Messages | None = None) -> str:
    """Return what is said before passages quoted for a question in another language: the names the
    article may not mention, and that the quotes are its own words (in English, or the language the
    quoted article is written in)."""
    say = messages_for(result, messages)
    written = result.hits[0].passage.language if result.hits else "en"
    if written != "en":
        language = language_name(written, say.language)
        if not result.unexplained:
            return say.gettext(
                "The article is in {language} and may not answer this exactly; its passages nearest in meaning:",
                language=language,
            )
        return say.ngettext(
            "The article is in {language} and may not answer this exactly: it does not mention {names}. "
            "Its passages nearest in meaning:",
            "The article is in {language} and may not answer this exactly: it does not mention {names}. "
            "Its passages nearest in meaning:",
            len(result.unexplained),
            language=language,
            names=say.quoted(result.unexplained, joined_by="and"),
        )
    if not result.unexplained:
        return say.gettext(ACROSS)
    return say.ngettext(
        "The article is in English and may not answer this exactly: it does not mention {names}. "
        "Its passages nearest in meaning:",
        "The article is in English and may not answer this exactly: it does not mention {names}. "
        "Its passages nearest in meaning:",
        len(result.unexplained),
        names=say.quoted(result.unexplained, joined_by="and"),
    )


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
        return self.place_in(ENGLISH)

    def place_in(self, say: Messages) -> str:
        """Return the paragraph and sentence in a reader's language: '¶7, sentence 2' ('¶7, предложение 2')."""
        if self.paragraph == CAPTION_PARAGRAPH:
            return say.gettext("photo caption, sentence {sentence}", sentence=self.sentence)
        return say.gettext("¶{paragraph}, sentence {sentence}", paragraph=self.paragraph, sentence=self.sentence)

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


def correction_note(result: SearchResult, messages: Messages | None = None) -> str:
    """Return a sentence naming the words that were read as other words, or ''."""
    if not result.corrections:
        return ""
    say = messages_for(result, messages)
    fixes = ", ".join(
        say.gettext("“{word}” as “{replacement}”", word=c.word, replacement=c.replacement) for c in result.corrections
    )
    return say.gettext("(Read {fixes}.)", fixes=fixes)


def not_found_text(result: SearchResult, examples: Sequence[str] = (), messages: Messages | None = None) -> str:
    """Return the plain reply for a question the article does not answer, with questions to try."""
    say = messages_for(result, messages)
    if result.notice:
        return say.gettext(result.notice)  # the answerer's notices are msgids (N_), said in English in JSON
    if result.error:
        return say.gettext("I could not use that question: {error}.", error=say.said(result.error))
    if result.missing:
        names = [say.pgettext("missing", "{name}", name=_name(word)) for word in result.missing]
        lines = [
            say.ngettext(
                "The article doesn't cover that: it never mentions {names}, so there is nothing to quote.",
                "The article doesn't cover that: it never mentions {names}, so there is nothing to quote.",
                len(names),
                names=_alternatives(names, say),
            )
        ]
    elif result.unstated:
        lines = [
            say.ngettext(
                "The article doesn't cover that: it never mentions {names}, so nothing answers.",
                "The article doesn't cover that: it never mentions {names}, so nothing answers.",
                len(result.unstated),
                names=say.quoted(result.unstated),
            )
        ]
    else:
        lines = [say.gettext("The article doesn't cover that, so there is nothing to quote.")]
    if result.suggestion:
        lines.append(say.gettext("Did you mean: {suggestion}", suggestion=result.suggestion))
    if examples:
        lines.append(say.gettext("Try: {questions}", questions=" / ".join(examples[:2])))
    return "\n".join(lines)


def _name(word: str) -> str:
    """Return a question's word as a name is written ("UN", "France")."""
    return word.upper() if len(word) <= 3 else word.title()


def _alternatives(names: Sequence[str], say: Messages) -> str:
    """Return names as alternatives ("China or Japan or Iran"; Russian: "«Китай», «Япония» или «Иран»")."""
    if len(names) == 1:
        return names[0]
    between = say.pgettext("between alternatives but the last", " or ")
    return say.gettext("{names} or {last}", names=between.join(names[:-1]), last=names[-1])


def _articles_of(corpus: Corpus, hits: Sequence[Hit]) -> list[Article]:
    seen = dict.fromkeys(hit.passage.article_id for hit in hits)
    return [corpus.by_id[article_id] for article_id in seen]


def format_text(
    result: SearchResult, corpus: Corpus, *, examples: Sequence[str] = (), messages: Messages | None = None
) -> str:
    """Return the answer as plain text for a terminal, matched words in **bold** markers, the bot's own
    words in `messages`' language (by default the question's)."""
    say = messages_for(result, messages)
    if not result.answered:
        return not_found_text(result, examples, say)
    articles = _articles_of(corpus, result.hits)
    several = len(corpus.articles) > 1
    lines = [] if several else [article_line(articles[0]), ""]
    if said := heading(result, say):
        lines += [said, ""]
    if (answer := short_answer_text(result)) is not None:
        lines += [say.gettext("Answer: {answer}", answer=answer), ""]
    for number, hit in enumerate(result.hits, start=1):
        citation = cite(corpus, hit.passage)
        text = mark(hit.passage.text, hit.matched, before="**", after="**", escape=str)
        place = citation.place_in(say)
        where = f"{citation.title}, {citation.date}, {place}" if several else place
        lines += [f"{number}. {text}", f"   [{where}]"]
    if note := correction_note(result, say):
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
        answer["error"] = str(result.error)
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


def html_passage(corpus: Corpus, hit: Hit, *, several: bool, messages: Messages = ENGLISH) -> str:
    """Return one hit as Telegram HTML: the passage with matched words bold, then its citation."""
    citation = cite(corpus, hit.passage)
    text = mark(hit.passage.text, hit.matched, before="<b>", after="</b>", escape=html.escape)
    where = html.escape(citation.place_in(messages))
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
    messages: Messages | None = None,
) -> tuple[str, int]:
    """Return (Telegram HTML reply, hits shown): whole hits only, trailing ones dropped to fit limit;
    the bot's own words in `messages`' language (by default the question's)."""
    say = messages_for(result, messages)
    if not result.answered:
        return html.escape(not_found_text(result, examples, say)), 0
    several = len(corpus.articles) > 1
    head = "" if several else _html_title(_articles_of(corpus, result.hits)[0]) + "\n\n"
    if first_number == 1 and (said := heading(result, say)):
        head += f"<i>{html.escape(said)}</i>\n\n"
    if first_number == 1 and (answer := short_answer_text(result)) is not None:
        head += f"<b>{html.escape(answer)}</b>\n\n"
    note = correction_note(result, say)
    tail = f"\n\n<i>{html.escape(note)}</i>" if note else ""
    body: list[str] = []
    for number, hit in enumerate(result.hits, start=first_number):
        block = f"{number}. {html_passage(corpus, hit, several=several, messages=say)}"
        candidate = head + "\n\n".join([*body, block]) + tail
        if len(candidate) > limit and body:
            break
        body.append(block)
    reply = head + "\n\n".join(body) + tail
    if len(reply) > limit:
        reply = _excerpt(corpus, result.hits[0], head=head, number=first_number, limit=limit, say=say)
    return reply, len(body)


def _excerpt(corpus: Corpus, hit: Hit, *, head: str, number: int, limit: int, say: Messages) -> str:
    """Return a lone passage longer than a message as its opening words and its citation."""
    shortened = say.gettext("{place} (shortened)", place=cite(corpus, hit.passage).place_in(say))
    place = f"\n<i>{html.escape(shortened)}</i>"
    room = limit - len(head) - len(place) - 20
    text = hit.passage.text
    while True:
        excerpt = html.escape(text[:room].rsplit(" ", 1)[0])
        reply = f"{head}{number}. “{excerpt} …”{place}"
        if len(reply) <= limit:
            return reply
        room -= len(reply) - limit

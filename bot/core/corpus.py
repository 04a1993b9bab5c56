"""Articles: the corpus file format, sentence passages, and a corpus of articles (files: store.py)."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import sentencex
import wordfreq
from anyascii import anyascii

from bot.core.lang import language, languages, script_of_text
from bot.core.said import N_, Said
from bot.core.text import normalize, without_controls

HEADER_KEYS = ("title", "date", "source", "url", "caption", "credit")
# Optional header keys, written only when set: example questions, separated by " | "; the language
# of the article (a folder of bot/core/lang; detected from its words when absent, English when unsure).
OPTIONAL_KEYS = ("questions", "language")
QUESTION_SEPARATOR = " | "
CORPUS_SUFFIXES = (".txt", ".md")
CAPTION_PARAGRAPH = 0
# A paragraph longer than this is split at its line breaks, and refused if a line is still longer:
# one passage's paragraph has to fit a reply, and a wall of text with no breaks is not an article.
MAX_PARAGRAPH = 20_000
# A title longer than this is refused: a reply cites it (a 3 MB title was read, then never shown).
MAX_TITLE = 300


class CorpusError(Said, ValueError):
    """A corpus file or directory that cannot be served, with the place and the problem."""


@dataclass(frozen=True)
class Article:
    """One article: header fields and body paragraphs (the caption is not a body paragraph)."""

    id: str
    title: str
    date: str
    source: str
    url: str | None
    paragraphs: tuple[str, ...]
    caption: str = ""
    credit: str = ""
    questions: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of an article, verbatim, with where it stands (paragraph 0 is the photo caption)."""

    article_id: str
    paragraph: int
    sentence: int
    text: str
    start: int
    end: int
    language: str = "en"  # its article's (the tokenizer its words are indexed by)


class PassageTable(Sequence[Passage]):
    """An article collection's passages as arrays, each Passage made when it is asked for.

    What a persisted index loads instead of a million Passage objects: passage n is sentence
    sentence[n] of paragraph paragraph[n] (0: the caption) of articles[article[n]], characters
    start[n] to end[n].
    """

    def __init__(
        self,
        articles: tuple[Article, ...],
        article: npt.NDArray[np.int32],
        paragraph: npt.NDArray[np.int32],
        sentence: npt.NDArray[np.int32],
        start: npt.NDArray[np.int32],
        end: npt.NDArray[np.int32],
    ) -> None:
        self.articles = articles
        self.article, self.paragraph, self.sentence, self.start, self.end = article, paragraph, sentence, start, end

    @classmethod
    def of(cls, articles: tuple[Article, ...], passages: Sequence[Passage]) -> PassageTable:
        """Return the table of passages (of these articles, in this order)."""
        number = {article.id: n for n, article in enumerate(articles)}
        columns = np.array(
            [(number[p.article_id], p.paragraph, p.sentence, p.start, p.end) for p in passages], dtype=np.int32
        ).reshape(-1, 5)
        return cls(articles, *(np.ascontiguousarray(columns[:, i]) for i in range(5)))

    def __len__(self) -> int:
        return len(self.article)

    @overload
    def __getitem__(self, index: int) -> Passage: ...

    @overload
    def __getitem__(self, index: slice) -> list[Passage]: ...

    def __getitem__(self, index: int | slice) -> Passage | list[Passage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        article = self.articles[int(self.article[index])]
        paragraph, start, end = int(self.paragraph[index]), int(self.start[index]), int(self.end[index])
        text = article.caption if paragraph == CAPTION_PARAGRAPH else article.paragraphs[paragraph - 1]
        return Passage(article.id, paragraph, int(self.sentence[index]), text[start:end], start, end, article.language)

    def __iter__(self) -> Iterator[Passage]:
        for index in range(len(self)):
            yield self[index]


@dataclass(frozen=True)
class Corpus:
    """The articles being served, their passages, and a content hash naming this version."""

    articles: tuple[Article, ...]
    passages: Sequence[Passage]  # a tuple when built, a PassageTable when loaded from a persisted index
    version: str
    by_id: dict[str, Article] = field(compare=False, repr=False)
    passage_counts: dict[str, int] = field(compare=False, repr=False, default_factory=dict)

    @property
    def passages_served(self) -> int:
        """Return how many passages the articles have (`passages` also keeps removed articles' places)."""
        return sum(self.passage_counts.values())


def is_date(text: str) -> bool:
    """Return whether text is a real calendar date written YYYY-MM-DD."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_web_address(text: str) -> bool:
    """Whether text is one http(s) address with a host and nothing else (surrounding spaces aside)."""
    text = text.strip()
    if not text or any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:  # "http://[::1" and the like
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug of text, other scripts transliterated ("Путин" -> "putin")."""
    ascii_text = anyascii(normalize(text)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].strip("-")


def content_tag(*parts: str) -> str:
    """Return a short stable hash of text parts, to tell apart articles whose slugs are the same."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def article_id(date: str, title: str) -> str:
    """Return the id (and corpus file stem) of an article: a slug of its date and title.

    A title that slugs to nothing (emoji, punctuation) gets a hash of the title instead.
    """
    slug = slugify(title)
    return f"{slugify(date)}-{slug or content_tag(title)}"


def same_article(a: Article, b: Article) -> bool:
    """Whether two articles are versions of one story: same title and date, or the same address."""
    return (a.title, a.date) == (b.title, b.date) or (a.url is not None and a.url == b.url)


def split_sentences(paragraph: str, language: str = "en") -> list[tuple[int, int]]:
    """Return the (start, end) span of each sentence of a paragraph, surrounding spaces excluded.

    sentencex (Wikimedia, MIT; compiled) runs in linear time on any input — about 200,000 sentences
    a second here — and agrees with pysbd, the splitter before it, on 99.9% of its sentence ends in
    the shipped article and the SQuAD contexts (bench/split_bench.py).

    A piece with no letter in it (a list number such as "12.", a lone bullet) joins the sentence
    after it, or the one before it at the end of the paragraph.
    """
    spans: list[tuple[int, int]] = []
    pending: int | None = None  # start of a letterless piece waiting for the next sentence
    for boundary in sentencex.get_sentence_boundaries(language, paragraph):
        start, end = boundary["start_index"], boundary["end_index"]
        text = paragraph[start:end]
        stripped_start = start + len(text) - len(text.lstrip())
        stripped_end = start + len(text.rstrip())
        if stripped_end <= stripped_start:
            continue
        if pending is not None:
            stripped_start, pending = pending, None
        if not any(char.isalpha() for char in paragraph[stripped_start:stripped_end]):
            pending = stripped_start
            continue
        spans.append((stripped_start, stripped_end))
    if pending is not None:
        end = len(paragraph.rstrip())
        spans[-1:] = [(spans[-1][0] if spans else pending, end)]
    return spans


def passages_of(article: Article) -> list[Passage]:
    """Return the sentence passages of an article: the caption first, then each body paragraph."""
    numbered = [(CAPTION_PARAGRAPH, article.caption)] if article.caption else []
    numbered += list(enumerate(article.paragraphs, start=1))
    return [
        Passage(article.id, number, sentence, paragraph[start:end], start, end, article.language)
        for number, paragraph in numbered
        for sentence, (start, end) in enumerate(split_sentences(paragraph, article.language), start=1)
    ]


def paragraphs_of(blocks: Iterable[str], *, where: str) -> tuple[str, ...]:
    """Return text blocks as single-spaced paragraphs, a block over MAX_PARAGRAPH split at its line breaks.

    Raises CorpusError naming `where` when a line is still longer than MAX_PARAGRAPH.
    """
    paragraphs: list[str] = []
    for block in blocks:
        parts = [block] if len(block) <= MAX_PARAGRAPH else block.splitlines()
        for part in parts:
            paragraph = " ".join(part.split())
            if len(paragraph) > MAX_PARAGRAPH:
                raise CorpusError(
                    N_("{where}: paragraph {number} is {length} characters long without a line break (at most {most})"),
                    where=where,
                    number=len(paragraphs) + 1,
                    length=len(paragraph),
                    most=MAX_PARAGRAPH,
                )
            if paragraph:
                paragraphs.append(paragraph)
    return tuple(paragraphs)


def format_article(article: Article) -> str:
    """Return an article in the corpus file format."""
    header = [f"{key}: {getattr(article, key) or ''}".rstrip() for key in HEADER_KEYS]
    if article.questions:
        header.append(f"questions: {QUESTION_SEPARATOR.join(article.questions)}")
    if article.language != "en":
        header.append(f"language: {article.language}")
    return "\n".join(header) + "\n\n" + "\n\n".join(article.paragraphs) + "\n"


def check_title(title: str, where: str) -> None:
    """Raise CorpusError naming `where` when a title is longer than MAX_TITLE characters."""
    if len(title) > MAX_TITLE:
        raise CorpusError(
            N_("{where}: title is {length} characters long (at most {most})"),
            where=where,
            length=len(title),
            most=MAX_TITLE,
        )


def parse_article(text: str, *, article_id_: str, where: str = "<text>") -> Article:
    """Return the article in a corpus file's text; raise CorpusError naming `where` if it is not one."""
    # Control characters (ESC, BEL, backspace...) never reach a passage: printed to a terminal by
    # `check` or `ask` they would drive it (see text.without_controls).
    blocks = [block.strip() for block in re.split(r"\n\s*\n", without_controls(normalize(text)).strip())]
    header: dict[str, str] = {}
    for line in blocks[0].splitlines() if blocks and blocks[0] else []:
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in HEADER_KEYS + OPTIONAL_KEYS:
            raise CorpusError(
                N_("{where}: header line {line} is not 'key: value' with a key of {keys}"),
                where=where,
                line=repr(line),
                keys=", ".join(HEADER_KEYS + OPTIONAL_KEYS),
            )
        header[key] = value.strip()
    for key in ("title", "date"):
        if not header.get(key):
            raise CorpusError(N_("{where}: header has no {key}"), where=where, key=key)
    check_title(header["title"], where)
    if not is_date(header["date"]):
        raise CorpusError(
            N_("{where}: date {date} is not a date written YYYY-MM-DD"), where=where, date=repr(header["date"])
        )
    paragraphs = paragraphs_of(blocks[1:], where=where)
    code = header.get("language", "").lower()
    if code and code not in languages():
        raise CorpusError(
            N_("{where}: language {code} is none of {codes} (folders of bot/core/lang)"),
            where=where,
            code=repr(code),
            codes=", ".join(languages()),
        )
    article = Article(
        id=article_id_,
        title=header["title"],
        date=header["date"],
        source=header.get("source", ""),
        url=header.get("url") or None,
        paragraphs=paragraphs,
        caption=header.get("caption", ""),
        credit=header.get("credit", ""),
        questions=tuple(q.strip() for q in header.get("questions", "").split("|") if q.strip()),
        language=code or detect_language(header["title"], paragraphs),
    )
    # Every paragraph kept is non-blank, and the splitter gives a non-blank text at least one
    # sentence: no need to split here (build_corpus splits each article once).
    if not article.paragraphs:
        raise CorpusError(N_("{where}: no article body found"), where=where)
    return article


# How many words of an article its language is told from.
DETECTION_WORDS = 200


def detect_language(title: str, paragraphs: Sequence[str]) -> str:
    """Return the language an article is written in, among those of bot/core/lang: the one written in
    its letters' script; when several are, the one whose wordfreq list knows most of its words (as
    answering.language tells a question's); English when none is."""
    sample = " ".join(" ".join((title, *paragraphs[:5])).split()[:DETECTION_WORDS])
    script = script_of_text(sample)
    if not script:
        return "en"
    written = [code for code in languages() if language(code).script == script]
    if len(written) <= 1:
        return written[0] if written else "en"
    words = [word.lower() for word in re.findall(r"[^\W\d_]+", sample)]
    return max(written, key=lambda code: (sum(wordfreq.zipf_frequency(word, code) > 0 for word in words), code == "en"))


def articles_by_id(articles: Sequence[Article]) -> dict[str, Article]:
    """Return the articles by id; raise CorpusError on duplicate ids or when there is no article."""
    if not articles:
        raise CorpusError(N_("corpus has no articles"))
    by_id: dict[str, Article] = {}
    for article in articles:
        if article.id in by_id:
            raise CorpusError(N_("{id}: duplicate article id"), id=article.id)
        by_id[article.id] = article
    return by_id


def build_corpus(articles: Iterable[Article]) -> Corpus:
    """Return a corpus of articles; raise CorpusError on duplicate ids or when there is no article."""
    articles = tuple(articles)
    by_id = articles_by_id(articles)
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.id):
        digest.update(article.id.encode() + b"\0" + format_article(article).encode() + b"\0")
    passages = tuple(passage for article in articles for passage in passages_of(article))
    counts = Counter(passage.article_id for passage in passages)
    return Corpus(articles, passages, digest.hexdigest()[:12], by_id, dict(counts))


def extended_corpus(corpus: Corpus, articles: Iterable[Article]) -> Corpus:
    """Return the corpus with new articles after its own, their passages after its passages.

    Its version names the version it grew from and what was added (a build of the same articles
    from scratch numbers their passages in file order, and gets a version of its own).
    """
    added = tuple(articles)
    everything = corpus.articles + added
    by_id = articles_by_id(everything)
    fresh = [passage for article in added for passage in passages_of(article)]
    passages: Sequence[Passage]
    if isinstance(corpus.passages, PassageTable):
        # The table's articles: every article a passage of it belongs to, removed ones too.
        old = corpus.passages
        held = old.articles + added
        new = PassageTable.of(held, fresh)
        columns = ("article", "paragraph", "sentence", "start", "end")
        passages = PassageTable(held, *(np.concatenate([getattr(old, name), getattr(new, name)]) for name in columns))
    else:
        passages = (*corpus.passages, *fresh)
    digest = hashlib.sha256(corpus.version.encode())
    for article in added:
        digest.update(b"\0" + article.id.encode() + b"\0" + format_article(article).encode())
    counts = corpus.passage_counts | Counter(passage.article_id for passage in fresh)
    return Corpus(everything, passages, digest.hexdigest()[:12], by_id, counts)


def reduced_corpus(corpus: Corpus, article_ids: Iterable[str]) -> Corpus:
    """Return the corpus without some articles. Their passages keep their places (every other
    passage keeps its number) but belong to no article served: an index over the corpus removes
    them too (Bm25Index.removed). The version names the one it came from and what was removed.
    """
    gone = set(article_ids)
    articles = tuple(article for article in corpus.articles if article.id not in gone)
    digest = hashlib.sha256(corpus.version.encode())
    for article_id in sorted(gone):
        digest.update(b"\0-" + article_id.encode())
    return Corpus(  # possibly empty for a moment: an update takes articles out before putting others in
        articles,
        corpus.passages,
        digest.hexdigest()[:12],
        {article.id: article for article in articles},
        {article_id: count for article_id, count in corpus.passage_counts.items() if article_id not in gone},
    )

"""What a passage states on its own — a quantity, a date, a duration, a person's name — for question words to prefer."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from bot.core.answering.question import Want
from bot.core.corpus import CAPTION_PARAGRAPH, Passage
from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, folded_words, is_number, term_of, word_of

QUANTITY_BIT, DATE_BIT, DURATION_BIT, NAME_BIT, PLACE_BIT = 1, 2, 4, 8, 16
# The feature each question word prefers, in bit order.
FEATURE_OF = (Want.QUANTITY, Want.DATE, Want.DURATION, Want.NAME, Want.PLACE)
# A place: a capitalised word after a preposition of place, not opening the sentence ("in Kursk").
_PLACE = re.compile(r"\b(?:in|at|near|from|to|outside|across|into)\s(?:the\s)?[A-Z][a-z]+")
_CAPITALS = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]")
_NAME_PAIR = re.compile(r"(?=\b([A-Z][a-z]+) ([A-Z][a-z]+)\b)")


def _is_year(term: str) -> bool:
    return term.isdigit() and len(term) == 4 and 1800 <= int(term) <= 2100


def _capital_after_first(text: str) -> bool:
    """Whether text has a capital letter after its first character (a cheap test before name searches)."""
    rest = text[1:]
    return rest != rest.lower()


def _has_capitals(text: str) -> bool:
    """Whether text may hold two capitalised words in a row (cheap tests before the _NAME_PAIR search)."""
    return _capital_after_first(text) and _CAPITALS.search(text) is not None


def word_bits(raw: str, language: Language = ENGLISH) -> int:
    """Return what a raw word says on its own: a quantity, a date, a duration (bits)."""
    word = word_of(raw)
    if word[0].isdigit():
        return DATE_BIT if _is_year(word) else QUANTITY_BIT
    return (
        (QUANTITY_BIT if word in language.quantity_words else 0)
        | (DATE_BIT if word in language.date_words else 0)
        | (DURATION_BIT if word in language.duration_words else 0)
    )


def passage_bits(text: str, folded: str, bits: Iterable[int], language: Language = ENGLISH) -> int:
    """Return the features of a passage as bits, from its words' bits, its date phrases, names and places."""
    found = 0
    for bit in bits:
        found |= bit
    if any(phrase in folded for phrase in language.date_phrases):
        found |= DATE_BIT
    if _has_capitals(text) and any(not ({a, b} & language.not_names) for a, b in _NAME_PAIR.findall(text)):
        found |= NAME_BIT
    if _capital_after_first(text) and _PLACE.search(text):
        found |= PLACE_BIT
    return found


def features(text: str) -> tuple[bool, bool, bool, bool, bool]:
    """Return whether a passage states a quantity, a date, a duration, a person's name, a place (FEATURE_OF order)."""
    folded, raws = folded_words(text)
    bits = passage_bits(text, folded, [word_bits(raw) for raw in raws])
    return tuple(bool(bits >> n & 1) for n in range(len(FEATURE_OF)))  # type: ignore[return-value]


def name_pairs(text: str) -> Iterator[tuple[str, str]]:
    """Yield the term pairs of adjacent capitalised words ("North Korea", "Jong Un") in text."""
    for first, second in _NAME_PAIR.findall(text):
        pair = term_of(fold(first)), term_of(fold(second))
        if pair[0] is not None and pair[1] is not None:
            yield pair[0], pair[1]


_NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


def context_terms(
    passages: Sequence[Passage], folded_texts: Sequence[str] | None = None, language: Language = ENGLISH
) -> dict[int, frozenset[str]]:
    """Return, for the passages that need them, index terms they stand for without saying them.

    The photo caption stands for "photo", "picture"…; a credit line for "reported", "wire"…; a
    sentence whose subject is a pronoun ("he told lawmakers") for the person named last in the
    sentences before it in its paragraph or the paragraph before (the quote itself stays verbatim).
    """
    stems = {kind: frozenset(t for w in words if (t := term_of(w))) for kind, words in language.context_words.items()}
    found: dict[int, frozenset[str]] = {}
    last_name: tuple[str, int, frozenset[str]] | None = None  # article, paragraph, name terms
    known: dict[str, frozenset[str]] = {}  # the names met so far in this article
    article = None
    for number, passage in enumerate(passages):
        if passage.article_id != article:  # "Rudenko" in one article is not another article's Rudenko
            article, known = passage.article_id, {}
        extra: set[str] = set()
        if passage.paragraph == CAPTION_PARAGRAPH:
            extra |= stems.get("caption", frozenset())
        folded = fold(passage.text) if folded_texts is None else folded_texts[number]
        if language.credit_pattern.search(folded):
            extra |= stems.get("credit", frozenset())
        if last_name is not None and language.pronoun_pattern.search(folded):
            named_in, paragraph, name = last_name
            if named_in == passage.article_id and passage.paragraph - paragraph <= 1:
                extra |= name
        if extra:
            found[number] = frozenset(extra)
        mentions: list[tuple[int, frozenset[str]]] = []
        # Without a capital after the first character, no run of two capitalised words can match,
        # and only the first word can be a name met before.
        more_capitals = _capital_after_first(passage.text)
        for match in _NAME_RUN.finditer(passage.text) if more_capitals else ():
            words = match.group().split()
            if set(words) <= language.not_names:
                continue
            name = frozenset(t for word in words if (t := term_of(fold(word))))
            for word in words:
                if word not in language.not_names:
                    known[word] = name  # "Rudenko" alone later means "Deputy Foreign Minister Andrei Rudenko"
            mentions.append((match.start(), name))
        if not known:
            capitalised: Iterable[re.Match[str]] = ()
        elif more_capitals:
            capitalised = _CAPITALISED.finditer(passage.text)
        else:
            first = _CAPITALISED.match(passage.text)
            capitalised = () if first is None else (first,)
        for match in capitalised:
            if match.group() in known:
                mentions.append((match.start(), known[match.group()]))
        if mentions:
            last_name = (passage.article_id, passage.paragraph, max(mentions, key=lambda m: m[0])[1])
    return found


def _paragraph_spans(passages: Sequence[Passage]) -> npt.NDArray[np.int64]:
    """Return, for each passage, the first and one past the last passage of its paragraph."""
    spans = np.zeros((len(passages), 2), dtype=np.int64)
    start = 0
    for number in range(1, len(passages) + 1):
        if number == len(passages) or (passages[number].article_id, passages[number].paragraph) != (
            passages[start].article_id,
            passages[start].paragraph,
        ):
            spans[start:number] = (start, number)
            start = number
    return spans


@dataclass(frozen=True)
class PassageFeatures:
    """Every passage's features, the name pairs of the corpus, and its words as written (for spelling)."""

    flags: npt.NDArray[np.bool_]
    name_pairs: frozenset[tuple[str, str]]
    surface: dict[str, str]  # folded word -> its index term
    context: dict[int, frozenset[str]]  # passage -> terms it stands for without saying them
    by_context: dict[str, tuple[int, ...]]  # the same, term -> passages (sorted)
    words: tuple[str, ...]  # the corpus's content words as written (folded), numbered
    word_terms: tuple[str, ...]  # each word's index term
    word_starts: npt.NDArray[np.int64]  # passage n's words are word_ids[word_starts[n]:word_starts[n + 1]]
    word_ids: npt.NDArray[np.int32]
    paragraphs: npt.NDArray[np.int64]  # passage n's paragraph is passages paragraphs[n, 0] to paragraphs[n, 1] - 1
    # How many passages served hold each word; None while no passage was removed (then: every
    # word's, counted when a removal first needs it).
    word_passages: npt.NDArray[np.int64] | None = None

    @property
    def present(self) -> npt.NDArray[np.bool_] | None:
        """Return which words some passage served still holds (None: every word)."""
        return None if self.word_passages is None else self.word_passages > 0

    @classmethod
    def of(cls, passages: Sequence[Passage]) -> PassageFeatures:
        """Return the features of passages, reading each passage once."""
        bits, pairs = array("B"), set[tuple[str, str]]()
        raw_bits: dict[str, int] = {}  # the raw words that say something on their own
        seen: set[str] = set()
        surface: dict[str, str] = {}
        folded_texts: list[str] = []
        word_number: dict[str, int] = {}  # content word as written -> its number
        raw_number: dict[str, int] = {}  # raw token -> its word's number (-1: a stop word)
        word_terms: list[str] = []
        starts, ids = array("q", [0]), array("i")
        for passage in passages:
            text = passage.text
            folded, raws = folded_words(text)
            folded_texts.append(folded)
            new = set(raws) - seen
            if new:
                seen |= new
                # In the order they stand, so that words are numbered alike in every process.
                for raw in [raw for raw in dict.fromkeys(raws) if raw in new]:
                    if bit := word_bits(raw):
                        raw_bits[raw] = bit
                    term = term_of(raw)
                    if term is not None and not is_number(term):
                        surface.setdefault(word_of(raw), term)
                    if term is None:
                        raw_number[raw] = -1
                    else:
                        raw_number[raw] = word_number.setdefault(word_of(raw), len(word_number))
                        if raw_number[raw] == len(word_terms):
                            word_terms.append(term)
            ids.extend(sorted({n for raw in raws if (n := raw_number[raw]) >= 0}))
            starts.append(len(ids))
            bits.append(passage_bits(text, folded, map(raw_bits.__getitem__, raw_bits.keys() & raws)))
            if _has_capitals(text):
                pairs.update(name_pairs(text))
        flag_bits = np.frombuffer(bits, dtype=np.uint8)[:, None] >> np.arange(len(FEATURE_OF), dtype=np.uint8)
        flags = (flag_bits & 1).astype(bool).reshape(len(passages), len(FEATURE_OF))
        context = context_terms(passages, folded_texts)
        by_context: dict[str, list[int]] = {}
        for doc, terms in sorted(context.items()):
            for term in terms:
                by_context.setdefault(term, []).append(doc)
        return cls(
            flags,
            frozenset(pairs),
            surface,
            context,
            {t: tuple(docs) for t, docs in by_context.items()},
            tuple(word_number),
            tuple(word_terms),
            np.frombuffer(starts, dtype=np.int64).copy(),
            np.frombuffer(ids, dtype=np.int32).copy(),
            _paragraph_spans(passages),
        )

    def extended(self, passages: Sequence[Passage]) -> PassageFeatures:
        """Return the features of `passages`: these features' passages (the same, in the same order)
        followed by new ones, whole articles, which alone are read. The same as of(passages).

        New words are numbered after the known ones, in the order they first appear, as of() would.
        """
        before = len(self.flags)
        added = PassageFeatures.of(passages[before:])
        number = {word: n for n, word in enumerate(self.words)}
        words, word_terms = list(self.words), list(self.word_terms)
        mapping = np.empty(len(added.words), dtype=np.int32)
        for local, (word, term) in enumerate(zip(added.words, added.word_terms, strict=True)):
            found = number.get(word)
            if found is None:
                found = number[word] = len(words)
                words.append(word)
                word_terms.append(term)
            mapping[local] = found
        # Each passage's word numbers in order, as of() keeps them.
        owner = np.repeat(np.arange(len(added.flags)), np.diff(added.word_starts))
        renumbered = mapping[added.word_ids]
        renumbered = renumbered[np.lexsort((renumbered, owner))]
        surface = dict(self.surface)
        for word, term in added.surface.items():
            surface.setdefault(word, term)
        context = dict(self.context) | {doc + before: found for doc, found in added.context.items()}
        by_context = dict(self.by_context)
        for term, docs in added.by_context.items():
            by_context[term] = by_context.get(term, ()) + tuple(doc + before for doc in docs)
        return PassageFeatures(
            np.concatenate([self.flags, added.flags]),
            self.name_pairs | added.name_pairs,
            surface,
            context,
            by_context,
            tuple(words),
            tuple(word_terms),
            np.concatenate([self.word_starts, added.word_starts[1:] + self.word_starts[-1]]),
            np.concatenate([self.word_ids, renumbered.astype(np.int32)]),
            np.concatenate([self.paragraphs, added.paragraphs + before]),
            None
            if self.word_passages is None
            else np.bincount(renumbered, minlength=len(words))
            + np.pad(self.word_passages, (0, len(words) - len(self.words))),
        )

    def without(
        self, docs: npt.NDArray[np.int64], passages: Sequence[Passage], holding: Callable[[str], npt.NDArray[np.int64]]
    ) -> PassageFeatures:
        """Return these features with passages `docs` gone, as of() over the others would give them:
        the removed passages stand for no term, and the words and name pairs only they held are
        no longer the corpus's (for meaning, spelling and names). They keep their numbers and
        their other features, which nothing reaches. `holding(term)` gives the passages still
        served that hold an index term.
        """
        gone = set(docs.tolist())
        context, by_context = self.context, self.by_context
        if gone & self.context.keys():
            context = {doc: found for doc, found in self.context.items() if doc not in gone}
            by_context = {
                term: kept
                for term, found in self.by_context.items()
                if (kept := tuple(d for d in found if d not in gone))
            }
        counts = (
            np.bincount(self.word_ids, minlength=len(self.words)) if self.word_passages is None else self.word_passages
        )
        held = np.concatenate([np.zeros(0, np.int32), *(self.words_of(doc) for doc in sorted(gone))])
        counts = counts - np.bincount(held, minlength=len(self.words))
        lost = {self.words[n] for n in np.unique(held[counts[held] == 0]).tolist()}
        surface = {word: term for word, term in self.surface.items() if word not in lost} if lost else self.surface
        # A name pair stays while a passage served still has it: one holding both its terms, read again.
        removed_pairs = {pair for doc in sorted(gone) for pair in name_pairs(passages[doc].text)}
        lost_pairs = {
            (first, second)
            for first, second in removed_pairs
            if not any(
                (first, second) in set(name_pairs(passages[int(doc)].text))
                for doc in np.intersect1d(holding(first), holding(second)).tolist()
            )
        }
        return replace(
            self,
            name_pairs=self.name_pairs - lost_pairs,
            surface=surface,
            context=context,
            by_context=by_context,
            word_passages=counts,
        )

    def words_of(self, doc: int) -> npt.NDArray[np.int32]:
        """Return the numbers of a passage's content words (sorted, each once)."""
        return self.word_ids[self.word_starts[doc] : self.word_starts[doc + 1]]

    def has_one(self, doc: int, want: Want) -> bool:
        """Return whether one passage states what the question word wants."""
        return bool(self.flags[doc, FEATURE_OF.index(want)])

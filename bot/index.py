"""An immutable BM25 index over sentence passages, and search that abstains without evidence.

Scores are rank-bm25's BM25Plus (its idf, k1, b and delta). Instead of calling `get_scores` over
every passage, each (term, passage) weight is computed once at build time into a term-major sparse
matrix, so a question touches only the postings of its own terms.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import rank_bm25
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy import sparse

from bot.corpus import Passage
from bot.query import Concept, Question, Want, analyse
from bot.text import ENGLISH_STOP_WORDS, Token, fold, is_number, stem, terms, tokens, words

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[Sequence[Passage]], Iterable[Passage]]
IntArray = npt.NDArray[np.int64]


def _bm25plus_defaults() -> tuple[float, float, float]:
    parameters = inspect.signature(rank_bm25.BM25Plus.__init__).parameters
    return (
        float(parameters["k1"].default),
        float(parameters["b"].default),
        float(parameters["delta"].default),
    )


@dataclass(frozen=True)
class Bm25Params:
    """BM25Plus parameters; the defaults are rank-bm25's own."""

    k1: float = _bm25plus_defaults()[0]
    b: float = _bm25plus_defaults()[1]
    delta: float = _bm25plus_defaults()[2]


class Hit(NamedTuple):
    """A ranked passage with its score and the index terms it matched."""

    passage: Passage
    score: float
    matched: frozenset[str]
    position: int


class Correction(NamedTuple):
    """A question word that is not in the article, and the article word it was taken for."""

    word: str
    replacement: str


@dataclass(frozen=True)
class SearchResult:
    """What search found for a question: hits (empty when it abstains) and spelling fixes."""

    question: str
    hits: tuple[Hit, ...]
    corrections: tuple[Correction, ...] = ()
    suggestion: str | None = None

    @property
    def answered(self) -> bool:
        """Whether the article answers the question."""
        return bool(self.hits)


# Passage features that question words prefer, and how much a passage that has one gains.
WANT_BOOST = {Want.QUANTITY: 0.6, Want.DATE: 0.5, Want.DURATION: 0.5, Want.NAME: 0.4}
_QUANTITY_WORDS = frozenset("dozen dozens hundred hundreds thousand thousands million millions billion percent".split())
_DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december yesterday today tomorrow ago""".split()
)
_DURATION_WORDS = frozenset("since ago long decades years".split())
_NOT_NAMES = frozenset(
    """North South East West Korea Korean Asian Federation Council World War Foreign Minister Deputy
    President Moscow Times Ministry Prosecutor General Office State States United Union""".split()
)
_NAME_PAIR = re.compile(r"(?=\b([A-Z][a-z]+) ([A-Z][a-z]+)\b)")
# Keep hits whose score is at least this share of the best one: the rest are noise.
RELATIVE_FLOOR = 0.3
# More than this share of a question's concepts must be found in the article to answer it.
# A number found counts for NUMBER_STRENGTH; a misspelt word, read as an article word, for less than one.
MIN_COVERAGE = 0.5
NUMBER_STRENGTH = 0.5
CORRECTION_WEIGHT = 0.8
# A word is rare when its idf is at least this share of the highest idf possible (one passage).
RARE_IDF_SHARE = 0.75


def _is_year(term: str) -> bool:
    return term.isdigit() and len(term) == 4 and 1800 <= int(term) <= 2100


def features(text: str) -> tuple[bool, bool, bool, bool]:
    """Return whether a passage states a quantity, a date, a duration, and a person's name (WANT_BOOST order)."""
    folded = [word.term for word in words(text)]
    quantity = any((is_number(w) and not _is_year(w)) or w in _QUANTITY_WORDS for w in folded)
    date = any(_is_year(w) or w in _DATE_WORDS for w in folded) or "last month" in " ".join(folded)
    duration = any(w in _DURATION_WORDS for w in folded)
    name = any(not ({a, b} & _NOT_NAMES) for a, b in _NAME_PAIR.findall(text))
    return quantity, date, duration, name


def name_pairs(text: str) -> Iterator[tuple[str, str]]:
    """Yield the term pairs of adjacent capitalised words ("North Korea", "Jong Un") in text."""
    previous: Token | None = None
    for token in tokens(text):
        capital = text[token.start : token.start + 1].isupper()
        if capital and previous is not None and text[previous.end : token.start] == " ":
            yield previous.term, token.term
        previous = token if capital else None


def _max_typo_distance(word: str) -> int:
    # Two edits turn many short real words into other real words ("ministry" -> "minister").
    return 0 if len(word) < 4 else 1 if len(word) < 9 else 2


class SearchIndex:
    """BM25Plus weights of every (term, passage) pair in a CSR matrix, rows by term."""

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        publications: Iterable[str] = (),
        params: Bm25Params | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.passages = tuple(passages)
        self.publications = tuple(sorted({fold(name) for name in publications if name.strip()}))
        self.params = params or Bm25Params()
        vocabulary: dict[str, int] = {}
        surface: dict[str, str] = {}
        rows: list[int] = []
        columns: list[int] = []
        doc_len = np.zeros(len(self.passages), dtype=np.float64)
        flags = np.zeros((len(self.passages), len(WANT_BOOST)), dtype=bool)
        pairs: set[tuple[str, str]] = set()
        for column, passage in enumerate(progress(self.passages) if progress else self.passages):
            passage_terms = terms(passage.text)
            doc_len[column] = len(passage_terms)
            for term in passage_terms:
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                columns.append(column)
            flags[column] = features(passage.text)
            pairs.update(name_pairs(passage.text))
            for word in words(passage.text):
                if word.term not in ENGLISH_STOP_WORDS and not is_number(word.term):
                    surface.setdefault(word.term, stem(word.term))
        self.vocabulary = vocabulary
        self.surface = surface
        self._surface_words = tuple(surface)
        self.flags = flags
        self.name_pairs = frozenset(pairs)
        self.weights, self.idf = self._weights(rows, columns, doc_len)

    def _weights(self, rows: list[int], columns: list[int], doc_len: FloatArray) -> tuple[sparse.csr_array, FloatArray]:
        k1, b = self.params.k1, self.params.b
        n_docs, n_terms = len(self.passages), len(self.vocabulary)
        counts = sparse.coo_array(
            (np.ones(len(rows)), (np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64))),
            shape=(n_terms, max(n_docs, 1)),
        ).tocsr()
        counts.sum_duplicates()
        df = np.diff(counts.indptr).astype(np.float64)
        # rank-bm25's BM25Plus idf: log((N + 1) / df), positive for every term.
        idf = np.log((n_docs + 1) / np.maximum(df, 1.0))
        avgdl = doc_len.sum() / n_docs if doc_len.sum() > 0 else 1.0
        norm = k1 * (1 - b + b * doc_len / avgdl)
        tf = counts.data
        term_of_entry = np.repeat(np.arange(n_terms), np.diff(counts.indptr))
        counts.data = idf[term_of_entry] * (tf * (k1 + 1)) / (norm[counts.indices] + tf)
        return counts, idf

    def __len__(self) -> int:
        return len(self.passages)

    def bm25_scores(self, query_terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """Return (passage numbers, rank-bm25 BM25Plus scores) for passages holding any query term."""
        weighted = [(term, 1.0) for term in query_terms]
        docs, scores = self._accumulate(weighted)
        constant = sum(self.idf[self.vocabulary[t]] * self.params.delta for t in query_terms if t in self.vocabulary)
        return docs, scores + constant

    def _accumulate(self, weighted: Sequence[tuple[str, float]]) -> tuple[IntArray, FloatArray]:
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        rows = [(self.vocabulary[t], w) for t, w in weighted if t in self.vocabulary]
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        if len(rows) == 1:
            row, w = rows[0]
            return indices[indptr[row] : indptr[row + 1]].astype(np.int64), data[indptr[row] : indptr[row + 1]] * w
        doc_parts = [indices[indptr[row] : indptr[row + 1]] for row, _ in rows]
        weight_parts = [data[indptr[row] : indptr[row + 1]] * w for row, w in rows]
        docs, inverse = np.unique(np.concatenate(doc_parts), return_inverse=True)
        sums = np.bincount(inverse, weights=np.concatenate(weight_parts))
        return docs.astype(np.int64), np.asarray(sums, dtype=np.float64)

    def _coverage(self, concepts: Sequence[Concept], docs: IntArray) -> FloatArray:
        """Return, for each of the (sorted) docs, the share of the concepts it holds in any form.

        A passage that holds every part of a question beats a shorter one that repeats one part.
        """
        indptr, indices = self.weights.indptr, self.weights.indices
        held = np.zeros(len(docs), dtype=np.float64)
        for concept in concepts:
            rows = [self.vocabulary[term] for term, _ in concept.variants if term in self.vocabulary]
            if rows:
                postings = np.unique(np.concatenate([indices[indptr[row] : indptr[row + 1]] for row in rows]))
                held[np.searchsorted(docs, postings)] += 1.0
        return held / len(concepts)

    def correction(self, word: str, *, max_distance: int | None = None) -> str | None:
        """Return the article word closest to a misspelt word, within its edit distance, if any."""
        limit = _max_typo_distance(word) if max_distance is None else max_distance
        if limit == 0 or is_number(word) or not self._surface_words:
            return None
        # Typing slips rarely hit the first letter; keeping it stops "weather" becoming "whether".
        candidates = [w for w in self._surface_words if w[:1] == word[:1]]
        match = process.extractOne(word, candidates, scorer=Levenshtein.distance, score_cutoff=limit)
        return None if match is None else str(match[0])

    def _resolve(self, question: Question) -> tuple[list[Concept], list[Correction], list[Correction]]:
        """Return the concepts with typos fixed, the fixes made, and the looser fixes only suggested."""
        resolved, corrections, suggestions = [], [], []
        for concept in question.concepts:
            if any(term in self.vocabulary for term, _ in concept.variants):
                resolved.append(concept)
                continue
            fixed = self.correction(concept.word)
            if fixed is not None:
                corrections.append(Correction(concept.word, fixed))
                term = self.surface[fixed]
                resolved.append(Concept(fixed, term, ((term, CORRECTION_WEIGHT),)))
                continue
            loose = self.correction(concept.word, max_distance=2) if len(concept.word) >= 5 else None
            if loose is not None:
                suggestions.append(Correction(concept.word, loose))
            resolved.append(concept)
        return resolved, corrections, suggestions

    def _strength(self, concept: Concept) -> float:
        """Return how much a concept counts as evidence: its own word 1, only a synonym less, absent 0."""
        weights = [weight for term, weight in concept.variants if term in self.vocabulary]
        if not weights:
            return 0.0
        return max(weights) * (NUMBER_STRENGTH if concept.is_number else 1.0)

    def _groups(self, concepts: Sequence[Concept]) -> list[list[Concept]]:
        """Return the concepts with adjacent parts of one name ("kim jong un") grouped as one."""
        groups: list[list[Concept]] = []
        for concept in concepts:
            if groups and (groups[-1][-1].term, concept.term) in self.name_pairs:
                groups[-1].append(concept)
            else:
                groups.append([concept])
        return groups

    def _is_rare_word(self, group: Sequence[Concept]) -> bool:
        """Whether every word of a group stands verbatim in the article, in only a handful of passages."""
        ceiling = np.log(len(self.passages) + 1)
        for concept in group:
            row = self.vocabulary.get(concept.term)
            if concept.word not in self.surface or row is None or self.idf[row] < RARE_IDF_SHARE * ceiling:
                return False
        return True

    def _has_evidence(self, question: Question, concepts: Sequence[Concept]) -> bool:
        """Whether the article speaks to the question: more than half its concepts found, not a lone number.

        A name of several words counts once, so "how old is Kim Jong Un" is one concept found of two.
        One of two is enough when the found one is a rare article word and the question does not
        ask for an attribute the article lacks ("who met Kim Jong Un", not "how old is Kim Jong Un").
        """
        groups = self._groups(concepts)
        strengths = [min(self._strength(concept) for concept in group) for group in groups]
        found = [(s, group) for s, group in zip(strengths, groups, strict=True) if s > 0]
        if not any(not group[0].is_number for _, group in found):
            return False
        coverage = sum(strengths) / len(groups)
        if coverage > MIN_COVERAGE:
            return True
        return (
            len(groups) == 2
            and len(found) == 1
            and found[0][0] == 1.0
            and not any(group[0].is_number for group in groups)
            and not question.asks_attribute
            and self._is_rare_word(found[0][1])
        )

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return up to k passages that answer the question, best first, or none without evidence."""
        parsed = analyse(_without_names(question, self.publications))
        concepts, corrections, suggestions = self._resolve(parsed)
        suggestion = _suggest(question, suggestions) if suggestions else None
        if not concepts or not self._has_evidence(parsed, concepts):
            return SearchResult(question, (), tuple(corrections), suggestion)
        weighted = [variant for concept in concepts for variant in concept.variants]
        docs, scores = self._accumulate(weighted)
        scores = scores * self._coverage(concepts, docs)
        if parsed.want is not Want.ANY:
            column = list(WANT_BOOST).index(parsed.want)
            scores = scores * (1 + WANT_BOOST[parsed.want] * self.flags[docs, column])
        order = _top(scores, k)
        best = scores[order[0]] if len(order) else 0.0
        query_terms = {term for term, _ in weighted}
        hits = tuple(
            Hit(
                self.passages[docs[i]],
                float(scores[i]),
                frozenset(query_terms & set(terms(self.passages[docs[i]].text))),
                int(docs[i]),
            )
            for i in order
            if scores[i] >= RELATIVE_FLOOR * best
        )
        return SearchResult(question, hits, tuple(corrections), suggestion)


def _top(scores: FloatArray, k: int) -> IntArray:
    """Return the positions of the k highest scores, highest first (ties by position)."""
    if k <= 0 or not len(scores):
        return np.empty(0, dtype=np.int64)
    if len(scores) > k:
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))].astype(np.int64)


def _without_names(question: str, names: Sequence[str]) -> str:
    """Return the folded question with publication names taken out.

    "Donate to the Moscow Times" asks about the publisher, not the story: its words must not count
    as evidence just because "Moscow" and "times" stand in the article.
    """
    folded = fold(question)
    for name in names:
        folded = folded.replace(name, " ")
    return folded


def _suggest(question: str, fixes: Sequence[Correction]) -> str:
    """Return the question with each misspelt word replaced by its suggested article word."""
    text = question
    for fix in fixes:
        text = re.sub(rf"(?i)\b{re.escape(fix.word)}\b", fix.replacement, text)
    return text

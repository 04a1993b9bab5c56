"""An immutable BM25 index over sentence passages, and search that abstains without evidence.

Scores are rank-bm25's BM25Plus (its idf, k1, b and delta). Instead of calling `get_scores` over
every passage, each (term, passage) weight is computed once at build time into a term-major sparse
matrix, so a question touches only the postings of its own terms.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from array import array
from collections import Counter
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
from bot.text import fold, folded_words, is_number, term_of, tokens, word_of

LOGGER = logging.getLogger(__name__)
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


class QueryRow(NamedTuple):
    """One index row a question reads: the term's row, its weight, and which concept it stands for."""

    row: int
    weight: float
    concept: int


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
_DIGIT = re.compile(r"\d")
_CAPITALS = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]")


def _has_capitals(text: str) -> bool:
    """Whether text may hold two capitalised words in a row (cheap tests before the _NAME_PAIR search)."""
    rest = text[1:]
    return rest != rest.lower() and _CAPITALS.search(text) is not None


_NAME_PAIR = re.compile(r"(?=\b([A-Z][a-z]+) ([A-Z][a-z]+)\b)")
# Postings of a row a search scores at once (doubling each round) before it raises its floor.
SCORE_BUDGET = 4096
SHORT_ROW = 2048  # rows this short are read whole
SMALL_CORPUS = 2048  # up to this many passages, search scores every passage holding a term
DENSE_ROWS = 64  # at most this many common terms get a passage -> position array
DENSE_MIN_DF = 4096  # ... and only terms in at least this many passages
FIRST_SAMPLE = 64  # postings of each long row read first, for a first threshold
STOP = -1  # the id a stop word maps to
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
    folded, raws = folded_words(text)
    bits = passage_bits(text, folded, [word_bits(raw) for raw in raws])
    return tuple(bool(bits >> n & 1) for n in range(len(WANT_BOOST)))  # type: ignore[return-value]


QUANTITY_BIT, DATE_BIT, DURATION_BIT, NAME_BIT = 1, 2, 4, 8


def word_bits(raw: str) -> int:
    """Return what a raw word says on its own: a quantity, a date, a duration (bits)."""
    word = word_of(raw)
    if word[0].isdigit():
        return DATE_BIT if _is_year(word) else QUANTITY_BIT
    return (
        (QUANTITY_BIT if word in _QUANTITY_WORDS else 0)
        | (DATE_BIT if word in _DATE_WORDS else 0)
        | (DURATION_BIT if word in _DURATION_WORDS else 0)
    )


def passage_bits(text: str, folded: str, bits: Iterable[int]) -> int:
    """Return the features of a passage as bits, from its words' bits, "last month" and its names."""
    found = 0
    for bit in bits:
        found |= bit
    if "last month" in folded:
        found |= DATE_BIT
    if _has_capitals(text) and any(not ({a, b} & _NOT_NAMES) for a, b in _NAME_PAIR.findall(text)):
        found |= NAME_BIT
    return found


def name_pairs(text: str) -> Iterator[tuple[str, str]]:
    """Yield the term pairs of adjacent capitalised words ("North Korea", "Jong Un") in text."""
    for first, second in _NAME_PAIR.findall(text):
        pair = term_of(fold(first)), term_of(fold(second))
        if pair[0] is not None and pair[1] is not None:
            yield pair[0], pair[1]


def _max_typo_distance(word: str) -> int:
    # Two edits turn many short real words into other real words ("ministry" -> "minister").
    return 0 if len(word) < 4 else 1 if len(word) < 9 else 2


class Postings:
    """(term, passage, count) triples gathered passage by passage, counted a chunk at a time in numpy."""

    CHUNK = 1 << 21  # tokens counted at once

    def __init__(self) -> None:
        self.rows: list[npt.NDArray[np.int32]] = []
        self.columns: list[npt.NDArray[np.int32]] = []
        self.counts: list[npt.NDArray[np.int32]] = []
        self.doc_len = array("i")
        self._ids = array("i")
        self._lengths = array("i")
        self._first = 0  # number of the first passage in the pending chunk

    def add(self, ids: list[int]) -> None:
        """Add one passage's term ids (STOP for stop words) in order."""
        self._ids.extend(ids)
        self._lengths.append(len(ids))
        if len(self._ids) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        """Count the pending passages' terms."""
        ids = np.frombuffer(self._ids, dtype=np.int32)
        lengths = np.frombuffer(self._lengths, dtype=np.int32)
        docs = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        kept = ids != STOP
        keys, counts = np.unique((docs[kept] << 32) | ids[kept].astype(np.int64), return_counts=True)
        self.rows.append((keys & 0xFFFFFFFF).astype(np.int32))
        self.columns.append(((keys >> 32) + self._first).astype(np.int32))
        self.counts.append(counts.astype(np.int32))
        self.doc_len.extend(np.bincount(docs[kept], minlength=len(lengths)).astype(np.int32).tolist())
        self._first += len(lengths)
        self._ids, self._lengths = array("i"), array("i")


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
        self.vocabulary: dict[str, int] = {}
        self.surface: dict[str, str] = {}
        started = time.perf_counter()
        postings, self.flags, self.name_pairs = self._tokenise(progress)
        tokenised = time.perf_counter()
        self.weights, self.idf = self._weights(postings)
        del postings
        self._impact = self._impact_order()
        self._dense = self._dense_positions()
        by_letter: dict[str, list[str]] = {}
        for word in sorted(self.surface):
            by_letter.setdefault(word[:1], []).append(word)
        self._first_letter = {letter: tuple(words) for letter, words in by_letter.items()}
        LOGGER.info(
            "indexed %d passages, %d terms: tokenising %.1f s, weights %.1f s",
            len(self.passages),
            len(self.vocabulary),
            tokenised - started,
            time.perf_counter() - tokenised,
        )

    def _tokenise(
        self, progress: Progress | None
    ) -> tuple[Postings, npt.NDArray[np.bool_], frozenset[tuple[str, str]]]:
        """Return the (term, passage, count) postings of every passage, and its features and name pairs."""
        postings = Postings()
        bits, pairs = array("B"), set[tuple[str, str]]()
        ids_of_raw: dict[str, int] = {}
        raw_bits: dict[str, int] = {}  # the raw words that say something on their own
        for passage in progress(self.passages) if progress else self.passages:
            text = passage.text
            folded, raws = folded_words(text)
            try:
                ids = list(map(ids_of_raw.__getitem__, raws))
            except KeyError:  # a word not seen before
                ids = [self._raw_id(raw, ids_of_raw) for raw in raws]
                raw_bits.update((raw, bit) for raw in raws if (bit := word_bits(raw)))
            postings.add(ids)
            bits.append(passage_bits(text, folded, map(raw_bits.__getitem__, raw_bits.keys() & raws)))
            if _has_capitals(text):
                pairs.update(name_pairs(text))
        postings.flush()
        flag_bits = np.frombuffer(bits, dtype=np.uint8)[:, None] >> np.arange(len(WANT_BOOST), dtype=np.uint8)
        return postings, (flag_bits & 1).astype(bool), frozenset(pairs)

    def _raw_id(self, raw: str, ids_of_raw: dict[str, int]) -> int:
        """Return the term id of a raw token (STOP for a stop word), adding new terms to the vocabulary."""
        found = ids_of_raw.get(raw)
        if found is not None:
            return found
        term = term_of(raw)
        if term is None:
            ids_of_raw[raw] = STOP
            return STOP
        if not is_number(term):
            self.surface.setdefault(word_of(raw), term)
        ids_of_raw[raw] = self.vocabulary.setdefault(term, len(self.vocabulary))
        return ids_of_raw[raw]

    def _weights(self, postings: Postings) -> tuple[sparse.csr_array, FloatArray]:
        """Return the BM25Plus weight of every (term, passage) pair as a CSR matrix, and each term's idf.

        Built in place where it can: at a million passages each temporary array is ~150 MB.
        """
        k1, b = self.params.k1, self.params.b
        n_docs, n_terms = len(self.passages), len(self.vocabulary)
        empty = np.empty(0, dtype=np.int32)
        counts = np.concatenate([empty, *postings.counts])
        rows = np.concatenate([empty, *postings.rows])
        columns = np.concatenate([empty, *postings.columns])
        postings.counts.clear()
        postings.rows.clear()
        postings.columns.clear()
        matrix = sparse.csr_array((counts, (rows, columns)), shape=(n_terms, max(n_docs, 1)))
        del counts, rows, columns
        matrix.sort_indices()
        doc_len = np.frombuffer(postings.doc_len, dtype=np.int32).astype(np.float64)
        df = np.diff(matrix.indptr)
        # rank-bm25's BM25Plus idf: log((N + 1) / df), positive for every term.
        idf = np.log((n_docs + 1) / np.maximum(df, 1).astype(np.float64))
        avgdl = doc_len.sum() / n_docs if doc_len.sum() > 0 else 1.0
        norm = k1 * (1 - b + b * doc_len / avgdl)
        weights = matrix.data.astype(np.float64)  # term counts
        matrix.data = weights
        denominator = norm[matrix.indices]
        denominator += weights
        weights *= k1 + 1
        weights /= denominator
        del denominator
        weights *= np.repeat(idf, df)
        return matrix, idf

    def _dense_positions(self) -> dict[int, npt.NDArray[np.int32]]:
        """Return, for the most common terms, each passage's position in the term's postings (-1: absent).

        Looking a passage up in a long posting list by binary search misses the cache at every step;
        for the few terms found in a sixteenth or more of all passages, one array read replaces it.
        """
        indptr, n_docs = self.weights.indptr, len(self.passages)
        df = np.diff(indptr)
        common = [
            int(row)
            for row in np.argsort(-df, kind="stable")[:DENSE_ROWS]
            if df[row] >= max(n_docs // 16, DENSE_MIN_DF)
        ]
        dense = {}
        for row in common:
            positions = np.full(n_docs, -1, dtype=np.int32)
            positions[self.weights.indices[indptr[row] : indptr[row + 1]]] = np.arange(df[row], dtype=np.int32)
            dense[row] = positions
        return dense

    def _impact_order(self) -> npt.NDArray[np.int32]:
        """Return, for each term's postings, their positions ordered by weight (highest first)."""
        indptr, data = self.weights.indptr, self.weights.data
        impact = np.empty(len(data), dtype=np.int32)
        step = 1 << 20
        row = 0
        while row < len(indptr) - 1:
            # Whole rows, about a million postings at a time, keep the temporary arrays small.
            end_row = max(row + 1, int(np.searchsorted(indptr, indptr[row] + step, side="right")) - 1)
            start, stop = indptr[row], indptr[end_row]
            lengths = np.diff(indptr[row : end_row + 1])
            owner = np.repeat(np.arange(row, end_row, dtype=np.int64), lengths)
            order = np.lexsort((-data[start:stop], owner))
            impact[start:stop] = order - (indptr[owner[order]] - start)
            row = end_row
        return impact

    def __len__(self) -> int:
        return len(self.passages)

    def bm25_scores(self, query_terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """Return (passage numbers, rank-bm25 BM25Plus scores) for every passage holding any query term."""
        rows, constant = self._bm25_rows(query_terms)
        docs = self._holding(rows)
        return docs, self._score(docs, rows, 0, Want.ANY) + constant

    def top_bm25(self, query_terms: Sequence[str], k: int) -> tuple[IntArray, FloatArray]:
        """Return the k best passages holding any query term and their rank-bm25 BM25Plus scores, best first."""
        rows, constant = self._bm25_rows(query_terms)
        docs, scores = self._rank(rows, k=k)
        return docs, scores + constant

    def _bm25_rows(self, query_terms: Sequence[str]) -> tuple[list[QueryRow], float]:
        """Return the rows of a rank-bm25 query (a repeated term counts again) and the score every
        passage gets from BM25Plus's delta, held or not."""
        counts = Counter(t for t in query_terms if t in self.vocabulary)
        rows = [QueryRow(self.vocabulary[term], float(count), 0) for term, count in counts.items()]
        constant = sum(self.idf[row.row] * self.params.delta * row.weight for row in rows)
        return rows, float(constant)

    def _holding(self, rows: Sequence[QueryRow]) -> IntArray:
        """Return, sorted, the passages that hold any of the rows' terms."""
        parts = [self._postings(row.row) for row in rows]
        return np.unique(np.concatenate([np.empty(0, dtype=np.int32), *parts])).astype(np.int64)

    def _rank(
        self, rows: Sequence[QueryRow], *, k: int, concepts: int = 0, want: Want = Want.ANY
    ) -> tuple[IntArray, FloatArray]:
        """Return the k best passages for weighted query rows and their scores, exactly, best first.

        Short rows are scored whole. Long rows are read in impact order (highest weight first), a
        chunk at a time: the k-th best score so far is a floor, and a passage not scored yet can add
        from each row at most that row's next weight. A row is read only as far as a passage could
        still reach the floor given what the other rows could add (MaxScore with shrinking bounds);
        when no row needs reading, no unscored passage can enter the top k. Scoring looks the
        passages up in every row's postings, which are sorted by passage.
        """
        if k <= 0 or not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        if len(self.passages) <= SMALL_CORPUS:
            # A few articles: scoring every passage holding a term costs less than any pruning.
            docs = self._holding(rows)
            scores = self._score(docs, rows, concepts, want)
            order = _top(scores, k)
            return docs[order], scores[order]
        indptr, indices, data, impact = self.weights.indptr, self.weights.indices, self.weights.data, self._impact
        weight_of: dict[int, float] = {}
        for query_row in rows:
            weight_of[query_row.row] = weight_of.get(query_row.row, 0.0) + query_row.weight
        spans = {row: (int(indptr[row]), int(indptr[row + 1])) for row in weight_of}
        # Short rows are read whole: their passages are all scored, so they bound nothing else.
        short = [indices[start:stop] for start, stop in spans.values() if stop - start <= SHORT_ROW]
        long_rows = {row: span for row, span in spans.items() if span[1] - span[0] > SHORT_ROW}
        depth = max(4 * k, FIRST_SAMPLE)
        consumed = {row: min(depth, stop - start) for row, (start, stop) in long_rows.items()}
        sample = [indices[start + impact[start : start + consumed[row]]] for row, (start, _) in long_rows.items()]
        docs = np.unique(np.concatenate([*short, *sample, np.empty(0, dtype=indices.dtype)])).astype(np.int64)
        best_docs, best_scores = _keep_top(docs, self._score(docs, rows, concepts, want), k)
        chunk = SCORE_BUDGET
        while True:
            # The k-th best score so far sets a floor; each long row is read on, in weight order,
            # only as far as a passage could still reach it. Scoring raises the floor as it goes.
            threshold = float(best_scores[-1]) if len(best_scores) == k else 0.0
            # Coverage is at most 1 and the boost at most 1 + WANT_BOOST: the BM25 part must reach this.
            floor = threshold / (1 + WANT_BOOST.get(want, 0.0)) * (1 - 1e-12)
            # A passage not scored yet lies past every row's read part: its weight there is at most
            # the next weight in that row's order (nothing, once a row is read whole).
            bound = {
                row: weight_of[row] * float(data[start + impact[start + consumed[row]]])
                if consumed[row] < stop - start
                else 0.0
                for row, (start, stop) in long_rows.items()
            }
            pending = {
                row: n for row, n in self._prefixes(long_rows, weight_of, bound, floor).items() if n > consumed[row]
            }
            if not pending:
                return best_docs, best_scores
            parts = []
            for row, prefix in pending.items():
                start = long_rows[row][0]
                stop = min(prefix, consumed[row] + chunk)
                parts.append(indices[start + impact[start + consumed[row] : start + stop]])
                consumed[row] = stop
            docs = np.unique(np.concatenate(parts)).astype(np.int64)
            scores = self._score(docs, rows, concepts, want)
            best_docs, best_scores = _keep_top(
                np.concatenate([best_docs, docs]), np.concatenate([best_scores, scores]), k
            )
            chunk *= 2

    def _prefixes(
        self, spans: dict[int, tuple[int, int]], weight_of: dict[int, float], bound: dict[int, float], floor: float
    ) -> dict[int, int]:
        """Return, per long row, how many postings in impact order a passage reaching `floor` could be among.

        `bound` is what each row can still add to a passage not scored yet. Rows whose bounds together
        stay under the floor are skipped (MaxScore): a passage found only in them cannot reach it. In
        any other row, a passage needs a weight of at least the floor less what all the other rows
        could add at most.
        """
        prefixes, skipped, total = {}, 0.0, sum(bound.values())
        for row in sorted(bound, key=bound.__getitem__):
            if skipped + bound[row] < floor:
                skipped += bound[row]
                continue
            need = floor - (total - bound[row])
            prefixes[row] = self._impact_prefix(*spans[row], need / weight_of[row])
        return prefixes

    def _postings(self, row: int) -> npt.NDArray[np.int32]:
        """Return the passages holding a term, in order."""
        indptr = self.weights.indptr
        return self.weights.indices[indptr[row] : indptr[row + 1]]

    def _impact_prefix(self, start: int, stop: int, minimum: float) -> int:
        """Return how many of a row's postings, in impact order, weigh at least `minimum`."""
        if minimum <= 0.0:
            return stop - start
        data, impact = self.weights.data, self._impact
        low, high = 0, stop - start
        while low < high:
            middle = (low + high) // 2
            if data[start + impact[start + middle]] >= minimum:
                low = middle + 1
            else:
                high = middle
        return low

    def _score(self, docs: IntArray, rows: Sequence[QueryRow], concepts: int, want: Want) -> FloatArray:
        """Return the exact scores of (sorted) docs: weighted BM25, times concept coverage and boost."""
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        scores = np.zeros(len(docs), dtype=np.float64)
        held = np.zeros((concepts, len(docs)), dtype=bool) if concepts else None
        for row in rows:
            start, stop = int(indptr[row.row]), int(indptr[row.row + 1])
            dense = self._dense.get(row.row)
            if dense is not None:
                found = dense[docs]
                hit = found >= 0
            else:
                postings = indices[start:stop]
                found = np.minimum(np.searchsorted(postings, docs), stop - start - 1)
                hit = postings[found] == docs
            scores[hit] += row.weight * data[start + found[hit]]
            if held is not None:
                held[row.concept] |= hit
        if held is not None:
            # A passage that holds every part of a question beats a shorter one that repeats one part.
            scores *= held.sum(axis=0) / concepts
        if want is not Want.ANY:
            scores *= 1 + WANT_BOOST[want] * self.flags[docs, list(WANT_BOOST).index(want)]
        return scores

    def correction(self, word: str, *, max_distance: int | None = None) -> str | None:
        """Return the article word closest to a misspelt word, within its edit distance, if any."""
        limit = _max_typo_distance(word) if max_distance is None else max_distance
        if limit == 0 or is_number(word):
            return None
        # Typing slips rarely hit the first letter; keeping it stops "weather" becoming "whether".
        candidates = self._first_letter.get(word[:1], ())
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
        rows = [
            QueryRow(self.vocabulary[term], weight, number)
            for number, concept in enumerate(concepts)
            for term, weight in concept.variants
            if term in self.vocabulary
        ]
        docs, scores = self._rank(rows, k=k, concepts=len(concepts), want=parsed.want)
        best = scores[0] if len(scores) else 0.0
        query_terms = {term for concept in concepts for term, _ in concept.variants}
        hits = tuple(
            Hit(
                self.passages[doc],
                float(score),
                frozenset(query_terms & {t.term for t in tokens(self.passages[doc].text)}),
                int(doc),
            )
            for doc, score in zip(docs, scores, strict=True)
            if score >= RELATIVE_FLOOR * best
        )
        return SearchResult(question, hits, tuple(corrections), suggestion)


def _keep_top(docs: IntArray, scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Return the k best of (possibly repeated) docs and their scores, best first."""
    docs, first = np.unique(docs, return_index=True)
    scores = scores[first]
    order = _top(scores, k)
    return docs[order], scores[order]


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

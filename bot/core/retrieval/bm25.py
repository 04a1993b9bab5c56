"""The exact BM25Plus kernel: (term, passage) weights computed once, exact top-k by MaxScore pruning.

Scores are rank-bm25's BM25Plus (its idf, k1, b and delta). Instead of calling `get_scores` over
every passage, each (term, passage) weight is computed once at build time into a term-major sparse
matrix, so a query touches only the postings of its own terms. The kernel knows nothing of
questions, synonyms or abstention: it ranks weighted index terms, and answering reranks.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby, islice
from operator import attrgetter
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bot.core.corpus import Passage, PassageTable
from bot.core.retrieval.base import BoolArray, Candidates, FloatArray, IntArray, Progress, WeightedTerms
from bot.core.retrieval.chunks import ChunkTable
from bot.core.text import ENGLISH_TOKENIZER, SEPARATOR, Tokenizer, chunk_words, folded_batch, tokenizer_for

LOGGER = logging.getLogger(__name__)
# rank-bm25's BM25Plus defaults (rank_bm25.BM25Plus.__init__), which define the scores.
K1 = 1.5
B = 0.75
DELTA = 1.0
STOP = -1  # the id a stop word maps to
BREAK = -2  # the id standing between two passages while a batch is tokenised


@dataclass(frozen=True)
class Bm25Params:
    """BM25Plus parameters; the defaults are rank-bm25's own."""

    k1: float = K1
    b: float = B
    delta: float = DELTA


@dataclass(frozen=True)
class Pruning:
    """How the exact top-k search trades work between scoring and pruning; never changes results."""

    score_budget: int = 4096  # postings of a row scored at once (doubling each round) before the floor rises
    short_row: int = 2048  # rows this short are read whole
    small_corpus: int = 2048  # up to this many passages, every passage holding a term is scored
    dense_rows: int = 64  # at most this many common terms get a passage -> position array
    dense_min_df: int = 4096  # ... and only terms in at least this many passages
    first_sample: int = 64  # postings of each long row read first, for a first threshold
    sorted_alone: int = 256  # at build, rows with this many postings are put in impact order one by one
    compiled: bool = True  # search a big index with the compiled loop (compiled.py) when numba is there
    block: int = 64  # postings per block of the compiled search's block-max bounds


class QueryRow(NamedTuple):
    """One index row a query reads: the term's row and its weight."""

    row: int
    weight: float


class Postings:
    """(term, passage, count) triples gathered a batch of passages at a time, counted in numpy."""

    CHUNK = 1 << 21  # tokens counted at once

    def __init__(self) -> None:
        self.rows: list[npt.NDArray[np.int32]] = []
        self.columns: list[npt.NDArray[np.int32]] = []
        self.counts: list[npt.NDArray[np.int32]] = []
        self.doc_len = array("i")
        self._ids: list[npt.NDArray[np.int32]] = []
        self._lengths: list[npt.NDArray[np.int64]] = []
        self._pending = 0  # tokens not counted yet
        self._first = 0  # number of the first passage not counted yet

    def add_many(self, ids: npt.NDArray[np.int32], count: int) -> None:
        """Add the term ids (STOP for stop words) of `count` passages in order, BREAK between passages."""
        breaks = np.flatnonzero(ids == BREAK)
        if len(breaks) != count - 1:
            raise ValueError(f"{count} passages but {len(breaks)} breaks between them")
        self._lengths.append(np.diff(breaks, prepend=-1, append=len(ids)) - 1)
        self._ids.append(ids[ids != BREAK])
        self._pending += len(ids)
        if self._pending >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        """Count the pending passages' terms."""
        if not self._lengths:
            return
        ids = np.concatenate(self._ids)
        lengths = np.concatenate(self._lengths)
        docs = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        kept = ids != STOP
        keys, counts = np.unique((docs[kept] << 32) | ids[kept].astype(np.int64), return_counts=True)
        self.rows.append((keys & 0xFFFFFFFF).astype(np.int32))
        self.columns.append(((keys >> 32) + self._first).astype(np.int32))
        self.counts.append(counts.astype(np.int32))
        self.doc_len.extend(np.bincount(docs[kept], minlength=len(lengths)).astype(np.int32).tolist())
        self._first += len(lengths)
        self._ids, self._lengths, self._pending = [], [], 0

    def matrix(self, n_terms: int, n_docs: int) -> sparse.csr_array:
        """Return the term counts gathered as a CSR matrix, rows by term, each row's passages in order
        (the gathered triples are released)."""
        self.flush()
        empty = np.empty(0, dtype=np.int32)
        counts = np.concatenate([empty, *self.counts])
        rows = np.concatenate([empty, *self.rows])
        columns = np.concatenate([empty, *self.columns])
        self.counts.clear()
        self.rows.clear()
        self.columns.clear()
        matrix = sparse.csr_array((counts, (rows, columns)), shape=(n_terms, max(n_docs, 1)))
        del counts, rows, columns
        matrix.sort_indices()
        return matrix


class Bm25State(NamedTuple):
    """What a persisted index holds of the kernel (state() and restore())."""

    terms: list[str]  # the index terms by row
    weights: sparse.csr_array  # BM25Plus weight of every (term, passage) pair, rows by term
    idf: FloatArray
    impact: npt.NDArray[np.int32]  # each row's postings in weight order (see _impact_order)
    counts: npt.NDArray[np.int32]  # the term count behind each weight
    doc_len: npt.NDArray[np.int32]  # each passage's number of index terms


def _check_state(state: Bm25State, passages: int, terms: int) -> None:
    """Raise ValueError unless a persisted kernel keeps the search inside its arrays: every posting
    a passage of the index, each row's postings in passage order, each impact order within its row,
    term counts positive, passage lengths not negative. A file edited with its checksum recomputed
    must not send the search (compiled: unchecked reads) out of them; restore then checks the idf
    and the weights against the counts, to the bit.
    """
    weights = state.weights
    indptr, indices = weights.indptr, weights.indices
    if len(state.counts) != len(weights.data) or len(state.doc_len) != passages:
        raise ValueError("the term counts or passage lengths do not fit the weights")
    if terms != len(state.terms) or weights.shape != (terms, passages) or len(indptr) != terms + 1:
        raise ValueError("the terms do not fit the weights")
    row_lengths = np.diff(indptr)
    if len(indptr) and (indptr[0] != 0 or indptr[-1] != len(weights.data) or np.any(row_lengths < 0)):
        raise ValueError("the weights' rows are not in order")
    if len(indices) != len(weights.data) or len(state.impact) != len(weights.data):
        raise ValueError("the postings do not fit the weights")
    if not len(indices):
        return
    if indices.min() < 0 or indices.max() >= passages:
        raise ValueError("a posting names no passage of the index")
    falls = np.flatnonzero(np.diff(indices) <= 0) + 1  # allowed only where a row starts
    if not np.isin(falls, indptr).all():
        raise ValueError("a row's postings are not in passage order")
    if not (state.counts > 0).all() or (state.doc_len < 0).any():
        raise ValueError("a term count or passage length is out of range")
    rows = np.flatnonzero(row_lengths > 0)  # each row's largest impact position, within the row
    if state.impact.min() < 0 or np.any(np.maximum.reduceat(state.impact, indptr[rows]) >= row_lengths[rows]):
        raise ValueError("an impact order leaves its row")


def _same_weights(index: Bm25Index, data: FloatArray, chunk: int = 1 << 21) -> bool:
    """Whether the stored weights are the ones the index's counts and lengths give (see _weight),
    computed a few million at a time (at 1M passages: 19M weights, ~150 MB at once otherwise)."""
    indptr = index.weights.indptr
    norm = index._norm()
    cuts = np.unique(
        np.append(np.searchsorted(indptr, np.arange(0, len(data), chunk), side="right") - 1, len(indptr) - 1)
    )
    for first, last in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        start, stop = int(indptr[first]), int(indptr[last])
        idf = np.repeat(index.idf[first:last], index.df[first:last])  # df: the rows' lengths in a full build
        expected = index._weight(index.counts[start:stop], norm[index.weights.indices[start:stop]], idf)
        if not np.array_equal(expected, data[start:stop]):
            return False
    return True


class Bm25Index:
    """BM25Plus weights of every (term, passage) pair in a CSR matrix, rows by term.

    Like Lucene, the index is a base segment and a fresh one. The base is the last full build:
    its weights, the term counts and passage lengths behind them, and each row's impact order; it
    is never changed (a persisted index maps it from disk). Passages added since (extended()) go
    into the fresh segment, only their term counts; the collection statistics (passage count,
    average length, document frequencies, so every idf) are the whole index's. While the fresh
    segment is empty the base's weights are the scores; after, a weight is computed from its term
    count and passage length when a passage is scored, exactly as a full build would have stored
    it, and pruning bounds a base weight by its stored value times a per-row factor.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        params: Bm25Params | None = None,
        pruning: Pruning | None = None,
        progress: Progress | None = None,
        tokenizer: Tokenizer = ENGLISH_TOKENIZER,
    ) -> None:
        """Index passages, their words made terms by `tokenizer` (its language's stemmer and stop words)."""
        self.passages: Sequence[Passage] = passages if isinstance(passages, PassageTable) else tuple(passages)
        self.tokenizer = tokenizer
        self.params = params or Bm25Params()
        self.pruning = pruning or Pruning()
        self.vocabulary: dict[str, int] = {}
        started = time.perf_counter()
        postings = self._tokenise(self.passages, progress)
        tokenised = time.perf_counter()
        counts = postings.matrix(len(self.vocabulary), len(self.passages))
        self.doc_len = np.frombuffer(postings.doc_len, dtype=np.int32).copy()
        del postings
        self.counts = counts.data
        self._full_build_statistics(counts.indptr)
        self.weights = sparse.csr_array(
            (
                self._weight(counts.data, self._norm()[counts.indices], np.repeat(self.idf, self.df)),
                counts.indices,
                counts.indptr,
            ),
            shape=counts.shape,
        )
        del counts
        self._start_base(self._impact_order())
        LOGGER.info(
            "indexed %d passages, %d terms: tokenising %.1f s, weights %.1f s",
            len(self.passages),
            len(self.vocabulary),
            tokenised - started,
            time.perf_counter() - tokenised,
        )

    @classmethod
    def restore(
        cls,
        passages: Sequence[Passage],
        state: Bm25State,
        *,
        params: Bm25Params | None = None,
        pruning: Pruning | None = None,
        tokenizer: Tokenizer = ENGLISH_TOKENIZER,
    ) -> Bm25Index:
        """Return an index from what state() gave (a persisted index), without tokenising anything;
        `tokenizer` must be the one it was built with (its questions' terms are made by it)."""
        index = cls.__new__(cls)
        index.passages, index.tokenizer = passages, tokenizer
        index.params = params or Bm25Params()
        index.pruning = pruning or Pruning()
        index.vocabulary = {term: number for number, term in enumerate(state.terms)}
        _check_state(state, len(passages), len(index.vocabulary))
        index.weights, index.counts, index.doc_len = state.weights, state.counts, state.doc_len
        index._full_build_statistics(state.weights.indptr)
        if not np.array_equal(index.idf, state.idf):
            raise ValueError("the idf does not fit the term counts")
        # The weights are the term counts' own, to the bit (the build's operations, see _weight).
        if not _same_weights(index, state.weights.data):
            raise ValueError("the weights are not the term counts' own")
        index._start_base(state.impact)
        return index

    def state(self) -> Bm25State:
        """Return what restore() needs; only a full build's (an index with no fresh segment)."""
        if not self._exact:
            raise ValueError("an index with passages added or removed is persisted by building it anew")
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return Bm25State(terms, self.weights, self.idf, self._impact, self.counts, self.doc_len)

    def extended(self, passages: Sequence[Passage], *, progress: Progress | None = None) -> Bm25Index:
        """Return a new index over `passages`: this index's passages (the same, in the same order)
        followed by new ones, which alone are tokenised, into the fresh segment. Scores are exactly
        those of an index built over all of them at once; this one is left as it is (questions may
        be reading it). The base is shared, never copied: the cost is the new passages' and the
        statistics' (arrays of one number per term), well under a second at a million passages.
        """
        old_docs = len(self.passages)
        index = type(self).__new__(type(self))
        index.passages, index.params, index.pruning = passages, self.params, self.pruning
        index.tokenizer = self.tokenizer
        index.vocabulary = dict(self.vocabulary)
        postings = index._tokenise(passages[old_docs:], progress)
        n_terms = len(index.vocabulary)
        added = postings.matrix(n_terms, len(passages) - old_docs)
        if self._fresh is None:
            fresh = added
        else:
            indptr = self._fresh.indptr
            grown = np.concatenate([indptr, np.full(n_terms + 1 - len(indptr), indptr[-1], dtype=indptr.dtype)])
            before = sparse.csr_array(
                (self._fresh.data, self._fresh.indices, grown), shape=(n_terms, self._fresh.shape[1])
            )
            fresh = sparse.hstack([before, added], format="csr")
        index.weights, index.counts, index._impact, index._dense = self.weights, self.counts, self._impact, self._dense
        index._base_docs, index._base_idf, index._base_avgdl = self._base_docs, self._base_idf, self._base_avgdl
        index._fresh = sparse.csr_array(
            (fresh.data.astype(np.int32), fresh.indices.astype(np.int32), fresh.indptr.astype(np.int64)),
            shape=(n_terms, len(passages) - self._base_docs),
        )
        lengths = np.frombuffer(postings.doc_len, dtype=np.int32)
        index.doc_len = np.concatenate([self.doc_len, lengths])
        index.df = np.concatenate([self.df, np.zeros(n_terms - len(self.df), dtype=np.int64)])
        index.df += np.diff(added.indptr)
        index._live = self._live + len(lengths)
        index._total_length = self._total_length + int(lengths.sum(dtype=np.int64))
        index._deleted = (
            None if self._deleted is None else np.concatenate([self._deleted, np.zeros(len(lengths), bool)])
        )
        index._statistics_changed()
        return index

    def removed(self, docs: IntArray) -> Bm25Index:
        """Return a new index without the passages numbered `docs`: the others keep their numbers,
        these are never found again, and the statistics are the remaining passages' own (scores are
        exactly those of an index built over the remaining passages). This one is left as it is.
        """
        deleted = np.zeros(len(self.passages), dtype=bool) if self._deleted is None else self._deleted.copy()
        docs = np.unique(np.asarray(docs, dtype=np.int64))
        docs = docs[~deleted[docs]]
        deleted[docs] = True
        # The removed passages' terms, tokenised again (they were indexed: no term is new).
        probe = type(self).__new__(type(self))
        probe.vocabulary, probe.tokenizer = dict(self.vocabulary), self.tokenizer
        counted = probe._tokenise([self.passages[int(doc)] for doc in docs], None)
        holding = counted.matrix(len(probe.vocabulary), len(docs))
        if len(probe.vocabulary) != len(self.vocabulary):
            raise ValueError("the passages removed are not this index's")
        index = copy.copy(self)  # the segments are shared, never changed
        index.df = self.df - np.diff(holding.indptr)
        index._live = self._live - len(docs)
        index._total_length = self._total_length - int(self.doc_len[docs].sum(dtype=np.int64))
        index._deleted = deleted
        index._statistics_changed()
        return index

    def _statistics_changed(self) -> None:
        """Recompute what depends on the collection statistics after passages were added or removed."""
        self._collection_statistics()
        self._exact = False
        self._norm_now = self._norm()
        self._scale = self._bound_factors()

    BATCH = 2000  # passages folded and split in one call

    def _tokenise(self, passages: Sequence[Passage], progress: Progress | None) -> Postings:
        """Return the (term, passage, count) postings of passages (numbered from 0), adding new terms
        to the vocabulary.

        Passages are folded and split a batch at a time; each distinct chunk of text ("korea,",
        "russia's", "10,000.") is tokenised once, and a batch's chunks become term ids in numpy. A
        passage's words are made terms in its article's language (the index's tokenizer for its own
        language, that language's for another's: an archive may hold English and Russian articles).
        """
        postings = Postings()
        tables: dict[str, ChunkTable] = {}
        remaining = iter(progress(passages) if progress else passages)
        while batch := list(islice(remaining, self.BATCH)):
            for code, run in groupby(batch, key=attrgetter("language")):
                tokenizer = self.tokenizer if code == self.tokenizer.language.code else tokenizer_for(code)
                if code not in tables:
                    tables[code] = ChunkTable(partial(self._chunk_ids, tokenizer=tokenizer))
                self._tokenise_batch([passage.text for passage in run], tables[code], postings, tokenizer)
        postings.flush()
        return postings

    def _tokenise_batch(self, texts: list[str], chunks: ChunkTable, postings: Postings, tokenizer: Tokenizer) -> None:
        """Add the term ids of a batch of passages in one language to postings."""
        folded = folded_batch(texts)
        ids = None if folded is None else chunks.term_ids(tokenizer.prepared(folded))
        if ids is not None:
            postings.add_many(ids, len(texts))
            return
        for text in texts:  # a passage holds the separator, or a hash collided: one at a time
            raw = tokenizer.raw_words(text)
            postings.add_many(np.array([self._term_id(word, tokenizer) for word in raw], dtype=np.int32), 1)

    def _chunk_ids(self, chunk: str, *, tokenizer: Tokenizer) -> list[int]:
        """Return the term ids of one chunk of folded text (BREAK for the separator)."""
        return [BREAK] if chunk == SEPARATOR else [self._term_id(raw, tokenizer) for raw in chunk_words(chunk)]

    def _term_id(self, raw: str, tokenizer: Tokenizer) -> int:
        """Return the term id of a raw token (STOP for a stop word), adding new terms to the vocabulary."""
        term = tokenizer.term_of(raw)
        return STOP if term is None else self.vocabulary.setdefault(term, len(self.vocabulary))

    def _full_build_statistics(self, indptr: npt.NDArray[np.integer]) -> None:
        """Set the statistics of every passage present, nothing removed (rows' extents `indptr`)."""
        self.df = np.diff(indptr).astype(np.int64)
        self._live = len(self.passages)
        self._deleted: npt.NDArray[np.bool_] | None = None  # passages removed since (never found)
        self._total_length = int(self.doc_len.sum(dtype=np.int64))
        self._collection_statistics()

    def _collection_statistics(self) -> None:
        """Set the idf of every term and the average passage length from df and doc_len."""
        # rank-bm25's BM25Plus idf: log((N + 1) / df), positive for every term.
        self.idf = np.log((self._live + 1) / np.maximum(self.df, 1).astype(np.float64))
        self.avgdl = self._total_length / self._live if self._total_length > 0 else 1.0

    def _norm(self) -> FloatArray:
        """Return each passage's length normalisation, k1 * (1 - b + b * length / average length)
        (removed passages' too, never used)."""
        k1, b = self.params.k1, self.params.b
        norm: FloatArray = k1 * (1 - b + b * self.doc_len.astype(np.float64) / self.avgdl)
        return norm

    def _weight(self, counts: npt.NDArray[np.int32], norm: FloatArray, idf: FloatArray | float) -> FloatArray:
        """Return BM25Plus weights (without delta) of term counts in passages with the given length
        normalisations: idf * count * (k1 + 1) / (count + norm). The same operations in the same
        order at build and when scoring, so that both give the same numbers to the last bit.

        `norm` is overwritten (a temporary at a million passages is ~100 MB).
        """
        weights = counts.astype(np.float64)
        norm += weights
        weights *= self.params.k1 + 1
        weights /= norm
        weights *= idf
        return weights

    def _start_base(self, impact: npt.NDArray[np.int32]) -> None:
        """Make the present weights the base: what pruning reads rows of in the order of `impact`."""
        self._impact, self._base_docs = impact, len(self.passages)
        self._base_idf, self._base_avgdl = self.idf, self.avgdl
        self._fresh: sparse.csr_array | None = None
        self._exact = True  # the base's weights are the scores (nothing added or removed since)
        self._norm_now = np.empty(0, dtype=np.float64)
        self._scale = np.ones(self.weights.shape[0], dtype=np.float64)
        self._dense = self._dense_positions()

    @functools.cached_property
    def _blocks(self) -> tuple[IntArray, FloatArray, npt.NDArray[np.int32]]:
        """The base's blocks for the compiled search (made at its first search: ~0.1 s at 1M)."""
        from bot.core.retrieval.compiled import blocks_of

        return blocks_of(self.weights.indptr, self.weights.indices, self.weights.data, self.pruning.block)

    def _bound_factors(self) -> FloatArray:
        """Return, for each row of the base, a factor no weight has grown by since the base.

        A weight is idf x f(count, length / average length), and f grows as the average length
        grows, by at most their ratio (each term of its denominator shrinks by at most that much)
        and not at all when it shrinks; idf changes by its own ratio. A hair more than the product
        covers rounding.
        """
        rows = self.weights.shape[0]
        growth = max(1.0, self.avgdl / self._base_avgdl)
        factors: FloatArray = self.idf[:rows] / self._base_idf * growth * (1 + 1e-9)
        return factors

    def _dense_positions(self) -> dict[int, npt.NDArray[np.int32]]:
        """Return, for the most common terms, each base passage's position in the term's postings (-1: absent).

        Looking a passage up in a long posting list by binary search misses the cache at every step;
        for the few terms found in a sixteenth or more of all passages, one array read replaces it.
        """
        indptr, n_docs = self.weights.indptr, self._base_docs
        df = np.diff(indptr)
        common = [
            int(row)
            for row in np.argsort(-df, kind="stable")[: self.pruning.dense_rows]
            if df[row] >= max(n_docs // 16, self.pruning.dense_min_df)
        ]
        dense = {}
        for row in common:
            positions = np.full(n_docs, -1, dtype=np.int32)
            positions[self.weights.indices[indptr[row] : indptr[row + 1]]] = np.arange(df[row], dtype=np.int32)
            dense[row] = positions
        return dense

    def _impact_order(self) -> npt.NDArray[np.int32]:
        """Return, for each term's postings, their positions ordered by weight (highest first).

        Equal weights may come in any order: only the weights' order matters to pruning.
        """
        indptr, data = self.weights.indptr, self.weights.data
        impact = np.empty(len(data), dtype=np.int32)
        df = np.diff(indptr)
        long = df >= self.pruning.sorted_alone
        for row in np.flatnonzero(long).tolist():  # each in cache, sorted alone
            start, stop = indptr[row], indptr[row + 1]
            impact[start:stop] = np.argsort(-data[start:stop])
        # the short rows together: sorted by row, then by weight
        owner = np.repeat(np.flatnonzero(~long), df[~long])
        positions = np.flatnonzero(np.repeat(~long, df))
        order = np.lexsort((-data[positions], owner))
        impact[positions] = positions[order] - indptr[owner[order]]
        return impact

    def __len__(self) -> int:
        return len(self.passages)

    def __contains__(self, term: object) -> bool:
        return self._row(term) is not None

    def _row(self, term: object) -> int | None:
        """Return the row of an index term some passage holds (a term only removed passages held: None)."""
        row = self.vocabulary.get(term) if isinstance(term, str) else None
        return row if row is not None and self.df[row] > 0 else None

    def holding(self, term: str) -> IntArray:
        """Return the passages that hold an index term, in order (removed ones left out)."""
        row = self._row(term)
        return np.empty(0, dtype=np.int64) if row is None else np.asarray(self._postings(row), dtype=np.int64)

    def document_frequency(self, term: str) -> int:
        """Return how many passages hold the index term."""
        row = self._row(term)
        return 0 if row is None else int(self.df[row])

    def document_frequency_in(self, term: str, start: int, stop: int) -> int:
        """Return how many of the passages numbered start to stop - 1 hold the index term."""
        return int(self.document_frequencies_in(term, np.array([start]), np.array([stop]))[0])

    def document_frequencies_in(self, term: str, starts: IntArray, stops: IntArray) -> IntArray:
        """Return, for each range of passages (starts[i] to stops[i] - 1), how many hold the index term."""
        row = self._row(term)
        if row is None:
            return np.zeros(len(starts), dtype=np.int64)
        postings = self._postings(row)
        found: IntArray = np.searchsorted(postings, stops) - np.searchsorted(postings, starts)
        return found

    def idf_of(self, term: str) -> float:
        """Return the BM25Plus idf of an index term (0 for a term no passage holds)."""
        row = self._row(term)
        return 0.0 if row is None else float(self.idf[row])

    def bm25_scores(self, query_terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """Return (passage numbers, rank-bm25 BM25Plus scores) for every passage holding any query term."""
        rows, constant = self._bm25_rows(query_terms)
        docs = self._holding(rows)
        return docs, self._score(docs, rows)[0] + constant

    def top_bm25(self, query_terms: Sequence[str], k: int) -> tuple[IntArray, FloatArray]:
        """Return the k best passages holding any query term and their rank-bm25 BM25Plus scores, best first."""
        rows, constant = self._bm25_rows(query_terms)
        docs, scores = self._rank(rows, k)
        return docs, scores + constant

    def warm_up(self) -> None:
        """Make the compiled search ready now (numba's import and cached loop, ~0.5 s, once per
        process), so that big searches take the compiled path; before it they take the numpy path,
        with the same results."""
        COMPILED.wait()

    def candidates(self, query: WeightedTerms, k: int) -> Candidates:
        """Return the k passages with the highest weighted BM25 scores (delta's constant left out), best first,
        and which of the query's terms each holds."""
        present = [
            (number, self.vocabulary[term], weight) for number, (term, weight) in enumerate(query) if term in self
        ]
        rows = [QueryRow(row, weight) for _, row, weight in present]
        docs, scores = self._rank(rows, k)
        order = np.argsort(docs, kind="stable")
        held = np.zeros((len(query), len(docs)), dtype=bool)
        if present:  # one pass over the postings: which candidate holds which term
            _, found = self._score(docs[order], [QueryRow(row, 1.0) for _, row, _ in present])
            numbers = np.array([number for number, _, _ in present], dtype=np.int64)
            held[numbers[:, None], order[None, :]] = found  # found's columns are the candidates sorted
        return Candidates(docs, scores, held)

    def _bm25_rows(self, query_terms: Sequence[str]) -> tuple[list[QueryRow], float]:
        """Return the rows of a rank-bm25 query (a repeated term counts again) and the score every
        passage gets from BM25Plus's delta, held or not."""
        counts = Counter(t for t in query_terms if t in self)
        rows = [QueryRow(self.vocabulary[term], float(count)) for term, count in counts.items()]
        constant = sum(self.idf[row.row] * self.params.delta * row.weight for row in rows)
        return rows, float(constant)

    def _holding(self, rows: Sequence[QueryRow]) -> IntArray:
        """Return, sorted, the passages that hold any of the rows' terms."""
        parts = [self._postings(row.row) for row in rows]
        return np.unique(np.concatenate([np.empty(0, dtype=np.int64), *parts])).astype(np.int64)

    def _rank(self, rows: Sequence[QueryRow], k: int) -> tuple[IntArray, FloatArray]:
        """Return the k best passages for weighted query rows and their scores, exactly, best first.

        Short rows are scored whole. Long rows are read in impact order (highest weight first), a
        chunk at a time: the k-th best score so far is a floor, and a passage not scored yet can add
        from each row at most that row's next weight. A row is read only as far as a passage could
        still reach the floor given what the other rows could add (MaxScore with shrinking bounds);
        when no row needs reading, no unscored passage can enter the top k. Scoring looks the
        passages up in every row's postings, which are sorted by passage.

        The impact order is the base's: a weight is at most its base weight times the row's factor,
        and the fresh segment's passages holding any query term are scored up front.
        """
        if k <= 0 or not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        if len(self.passages) <= self.pruning.small_corpus:
            # A few articles: scoring every passage holding a term costs less than any pruning.
            docs = self._holding(rows)
            scores = self._score(docs, rows)[0]
            order = _top(scores, k)
            return docs[order], scores[order]
        if self._exact and self.pruning.compiled and (search := COMPILED.get()) is not None:
            first, largest, last = self._blocks
            weights = self.weights
            return search(
                weights.indptr,
                weights.indices,
                weights.data,
                first,
                largest,
                last,
                self.pruning.block,
                np.array([row.row for row in rows], dtype=np.int64),
                np.array([row.weight for row in rows], dtype=np.float64),
                k,
            )
        indices, data, impact, scale = (
            self.weights.indices,
            self.weights.data,
            self._impact,
            self._scale,
        )
        weight_of: dict[int, float] = {}
        for query_row in rows:
            weight_of[query_row.row] = weight_of.get(query_row.row, 0.0) + query_row.weight
        spans = {row: self._base_span(row) for row in weight_of}
        # Short rows are read whole: their passages are all scored, so they bound nothing else.
        short = [indices[start:stop] for start, stop in spans.values() if stop - start <= self.pruning.short_row]
        fresh = [self._fresh_postings(row) for row in weight_of] if self._fresh is not None else []
        long_rows = {row: span for row, span in spans.items() if span[1] - span[0] > self.pruning.short_row}
        depth = max(4 * k, self.pruning.first_sample)
        consumed = {row: min(depth, stop - start) for row, (start, stop) in long_rows.items()}
        sample = [indices[start + impact[start : start + consumed[row]]] for row, (start, _) in long_rows.items()]
        docs = self._found(np.concatenate([*short, *fresh, *sample, np.empty(0, dtype=np.int64)]))
        best_docs, best_scores = _keep_top(docs, self._score(docs, rows)[0], k)
        chunk = self.pruning.score_budget
        while True:
            # The k-th best score so far sets a floor; each long row is read on, in weight order,
            # only as far as a passage could still reach it. Scoring raises the floor as it goes.
            threshold = float(best_scores[-1]) if len(best_scores) == k else 0.0
            floor = threshold * (1 - 1e-12)  # rounding must never prune a passage that ties
            # A passage not scored yet lies past every row's read part: its weight there is at most
            # the next base weight in that row's order, times the row's factor (nothing, once a row
            # is read whole).
            bound = {
                row: weight_of[row] * float(scale[row]) * float(data[start + impact[start + consumed[row]]])
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
            docs = self._found(np.concatenate(parts))
            scores = self._score(docs, rows)[0]
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
        could add at most: a base weight of at least that over the row's factor.
        """
        prefixes, skipped, total = {}, 0.0, sum(bound.values())
        for row in sorted(bound, key=bound.__getitem__):
            if skipped + bound[row] < floor:
                skipped += bound[row]
                continue
            need = floor - (total - bound[row])
            prefixes[row] = self._impact_prefix(*spans[row], need / weight_of[row] / float(self._scale[row]))
        return prefixes

    def _found(self, docs: npt.NDArray[np.integer]) -> IntArray:
        """Return passage numbers sorted, each once, the removed ones left out."""
        found: IntArray = np.unique(docs).astype(np.int64)
        return found if self._deleted is None else found[~self._deleted[found]]

    def _base_span(self, row: int) -> tuple[int, int]:
        """Return where a row's postings in the base start and stop (rows added since have none)."""
        if row >= self.weights.shape[0]:
            return 0, 0
        indptr = self.weights.indptr
        return int(indptr[row]), int(indptr[row + 1])

    def _fresh_postings(self, row: int) -> IntArray:
        """Return the passages of the fresh segment holding a term, in order (numbered in the index)."""
        fresh = self._fresh
        if fresh is None:
            return np.empty(0, dtype=np.int64)
        found: IntArray = fresh.indices[fresh.indptr[row] : fresh.indptr[row + 1]].astype(np.int64) + self._base_docs
        return found

    def _postings(self, row: int) -> npt.NDArray[np.integer]:
        """Return the passages holding a term, in order (removed ones left out)."""
        start, stop = self._base_span(row)
        base = self.weights.indices[start:stop]
        found = base if self._fresh is None else np.concatenate([base.astype(np.int64), self._fresh_postings(row)])
        return found if self._deleted is None else found[~self._deleted[found]]

    def _impact_prefix(self, start: int, stop: int, minimum: float) -> int:
        """Return how many of a row's base postings, in impact order, weigh at least `minimum`."""
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

    def _score(self, docs: IntArray, rows: Sequence[QueryRow]) -> tuple[FloatArray, BoolArray]:
        """Return the exact weighted BM25 scores of (sorted) docs, and which rows each doc holds."""
        indices, data = self.weights.indices, self.weights.data
        scores = np.zeros(len(docs), dtype=np.float64)
        held = np.zeros((len(rows), len(docs)), dtype=bool)
        fresh = self._fresh
        split = len(docs) if fresh is None else int(np.searchsorted(docs, self._base_docs))
        base_docs = docs[:split]
        base_scores, base_held = scores[:split], held[:, :split]
        norm = None if self._exact else self._norm_now[base_docs]
        for number, row in enumerate(rows):
            start, stop = self._base_span(row.row)
            if stop == start or not split:
                continue
            dense = self._dense.get(row.row)
            found: npt.NDArray[np.integer]
            if dense is not None:
                found = dense[base_docs]
                hit = found >= 0
            else:
                found, hit = _look_up(indices[start:stop], base_docs)
            if norm is None:
                base_scores[hit] += row.weight * data[start + found[hit]]
            else:  # the weight a full build would have stored, from the count and the statistics now
                weights = self._weight(self.counts[start + found[hit]], norm[hit], self.idf[row.row])
                base_scores[hit] += row.weight * weights
            base_held[number] = hit
        if fresh is not None and split < len(docs):
            fresh_docs = docs[split:] - self._base_docs
            fresh_norm = self._norm_now[docs[split:]]
            for number, row in enumerate(rows):
                start, stop = int(fresh.indptr[row.row]), int(fresh.indptr[row.row + 1])
                if stop == start:
                    continue
                found, hit = _look_up(fresh.indices[start:stop], fresh_docs)
                weights = self._weight(fresh.data[start + found[hit]], fresh_norm[hit], self.idf[row.row])
                scores[split:][hit] += row.weight * weights
                held[number, split:] = hit
        return scores, held


def _look_up(postings: npt.NDArray[np.int32], docs: IntArray) -> tuple[npt.NDArray[np.integer], BoolArray]:
    """Return where each of (sorted) docs stands in a non-empty posting list, and whether it is there."""
    found: npt.NDArray[np.integer] = np.minimum(np.searchsorted(postings, docs), len(postings) - 1)
    return found, postings[found] == docs


class _Compiled:
    """The compiled search, made ready by an explicit warm_up() (importing numba and loading the
    compiled loop from numba's cache take ~0.5 s of the interpreter): until then, and where numba
    cannot load, big searches take the numpy path, with the same results. The bot warms up in a
    thread of its own at start (telegram/app.py), so its first answer is not slowed by it."""

    def __init__(self) -> None:
        self.search: Callable[..., tuple[IntArray, FloatArray]] | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._begun = False  # _prepare has started (it runs once)

    def get(self) -> Callable[..., tuple[IntArray, FloatArray]] | None:
        """Return the compiled search if warm_up() made it ready, else None (the numpy path)."""
        return self.search

    def wait(self, timeout: float = 120.0) -> bool:
        """Make the compiled search ready now (once per process); return whether it is."""
        self._prepare()
        self._ready.wait(timeout)
        return self.search is not None

    def _prepare(self) -> None:
        with self._lock:
            if self._begun:
                return
            self._begun = True
        try:
            from bot.core.retrieval.compiled import blocks_of, top_k

            # Each kind of array the search is given is compiled (or loaded) once: the two index
            # widths scipy uses, writable (a build) and read-only (a snapshot mapped from disk).
            for width in (np.int32, np.int64):
                for writable in (True, False):
                    indptr: npt.NDArray[np.integer] = np.array([0, 1], width)
                    indices, data = np.array([0], np.int32), np.ones(1)
                    for array in (indptr, indices, data):
                        array.flags.writeable = writable
                    first, largest, last = blocks_of(indptr, indices, data, 64)
                    top_k(indptr, indices, data, first, largest, last, 64, np.zeros(1, np.int64), np.ones(1), 1)
            self.search = top_k
        except Exception as error:  # numba missing or broken: the numpy path gives the same results
            LOGGER.warning("searching without the compiled loop: %s", error)
        finally:
            self._ready.set()


COMPILED = _Compiled()


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
        # Every score tied with the k-th is a candidate, so that the first of them by position is kept.
        kth = -np.partition(-scores, k - 1)[k - 1]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))][:k].astype(np.int64)

"""Word meaning from a model shipped inside its package: wordllama's 256-dimension word vectors.

The vectors and tokenizer are files inside the wordllama wheel (`wordllama/weights/`,
`wordllama/tokenizers/`); they are loaded from there with downloads disabled, once per process.
A corpus's vocabulary is embedded once when its answerer is built; a question embeds its own few
words. Similarity is the cosine of two words' vectors, so "soldiers" finds "troops" and "ballot"
finds "vote" with no word list.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import cachetools
import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
DIMENSIONS = 256
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> Any:
    """Return wordllama's default model, read from the files its wheel ships, never downloaded."""
    import wordllama  # the import and the load are the costly part of a cold start: only once

    with _LOCK:
        return wordllama.WordLlama.load(
            dim=DIMENSIONS, cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )


def embed(words: Sequence[str]) -> Vectors:
    """Return unit vectors for words (one row each; a word the model cannot read gets zeros)."""
    if not words:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().embed(list(words), norm=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


# From this many words on, a question word is compared with the whole vocabulary once (and the row
# kept for the next REMEMBERED_ROWS words asked) instead of with each article's words in turn.
WHOLE_ROWS_FROM = 20_000
REMEMBERED_ROWS = 32
REMEMBERED_MATRICES = 4
# A float32 cosine is off by well under this; a word this close to a neighbour's is measured again.
RECHECKED_WITHIN = 1e-5


def _kept(
    cache: cachetools.LRUCache[bytes, npt.NDArray[np.float32]],
    lock: threading.Lock,
    key: bytes,
    make: Callable[[], npt.NDArray[np.float32]],
) -> npt.NDArray[np.float32]:
    """Return cache[key], made by make() if missing (questions are answered in several threads at once)."""
    with lock:
        found = cache.get(key)
    if found is None:
        found = make()
        with lock:
            cache[key] = found
    return found


class Vocabulary:
    """A corpus's words as written (folded) with their vectors, embedded once at build."""

    def __init__(self, words: Sequence[str], vectors: Vectors | None = None) -> None:
        """Embed the words, or take their vectors as given (a persisted index's, one row per word)."""
        self.words = tuple(words)
        # Which words the corpus still holds (None: all; see only()): the others, of removed
        # articles, keep their numbers and vectors but are nobody's neighbours.
        self.present: npt.NDArray[np.bool_] | None = None
        self.ids = {word: number for number, word in enumerate(self.words)}
        self.vectors = embed(self.words) if vectors is None else vectors
        if len(self.vectors) != len(self.words):
            raise ValueError(f"{len(self.vectors)} vectors for {len(self.words)} words")
        self._rows: cachetools.LRUCache[bytes, npt.NDArray[np.float32]] = cachetools.LRUCache(REMEMBERED_ROWS)
        self._matrices: cachetools.LRUCache[bytes, npt.NDArray[np.float32]] = cachetools.LRUCache(REMEMBERED_MATRICES)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.words)

    def extended(self, words: Sequence[str]) -> Vocabulary:
        """Return the vocabulary of `words`: these words (the same, in the same order) and new ones
        after them, which alone are embedded (a word's vector does not depend on the others)."""
        if tuple(words[: len(self.words)]) != self.words:
            raise ValueError("the words do not start with this vocabulary's own")
        fresh = list(words[len(self.words) :])
        return Vocabulary(words, np.concatenate([self.vectors, embed(fresh)]) if fresh else self.vectors)

    def only(self, present: npt.NDArray[np.bool_] | None) -> Vocabulary:
        """Return this vocabulary with only the words `present` found as neighbours (None: all)."""
        if present is None and self.present is None:
            return self
        vocabulary = copy.copy(self)  # the words, vectors and cached rows are shared
        vocabulary.present = present
        return vocabulary

    def similarity(self, questions: Vectors, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Return the cosine of each question vector (rows) to each vocabulary word `ids` (columns)."""
        if not len(ids):
            return np.zeros((len(questions), 0), dtype=np.float32)
        if len(self.words) >= WHOLE_ROWS_FROM:
            return self._matrix(questions)[:, ids]
        return np.asarray(questions @ self.vectors[ids].T, dtype=np.float32)

    def _matrix(self, questions: Vectors) -> npt.NDArray[np.float32]:
        """Return the question vectors' cosines to every vocabulary word, rows in the questions' order.

        A question's signals ask this for the same question vectors once per candidate article; the
        answer for the last few is kept.
        """

        def whole() -> npt.NDArray[np.float32]:
            rows = [self._row(vector) for vector in questions]
            return np.stack(rows) if rows else np.zeros((0, len(self.words)), dtype=np.float32)

        return _kept(self._matrices, self._lock, questions.tobytes(), whole)

    def _row(self, vector: Vectors) -> npt.NDArray[np.float32]:
        """Return a vector's cosine to every vocabulary word, kept for the words of the last questions.

        A question compares each of its words with the words of a hundred candidate articles, one
        article at a time; over a big vocabulary one product with all of it, once per word, costs
        less than gathering each article's vectors (1M passages: ~35% of the answer path).
        """
        return _kept(
            self._rows, self._lock, vector.tobytes(), lambda: np.asarray(self.vectors @ vector, dtype=np.float32)
        )

    def neighbours(self, vector: Vectors, *, floor: float, most: int) -> list[tuple[str, float]]:
        """Return at most `most` corpus words at least `floor` similar to a vector, most similar first."""
        if not len(self.words):
            return []
        scores = self._row(vector) if len(self.words) >= WHOLE_ROWS_FROM else self.vectors @ vector
        if self.present is not None:
            scores = np.where(self.present, scores, -np.inf).astype(np.float32)
        count = min(most, len(scores))
        # The product's float32 cosines round differently by a word's row (a grown vocabulary numbers
        # words in another order): the words within reach of the last place are measured again, one
        # by one in float64, and ties go to the word first in alphabetical order ("1767" and "1776"
        # share a vector). The same words win with the same similarities whatever their numbers.
        last = scores[np.argpartition(-scores, count - 1)[count - 1]]
        near = np.flatnonzero(scores >= max(last, floor) - RECHECKED_WITHIN)
        exact = (self.vectors[near].astype(np.float64) * vector.astype(np.float64)).sum(axis=1)
        near, exact = near[exact >= floor], exact[exact >= floor]
        words = np.array([self.words[n] for n in near.tolist()], dtype=object)
        best = np.lexsort((words, -exact))[:count]
        return [(str(words[n]), float(exact[n])) for n in best.tolist()]

"""What a retriever gives answering: candidate passages with their BM25 scores and matched query terms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from bot.core.corpus import Passage

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
# Wraps the passages an index reads while it builds (a progress bar, say).
Progress = Callable[[Sequence[Passage]], Iterable[Passage]]
# A query: index terms with the weight each counts at (1.0 for a question's own word).
WeightedTerms = Sequence[tuple[str, float]]


class Candidates(NamedTuple):
    """Passages a query reaches, best first: numbers, weighted BM25 scores, and which query terms each holds.

    `matched[i, j]` says whether candidate j holds the i-th query term.
    """

    docs: IntArray
    scores: FloatArray
    matched: BoolArray


class Retriever(Protocol):
    """What answering asks of an index over passages (bm25.Bm25Index is one): which terms it holds,
    the exact top candidates of a weighted query, and how many passages of a stretch hold a term.
    A second backend is a class with these methods; building, growing and persisting it are the
    serving wing's (bot.core.serving)."""

    def __len__(self) -> int:
        """Return how many passages it numbers (removed ones included)."""
        ...

    def __contains__(self, term: object) -> bool:
        """Whether any passage served holds the index term."""
        ...

    def candidates(self, query: WeightedTerms, k: int) -> Candidates:
        """Return the k passages with the highest weighted BM25 scores, exactly, best first."""
        ...

    def holding(self, term: str) -> IntArray:
        """Return the passages served that hold an index term, in order."""
        ...

    def document_frequency_in(self, term: str, start: int, stop: int) -> int:
        """Return how many of passages start to stop - 1 hold the index term."""
        ...

    def document_frequencies_in(self, term: str, starts: IntArray, stops: IntArray) -> IntArray:
        """Return, for each stretch of passages starts[i] to stops[i] - 1, how many hold the term."""
        ...

    def warm_up(self) -> None:
        """Make ready what the first big query would otherwise wait for (a compiled search)."""
        ...

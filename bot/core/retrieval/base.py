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
    """An index over passages that returns the exact top candidates of a weighted query."""

    passages: tuple[Passage, ...]

    def __contains__(self, term: object) -> bool:
        """Whether any passage holds the index term."""

    def document_frequency(self, term: str) -> int:
        """Return how many passages hold the index term."""

    def candidates(self, query: WeightedTerms, k: int) -> Candidates:
        """Return the k passages with the highest weighted BM25 scores, exactly, best first."""

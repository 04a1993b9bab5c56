"""What answering gives back: a question's result (its tier, its hits with their short answers, the
words fixed or never mentioned), and the question examined up to scoring, which the tiers are decided
on. Values only: every stage of answering (search.py, across.py, native.py, tiers.py) makes or reads
them, so they stand below all of those."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.core.answering.question import Concept, Question
from bot.core.answering.spans import Span
from bot.core.corpus import Passage
from bot.core.said import Text


class Tier(StrEnum):
    """How a reply presents its passages; its value is the JSON output's "tier"."""

    NONE = ""  # nothing quoted: refused, or not searched
    ANSWER = "answer"  # the answer, no caveat
    CLOSEST = "closest"  # the closest passages, saying what the article does not state
    SUMMARY = "summary"  # the lead and key sentences
    MORE = "more"  # what follows the passages quoted before
    ACROSS = "across"  # passages nearest in meaning to a question in another language


class Hit(NamedTuple):
    """A ranked passage with its score and the index terms it matched."""

    passage: Passage
    score: float
    matched: frozenset[str]
    position: int
    answer: Span | None = None  # the short answer this passage gives, for the top hit


class Correction(NamedTuple):
    """A question word that is not in the corpus, and the corpus word it was taken for."""

    word: str
    replacement: str


@dataclass(frozen=True)
class SearchResult:
    """What search found for a question: hits (empty when it abstains) and spelling fixes."""

    question: str
    hits: tuple[Hit, ...]
    corrections: tuple[Correction, ...] = ()
    suggestion: str | None = None
    error: Text | None = None  # why the question was not searched at all (English in JSON: str())
    missing: tuple[str, ...] = ()  # names or numbers the question hinges on that the corpus never mentions
    probability: float | None = None  # how likely the model judged it that the top passage answers
    tier: Tier = Tier.NONE  # how the passages are given (tiers.py); NONE when nothing is quoted
    notice: str | None = None  # a sentence said instead of quoting (nothing more to quote, say)
    # In the "closest" tier, and when refused: the question's words that none of the closest
    # passages says or means (what the article does not state).
    unexplained: tuple[str, ...] = ()
    unstated: tuple[str, ...] = ()  # of those, the ones the top passage's whole article never states
    asked: str = ""  # the kind of answer the question asks for, as a reader says it ("how many")

    @property
    def confident(self) -> bool:
        """Whether the top passage is given as the answer (not only as the closest passage)."""
        return self.tier is Tier.ANSWER

    @property
    def answered(self) -> bool:
        """Whether the corpus answers the question."""
        return bool(self.hits)


class Examined(NamedTuple):
    """A question taken through the pipeline up to scoring: what the fitted model is applied to."""

    question: Question
    concepts: tuple[Concept, ...]
    corrections: tuple[Correction, ...]
    suggestions: tuple[Correction, ...]
    unmentioned: tuple[Concept, ...]  # names, numbers, rare words it stands on that the corpus never mentions
    docs: npt.NDArray[np.int64]  # candidate passages, by article id and place in the article (see _by_article)
    rows: npt.NDArray[np.float64]  # their PASSAGE_SIGNALS
    weights: npt.NDArray[np.float64]  # candidates x concepts: each concept's weight in the candidate's article
    article_explained: npt.NDArray[np.float64]  # candidates x concepts: how well its article explains each
    eligible: npt.NDArray[np.bool_]  # candidates that may answer: the answer kind wanted, the attribute asked

    @property
    def missing(self) -> tuple[str, ...]:
        """Return the words the question stands on that the corpus never mentions."""
        return tuple(concept.word for concept in self.unmentioned)

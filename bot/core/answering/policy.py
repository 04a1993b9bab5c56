"""The tuning values of answering, in one frozen dataclass that callers and tests construct."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.answering.question import Want


def _default_boosts() -> dict[Want, float]:
    return {Want.QUANTITY: 0.6, Want.DATE: 0.5, Want.DURATION: 0.5, Want.NAME: 0.4}


@dataclass(frozen=True)
class AnswerPolicy:
    """How answering weighs evidence and reranks the kernel's candidates."""

    # How much a passage stating what the question word wants (a quantity for "how many") gains.
    want_boost: dict[Want, float] = field(default_factory=_default_boosts)
    # Keep hits whose score is at least this share of the best one: the rest are noise.
    relative_floor: float = 0.3
    # More than this share of a question's concepts must be found to answer it.
    min_coverage: float = 0.5
    # A number found counts for this much of a word; a misspelt word read as a corpus word, for this.
    number_strength: float = 0.5
    correction_weight: float = 0.8
    # A synonym counts for this much of the question's own word.
    synonym_weight: float = 0.7
    # A word is rare when its idf is at least this share of the highest idf possible (one passage).
    rare_idf_share: float = 0.75
    # How many of the kernel's best passages are reranked (at least k).
    candidates: int = 200
    # A longer question is not searched (no one asks in more words; it bounds the work per question).
    max_question: int = 1000

"""The fitted answering model: two linear scores read from a data file that bench/fit_answering.py writes.

The ranking score orders a question's candidate passages (PASSAGE_SIGNALS); the answer score, a
logistic model over QUESTION_SIGNALS, is the probability that the best passage answers, and the
bot abstains below the fitted threshold. Weights are fitted on data (scikit-learn's logistic
regression, leave-one-article-out cross-validated), never set by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.core.answering.signals import PASSAGE_SIGNALS, QUESTION_SIGNALS

MODEL_FILE = Path(__file__).with_name("model.json")
FORMAT = 1


class ModelError(ValueError):
    """A model file that is not one this code can use."""


@dataclass(frozen=True)
class Linear:
    """A linear score over named signals: standardised, weighted, plus an intercept."""

    names: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    intercept: float

    def score(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Return the score of each row."""
        return np.asarray(((rows - self.mean) / self.scale) @ self.coef + self.intercept, dtype=np.float64)

    def as_json(self) -> dict[str, object]:
        """Return the score as plain JSON values."""
        return {
            "names": list(self.names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: dict[str, object], names: Sequence[str]) -> Linear:
        """Return the score from its JSON values, checking it is over the expected signals."""
        if list(data.get("names", [])) != list(names):  # type: ignore[call-overload]
            raise ModelError("the model's signals are not this code's; refit it with bench/fit_answering.py")
        arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "coef")]
        if any(array.shape != (len(names),) for array in arrays):
            raise ModelError("the model's arrays do not match its signals")
        mean, scale, coef = arrays
        return cls(tuple(names), mean, scale, coef, float(data["intercept"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class AnswerModel:
    """How candidates are ranked and when the best one is trusted."""

    rank: Linear
    answer: Linear
    threshold: float  # answer probability below which the bot abstains
    # Below this probability the top passage is never given as the answer tier (tiers.Decider),
    # only as the closest; at or above, the Decider's tests decide. Fitted models set it to the
    # threshold (no fitted score held out tells right from wrong among the claims the tests let through).
    confident: float = 1.0

    def probability(self, question_rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Return the probability that each question's best passage answers it."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.answer.score(question_rows))), dtype=np.float64)

    def as_json(self) -> dict[str, object]:
        """Return the model as plain JSON values."""
        return {
            "format": FORMAT,
            "rank": self.rank.as_json(),
            "answer": self.answer.as_json(),
            "threshold": self.threshold,
            "confident": self.confident,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> AnswerModel:
        """Return the model from its JSON values."""
        if data.get("format") != FORMAT:
            raise ModelError(f"model format {data.get('format')!r} is not {FORMAT}")
        return cls(
            Linear.from_json(data["rank"], PASSAGE_SIGNALS),  # type: ignore[arg-type]
            Linear.from_json(data["answer"], QUESTION_SIGNALS),  # type: ignore[arg-type]
            float(data["threshold"]),  # type: ignore[arg-type]
            float(data.get("confident", 1.0)),  # type: ignore[arg-type]
        )

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        """Return the model in a file (the shipped one by default)."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelError(f"{path}: {error}") from error


def neutral_model() -> AnswerModel:
    """Return a model before any fitting: BM25 order and soft coverage, a middle threshold.

    Used only to bootstrap bench/fit_answering.py when no model file exists; never shipped.
    """
    count, questions = len(PASSAGE_SIGNALS), len(QUESTION_SIGNALS)
    rank_coef = np.zeros(count)
    rank_coef[PASSAGE_SIGNALS.index("bm25_share")] = 1.0
    rank_coef[PASSAGE_SIGNALS.index("soft")] = 1.0
    answer_coef = np.zeros(questions)
    answer_coef[QUESTION_SIGNALS.index("top_soft")] = 1.0
    return AnswerModel(
        Linear(PASSAGE_SIGNALS, np.zeros(count), np.ones(count), rank_coef, 0.0),
        Linear(QUESTION_SIGNALS, np.zeros(questions), np.ones(questions), answer_coef, -0.5),
        0.5,
    )

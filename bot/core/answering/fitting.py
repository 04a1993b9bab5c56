"""Fitting the answering model on question sets, and judging it by leave-one-article-out cross-validation.

A group is one article (a corpus of its own) with its questions. Every candidate passage of every
question is measured once (Answerer.examine); fitting then only weighs the measures. The ranking
score is a logistic regression telling passages that contain a gold answer from those that do not;
the answer score a logistic regression telling questions whose best passage answers from the rest
(unanswerable ones included); the threshold is the highest at which no more than `false_limit` of
the answerable training questions are refused. Above it, the tier (answer or closest) is
decided by tiers.Decider, whose tests are not fitted. Every figure reported for held-out articles comes
from a model fitted without them. scikit-learn is imported here only: answering itself applies the
fitted weights with numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.core.answering.model import AnswerModel, Linear
from bot.core.answering.results import Examined, Tier
from bot.core.answering.search import Answerer
from bot.core.answering.signals import PASSAGE_SIGNALS, QUESTION_SIGNALS
from bot.core.answering.tiers import Decider, judge


@dataclass(frozen=True)
class Sample:
    """One question of a group, measured: its gold answers (none: unanswerable) and what examine found."""

    question: str
    answers: tuple[str, ...]
    examined: Examined | None
    labels: npt.NDArray[np.bool_]  # per candidate: its text holds a gold answer
    texts: tuple[str, ...]  # per candidate: its text
    source: str = ""  # which question file it came from


@dataclass(frozen=True)
class Group:
    """One article's questions, measured against it as a corpus."""

    name: str
    samples: list[Sample] = field(default_factory=list)


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a passage text contains one of the gold answers (case-folded)."""
    folded = text.casefold()
    return any(answer.casefold() in folded for answer in answers)


def measure_group(name: str, answerer: Answerer, questions: Sequence[tuple[str, tuple[str, ...], str]]) -> Group:
    """Return a group: each (question, gold answers, source) examined against the answerer's corpus."""
    group = Group(name)
    for question, answers, source in questions:
        examined = answerer.examine(question)
        texts: tuple[str, ...] = ()
        if examined is not None and len(examined.docs):
            texts = tuple(answerer.passages[doc].text for doc in examined.docs.tolist())
        labels = np.array([contains_answer(text, answers) for text in texts] if answers else [False] * len(texts), bool)
        group.samples.append(Sample(question, answers, examined, labels, texts, source))
    return group


def _usable(sample: Sample) -> bool:
    return sample.examined is not None and bool(sample.examined.eligible.any())


def _fit_linear(
    rows: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    names: Sequence[str],
    c: float,
    weights: npt.NDArray[np.float64] | None = None,
) -> Linear:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(rows)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    standard = (rows - scaler.mean_) / scale
    fitted = LogisticRegression(C=c, max_iter=2000).fit(standard, labels, sample_weight=weights)
    return Linear(
        tuple(names),
        scaler.mean_.astype(np.float64),
        scale,
        fitted.coef_[0].astype(np.float64),
        float(fitted.intercept_[0]),
    )


def _question_rows(rank: Linear, samples: Sequence[Sample]) -> tuple[npt.NDArray[np.float64], list[int]]:
    """Return each usable sample's QUESTION_SIGNALS under a ranking score, and its best candidate."""
    rows, tops = [], []
    for sample in samples:
        assert sample.examined is not None
        _, top, row = judge(rank, sample.examined)
        rows.append(row)
        tops.append(top)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(QUESTION_SIGNALS)), tops


def choose_threshold(
    probabilities: npt.NDArray[np.float64], answerable: npt.NDArray[np.bool_], *, false_limit: float
) -> float:
    """Return the highest threshold refusing at most `false_limit` of the answerable questions."""
    scores = np.sort(probabilities[answerable])
    if not len(scores):
        return 0.5
    allowed = int(np.floor(false_limit * len(scores)))
    return float(scores[allowed]) if allowed < len(scores) else float(scores[-1])


def fit(groups: Sequence[Group], *, false_limit: float = 0.05, c: float = 1.0) -> AnswerModel:
    """Return the answering model fitted on every question of the groups."""
    # Each article weighs the same, however many questions it has: the bot is for every article.
    share = {id(sample): 1.0 / len(group.samples) for group in groups for sample in group.samples}
    samples = [sample for group in groups for sample in group.samples if _usable(sample)]
    answerable = [sample for sample in samples if sample.answers and sample.labels.any()]
    rows = np.concatenate([sample.examined.rows for sample in answerable])  # type: ignore[union-attr]
    labels = np.concatenate([sample.labels for sample in answerable])
    row_weights = np.concatenate([np.full(len(sample.labels), share[id(sample)]) for sample in answerable])
    rank = _fit_linear(rows, labels, PASSAGE_SIGNALS, c, row_weights / row_weights.mean())
    question_rows, tops = _question_rows(rank, samples)
    right = np.array([bool(sample.labels[top]) for sample, top in zip(samples, tops, strict=True)])
    question_weights = np.array([share[id(sample)] for sample in samples])
    answer = _fit_linear(question_rows, right, QUESTION_SIGNALS, c, question_weights / question_weights.mean())
    model = AnswerModel(rank, answer, 0.5)
    probabilities = model.probability(question_rows)
    is_answerable = np.array([bool(sample.answers) for sample in samples])
    # Answerable questions refused before the model (no candidate at all) count against the limit too.
    every = [sample for group in groups for sample in group.samples if sample.answers]
    refused_before = sum(not _usable(sample) for sample in every)
    limit = max(0.0, (false_limit * len(every) - refused_before) / max(int(is_answerable.sum()), 1))
    threshold = choose_threshold(probabilities, is_answerable, false_limit=limit)
    # Every question answered at all may be answered in the answer tier: the Decider's tests decide.
    return AnswerModel(rank, answer, threshold, threshold)


@dataclass(frozen=True)
class Prediction:
    """What a model did with one held-out question: candidates' texts best first (empty: abstained)."""

    sample: Sample
    texts: tuple[str, ...]
    probability: float  # -1 when it had no candidate at all
    tier: Tier = Tier.NONE


def predict(model: AnswerModel, samples: Sequence[Sample], *, k: int = 3) -> list[Prediction]:
    """Return the model's answers to measured questions (as Answerer.search would give them)."""
    found = []
    for sample in samples:
        if not _usable(sample):
            found.append(Prediction(sample, (), -1.0))
            continue
        examined = sample.examined
        assert examined is not None
        decision = Decider(model).decide(examined, sample.texts.__getitem__)
        texts = tuple(sample.texts[n] for n in decision.order[:k].tolist()) if decision.tier is not Tier.NONE else ()
        found.append(Prediction(sample, texts, decision.probability, decision.tier))
    return found


def cross_validate(
    groups: Sequence[Group],
    *,
    false_limit: float = 0.05,
    c: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> list[Prediction]:
    """Return every question's prediction from a model fitted on the other groups (leave one article out)."""
    predictions: list[Prediction] = []
    for held in groups:
        model = fit([group for group in groups if group is not held], false_limit=false_limit, c=c)
        predictions.extend(predict(model, held.samples))
        if progress is not None:
            progress(held.name)
    return predictions


def curve(predictions: Sequence[Prediction], thresholds: Sequence[float]) -> list[tuple[float, float, float]]:
    """Return (threshold, abstention on unanswerable, false abstentions on answerable) at each threshold.

    The held-out probabilities are compared with each threshold in place of the fitted ones.
    """
    answerable = [p for p in predictions if p.sample.answers]
    unanswerable = [p for p in predictions if not p.sample.answers]
    result = []
    for threshold in thresholds:
        abstained = sum(p.probability < threshold for p in unanswerable) / max(len(unanswerable), 1)
        refused = sum(p.probability < threshold for p in answerable) / max(len(answerable), 1)
        result.append((threshold, abstained, refused))
    return result

"""Answer quality over a question set: top-1 and top-3 accuracy, abstention, false abstentions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.answering.search import SearchResult


class EvalFileError(ValueError):
    """An evaluation file line that is not {"q": str, "expect": [str, ...] | null}."""


@dataclass(frozen=True)
class EvalCase:
    """A question and the phrases of which the top passage must contain one (None: must abstain)."""

    q: str
    expect: tuple[str, ...] | None


@dataclass(frozen=True)
class EvalReport:
    """The figures of one evaluation run and the questions that missed."""

    answerable: int
    unanswerable: int
    top1: float
    top3: float
    abstention: float
    false_abstentions: int
    misses: tuple[str, ...]

    def lines(self) -> list[str]:
        """Return the report as printable lines."""
        return [
            f"answerable questions:   {self.answerable}",
            f"top-1 accuracy:         {self.top1:.1%}",
            f"top-3 accuracy:         {self.top3:.1%}",
            f"unanswerable questions: {self.unanswerable}",
            f"abstention accuracy:    {self.abstention:.1%}",
            f"false abstentions:      {self.false_abstentions}",
            *(f"miss: {miss}" for miss in self.misses),
        ]


def read_cases(path: Path) -> list[EvalCase]:
    """Return the cases of a JSON-lines file; raise EvalFileError naming the bad line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, expect = row["q"], row["expect"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise EvalFileError(f"{path}:{number}: not a {{'q': ..., 'expect': ...}} object ({error})") from error
        if not isinstance(question, str) or not (
            expect is None or (isinstance(expect, list) and all(isinstance(e, str) for e in expect))
        ):
            raise EvalFileError(f"{path}:{number}: 'q' must be text and 'expect' a list of text or null")
        cases.append(EvalCase(question, None if expect is None else tuple(expect)))
    return cases


def _contains(text: str, phrases: Sequence[str]) -> bool:
    folded = text.casefold()
    return any(phrase.casefold() in folded for phrase in phrases)


def evaluate(search: Callable[[str, int], SearchResult], cases: Iterable[EvalCase], *, k: int = 3) -> EvalReport:
    """Return how well a search function (Engine.search, say) answers the cases."""
    answerable = unanswerable = top1 = top3 = abstained_right = false_abstentions = 0
    misses: list[str] = []
    for case in cases:
        hits = search(case.q, k).hits
        if case.expect is None:
            unanswerable += 1
            abstained_right += not hits
            if hits:
                misses.append(f"answered {case.q!r} with {hits[0].passage.text!r}")
            continue
        answerable += 1
        texts = [hit.passage.text for hit in hits]
        top1 += bool(texts) and _contains(texts[0], case.expect)
        top3 += any(_contains(text, case.expect) for text in texts[:3])
        false_abstentions += not hits
        if not texts or not _contains(texts[0], case.expect):
            misses.append(f"{case.q!r} -> {texts[0] if texts else 'no answer'!r}")
    return EvalReport(
        answerable,
        unanswerable,
        top1 / answerable if answerable else 1.0,
        top3 / answerable if answerable else 1.0,
        abstained_right / unanswerable if unanswerable else 1.0,
        false_abstentions,
        tuple(misses),
    )

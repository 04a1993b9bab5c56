"""The evaluation set holds the quality bar: top-1, top-3, abstention, false abstentions."""

from __future__ import annotations

from pathlib import Path

from bot.core.engine import Engine
from bot.core.evaluate import evaluate, read_cases

EVAL_SET = Path(__file__).parent / "eval_questions.jsonl"


def test_eval_set_is_big_enough() -> None:
    cases = read_cases(EVAL_SET)
    assert sum(case.expect is not None for case in cases) >= 40
    assert sum(case.expect is None for case in cases) >= 12


def test_quality_bar(engine: Engine) -> None:
    report = evaluate(engine.search, read_cases(EVAL_SET), k=3)
    assert report.top1 >= 0.90, report.lines()
    assert report.top3 >= 0.97, report.lines()
    assert report.abstention >= 0.90, report.lines()
    assert report.false_abstentions <= 1, report.lines()


def test_evaluate_counts_misses(engine: Engine) -> None:
    from bot.core.evaluate import EvalCase

    report = evaluate(
        engine.search,
        [EvalCase("how many troops", ("10,000",)), EvalCase("how many troops", ("Kursk",)), EvalCase("troops", None)],
    )
    assert (report.top1, report.abstention, report.false_abstentions) == (0.5, 0.0, 0)
    assert len(report.misses) == 2

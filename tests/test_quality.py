"""The evaluation set holds the quality bar: top-1, top-3, abstention, false abstentions."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.evaluate import evaluate, read_cases
from bot.core.serving import Index

EVAL_SET = Path(__file__).parent / "eval_questions.jsonl"


def test_eval_set_is_big_enough() -> None:
    cases = read_cases(EVAL_SET)
    assert sum(case.expect is not None for case in cases) >= 40
    assert sum(case.expect is None for case in cases) >= 12


def test_quality_bar(engine: Index) -> None:
    report = evaluate(engine.search, read_cases(EVAL_SET), k=3)
    assert report.top1 >= 0.95, report.lines()
    assert report.top3 >= 0.97, report.lines()
    # The fitted model abstains less on this article than the hand-set rules it replaced (90%+);
    # README states the trade and the cross-validated figures.
    assert report.abstention >= 0.75, report.lines()
    assert report.false_abstentions <= 1, report.lines()


def test_questions_as_people_type_them(engine: Index) -> None:
    # Written before the answering rework (tests/eval_typed.jsonl); its figures then were top-1 44%,
    # abstention 50%, 14 false abstentions. A floor at what was measured since (abstention 61% after the
    # rework, 78% once "how many X" needs X and an attribute its very word), not the target.
    report = evaluate(engine.search, read_cases(Path(__file__).parent / "eval_typed.jsonl"), k=3)
    assert report.top1 >= 0.88, report.lines()
    assert report.top3 >= 0.97, report.lines()
    assert report.abstention >= 0.60, report.lines()
    assert report.false_abstentions <= 2, report.lines()


def test_evaluate_counts_misses(engine: Index) -> None:
    from bot.core.evaluate import EvalCase

    report = evaluate(
        engine.search,
        [EvalCase("how many troops", ("10,000",)), EvalCase("how many troops", ("Kursk",)), EvalCase("troops", None)],
    )
    assert (report.top1, report.abstention, report.false_abstentions) == (0.5, 0.0, 0)
    assert len(report.misses) == 2


def test_squad_evaluation_counts_both_systems(tmp_path: Path) -> None:
    from bot.core.evaluate import evaluate_squad, squad_lines

    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Convoy",
                "paragraphs": [
                    {
                        "context": "The convoy reached the border on Friday. It carried 40 trucks of grain.",
                        "qas": [
                            {
                                "question": "When did the convoy reach the border?",
                                "id": "1",
                                "answers": [{"text": "Friday", "answer_start": 31}],
                                "is_impossible": False,
                            },
                            {
                                "question": "How many trucks did the convoy carry?",
                                "id": "2",
                                "answers": [{"text": "40", "answer_start": 52}],
                                "is_impossible": False,
                            },
                            {
                                "question": "Who won the football match?",
                                "id": "3",
                                "answers": [],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    tallies = evaluate_squad(path)
    bot, baseline = tallies["bot"]["*"], tallies["baseline"]["*"]
    assert (bot.answerable, bot.unanswerable) == (baseline.answerable, baseline.unanswerable) == (2, 1)
    assert bot.top1 == 2
    assert bot.abstained_right == 1
    assert baseline.abstained_right == 0  # the textbook baseline never abstains
    assert any(line.startswith("TOTAL") for line in squad_lines(tallies))

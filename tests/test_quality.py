"""Quality bars: top-1, top-3, abstention, false abstentions.

Two kinds. In-sample: the shipped article's question files, on which the shipped model.json was fitted
(bench/fit_answering.py's OWN), so they show a corpus answers as before, not that the model
generalises. Held out: three articles of other publications and topics with questions of their own
(tests/heldout/), which no fitting script reads; a model that learnt the shipped article's questions
instead of how articles are answered falls below these floors.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.evaluate import Tally, evaluate, read_cases
from bot.core.serving import Index
from tests.conftest import HELD_OUT, HELD_OUT_ARTICLES

EVAL_SET = Path(__file__).parent / "eval_questions.jsonl"


def test_eval_set_is_big_enough() -> None:
    cases = read_cases(EVAL_SET)
    assert sum(case.expect is not None for case in cases) >= 40
    assert sum(case.expect is None for case in cases) >= 12


def test_in_sample_quality_bar(engine: Index) -> None:
    report = evaluate(engine.search, read_cases(EVAL_SET), k=3)
    assert report.top1 >= 0.95, report.lines()
    assert report.top3 >= 0.97, report.lines()
    # The fitted model abstains less on this article than the hand-set rules it replaced (90%+);
    # README states the trade and the cross-validated figures.
    assert report.abstention >= 0.75, report.lines()
    assert report.false_abstentions <= 1, report.lines()


def test_in_sample_questions_as_people_type_them(engine: Index) -> None:
    # Written before the answering rework (tests/eval_typed.jsonl); its figures then were top-1 44%,
    # abstention 50%, 14 false abstentions. A floor at what was measured since (abstention 61% after the
    # rework, 78% once "how many X" needs X and an attribute its very word), not the target.
    report = evaluate(engine.search, read_cases(Path(__file__).parent / "eval_typed.jsonl"), k=3)
    assert report.top1 >= 0.88, report.lines()
    assert report.top3 >= 0.97, report.lines()
    assert report.abstention >= 0.60, report.lines()
    assert report.false_abstentions <= 2, report.lines()


def held_out_tallies(engines: dict[str, Index]) -> tuple[dict[str, Tally], Tally, Tally]:
    """Return the bot's tally per held-out article, its total, and the textbook baseline's total."""
    from bot.core.evaluate import _baseline

    per_article, total, baseline = {}, Tally(), Tally()
    for name, engine in engines.items():
        tally = per_article[name] = Tally()
        textbook = _baseline(engine.corpus.passages)
        for case in read_cases(HELD_OUT / f"{name}.jsonl"):
            texts = [hit.passage.text for hit in engine.search(case.q, 3).hits]
            tally.add(case.expect or (), texts)
            total.add(case.expect or (), texts)
            baseline.add(case.expect or (), textbook(case.q))
    return per_article, total, baseline


def test_held_out_sets_are_big_enough() -> None:
    for name in HELD_OUT_ARTICLES:
        cases = read_cases(HELD_OUT / f"{name}.jsonl")
        assert sum(case.expect is not None for case in cases) >= 20, name
        assert sum(case.expect is None for case in cases) >= 10, name


def test_no_fitting_script_reads_the_held_out_questions() -> None:
    import bench.fit_answering

    root = HELD_OUT.parent.parent
    assert all(HELD_OUT not in path.parents for path in bench.fit_answering.OWN)
    readers = [path for path in [*root.glob("bench/*.py"), *root.glob("bot/**/*.py")] if "heldout" in path.read_text()]
    assert readers == []


def test_held_out_quality_floors(held_out_engines: dict[str, Index]) -> None:
    # Measured with the shipped model.json on 2026-12-07 (74 answerable, 30 unanswerable questions;
    # each article its own corpus): top-1 70.3%, top-3 79.7%, abstention 33.3%, 6 false abstentions
    # (at most 3 in one article); the textbook baseline top-1 67.6%, overall 48.1% against the bot's 59.6%.
    # A model fitted on the shipped article's questions alone refused 9-10 answerable questions here,
    # 5-6 of them in one article, while passing the in-sample bars above.
    per_article, total, baseline = held_out_tallies(held_out_engines)
    figures, textbook = total.figures(), baseline.figures()
    report = {name: tally.figures() for name, tally in per_article.items()}
    assert figures["top1"] >= 0.65, report
    assert figures["top3"] >= 0.75, report
    assert figures["abstention"] >= 0.25, report
    assert total.false_abstentions <= 8, report
    assert max(tally.false_abstentions for tally in per_article.values()) <= 4, report
    assert figures["overall"] >= textbook["overall"] + 0.05, (figures, textbook)


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


def test_held_out_answer_tier_claims(held_out_engines: dict[str, Index]) -> None:
    # The answer tier (a quote given as the answer, no caveat) on articles no fitting or tuning read.
    # Measured on 2026-12-07: 34 of 74 answerable questions claimed, 31 of them rightly; 4 of the 30
    # unanswerable ones claimed (31 of 38 claims right, 82%; before the meaning check 32 of 41, 78%).
    # A false claim is the worst thing the bot can say: these floors keep a change from trading more
    # of them for reach unnoticed.
    from bot.core.answering.fitting import contains_answer

    claims = right = unanswerable_claims = reached = 0
    for name, engine in held_out_engines.items():
        for case in read_cases(HELD_OUT / f"{name}.jsonl"):
            result = engine.search(case.q, 3)
            if not result.confident:
                continue
            claims += 1
            if case.expect:
                reached += 1
                right += contains_answer(result.hits[0].passage.text, case.expect)
            else:
                unanswerable_claims += 1
    assert reached >= 30, (reached, right, unanswerable_claims)
    assert right >= 0.7 * claims, (claims, right, unanswerable_claims)
    assert unanswerable_claims <= 6, (claims, right, unanswerable_claims)

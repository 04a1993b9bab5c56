"""Fitting the answering model on tiny data: the threshold rule, leave-one-article-out folds, a model
file reproduced byte for byte by bench/fit_answering.py --write."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from bench.fit_answering import model_text
from bot import cli
from bot.core.answering.fitting import Group, choose_threshold, cross_validate, fit, predict
from bot.core.articles.store import check_corpus
from bot.core.corpus import build_corpus
from bot.core.evaluate import measure_sets
from tests.conftest import CORPUS_DIR, ROOT


def _paragraph(context: str, qas: list[tuple[str, str | None]]) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    for number, (question, answer) in enumerate(qas):
        answers = [] if answer is None else [{"text": answer, "answer_start": context.index(answer)}]
        rows.append({"question": question, "id": str(number), "answers": answers, "is_impossible": answer is None})
    return {"context": context, "qas": rows}


# Three small articles in SQuAD 2.0's format: answerable questions and ones their paragraphs do not answer.
TINY_SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Harbour_Bridge",
            "paragraphs": [
                _paragraph(
                    "The Harbour Bridge opened to traffic in 1932 after eight years of construction. It is 1,149 "
                    "metres long and carries eight lanes of traffic. About 1,400 workers built the bridge.",
                    [
                        ("When did the Harbour Bridge open?", "1932"),
                        ("How long is the bridge?", "1,149 metres"),
                        ("How many workers built the bridge?", "1,400"),
                        ("How many lanes does the bridge carry?", "eight lanes"),
                        ("How much is the toll on the bridge?", None),
                    ],
                ),
                _paragraph(
                    "The bridge was designed by the engineer John Bradfield. Its arch was made from 52,800 tonnes "
                    "of steel. Painting the bridge takes a team of painters several years.",
                    [
                        ("Who designed the bridge?", "John Bradfield"),
                        ("How much steel is in the arch?", "52,800 tonnes"),
                        ("What colour is the bridge painted?", None),
                        ("When was the bridge last renovated?", None),
                    ],
                ),
            ],
        },
        {
            "title": "Coffee",
            "paragraphs": [
                _paragraph(
                    "Coffee is grown in more than 70 countries. Brazil is the largest producer, followed by "
                    "Vietnam and Colombia. The two main species are arabica and robusta.",
                    [
                        ("Which country produces the most coffee?", "Brazil"),
                        ("In how many countries is coffee grown?", "70"),
                        ("What are the main species of coffee?", "arabica and robusta"),
                        ("Who discovered coffee?", None),
                        ("What is the price of coffee in Brazil?", None),
                    ],
                ),
                _paragraph(
                    "Arabica accounts for about 60 percent of world production. Coffee plants take three to four "
                    "years to produce their first fruit.",
                    [
                        ("What share of production is arabica?", "60 percent"),
                        ("How long do coffee plants take to fruit?", "three to four years"),
                        ("How much coffee does Italy drink?", None),
                    ],
                ),
            ],
        },
        {
            "title": "Marathon",
            "paragraphs": [
                _paragraph(
                    "The marathon is a long-distance race of 42.195 kilometres. The distance was fixed in 1921. "
                    "The race recalls the run of the messenger Pheidippides from Marathon to Athens.",
                    [
                        ("How long is a marathon?", "42.195 kilometres"),
                        ("When was the marathon distance fixed?", "1921"),
                        ("Who ran from Marathon to Athens?", "Pheidippides"),
                        ("What is the marathon world record?", None),
                    ],
                ),
                _paragraph(
                    "The first modern Olympic marathon was held in Athens in 1896. It was won by Spyridon Louis.",
                    [
                        ("Who won the first Olympic marathon?", "Spyridon Louis"),
                        ("Where was the first Olympic marathon held?", "Athens in 1896"),
                        ("Who won the marathon in 2020?", None),
                        ("How many people run marathons each year?", None),
                    ],
                ),
            ],
        },
    ],
}

OWN_QUESTIONS = [
    {"q": "how many troops", "expect": ["10,000"]},
    {"q": "who signed the treaty", "expect": ["Putin signed"]},
    {"q": "when did the senators vote", "expect": ["Wednesday"]},
    {"q": "what did rudenko say", "expect": ["timely", "new heights"]},
    {"q": "Who is the US president?", "expect": None},
    {"q": "Did China sign the treaty?", "expect": None},
]


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny SQuAD file and a tiny own question file on the shipped article."""
    folder = tmp_path_factory.mktemp("tiny")
    squad, own = folder / "squad.json", folder / "own.jsonl"
    squad.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    own.write_text("".join(json.dumps(row) + "\n" for row in OWN_QUESTIONS), encoding="utf-8")
    return squad, own


@pytest.fixture(scope="module")
def tiny_groups(tiny_files: tuple[Path, Path]) -> list[Group]:
    """Every question of the tiny files measured: one group per article (three SQuAD, the shipped one)."""
    squad, own = tiny_files
    articles, _ = check_corpus(CORPUS_DIR)
    groups, _ = measure_sets(squad, [own], build_corpus(articles))
    return groups


@pytest.mark.parametrize("size", [1, 7, 19, 20, 21, 100, 101])
def test_the_threshold_is_the_highest_refusing_at_most_the_limit(size: int) -> None:
    rng = np.random.default_rng(size)
    probabilities = rng.permutation(np.linspace(0.01, 0.99, size * 2))
    answerable = np.arange(size * 2) % 2 == 0  # the unanswerable half never counts against the limit
    threshold = choose_threshold(probabilities, answerable, false_limit=0.05)
    scores = np.sort(probabilities[answerable])
    refused = int((scores < threshold).sum())
    assert refused <= 0.05 * size
    # The highest such threshold: the next answerable probability up would refuse one question too many.
    higher = scores[scores > threshold]
    assert not len(higher) or int((scores < higher[0]).sum()) > 0.05 * size


def test_a_fitted_model_refuses_at_most_5_percent_of_its_answerable_training_questions(
    tiny_groups: list[Group],
) -> None:
    model = fit(tiny_groups)
    samples = [sample for group in tiny_groups for sample in group.samples]
    predictions = predict(model, samples)
    answerable = [p for p in predictions if p.sample.answers]
    refused = [p for p in answerable if not p.texts]
    assert len(answerable) == 20
    assert len(refused) <= 0.05 * len(answerable)  # at most 1 of 20
    # ... and it is the highest threshold that does so: the next answerable probability up would refuse 2.
    before = sum(p.probability < 0 for p in answerable)  # no candidate at all: refused before the model
    higher = sorted(p.probability for p in answerable if p.probability > model.threshold + 1e-9)
    assert sum(0 <= p.probability < higher[0] for p in answerable) + before > 0.05 * len(answerable)


def test_cross_validation_answers_each_article_with_a_model_fitted_on_the_others(tiny_groups: list[Group]) -> None:
    predictions = cross_validate(tiny_groups)
    assert [id(p.sample) for p in predictions] == [id(s) for group in tiny_groups for s in group.samples]
    start = 0
    for held in tiny_groups:
        others = [group for group in tiny_groups if group is not held]
        expected = predict(fit(others), held.samples)
        got = predictions[start : start + len(held.samples)]
        assert [p.probability for p in got] == [p.probability for p in expected], held.name
        assert [p.texts for p in got] == [p.texts for p in expected], held.name
        start += len(held.samples)
    # Held out differs from in-sample: the folds are not the model fitted on everything.
    everything = predict(fit(tiny_groups), [s for group in tiny_groups for s in group.samples])
    assert [p.probability for p in predictions] != [p.probability for p in everything]


def test_write_reproduces_the_model_file_byte_for_byte(tiny_files: tuple[Path, Path], tiny_groups: list[Group]) -> None:
    squad, own = tiny_files
    out = squad.parent / "model.json"
    command = [sys.executable, "bench/fit_answering.py", "--squad", str(squad), "--own", str(own)]
    command += ["--corpus", str(CORPUS_DIR), "--write", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    # The script's file is what fitting the same questions here gives, to the byte, and so twice over:
    # nothing in fitting is random.
    assert out.read_bytes() == model_text(fit(tiny_groups)).encode()
    assert model_text(fit(tiny_groups)) == model_text(fit(tiny_groups))


def test_eval_cross_validate_prints_held_out_figures_beside_the_baseline(
    tiny_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    squad, own = tiny_files
    monkeypatch.setenv("BOT_CORPUS_DIR", str(CORPUS_DIR))
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert cli.main(["eval", "--squad", str(squad), "--cross-validate", str(own)]) == 0
    lines = printed.getvalue().splitlines()
    for key in ("Harbour Bridge", "Coffee", "Marathon", "SQuAD TOTAL", "own.jsonl"):
        assert any(line.startswith(key) and " bot " in line for line in lines), key
        assert any(line.startswith(key) and " baseline " in line for line in lines), key

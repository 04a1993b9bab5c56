"""The reader cross-validated by article, beside the textbook baseline and the linear model:
bench/reader_eval.py --folds DIR [DIR ...] [--write READER_DIR].

Each fold directory is a reader trained without some groups (its held_out.json names them,
bench/train_reader.py writes it) and exported; every question is scored by a fold that never saw its
article. The calibration (a logistic regression over the reader's scores, reader.CALIBRATION_FEATURES)
and its two tier thresholds are then fitted leave-one-article-out over those held-out scores: every
figure printed is of articles neither the reader nor the calibration was fitted on. With --write, the
calibration fitted on every group's held-out scores is written into READER_DIR/reader.json.

Tiers: at or above `confident` the top passage is the answer (with a short answer of the kind asked);
at or above `possible` the closest passages under "the article may not say exactly"; below, a
refusal. `possible` is the highest threshold refusing at most 5% of the training articles' answerable
questions; `confident` the lowest at which at least 90% of their short answers are right.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_answering import SQUAD  # noqa: E402
from bot.core.answering.model import AnswerModel  # noqa: E402
from bot.core.answering.reader import CALIBRATION_FEATURES, Calibration, Reader, calibration_features  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.evaluate import _baseline, read_squad  # noqa: E402
from bot.core.store import check_corpus  # noqa: E402

CANDIDATES_FILE = ROOT / "bench" / "results" / "reader_candidates.jsonl"
FALSE_LIMIT = 0.05
SHORT_PRECISION = 0.90


@dataclass
class Question:
    """One question with its candidates, the held-out reader's scores and the baseline's answers."""

    row: dict[str, Any]
    read: np.ndarray
    baseline: list[str]
    features: tuple[float, ...] = ()
    probability: float = 0.0
    blend: float = 1.0

    @property
    def answerable(self) -> bool:
        return bool(self.row["answers"])

    def reader_order(self, blend: float | None = None) -> list[dict[str, Any]]:
        """Return the candidates by the candidate stage's score plus blend times the reader's."""
        weight = self.blend if blend is None else blend
        linear = np.array([c["score"] for c in self.row["candidates"]], dtype=np.float64)
        combined = linear + weight * self.read
        order = np.lexsort((np.arange(len(self.read)), -combined))
        return [self.row["candidates"][n] for n in order.tolist()]

    def short_right(self) -> bool | None:
        """Whether the reader's top passage's short answer overlaps a gold answer (None: it gives none)."""
        ordered = self.reader_order()
        short = ordered[0]["short"] if ordered else None
        if short is None:
            return None
        folded = short.casefold()
        return any(a.casefold() in folded or folded in a.casefold() for a in self.row["answers"])


@dataclass
class Tally:
    """Counts of one system on a set of questions."""

    answerable: int = 0
    unanswerable: int = 0
    top1: int = 0
    top3: int = 0
    refused_right: int = 0
    refused_wrong: int = 0
    closest_unanswerable: int = 0
    short: int = 0
    short_right: int = 0
    short_unanswerable: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, answerable: bool, labels: Sequence[bool], refused: bool, tier: str, short: bool | None) -> None:
        if answerable:
            self.answerable += 1
            self.refused_wrong += refused
            if not refused:
                self.top1 += bool(labels) and labels[0]
                self.top3 += any(labels[:3])
        else:
            self.unanswerable += 1
            self.refused_right += refused
            self.closest_unanswerable += (not refused) and tier == "closest"
        if not refused and tier == "answer" and short is not None:
            self.short += 1
            self.short_right += answerable and short
            self.short_unanswerable += not answerable

    def line(self, label: str, system: str) -> str:
        a, u = max(self.answerable, 1), max(self.unanswerable, 1)
        not_claimed = (self.refused_right + self.closest_unanswerable) / u
        precision = f"{self.short_right / self.short:.1%}" if self.short else "-"
        return (
            f"{label[:24]:<24} {system:<9} {self.top1 / a:>6.1%} {self.top3 / a:>6.1%} {self.refused_right / u:>8.1%} "
            f"{self.refused_wrong / a:>10.1%} {not_claimed:>11.1%} {self.short:>6} {precision:>7} "
            f"{self.short_unanswerable:>6}"
        )


HEAD = (
    f"{'held out':<24} {'system':<9} {'top-1':>6} {'top-3':>6} {'abstain':>8} {'false-abst':>10} "
    f"{'not-claimed':>11} {'short':>6} {'prec':>7} {'s-unan':>6}"
)


def fit_calibration(questions: Sequence[Question]) -> Calibration:
    """Fit the logistic regression and the two thresholds on questions (their held-out reader scores)."""
    from sklearn.linear_model import LogisticRegression

    usable = [q for q in questions if len(q.read)]
    answerable_usable = [q for q in usable if q.answerable]
    blends = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 1000.0]
    blend = max(blends, key=lambda b: sum(bool(q.reader_order(b)[0]["label"]) for q in answerable_usable))
    for q in questions:
        q.blend = blend
    x = np.array([q.features for q in usable])
    y = np.array([q.answerable and bool(q.reader_order()[0]["label"]) for q in usable])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    coef, intercept = tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0])
    draft = Calibration(coef, intercept, 1.0, 0.0, blend)
    probabilities = np.array([draft.probability(q.features) for q in usable])
    answerable = np.array([q.answerable for q in usable])
    total_answerable = sum(q.answerable for q in questions)
    possible = 0.0
    for threshold in np.linspace(0.01, 0.99, 99):
        refused = int(((probabilities < threshold) & answerable).sum()) + (total_answerable - int(answerable.sum()))
        if refused <= FALSE_LIMIT * total_answerable:
            possible = float(threshold)
    shorts = [(p, q.short_right() if q.answerable else False) for p, q in zip(probabilities, usable, strict=True)]
    confident = 1.0
    for threshold in np.linspace(0.99, max(possible, 0.01), 99):
        given = [right for p, right in shorts if p >= threshold and right is not None]
        if len(given) >= 10 and sum(given) >= SHORT_PRECISION * len(given):
            confident = float(threshold)
    return Calibration(coef, intercept, max(confident, possible), possible, blend)


def main() -> int:
    """Score every question with a reader that never saw its article, calibrate by article, report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=Path, default=CANDIDATES_FILE)
    parser.add_argument("--folds", type=Path, nargs="+", required=True)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--write", type=Path, help="a reader directory whose reader.json gets the calibration")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--scores", type=Path, help="the held-out reader scores: read if the file exists, else written")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = [json.loads(line) for line in args.candidates.read_text(encoding="utf-8").splitlines() if line.strip()]
    folds = [
        (Reader(folder, threads=2), set(json.loads((folder / "held_out.json").read_text()))) for folder in args.folds
    ]
    baselines = {article.title: _baseline(build_corpus([article]).passages) for article, _ in read_squad(args.squad)}
    articles, _ = check_corpus(args.corpus)
    baselines["own corpus"] = _baseline(build_corpus(articles).passages)
    linear = AnswerModel.load()
    questions = []
    cache = args.scores if args.scores is not None and args.scores.exists() else None
    cached = json.loads(cache.read_text(encoding="utf-8")) if cache is not None else None
    for number, row in enumerate(rows):
        if cached is not None:
            read = np.array(cached[number], dtype=np.float32)
        else:
            reader = next(r for r, held in folds if row["group"] in held)
            read = reader.scores(row["question"], [c["text"] for c in row["candidates"]])
        question = Question(row, read, baselines[row["group"]](row["question"]))
        question.features = calibration_features(read.tolist(), row["probability"], row["missing"])
        questions.append(question)
    print(f"scored {len(questions)} questions in {time.perf_counter() - started:.0f} s", flush=True)
    if args.scores is not None and cached is None:
        args.scores.write_text(json.dumps([q.read.tolist() for q in questions]), encoding="utf-8")
    groups = list(dict.fromkeys(row["group"] for row in rows))
    calibrations = {}
    for group in groups:
        calibration = fit_calibration([q for q in questions if q.row["group"] != group])
        calibrations[group] = calibration
    for group in groups:
        calibration = calibrations[group]
        for q in questions:
            if q.row["group"] == group:
                q.blend = calibration.blend
                q.probability = calibration.probability(q.features) if len(q.read) else 0.0
    tallies: dict[str, dict[str, Tally]] = {}
    for q in questions:
        keys = [q.row["group"], "SQuAD TOTAL"] if q.row["source"] == "squad" else [q.row["source"]]
        cal = calibrations[q.row["group"]]
        answers = q.row["answers"]
        reader_labels = [bool(c["label"]) for c in q.reader_order()]
        linear_labels = [bool(c["label"]) for c in q.row["candidates"]]
        base_labels = [any(a.casefold() in t.casefold() for a in answers) for t in q.baseline]
        refused = not len(q.read) or q.probability < cal.possible
        tier = "answer" if q.probability >= cal.confident else "closest"
        linear_refused = not len(q.read) or q.row["probability"] < linear.threshold
        linear_short = q.row["candidates"][0]["short"] if q.row["candidates"] else None
        linear_right = None
        if linear_short is not None:
            folded = linear_short.casefold()
            linear_right = any(a.casefold() in folded or folded in a.casefold() for a in answers)
        for key in keys:
            systems = tallies.setdefault(key, {"reader": Tally(), "linear": Tally(), "baseline": Tally()})
            systems["reader"].add(q.answerable, reader_labels, refused, tier, q.short_right())
            systems["linear"].add(q.answerable, linear_labels, linear_refused, "answer", linear_right)
            systems["baseline"].add(q.answerable, base_labels, False, "closest", None)
    lines = [HEAD, "-" * len(HEAD)]
    order = [g for g in groups if g != "own corpus"] + ["SQuAD TOTAL"]
    order += [key for key in tallies if key not in order and key not in groups]
    for key in order:
        for system in ("reader", "linear", "baseline"):
            lines.append(tallies[key][system].line(key, system))
    print("\n".join(lines))
    print(
        "abstain: refused unanswerable; false-abst: refused answerable; not-claimed: unanswerable refused or given only"
        " as 'the closest passages'; short/prec/s-unan: short answers given, share right, given to unanswerable."
        " linear: today's model (fitted on all of these questions: in-sample); baseline: rank-bm25 BM25Okapi."
    )
    for group, cal in calibrations.items():
        print(
            f"calibration without {group[:22]:<22}: possible {cal.possible:.2f}, confident {cal.confident:.2f}, "
            f"blend {cal.blend:g}"
        )
    if args.json:
        figures = {key: {name: vars(t) for name, t in systems.items()} for key, systems in tallies.items()}
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    # The reader's order is kept only if, held out, it ranks better than the candidate stage alone.
    answerable = [q for q in questions if q.answerable and len(q.read)]
    held_top1 = sum(bool(q.reader_order()[0]["label"]) for q in answerable)
    stage_top1 = sum(bool(q.reader_order(0.0)[0]["label"]) for q in answerable)
    keep_order = held_top1 > stage_top1
    print(
        f"held-out top-1 with the fitted blends {held_top1}, with the candidate stage's order {stage_top1} "
        f"(of {len(answerable)}): the reader's order is {'kept' if keep_order else 'not kept (blend 0)'}"
    )
    if args.write:
        final = fit_calibration(questions)
        if not keep_order:
            final = replace(final, blend=0.0)
        path = args.write / "reader.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["calibration"] = final.as_json()
        path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        print(
            f"wrote the calibration to {path}: {dict(zip(CALIBRATION_FEATURES, final.coef, strict=True))}, "
            f"possible {final.possible:.2f}, confident {final.confident:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

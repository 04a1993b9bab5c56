"""Fit the answering model and report it cross-validated: bench/fit_answering.py [--write].

Groups: each article of the public SQuAD 2.0 half (its own corpus) and the shipped corpus with the
project's own question files. Every figure printed is leave-one-article-out: for each group, a
model fitted on the others answers its questions; the textbook baseline answers the same
questions in the same run. With --write, the model fitted on every group is written to
bot/core/answering/model.json, the file the bot answers with.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

os.environ.setdefault("OMP_NUM_THREADS", "1")  # gradient boosting on a shared two-core machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.fitting import Group, Prediction, cross_validate, fit  # noqa: E402
from bot.core.answering.model import MODEL_FILE, AnswerModel  # noqa: E402
from bot.core.answering.question import Want  # noqa: E402
from bot.core.answering.results import Tier  # noqa: E402
from bot.core.answering.spans import answer_spans  # noqa: E402
from bot.core.answering.tiers import AGREEMENT, Decider, judge, question_terms  # noqa: E402
from bot.core.articles.store import check_corpus  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.evaluate import cross_validation_lines, curve_lines, measure_sets  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-v2-dev-public.json"
OWN = [ROOT / "tests" / "eval_questions.jsonl", ROOT / "tests" / "eval_typed.jsonl"]


def model_text(model: AnswerModel) -> str:
    """Return the model as model.json holds it."""
    return json.dumps(model.as_json(), indent=1) + "\n"


def main() -> int:
    """Measure, cross-validate, print, and with --write save the model fitted on everything."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--own", type=Path, nargs="*", default=OWN)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--false-limit", type=float, default=0.05, help="answerable questions refused at most")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation of the logistic regressions")
    parser.add_argument(
        "--claim-models", action="store_true", help="also try fitted scores among the answer tier's claims"
    )
    parser.add_argument(
        "--claim-gates", action="store_true", help="also measure the answer tier with each AGREEMENT check left out"
    )
    parser.add_argument(
        "--cache", type=Path, help="pickle file of the measured questions: read when it exists, else written"
    )
    parser.add_argument("--write", action="store_true", help=f"write the model fitted on everything to {MODEL_FILE}")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="where --write writes the model")
    args = parser.parse_args()
    started = time.perf_counter()
    groups, baseline = measured(args.squad, args.own, args.corpus, args.cache)
    print(f"measured {sum(len(g.samples) for g in groups)} questions in {time.perf_counter() - started:.1f} s")
    predictions = cross_validate(groups, false_limit=args.false_limit, c=args.c)
    print("\n".join(cross_validation_lines(groups, predictions, baseline)))
    print("\n".join(curve_lines(predictions)))
    print("\n".join(claim_curve_lines(predictions)))
    if args.claim_models:
        print("\n".join(claim_model_lines(groups)))
    if args.claim_gates:
        print("\n".join(claim_gate_lines(groups)))
    if args.write:
        model = fit(groups, false_limit=args.false_limit, c=args.c)
        args.out.write_text(model_text(model), encoding="utf-8")
        print(f"wrote {args.out} (threshold {model.threshold:.3f})")
    return 0


def measured(
    squad: Path, own: Sequence[Path], corpus: Path, cache: Path | None = None
) -> tuple[list[Group], dict[tuple[str, int], list[str]]]:
    """Return every question measured and the textbook baseline's answers, from `cache` when it
    exists (what is measured does not depend on the fitted model or the answer tier's checks, so
    they can be studied again without measuring; delete the file after changing anything else)."""
    if cache is not None and cache.exists():
        with cache.open("rb") as handle:
            found: tuple[list[Group], dict[tuple[str, int], list[str]]] = pickle.load(handle)  # written below
        return found
    articles, problems = check_corpus(corpus)
    if problems:
        raise SystemExit("; ".join(problems))
    groups, baseline = measure_sets(squad, own, build_corpus(articles))
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump((groups, baseline), handle)
    return groups, baseline


SOURCES = ("squad", "eval_questions.jsonl", "eval_typed.jsonl")


def claim_curve_lines(predictions: Sequence[Prediction]) -> list[str]:
    """Return claimed against right, held out, if the answer tier also needed the probability to reach
    each floor (the shipped model's floor is its refusal threshold)."""
    lines = ["answer tier with a probability floor (held out): claimed (share of answerable) / right (of claims)"]
    lines.append(f"{'floor':>6} " + " ".join(f"{source[:20]:>22}" for source in SOURCES))
    for floor in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        cells = []
        for source in SOURCES:
            mine = [p for p in predictions if p.sample.source == source]
            claims = [p for p in mine if p.tier is Tier.ANSWER and p.probability >= floor]
            answerable = sum(bool(p.sample.answers) for p in mine)
            right = sum(bool(p.sample.answers) and bool(p.texts) and _holds(p) for p in claims)
            share = sum(bool(p.sample.answers) for p in claims) / max(answerable, 1)
            cells.append(f"{share:>10.1%} / {right / max(len(claims), 1):>7.1%}")
        lines.append(f"{floor:>6.2f} " + " ".join(cells))
    return lines


def claim_gate_lines(groups: Sequence[Group]) -> list[str]:
    """Return the answer tier held out by article with every AGREEMENT check, with none, and with each
    left out: claims, share of answerable questions claimed, share of claims right, claims on
    unanswerable questions."""
    variants = {"every check": tuple(AGREEMENT.values()), "no check": ()}
    variants |= {f"without {name}": tuple(c for n, c in AGREEMENT.items() if n != name) for name in AGREEMENT}
    counts = {
        (variant, source): [0, 0, 0, 0] for variant in variants for source in SOURCES
    }  # claims, answerable claimed, right, unanswerable claimed
    answerable = dict.fromkeys(SOURCES, 0)
    for held in groups:
        model = fit([group for group in groups if group is not held])
        for sample in held.samples:
            answerable[sample.source] = answerable.get(sample.source, 0) + bool(sample.answers)
            examined = sample.examined
            if examined is None or not examined.eligible.any() or sample.source not in SOURCES:
                continue
            for variant, checks in variants.items():
                decision = Decider(model, checks=checks).decide(examined, sample.texts.__getitem__)
                if decision.tier is not Tier.ANSWER:
                    continue
                top = int(decision.order[0])
                tally = counts[(variant, sample.source)]
                tally[0] += 1
                tally[1] += bool(sample.answers)
                tally[2] += bool(sample.answers) and bool(sample.labels[top])
                tally[3] += not sample.answers
    lines = [
        "answer tier by AGREEMENT check (held out): claims, claimed (share of answerable) / right, on unanswerable"
    ]
    lines.append(f"{'checks':<22} " + " ".join(f"{source[:20]:>30}" for source in SOURCES))
    for variant in variants:
        cells = []
        for source in SOURCES:
            claims, claimed, right, wrong = counts[(variant, source)]
            share = claimed / max(answerable[source], 1)
            cells.append(f"{claims:>5} {share:>6.1%} / {right / max(claims, 1):>6.1%} {wrong:>5}")
        lines.append(f"{variant:<22} " + " ".join(f"{cell:>30}" for cell in cells))
    return lines


def _holds(prediction: Prediction) -> bool:
    folded = prediction.texts[0].casefold()
    return any(answer.casefold() in folded for answer in prediction.sample.answers)


def _claim_rows(model_groups: Sequence[Group], held: Group) -> dict[str, tuple[npt.NDArray[np.float64], ...]]:
    """Return, per group, the answer tier's claims under the model fitted without `held`: their
    question signals with the answer kind (rows), right or not, per-article weights, sources."""
    model = fit([group for group in model_groups if group is not held])
    tables: dict[str, tuple[npt.NDArray[np.float64], ...]] = {}
    for group in model_groups:
        rows, right, sources = [], [], []
        for sample in group.samples:
            examined = sample.examined
            if examined is None or not examined.eligible.any():
                continue
            if Decider(model).decide(examined, sample.texts.__getitem__).tier is not Tier.ANSWER:
                continue
            _, top, row = judge(model.rank, examined)
            want = examined.question.want
            count = len(answer_spans(sample.texts[top], want, question_terms(examined))) if want is not Want.ANY else 0
            kind = [float(want is not Want.ANY), float(count == 1), float(min(count, 5))]
            rows.append(np.concatenate([row, kind]))
            right.append(bool(sample.answers) and bool(sample.labels[top]))
            sources.append(SOURCES.index(sample.source) if sample.source in SOURCES else -1)
        weights = np.full(len(rows), 1.0 / max(len(group.samples), 1))
        tables[group.name] = (np.array(rows).reshape(len(rows), -1), np.array(right, bool), weights, np.array(sources))
    return tables


def claim_model_lines(groups: Sequence[Group]) -> list[str]:
    """Return how well fitted scores tell right from wrong among the answer tier's claims, held out
    by article: logistic regression against calibrated gradient-boosted trees (AUC per question set)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    makers = {
        "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "gradient-boosted trees": lambda: CalibratedClassifierCV(
            HistGradientBoostingClassifier(
                max_iter=60, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=30, random_state=0
            ),
            cv=3,
        ),
    }
    found: dict[str, list[tuple[int, bool, float]]] = {name: [] for name in makers}
    for held in groups:
        tables = _claim_rows(groups, held)
        train = [tables[group.name] for group in groups if group is not held and len(tables[group.name][0])]
        rows, right, weights, _ = (np.concatenate([table[n] for table in train]) for n in range(4))
        held_rows, held_right, _, held_sources = tables[held.name]
        if not len(held_rows):
            continue
        for name, make in makers.items():
            fitted = make()
            step = "logisticregression__sample_weight" if name == "logistic regression" else "sample_weight"
            fitted.fit(rows, right, **{step: weights / weights.mean()})
            scores = fitted.predict_proba(held_rows)[:, 1]
            found[name] += list(zip(held_sources.tolist(), held_right.tolist(), scores.tolist(), strict=True))
    lines = ["fitted scores among the answer tier's claims, held out: AUC right against wrong"]
    for name, rows_found in found.items():
        cells = []
        for number, source in enumerate(SOURCES):
            mine = [(right, score) for where, right, score in rows_found if where == number]
            labels = [right for right, _ in mine]
            auc = roc_auc_score(labels, [score for _, score in mine]) if 0 < sum(labels) < len(labels) else float("nan")
            cells.append(f"{source} {auc:.3f} ({len(mine)} claims)")
        lines.append(f"  {name}: " + "; ".join(cells))
    return lines


if __name__ == "__main__":
    raise SystemExit(main())

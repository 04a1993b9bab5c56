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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.fitting import cross_validate, fit  # noqa: E402
from bot.core.answering.model import MODEL_FILE, AnswerModel  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.evaluate import cross_validation_lines, curve_lines, measure_sets  # noqa: E402
from bot.core.store import check_corpus  # noqa: E402

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
    parser.add_argument("--write", action="store_true", help=f"write the model fitted on everything to {MODEL_FILE}")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="where --write writes the model")
    args = parser.parse_args()
    started = time.perf_counter()
    articles, problems = check_corpus(args.corpus)
    if problems:
        raise SystemExit("; ".join(problems))
    groups, baseline = measure_sets(args.squad, args.own, build_corpus(articles))
    print(f"measured {sum(len(g.samples) for g in groups)} questions in {time.perf_counter() - started:.1f} s")
    predictions = cross_validate(groups, false_limit=args.false_limit, c=args.c)
    print("\n".join(cross_validation_lines(groups, predictions, baseline)))
    print("\n".join(curve_lines(predictions)))
    if args.write:
        model = fit(groups, false_limit=args.false_limit, c=args.c)
        args.out.write_text(model_text(model), encoding="utf-8")
        print(f"wrote {args.out} (threshold {model.threshold:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

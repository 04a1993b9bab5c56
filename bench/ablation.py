"""What each hand-made part of answering earns, held out: bench/ablation.py [--json].

Each variant turns one part off (AnswerPolicy) and the answering model is refitted and reported
leave-one-article-out exactly as bench/fit_answering.py does, on the public SQuAD 2.0 half (the
independent check: nobody tuned these parts to its articles) and the project's own question files
(the shipped article, which the word lists were written beside: flattering for them). A part earns
its place when SQuAD held out says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.fitting import cross_validate  # noqa: E402
from bot.core.answering.policy import AnswerPolicy  # noqa: E402
from bot.core.articles.store import check_corpus  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.evaluate import Tally, measure_sets  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-v2-dev-public.json"
OWN = [ROOT / "tests" / "eval_questions.jsonl", ROOT / "tests" / "eval_typed.jsonl"]
BASE = AnswerPolicy()
VARIANTS = {
    "everything (the bot)": BASE,
    "no synonyms (synonyms.txt)": replace(BASE, synonym_weight=0.0),
    "no capitals for countries": replace(BASE, place_weight=0.0),
    "no context terms (captions, credits, pronouns)": replace(BASE, context_weight=0.0),
    "no meaning neighbours (wordllama)": replace(BASE, meaning_weight=0.0),
    "no refusal of unmentioned names": replace(BASE, refuse_unmentioned=False),
}


def run(variant: AnswerPolicy) -> dict[str, dict[str, float]]:
    articles, problems = check_corpus(ROOT / "corpus")
    if problems:
        raise SystemExit("; ".join(problems))
    groups, _ = measure_sets(SQUAD, OWN, build_corpus(articles), policy=variant)
    predictions = cross_validate(groups)
    tallies: dict[str, Tally] = {}
    for prediction in predictions:
        sample = prediction.sample
        name = "SQuAD" if sample.source == "squad" else sample.source
        tallies.setdefault(name, Tally()).add(sample.answers, prediction.texts)
    return {name: tally.figures() for name, tally in sorted(tallies.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    for label, variant in VARIANTS.items():
        started = time.perf_counter()
        results[label] = run(variant)
        print(f"{label}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    for label, figures in results.items():
        for name, f in figures.items():
            print(f"{label:48s} {name:22s} " + "  ".join(f"{k} {100 * v:5.1f}" for k, v in f.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

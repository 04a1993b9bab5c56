"""What each hand-made part of answering earns, held out: bench/ablation.py [--json] [--only LABEL...].

Each variant turns one part off (AnswerPolicy, or a list of the language's data left out in this
process) and the answering model is refitted and reported leave-one-article-out exactly as
bench/fit_answering.py does, answer tier included (claimed: share of answerable questions answered
with no caveat; claim_right: share of those claims right), on the public SQuAD 2.0 half (the
independent check: nobody tuned these parts to its articles) and the project's own question files
(the shipped article, which the word lists were written beside: flattering for them). A part earns
its place when SQuAD held out says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.fitting import cross_validate  # noqa: E402
from bot.core.answering.policy import AnswerPolicy  # noqa: E402
from bot.core.articles.store import check_corpus  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.evaluate import Tally, measure_sets  # noqa: E402
from bot.core.lang.en import ENGLISH  # noqa: E402

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
# Lists of the language's data left out (Language fields and what stands in for an empty file).
NEVER = re.compile(r"(?!)")
LEFT_OUT: dict[str, Mapping[str, Any]] = {
    "without synonyms.txt": {"synonym_groups": ()},
    "without countries.txt and place_words.txt": {"countries": (), "place_words": frozenset()},
    "without aliases.txt": {"aliases": {}},
    "without the pronoun rule": {"pronoun_pattern": NEVER},
    "without context_words.txt": {"context_words": {}},
}


@contextlib.contextmanager
def left_out(fields: Mapping[str, Any]) -> Iterator[None]:
    """Leave some of the English data out while measuring: every module reads the one ENGLISH."""
    kept = {name: getattr(ENGLISH, name) for name in fields}
    try:
        for name, value in fields.items():
            object.__setattr__(ENGLISH, name, value)  # a frozen dataclass, changed for this measurement only
        yield
    finally:
        for name, value in kept.items():
            object.__setattr__(ENGLISH, name, value)


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
        tally = tallies.setdefault(name, Tally())
        tally.add(sample.answers, prediction.texts)
        tally.add_tier(sample.answers, prediction.texts, prediction.tier)
    return {name: tally.figures() for name, tally in sorted(tallies.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", nargs="*", help="measure only the variants of these labels")
    args = parser.parse_args()
    results = {}
    labels = [*VARIANTS, *LEFT_OUT]
    for label in args.only if args.only is not None else labels:
        started = time.perf_counter()
        with left_out(LEFT_OUT.get(label, {})):
            results[label] = run(VARIANTS.get(label, BASE))
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

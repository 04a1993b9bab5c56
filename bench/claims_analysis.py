"""The answer tier's claims held out by article, one by one: bench/claims_analysis.py [--cache FILE].

For every question the answer tier claims under a model fitted without its article, prints the
question, the claimed passage and the gold answers (or that the question is unanswerable), each
marked right or wrong, and a count per kind of claim: right; answerable but the passage lacks the
gold answer (and whether another candidate held it); unanswerable. Measuring every question takes
minutes; with --cache the measured questions are kept in a pickle file and read from it next time
(fit_answering.py --cache writes and reads the same file), so
the tier's checks can be studied without measuring again (--gates: the table of claims with each
check left out, as bench/fit_answering.py --claim-gates prints it).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_answering import claim_gate_lines, measured  # noqa: E402
from bot.core.answering.fitting import fit  # noqa: E402
from bot.core.answering.question import Concept  # noqa: E402
from bot.core.answering.results import Tier  # noqa: E402
from bot.core.answering.tiers import AGREEMENT, Decider  # noqa: E402
from bot.core.text import terms  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-v2-dev-public.json"
OWN = [ROOT / "tests" / "eval_questions.jsonl", ROOT / "tests" / "eval_typed.jsonl"]


def how_stated(concepts: Sequence[Concept], text: str) -> str:
    """Return how a passage states a question's words, roughly: a word only by a similar one (an
    entity or word swapped), every word but in another order (roles swapped, or a paraphrase), or
    every word in the question's order (a condition, a definition the passage lacks)."""
    sequence = terms(text)
    places = {term: sequence.index(term) for term in dict.fromkeys(sequence)}
    found = [min((places[t] for t, _ in concept.variants if t in places), default=-1) for concept in concepts]
    if any(place < 0 for place, concept in zip(found, concepts, strict=True) if concept.is_name):
        return "a name only by a similar one"
    if any(place < 0 for place in found):
        return "a word only by a similar one"
    if any(a > b for a, b in itertools.combinations(found, 2)):
        return "every word, in another order"
    return "every word, in the question's order"


def main() -> int:
    """Print every held-out claim and the counts of its kinds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--own", type=Path, nargs="*", default=OWN)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--cache", type=Path, help="pickle file of the measured groups (written when absent)")
    parser.add_argument("--without", nargs="*", default=[], choices=sorted(AGREEMENT), help="checks left out")
    parser.add_argument("--wrong-only", action="store_true", help="print only the wrong claims")
    parser.add_argument("--gates", action="store_true", help="print only fit_answering.py's --claim-gates table")
    args = parser.parse_args()
    groups, _ = measured(args.squad, args.own, args.corpus, args.cache)
    if args.gates:
        print("\n".join(claim_gate_lines(groups)))
        return 0
    checks = tuple(check for name, check in AGREEMENT.items() if name not in args.without)
    kinds: Counter[tuple[str, str]] = Counter()
    for held in groups:
        model = fit([group for group in groups if group is not held])
        for sample in held.samples:
            examined = sample.examined
            if examined is None or not examined.eligible.any():
                continue
            decision = Decider(model, checks=checks).decide(examined, sample.texts.__getitem__)
            if decision.tier is not Tier.ANSWER:
                continue
            top = int(decision.order[0])
            if not sample.answers:
                kind = f"unanswerable: {how_stated(examined.concepts, sample.texts[top])}"
            elif sample.labels[top]:
                kind = "right"
            elif sample.labels.any():
                kind = "wrong passage (another candidate holds the answer)"
            else:
                kind = "no candidate holds the answer"
            kinds[(sample.source, kind)] += 1
            if args.wrong_only and kind == "right":
                continue
            print(f"[{held.name} | {kind}] p={decision.probability:.2f}")
            print(f"  Q: {sample.question}")
            print(f"  P: {sample.texts[top]}")
            print(f"  A: {' | '.join(sorted(set(sample.answers))) if sample.answers else '(unanswerable)'}")
    print("claims by kind (held out by article):")
    for (source, kind), count in sorted(kinds.items()):
        print(f"  {source:<22} {kind:<52} {count:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

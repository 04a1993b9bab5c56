"""Questions in another language than the article's, measured on the shipped corpus:
bench/across_bench.py FILE... [--repeat 5] [--json].

Per question file: top-1 and top-3 of the answerable questions beside the textbook baseline; of the
unanswerable ones, those refused and those told what the article does not say (refused, or a name
it does not mention said in the heading); of the answerable ones, those refused and those whose
heading names something the article does not mention (a needless hedge); and the time to answer a
question (Index.search after a warm-up, every question asked `--repeat` times, its vector made again
each time), p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.dense import EMBEDDER  # noqa: E402
from bot.core.answering.fitting import contains_answer  # noqa: E402
from bot.core.evaluate import _baseline, read_cases  # noqa: E402
from bot.core.serving import Index, open_index  # noqa: E402


def measure(engine: Index, path: Path, repeat: int) -> dict[str, float]:
    """Return the figures of one question file."""
    cases = read_cases(path)
    baseline = _baseline(engine.corpus.passages)
    answerable = [case for case in cases if case.expect is not None]
    unanswerable = [case for case in cases if case.expect is None]
    counts = dict.fromkeys(("top1", "top3", "base1", "base3", "refused_bad", "hedged", "refused", "told"), 0)
    for case in answerable:
        assert case.expect is not None
        result = engine.search(case.q)
        texts = [hit.passage.text for hit in result.hits]
        counts["top1"] += bool(texts) and contains_answer(texts[0], case.expect)
        counts["top3"] += any(contains_answer(text, case.expect) for text in texts[:3])
        counts["refused_bad"] += not texts
        counts["hedged"] += bool(result.unexplained)
        found = baseline(case.q)
        counts["base1"] += contains_answer(found[0], case.expect)
        counts["base3"] += any(contains_answer(text, case.expect) for text in found[:3])
    for case in unanswerable:
        result = engine.search(case.q)
        counts["refused"] += not result.hits
        counts["told"] += not result.hits or bool(result.unexplained)
    times = []
    for _ in range(repeat):
        for case in cases:
            EMBEDDER._queries.clear()  # timed as asked for the first time: no question vector kept
            started = time.perf_counter()
            engine.search(case.q)
            times.append(time.perf_counter() - started)
    a, u = max(len(answerable), 1), max(len(unanswerable), 1)
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "top1": counts["top1"] / a,
        "top3": counts["top3"] / a,
        "baseline_top1": counts["base1"] / a,
        "baseline_top3": counts["base3"] / a,
        "answerable_refused": counts["refused_bad"] / a,
        "answerable_hedged_by_name": counts["hedged"] / a,
        "unanswerable_refused": counts["refused"] / u,
        "unanswerable_told": counts["told"] / u,
        "p50_ms": float(np.percentile(times, 50) * 1000),
        "p99_ms": float(np.percentile(times, 99) * 1000),
    }


def main() -> int:
    """Measure each file and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engine = open_index(args.corpus)
    engine.answerer.warm_up()
    engine.search("Кто подписал договор?")  # the first question loads the word lists
    figures = {path.name: measure(engine, path, args.repeat) for path in args.files}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    head = (
        f"{'file':<28} {'top-1':>6} {'top-3':>6} {'base-1':>6} {'base-3':>6} {'ans-ref':>7} {'ans-hdg':>7}"
        f" {'un-ref':>6} {'un-told':>7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, f in figures.items():
        print(
            f"{name[:28]:<28} {f['top1']:>6.1%} {f['top3']:>6.1%} {f['baseline_top1']:>6.1%} "
            f"{f['baseline_top3']:>6.1%} {f['answerable_refused']:>7.1%} {f['answerable_hedged_by_name']:>7.1%} "
            f"{f['unanswerable_refused']:>6.1%} {f['unanswerable_told']:>7.1%} {f['p50_ms']:>7.1f} {f['p99_ms']:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

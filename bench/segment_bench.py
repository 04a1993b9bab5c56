"""The kernel with segments: questions on a full build, on the same index after articles were added
(a fresh segment) and after some were removed, each beside a full build over the same passages.

    python bench/segment_bench.py --passages 1000000 [--queries 300] [--added 25] [--removed 25] [--json]

An index with a fresh segment or removed passages computes each weight from its term count when a
passage is scored (the base's stored weights are for the old statistics), and scores the fresh
segment's postings up front; this bench measures what that costs per question, and checks that the
top k is the same as a full build's (scores equal to the bit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import content_queries, queries, synthetic_passages
from bot.core.retrieval.bm25 import Bm25Index
from bot.text import terms


def timed(index: Bm25Index, asked: list[list[str]], k: int) -> tuple[dict[str, float], list[Any]]:
    """Return p50/p99 ms over the questions (after one untimed pass) and the answers."""
    for question in asked:
        index.top_bm25(question, k)
    times, answers = [], []
    for question in asked:
        started = time.perf_counter()
        answers.append(index.top_bm25(question, k))
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {"p50_ms": statistics.median(times), "p99_ms": ordered[int(0.99 * (len(ordered) - 1))]}, answers


def same(first: list[Any], second: list[Any], mapping: np.ndarray | None = None) -> float:
    """Return the share of questions with the same top k (docs mapped through `mapping`) and scores."""
    agree = 0
    for (docs, scores), (expected_docs, expected_scores) in zip(first, second, strict=True):
        mapped = expected_docs if mapping is None else mapping[expected_docs]
        agree += list(docs) == list(mapped) and np.array_equal(scores, expected_scores)
    return agree / len(first)


def run(passages: int, question_count: int, added: int, removed: int, k: int) -> dict[str, Any]:
    everything = list(synthetic_passages(passages + added))
    asked = {
        "content": [terms(" ".join(q)) for q in content_queries(question_count)],
        "zipf": [terms(" ".join(q)) for q in queries(question_count)],
    }
    started = time.perf_counter()
    base = Bm25Index(everything[:passages])
    result: dict[str, Any] = {"passages": passages, "build_s": time.perf_counter() - started}
    started = time.perf_counter()
    grown = base.extended(everything)
    result["extend_s"] = time.perf_counter() - started
    gone = np.arange(1000, 1000 + removed, dtype=np.int64)
    started = time.perf_counter()
    reduced = grown.removed(gone)
    result["remove_s"] = time.perf_counter() - started
    whole = Bm25Index(everything)
    left = np.setdiff1d(np.arange(len(everything)), gone)
    whole_left = Bm25Index([everything[n] for n in left])
    for kind, questions in asked.items():
        rows: dict[str, Any] = {}
        rows["full build"], _ = timed(base, questions, k)
        rows[f"+{added} passages (fresh segment)"], grown_answers = timed(grown, questions, k)
        rows["full build of the same"], whole_answers = timed(whole, questions, k)
        rows[f"+{added}, -{removed} passages"], reduced_answers = timed(reduced, questions, k)
        rows["full build of the same passages"], left_answers = timed(whole_left, questions, k)
        rows["agreement"] = {
            "grown_vs_full_build": same(grown_answers, whole_answers),
            "reduced_vs_full_build": same(reduced_answers, left_answers, left),
        }
        result[kind] = rows
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--added", type=int, default=25)
    parser.add_argument("--removed", type=int, default=25)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.passages, args.queries, args.added, args.removed, args.k)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{result['passages']:,} passages: build {result['build_s']:.1f} s, ", end="")
    print(f"extend {result['extend_s'] * 1000:.0f} ms, remove {result['remove_s'] * 1000:.0f} ms")
    for kind in ("content", "zipf"):
        print(kind)
        for name, row in result[kind].items():
            print(f"  {name:>34}: {row}")


if __name__ == "__main__":
    main()

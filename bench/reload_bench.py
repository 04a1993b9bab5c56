"""A reload while questions keep coming: the old index answers throughout, the new one is built beside it.

    python bench/reload_bench.py --passages N [--queries 200] [--whole] [--rate Q] [--json] [--out FILE]

What the bot does on /reload: the running index keeps answering while a thread builds the new one
on the same passages; then the new one replaces it. By default the retrieval kernel alone
(`SearchIndex`, asked `top_bm25`); with --whole the whole answerer a reload builds (`Answerer`: the
kernel plus each passage's features, asked `search` with the question's words). Reported: the build
alone (before), the reload's duration, how many questions the old index answered meanwhile and their
p50/p99, and memory — held with one index, and at peak with both alive.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_bench import peak_rss_mb, rss_mb
from bench.synthetic import queries, synthetic_passages
from bot.core.serving import answerer_over
from bot.corpus import Passage
from bot.index import SearchIndex

LOGGER = logging.getLogger("bench")


class Kernel:
    """The retrieval kernel alone."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.index = SearchIndex(passages)

    def ask(self, query: list[str], k: int) -> list[int]:
        return [int(doc) for doc in self.index.top_bm25(query, k)[0]]


class Whole:
    """What a reload builds: the answerer over the kernel."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.answerer = answerer_over(passages)

    def ask(self, query: list[str], k: int) -> list[int]:
        return [hit.position for hit in self.answerer.search(" ".join(query), k).hits]


def run(
    count: int, question_count: int, k: int, engine: type[Kernel | Whole], rate: float | None = None
) -> dict[str, Any]:
    """Build, then reload beside questions: back to back, or `rate` a second (Telegram caps a bot near 30)."""
    passages = list(synthetic_passages(count))
    asked = [q for q in queries(question_count) if q]
    before = rss_mb()
    started = time.perf_counter()
    old = engine(passages)
    build_s = time.perf_counter() - started
    held = rss_mb() - before
    LOGGER.info("built in %.1f s, %.0f MB held", build_s, held)
    idle = [_timed(old, query, k) for query in asked]  # the same questions with nothing else running

    built: list[Kernel | Whole] = []
    reload_started = time.perf_counter()
    worker = threading.Thread(target=lambda: built.append(engine(passages)))
    worker.start()
    during: list[float] = []
    while worker.is_alive():
        during.append(_timed(old, asked[len(during) % len(asked)], k))
        if rate:
            time.sleep(max(0.0, reload_started + len(during) / rate - time.perf_counter()))
    worker.join()
    reload_s = time.perf_counter() - reload_started
    both_peak = peak_rss_mb()
    new = built[0]
    same = all(old.ask(query, k) == new.ask(query, k) for query in asked[:50])  # same passages, same answers
    return {
        "passages": len(passages),
        "engine": engine.__name__.lower(),
        "questions_per_s": rate or "back to back",
        "build_s": round(build_s, 3),
        "reload_s": round(reload_s, 3),
        "answered_during_reload": len(during),
        "p50_ms_idle": _percentile(idle, 50),
        "p99_ms_idle": _percentile(idle, 99),
        "p50_ms_during_reload": _percentile(during, 50),
        "p99_ms_during_reload": _percentile(during, 99),
        "max_ms_during_reload": round(max(during), 3) if during else None,
        "rss_mb_one_index": round(held, 1),
        "peak_rss_mb_process": round(both_peak, 1),
        "new_index_answers_the_same": same,
    }


def _timed(engine: Kernel | Whole, query: list[str], k: int) -> float:
    started = time.perf_counter_ns()
    engine.ask(query, k)
    return (time.perf_counter_ns() - started) / 1e6


def _percentile(times: list[float], q: float) -> float | None:
    return round(float(np.percentile(times, q)), 4) if times else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--whole", action="store_true", help="the whole answerer, not the kernel alone")
    parser.add_argument("--rate", type=float, help="questions a second during the reload (default: back to back)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    report = run(args.passages, args.queries, args.k, Whole if args.whole else Kernel, args.rate)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text if args.json else "\n".join(f"{key}: {value}" for key, value in report.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

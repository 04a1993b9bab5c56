"""Questions while the running bot changes its index: an update, a merge in the worker process, a build in
the bot's own process.

    python bench/reload_worker_bench.py --archive /tmp/archive100k [--articles 4000] [--rate Q]
        [--kinds update,merge,build] [--json]

The archive folder is written by make_archive.py if missing. The serving engine is loaded as a start
would (building and saving its snapshot the first time); each round rewrites one article file and
runs, in a thread, what the bot runs, while the main thread asks the whole answerer questions back
to back (or `rate` a second):

- update: `open_index(archive, snapshots=..., live=engine)`, a /reload or an admin change (the
  article taken out and put in again);
- merge: `open_index(archive, snapshots=..., worker=True, grow=False)`, the full build in a niced
  worker process that a merge (and a reload of a big change) runs, then the snapshot loaded here;
- build: the same full build in the bot's own process (`worker=False`), as before the worker.

Reported: each round's duration and p50/p99/max of the questions idle and during it.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_archive import write_archive  # noqa: E402
from bench.synthetic import queries  # noqa: E402
from bot.core.serving import Index, open_index  # noqa: E402

LOGGER = logging.getLogger("bench")


def _percentiles(times: list[float]) -> dict[str, float | None]:
    if not times:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
        "max_ms": round(max(times), 3),
    }


def _ask(engine: Index, question: str) -> float:
    started = time.perf_counter_ns()
    engine.search(question, 3)
    return (time.perf_counter_ns() - started) / 1e6


def reload_once(
    engine: Index,
    archive: Path,
    snapshots: Path,
    questions: list[str],
    *,
    kind: str,
    rate: float | None,
    round_: int,
) -> dict[str, Any]:
    """Rewrite one article, update, merge or build beside questions, and report both."""
    changed = next(path for path in sorted(archive.glob("*story-1.txt")))
    changed.write_text(
        changed.read_text(encoding="utf-8") + f"\nA sentence added in round {round_}.\n", encoding="utf-8"
    )
    built: list[Index] = []
    failed: list[BaseException] = []

    def reload() -> None:
        try:
            if kind == "update":
                built.append(open_index(archive, snapshots=snapshots, live=engine))
            else:
                built.append(open_index(archive, snapshots=snapshots, worker=kind == "merge", grow=False))
        except BaseException as error:  # reported below
            failed.append(error)

    started = time.perf_counter()
    thread = threading.Thread(target=reload)
    thread.start()
    during: list[float] = []
    while thread.is_alive():
        during.append(_ask(engine, questions[len(during) % len(questions)]))
        if rate:
            time.sleep(max(0.0, started + len(during) / rate - time.perf_counter()))
    thread.join()
    if failed:
        raise failed[0]
    return {"kind": kind, "reload_s": round(time.perf_counter() - started, 2), "answered": len(during)} | {
        f"{key}_during": value for key, value in _percentiles(during).items()
    }


def run(archive: Path, articles: int, question_count: int, rate: float | None, kinds: list[str]) -> dict[str, Any]:
    if not archive.exists():
        write_archive(articles, archive)
    snapshots = Path(tempfile.mkdtemp(prefix="reload-bench-index-"))
    try:
        engine = open_index(archive, snapshots=snapshots)
        questions = [" ".join(words) for words in queries(question_count) if words]
        for question in questions[:20]:
            engine.search(question, 3)  # warm
        idle = [_ask(engine, question) for question in questions]
        reloads = [
            reload_once(engine, archive, snapshots, questions, kind=kind, rate=rate, round_=number)
            for number, kind in enumerate(kinds)
        ]
    finally:
        shutil.rmtree(snapshots, ignore_errors=True)
    return {
        "passages": len(engine.corpus.passages),
        "questions_per_s": rate or "back to back",
        "idle": _percentiles(idle),
        "reloads": reloads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=4_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--kinds", default="update,merge,build", help="the rounds, in order (update, merge, build)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    kinds = [kind for kind in args.kinds.split(",") if kind]
    if set(kinds) - {"update", "merge", "build"}:
        parser.error("--kinds takes update, merge and build")
    report = run(args.archive, args.articles, args.queries, args.rate, kinds)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""Start to first answer on a newsroom-sized archive: the first start (build, then save the index
snapshot) and later starts on the unchanged archive (load the snapshot), each in a fresh process.

    python bench/start_bench.py --articles 40000 --archive /tmp/archive1m --later 5 [--json]

The archive is written by make_archive.py when the folder does not exist (N articles of 25
sentences: 40,000 make a million passages). Each start is `open_index(archive, snapshots=...)` then
one question, in its own process; peak memory is the process's maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_archive import write_archive  # noqa: E402

ONE_START = """
import json, resource, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.core.serving import Index, open_index
engine = open_index(Path({archive!r}), snapshots=Path({snapshots!r}))
loaded = time.perf_counter()
result = engine.search("how many troops did north korea send", 3)
answered = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({{"load_s": loaded - started, "first_answer_s": answered - started, "answered": result.answered,
    "passages": len(engine.corpus.passages), "peak_rss_mb": peak}}))
"""


def one_start(archive: Path, snapshots: Path) -> dict[str, Any]:
    """Run one start in a fresh process and return what it measured."""
    code = ONE_START.format(root=str(ROOT), archive=str(archive), snapshots=str(snapshots))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def run(articles: int, archive: Path, later: int) -> dict[str, Any]:
    if not archive.exists():
        write_archive(articles, archive)
    snapshots = Path(tempfile.mkdtemp(prefix="start-bench-index-"))
    try:
        first = one_start(archive, snapshots)
        starts = [one_start(archive, snapshots) for _ in range(later)]
    finally:
        shutil.rmtree(snapshots, ignore_errors=True)
    return {
        "first": first,
        "later": starts,
        "later_median_first_answer_s": statistics.median(s["first_answer_s"] for s in starts) if starts else None,
        "later_max_peak_rss_mb": max((s["peak_rss_mb"] for s in starts), default=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40_000)
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--later", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.articles, args.archive, args.later)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
        return
    first = result["first"]
    print(f"first start: {first['first_answer_s']:.1f} s to the first answer, peak {first['peak_rss_mb']} MB")
    for number, start in enumerate(result["later"], start=2):
        print(f"start {number}: {start['first_answer_s']:.2f} s to the first answer, peak {start['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()

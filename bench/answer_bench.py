"""The bot's whole answer path on the shipped article, and process start to first answer.

    python bench/answer_bench.py [--rounds 50] [--json]

The answer path is what a Telegram question costs before the network: normalise, tokenise,
search with abstention, and format the HTML reply with citations.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answer import format_html  # noqa: E402
from bot.core.answering.policy import AnswerPolicy  # noqa: E402
from bot.core.serving import Index, open_index  # noqa: E402


def answer_path(rounds: int) -> dict[str, Any]:
    """Time search + HTML formatting for every eval question, `rounds` times over."""
    engine = Index.build(open_index(ROOT / "corpus").corpus, policy=AnswerPolicy())
    questions = [json.loads(line)["q"] for line in (ROOT / "tests" / "eval_questions.jsonl").open(encoding="utf-8")]
    for question in questions:  # warm the caches a running bot has warm
        format_html(engine.search(question, 4), engine.corpus)
    times = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter_ns()
            format_html(engine.search(question, 4), engine.corpus)
            times.append((time.perf_counter_ns() - started) / 1e6)
    array = np.array(times)
    return {
        "questions": len(array),
        "p50_ms": round(float(np.percentile(array, 50)), 4),
        "p99_ms": round(float(np.percentile(array, 99)), 4),
        "max_ms": round(float(array.max()), 4),
    }


def cold_start(runs: int) -> dict[str, Any]:
    """Time `python -m bot ask "how many troops"` from process start to its printed answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")} | {"BOT_CORPUS_DIR": str(ROOT / "corpus")}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "how many troops"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        times.append(time.perf_counter() - started)
        if "10,000" not in result.stdout:
            raise SystemExit(f"unexpected answer: {result.stdout!r}")
    return {"runs": runs, "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = {"answer_path": answer_path(args.rounds), "cold_start": cold_start(args.starts)}
    if args.json:
        print(json.dumps(report))
    else:
        path, start = report["answer_path"], report["cold_start"]
        print(f"answer path: p50 {path['p50_ms']} ms, p99 {path['p99_ms']} ms over {path['questions']} questions")
        print(f"cold start to first answer: median {start['median_s']} s over {start['runs']} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

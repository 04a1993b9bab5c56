"""Redraw bench/results/p50.png (p50 per question against passages, log-log) and print the results table.

python bench/plot.py [--results bench/results]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def load(directory: Path, prefix: str = "alone") -> list[dict[str, Any]]:
    """Return the search_bench reports `<prefix>_<passages>.json` in a directory, smallest corpus first."""
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in directory.glob(f"{prefix}_*.json")]
    return sorted(reports, key=lambda report: report["passages"])


def table(reports: list[dict[str, Any]]) -> str:
    """Return the results as a Markdown table, with each engine's p50 ratio to rank-bm25."""
    lines = [
        "| passages | engine | build s | p50 ms | p99 ms | q/s | RSS MB | rank-bm25 p50 ÷ engine p50 |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        oracle = report["engines"].get("rank_bm25", {}).get("p50_ms")
        for name, figures in report["engines"].items():
            ratio = f"{oracle / figures['p50_ms']:.0f}×" if oracle else "–"
            lines.append(
                f"| {report['passages']:,} | {name} | {figures['build_s']:.2f} | {figures['p50_ms']:.3f} | "
                f"{figures['p99_ms']:.3f} | {figures['qps']:,.0f} | {figures['rss_mb']:.0f} | {ratio} |"
            )
    return "\n".join(lines)


def plot(reports: list[dict[str, Any]], out: Path) -> None:
    """Draw p50 per question against passages, one line per engine, both axes logarithmic."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = sorted({name for report in reports for name in report["engines"]})
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name in engines:
        points = [(r["passages"], r["engines"][name]["p50_ms"]) for r in reports if name in r["engines"]]
        axes.plot([p for p, _ in points], [ms for _, ms in points], marker="o", label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("passages")
    axes.set_ylabel("p50 per question (ms)")
    axes.set_title("Search time per question, top 5, each engine alone in its process")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--prefix", default="alone", help="alone (the headline) or interleaved")
    args = parser.parse_args(argv)
    reports = load(args.results, args.prefix)
    if not reports:
        print(f"no {args.prefix}_*.json in {args.results}; run bench/search_bench.py --out first", file=sys.stderr)
        return 1
    plot(reports, args.results / f"p50_{args.prefix}.png")
    print(table(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's JSON output is a public contract: its shape is checked on a small corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.plot import table
from bench.reload_bench import Kernel, Whole
from bench.reload_bench import run as reload_run

ROOT = Path(__file__).resolve().parent.parent


def test_search_bench_json_contract(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/search_bench.py",
            "--passages",
            "300",
            "--queries",
            "20",
            "--engines",
            "bot,rank_bm25",
            "--content-queries",
            "10",
            "--json",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report == json.loads(out.read_text(encoding="utf-8"))
    assert (report["passages"], report["queries"]) == (300, 30)  # 20 drawn as before, 10 of content words
    assert set(report["engines"]) == {"bot", "rank_bm25"}
    for figures in report["engines"].values():
        assert {"build_s", "p50_ms", "p99_ms", "qps", "rss_mb"} <= set(figures)
        assert figures["p99_ms"] >= figures["p50_ms"] > 0
    kinds = report["engines"]["bot"]["by_kind"]
    assert [kinds[kind]["questions"] for kind in ("real", "zipf", "content")] == [5, 15, 10]
    assert report["agreement"]["bot_vs_rank_bm25_top5"] == 1.0
    assert "| 300 | bot |" in table([report])


@pytest.mark.parametrize("engine", [Kernel, Whole])
def test_reload_bench_reports_a_reload_beside_questions(engine: type[Kernel | Whole]) -> None:
    # The whole answerer embeds every passage when built (about a minute for 300 on a busy machine).
    count = 100 if engine is Whole else 300
    report = reload_run(count, 20, 5, engine)
    assert report["passages"] == count
    assert report["new_index_answers_the_same"] is True
    assert report["answered_during_reload"] >= 0
    assert report["rss_mb_one_index"] is not None

"""Search engines on one synthetic corpus and the same questions: each alone in its own process
(the headline), or interleaved in one process (cache-hostile, kept for comparison).

    python bench/search_bench.py --passages N [--queries 200] [--engines bot,rank_bm25,...] [--mode alone] --json

Each engine is used as its own documentation recommends: the bot's `SearchIndex.top_bm25`; rank-bm25's
`BM25Plus.get_scores` and an argsort; bm25s `BM25(method="bm25+")` with its numba backend when numba
is installed; tantivy with a boolean query of term queries built directly (no query parser) and
`searcher.search(query, k, count=False)`, so it never counts every matching document.

prints one JSON object (a public contract; engines also carry "peak_rss_mb" and "questions"):
{"passages": N, "queries": Q, "engines": {"bot": {"build_s", "p50_ms", "p99_ms", "qps", "rss_mb"}, ...},
 "agreement": {"bot_vs_rank_bm25_top5": fraction}}
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import content_queries, queries, synthetic_passages
from bot.core.retrieval.bm25 import COMPILED
from bot.corpus import Passage
from bot.index import Bm25Params, SearchIndex
from bot.text import terms

LOGGER = logging.getLogger("bench")
Search = Callable[[list[str], int], tuple[list[int], list[float]]]


def rss_mb() -> float:
    """Return this process's resident memory in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM) in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1000
    return 0.0


def build_memory(name: str, passages: Sequence[Passage]) -> tuple[float, float]:
    """Return (MB held after, MB at peak) of building one engine, measured in a forked child.

    A child starts with this process's memory; what its build adds is the engine's own, untouched
    by what other engines freed before (which a shared allocator would hand out again).
    """
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        gc.collect()
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
        before = rss_mb()
        engine = BUILDERS[name](passages)
        gc.collect()
        figures = json.dumps([rss_mb() - before, peak_rss_mb() - before])
        os.write(writer, figures.encode())
        del engine
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        held, peak = json.loads(pipe.read())
    os.waitpid(child, 0)
    return round(held, 1), round(peak, 1)


def progress(label: str, total: int) -> Callable[[Any], Any]:
    """Return a wrapper showing a progress bar on a terminal."""
    from tqdm import tqdm

    return lambda items: tqdm(items, desc=label, total=total, unit=" passages", disable=None, leave=False)


def build_bot(passages: Sequence[Passage]) -> Search:
    index = SearchIndex(passages, progress=progress("bot", len(passages)))
    # The compiled loop is made ready in the background at the first big search (the numpy path
    # answers meanwhile, with the same results); a serving bot has long done that: wait for it.
    COMPILED.wait()

    def search(query: list[str], k: int) -> tuple[list[int], list[float]]:
        docs, scores = index.top_bm25(query, k)
        return docs.tolist(), scores.tolist()

    search.index = index  # type: ignore[attr-defined]  # kept alive with the engine
    return search


def build_rank_bm25(passages: Sequence[Passage]) -> Search:
    import rank_bm25

    params = Bm25Params()
    bm25 = rank_bm25.BM25Plus(
        [terms(p.text) for p in progress("rank_bm25", len(passages))(passages)],
        k1=params.k1,
        b=params.b,
        delta=params.delta,
    )

    def search(query: list[str], k: int) -> tuple[list[int], list[float]]:
        scores = bm25.get_scores(query)
        top = np.argsort(-scores, kind="stable")[:k]
        return top.tolist(), scores[top].tolist()

    search.index = bm25  # type: ignore[attr-defined]
    return search


def build_bm25s(passages: Sequence[Passage]) -> Search:
    import bm25s

    params = Bm25Params()
    try:
        import numba  # noqa: F401  # bm25s's README recommends its numba backend where numba is installed

        backend = "numba"
    except ImportError:
        backend = "numpy"
    retriever = bm25s.BM25(method="bm25+", k1=params.k1, b=params.b, delta=params.delta, backend=backend)
    retriever.index([terms(p.text) for p in progress("bm25s", len(passages))(passages)], show_progress=False)

    def search(query: list[str], k: int) -> tuple[list[int], list[float]]:
        known = [t for t in query if t in retriever.vocab_dict] or query[:1]
        docs, scores = retriever.retrieve([known], k=k, show_progress=False)
        return docs[0].tolist(), scores[0].tolist()

    search.index = retriever  # type: ignore[attr-defined]
    return search


def build_tantivy(passages: Sequence[Passage]) -> Search:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    schema = builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    for passage in progress("tantivy", len(passages))(passages):
        writer.add_document(tantivy.Document(body=" ".join(terms(passage.text))))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def search(query: list[str], k: int) -> tuple[list[int], list[float]]:
        # A repeated term is a repeated clause, as rank-bm25 counts it twice.
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term)) for term in query]
        hits = searcher.search(tantivy.Query.boolean_query(clauses), k, count=False).hits
        return [address.doc for _, address in hits], [score for score, _ in hits]

    search.index = index  # type: ignore[attr-defined]
    return search


BUILDERS: dict[str, Callable[[Sequence[Passage]], Search]] = {
    "bot": build_bot,
    "rank_bm25": build_rank_bm25,
    "bm25s": build_bm25s,
    "tantivy": build_tantivy,
}


def available(name: str) -> bool:
    """Return whether an engine's library is installed (bm25s and tantivy are optional)."""
    module = {"bm25s": "bm25s", "tantivy": "tantivy", "rank_bm25": "rank_bm25"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def agreement(bot: list[tuple[list[int], list[float]]], oracle: list[tuple[list[int], list[float]]]) -> float:
    """Return the share of questions where the bot's top 5 is rank-bm25's top 5.

    Passages tied on score are interchangeable: the bot's list agrees when its scores equal the
    oracle's best scores, among passages holding a query term, to a relative 1e-9.
    """
    agreeing = 0
    for (_, bot_scores), (_, oracle_scores) in zip(bot, oracle, strict=False):
        expected = oracle_scores[: len(bot_scores)]
        agreeing += len(expected) == len(bot_scores) and np.allclose(bot_scores, expected, rtol=1e-9, atol=0)
    return agreeing / len(oracle) if oracle else 0.0


def run(
    count: int,
    question_count: int,
    engines: list[str],
    *,
    k: int,
    oracle_queries: int | None,
    content_count: int = 0,
) -> dict[str, Any]:
    """Build every engine on the same passages, then time them interleaved, question by question."""
    started = time.perf_counter()
    passages = list(synthetic_passages(count))
    LOGGER.info("generated %d passages in %.1f s", len(passages), time.perf_counter() - started)
    # queries() gives the eval set's real questions first (a quarter), then Zipf-drawn words.
    drawn = queries(question_count)
    asked = [q for q in drawn if q]
    kinds = ["real" if n < question_count // 4 else "zipf" for n, q in enumerate(drawn) if q]
    content = [q for q in content_queries(content_count) if q] if content_count else []
    asked += content
    kinds += ["content"] * len(content)
    built: dict[str, Search] = {}
    results: dict[str, dict[str, Any]] = {}
    for name in engines:
        held, peak = build_memory(name, passages)
        gc.collect()
        started = time.perf_counter()
        built[name] = BUILDERS[name](passages)
        build_s = time.perf_counter() - started
        results[name] = {"build_s": round(build_s, 3), "rss_mb": held, "peak_rss_mb": peak}
        LOGGER.info("built %s in %.1f s (%.0f MB held, %.0f MB at peak)", name, build_s, held, peak)
    timings: dict[str, list[float]] = {name: [] for name in engines}
    answers: dict[str, list[tuple[list[int], list[float]]]] = {name: [] for name in engines}
    for number, query in enumerate(asked):
        for name in engines:
            if name == "rank_bm25" and oracle_queries is not None and number >= oracle_queries:
                continue
            started_ns = time.perf_counter_ns()
            answer = built[name](query, k)
            timings[name].append((time.perf_counter_ns() - started_ns) / 1e6)
            answers[name].append(answer)
    for name in engines:
        times = np.array(timings[name])
        lengths = np.array([len(q) for q in asked[: len(times)]])
        results[name].update(
            p50_ms=round(float(np.percentile(times, 50)), 4),
            p99_ms=round(float(np.percentile(times, 99)), 4),
            qps=round(float(1000 / times.mean()), 1),
            questions=len(times),
            p99_ms_by_length={
                str(n): round(float(np.percentile(times[lengths == n], 99)), 4) for n in sorted(set(lengths.tolist()))
            },
        )
        if content:  # by kind of question; the figures above then cover every kind together
            of_kind = np.array(kinds[: len(times)])
            results[name]["by_kind"] = {
                kind: {
                    "questions": int((of_kind == kind).sum()),
                    "p50_ms": round(float(np.percentile(times[of_kind == kind], 50)), 4),
                    "p99_ms": round(float(np.percentile(times[of_kind == kind], 99)), 4),
                }
                for kind in ("real", "zipf", "content")
                if (of_kind == kind).any()
            }
    report: dict[str, Any] = {"passages": len(passages), "queries": len(asked), "engines": results, "agreement": {}}
    if "bot" in answers and "rank_bm25" in answers:
        report["agreement"]["bot_vs_rank_bm25_top5"] = agreement(answers["bot"], answers["rank_bm25"])
    report["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    report["k"] = k
    report["mode"] = "interleaved"
    report["_answers"] = answers
    return report


def run_alone(
    count: int,
    question_count: int,
    engines: list[str],
    *,
    k: int,
    oracle_queries: int | None,
    content_count: int = 0,
) -> dict[str, Any]:
    """Run each engine alone in a process of its own (same passages, same questions), then merge."""
    import subprocess
    import tempfile

    reports = {}
    for name in engines:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--passages", str(count), "--queries", str(question_count)]
            command += ["--engines", name, "--k", str(k), "--mode", "interleaved", "--keep-answers", "--out", out.name]
            if oracle_queries is not None:
                command += ["--oracle-queries", str(oracle_queries)]
            if content_count:
                command += ["--content-queries", str(content_count)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            reports[name] = json.loads(Path(out.name).read_text(encoding="utf-8"))
    first = next(iter(reports.values()))
    report: dict[str, Any] = {
        "passages": first["passages"],
        "queries": first["queries"],
        "engines": {name: r["engines"][name] for name, r in reports.items()},
        "agreement": {},
    }
    if "bot" in reports and "rank_bm25" in reports:
        bot, oracle = reports["bot"]["_answers"]["bot"], reports["rank_bm25"]["_answers"]["rank_bm25"]
        report["agreement"]["bot_vs_rank_bm25_top5"] = agreement(bot, oracle)
    report.update(machine=first["machine"], k=k, mode="alone")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--engines", default="bot,rank_bm25,bm25s,tantivy")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--oracle-queries", type=int, default=None, help="ask rank_bm25 only the first N questions")
    parser.add_argument(
        "--content-queries",
        type=int,
        default=0,
        help="also ask N questions of topic and mid-frequency words, reported apart in by_kind",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report (otherwise a table)")
    parser.add_argument(
        "--mode",
        choices=["alone", "interleaved"],
        default="alone",
        help="alone: each engine in its own process (default); interleaved: all in one, question by question",
    )
    parser.add_argument("--keep-answers", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the JSON report to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    engines = [name for name in args.engines.split(",") if name]
    unknown = [name for name in engines if name not in BUILDERS]
    if unknown:
        parser.error(f"unknown engines: {', '.join(unknown)} (known: {', '.join(BUILDERS)})")
    missing = [name for name in engines if not available(name)]
    for name in missing:
        LOGGER.warning("%s is not installed (pip install -e '.[bench]'); skipped", name)
    engines = [name for name in engines if name not in missing]
    runner = run_alone if args.mode == "alone" else run
    report = runner(
        args.passages,
        args.queries,
        engines,
        k=args.k,
        oracle_queries=args.oracle_queries,
        content_count=args.content_queries,
    )
    if not args.keep_answers:
        report.pop("_answers", None)
    text = json.dumps(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        for name, figures in report["engines"].items():
            print(
                f"{name:10} build {figures['build_s']:8.2f} s  p50 {figures['p50_ms']:9.3f} ms  "
                f"p99 {figures['p99_ms']:9.3f} ms  {figures['qps']:9.1f} q/s  {figures['rss_mb']:7.1f} MB"
            )
        print(f"agreement: {report['agreement']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

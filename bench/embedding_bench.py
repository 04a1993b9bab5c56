"""A newsroom archive with the dense stage: answers while it is embedded and after, an Add with its
vectors, and what embedding the whole archive costs.

    python bench/embedding_bench.py --archive /tmp/archive1m --work /tmp/embedding-bench --json \
        --out bench/results/embedding_1000000.json

The archive is make_archive.py's (40,000 articles: a million passages), hard-linked into a work
folder whose snapshots are kept, so only the first run builds. In this process, one after another:

1. start: open_index with snapshots (over EMBED_NOW_AT_MOST passages: nothing embedded at the build);
2. "words only": the whole answer path (Index.search, k = 3) on the eval set's questions and Zipf-drawn
   words (bench/synthetic.py), as the bot answers while the archive is being embedded;
3. "with vectors": every passage's row filled with a seeded random unit vector. TIMING ONLY: the
   exact search reads and multiplies every row whatever it holds, so its time is honest, but these
   rows are not embeddings and the answers say nothing of quality; then the same questions again;
4. Add: an article written and the engine updated by it (its passages embedded then and there), then
   a question only it answers (as add_bench.py), on the engine with every row filled;
5. embedding throughput: real archive passages embedded for a fixed time in the background
   embedder's own thread (nice 10, one OpenMP thread), and in this thread with the engine's default
   threads; the whole archive's time is EXTRAPOLATED from it, not measured.

The load average is recorded with each figure: the machine's two cores are shared, and so is the
resident memory of this process (`rss_mb`). `--numpy` answers with the numpy scan the bot used before
faiss (PassageVectors.nearest_by_numpy), in the same conditions, for a before/after.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.add_bench import new_article, prepare  # noqa: E402
from bench.dense_bench import random_unit, rss_mb  # noqa: E402
from bench.synthetic import queries  # noqa: E402
from bot.core.answering.dense import Embedder, PassageVectors  # noqa: E402
from bot.core.articles.store import put_article  # noqa: E402
from bot.core.serving import Index, open_index  # noqa: E402
from bot.core.serving.embedding import _quiet_thread  # noqa: E402


def load() -> float:
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def answer_times(engine: Index, questions: list[str]) -> dict[str, Any]:
    engine.search(questions[0], 3)  # warm
    times, answered = [], 0
    before = load()
    for question in questions:
        started = time.perf_counter()
        result = engine.search(question, 3)
        times.append((time.perf_counter() - started) * 1000)
        answered += bool(result.hits)
    real = len(queries(len(questions))) - len(synthetic_only(len(questions)))
    return {
        "questions": len(questions),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "max_ms": round(max(times), 1),
        # The eval set's questions, and the Zipf-drawn made-up words (which the bot may take for a
        # language other than the articles' and answer through across.py).
        "eval": {
            "questions": real,
            "p50_ms": round(statistics.median(times[:real]), 1),
            "p99_ms": round(percentile(times[:real], 0.99), 1),
        },
        "zipf": {
            "questions": len(times) - real,
            "p50_ms": round(statistics.median(times[real:]), 1),
            "p99_ms": round(percentile(times[real:], 0.99), 1),
        },
        "answered": answered,
        "load": [before, load()],
        "rss_mb": round(rss_mb()),
    }


def synthetic_only(count: int) -> list[list[str]]:
    """Return the Zipf-drawn questions among queries(count) (the eval set's come first)."""
    lines = (ROOT / "tests" / "eval_questions.jsonl").read_text(encoding="utf-8").splitlines()
    real = min(count // 4, sum(1 for line in lines if line.strip()))
    return queries(count)[real:]


def throughput(texts: list[str], seconds: float, *, background: bool) -> dict[str, Any]:
    """Return passages embedded a second by a fresh model, for about `seconds`."""
    embedder = Embedder()
    embedder.warm_up()

    def embed() -> tuple[int, float, float]:
        done, wall, cpu = 0, time.perf_counter(), time.thread_time()
        while time.perf_counter() - wall < seconds and done < len(texts):
            embedder.passages(texts[done : done + 32])
            done += 32
        return done, time.perf_counter() - wall, time.thread_time() - cpu

    before = load()
    if background:
        with ThreadPoolExecutor(max_workers=1, initializer=_quiet_thread) as pool:
            done, wall, cpu = pool.submit(embed).result()
    else:
        done, wall, cpu = embed()
    return {
        "passages": done,
        "wall_s": round(wall, 1),
        "passages_per_s": round(done / wall, 2),
        "cpu_ms_per_passage": round(1000 * cpu / done, 1) if background else None,
        "load": [before, load()],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.numpy:  # the search before faiss, for a before/after in the same conditions
        PassageVectors.nearest = PassageVectors.nearest_by_numpy  # type: ignore[method-assign]
    corpus = prepare(args.archive, args.work)
    snapshots = args.work / "index"
    started = time.perf_counter()
    engine = open_index(corpus, snapshots=snapshots)
    vectors = engine.parts.vectors
    result: dict[str, Any] = {
        "passages": len(engine.corpus.passages),
        "articles": len(engine.corpus.articles),
        "start_s": round(time.perf_counter() - started, 1),
        "not_embedded_at_start": vectors.missing,
        "start_load": load(),
        "search": "numpy scan (before faiss)" if args.numpy else "faiss",
        "start_rss_mb": round(rss_mb()),
    }
    questions = [" ".join(words) for words in queries(args.questions)]
    result["words_only"] = answer_times(engine, questions)
    print("words only", result["words_only"], file=sys.stderr, flush=True)
    # TIMING ONLY: random unit vectors stand in for every passage's embedding.
    filling = time.perf_counter()
    for start in range(0, len(vectors), 100_000):
        docs = np.arange(start, min(start + 100_000, len(vectors)), dtype=np.int64)
        vectors.fill(docs, random_unit(len(docs), seed=start + 1))
    result["random_vectors_filled_s"] = round(time.perf_counter() - filling, 1)
    result["with_vectors"] = answer_times(engine, questions)
    result["with_vectors"]["vectors"] = "seeded random unit vectors: timing only"
    print("with vectors", result["with_vectors"], file=sys.stderr, flush=True)
    adds = []
    try:
        for number in range(args.adds):
            article, question = new_article(number)
            began, before = time.perf_counter(), load()
            done = put_article(corpus, article, trash=args.work / "trash", replace=False, known=engine.known_files())
            engine = open_index(corpus, snapshots=snapshots, live=engine, files=done.files)
            searchable = time.perf_counter()
            found = engine.search(question, 3)
            adds.append(
                {
                    "searchable_s": round(searchable - began, 2),
                    "question_s": round(time.perf_counter() - searchable, 2),
                    "found": bool(found.hits) and found.hits[0].passage.article_id == article.id,
                    "new_passages_embedded": not engine.parts.vectors.missing,
                    "load": [before, load()],
                    "rss_mb": round(rss_mb()),
                }
            )
            print("add", adds[-1], file=sys.stderr, flush=True)
    finally:
        for added in corpus.glob("2030-01-01-added-story-*"):
            added.unlink()
    result["adds"] = adds
    if not args.embed_seconds:
        return result
    texts = [engine.corpus.passages[n].text for n in range(50_000, 50_000 + 4_000)]
    result["embedding_background_thread"] = throughput(texts, args.embed_seconds, background=True)
    print("background", result["embedding_background_thread"], file=sys.stderr, flush=True)
    result["embedding_default_threads"] = throughput(texts[::-1], args.embed_seconds / 2, background=False)
    print("default threads", result["embedding_default_threads"], file=sys.stderr, flush=True)
    rate = result["embedding_background_thread"]["passages_per_s"]
    result["extrapolated_whole_archive_h"] = round(result["passages"] / rate / 3600, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--adds", type=int, default=3)
    parser.add_argument("--embed-seconds", type=float, default=60.0)
    parser.add_argument("--numpy", action="store_true", help="answer with the numpy scan of before")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    result = run(args)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)


if __name__ == "__main__":
    main()

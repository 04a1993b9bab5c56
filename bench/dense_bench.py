"""Exact nearest-passage search over float16 sentence vectors: the bot's search (faiss's float16
scan, its candidates scored again by the bot's own sums) and the numpy scan it replaced, beside a
BLAS product and the maintained libraries that search exactly (faiss-cpu, usearch).

    python bench/dense_bench.py --passages 1000000 --queries 50 --json --out bench/results/dense_search_1000000.json

TIMING ONLY: the vectors are seeded random unit vectors, not embeddings of passages. The time of an
exact search does not depend on the values (every row is read and multiplied whatever it holds), so
they stand in honestly for the speed of the search; they say nothing of answer quality. faiss-cpu
is the bot's dependency; usearch is not: install it in a scratch environment to compare
(`pip install usearch`); a library that is missing is skipped. `bot_search` includes making faiss's
copy of the rows in its build time (`PassageVectors.warm_up`). Every engine runs with one
thread (the serving process leaves the other core to a build), k = 21 (the dense stage asks 20 and
one more to see ties). `agree` is the share of questions whose top k is the bot's own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402  (after the thread settings it reads)
import numpy.typing as npt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.answering.dense import BLOCK, DIMENSIONS, PassageVectors, cosines  # noqa: E402

Search = Callable[[npt.NDArray[np.float32], int], npt.NDArray[np.int64]]


def random_unit(count: int, seed: int) -> npt.NDArray[np.float16]:
    """Return seeded random unit vectors as float16 rows, made a block at a time (little memory)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, DIMENSIONS), dtype=np.float16)
    for start in range(0, count, 100_000):
        block = rng.standard_normal((min(100_000, count - start), DIMENSIONS), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(block)] = block
    return out


def bot_numpy_scan(matrix: npt.NDArray[np.float16]) -> Search:
    vectors = PassageVectors(matrix)
    return lambda query, k: vectors.nearest_by_numpy(query, k)[0]


def bot_search(matrix: npt.NDArray[np.float16]) -> Search:
    vectors = PassageVectors(matrix)
    vectors.warm_up()
    return lambda query, k: vectors.nearest(query, k)[0]


def numpy_matmul(matrix: npt.NDArray[np.float16]) -> Search:
    def search(query: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
        scores = np.empty(len(matrix), dtype=np.float32)
        for start in range(0, len(matrix), BLOCK):
            scores[start : start + BLOCK] = matrix[start : start + BLOCK].astype(np.float32) @ query
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.lexsort((top, -scores[top]))].astype(np.int64)

    return search


def faiss_flat(matrix: npt.NDArray[np.float16]) -> Search:
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(DIMENSIONS)  # float32 rows: twice the memory of the bot's
    for start in range(0, len(matrix), 100_000):
        index.add(matrix[start : start + 100_000].astype(np.float32))
    return lambda query, k: index.search(query[None, :], k)[1][0].astype(np.int64)


def faiss_fp16(matrix: npt.NDArray[np.float16]) -> Search:
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexScalarQuantizer(DIMENSIONS, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    for start in range(0, len(matrix), 100_000):
        index.add(matrix[start : start + 100_000].astype(np.float32))  # stored as float16, scanned whole
    return lambda query, k: index.search(query[None, :], k)[1][0].astype(np.int64)


def usearch_exact(matrix: npt.NDArray[np.float16]) -> Search:
    from usearch.index import MetricKind, search  # type: ignore[import-not-found]

    return lambda query, k: np.asarray(
        search(matrix, query.astype(np.float16), k, MetricKind.IP, exact=True, threads=1).keys, dtype=np.int64
    )


ENGINES: dict[str, Callable[[npt.NDArray[np.float16]], Search]] = {
    "bot_numpy_scan": bot_numpy_scan,
    "bot_search": bot_search,
    "numpy_matmul": numpy_matmul,
    "faiss_flat_f32": faiss_flat,
    "faiss_sq_fp16": faiss_fp16,
    "usearch_exact_f16": usearch_exact,
}


def faiss_places(count: int, queries: int) -> dict[str, Any]:
    """Return whether faiss's float16 scan scores a row the same to the bit wherever it stands (the
    rows searched again in a shuffled order), and how far its scores are from the bot's own sums."""
    import faiss

    faiss.omp_set_num_threads(1)
    matrix = random_unit(count, seed=3)
    asked = random_unit(queries, seed=4).astype(np.float32)

    def scores(rows: npt.NDArray[np.float16]) -> npt.NDArray[np.float32]:
        index = faiss.IndexScalarQuantizer(DIMENSIONS, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        index.add(rows.astype(np.float32))
        found, order = index.search(asked, len(rows))
        out = np.empty((queries, len(rows)), dtype=np.float32)
        for row in range(queries):
            out[row, order[row]] = found[row]
        return out

    shuffled = np.random.default_rng(5).permutation(count)
    first, again = scores(matrix), scores(matrix[shuffled])
    own = np.stack([cosines(matrix, query) for query in asked])
    return {
        "rows": count,
        "queries": queries,
        "same_to_the_bit_anywhere": bool(np.array_equal(first[:, shuffled], again)),
        "most_from_the_bots_sums": float(np.abs(first - own).max()),
    }


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--k", type=int, default=21)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--places", type=int, help="only check faiss's scores by place over this many rows")
    args = parser.parse_args()
    if args.places:
        checked = json.dumps(faiss_places(args.places, 5), indent=1)
        if args.out:
            args.out.write_text(checked + "\n", encoding="utf-8")
        print(checked)
        return
    matrix = random_unit(args.passages, seed=1)
    queries = random_unit(args.queries, seed=2).astype(np.float32)
    result: dict[str, Any] = {
        "passages": args.passages,
        "queries": args.queries,
        "k": args.k,
        "vectors": "seeded random unit vectors, float16: timing only",
        "load_before": os.getloadavg(),
        "engines": {},
    }
    reference: list[list[int]] | None = None
    for name in args.engines.split(","):
        before = rss_mb()
        started = time.perf_counter()
        try:
            search = ENGINES[name](matrix)
        except ImportError as error:
            result["engines"][name] = {"skipped": str(error)}
            continue
        build = time.perf_counter() - started
        search(queries[0], args.k)  # warm
        times, found = [], []
        for query in queries:
            started = time.perf_counter()
            found.append(search(query, args.k).tolist())
            times.append((time.perf_counter() - started) * 1000)
        if reference is None:
            reference = found
        agree = sum(sorted(a) == sorted(b) for a, b in zip(found, reference, strict=True)) / len(found)
        in_order = sum(a == b for a, b in zip(found, reference, strict=True)) / len(found)
        result["engines"][name] = {
            "build_s": round(build, 2),
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2),
            "added_mb": round(rss_mb() - before),
            "agree": agree,
            "same_order": in_order,
            "load": os.getloadavg()[0],
        }
        print(name, result["engines"][name], file=sys.stderr, flush=True)
        del search
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)


if __name__ == "__main__":
    main()

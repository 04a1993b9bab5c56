"""The kernel's exact top k compiled with numba: block-max MaxScore over doc-ordered postings.

The numpy path in bm25.py (MaxScore over impact-ordered postings, read a chunk at a time) pays a
few microseconds of interpreter per numpy call, dozens of calls a question. This is the same exact
search as one compiled loop, document at a time, in the manner of Lucene's and tantivy's
block-max MaxScore:

- the query's rows are sorted by their upper bound (query weight x the row's largest weight); the
  longest prefix of them whose bounds together stay under the k-th best score so far cannot make a
  passage enter the top k on their own ("non-essential"), so passages are taken only from the
  others, in passage order;
- each row's postings are cut into blocks of `block` postings with their largest weight and last
  passage; a passage's bound from a non-essential row is its block's largest weight, so most
  passages are dropped without looking them up, and seeking skips whole blocks;
- a passage that may still enter is scored exactly, each row's weight added in the query's own
  order, the order the numpy path adds them in: the scores are the same to the bit, and ties go to
  the lower passage number, so both paths return the same top k.

It runs without the GIL (nogil), and is compiled once and cached on disk (numba's cache) the first
time a big index is searched.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def blocks_of(
    indptr: npt.NDArray[np.integer], indices: npt.NDArray[np.int32], data: FloatArray, block: int
) -> tuple[IntArray, FloatArray, npt.NDArray[np.int32]]:
    """Return each row's first block number (one more entry for the end), and each block's largest
    weight and last passage: blocks of `block` postings in passage order, the last of a row shorter."""
    df = np.diff(indptr).astype(np.int64)
    counts = (df + block - 1) // block
    first = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    owner = np.repeat(np.arange(len(df), dtype=np.int64), counts)
    starts = np.asarray(indptr, dtype=np.int64)[owner] + (np.arange(len(owner), dtype=np.int64) - first[owner]) * block
    if not len(starts):
        return first, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int32)
    largest = np.maximum.reduceat(data, starts).astype(np.float64)
    ends = np.minimum(starts + block, np.asarray(indptr, dtype=np.int64)[owner + 1])
    return first, largest, np.asarray(indices[ends - 1], dtype=np.int32)


@njit(cache=True, nogil=True)
def top_k(
    indptr: npt.NDArray[np.integer],
    indices: npt.NDArray[np.int32],
    data: FloatArray,
    block_first: IntArray,
    block_max: FloatArray,
    block_last: npt.NDArray[np.int32],
    block: int,
    rows: IntArray,
    weights: FloatArray,
    k: int,
) -> tuple[IntArray, FloatArray]:
    """Return the k best passages for weighted rows (query order) and their scores, best first."""
    q = len(rows)
    # Per query row: cursor, end, block cursor, upper bound; visited in ascending bound order.
    position = np.empty(q, dtype=np.int64)
    stop = np.empty(q, dtype=np.int64)
    current_block = np.empty(q, dtype=np.int64)
    bound = np.empty(q, dtype=np.float64)
    for i in range(q):
        row = rows[i]
        position[i] = indptr[row]
        stop[i] = indptr[row + 1]
        current_block[i] = block_first[row]
        largest = 0.0
        for b in range(block_first[row], block_first[row + 1]):
            largest = max(largest, block_max[b])
        bound[i] = weights[i] * largest
    order = np.argsort(bound, kind="mergesort")
    below = np.zeros(q + 1, dtype=np.float64)  # below[j]: the bounds of order[0..j-1] together
    for j in range(q):
        below[j + 1] = below[j] + bound[order[j]]
    heap_scores = np.empty(k, dtype=np.float64)  # a min-heap on (score, -passage)
    heap_docs = np.empty(k, dtype=np.int64)
    size = 0
    floor = 0.0
    essential = 0  # order[essential:] are the rows passages are taken from
    contribution = np.zeros(q, dtype=np.float64)
    held = np.zeros(q, dtype=np.bool_)
    while True:
        if size == k and essential == q - 1:
            # One essential row left: a passage in one of its blocks can reach at most the block's
            # largest weight plus every other row's bound; blocks under the floor are skipped whole.
            i = order[q - 1]
            row = rows[i]
            last_block = block_first[row + 1]
            while position[i] < stop[i]:
                while current_block[i] < last_block and block_last[current_block[i]] < indices[position[i]]:
                    current_block[i] += 1
                if weights[i] * block_max[current_block[i]] + below[q - 1] >= floor:
                    break
                current_block[i] += 1
                position[i] = indptr[row] + (current_block[i] - block_first[row]) * block
        # The next passage: the lowest at the cursors of the essential rows.
        doc = -1
        for j in range(essential, q):
            i = order[j]
            if position[i] < stop[i]:
                here = indices[position[i]]
                if doc < 0 or here < doc:
                    doc = here
        if doc < 0:
            break
        for i in range(q):
            held[i] = False
        partial = 0.0
        for j in range(essential, q):
            i = order[j]
            if position[i] < stop[i] and indices[position[i]] == doc:
                contribution[i] = weights[i] * data[position[i]]
                held[i] = True
                partial += contribution[i]
                position[i] += 1
        # The non-essential rows, largest bound first: stop as soon as the passage cannot reach the floor.
        reachable = True
        for j in range(essential - 1, -1, -1):
            if size == k and partial + below[j + 1] < floor:
                reachable = False
                break
            i = order[j]
            row = rows[i]
            # Seek the block that may hold the passage, then bound the passage by the block's largest.
            last_block = block_first[row + 1]
            while current_block[i] < last_block and block_last[current_block[i]] < doc:
                current_block[i] += 1
            if current_block[i] == last_block:
                position[i] = stop[i]
                continue
            if size == k and partial + weights[i] * block_max[current_block[i]] + below[j] < floor:
                reachable = False  # even this row's block at its largest leaves it under the floor
                break
            start = indptr[row] + (current_block[i] - block_first[row]) * block
            if position[i] < start:
                position[i] = start
            low, high = position[i], min(stop[i], start + block)
            while low < high:  # the first posting at or after the passage, within the block
                middle = (low + high) // 2
                if indices[middle] < doc:
                    low = middle + 1
                else:
                    high = middle
            position[i] = low
            if low < stop[i] and indices[low] == doc:
                contribution[i] = weights[i] * data[low]
                held[i] = True
                partial += contribution[i]
        if not reachable:
            continue
        # The exact score: each row's weight added in the query's order, as the numpy path does.
        score = 0.0
        for i in range(q):
            if held[i]:
                score += contribution[i]
        if size < k:
            heap_scores[size] = score
            heap_docs[size] = doc
            size += 1
            child = size - 1
            while child > 0:  # sift up: the heap's top is the worst (lowest score, then highest passage)
                parent = (child - 1) // 2
                if heap_scores[child] < heap_scores[parent] or (
                    heap_scores[child] == heap_scores[parent] and heap_docs[child] > heap_docs[parent]
                ):
                    heap_scores[child], heap_scores[parent] = heap_scores[parent], heap_scores[child]
                    heap_docs[child], heap_docs[parent] = heap_docs[parent], heap_docs[child]
                    child = parent
                else:
                    break
        elif score > heap_scores[0]:  # a later passage with an equal score does not displace an earlier one
            heap_scores[0] = score
            heap_docs[0] = doc
            parent = 0
            while True:  # sift down
                left, right, worst = 2 * parent + 1, 2 * parent + 2, parent
                for child in (left, right):
                    if child < size and (
                        heap_scores[child] < heap_scores[worst]
                        or (heap_scores[child] == heap_scores[worst] and heap_docs[child] > heap_docs[worst])
                    ):
                        worst = child
                if worst == parent:
                    break
                heap_scores[worst], heap_scores[parent] = heap_scores[parent], heap_scores[worst]
                heap_docs[worst], heap_docs[parent] = heap_docs[parent], heap_docs[worst]
                parent = worst
        else:
            continue
        if size == k:
            floor = heap_scores[0] * (1 - 1e-12)  # rounding must never prune a passage that ties
            while essential < q and below[essential + 1] < floor:
                essential += 1
    ranked = np.argsort(-heap_scores[:size], kind="mergesort")
    docs = heap_docs[:size][ranked]
    scores = heap_scores[:size][ranked]
    # Equal scores: the lower passage first.
    for a in range(size):
        for b in range(a + 1, size):
            if scores[b] == scores[a] and docs[b] < docs[a]:
                docs[a], docs[b] = docs[b], docs[a]
    return docs, scores

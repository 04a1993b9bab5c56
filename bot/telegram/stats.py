"""Question statistics in SQLite, best-effort: counts, the questions the corpus can't answer, answer times.

It stores question text and counts, never who asked. Its size is bounded: at most `max_questions`
distinct unanswered questions and `max_timings` answer times are kept (the oldest go first).
Recording never blocks an answer: records go through a queue to one writer thread, which waits at
most `timeout` seconds for a lock and drops what it cannot write, logging once per outage.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import statistics
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.core.messages import ENGLISH, Messages
from bot.core.text import fold

LOGGER = logging.getLogger("bot.stats")
SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unanswered_questions (
    key TEXT PRIMARY KEY, question TEXT NOT NULL, count INTEGER NOT NULL, last_asked REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS timings (id INTEGER PRIMARY KEY AUTOINCREMENT, ms REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (name TEXT PRIMARY KEY, at REAL NOT NULL);
"""
MAX_STORED_QUESTION = 200  # characters of a question kept, in both its forms
_STOP = object()


def normalise_question(question: str) -> str:
    """Return the key questions are counted under: folded, single-spaced, without end punctuation."""
    return " ".join(fold(question).split()).rstrip("?!. ")[:MAX_STORED_QUESTION]


def display_question(question: str) -> str:
    """Return a question as the user typed it, single-spaced, without control characters, capped."""
    kept = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in question)
    return " ".join(kept.split())[:MAX_STORED_QUESTION]


@dataclass(frozen=True)
class Summary:
    """What /stats reports."""

    asked: int
    answered: int
    abstained: int
    top_unanswered: tuple[tuple[str, int, float], ...]
    median_ms: float | None
    p95_ms: float | None
    last_reload: float | None


def embedding_line(embedded: int, total: int, say: Messages = ENGLISH) -> str:
    """Return the /stats line of an archive whose passages are still being embedded."""
    share = 100.0 * embedded / total if total else 100.0
    return say.gettext(
        "Embedding passages: {embedded} of {total} ({share:.0f}%). Until it finishes, answers come from "
        "the words of the passages (BM25) alone for the rest.",
        embedded=say.number(embedded),
        total=say.number(total),
        share=share,
    )


class StatsUnavailableError(Exception):
    """The statistics file cannot be used; the message says why."""


@dataclass(frozen=True)
class _Record:
    question: str
    answered: bool
    ms: float
    now: float


@dataclass(frozen=True)
class _Mark:
    event: str
    now: float


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def _open(path: Path, timeout: float) -> sqlite3.Connection:
    """Open (or create) the statistics file; move a corrupt one aside and start afresh."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _connect(path, timeout)
    except sqlite3.DatabaseError as error:
        if "not a database" not in str(error) and "malformed" not in str(error):
            raise StatsUnavailableError(f"{path}: {error}") from error
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            path.rename(aside)
        except OSError as rename_error:
            raise StatsUnavailableError(f"{path}: {error}, and it could not be moved aside ({rename_error})") from error
        LOGGER.warning("stats: %s was not a usable database (%s); moved it to %s", path, error, aside.name)
        try:
            return _connect(path, timeout)
        except sqlite3.Error as retry_error:
            raise StatsUnavailableError(f"{path}: {retry_error}") from retry_error
    except OSError as error:
        raise StatsUnavailableError(f"{path}: {error.strerror or error}") from error


class StatsStore:
    """Counts in one SQLite file that survives restarts, written by one background thread."""

    def __init__(self, path: Path, *, max_questions: int = 1000, max_timings: int = 5000, timeout: float = 0.5) -> None:
        self.path = path
        self.max_questions = max_questions
        self.max_timings = max_timings
        self.timeout = timeout
        self._db = _open(path, timeout)  # raises StatsUnavailableError
        self._queue: queue.Queue[object] = queue.Queue(maxsize=10_000)
        self._failing: str | None = None
        self._writer = threading.Thread(target=self._write_all, name="stats-writer", daemon=True)
        self._writer.start()

    def record(self, question: str, *, answered: bool, ms: float, now: float | None = None) -> None:
        """Count one question (remembered if unanswered) and its answer time; never blocks."""
        self._put(_Record(question, answered, ms, time.time() if now is None else now))

    def mark(self, event: str, *, now: float | None = None) -> None:
        """Remember when an event (a reload) last happened; never blocks."""
        self._put(_Mark(event, time.time() if now is None else now))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything recorded so far was written (or dropped); return whether it was."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def close(self) -> None:
        """Write what is queued, stop the writer and close the database."""
        self._queue.put(_STOP)
        self._writer.join(timeout=10)
        self._db.close()

    def _put(self, item: object) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._failed("the queue of records is full")

    def _write_all(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                self._write(item)
                if self._failing is not None:
                    LOGGER.warning("stats: recording again after an outage (%s)", self._failing)
                    self._failing = None
            except sqlite3.Error as error:
                self._failed(str(error))
            finally:
                self._queue.task_done()

    def _failed(self, reason: str) -> None:
        if self._failing is None:  # once per outage, not once per question
            LOGGER.warning("stats: could not record (%s); answers go on without statistics", reason)
        self._failing = reason

    def _write(self, item: object) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if isinstance(item, _Mark):
                self._db.execute(
                    "INSERT INTO events VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                    (item.event, item.now),
                )
                return
            if not isinstance(item, _Record):
                return
            self._bump("asked")
            self._bump("answered" if item.answered else "abstained")
            key = normalise_question(item.question)
            if not item.answered and key:
                self._db.execute(
                    "INSERT INTO unanswered_questions VALUES (?, ?, 1, ?) ON CONFLICT(key) DO UPDATE SET "
                    "count = count + 1, last_asked = excluded.last_asked, question = excluded.question",
                    (key, display_question(item.question), item.now),
                )
                self._db.execute(
                    "DELETE FROM unanswered_questions WHERE key NOT IN "
                    "(SELECT key FROM unanswered_questions ORDER BY last_asked DESC LIMIT ?)",
                    (self.max_questions,),
                )
            self._db.execute("INSERT INTO timings (ms) VALUES (?)", (item.ms,))
            self._db.execute("DELETE FROM timings WHERE id <= (SELECT MAX(id) FROM timings) - ?", (self.max_timings,))

    def _bump(self, name: str) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,)
        )

    def summary(self, *, top: int = 10) -> Summary:
        """Return the counts, the most frequent unanswered questions and the answer-time figures.

        Reads through its own connection, after what is queued (waiting a second at most); raises
        StatsUnavailableError when the file cannot be read now.
        """
        self.flush(timeout=1.0)
        try:
            with contextlib.closing(sqlite3.connect(self.path, timeout=self.timeout)) as db:
                return self._summary(db, top)
        except sqlite3.Error as error:
            raise StatsUnavailableError(f"{self.path}: {error}") from error

    def _summary(self, db: sqlite3.Connection, top: int) -> Summary:
        counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        rows = db.execute(
            "SELECT question, count, last_asked FROM unanswered_questions ORDER BY count DESC, last_asked DESC LIMIT ?",
            (top,),
        ).fetchall()
        times = sorted(float(ms) for (ms,) in db.execute("SELECT ms FROM timings"))
        median = statistics.median(times) if times else None
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))] if times else None
        reload_row = db.execute("SELECT at FROM events WHERE name = 'reload'").fetchone()
        return Summary(
            int(counters.get("asked", 0)),
            int(counters.get("answered", 0)),
            int(counters.get("abstained", 0)),
            tuple((str(q), int(c), float(t)) for q, c, t in rows),
            median,
            p95,
            float(reload_row[0]) if reload_row else None,
        )

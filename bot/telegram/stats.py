"""Question statistics in SQLite: counts, the questions the corpus can't answer, answer times.

It stores question text and counts, never who asked. Its size is bounded: at most
`max_questions` distinct questions and `max_timings` answer times are kept (the oldest go first).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.text import fold

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unanswered (
    question TEXT PRIMARY KEY, count INTEGER NOT NULL, last_asked REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS timings (id INTEGER PRIMARY KEY AUTOINCREMENT, ms REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (name TEXT PRIMARY KEY, at REAL NOT NULL);
"""


def normalise_question(question: str) -> str:
    """Return the form questions are counted under: folded, single-spaced, without end punctuation."""
    return " ".join(fold(question).split()).rstrip("?!. ")


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


class StatsStore:
    """Counts in one SQLite file that survives restarts."""

    def __init__(self, path: Path, *, max_questions: int = 1000, max_timings: int = 5000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_questions = max_questions
        self.max_timings = max_timings
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def record(self, question: str, *, answered: bool, ms: float, now: float | None = None) -> None:
        """Count one question, remember it if unanswered, and keep its answer time."""
        now = time.time() if now is None else now
        with self._db:
            self._db.execute("BEGIN")
            self._bump("asked")
            self._bump("answered" if answered else "abstained")
            if not answered and (text := normalise_question(question)):
                self._db.execute(
                    "INSERT INTO unanswered VALUES (?, 1, ?) "
                    "ON CONFLICT(question) DO UPDATE SET count = count + 1, last_asked = excluded.last_asked",
                    (text, now),
                )
                self._db.execute(
                    "DELETE FROM unanswered WHERE question NOT IN "
                    "(SELECT question FROM unanswered ORDER BY last_asked DESC LIMIT ?)",
                    (self.max_questions,),
                )
            self._db.execute("INSERT INTO timings (ms) VALUES (?)", (ms,))
            self._db.execute("DELETE FROM timings WHERE id <= (SELECT MAX(id) FROM timings) - ?", (self.max_timings,))

    def mark(self, event: str, *, now: float | None = None) -> None:
        """Remember when an event (a reload) last happened."""
        with self._db:
            self._db.execute(
                "INSERT INTO events VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                (event, time.time() if now is None else now),
            )

    def _bump(self, name: str) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,)
        )

    def _counter(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def summary(self, *, top: int = 10) -> Summary:
        """Return the counts, the most frequent unanswered questions and the answer-time figures."""
        rows = self._db.execute(
            "SELECT question, count, last_asked FROM unanswered ORDER BY count DESC, last_asked DESC LIMIT ?", (top,)
        ).fetchall()
        times = sorted(float(ms) for (ms,) in self._db.execute("SELECT ms FROM timings"))
        median = statistics.median(times) if times else None
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))] if times else None
        reload_row = self._db.execute("SELECT at FROM events WHERE name = 'reload'").fetchone()
        return Summary(
            self._counter("asked"),
            self._counter("answered"),
            self._counter("abstained"),
            tuple((str(q), int(c), float(t)) for q, c, t in rows),
            median,
            p95,
            float(reload_row[0]) if reload_row else None,
        )

"""Statistics are best-effort: a locked, corrupt or unwritable file never stops or slows an answer."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.core.serving import Index
from bot.telegram.state import BotConfig
from bot.telegram.stats import StatsStore, display_question
from tests.fake_bot_api import FakeBotApi
from tests.harness import running_bot
from tests.test_telegram import visible_text

ADMIN = 42


def test_stats_store_is_bounded(tmp_path: Path) -> None:
    store = StatsStore(tmp_path / "s.sqlite3", max_questions=5, max_timings=10)
    for n in range(50):
        store.record(f"question number {n}?", answered=False, ms=float(n), now=float(n))
    summary = store.summary(top=100)
    assert [q for q, _, _ in summary.top_unanswered] == [f"question number {n}?" for n in range(49, 44, -1)]
    assert summary.median_ms == 44.5
    assert summary.asked == 50
    store.close()


def test_stored_questions_keep_what_was_typed_capped() -> None:
    assert display_question("  What\x00 about\u202e  ﷺ? ") == "What about ﷺ?"
    assert len(display_question("\ufdfa" * 300)) == 200


def bot_with_stats(api: FakeBotApi, engine: Index, data_dir: Path) -> Any:
    return running_bot(api, engine, BotConfig(admin_ids=frozenset({ADMIN}), data_dir=data_dir))


async def test_a_locked_database_never_stalls_answers(
    api: FakeBotApi, engine: Index, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_with_stats(api, engine, tmp_path) as application:
        with contextlib.closing(sqlite3.connect(tmp_path / "stats.sqlite3", isolation_level=None)) as other:
            other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
            for n in range(5):
                api.say("how many troops", user_id=n + 1, chat_id=n + 1)
            sent = await api.wait_sent(5)
            application.bot_data.stats.flush()
            other.execute("ROLLBACK")
        api.say("who signed the treaty", user_id=9, chat_id=9)
        await api.wait_sent(6)
        application.bot_data.stats.flush()
        summary = application.bot_data.stats.summary()
    assert all("10,000 troops" in visible_text(s["text"]) for s in sent)
    outages = [r for r in caplog.records if "could not record" in r.getMessage()]
    assert len(outages) == 1  # once per outage, not once per question
    assert any("recording again" in r.getMessage() for r in caplog.records)
    assert summary.asked >= 1


async def test_a_corrupt_file_is_moved_aside(api: FakeBotApi, engine: Index, tmp_path: Path) -> None:
    (tmp_path / "stats.sqlite3").write_bytes(b"this is not a database, just garbage " * 100)
    async with bot_with_stats(api, engine, tmp_path) as application:
        api.say("how many troops")
        await api.wait_sent(1)
        application.bot_data.stats.flush()
        assert application.bot_data.stats.summary().asked == 1
    [aside] = tmp_path.glob("stats.sqlite3.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")


async def test_a_data_dir_that_cannot_be_made_means_no_stats(api: FakeBotApi, engine: Index, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    async with bot_with_stats(api, engine, tmp_path / "file" / "data"):
        api.say("how many troops")
        api.say("/stats", user_id=ADMIN, chat_id=ADMIN)
        sent = await api.wait_sent(2)
    texts = [s["text"] for s in sent]
    assert any("10,000" in visible_text(t) for t in texts if t.startswith("❓"))
    stats = next(t for t in texts if t.startswith("Corpus"))
    assert f"Statistics are off: {tmp_path / 'file' / 'data' / 'stats.sqlite3'}:" in stats

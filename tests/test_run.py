"""`python -m bot run` as a real process against the fake Bot API server: polling, webhook, SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import ARTICLE_ID, CORPUS_DIR
from tests.fake_bot_api import FakeBotApi
from tests.test_admin import attribute_bomb

ROOT = Path(__file__).resolve().parent.parent


async def start_bot(api: FakeBotApi, **env: str) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    clean |= {
        "BOT_TELEGRAM_TOKEN": api.token,
        "BOT_TELEGRAM_API_URL": api.base_url,
        "BOT_CORPUS_DIR": str(CORPUS_DIR),
        "BOT_LOG_LEVEL": "DEBUG",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=clean, stderr=asyncio.subprocess.PIPE
    )


async def stop(process: asyncio.subprocess.Process, signum: int = signal.SIGTERM) -> str:
    process.send_signal(signum)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_run_polls_answers_and_stops_on_a_signal(signum: int) -> None:
    api = FakeBotApi()
    await api.start()
    try:
        process = await start_bot(api)
        await api.wait_for(lambda: bool(api.sent("setMyCommands")), within=30)
        api.say("how many troops")
        [sent] = await api.wait_sent(1, within=30)
        log = await stop(process, signum)  # exit status 0: a clean stop, no KeyboardInterrupt traceback
    finally:
        await api.stop()
    assert "10,000 <b>troops</b>" in sent["text"]
    assert "@article_test_bot serving 1 article, 10 passages" in log
    assert "Traceback" not in log
    assert api.token not in log
    assert api.token.split(":")[1] not in log


async def test_sigterm_stops_the_bot_promptly_while_replies_wait_on_flood_control() -> None:
    # Group replies past 20 a minute wait on Telegram's limit; stopping used to wait for every one
    # of them (minutes). Now what only waits is dropped: stop() below allows 30 s, the group's
    # backlog would need over a minute.
    api = FakeBotApi()
    await api.start()
    try:
        # INFO: at DEBUG the unread stderr pipe fills with request logs and stalls the bot.
        process = await start_bot(api, BOT_QUESTIONS_PER_MINUTE="1000", BOT_LOG_LEVEL="INFO")
        await api.wait_for(lambda: bool(api.sent("setMyCommands")), within=30)
        for n in range(5):  # five groups of a user each, well under the bot's per-user and per-chat bounds
            for m in range(20):
                api.say(f"/ask how many troops {m}", chat_id=-2000 - n, kind="supergroup", user_id=10 + n)
        for n in range(5):
            for m in range(10):
                api.say(f"/ask who signed {m}", chat_id=-2000 - n, kind="supergroup", user_id=20 + n)
        await api.wait_sent(100, within=30)  # each group's first 20: the rest wait on the group limit
        log = await stop(process)
    finally:
        await api.stop()
    assert len(api.sent()) < 150
    assert "stopping: " in log
    assert "running ones get 2 s" in log


async def test_run_serves_a_webhook_that_checks_the_secret() -> None:
    api = FakeBotApi()
    await api.start()
    public = "https://bot.example.com/telegram"  # what Telegram is told; the bot binds a free port and says which
    try:
        process = await start_bot(
            api,
            BOT_WEBHOOK_URL=public,
            BOT_WEBHOOK_LISTEN="127.0.0.1",
            BOT_WEBHOOK_PORT="0",
            BOT_WEBHOOK_SECRET="s3cret-value",
        )
        url = f"http://127.0.0.1:{await bound_port(process)}/telegram"
        await api.wait_for(lambda: bool(api.sent("setWebhook")), within=30)
        [hook] = api.sent("setWebhook")
        assert hook["url"] == public
        assert hook["secret_token"] == "s3cret-value"
        update = {"update_id": 1, "message": api.message("how many troops")}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as refused:
                assert refused.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            huge = b"{" + b" " * 3_000_000 + b"}"  # sent as a stream: aiohttp warns of big raw bytes
            async with session.post(url, data=io.BytesIO(huge)) as unauthenticated:
                assert unauthenticated.status == 403  # refused on its headers, the body never read
            async with session.post(url, data=io.BytesIO(huge), headers=headers) as too_large:
                assert too_large.status == 413
            async with session.post(url, data=b"not json", headers=headers) as garbage:
                assert garbage.status == 400
            async with session.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        [sent] = await api.wait_sent(1, within=30)
        log = await stop(process)
    finally:
        await api.stop()
    assert "10,000 <b>troops</b>" in sent["text"]
    assert api.token not in log
    assert "s3cret-value" not in log  # setWebhook's parameters are logged at DEBUG, masked


async def bound_port(process: asyncio.subprocess.Process) -> int:
    """Read the bot's log until it says which port its webhook server bound; return that port."""
    assert process.stderr is not None
    while line := (await asyncio.wait_for(process.stderr.readline(), timeout=60)).decode():
        if "webhook listening on 127.0.0.1:" in line:
            return int(line.rsplit(":", 1)[1])
    raise AssertionError("the bot never said where it listens")


async def test_without_a_secret_each_start_makes_its_own_and_port_0_is_reported() -> None:
    api = FakeBotApi()
    await api.start()
    urls = ["http://127.0.0.1/one", "http://127.0.0.1/two"]  # what Telegram is told; the bot listens where it can
    env = {"BOT_WEBHOOK_LISTEN": "127.0.0.1", "BOT_WEBHOOK_PORT": "0", "BOT_LOG_LEVEL": "INFO"}
    try:
        processes = [await start_bot(api, BOT_WEBHOOK_URL=url, **env) for url in urls]
        ports = [await bound_port(process) for process in processes]
        await api.wait_for(lambda: len(api.sent("setWebhook")) == 2, within=30)
        secrets = {hook["url"]: hook["secret_token"] for hook in api.sent("setWebhook")}
        async with aiohttp.ClientSession() as session:
            for url, port in zip(urls, ports, strict=True):
                address = f"http://127.0.0.1:{port}{url[len('http://127.0.0.1') :]}"
                for token, status in [("", 403), (secrets[urls[1 - urls.index(url)]], 403), (secrets[url], 200)]:
                    update = {"update_id": port, "message": api.message("how many troops")}
                    headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
                    async with session.post(address, json=update, headers=headers) as reply:
                        assert reply.status == status
        await api.wait_sent(2, within=30)
        logs = [await stop(process) for process in processes]
    finally:
        await api.stop()
    assert len(set(ports)) == 2
    assert all(port > 0 for port in ports)
    assert secrets[urls[0]] != secrets[urls[1]]
    assert all(len(secret) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", secret) for secret in secrets.values())
    assert not any(secret in log for secret in secrets.values() for log in logs)


async def test_broken_corpus_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("title: T\n\nBody.", encoding="utf-8")
    api = FakeBotApi()
    await api.start()
    try:
        process = await start_bot(api, BOT_CORPUS_DIR=str(tmp_path))
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        await api.stop()
    assert process.returncode == 1
    assert f"error: {tmp_path / 'bad.txt'}: header has no date" in stderr.decode()
    assert api.calls == []


def reloaded(stats: Path) -> bool:
    """Whether the bot has recorded a reload in its statistics file."""
    with contextlib.closing(sqlite3.connect(stats)) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE name = 'reload'").fetchone()[0] > 0


async def test_start_cleans_leftovers_and_sighup_reloads_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", corpus)
    leftover = corpus / ".incoming-abc123.tmp"  # a write interrupted by kill -9
    leftover.write_text("title: half a fi", encoding="utf-8")
    api = FakeBotApi()
    await api.start()
    try:
        process = await start_bot(api, BOT_CORPUS_DIR=str(corpus), BOT_DATA_DIR=str(tmp_path / "data"))
        await api.wait_for(lambda: bool(api.sent("setMyCommands")), within=30)
        assert not leftover.exists()
        (corpus / "extra.txt").write_text(
            "title: Convoy Reaches Border\ndate: 2024-11-08\nsource: Example\n\n"
            "A convoy of armoured trucks reached the northern border crossing on Friday.\n",
            encoding="utf-8",
        )
        process.send_signal(signal.SIGHUP)
        await api.wait_for(lambda: reloaded(tmp_path / "data" / "stats.sqlite3"), within=30)
        api.say("when did the convoy of armoured trucks arrive")
        [sent] = await api.wait_sent(1, within=30)
        log = await stop(process)
    finally:
        await api.stop()
    assert "armoured trucks" in sent["text"]
    assert "SIGHUP: Reloaded: 2 articles, 11 passages." in log
    # The start built and saved the index, and so did the reload (in this process: the corpus is small).
    assert log.count("saved the index snapshot") == 2
    assert "built the index in a worker process" not in log
    [snapshot] = (tmp_path / "data" / "index").glob("snapshot-*")
    assert '"id": "extra"' in (snapshot / "articles.json").read_text(encoding="utf-8")  # the file stem


def living_descendants(pid: int) -> set[int]:
    """The processes descended from pid that still run (Linux /proc; a zombie has ended)."""
    parents = {child: parent for child, parent, _ in _processes()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def still_running(pids: set[int]) -> set[int]:
    return {pid for pid, _, _ in _processes() if pid in pids}


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, state) of every process but the zombies."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue  # ended meanwhile
        if state != "Z":
            found.append((int(entry.name), int(parent), state))
    return found


@contextlib.asynccontextmanager
async def serving(page: str) -> AsyncIterator[tuple[str, list[str]]]:
    """Serve one HTML page on 127.0.0.1; yield its address and the paths asked for."""
    asked: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/bomb.html", asked
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def bot_reading_a_hostile_page(
    way: str, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, set[int]]]:
    """Run the bot as a process, have its admin send a page that takes over a minute to read (by
    link or as a file), and yield the bot and its child processes once the reading is under way.
    Afterwards whatever of them still runs is killed (only those: the processes this test started)."""
    api = FakeBotApi()
    await api.start()
    children: set[int] = set()
    process: asyncio.subprocess.Process | None = None
    try:
        async with serving(attribute_bomb()) as (url, asked):
            process = await start_bot(
                api,
                BOT_ADMIN_IDS="42",
                BOT_FETCH_ALLOW_PRIVATE="true",
                BOT_LOG_LEVEL="INFO",
                BOT_DATA_DIR=str(tmp_path),
            )
            await api.wait_for(lambda: bool(api.sent("setMyCommands")), within=30)
            if way == "link":
                api.say(f"/add {url}", user_id=42, chat_id=42)
                await api.wait_for(lambda: bool(asked), within=30)
            else:
                api.files["bomb"] = attribute_bomb().encode()
                document = {"file_id": "bomb", "file_unique_id": "bomb", "file_name": "bomb.html"}
                api.say(
                    None, user_id=42, chat_id=42, extra={"document": document | {"file_size": len(api.files["bomb"])}}
                )
                await api.wait_sent(1, "getFile", within=30)
            await asyncio.sleep(2.0)  # the page is being read: it takes over a minute
            children = living_descendants(process.pid)
            yield process, children
    finally:
        if process is not None:
            leftovers = still_running(children | living_descendants(process.pid))
            if process.returncode is None:
                process.kill()
            for pid in leftovers:
                os.kill(pid, signal.SIGKILL)
            # An orphan holding the bot's standard error would keep asyncio's wait() waiting.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=10)
        await api.stop()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("way", ["link", "upload"])
async def test_sigterm_during_an_extraction_stops_the_bot_within_seconds(way: str, tmp_path: Path) -> None:
    # The bot used to wait for the reading to end (a thread, or a pool's worker the cancelled task
    # never killed): minutes, and under systemd or Docker a SIGKILL.
    async with bot_reading_a_hostile_page(way, tmp_path) as (process, children):
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=15)
        print(f"{way}: exited {time.monotonic() - signalled:.1f} s after SIGTERM")
        assert process.returncode == 0
        await wait_until_gone(children, within=10)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("way", ["link", "upload"])
async def test_sigkill_during_an_extraction_leaves_no_process_behind(way: str, tmp_path: Path) -> None:
    # The pool's worker, its fork server and the resource tracker used to run on, orphaned.
    async with bot_reading_a_hostile_page(way, tmp_path) as (process, children):
        assert children, "the page is read in a process of its own"
        process.kill()  # not waited for: an orphan holding the bot's standard error would keep wait() waiting
        await wait_until_gone(children, within=10)


async def wait_until_gone(pids: set[int], *, within: float) -> None:
    deadline = time.monotonic() + within
    while left := still_running(pids):
        assert time.monotonic() < deadline, f"still running {within:g} s later: {sorted(left)}"
        await asyncio.sleep(0.1)

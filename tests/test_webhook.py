"""The webhook server in-process: anything that is not an update gets 400, slow clients are dropped,
connections are capped, and floods of bad requests log one line a minute."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram.ext import ApplicationBuilder

from bot.telegram.webhook import SECRET_HEADER, ConnectionGuard, OncePerMinute, start_guarded_server, webhook_app

SECRET = "s3cret-value"
HEADERS = {SECRET_HEADER: SECRET}
MESSAGE = {
    "message_id": 1,
    "date": 0,
    "chat": {"id": 7, "type": "private"},
    "from": {"id": 7, "is_bot": False, "first_name": "A"},
    "text": "how many troops",
}


class Served:
    def __init__(self, url: str, queue: asyncio.Queue[Any], guard: ConnectionGuard, port: int) -> None:
        self.url, self.queue, self.guard, self.port = url, queue, guard, port


@pytest.fixture
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    limits = getattr(request, "param", {})
    application = ApplicationBuilder().token("123:abc").arbitrary_callback_data(True).updater(None).build()
    guard = ConnectionGuard(**limits)
    runner = web.AppRunner(webhook_app(application, path="/hook", secret=SECRET, guard=guard))
    await runner.setup()
    server = await start_guarded_server(runner, guard, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}/hook", application.update_queue, guard, port)
    finally:
        server.close()
        await runner.cleanup()


NOT_UPDATES = [
    b"[]",
    b"1",
    b"null",
    b'"how many troops"',
    b"{}",
    json.dumps({"update_id": "1"}).encode(),
    json.dumps({"update_id": 1, "message": "a message as a string"}).encode(),
    json.dumps({"update_id": 1, "message": {**MESSAGE, "chat": 5}}).encode(),
    json.dumps(
        {"update_id": 1, "callback_query": {"id": "1", "from": MESSAGE["from"], "chat_instance": "1", "data": 5}}
    ).encode(),
    b"[" * 100_000 + b"]" * 100_000,
    b"{" * 50_000,
    b"\xff\xfe not utf-8",
]


@pytest.mark.parametrize("body", NOT_UPDATES, ids=lambda body: repr(body[:30]))
async def test_json_that_is_not_an_update_gets_400(served: Served, body: bytes) -> None:
    async with aiohttp.ClientSession() as session, session.post(served.url, data=body, headers=HEADERS) as reply:
        assert reply.status == 400
        assert await reply.text() == "not a Telegram update"
    assert served.queue.empty()


async def test_an_update_is_queued(served: Served) -> None:
    update = {"update_id": 3, "message": MESSAGE}
    async with aiohttp.ClientSession() as session, session.post(served.url, json=update, headers=HEADERS) as reply:
        assert reply.status == 200
    assert (await served.queue.get()).update_id == 3


async def _half_sent(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")  # headers never finished
    await writer.drain()
    return reader, writer


@pytest.mark.parametrize("served", [{"max_connections": 5, "timeout": 0.5}], indirect=True)
async def test_slow_clients_are_dropped_and_connections_capped(served: Served) -> None:
    slow = [await _half_sent(served.port) for _ in range(5)]
    await _until(lambda: served.guard.open == 5)  # the server has taken them all
    over_reader, over_writer = await _half_sent(served.port)
    assert await asyncio.wait_for(over_reader.read(), timeout=30) == b""  # closed on arrival
    for reader, _ in slow:
        assert await asyncio.wait_for(reader.read(), timeout=30) == b""  # closed when their time ran out
    assert served.guard.refused >= 1
    assert served.guard.timed_out == 5
    # A body that stops half way is dropped the same way.
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\n" + SECRET_HEADER.encode() + b": " + SECRET.encode())
    writer.write(b"\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), timeout=30) == b""
    for _, slow_writer in [*slow, (over_reader, over_writer), (reader, writer)]:
        slow_writer.close()
    # Then a real update still gets through.
    update = {"update_id": 4, "message": MESSAGE}
    async with aiohttp.ClientSession() as session, session.post(served.url, json=update, headers=HEADERS) as reply:
        assert reply.status == 200
    assert served.guard.open <= 1


@pytest.mark.parametrize("served", [{"timeout": 0.5}], indirect=True)
async def test_a_connection_left_idle_after_its_response_is_closed(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    body = json.dumps({"update_id": 5, "message": MESSAGE}).encode()
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + SECRET_HEADER.encode() + b": " + SECRET.encode() + b"\r\n\r\n" + body)
    await writer.drain()
    # Everything until the server closes: the response (kept alive), then nothing more, then the close.
    received = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert b"keep-alive" in received.lower() or b"connection: close" not in received.lower()
    assert served.guard.timed_out == 1
    assert (await served.queue.get()).update_id == 5


async def _until(check: Callable[[], bool]) -> None:
    """Wait until check() holds (the server's state, not a number of loop turns)."""
    for _ in range(3000):  # 30 s at most
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server never got there")


async def test_a_kept_alive_connection_serves_several_updates(served: Served) -> None:
    async with aiohttp.ClientSession() as session:
        for update_id in range(3):
            update = {"update_id": update_id, "message": MESSAGE}
            async with session.post(served.url, json=update, headers=HEADERS) as reply:
                assert reply.status == 200
    assert [(await served.queue.get()).update_id for _ in range(3)] == [0, 1, 2]


async def test_a_body_over_the_cap_is_refused_unread(served: Served) -> None:
    huge = io.BytesIO(b"{" + b" " * 3_000_000 + b"}")
    async with aiohttp.ClientSession() as session, session.post(served.url, data=huge, headers=HEADERS) as reply:
        assert reply.status == 413


def test_a_flood_of_bad_requests_logs_one_line_a_minute() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.flood")
    limiter = OncePerMinute()
    logger.addFilter(limiter)
    logger.addHandler(handler)
    try:
        for _ in range(1_000):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("Error handling request")
            logger.warning("webhook: a request that is not a Telegram update refused (%s)", "ValueError")
        limiter.last = {kind: when - 61 for kind, when in limiter.last.items()}  # a minute later
        logger.warning("webhook: a request that is not a Telegram update refused (%s)", "ValueError")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "Error handling request (OSError: [Errno 24] Too many open files)",
        "webhook: a request that is not a Telegram update refused (ValueError)",
        "webhook: a request that is not a Telegram update refused (ValueError) [999 more like this in the last minute]",
    ]

"""The webhook server: the secret header checked before any body is read, bodies capped, slow clients dropped.

python-telegram-bot's own webhook server (tornado) reads bodies of up to 100 MB before it looks
at the secret; this one answers 403 to a request without the secret without reading its body,
refuses a body over MAX_UPDATE_BYTES (Telegram's updates are a few kilobytes), and answers 400 to
anything that is not a Telegram Update. Connections are capped (MAX_CONNECTIONS; Telegram itself
opens at most the setWebhook max_connections, 40 by default), and a connection that has not
sent a whole request REQUEST_TIMEOUT seconds after connecting or after its last response is
closed. Bad requests are logged one line per kind a minute, never a traceback each.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import time
from typing import Any

from aiohttp import web
from telegram import Update

LOGGER = logging.getLogger("bot.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000
MAX_CONNECTIONS = 100
REQUEST_TIMEOUT = 10.0
# Telegram opens at most this many connections at once to deliver updates (its default is 40).
TELEGRAM_CONNECTIONS = 40


class OncePerMinute(logging.Filter):
    """Let one record of each kind through a minute, as one line: floods of bad requests can't fill the log.

    A record's kind is its logger, its message template and its exception's type; a traceback is
    replaced by the exception's type and message.
    """

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self.last: dict[tuple[str, str, str], float] = {}
        self.dropped: dict[tuple[str, str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Return whether the record is the first of its kind this interval; fold its traceback into one line."""
        error = record.exc_info[1] if record.exc_info else None
        kind = (record.name, str(record.msg), type(error).__name__ if error else "")
        now = time.monotonic()
        if now - self.last.get(kind, -self.interval) < self.interval:
            self.dropped[kind] = self.dropped.get(kind, 0) + 1
            return False
        self.last[kind] = now
        message = record.getMessage()
        if error is not None:
            message += f" ({type(error).__name__}: {error})"
            record.exc_info, record.exc_text = None, None
        if dropped := self.dropped.pop(kind, 0):
            message += f" [{dropped} more like this in the last minute]"
        record.msg, record.args = message, None
        return True


class ConnectionGuard:
    """Caps open connections and drops the ones that don't deliver a request in time.

    Wraps the aiohttp server's protocol factory: a connection over the cap is closed on arrival;
    each connection has REQUEST_TIMEOUT seconds from connecting (and from each response) until its
    request's body has been read, else it is closed.
    """

    def __init__(self, *, max_connections: int = MAX_CONNECTIONS, timeout: float = REQUEST_TIMEOUT) -> None:
        self.max_connections = max_connections
        self.timeout = timeout
        self.open = 0
        self.refused = 0
        self.timed_out = 0
        self._timers: dict[Any, asyncio.TimerHandle] = {}

    def factory(self, make_protocol: Any) -> Any:
        """Return a protocol factory for loop.create_server around aiohttp's own."""
        guard = self

        class Guarded(asyncio.Protocol):
            def __init__(self) -> None:
                self.inner: asyncio.Protocol | None = None
                self.transport: asyncio.BaseTransport | None = None

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                if guard.open >= guard.max_connections:
                    guard.refused += 1
                    LOGGER.warning("webhook: connections refused, %d open already", guard.open)
                    transport.close()
                    return
                guard.open += 1
                self.inner, self.transport = make_protocol(), transport
                guard.arm(transport)
                assert self.inner is not None
                self.inner.connection_made(transport)

            def data_received(self, data: bytes) -> None:
                if self.inner is not None:
                    self.inner.data_received(data)

            def eof_received(self) -> bool | None:
                return self.inner.eof_received() if self.inner is not None else None

            def pause_writing(self) -> None:
                if self.inner is not None:
                    self.inner.pause_writing()

            def resume_writing(self) -> None:
                if self.inner is not None:
                    self.inner.resume_writing()

            def connection_lost(self, exc: Exception | None) -> None:
                if self.inner is None:
                    return
                guard.open -= 1
                guard.disarm(self.transport)
                self.inner.connection_lost(exc)

        return Guarded

    def arm(self, transport: Any) -> None:
        """Start (or restart) a connection's clock: a whole request within the timeout, or it is closed."""
        self.disarm(transport)
        self._timers[transport] = asyncio.get_running_loop().call_later(self.timeout, self._expire, transport)

    def disarm(self, transport: Any) -> None:
        """Stop a connection's clock (its request has been read)."""
        timer = self._timers.pop(transport, None)
        if timer is not None:
            timer.cancel()

    def _expire(self, transport: Any) -> None:
        self._timers.pop(transport, None)
        if not transport.is_closing():
            self.timed_out += 1
            LOGGER.warning("webhook: a client sent no whole request in %.0f s; connection closed", self.timeout)
            transport.abort()


def webhook_app(
    application: Any,
    *,
    path: str,
    secret: str,
    max_body: int = MAX_UPDATE_BYTES,
    guard: ConnectionGuard | None = None,
) -> web.Application:
    """Return the aiohttp application that feeds Telegram's POSTs to the bot's update queue."""

    async def receive(request: web.Request) -> web.Response:
        try:
            return await _receive(request)
        finally:
            if guard is not None and request.transport is not None:
                guard.arm(request.transport)  # the clock restarts for the connection's next request

    async def _receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            LOGGER.warning("webhook: a request without the secret token refused")
            return web.Response(status=403, text="wrong or missing secret token")
        if request.content_length is not None and request.content_length > max_body:
            return web.Response(status=413, text="update too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="update too large")
        if guard is not None and request.transport is not None:
            guard.disarm(request.transport)
        update = _update_of(body, application.bot)
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=max_body)
    app.router.add_post("/" + path.lstrip("/"), receive)
    return app


def _update_of(body: bytes, bot: Any) -> Update | None:
    """Return the Update a webhook body holds, or None (logged) when it is not one."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not a JSON object with an update_id")
        update = Update.de_json(data, bot)
        bot.insert_callback_data(update)
    except RecursionError:
        LOGGER.warning("webhook: a request nested too deeply to be an update refused")
        return None
    except Exception as error:  # untrusted input: whatever PTB's parsing raises means "not an update"
        LOGGER.warning("webhook: a request that is not a Telegram update refused (%s)", type(error).__name__)
        return None
    return update


async def start_guarded_server(runner: web.AppRunner, guard: ConnectionGuard, host: str, port: int) -> asyncio.Server:
    """Listen on host:port with aiohttp's protocol behind the connection guard (runner set up already)."""
    assert runner.server is not None
    return await asyncio.get_running_loop().create_server(guard.factory(runner.server), host, port)


def quiet_bad_requests() -> OncePerMinute:
    """Rate-limit what floods of bad requests log: aiohttp's server errors, asyncio's accept errors, ours."""
    limiter = OncePerMinute()
    for name in ("aiohttp.server", "asyncio", LOGGER.name):
        logging.getLogger(name).addFilter(limiter)
    return limiter


async def serve_webhook(application: Any, *, listen: str, port: int, path: str, webhook_url: str, secret: str) -> None:
    """Run the bot on a webhook until SIGINT or SIGTERM: start, register the webhook, serve, stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    quiet_bad_requests()
    guard = ConnectionGuard()
    app = webhook_app(application, path=path, secret=secret, guard=guard)
    runner = web.AppRunner(app, handle_signals=False, keepalive_timeout=REQUEST_TIMEOUT)
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await runner.setup()
        server: asyncio.Server | None = None
        try:
            server = await start_guarded_server(runner, guard, listen, port)
            # Only now: Telegram may post the moment the webhook is set.
            await application.bot.set_webhook(
                webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=TELEGRAM_CONNECTIONS,
            )
            LOGGER.info("webhook listening on %s:%d", listen, server.sockets[0].getsockname()[1])
            await stop.wait()
        finally:
            if server is not None:
                server.close()
            await runner.cleanup()
            await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)

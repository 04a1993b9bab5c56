"""The webhook server: the secret header checked before any body is read, and bodies capped.

python-telegram-bot's own webhook server (tornado) reads bodies of up to 100 MB before it looks
at the secret; this one answers 403 to a request without the secret without reading its body,
and refuses a body over MAX_UPDATE_BYTES (Telegram's updates are a few kilobytes).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update

LOGGER = logging.getLogger("bot.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000


def webhook_app(application: Any, *, path: str, secret: str, max_body: int = MAX_UPDATE_BYTES) -> web.Application:
    """Return the aiohttp application that feeds Telegram's POSTs to the bot's update queue."""

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return web.Response(status=403, text="wrong or missing secret token")
        if request.content_length is not None and request.content_length > max_body:
            return web.Response(status=413, text="update too large")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="update too large")
        except (ValueError, TypeError, KeyError) as error:
            LOGGER.warning("webhook: an update that could not be read (%s)", type(error).__name__)
            return web.Response(status=400, text="not an update")
        if update is not None:
            application.bot.insert_callback_data(update)
            await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=max_body)
    app.router.add_post("/" + path.lstrip("/"), receive)
    return app


async def serve_webhook(application: Any, *, listen: str, port: int, path: str, webhook_url: str, secret: str) -> None:
    """Run the bot on a webhook until SIGINT or SIGTERM: start, register the webhook, serve, stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(webhook_app(application, path=path, secret=secret), handle_signals=False)
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await runner.setup()
        try:
            await web.TCPSite(runner, listen, port).start()
            # Only now: Telegram may post the moment the webhook is set.
            await application.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            LOGGER.info("webhook listening on %s:%d", listen, port)
            await stop.wait()
        finally:
            await runner.cleanup()
            await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)

"""Running the bot's real Application against the fake Bot API server, for the length of a block."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.core.serving import Index
from bot.telegram.app import build_application
from bot.telegram.state import BotConfig
from tests.fake_bot_api import FakeBotApi


@asynccontextmanager
async def running_bot(
    api: FakeBotApi, engine: Index, config: BotConfig | None = None, **kwargs: Any
) -> AsyncIterator[Any]:
    """Run the Application long polling the fake server, as run_polling would: post_init first, post_shutdown last."""
    application = build_application(engine, config or BotConfig(), token=api.token, base_url=api.base_url, **kwargs)
    api.release_polls(False)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield application
        finally:
            api.release_polls()  # the updater waits for its long poll to end before it stops
            await application.updater.stop()
            await application.stop()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)

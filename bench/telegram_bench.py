"""Answered questions per second through python-telegram-bot, against the tests' fake Bot API on 127.0.0.1.

    python bench/telegram_bench.py [--questions 2000] [--json]

The fake server runs in a process of its own (the machine has two cores: one for it, one for the
bot) with every question queued before the bot starts polling, so the bot takes them as fast as
it can; the clock stops when the last answer has been posted. Telegram's flood limits (about 30
messages a second per bot) are left out on purpose: this measures what the bot itself can carry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.serving import open_index  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.telegram.state import BotConfig  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

QUESTIONS = [
    "how many troops",
    "who signed the treaty",
    "when did the senators vote",
    "where is kursk",
    "what is the capital of france",
    "nuclear umbrella",
    "how many trops",
    "who praised north korea",
]


def serve(count: int, pipe: Connection) -> None:
    """Run the fake Bot API with `count` questions queued, until the parent says stop."""

    async def main() -> None:
        api = FakeBotApi()
        await api.start()
        for number in range(count):
            api.say(QUESTIONS[number % len(QUESTIONS)], user_id=1 + number % 500, chat_id=1 + number % 500)
        pipe.send((api.base_url, api.token))
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await api.stop()

    asyncio.run(main())


async def measure(count: int) -> dict[str, Any]:
    """Return how long the bot took to answer `count` queued questions, and the rate."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(count, child))
    server.start()
    base_url, token = parent.recv()
    engine = open_index(ROOT / "corpus")
    application = build_application(
        engine, BotConfig(questions_per_minute=1000), token=token, base_url=base_url, rate_limiter=False
    )
    stats_url = base_url.removesuffix("/bot") + "/_calls"
    try:
        async with application, aiohttp.ClientSession() as session:
            await application.start()
            assert application.updater is not None
            started = time.perf_counter()
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            answered = 0
            while answered < count and time.perf_counter() - started < 600:
                await asyncio.sleep(0.05)
                async with session.get(stats_url) as response:
                    answered = (await response.json()).get("sendMessage", 0)
            elapsed = time.perf_counter() - started
            await application.updater.stop()
            await application.stop()
    finally:
        parent.send("stop")
        server.join(timeout=30)
    return {
        "questions": count,
        "answered": answered,
        "seconds": round(elapsed, 3),
        "per_second": round(answered / elapsed, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = asyncio.run(measure(args.questions))
    print(json.dumps(report) if args.json else f"{report['per_second']} answered questions per second ({report})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-user limits stay bounded; the token never reaches a log line."""

from __future__ import annotations

import io
import logging

from bot.telegram.limits import UserLimits
from bot.telegram.run import RedactToken

TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijkl"


async def test_user_limit_counts_per_user() -> None:
    limits = UserLimits(2)
    assert [await limits.allow(1) for _ in range(3)] == [True, True, False]
    assert await limits.allow(2)


async def test_user_limit_memory_is_bounded() -> None:
    limits = UserLimits(1, max_users=100)
    for user in range(10_000):
        await limits.allow(user)
    assert len(limits) == 100
    assert not await limits.allow(9_999)  # the most recent users are the ones remembered
    assert await limits.allow(0)


def test_redaction_masks_the_token_in_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactToken(TOKEN))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    assert TOKEN not in stream.getvalue()
    assert "/bot<token>/getMe" in stream.getvalue()
    assert "/bot<token>/sendMessage" in stream.getvalue()

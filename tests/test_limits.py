"""Per-user limits stay bounded; the token never reaches a log line."""

from __future__ import annotations

from bot.telegram.limits import UserLimits

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

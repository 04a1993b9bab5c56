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


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_user_limit_drains_with_the_clock() -> None:
    clock = Clock()
    limits = UserLimits(2, clock=clock)
    assert [await limits.allow(1) for _ in range(3)] == [True, True, False]
    clock.now += 29.9  # two a minute: one question's room comes back after 30 s
    assert not await limits.allow(1)
    clock.now += 0.2
    assert await limits.allow(1)
    assert not await limits.allow(1)


def test_a_user_over_the_limit_is_told_once_a_minute() -> None:
    clock = Clock()
    limits = UserLimits(2, clock=clock)
    assert limits.tell(1)
    assert not limits.tell(1)
    assert limits.tell(2)  # each user is told for themselves
    clock.now += 59.9
    assert not limits.tell(1)
    clock.now += 0.2  # the minute is over: told again
    assert limits.tell(1)
    assert not limits.tell(1)

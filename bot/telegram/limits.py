"""Per-user question limits with bounded memory, and a Bot API rate limiter that rides out blips."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import cachetools
from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

LOGGER = logging.getLogger(__name__)


class _Bucket(AsyncLimiter):
    """aiolimiter's leaky bucket, drained by the limits' clock rather than the event loop's."""

    def __init__(self, max_rate: float, time_period: float, clock: Callable[[], float]) -> None:
        super().__init__(max_rate, time_period)
        self.clock = clock

    def _leak(self) -> None:
        now = self.clock()
        if self._level:
            self._level = max(self._level - (now - self._last_check) * self._rate_per_sec, 0)
        self._last_check = now


class UserLimits:
    """At most `per_minute` questions per user, remembering only the `max_users` most recent users.

    `clock` (seconds, monotonic) is the event loop's by default; tests give a clock they move.
    """

    def __init__(
        self, per_minute: int, *, max_users: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.max_users = max_users
        self.clock = clock
        # The least recently seen users are forgotten first.
        self._buckets: cachetools.LRUCache[int, AsyncLimiter] = cachetools.LRUCache(max_users)
        self._told: cachetools.LRUCache[int, float] = cachetools.LRUCache(max_users)

    def __len__(self) -> int:
        return len(self._buckets)

    def tell(self, user_id: int) -> bool:
        """Return whether a user who is over the limit should be told so: once a minute at most.

        Telling every time would itself be a flood (in a group each notice waits on Telegram's
        20-messages-a-minute limit).
        """
        now = self.clock()
        if user_id in self._told and now - self._told[user_id] < 60:
            return False
        self._told[user_id] = now
        return True

    async def allow(self, user_id: int) -> bool:
        """Return whether the user may ask now, counting the question if so."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(self.per_minute, 60, self.clock)
        if not bucket.has_capacity():
            return False
        await bucket.acquire()
        return True


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (flood control, 429 retry_after) that also retries a request refused by a
    gateway (502) or a dropped connection, which never reached the Bot API.

    Timeouts are not retried: the request may have been carried out, and a retry would send twice.
    """

    def __init__(self, *, network_retries: int = 3, backoff: float = 0.25, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send the request under flood control, retrying transient network failures."""
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (TimedOut, BadRequest):
                raise
            except NetworkError as error:
                if attempt == self.network_retries:
                    raise
                LOGGER.warning("%s failed (%s); retry %d", endpoint, error, attempt + 1)
                await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

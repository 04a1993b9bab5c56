"""python-telegram-bot's requests sent with aiohttp, which costs a fraction of httpx's CPU per request."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

LOGGER = logging.getLogger("bot.network")


class AiohttpRequest(BaseRequest):
    """A BaseRequest over one aiohttp session with at most `pool_size` connections."""

    def __init__(
        self,
        *,
        pool_size: int = 8,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._outage: float | None = None  # when requests started failing, while they fail

    @property
    def read_timeout(self) -> float:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size))

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; raise TimedOut or NetworkError as python-telegram-bot expects."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest used before initialize()")
        files = request_data.multipart_data if request_data else None
        data = request_data.json_parameters if request_data else None
        # aiohttp has no write timeout; connecting includes waiting for a free connection.
        connect = self._pick(connect_timeout, self._connect_timeout)
        timeout = aiohttp.ClientTimeout(
            sock_read=self._pick(read_timeout, self._read_timeout),
            sock_connect=connect,
            connect=connect + self._pick(pool_timeout, self._pool_timeout),
        )
        body: Any = data
        if files:
            form = aiohttp.FormData()
            for key, value in (data or {}).items():
                form.add_field(key, value)
            for key, part in files.items():
                filename, content, *mime = part if isinstance(part, tuple) else (key, part)
                form.add_field(key, content, filename=filename, content_type=mime[0] if mime else None)
            body = form
        try:
            async with self._session.request(
                method, url, data=body, headers={"User-Agent": self.USER_AGENT}, timeout=timeout
            ) as response:
                status, content = response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            self._failed(error)
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
        if status in (502, 503, 504):
            self._failed(f"HTTP {status}")
        elif self._outage is not None:
            LOGGER.warning("Bot API reachable again after %.0f s", time.monotonic() - self._outage)
            self._outage = None
        return status, content

    def _failed(self, error: object) -> None:
        """Log the first failure of an outage in one line; python-telegram-bot retries with back-off."""
        if self._outage is None:
            self._outage = time.monotonic()
            LOGGER.warning("Bot API unreachable (%s); retrying with back-off, quietly until it answers", error)

    @staticmethod
    def _pick(value: Any, default: float) -> float:
        """Return a timeout the caller gave, or the default (python-telegram-bot passes DEFAULT_NONE)."""
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default

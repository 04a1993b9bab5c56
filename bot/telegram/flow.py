"""How updates flow: one chat can't hold up the others, and stopping never waits on flood control.

python-telegram-bot processes at most N updates at once and holds a slot for as long as a handler
runs — including while its reply waits on Telegram's 20-messages-a-minute group limit. One user
sending 150 /ask in their own group then filled every slot and everyone else waited. Here:

- each chat has at most PER_CHAT updates being handled and WAITING_PER_CHAT waiting; more from that
  chat are dropped (logged once a minute), and a waiting update holds no shared slot;
- at most WORKING updates are handled at once across chats;
- on stop, updates that have not started are dropped at once and running ones get STOP_GRACE
  seconds (a reply waiting on flood control is dropped after that), so SIGTERM ends the bot within
  seconds under any load.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

LOGGER = logging.getLogger("bot")
WORKING = 64
PER_CHAT = 2
WAITING_PER_CHAT = 20
# Updates held at all (waiting or working); past this the oldest chats still go first.
BACKLOG = 4_096
STOP_GRACE = 2.0


@dataclass
class _Chat:
    slots: asyncio.Semaphore
    held: int = 0  # updates of this chat waiting or being handled


class FairUpdateProcessor(BaseUpdateProcessor):
    """An update processor with a bound per chat and a prompt stop (see the module's docstring)."""

    def __init__(
        self,
        *,
        working: int = WORKING,
        per_chat: int = PER_CHAT,
        waiting_per_chat: int = WAITING_PER_CHAT,
        backlog: int = BACKLOG,
    ) -> None:
        super().__init__(backlog)
        self.per_chat = per_chat
        self.waiting_per_chat = waiting_per_chat
        self.dropped = 0
        self._slots = asyncio.Semaphore(working)
        self._chats: dict[Hashable, _Chat] = {}
        self._waiting: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._last_drop_log = -60.0

    async def initialize(self) -> None:
        """Accept updates (again, after a stop)."""
        self._stopping = False

    async def shutdown(self) -> None:
        """Nothing to free: stop() has dropped what was left."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle an update once its chat and the bot have a free slot; drop it if its chat is flooding."""
        if self._stopping:
            self._drop(coroutine, "the bot is stopping")
            return
        key = _chat_of(update)
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat(asyncio.Semaphore(self.per_chat))
        if chat.held >= self.per_chat + self.waiting_per_chat:
            self._drop(coroutine, f"a chat is flooding ({key})")
            return
        chat.held += 1
        work = asyncio.create_task(self._handle(chat, coroutine))
        self._waiting.add(work)
        try:
            await asyncio.wait({work})  # never cancelled from outside: the application counts this update done
        finally:
            chat.held -= 1
            if chat.held == 0:
                self._chats.pop(key, None)
            self._waiting.discard(work)
            self._running.discard(work)

    async def _handle(self, chat: _Chat, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        started = False
        try:
            async with chat.slots, self._slots:
                if task is not None:
                    self._waiting.discard(task)
                    self._running.add(task)
                started = True
                await coroutine
        except asyncio.CancelledError:  # only stop() cancels these tasks, and it has said so
            if not started:
                _close(coroutine)
        except Exception:  # the application's error handler has seen it already; never lose the slot
            LOGGER.exception("an update failed outside its handlers")

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Drop updates not yet started; give running ones `grace` seconds, then drop them too."""
        self._stopping = True
        if self._waiting or self._running:
            LOGGER.warning(
                "stopping: %d updates not yet started dropped, %d running ones get %.0f s",
                len(self._waiting),
                len(self._running),
                grace,
            )
        for task in list(self._waiting):
            task.cancel()
        if self._running:
            asyncio.get_running_loop().call_later(grace, self._cancel_running)

    def _cancel_running(self) -> None:
        if self._running:
            LOGGER.warning(
                "stopping: %d updates still running dropped (replies waiting on flood control)", len(self._running)
            )
        for task in list(self._running):
            task.cancel()

    def _drop(self, coroutine: Awaitable[Any], why: str) -> None:
        _close(coroutine)
        self.dropped += 1
        now = time.monotonic()
        if now - self._last_drop_log >= 60:
            self._last_drop_log = now
            LOGGER.warning("updates dropped: %s (%d dropped so far)", why, self.dropped)


def _chat_of(update: object) -> Hashable:
    """The chat an update belongs to (its user's for inline queries), or None."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


def _close(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()  # never started: no "was never awaited" warning


class BotApplication(Application):
    """The Application with a prompt stop: the update processor drops what only waits, then PTB stops."""

    async def stop(self) -> None:
        """Stop within seconds: drop waiting updates, give running ones a grace period, then stop as PTB does."""
        for started in (getattr(self.bot_data, "feeds", None), getattr(self.bot_data, "reloader", None)):
            if started is not None:
                started.stop()  # a feed reading or a merge under way
        processor = self.update_processor
        if isinstance(processor, FairUpdateProcessor):
            processor.stop()
        await super().stop()

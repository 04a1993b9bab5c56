"""The running bot's shared state, reached by handlers through context.bot_data."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from telegram import Bot, User
from telegram.ext import CallbackContext, ExtBot
from telegram.request import BaseRequest

from bot.core.articles.fetch import FetchPolicy
from bot.core.messages import Messages, for_reader
from bot.core.serving import Index
from bot.core.serving.embedding import ArchiveEmbedder
from bot.core.serving.reloader import Reloader
from bot.telegram.callbacks import PendingStore
from bot.telegram.limits import UserLimits
from bot.telegram.memory import ChatMemory
from bot.telegram.stats import StatsStore


@dataclass(frozen=True)
class BotConfig:
    """What the handlers need from the settings, read once at the edge."""

    top_k: int = 3
    questions_per_minute: int = 20
    admin_ids: frozenset[int] = frozenset()
    corpus_dir: Path = Path("corpus")
    data_dir: Path | None = None
    max_upload_bytes: int = 2_000_000
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    feeds: tuple[str, ...] = ()
    feed_interval: float = 1800.0  # seconds
    feed_auto_add: bool = False

    def is_admin(self, user_id: int | None) -> bool:
        """Whether a user (by numeric id, never by name) is one of the bot's admins."""
        return user_id is not None and user_id in self.admin_ids


class Stoppable(Protocol):
    """Something the application starts and must stop when it stops."""

    def stop(self) -> None:
        """Stop it (at once: nothing is waited for)."""
        ...


@dataclass
class BotData:
    """Shared state of the running bot. The index is replaced whole by a reload (the reloader's), never changed."""

    reloader: Reloader = field(default_factory=lambda: Reloader(Path("corpus")))
    config: BotConfig = field(default_factory=BotConfig)
    limits: UserLimits = field(default_factory=lambda: UserLimits(20))  # questions
    update_limits: UserLimits = field(default_factory=lambda: UserLimits(40))  # every update
    stats: StatsStore | None = None
    stats_off: str = ""  # why there are no statistics, when there are none
    change_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # admin changes, one at a time
    pending: PendingStore = field(default_factory=PendingStore)  # admin changes waiting for a button
    # The connections to the Bot API, closed by the runner if start-up fails half-way.
    requests: tuple[BaseRequest, ...] = ()
    # What reads the feeds (BOT_FEEDS) while the bot runs (feeds.FeedReader), stopped with the application.
    feeds: Stoppable | None = None
    # The same bot without python-telegram-bot's callback-data cache (admin confirmations).
    bare_bot: Bot | None = None
    # Each chat's (each forum topic's) previous turn, for half an hour: not in chat_data, which
    # python-telegram-bot keeps for every chat for ever.
    memory: ChatMemory = field(default_factory=ChatMemory)
    # What embeds a big archive's passages after its build (serving.embedding), and its task.
    archive_embedder: ArchiveEmbedder | None = None
    embedding: asyncio.Task[None] | None = None
    # Each admin's language (Telegram's language_code of their last update that gave one), for what
    # reaches them unasked (feed items); in memory: English for an admin not heard from since the start.
    admin_languages: dict[int, str] = field(default_factory=dict)

    def heard_from(self, user: User) -> None:
        """Remember an admin's language from an update of theirs (anyone else's is not kept)."""
        if user.language_code and self.config.is_admin(user.id):
            self.admin_languages[user.id] = user.language_code

    def admin_reader(self, admin_id: int) -> Messages:
        """Return the texts for an admin told something unasked: in their language as last seen, else English."""
        return for_reader(self.admin_languages.get(admin_id))

    @property
    def plain_bot(self) -> Bot:
        """The bot without the callback-data cache; set by build_application."""
        if self.bare_bot is None:
            raise RuntimeError("bot data used before build_application set the plain bot")
        return self.bare_bot

    def mark_reload(self) -> None:
        """Count a reload in the statistics (when they are kept)."""
        if self.stats is not None:
            self.stats.mark("reload")

    @property
    def engine(self) -> Index | None:
        """The index now serving (the reloader's), None before build_application set it."""
        return self.reloader.index

    @engine.setter
    def engine(self, index: Index) -> None:
        self.reloader.index = index

    @property
    def live(self) -> Index:
        """The index now serving; set before the first update is handled."""
        if self.reloader.index is None:
            raise RuntimeError("bot data used before build_application set the engine")
        return self.reloader.index


Context = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]


def reader_of(user: User | None, question: str | None = None) -> Messages:
    """Return the texts for a Telegram user: in the language of their question when the bot has it,
    else in their app's (language_code), else English."""
    return for_reader(user.language_code if user is not None else None, question=question)


def data_of(context: Context) -> BotData:
    """Return the bot's shared state from a handler's context."""
    return context.bot_data

"""What the bot's buttons carry: Python objects kept by python-telegram-bot's arbitrary callback data.

Telegram only sees an opaque id; a button pressed after a restart (or after the cache forgot it)
arrives as InvalidCallbackData and gets "This button no longer works."

Admin confirmations are the exception: the cache holds the newest 1,024 keyboards, so other
people's questions would push an admin's pending Add out of it. Their buttons carry a short token
("adm:<token>:y"/"n") of a PendingStore that only admins fill, and bypass the cache.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

import cachetools

from bot.core.corpus import Article
from bot.core.messages import N_


@dataclass(frozen=True)
class ExampleQuestion:
    """An example question offered by /start: pressing it asks it."""

    question: str


@dataclass(frozen=True)
class MoreContext:
    """Show the paragraph around a passage of one corpus version."""

    version: str
    position: int


@dataclass(frozen=True)
class MoreResults:
    """Show the next page of answers to a question, asked of one corpus version."""

    version: str
    question: str
    offset: int


@dataclass(frozen=True)
class ListPage:
    """Show another page of a long list (`kind`: "articles" or "source")."""

    kind: str
    page: int


class ChangeKind(Enum):
    """What an admin's change does to the corpus directory."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True)
class PendingChange:
    """An admin's change waiting for the confirm button."""

    kind: ChangeKind
    article_id: str
    article: Article | None = None

    def __post_init__(self) -> None:
        if (self.article is None) != (self.kind is ChangeKind.REMOVE):
            raise ValueError(f"a {self.kind.value} change needs {'no' if self.article else 'an'} article")


ADMIN_PREFIX = "adm:"
CANCELLED = N_("Cancelled; nothing changed.")  # a msgid, said in the admin's language


@dataclass(frozen=True)
class PendingEntry:
    """A change waiting for its admin's confirmation."""

    change: PendingChange
    admin_id: int
    cancelled: str = CANCELLED  # the reply to its second button


class PendingStore:
    """Admins' changes waiting for a button, by token; bounded, and filled by admins only."""

    def __init__(self, *, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        # The oldest go first once there are more than max_entries.
        self._entries: cachetools.FIFOCache[str, PendingEntry] = cachetools.FIFOCache(max_entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, change: PendingChange, admin_id: int, *, cancelled: str = CANCELLED) -> str:
        """Keep a change until its button is pressed; return its token (the oldest go past max_entries)."""
        token = secrets.token_urlsafe(12)
        self._entries[token] = PendingEntry(change, admin_id, cancelled)
        return token

    def take(self, token: str) -> PendingEntry | None:
        """Remove and return a pending change: each confirmation works once."""
        return self._entries.pop(token, None)

    def put_back(self, token: str, entry: PendingEntry) -> None:
        """Keep a change whose confirmation failed for a reason worth retrying (a full disk)."""
        self._entries[token] = entry


def admin_button_data(token: str, approve: bool) -> str:
    """The callback data of an admin confirmation button (at most 64 bytes, as Telegram requires)."""
    return f"{ADMIN_PREFIX}{token}:{'y' if approve else 'n'}"


def admin_button_of(raw: object) -> tuple[str, bool] | None:
    """Return (token, approve) of an admin button's raw callback data, or None if it is not one."""
    if not isinstance(raw, str) or not raw.startswith(ADMIN_PREFIX):
        return None
    token, _, answer = raw[len(ADMIN_PREFIX) :].rpartition(":")
    return (token, answer == "y") if token and answer in {"y", "n"} else None

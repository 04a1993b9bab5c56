"""What the bot's buttons carry: Python objects kept by python-telegram-bot's arbitrary callback data.

Telegram only sees an opaque id; a button pressed after a restart (or after the cache forgot it)
arrives as InvalidCallbackData and gets "This button no longer works."
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.core.corpus import Article


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


@dataclass(frozen=True)
class AdminDecision:
    """An admin's answer to a pending change: carry it out, or cancel it."""

    change: PendingChange
    approve: bool

"""Each conversation's previous turn: a chat's, or a forum topic's within it, for a while.

What the bot remembers of a conversation is the question it asked last and the passages it showed
(a Turn), read against the next message ("tell me more", "and when?"). A turn is remembered for
EXPIRES_AFTER seconds from when it was made, for at most MOST_CONVERSATIONS conversations (the
least recently used forgotten first); an expired turn is never read again, and every turn saved
drops those that expired, so what is held stays bounded however many chats the bot ever sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cachetools
from telegram import Message

from bot.core.answering.conversation import Turn

# A follow-up half an hour after the question it would follow is read as a question of its own.
EXPIRES_AFTER = 1800.0  # seconds
# About 0.8 kB a turn: 8 MB at most.
MOST_CONVERSATIONS = 10_000

Conversation = tuple[int, int | None]  # a chat id and its forum topic (None: not a topic)


def conversation_of(message: Message) -> Conversation:
    """Return the conversation a message is part of: its chat, and its forum topic if it is in one.

    A message's thread id is its topic's only in a forum topic; in other groups it names the first
    message of a chain of replies, which is no conversation of its own.
    """
    return message.chat_id, message.message_thread_id if message.is_topic_message else None


class ChatMemory:
    """The previous turn of each conversation, for `expires_after` seconds of `clock`."""

    def __init__(
        self,
        *,
        most: int = MOST_CONVERSATIONS,
        expires_after: float = EXPIRES_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._turns: cachetools.TTLCache[Conversation, Turn] = cachetools.TTLCache(most, expires_after, timer=clock)

    def get(self, conversation: Conversation) -> Turn | None:
        """Return the conversation's previous turn, or None (none yet, or it expired)."""
        return self._turns.get(conversation)

    def put(self, conversation: Conversation, turn: Turn) -> None:
        """Remember a turn as the conversation's previous one from now on (dropping turns expired)."""
        self._turns[conversation] = turn

    def __len__(self) -> int:
        """How many turns are remembered (not expired)."""
        return len(self._turns)

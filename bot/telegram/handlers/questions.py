"""Questions, however they arrive: one ask() applies the length cap, the per-user limit and the stats."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

from telegram import Message, Update, User
from telegram.constants import MessageEntityType

from bot.core.answering.results import SearchResult
from bot.core.answering.wording import clean, is_acknowledgement
from bot.core.messages import N_, Messages
from bot.telegram.memory import Conversation, conversation_of
from bot.telegram.replies import answer_reply, send
from bot.telegram.state import BotData, Context, data_of, reader_of

LOGGER = logging.getLogger("bot")
MAX_QUESTION = 300
# Refusals, msgids of the catalogue: said in the reader's language where they are sent.
EMPTY = N_("Ask me something about the article, e.g. “how many troops”.")
TOO_LONG = N_("That question is long — please keep it under {count} characters.")
TOO_FAST = N_("You're asking faster than I can keep up — please wait a minute and try again.")
SILENT = ""  # a refusal not worth a reply (the user was told they are too fast a moment ago)


@dataclass(frozen=True)
class Asked:
    """A question put to the corpus: its search result, or the reason it was not searched."""

    result: SearchResult | None
    refusal: str | None = None  # a msgid; SILENT: no reply at all

    def refusal_in(self, say: Messages) -> str:
        """Return the refusal in a reader's language."""
        return say.gettext(self.refusal or EMPTY, count=say.number(MAX_QUESTION))


async def ask(
    data: BotData,
    user_id: int | None,
    question: str,
    *,
    hits: int,
    shown: bool = True,
    conversation: Conversation | None = None,
    follows: bool = True,
) -> Asked:
    """Search the corpus for a question under the per-user limit, recording it in the stats.

    Every way of asking (text, /ask, mention, reply, deep link, buttons, inline) goes through here.
    `shown`: whether a refusal reaches the user (inline results have no place for one). In a
    conversation (a chat, or a forum topic of one), the message is read against its previous turn
    ("tell me more", "and when?") if that is recent (data.memory), which `follows` says to update
    (not for a further page of an earlier answer).
    """
    question = clean(question)
    if not question:
        return Asked(None, EMPTY)
    if len(question) > MAX_QUESTION:
        return Asked(None, TOO_LONG)
    if user_id is not None and not await data.limits.allow(user_id):
        return Asked(None, TOO_FAST if shown and data.limits.tell(user_id) else SILENT)
    started = time.perf_counter()
    # Answering runs the sentence model: in a worker thread (its C engine releases the GIL), so a
    # question never holds up the event loop, nor another chat's question.
    live = data.live
    if conversation is None:
        result = await asyncio.to_thread(live.search, question, hits)
    else:
        previous = data.memory.get(conversation)
        result, turn = await asyncio.to_thread(live.converse, question, hits, previous)
        if follows:
            data.memory.put(conversation, turn)
    if data.stats is not None:
        data.stats.record(question, answered=result.answered, ms=(time.perf_counter() - started) * 1000)
    return Asked(result)


async def answer_in_chat(message: Message, user: User | None, question: str, context: Context, offset: int = 0) -> None:
    """Reply to a message with the page of passages answering the question from `offset` on, in the
    language the user asked in or reads (reader_of)."""
    data = data_of(context)
    user_id = user.id if user is not None else None
    say = reader_of(user, question)
    k = data.config.top_k
    asked = await ask(
        data, user_id, question, hits=offset + k + 1, conversation=conversation_of(message), follows=offset == 0
    )
    if asked.result is None:
        if asked.refusal != SILENT:
            await send(message, asked.refusal_in(say))
        return
    reply = answer_reply(asked.result, data.live, k=k, offset=offset, say=say)
    await send(message, reply["text"], html_mode=True, markup=reply.get("reply_markup"))


async def send_answer(message: Message, question: str, context: Context) -> None:
    """Reply to a user's message with the answer to their question."""
    await answer_in_chat(message, message.from_user, question, context)


async def ask_command(update: Update, context: Context) -> None:
    """Answer /ask QUESTION."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await send(
            message, reader_of(update.effective_user).gettext("Usage: /ask QUESTION — for example /ask how many troops")
        )
        return
    await send_answer(message, " ".join(context.args), context)


async def private_text(update: Update, context: Context) -> None:
    """Answer any text (or a photo's caption) in a private chat as a question."""
    message = update.effective_message
    if message is not None and (message.text or message.caption):
        await send_answer(message, message.text or message.caption or "", context)


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer messages that mention the bot or reply to it; ignore the rest (and thanks)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    username = context.bot.username.casefold()
    reply = message.reply_to_message
    mentions = [
        message.text[e.offset + 1 : e.offset + e.length].casefold()
        for e in message.entities
        if e.type == MessageEntityType.MENTION
    ]
    if username in mentions:
        # "hey @bot, how many…": the mention goes with the punctuation that set it off.
        question = re.sub(rf"(?i)@{re.escape(username)}\b[,:;]?", " ", message.text)
    elif reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id:
        question = message.text
    else:
        return
    if not clean(question):  # "@bot" alone: say how to ask, as a bare /ask does
        hint = "Mention me with your question, e.g. “@{username} how many troops”."
        await send(message, reader_of(update.effective_user).gettext(hint, username=context.bot.username))
        return
    if is_acknowledgement(question):
        return  # "thanks!" to the bot is not a question
    await send_answer(message, question, context)


async def non_text(update: Update, context: Context) -> None:
    """Tell private-chat users that only text questions are understood."""
    message = update.effective_message
    if message is not None:
        say = reader_of(update.effective_user)
        await send(message, say.gettext("I can only read text — send me your question as a message."))


async def unknown_command(update: Update, context: Context) -> None:
    """Answer a command the bot does not know with a pointer to /help."""
    message = update.effective_message
    if message is not None and message.text:
        command = clean(message.text.split()[0])[:40]
        say = reader_of(update.effective_user)
        await send(message, say.gettext("I don't know {command} — /help lists what I can do.", command=command))

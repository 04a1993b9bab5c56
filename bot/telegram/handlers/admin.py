"""Admin work over Telegram: validated atomic /reload, articles added and removed from chat, /stats."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import InvalidCallbackData

from bot.core.articles.extract import ExtractError, capture_of_upload, extract
from bot.core.articles.fetch import FetchError
from bot.core.articles.links import article_from_link
from bot.core.articles.store import (
    trash_listing,
)
from bot.core.corpus import CorpusError, is_web_address
from bot.core.messages import ENGLISH, N_, Messages, languages
from bot.core.serving import Index
from bot.telegram.callbacks import ChangeKind, PendingChange, admin_button_of
from bot.telegram.changes import apply_change, offer, prepare_report, trash_of
from bot.telegram.handlers.buttons import NO_LONGER_WORKS
from bot.telegram.replies import page_reply, send
from bot.telegram.state import BotData, Context, data_of, reader_of
from bot.telegram.stats import StatsUnavailableError, embedding_line

LOGGER = logging.getLogger("bot.admin")
ADMIN_COMMAND_TEXTS = (
    ("reload", N_("Re-read the corpus directory")),
    ("stats", N_("Questions asked, unanswered, answer times")),
    ("articles", N_("List the articles")),
    ("remove", N_("Remove an article: /remove ARTICLE_ID")),
    ("add", N_("Add an article from its address: /add URL")),
)


def admin_commands_in(say: Messages) -> tuple[BotCommand, ...]:
    """Return the admins' extra commands in a language."""
    return tuple(BotCommand(name, say.gettext(description)) for name, description in ADMIN_COMMAND_TEXTS)


ADMIN_COMMANDS = admin_commands_in(ENGLISH)
REFUSED = N_("Sorry, only the bot's admins can do that.")
ONLY_ADMINS = N_("Only the bot's admins can do that.")
ADMINS_ADD = N_("Only the bot's admins can add articles; send me your question as a message.")


async def admin_message(update: Update, context: Context, action: str) -> Message | None:
    """Return the message of an admin's update; refuse, log and return None for anyone else."""
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return None
    if not data_of(context).config.is_admin(user.id if user else None):
        LOGGER.warning("refused %s from user %s", action, user.id if user else None)
        await send(message, reader_of(user).gettext(REFUSED))
        return None
    return message


async def reload_command(update: Update, context: Context) -> None:
    """Reload the corpus and report what changed, or why the reload was refused."""
    message = await admin_message(update, context, "/reload")
    if message is not None:
        outcome = await data_of(context).reloader.reload()
        await send(message, outcome.report_in(reader_of(update.effective_user)))


async def articles_command(update: Update, context: Context) -> None:
    """List every article: id, title, date, passages; `/articles trash` lists removed and replaced files."""
    message = await admin_message(update, context, "/articles")
    if message is None:
        return
    say = reader_of(update.effective_user)
    if context.args and context.args[0] == "trash":
        trashed = trash_listing(trash_of(data_of(context).config))
        listing = "\n".join(path.name for path in trashed[:50]) or say.gettext("The trash is empty.")
        restore = say.gettext("To restore one, move it back into the corpus directory and /reload.")
        await send(message, f"{listing}\n\n{restore}")
        return
    text, markup = articles_page(data_of(context).live, 0, say)
    await send(message, text, html_mode=True, markup=markup)


def articles_page(engine: Index, page: int, say: Messages = ENGLISH) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return one page of /articles: id, title, date and passages of each article."""
    corpus = engine.corpus
    items = [
        f"<code>{html.escape(a.id)}</code>\n{html.escape(a.title)} ({a.date}) — "
        + say.ngettext("{count} passage", "{count} passages", corpus.passage_counts[a.id])
        for a in corpus.articles
    ]
    return page_reply(items, page, kind="articles", say=say)


async def remove_command(update: Update, context: Context) -> None:
    """Ask for confirmation before removing an article."""
    message = await admin_message(update, context, "/remove")
    if message is None:
        return
    data = data_of(context)
    say = reader_of(update.effective_user)
    if not context.args:
        await send(message, say.gettext("Usage: /remove ARTICLE_ID (see /articles)"))
        return
    article_id = context.args[0]
    if article_id not in data.live.corpus.by_id:
        await send(message, say.gettext("No article {id}; /articles lists them.", id=repr(article_id[:100])))
        return
    if len(data.live.corpus.articles) == 1:
        await send(message, say.gettext("That is the only article; add another before removing it."))
        return
    title = data.live.corpus.by_id[article_id].title
    change = PendingChange(ChangeKind.REMOVE, article_id)
    await confirm(message, data, change, say.gettext("Remove “{title}”?", title=title), say.gettext("Remove"), say)


async def confirm(
    message: Message, data: BotData, change: PendingChange, question: str, label: str, say: Messages
) -> None:
    """Ask the admin who sent a message to confirm a change, in reply to it."""
    admin_id = message.from_user.id if message.from_user else message.chat_id
    await offer(data, admin_id, change, question, label, reply_to=message.message_id, say=say)


async def document_upload(update: Update, context: Context) -> None:
    """Ingest a document an admin sent, show what it holds and ask to add it; others get a hint."""
    message = update.effective_message
    user = update.effective_user
    data = data_of(context)
    if message is None or message.document is None:
        return
    say = reader_of(user)
    if not data.config.is_admin(user.id if user else None):
        await send(message, say.gettext(ADMINS_ADD))
        return
    document = message.document
    name = document.file_name or "upload"
    too_big = say.gettext(
        "Refused: {name} is over {size} kB.", name=name, size=say.number(data.config.max_upload_bytes // 1000)
    )
    if document.file_size is not None and document.file_size > data.config.max_upload_bytes:
        await send(message, too_big)
        return
    content = bytes(await (await document.get_file()).download_as_bytearray())
    if len(content) > data.config.max_upload_bytes:
        await send(message, too_big)
        return
    try:
        # Read as a fetched page is (a process of its own, killed at the time limit), then split
        # into sentences off the event loop: other chats are answered meanwhile.
        report = await extract(capture_of_upload(name, content), seconds=data.config.fetch_policy.extract_seconds)
        change, preview = await asyncio.to_thread(
            prepare_report, data.config.corpus_dir, report, data.live.known_files(), say
        )
    except CorpusError as error:
        LOGGER.info("upload %s refused: %s", name, error)
        await send(message, refusal(error, say))
        return
    await confirm(message, data, change, preview, _label(change, say), say)


async def add_command(update: Update, context: Context) -> None:
    """/add URL (or an admin pasting a link): fetch the page and offer its article like an upload."""
    message = update.effective_message
    user = update.effective_user
    data = data_of(context)
    if message is None or not message.text:
        return
    say = reader_of(user)
    if not data.config.is_admin(user.id if user else None):
        LOGGER.warning("refused a link from user %s (nothing fetched)", user.id if user else None)
        await send(message, say.gettext(ADMINS_ADD))
        return
    words = message.text.split()
    url = words[1] if words[0].startswith("/") and len(words) == 2 else words[0] if len(words) == 1 else ""
    if not is_web_address(url):
        await send(message, say.gettext("Usage: /add https://… — the address of a news article."))
        return
    try:
        report = await article_from_link(url, data.config.fetch_policy)
        change, preview = await asyncio.to_thread(
            prepare_report, data.config.corpus_dir, report, data.live.known_files(), say
        )
    except (FetchError, CorpusError) as error:
        LOGGER.info("link %s refused: %s", url, error)
        await send(message, refusal(error, say))
        return
    await confirm(message, data, change, preview, _label(change, say), say)


def _label(change: PendingChange, say: Messages) -> str:
    return say.gettext("Replace") if change.kind is ChangeKind.REPLACE else say.gettext("Add")


def refusal(error: CorpusError | FetchError, say: Messages = ENGLISH) -> str:
    """Why an upload or a link was not offered: a fetch's, an extraction's or a page's own sentence,
    else "Refused: …"."""
    own = isinstance(error, FetchError | ExtractError) or str(error).startswith("This ")
    reason = say.said(error)
    return reason if own else say.gettext("Refused: {reason}", reason=reason)


def is_admin_button(data: object) -> bool:
    """Whether a button's data is an admin confirmation (it bypasses the callback-data cache)."""
    return isinstance(data, InvalidCallbackData) and admin_button_of(data.callback_data) is not None


async def admin_decision(update: Update, context: Context) -> None:
    """Carry out (or cancel) a confirmed change, then reload; each confirmation works once.

    A change that fails for a reason worth retrying (a full disk) keeps its buttons.
    """
    query = update.callback_query
    if query is None:
        return
    button = admin_button_of(query.data.callback_data) if isinstance(query.data, InvalidCallbackData) else None
    say = reader_of(query.from_user)
    if button is None:  # python-telegram-bot hands empty data to the first button handler whatever its pattern
        await query.answer(say.gettext(NO_LONGER_WORKS), show_alert=True)
        return
    data = data_of(context)
    if not data.config.is_admin(query.from_user.id):
        LOGGER.warning("refused admin button from user %s", query.from_user.id)
        await query.answer(say.gettext(ONLY_ADMINS), show_alert=True)
        return
    token, approve = button
    entry = data.pending.take(token)  # before any await: a second press finds nothing
    if entry is None:
        await query.answer(say.gettext(NO_LONGER_WORKS), show_alert=True)
        return
    await query.answer()
    if not approve:
        text = say.gettext(entry.cancelled)
    else:
        text, retry = await apply_change(data, entry.change, say)
        if retry:
            data.pending.put_back(token, entry)
    if isinstance(query.message, Message):
        await send(query.message, text)


def stats_text(data: BotData, say: Messages = ENGLISH) -> str:
    """Return the /stats report (reads the statistics file: run it off the event loop).

    Each line is one text of the catalogue, so a line added here needs only its msgid (said in
    English until the catalogues translate it)."""
    corpus = data.live.corpus
    lines = [
        say.gettext(
            "Corpus {version} · {articles} · {passages}",
            version=corpus.version,
            articles=say.ngettext("{count} article", "{count} articles", len(corpus.articles)),
            passages=say.ngettext("{count} passage", "{count} passages", corpus.passages_served),
        )
    ]
    vectors = data.live.parts.vectors
    if vectors.missing:
        lines.append(embedding_line(len(vectors) - vectors.missing, len(vectors), say))
    if data.stats is None:
        return "\n".join([*lines, say.gettext("Statistics are off: {reason}.", reason=data.stats_off)])
    try:
        summary = data.stats.summary()
    except StatsUnavailableError as error:
        return "\n".join([*lines, say.gettext("Statistics cannot be read just now: {error}.", error=error)])
    lines.append(
        say.gettext(
            "Questions: {asked} · {answered} · {abstained}",
            asked=say.ngettext("{count} asked", "{count} asked", summary.asked),
            answered=say.ngettext("{count} answered", "{count} answered", summary.answered),
            abstained=say.ngettext("{count} abstained", "{count} abstained", summary.abstained),
        )
    )
    if summary.median_ms is not None and summary.p95_ms is not None:
        lines.append(
            say.gettext(
                "Answer time: median {median} ms · p95 {p95} ms",
                median=f"{summary.median_ms:.2f}",
                p95=f"{summary.p95_ms:.2f}",
            )
        )
    if summary.last_reload is not None:
        lines.append(say.gettext("Last reload: {when}", when=_when(summary.last_reload)))
    if summary.top_unanswered:
        lines.append("\n" + say.gettext("Most asked without an answer:"))
        lines += [
            say.gettext("{count}× {question} (last {when})", count=count, question=question, when=_when(at))
            for question, count, at in summary.top_unanswered
        ]
    return "\n".join(lines)


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


async def stats_command(update: Update, context: Context) -> None:
    """Report question counts, what the corpus can't answer, answer times and the corpus."""
    message = await admin_message(update, context, "/stats")
    if message is not None:
        say = reader_of(update.effective_user)
        await send(message, await asyncio.to_thread(stats_text, data_of(context), say))


async def set_admin_commands(
    bot: Bot, admin_ids: frozenset[int], commands_in: Callable[[Messages], tuple[BotCommand, ...]]
) -> None:
    """Show the admin commands in the menu of each admin's private chat only, in every language
    with a catalogue (`commands_in`: everyone's commands in a language)."""
    for admin_id in sorted(admin_ids):
        try:
            scope = BotCommandScopeChat(admin_id)
            await bot.set_my_commands((*commands_in(ENGLISH), *ADMIN_COMMANDS), scope=scope)
            for language in languages():
                if language != ENGLISH.language:
                    say = Messages(language)
                    menu = (*commands_in(say), *admin_commands_in(say))
                    await bot.set_my_commands(menu, scope=scope, language_code=language)
        except (BadRequest, Forbidden) as error:  # the admin has not started a chat with the bot yet
            LOGGER.warning("could not set the admin menu for user %s: %s", admin_id, error)


def on_sighup(data: BotData) -> Callable[[], None]:
    """Return a signal callback that reloads the corpus like /reload and logs the report."""

    def reload_from_signal() -> None:
        async def run() -> None:
            LOGGER.info("SIGHUP: %s", (await data.reloader.reload()).report.replace("\n", " "))

        asyncio.get_running_loop().create_task(run())

    return reload_from_signal

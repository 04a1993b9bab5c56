"""The bot's Application: every handler wired in one place, the error handler, flood control, shared state."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    InvalidCallbackData,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.messages import ENGLISH, N_, Messages, languages
from bot.core.serving import Index, open_index
from bot.core.serving.embedding import ArchiveEmbedder, store_of
from bot.core.serving.opening import save_embedded
from bot.core.serving.reloader import IndexLoader, Reloader
from bot.telegram.callbacks import ExampleQuestion, ListPage, MoreContext, MoreResults
from bot.telegram.feeds import FeedReader
from bot.telegram.flow import BotApplication, FairUpdateProcessor
from bot.telegram.handlers.admin import (
    add_command,
    admin_decision,
    articles_command,
    document_upload,
    is_admin_button,
    on_sighup,
    reload_command,
    remove_command,
    set_admin_commands,
    stats_command,
)
from bot.telegram.handlers.buttons import example_question, more_context, more_results, no_longer_works
from bot.telegram.handlers.info import help_command, list_page, source_command, start
from bot.telegram.handlers.inline import inline_query
from bot.telegram.handlers.questions import ask_command, group_text, non_text, private_text, unknown_command
from bot.telegram.limits import RetryingRateLimiter, UserLimits
from bot.telegram.state import BotConfig, BotData, Context, reader_of
from bot.telegram.stats import StatsStore, StatsUnavailableError
from bot.telegram.transport import AiohttpRequest

LOGGER = logging.getLogger("bot")
CONNECTION_POOL = 8
# Every update a user sends (commands, buttons, uploads, refusals included) counts against this;
# past it the bot stays silent for the rest of the minute. Questions have their own, lower limit.
UPDATES_PER_MINUTE = 40
COMMAND_TEXTS = (
    ("start", N_("What this bot does")),
    ("help", N_("How to ask and what citations mean")),
    ("ask", N_("Ask a question (in groups)")),
    ("source", N_("The article and corpus version")),
)
SORRY = N_("Sorry, something went wrong. Please try again.")


def commands_in(say: Messages) -> tuple[BotCommand, ...]:
    """Return the command menu in a language."""
    return tuple(BotCommand(name, say.gettext(description)) for name, description in COMMAND_TEXTS)


COMMANDS = commands_in(ENGLISH)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def on_error(update: object, context: Context) -> None:
    """Log the error with its update id, then tell the user something went wrong."""
    if update is None and isinstance(context.error, NetworkError):
        return  # polling could not reach the Bot API: the connection logs the outage once, not per attempt
    update_id = update.update_id if isinstance(update, Update) else None
    LOGGER.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(context.error, TimedOut):
        return  # the reply may well have been delivered: no apology for it
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(reader_of(update.effective_user).gettext(SORRY))
        except Exception:  # the failure may be the connection itself; the log has it already
            LOGGER.warning("could not tell the user about the error in update %s", update_id)


def build_application(
    engine: Index,
    config: BotConfig,
    *,
    token: str,
    base_url: str | None = None,
    rate_limiter: bool = True,
    load_engine: IndexLoader = open_index,
    merge_engine: Callable[[Path], Index] | None = None,
    handle_sighup: bool = False,
    early_sighup: threading.Event | None = None,
    read_timeout: float = 5.0,
    snapshots: Path | None = None,
) -> AnyApplication:
    """Return the bot's Application: every handler, the error handler, flood control, shared state.

    `read_timeout`: seconds a Bot API call (other than the long poll) may wait for its answer.
    `snapshots`: where the index's snapshots and embedding store are kept (BOT_DATA_DIR/index).
    """
    # Opt in to python-telegram-bot's coming timedelta durations: it reads this when a 429 arrives,
    # and without it every RetryAfter warns that the type will change.
    os.environ.setdefault("PTB_TIMEDELTA", "true")

    async def post_init(application: AnyApplication) -> None:
        await application.bot.set_my_commands(COMMANDS)
        for language in languages():  # Telegram shows a user the menu of their app's language
            if language != ENGLISH.language:
                await application.bot.set_my_commands(commands_in(Messages(language)), language_code=language)
        await set_admin_commands(application.bot, config.admin_ids, commands_in)
        data: BotData = application.bot_data
        # The sentence model and the compiled kernel load off the question path: questions asked
        # meanwhile are answered all the same (a big search by the numpy path, with the same results).
        threading.Thread(target=engine.answerer.warm_up, name="warm-up", daemon=True).start()
        if config.feeds:
            data.feeds = FeedReader(data)
            data.feeds.start()
        if engine.unmerged:  # started from a snapshot updated by the files changed since
            data.reloader.merge_later()
        embed_in_background(data, snapshots)
        if handle_sighup:
            reload_on_signal = on_sighup(application.bot_data)
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload_on_signal)
            if early_sighup is not None and early_sighup.is_set():  # asked for during start-up
                reload_on_signal()
        LOGGER.info(
            "@%s serving %s, %s (corpus %s)",
            application.bot.username,
            ENGLISH.ngettext("{count} article", "{count} articles", len(engine.corpus.articles)),
            ENGLISH.ngettext("{count} passage", "{count} passages", engine.corpus.passages_served),
            engine.corpus.version,
        )

    requests = (AiohttpRequest(pool_size=CONNECTION_POOL, read_timeout=read_timeout), AiohttpRequest(pool_size=1))
    # Any: the builder's bot type changes with the rate limiter (ExtBot[None] -> ExtBot[int]).
    builder: Any = (
        ApplicationBuilder()
        .token(token)
        .context_types(ContextTypes(bot_data=BotData))
        .application_class(BotApplication)
        .arbitrary_callback_data(True)
        .concurrent_updates(FairUpdateProcessor())
        .request(requests[0])
        .get_updates_request(requests[1])
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if base_url:
        builder = builder.base_url(base_url).base_file_url(_file_url(base_url))
    if rate_limiter:
        builder = builder.rate_limiter(RetryingRateLimiter(max_retries=3))
    application = builder.build()
    data: BotData = application.bot_data

    def swapped() -> None:
        data.mark_reload()
        embed_in_background(data, snapshots)

    data.reloader = Reloader(
        config.corpus_dir,
        engine,
        load=load_engine,
        merge=merge_engine,
        swapped=swapped,
        merged=lambda: embed_in_background(data, snapshots),  # a merge's build may leave passages to embed
    )
    data.config = config
    data.limits = UserLimits(config.questions_per_minute)
    data.update_limits = UserLimits(max(UPDATES_PER_MINUTE, 2 * config.questions_per_minute))
    data.requests = requests
    # Shares the main connection pool (opened and closed with the application's bot).
    data.bare_bot = (
        Bot(token, base_url=base_url, base_file_url=_file_url(base_url), request=requests[0])
        if base_url
        else Bot(token, request=requests[0])
    )
    if config.data_dir is None:
        data.stats_off = "no data directory is set"
    else:
        try:
            data.stats = StatsStore(config.data_dir / "stats.sqlite3")
        except StatsUnavailableError as error:  # the bot answers without statistics
            LOGGER.warning("statistics are off: %s", error)
            data.stats_off = str(error)
    add_handlers(application)
    return application


def embed_in_background(data: BotData, snapshots: Path | None) -> None:
    """Embed the serving index's passages that have no vector yet (a big archive's), in a task of
    the application, unless that is under way already; the snapshot is saved once all have one."""
    if (data.embedding is not None and not data.embedding.done()) or not data.live.parts.vectors.missing:
        return
    if data.archive_embedder is None:
        data.archive_embedder = ArchiveEmbedder(store_of(snapshots))
    data.embedding = asyncio.get_running_loop().create_task(
        data.archive_embedder.run(lambda: data.live, done=lambda index: save_embedded(index, snapshots)),
        name="embedding",
    )


async def post_shutdown(application: AnyApplication) -> None:
    """Stop embedding, close the statistics file."""
    data: BotData = application.bot_data
    if data.embedding is not None:
        data.embedding.cancel()
    if data.archive_embedder is not None:
        data.archive_embedder.close()
    if data.stats is not None:
        data.stats.close()


async def per_user_gate(update: Update, context: Context) -> None:
    """Before any handler: an admin's language is noted (feed items are offered in it); a user past
    UPDATES_PER_MINUTE gets no reply of any kind this minute.

    Inline queries (one per keystroke) are left to the question limit.
    """
    user = update.effective_user
    if user is None:
        return
    context.bot_data.heard_from(user)
    if update.inline_query is not None:
        return
    if not await context.bot_data.update_limits.allow(user.id):
        if context.bot_data.update_limits.tell(user.id):
            LOGGER.warning("user %s is over %d updates a minute; ignored for now", user.id, UPDATES_PER_MINUTE)
        raise ApplicationHandlerStop


def add_handlers(application: AnyApplication) -> None:
    """Register every handler; edited messages and channel posts match none of them."""
    application.add_handler(TypeHandler(Update, per_user_gate), group=-1)
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    commands = {
        "start": start,
        "help": help_command,
        "source": source_command,
        "ask": ask_command,
        "reload": reload_command,
        "stats": stats_command,
        "articles": articles_command,
        "remove": remove_command,
        "add": add_command,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(MessageHandler(new & private & filters.Document.ALL, document_upload))
    link = filters.Regex(r"^\s*https?://\S+\s*$")  # a pasted link alone: /add for admins
    application.add_handler(MessageHandler(new & private & filters.TEXT & link & ~filters.COMMAND, add_command))
    application.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, private_text))
    application.add_handler(MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, group_text))
    application.add_handler(MessageHandler(new & private & filters.CAPTION & ~filters.COMMAND, private_text))
    application.add_handler(MessageHandler(new & private & ~filters.TEXT & ~filters.COMMAND, non_text))
    application.add_handler(MessageHandler(new & private & filters.COMMAND, unknown_command))
    application.add_handler(InlineQueryHandler(inline_query))
    # First: data the bot no longer holds (after a restart, or forged); python-telegram-bot also
    # hands empty data to the first button handler whatever its pattern.
    application.add_handler(CallbackQueryHandler(admin_decision, pattern=is_admin_button))
    application.add_handler(CallbackQueryHandler(no_longer_works, pattern=InvalidCallbackData))
    application.add_handler(CallbackQueryHandler(example_question, pattern=ExampleQuestion))
    application.add_handler(CallbackQueryHandler(more_context, pattern=MoreContext))
    application.add_handler(CallbackQueryHandler(more_results, pattern=MoreResults))
    application.add_handler(CallbackQueryHandler(list_page, pattern=ListPage))
    application.add_handler(CallbackQueryHandler(no_longer_works))  # anything else the bot never made
    application.add_error_handler(on_error)


def _file_url(base_url: str) -> str:
    """Return the file URL of a Bot API server from its method URL (…/bot → …/file/bot)."""
    root, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"

"""The Telegram bot: handlers for private chats, groups, inline mode and buttons; all wiring in build_application."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Opt in to python-telegram-bot's coming timedelta durations (RetryAfter.retry_after), so a 429
# is handled without a deprecation warning on every retry.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import MessageEntityType, ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.admin import (
    admin_button,
    articles_command,
    document_upload,
    on_sighup,
    reload_command,
    remove_command,
    set_admin_commands,
    stats_command,
)
from bot.answer import EXAMPLE_QUESTIONS, TELEGRAM_LIMIT, cite, format_html, html_passage, not_found_text
from bot.botdata import BotConfig, BotData, Context, data_of
from bot.corpus import CAPTION_PARAGRAPH, CorpusError
from bot.engine import Engine
from bot.index import SearchResult
from bot.limits import RetryingRateLimiter, UserLimits
from bot.settings import Settings
from bot.stats import StatsStore
from bot.transport import AiohttpRequest

LOGGER = logging.getLogger("bot")
MAX_QUESTION = 300
CONCURRENT_UPDATES = 64
CONNECTION_POOL = 8
QUESTION_MARK = "❓ "
COMMANDS = (
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How to ask and what citations mean"),
    BotCommand("ask", "Ask a question (in groups)"),
    BotCommand("source", "The article and corpus version"),
)


# --- replies -----------------------------------------------------------------------------------


def answer_markup(result: SearchResult, engine: Engine, *, shown: int, offset: int, more: bool) -> InlineKeyboardMarkup:
    """Return the buttons under an answer: context of its first passage shown, and further results."""
    passage_number = result.hits[offset].position
    row = [InlineKeyboardButton("More context", callback_data=f"ctx:{engine.corpus.version}:{passage_number}")]
    if more:
        row.append(InlineKeyboardButton("More results", callback_data=f"more:{engine.corpus.version}:{offset + shown}"))
    return InlineKeyboardMarkup([row])


async def send_answer(message: Message, question: str, context: Context) -> None:
    """Reply to a message with the passages answering the question (or why there are none)."""
    data = data_of(context)
    question = " ".join(question.split())
    if not question:
        await message.reply_text("Ask me something about the article, e.g. “how many troops”.")
        return
    if len(question) > MAX_QUESTION:
        await message.reply_text(f"That question is long — please keep it under {MAX_QUESTION} characters.")
        return
    user = message.from_user
    if user is not None and not await data.limits.allow(user.id):
        await message.reply_text("You're asking faster than I can keep up — please wait a minute and try again.")
        return
    started = time.perf_counter()
    reply, answered = answer_reply(question, data)
    if data.stats is not None:
        data.stats.record(question, answered=answered, ms=(time.perf_counter() - started) * 1000)
    await message.reply_text(**reply)


def answer_reply(question: str, data: BotData, *, offset: int = 0) -> tuple[dict[str, Any], bool]:
    """Return the text, parse mode and buttons of the answer to a question, and whether it answers it."""
    engine = data.live
    k = data.config.top_k
    result = engine.search(question, offset + k + 1)
    head = f"{QUESTION_MARK}<i>{html.escape(question)}</i>\n\n"
    if not result.answered or offset >= len(result.hits):
        text = html.escape(not_found_text(result)) if not result.answered else "No more passages match this question."
        return {"text": head + text, "parse_mode": ParseMode.HTML}, result.answered
    page = SearchResult(result.question, result.hits[offset : offset + k], result.corrections, result.suggestion)
    body, shown = format_html(page, engine.corpus, limit=TELEGRAM_LIMIT - len(head), first_number=offset + 1)
    more = offset + shown < len(result.hits)
    markup = answer_markup(result, engine, shown=shown, offset=offset, more=more)
    return {"text": head + body, "parse_mode": ParseMode.HTML, "reply_markup": markup}, True


def question_of(message: Message) -> str | None:
    """Return the question an answer message was for, from its first line."""
    first = (message.text or "").split("\n", 1)[0]
    return first.removeprefix(QUESTION_MARK).strip() if first.startswith(QUESTION_MARK) else None


def context_html(engine: Engine, passage_number: int) -> str:
    """Return a passage inside its paragraph, the passage itself in bold; a long paragraph is trimmed
    around the passage (whole words, marked …), never inside a tag or inside the passage."""
    passage = engine.corpus.passages[passage_number]
    article = engine.corpus.by_id[passage.article_id]
    paragraph = article.caption if passage.paragraph == CAPTION_PARAGRAPH else article.paragraphs[passage.paragraph - 1]
    before, after = paragraph[: passage.start], paragraph[passage.end :]
    place = cite(engine.corpus, passage).place.split(",")[0]
    footer = f"\n<i>{html.escape(article.title)}, {html.escape(place)}</i>"
    while True:
        reply = f"{html.escape(before)}<b>{html.escape(passage.text)}</b>{html.escape(after)}{footer}"
        if len(reply) <= TELEGRAM_LIMIT or not (before or after):
            return reply
        # Drop a tenth of the longer side, from its far end, at a word boundary.
        if len(before) >= len(after):
            before = "… " + before[len(before) // 10 :].split(" ", 1)[-1] if " " in before[2:] else ""
        else:
            after = after[: len(after) * 9 // 10].rsplit(" ", 1)[0] + " …" if " " in after[:-2] else ""


# --- handlers ----------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Introduce the bot with example questions as buttons; a deep-link payload asks its question."""
    message = update.effective_message
    if message is None:
        return
    if context.args:
        await send_answer(message, re.sub(r"[-_]+", " ", " ".join(context.args)), context)
        return
    engine = data_of(context).live
    article = engine.corpus.articles[0]
    title = html.escape(article.title)
    if article.url:
        title = f'<a href="{html.escape(article.url, quote=True)}">{title}</a>'
    text = (
        f"I answer questions about <b>{title}</b> ({html.escape(article.source)}, {html.escape(article.date)}) "
        "by quoting the article itself, with the paragraph and sentence of every quote. Ask me anything, or try:"
    )
    buttons = [[InlineKeyboardButton(q, callback_data=f"ask:{i}")] for i, q in enumerate(EXAMPLE_QUESTIONS)]
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(buttons))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to ask, what citations mean, and the commands."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(
        "<b>How to ask</b>\nIn a private chat, just write your question. In a group, use /ask QUESTION, "
        "mention me, or reply to one of my messages. In any chat, type my @username and a question.\n\n"
        "<b>What the citations mean</b>\nEvery answer quotes the article word for word. "
        "<i>¶7, sentence 2</i> means the second sentence of the seventh paragraph. "
        "Words that matched your question are in bold. If the article doesn't cover it, I say so.\n\n"
        "<b>Commands</b>\n/start – what I do\n/help – this message\n/ask QUESTION – ask in a group\n"
        "/source – the article and the corpus version",
        parse_mode=ParseMode.HTML,
    )


async def source_command(update: Update, context: Context) -> None:
    """List the articles being served and the corpus version."""
    message = update.effective_message
    if message is None:
        return
    engine = data_of(context).live
    lines = []
    for article in engine.corpus.articles:
        title = html.escape(article.title)
        link = (
            f'\n<a href="{html.escape(article.url, quote=True)}">{html.escape(article.url)}</a>' if article.url else ""
        )
        lines.append(f"<b>{title}</b>\n{html.escape(article.source)}, {html.escape(article.date)}{link}")
    lines.append(f"Corpus version <code>{engine.corpus.version}</code> · {len(engine.corpus.passages)} passages")
    await message.reply_text("\n\n".join(lines), parse_mode=ParseMode.HTML, disable_web_page_preview=True)


async def ask_command(update: Update, context: Context) -> None:
    """Answer /ask QUESTION."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await message.reply_text("Usage: /ask QUESTION — for example /ask how many troops")
        return
    await send_answer(message, " ".join(context.args), context)


async def private_text(update: Update, context: Context) -> None:
    """Answer any text in a private chat as a question."""
    message = update.effective_message
    if message is not None and message.text:
        await send_answer(message, message.text, context)


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer messages that mention the bot or reply to it; ignore the rest."""
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
        question = re.sub(rf"(?i)@{re.escape(username)}\b", " ", message.text)
    elif reply is not None and reply.from_user is not None and reply.from_user.id == context.bot.id:
        question = message.text
    else:
        return
    await send_answer(message, question, context)


async def non_text(update: Update, context: Context) -> None:
    """Tell private-chat users that only text questions are understood."""
    message = update.effective_message
    if message is not None:
        await message.reply_text("I can only read text — send me your question as a message.")


async def inline_query(update: Update, context: Context) -> None:
    """Offer the top passages for an inline query, each inserting the passage with its citation."""
    query = update.inline_query
    if query is None:
        return
    engine = data_of(context).live
    question = " ".join(query.query.split())[:MAX_QUESTION]
    results = []
    if question:
        result = engine.search(question, max(data_of(context).config.top_k, 5))
        for number, hit in enumerate(result.hits):
            citation = cite(engine.corpus, hit.passage)
            text = html_passage(engine.corpus, hit, several=True)
            if len(text) > TELEGRAM_LIMIT:  # a sentence longer than a message: its opening words
                opening = html.escape(hit.passage.text[: TELEGRAM_LIMIT // 8].rsplit(" ", 1)[0])
                text = f"“{opening} …”\n<i>{html.escape(citation.title)}, {html.escape(citation.place)}</i>"
            results.append(
                InlineQueryResultArticle(
                    id=f"{engine.corpus.version}-{number}",
                    title=hit.passage.text[:100],
                    description=f"{citation.title} · {citation.place}",
                    input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
                )
            )
    await query.answer(results, cache_time=30)


async def button(update: Update, context: Context) -> None:
    """Handle the buttons: example questions, more context, more results; stale ones say so."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    engine = data_of(context).live
    kind, _, rest = query.data.partition(":")
    message = query.message if isinstance(query.message, Message) else None
    if kind == "ask" and rest.isdigit() and int(rest) < len(EXAMPLE_QUESTIONS) and message is not None:
        await query.answer()
        await message.reply_text(**answer_reply(EXAMPLE_QUESTIONS[int(rest)], data_of(context))[0])
        return
    version, _, number = rest.partition(":")
    if version != engine.corpus.version or not number.isdigit():
        await query.answer("This answer is out of date — ask again.", show_alert=True)
        return
    if kind == "ctx" and int(number) < len(engine.corpus.passages) and message is not None:
        await query.answer()
        await message.reply_text(context_html(engine, int(number)), parse_mode=ParseMode.HTML)
    elif kind == "more" and message is not None and (question := question_of(message)):
        await query.answer()
        await message.reply_text(**answer_reply(question, data_of(context), offset=int(number))[0])
    else:
        await query.answer("This answer is out of date — ask again.", show_alert=True)


async def on_error(update: object, context: Context) -> None:
    """Log the error with its update id, then tell the user something went wrong."""
    update_id = update.update_id if isinstance(update, Update) else None
    LOGGER.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text("Sorry, something went wrong. Please try again.")
        except Exception:  # the failure may be the connection itself; the log has it already
            LOGGER.warning("could not tell the user about the error in update %s", update_id)


# --- wiring ------------------------------------------------------------------------------------


def build_application(
    engine: Engine,
    config: BotConfig,
    *,
    token: str,
    base_url: str | None = None,
    rate_limiter: bool = True,
    load_engine: Callable[[Path], Engine] = Engine.load,
    handle_sighup: bool = False,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Return the bot's Application: every handler, the error handler, flood control, shared state."""

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await application.bot.set_my_commands(COMMANDS)
        await set_admin_commands(application.bot, config.admin_ids, COMMANDS)
        if handle_sighup:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, on_sighup(application.bot_data))
        LOGGER.info(
            "@%s serving %d articles, %d passages (corpus %s)",
            application.bot.username,
            len(engine.corpus.articles),
            len(engine.corpus.passages),
            engine.corpus.version,
        )

    # Any: the builder's bot type changes with the rate limiter (ExtBot[None] -> ExtBot[int]).
    builder: Any = (
        ApplicationBuilder()
        .token(token)
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(AiohttpRequest(pool_size=CONNECTION_POOL))
        .get_updates_request(AiohttpRequest(pool_size=1))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if base_url:
        builder = builder.base_url(base_url).base_file_url(_file_url(base_url))
    if rate_limiter:
        builder = builder.rate_limiter(RetryingRateLimiter(max_retries=3))
    application = builder.build()
    data: BotData = application.bot_data
    data.engine = engine
    data.config = config
    data.limits = UserLimits(config.questions_per_minute)
    data.load_engine = load_engine
    if config.data_dir is not None:
        data.stats = StatsStore(config.data_dir / "stats.sqlite3")
    add_handlers(application)
    return application


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the statistics file."""
    data: BotData = application.bot_data
    if data.stats is not None:
        data.stats.close()


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler; edited messages and channel posts match none of them."""
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler("start", start, filters=new))
    application.add_handler(CommandHandler("help", help_command, filters=new))
    application.add_handler(CommandHandler("source", source_command, filters=new))
    application.add_handler(CommandHandler("ask", ask_command, filters=new))
    application.add_handler(CommandHandler("reload", reload_command, filters=new))
    application.add_handler(CommandHandler("stats", stats_command, filters=new))
    application.add_handler(CommandHandler("articles", articles_command, filters=new))
    application.add_handler(CommandHandler("remove", remove_command, filters=new))
    application.add_handler(MessageHandler(new & private & filters.Document.ALL, document_upload))
    application.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, private_text))
    application.add_handler(MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, group_text))
    application.add_handler(MessageHandler(new & private & ~filters.TEXT & ~filters.COMMAND, non_text))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(CallbackQueryHandler(admin_button, pattern="^adm:"))
    application.add_handler(CallbackQueryHandler(button))
    application.add_error_handler(on_error)


def _file_url(base_url: str) -> str:
    """Return the file URL of a Bot API server from its method URL (…/bot → …/file/bot)."""
    root, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a log record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback) with the token masked; never drop the record."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks quote request URLs; fold the masked traceback into the message itself,
            # so that no formatter can print the original.
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        if self.token:
            message = message.replace(self.token, "<token>")
        record.msg, record.args = message, None
        return True


def configure_logging(level: str, token: str) -> None:
    """Log to standard error, without request URLs (they carry the token) and with the token masked."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def config_of(settings: Settings) -> BotConfig:
    """Return the handlers' configuration from the settings."""
    return BotConfig(
        top_k=settings.top_k,
        questions_per_minute=settings.questions_per_minute,
        admin_ids=frozenset(settings.admin_ids),
        corpus_dir=settings.corpus_dir,
        data_dir=settings.data_dir,
    )


def run_bot(settings: Settings) -> int:
    """Load the corpus, then serve Telegram by long polling or webhook until SIGINT/SIGTERM."""
    if settings.telegram_token is None:
        raise ValueError("run_bot needs a token")
    token = settings.telegram_token.get_secret_value()
    configure_logging(settings.log_level, token)
    try:
        engine = Engine.load(settings.corpus_dir)
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    application = build_application(
        engine, config_of(settings), token=token, base_url=settings.telegram_api_url, handle_sighup=True
    )
    if settings.webhook_url:
        # Telegram echoes the secret on every update; without a configured one, a fresh one per start.
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0

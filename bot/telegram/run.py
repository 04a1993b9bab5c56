"""Running the bot: logging with the token masked, settings mapped to the handlers' config, polling or webhook."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
import signal
import sys
import threading
import traceback
from types import TracebackType
from urllib.parse import quote, urlsplit

from telegram import Update

from bot.core.articles.store import clean_leftovers
from bot.core.corpus import CorpusError
from bot.core.serving import open_index
from bot.settings import Settings
from bot.telegram.app import build_application
from bot.telegram.state import BotConfig, BotData
from bot.telegram.webhook import serve_webhook


class Redactor:
    """Masks secrets in any text: the whole bot token, its secret half on its own, the webhook secret."""

    def __init__(self, *secrets_: str) -> None:
        parts: list[str] = []
        for secret in secrets_:
            if not secret:
                continue
            parts.append(secret)
            _, sep, tail = secret.partition(":")
            if sep and len(tail) >= 8:  # a token's secret half shows up alone (e.g. after an empty host)
                parts.append(tail)
        # Each also as logs and tracebacks escape it: repr, JSON, and URL-quoted (":" as %3A).
        escaped = [form for part in parts for form in (repr(part)[1:-1], json.dumps(part)[1:-1], quote(part, safe=""))]
        self.secrets = sorted(set(parts + escaped), key=len, reverse=True)  # the whole token before its half

    def __call__(self, text: str) -> str:
        """Return text with every secret masked."""
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text


class RedactToken(logging.Filter):
    """Mask the bot's secrets wherever they appear in a log record, tracebacks included."""

    def __init__(self, token: str, *others: str) -> None:
        super().__init__()
        self.redact = Redactor(token, *others)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback) with the secrets masked; never drop the record."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks quote request URLs; fold the masked traceback into the message itself,
            # so that no formatter can print the original.
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = self.redact(message), None
        return True


def configure_logging(level: str, *secrets_: str) -> Redactor:
    """Log to standard error with every secret masked, in log records and in uncaught tracebacks alike."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    redact = RedactToken(*secrets_) if secrets_ else RedactToken("")
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)

    def excepthook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        sys.stderr.write(redact.redact("".join(traceback.format_exception(kind, error, trace))))

    sys.excepthook = excepthook
    threading.excepthook = lambda args: excepthook(args.exc_type, args.exc_value or Exception(), args.exc_traceback)
    return redact.redact


def config_of(settings: Settings) -> BotConfig:
    """Return the handlers' configuration from the settings."""
    return BotConfig(
        top_k=settings.top_k,
        questions_per_minute=settings.questions_per_minute,
        admin_ids=frozenset(settings.admin_ids),
        corpus_dir=settings.corpus_dir,
        data_dir=settings.data_dir,
        fetch_policy=settings.fetch_policy(),
        feeds=settings.feeds,
        feed_interval=settings.feed_interval * 60.0,
        feed_auto_add=settings.feed_auto_add,
    )


def run_bot(settings: Settings) -> int:
    """Load the corpus, then serve Telegram by long polling or webhook until SIGINT/SIGTERM."""
    if settings.telegram_token is None:
        raise ValueError("run_bot needs a token")
    token = settings.telegram_token.get_secret_value()
    webhook_secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    # Telegram echoes the secret on every update; without a configured one, a fresh one per start.
    webhook_secret = webhook_secret or secrets.token_urlsafe(32)
    redact = configure_logging(settings.log_level, token, webhook_secret)
    # A SIGHUP during start-up would kill the process: remember it, and reload once the bot runs.
    early_sighup = threading.Event()
    signal.signal(signal.SIGHUP, lambda signum, frame: early_sighup.set())
    for leftover in clean_leftovers(settings.corpus_dir):
        logging.getLogger("bot").warning("deleted %s, left by an interrupted write", leftover)
    try:
        engine = open_index(settings.corpus_dir, snapshots=settings.snapshots)
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    application = build_application(
        engine,
        config_of(settings),
        token=token,
        base_url=settings.telegram_api_url,
        handle_sighup=True,
        # A reload builds in a worker process (the bot keeps answering at full speed meanwhile).
        load_engine=functools.partial(open_index, snapshots=settings.snapshots, worker=True),
        # A corpus updated by changed files is built anew (merged) once left alone, in the worker too.
        merge_engine=functools.partial(open_index, snapshots=settings.snapshots, worker=True, grow=False),
        early_sighup=early_sighup,
        snapshots=settings.snapshots,
    )
    loop = asyncio.new_event_loop()  # one loop for serving and for closing up after a failed start
    asyncio.set_event_loop(loop)
    try:
        if settings.webhook_url:
            serving = serve_webhook(
                application,
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                path=urlsplit(settings.webhook_url).path,
                webhook_url=settings.webhook_url,
                secret=webhook_secret,
            )
            loop.run_until_complete(serving)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except Exception as error:  # start-up failed (a rejected token, an unreachable or odd server): one line
        logging.getLogger("bot").debug("start-up failed", exc_info=error)
        data: BotData = application.bot_data
        loop.run_until_complete(asyncio.gather(*(request.shutdown() for request in data.requests)))
        print(redact(f"error: the bot could not start: {type(error).__name__}: {error}"), file=sys.stderr)
        return 1
    return 0

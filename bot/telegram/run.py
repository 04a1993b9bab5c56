"""Running the bot: logging with the token masked, settings mapped to the handlers' config, polling or webhook."""

from __future__ import annotations

import logging
import secrets
import signal
import sys
import threading
from urllib.parse import urlsplit

from telegram import Update

from bot.core.corpus import CorpusError
from bot.core.engine import Engine
from bot.settings import Settings
from bot.telegram.app import build_application
from bot.telegram.state import BotConfig


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
    # A SIGHUP during start-up would kill the process: remember it, and reload once the bot runs.
    early_sighup = threading.Event()
    signal.signal(signal.SIGHUP, lambda signum, frame: early_sighup.set())
    try:
        engine = Engine.load(settings.corpus_dir)
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    application = build_application(
        engine,
        config_of(settings),
        token=token,
        base_url=settings.telegram_api_url,
        handle_sighup=True,
        early_sighup=early_sighup,
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

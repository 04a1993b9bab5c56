"""Secrets never leave the process: the token (whole or its secret half) and the webhook secret are
masked in log records, tracebacks and the one-line start-up error."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from urllib.parse import quote

import pytest

from bot.telegram.run import Redactor, RedactToken
from tests.conftest import CORPUS_DIR, ROOT
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijkl"
SECRET_HALF = TOKEN.split(":", 1)[1]


def test_redaction_masks_the_token_its_half_and_the_webhook_secret_in_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactToken(TOKEN, "webhook-secret-value"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.warning("POST http://%s/getMe", SECRET_HALF)
        logger.debug("never shown")
        logger.warning("setWebhook {'secret_token': 'webhook-secret-value'}")
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    log = stream.getvalue()
    assert TOKEN not in log
    assert SECRET_HALF not in log
    assert "webhook-secret-value" not in log
    assert "/bot<secret>/getMe" in log
    assert "/bot<secret>/sendMessage" in log


@pytest.mark.parametrize("where", ["main", "thread"])
def test_an_uncaught_traceback_is_masked(where: str) -> None:
    import subprocess

    code = f"""
import threading
from bot.telegram.run import configure_logging
configure_logging("INFO", {TOKEN!r}, "webhook-secret-value")
def fail():
    raise RuntimeError("failed at /bot{TOKEN}/sendMessage with webhook-secret-value")
if {where!r} == "thread":
    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
else:
    fail()
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert "RuntimeError: failed at /bot<secret>/sendMessage" in done.stderr  # the traceback, masked
    assert TOKEN not in done.stderr
    assert SECRET_HALF not in done.stderr
    assert "webhook-secret-value" not in done.stderr


def test_escaped_forms_of_the_secrets_are_masked_too() -> None:
    redact = Redactor(TOKEN, 'sec"ret\\value')  # settings refuse such a secret now; the redactor copes anyway
    for text in [repr('sec"ret\\value'), json.dumps('sec"ret\\value'), quote(TOKEN, safe=""), repr(TOKEN)]:
        assert redact(f"url={text} end") in {"url=<secret> end", "url='<secret>' end", 'url="<secret>" end'}


def test_a_short_token_tail_is_not_masked_everywhere() -> None:
    assert Redactor("1:ab")("1:ab and ab") == "<secret> and ab"  # masking "ab" alone would garble text


async def start_failure(api: FakeBotApi, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    clean |= {"BOT_TELEGRAM_API_URL": api.base_url, "BOT_CORPUS_DIR": str(CORPUS_DIR), "BOT_LOG_LEVEL": "DEBUG"}
    clean |= env
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=clean,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), out.decode() + err.decode()


@pytest.mark.parametrize("fault", ["rejected token", "echo", "garbage"])
async def test_start_up_failures_never_print_the_token(fault: str) -> None:
    api = FakeBotApi()
    await api.start()
    try:
        token = "987654:AAsecretpartOfTheToken" if fault == "rejected token" else api.token
        if fault != "rejected token":
            api.fail_next("getMe", fault, count=10)
        status, output = await start_failure(api, BOT_TELEGRAM_TOKEN=token)
    finally:
        await api.stop()
    assert status == 1
    assert token not in output
    assert token.split(":", 1)[1] not in output
    assert "error: the bot could not start:" in output.splitlines()[-1]

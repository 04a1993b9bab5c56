"""Shared fixtures: the raw capture, the shipped corpus, and an engine over it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.engine import Engine
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
RAW_CAPTURE = ROOT / "tests" / "fixtures" / "moscow-times-2024-11-06-raw.txt"
CORPUS_DIR = ROOT / "corpus"
ARTICLE_ID = "2024-11-06-russian-senators-ratify-defense-treaty-with-north-korea"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine over the shipped corpus."""
    return Engine.load(CORPUS_DIR)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server listening on 127.0.0.1 for one test."""
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def raw_text() -> str:
    """The raw page capture the shipped corpus was made from."""
    return RAW_CAPTURE.read_text(encoding="utf-8")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A corpus directory of its own holding the shipped article."""
    directory = tmp_path / "corpus"
    directory.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", directory)
    return directory

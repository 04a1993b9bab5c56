"""Shared fixtures: the raw capture, the shipped corpus, and an engine over it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.articles.store import check_corpus
from bot.core.corpus import build_corpus
from bot.core.serving import Index, open_index
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
RAW_CAPTURE = ROOT / "tests" / "fixtures" / "moscow-times-2024-11-06-raw.txt"
CORPUS_DIR = ROOT / "corpus"
ARTICLE_ID = "2024-11-06-russian-senators-ratify-defense-treaty-with-north-korea"
# Articles of other topics with questions of their own that no fitting reads (tests/heldout/README.md).
HELD_OUT = ROOT / "tests" / "heldout"
HELD_OUT_ARTICLES = ("suez", "queen", "webb")


# Python run first in a process whose every socket refuses, before the code under test.
_NO_NETWORK = """
import socket

def refuse(*args, **kwargs):
    raise OSError("network use while loading a model")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def run_without_network(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh process from the project folder with every socket refused: what
    a model loaded there must find on disk (its package's files), never download."""
    script = _NO_NETWORK + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="session")
def engine() -> Index:
    """The engine over the shipped corpus."""
    return open_index(CORPUS_DIR)


@pytest.fixture(scope="session")
def held_out_engines() -> dict[str, Index]:
    """An engine per held-out article, each its own corpus (as the shipped article is its own)."""
    engines = {}
    for name in HELD_OUT_ARTICLES:
        articles, problems = check_corpus(HELD_OUT / name)
        assert not problems
        assert len(articles) == 1
        engines[name] = Index.build(build_corpus(articles))
    return engines


@pytest.fixture(scope="session")
def compiled_kernel() -> object:
    """The compiled search, made ready once for the session by the public warm_up() (no timer decides)."""
    from bot.core.retrieval.bm25 import COMPILED
    from bot.index import SearchIndex

    SearchIndex([]).warm_up()
    assert COMPILED.search is not None  # numba is a dependency: the compiled loop is there
    return COMPILED.search


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

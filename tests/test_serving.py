"""The serving wing: what a snapshot's version is made of, and the build worker's time limit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bot.core.serving.opening as opening
from bot.core.serving import BuildFailedError, open_index
from bot.core.serving.layers import LAYERS, RetrieverLayer, code_files, version
from bot.core.serving.snapshot import builder
from tests.conftest import ARTICLE_ID, CORPUS_DIR
from tests.test_admin import build_workers

CORE = Path(__file__).resolve().parent.parent / "bot" / "core"


def test_a_part_s_version_covers_every_module_its_builders_import_and_the_language_data() -> None:
    """A file the kernel's output depends on is found by following imports, not named in a list:
    renamed or added, it still counts."""
    files = code_files(RetrieverLayer.builders())
    for needed in ("retrieval/bm25.py", "retrieval/chunks.py", "text.py", "lang/en/stop_words.txt"):
        assert CORE / needed in files, needed
    assert all(layer.name in builder() and version(layer) in builder() for layer in LAYERS)


def test_a_worker_over_its_time_limit_is_stopped_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", corpus)
    monkeypatch.setattr(opening, "WORKER_TIME_LIMIT_SECONDS", 0.01)  # no build is that fast
    with pytest.raises(BuildFailedError, match=r"took over 0 s and was stopped; nothing changed"):
        open_index(corpus, snapshots=tmp_path / "index", worker=True, worker_from=0)
    assert not build_workers()  # killed, not left running
    assert not list((tmp_path / "index").glob("snapshot-*"))

"""A big archive answers at once and is embedded after its build (bot.core.serving.embedding)."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.answering.dense import EMBEDDER, Embedder, PassageVectors, digests
from bot.core.corpus import build_corpus, format_article
from bot.core.serving import Index, embedding, open_index
from bot.core.serving.embedding import ArchiveEmbedder, VectorStore, progress_line
from bot.core.serving.opening import save_embedded
from bot.core.serving.reloader import Reloader
from bot.telegram.handlers.admin import stats_text
from bot.telegram.state import BotData
from tests.conftest import CORPUS_DIR
from tests.test_growing import GROWING_QUESTIONS, THIRD, WholeAnswer, made_up, made_up_article, whole_answers
from tests.test_snapshot import QUESTIONS, SECOND

# One model for every example: a sentence seen before is not embedded again.
SHARED = Embedder()


@pytest.fixture
def embedded_after() -> Iterator[pytest.MonkeyPatch]:
    """Every index, however small, is embedded after its build (as an archive over EMBED_NOW_AT_MOST)
    until the patch it gives is undone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedding, "EMBED_NOW_AT_MOST", 0)
        yield patch


def alike(mine: list[WholeAnswer], theirs: list[WholeAnswer]) -> None:
    for one, other in zip(mine, theirs, strict=True):
        assert (one.tier, one.quoted, one.rest) == (other.tier, other.quoted, other.rest)
        assert np.allclose(one.scores, other.scores, rtol=0, atol=2e-4)
        assert (one.probability is None) == (other.probability is None)
        if one.probability is not None and other.probability is not None:
            assert abs(one.probability - other.probability) <= 1e-6


def test_the_engine_lets_go_of_the_gil_while_it_embeds() -> None:
    """Embedding in a thread must not stop the event loop: the engine is called through ctypes.CDLL,
    which releases the GIL for each call (a PyDLL would hold it)."""
    library = EMBEDDER._loaded()._lib
    assert type(library) is ctypes.CDLL
    assert not library._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]


def test_passages_without_a_vector_take_no_part_in_the_dense_stage() -> None:
    texts = ["North Korea sent troops to Russia.", "The treaty was ratified.", "Rain fell in Seoul."]
    vectors = PassageVectors.pending(digests(texts))
    query = EMBEDDER.query("How many soldiers did Pyongyang send?")
    assert vectors.missing == 3
    assert len(vectors.nearest(query, 3)[0]) == 0  # never a row of zeros taken for a vector
    assert np.isnan(vectors.cosine(query, np.arange(3))).all()
    vectors.fill(np.array([1]), EMBEDDER.passages([texts[1]]))
    assert vectors.nearest(query, 3)[0].tolist() == [1]
    assert np.isnan(vectors.cosine(query, np.array([0, 2]))).all()
    vectors.fill(np.array([0, 2]), EMBEDDER.passages([texts[0], texts[2]]))
    full = PassageVectors.of(texts)
    assert vectors.nearest(query, 3)[0].tolist() == full.nearest(query, 3)[0].tolist()
    assert np.array_equal(vectors.complete().matrix, full.matrix)


@settings(max_examples=12, deadline=None)
@given(
    articles=st.lists(made_up, min_size=1, max_size=4),
    batches=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=3),
    added=st.lists(made_up, max_size=2),
)
def test_embedding_resumed_after_a_restart_answers_wholly_as_a_full_build(
    articles: list[tuple[list[str], bool]], batches: list[int], added: list[tuple[list[str], bool]]
) -> None:
    """Embedded a few batches at a time, the process stopping after each (a restart: the index built
    again, the store filling in what was kept), with articles added while it embeds: once every
    passage has its vector, every whole answer is a full build's."""
    made = [made_up_article(number, drawn) for number, drawn in enumerate(articles)]
    later = [made_up_article(len(made) + number, drawn) for number, drawn in enumerate(added)]
    with pytest.MonkeyPatch.context() as patch, Scratch() as scratch:
        patch.setattr(embedding, "EMBED_NOW_AT_MOST", 0)
        store = VectorStore(scratch)
        engine = Index.build(build_corpus(made), store=store)
        assert engine.parts.vectors.missing == len(engine.corpus.passages)
        for count in batches:
            worker = ArchiveEmbedder(store, embedder=SHARED, batch=2)
            for _ in range(count):
                worker.step(engine)
            worker.close()
            store.flush()
            before = embedded_texts(engine)
            engine = Index.build(build_corpus(made), store=store)  # the restart
            assert embedded_texts(engine) == before  # resumed: every text embedded so far, and no other
        for article in later:  # an added article is embedded as it comes in
            engine = engine.extended([article])
        worker = ArchiveEmbedder(store, embedder=SHARED, batch=3)
        while worker.step(engine):
            pass
        worker.close()
    assert not engine.parts.vectors.missing
    alike(whole_answers(engine), whole_answers(Index.build(build_corpus([*made, *later]))))


def embedded_texts(engine: Index) -> set[str]:
    """Return the texts of the passages that have their vector."""
    embedded = engine.parts.vectors.embedded
    assert embedded is not None
    return {engine.corpus.passages[n].text for n in np.flatnonzero(embedded).tolist()}


class Scratch:
    """A scratch directory for one hypothesis example (tmp_path is one per test)."""

    def __enter__(self) -> Path:
        import tempfile

        self.path = Path(tempfile.mkdtemp(prefix="embedding-"))
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, directory)
    (directory / f"{SECOND.id}.txt").write_text(format_article(SECOND), encoding="utf-8")
    return directory


def test_a_restart_resumes_from_the_snapshot_and_store_and_the_finished_snapshot_has_every_vector(
    tmp_path: Path, embedded_after: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    directory, snapshots = _corpus(tmp_path), tmp_path / "index"
    engine = open_index(directory, snapshots=snapshots)
    total = len(engine.corpus.passages)
    assert engine.parts.vectors.missing == total
    assert [result.hits != () for result in map(engine.search, QUESTIONS)]  # answers at once, by words
    worker = ArchiveEmbedder(embedding.store_of(snapshots), embedder=SHARED, batch=4)
    assert worker.step(engine) == 4
    worker.store.flush()  # type: ignore[union-attr]
    restarted = open_index(directory, snapshots=snapshots)
    assert restarted.parts.vectors.missing == total - 4  # resumed, not restarted
    with caplog.at_level(logging.INFO, logger="bot.core.serving.embedding"):
        asyncio.run(worker.run(lambda: restarted, done=lambda index: save_embedded(index, snapshots)))
    worker.close()
    assert f"embedding passages: {total:,} / {total:,} (100%)" in caplog.text
    assert not restarted.parts.vectors.missing
    finished = open_index(directory, snapshots=snapshots)
    assert finished.parts.vectors.embedded is None  # the snapshot holds every vector
    assert not list((snapshots).glob("snapshot-*/passage_keys.npy"))
    embedded_after.undo()
    built = Index.build(build_corpus(finished.corpus.articles))  # embedded whole as it is built
    assert built.parts.vectors.embedded is None
    questions = [*QUESTIONS, *GROWING_QUESTIONS]
    for index in (restarted, finished):
        mine = [(r.tier, [h.passage.text for h in r.hits], r.probability) for r in (index.search(q) for q in questions)]
        theirs = [
            (r.tier, [h.passage.text for h in r.hits], r.probability) for r in (built.search(q) for q in questions)
        ]
        assert mine == theirs


def test_an_article_added_while_the_archive_is_embedded_is_kept_for_the_merge(
    tmp_path: Path, embedded_after: pytest.MonkeyPatch
) -> None:
    directory, snapshots = _corpus(tmp_path), tmp_path / "index"
    engine = open_index(directory, snapshots=snapshots)
    (directory / f"{THIRD.id}.txt").write_text(format_article(THIRD), encoding="utf-8")
    grown = open_index(directory, snapshots=snapshots, live=engine, grow_from=0)
    assert len(grown.corpus.passages) > len(engine.corpus.passages)
    assert grown.parts.vectors.missing == engine.parts.vectors.missing  # embedded as it came in
    merged = open_index(directory, snapshots=snapshots, grow=False)  # a merge: a full build
    assert merged.parts.vectors.missing == engine.parts.vectors.missing


def test_a_damaged_store_file_is_skipped(tmp_path: Path) -> None:
    store = VectorStore(tmp_path)
    texts = ["North Korea sent troops to Russia.", "The treaty was ratified."]
    store.add(digests(texts), EMBEDDER.passages(texts))
    store.flush()
    (tmp_path / "part-99999999999999999999.npz").write_bytes(b"not an archive")
    np.savez(tmp_path / "part-99999999999999999998.npz", keys=digests(texts), rows=np.ones((2, 384), np.float16))
    vectors = PassageVectors.pending(digests([texts[1], "Rain fell in Seoul."]))
    assert store.fill(vectors) == 1
    assert vectors.embedded is not None
    assert vectors.embedded.tolist() == [True, False]


def test_stats_says_answers_rest_on_words_until_embedding_finishes(embedded_after: pytest.MonkeyPatch) -> None:
    data = BotData()
    data.engine = open_index(CORPUS_DIR)
    total = len(data.live.corpus.passages)
    assert f"Embedding passages: 0 of {total:,} (0%)" in stats_text(data)
    assert "answers come from the words" in stats_text(data)


def test_the_progress_line_says_how_far_and_how_long() -> None:
    line = progress_line(120_000, 1_000_000, 9 * 3600)
    assert line == "embedding passages: 120,000 / 1,000,000 (12%), about 9.0 h left"


def test_vectors_extended_twice_from_one_index_keep_their_own_rows() -> None:
    """Rows are appended in place (no copy of a million rows per added article), never over rows
    another index extended from the same one holds."""
    texts = ["North Korea sent troops.", "The treaty was ratified.", "Rain fell.", "Snow fell.", "Wind blew."]
    one = PassageVectors.of(texts[:2]).extended([texts[2]])
    two = one.extended([texts[3]])  # appended in place
    other = one.extended([texts[4]])  # one's room is taken: a copy
    assert two.growing is one.growing
    assert other.growing is not one.growing
    assert np.array_equal(two.matrix, PassageVectors.of(texts[:4]).matrix)
    assert np.array_equal(other.matrix, PassageVectors.of([*texts[:3], texts[4]]).matrix)
    assert np.array_equal(one.matrix, PassageVectors.of(texts[:3]).matrix)


def test_the_background_model_and_the_questions_model_embed_at_once_without_mixing() -> None:
    """The background embedder has a model of its own, called while questions call theirs: the
    engine keeps no state outside a model, so two at once make what each makes alone."""
    texts = [f"The envoy number {n} arrived in Vostrava with {n * 7} delegates on Monday." for n in range(12)]
    alone = Embedder().passages(texts)
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda model: model.passages(texts), [Embedder(), Embedder()]))
    assert all(np.array_equal(made, alone) for made in together)


def test_a_merge_tells_the_bot_so_that_it_embeds_what_the_merge_left_without_a_vector() -> None:
    engine = open_index(CORPUS_DIR)
    told: list[bool] = []

    async def merge_once() -> None:
        reloader = Reloader(
            CORPUS_DIR, engine, merge=lambda directory: engine, merge_after=0.0, merged=lambda: told.append(True)
        )
        reloader.merge_later()
        assert reloader.merging is not None
        await reloader.merging

    asyncio.run(merge_once())
    assert told == [True]

"""The persisted index: a start on an unchanged corpus loads it and answers exactly as a build does;
anything damaged, old or out of date is ignored and rebuilt, never answered from."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core.corpus import CorpusError, PassageTable, format_article
from bot.core.serving import BuildFailedError, Index, open_index, snapshot
from bot.core.serving.snapshot import BUILDING, LOCK, MANIFEST
from tests.conftest import ARTICLE_ID, CORPUS_DIR, ROOT
from tests.test_admin import NEW_ARTICLE

SECOND = replace(
    NEW_ARTICLE,
    paragraphs=(*NEW_ARTICLE.paragraphs[:1], f"{NEW_ARTICLE.paragraphs[1]} About 300 soldiers took part."),
    caption="Tanks near the border.",
    credit="AFP",
    questions=("when did the convoy reach the border",),
)
QUESTIONS = [
    json.loads(line)["q"]
    for name in ("eval_questions.jsonl", "eval_typed.jsonl")
    for line in (ROOT / "tests" / name).read_text(encoding="utf-8").splitlines()
    if line.strip()
] + ["when did the convoy reach the border", "how many soldiers took part", "who praised the drivers"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    directory.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", directory)
    (directory / f"{SECOND.id}.txt").write_text(format_article(SECOND), encoding="utf-8")
    return directory


def answers(engine: Index) -> list[tuple[bool, list[tuple[object, float]]]]:
    return [
        (result.answered, [(hit.passage, hit.score) for hit in result.hits])
        for result in (engine.search(question, 5) for question in QUESTIONS)
    ]


def loaded(corpus: Path, snapshots: Path, caplog: pytest.LogCaptureFixture) -> tuple[Index, bool]:
    """Load an engine; return it and whether it came from the snapshot."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.core.serving.opening"):
        engine = open_index(corpus, snapshots=snapshots)
    return engine, any("loaded the index snapshot" in r.getMessage() for r in caplog.records)


def test_an_unchanged_corpus_loads_and_answers_exactly_as_a_build(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    built, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    again, from_snapshot = loaded(corpus, snapshots, caplog)
    assert from_snapshot
    assert isinstance(again.corpus.passages, PassageTable)
    assert list(again.corpus.passages) == list(built.corpus.passages)
    assert again.corpus.articles == built.corpus.articles
    assert again.corpus.version == built.corpus.version
    assert again.corpus.passage_counts == built.corpus.passage_counts
    assert answers(again) == answers(built)
    assert again.example_questions() == built.example_questions()


def _damage_truncate(snapshot: Path) -> None:
    path = snapshot / "weights_data.npy"
    path.write_bytes(path.read_bytes()[:-100])


def _damage_flip(snapshot: Path) -> None:
    path = snapshot / "impact.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _damage_builder(snapshot: Path) -> None:
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    manifest["builder"] = "format 0; an older bot"
    (snapshot / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _damage_extra(snapshot: Path) -> None:
    (snapshot / "extra.npy").write_bytes(b"not listed")


def _damage_missing_manifest(snapshot: Path) -> None:
    (snapshot / MANIFEST).unlink()


def _damage_link(snapshot: Path) -> None:  # checksumming /dev/zero would never end
    (snapshot / "impact.npy").unlink()
    (snapshot / "impact.npy").symlink_to("/dev/zero")


def _damage_manifest_link(snapshot: Path) -> None:
    (snapshot / MANIFEST).unlink()
    (snapshot / MANIFEST).symlink_to("/dev/zero")


def _damage_strings(snapshot: Path) -> None:  # consistent checksums, contents that don't fit
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    (snapshot / "strings.json").write_text('{"terms": []}', encoding="utf-8")
    import hashlib

    manifest["files"]["strings.json"] = hashlib.sha256(b'{"terms": []}').hexdigest()
    (snapshot / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_damage_truncate, "weights_data.npy is damaged"),
        (_damage_flip, "impact.npy is damaged"),
        (_damage_builder, "built by format 0"),
        (_damage_extra, "not the ones its manifest lists"),
        (_damage_missing_manifest, "no readable manifest"),
        (_damage_strings, "unreadable"),
        (_damage_link, "impact.npy is not a regular file"),
        (_damage_manifest_link, "no readable manifest"),
    ],
    ids=["truncated", "tampered", "old format", "extra file", "no manifest", "inconsistent", "link", "manifest link"],
)
def test_a_damaged_or_old_snapshot_is_ignored_and_rebuilt(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, reason: str
) -> None:
    snapshots = tmp_path / "index"
    built, _ = loaded(corpus, snapshots, caplog)
    [snapshot] = snapshots.glob("snapshot-*")
    damage(snapshot)  # type: ignore[operator]
    rebuilt, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert any(reason in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert answers(rebuilt) == answers(built)
    _, from_snapshot = loaded(corpus, snapshots, caplog)  # the rebuild wrote a good snapshot again
    assert from_snapshot


def _recompute_checksums(snapshot: Path) -> None:
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((snapshot / name).read_bytes()).hexdigest()
    (snapshot / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


# An array edited and every checksum recomputed: each edit one the search or the signals would read
# out of bounds (IndexError at question time; the compiled search reads unchecked) or answer wrongly from.
EDITS = {
    "weights_indices": ("a posting names no passage", lambda a: a.max() + 1_000_000),
    "weights_data": ("not the term counts' own", lambda a: 1e30),
    "counts": ("not the term counts' own", lambda a: a.max() + 5),
    "impact": ("impact order leaves its row", lambda a: 10**6),
    "passage_end": ("leaves its paragraph", lambda a: a.max() + 500),
    "passage_article": ("names no article", lambda a: a.max() + 7),
    "word_ids": ("not in the vocabulary", lambda a: 10**6),
    "word_starts": ("not in order", lambda a: 10**6),
    "paragraphs": ("does not hold it", lambda a: 10**6),
    "vectors": ("do not fit the words", lambda a: np.nan),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_snapshot_edited_with_its_checksums_recomputed_is_not_answered_from(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    reason, value = EDITS[name]
    snapshots = tmp_path / "index"
    built, _ = loaded(corpus, snapshots, caplog)
    [snapshot] = snapshots.glob("snapshot-*")
    edited = np.load(snapshot / f"{name}.npy").copy()
    edited.flat[len(edited.flat) // 2] = value(edited)
    np.save(snapshot / f"{name}.npy", edited, allow_pickle=False)
    _recompute_checksums(snapshot)
    rebuilt, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert any(reason in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert answers(rebuilt) == answers(built)


def test_another_corpus_snapshot_dressed_as_this_ones_is_not_answered_from(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A data directory copied from another bot, its snapshot renamed and its manifest given this
    corpus's signature (checksums recomputed): its articles are not this corpus's files."""
    other = tmp_path / "other"
    other.mkdir()
    theirs_article = replace(SECOND, id="2024-11-08-another-bots-article", title="Another Bot's Article")
    (other / f"{theirs_article.id}.txt").write_text(format_article(theirs_article), encoding="utf-8")
    loaded(other, tmp_path / "other-index", caplog)
    [theirs] = (tmp_path / "other-index").glob("snapshot-*")
    found = snapshot.scan(corpus)
    assert found is not None
    snapshots = tmp_path / "index"
    snapshots.mkdir()
    mine = snapshots / f"snapshot-{found.signature[:16]}"
    shutil.copytree(theirs, mine)
    manifest = json.loads((mine / MANIFEST).read_text(encoding="utf-8"))
    manifest["signature"] = found.signature
    (mine / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    keys = {name: list(key) for name, key in found.keys.items()}
    (mine / "corpus_files.json").write_text(json.dumps(keys), encoding="utf-8")
    _recompute_checksums(mine)
    engine, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert any("not the corpus files' own" in r.getMessage() for r in caplog.records)
    assert sorted(article.id for article in engine.corpus.articles) == sorted([ARTICLE_ID, SECOND.id])


def test_a_corpus_changed_behind_the_bots_back_is_rebuilt(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    loaded(corpus, snapshots, caplog)
    path = corpus / f"{SECOND.id}.txt"
    changed = SECOND.paragraphs[0].replace("at dawn on Thursday", "at midnight on Friday")
    path.write_text(format_article(replace(SECOND, paragraphs=(changed,))), encoding="utf-8")
    engine, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert any("changed since it was built" in r.getMessage() or "manifest" in r.getMessage() for r in caplog.records)
    [hit, *_] = engine.search("when did the convoy reach the border", 3).hits
    assert "midnight on Friday" in hit.passage.text
    (corpus / f"{SECOND.id}.txt").unlink()  # removed too
    engine, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert [a.id for a in engine.corpus.articles] == [ARTICLE_ID]


def test_a_killed_save_leaves_nothing_that_is_used(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    leftover = snapshots / f"{BUILDING}killed"
    leftover.mkdir(parents=True)
    (leftover / "weights_data.npy").write_bytes(b"half")
    _, from_snapshot = loaded(corpus, snapshots, caplog)
    assert not from_snapshot
    assert not leftover.exists()  # the next save cleared it
    assert [p.name.startswith("snapshot-") for p in snapshots.iterdir() if p.name != LOCK] == [True]


def test_two_saves_into_one_index_directory_take_turns(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two builds on one BOT_DATA_DIR: the second save waits for the first instead of deleting its
    work as a killed save's leftover (which failed the first save, its process still exiting 0)."""
    snapshots = tmp_path / "index"
    snapshots.mkdir()
    engine = open_index(corpus)
    found = snapshot.scan(corpus)
    assert found is not None
    first = snapshots / f"{BUILDING}first"
    saved: list[Path] = []

    def save() -> None:
        saved.append(snapshot.save(engine, snapshots, found))

    second = threading.Thread(target=save)
    with snapshot.locked(snapshots, exclusive=True):  # the first save, under way
        first.mkdir()
        second.start()
        second.join(timeout=1.0)
        assert second.is_alive()
        assert not saved
        assert first.exists()  # and leaves the first's work alone
        first.rename(snapshots / "snapshot-first")  # the first renames its work into place
    second.join(timeout=60)
    assert saved
    assert (saved[0] / MANIFEST).is_file()
    assert sorted(p.name for p in snapshots.iterdir()) == sorted([LOCK, saved[0].name])  # the older one removed
    assert loaded(corpus, snapshots, caplog)[1]


def test_a_lock_held_too_long_is_given_up_instead_of_hanging(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process stopped while it holds the index directory's lock (SIGSTOP, a hung disk): a start
    waits LOCK_WAIT_SECONDS, then builds and serves without the snapshot instead of hanging."""
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    monkeypatch.setattr(snapshot, "LOCK_WAIT_SECONDS", 0.2)
    with snapshot.locked(snapshots, exclusive=True), caplog.at_level(logging.INFO, logger="bot.core.serving.opening"):
        engine = open_index(corpus, snapshots=snapshots)
    assert engine.search("how many troops", 3).answered
    said = [r.getMessage() for r in caplog.records]
    assert any("cannot be locked (another process has held" in line for line in said), said
    assert any("could not save the index snapshot: another process holds" in line for line in said), said


def test_a_stopped_lock_holder_costs_a_start_one_wait_not_two(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process holding the lock stopped with SIGSTOP: the start waits LOCK_WAIT_SECONDS once, to
    load; the save after the build tries once and is skipped, saying why (it waited twice: 241 s)."""
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; handle = os.open(sys.argv[1], os.O_RDONLY); "
            "fcntl.flock(handle, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)",
            str(snapshots / LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        os.kill(holder.pid, signal.SIGSTOP)
        monkeypatch.setattr(snapshot, "LOCK_WAIT_SECONDS", 1.5)
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger="bot.core.serving.opening"):
            engine = open_index(corpus, snapshots=snapshots)
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.communicate()
    assert engine.search("how many troops", 3).answered
    said = [r.getMessage() for r in caplog.records]
    assert any("cannot be locked (another process has held" in line for line in said), said
    assert any("this start already waited 2 s for it" in line for line in said), said
    assert 1.5 <= took < 2.9, took  # one wait and a build of two articles, not two waits


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make a directory read-only for this process: a read-only bind mount as root (whom
    permissions do not stop), its permissions otherwise."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(directory), str(directory)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot make a read-only mount here")
    try:
        if os.access(directory, os.W_OK):
            subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True)
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(directory)], check=True)  # the engine still maps its files


def test_a_read_only_data_directory_serves_its_snapshot(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An index directory nobody can write (a read-only mount) whose lock file was never made (a
    snapshot copied in): it is loaded without the lock instead of rebuilt on every start."""
    snapshots = tmp_path / "index"
    built, _ = loaded(corpus, snapshots, caplog)
    (snapshots / LOCK).unlink()
    with read_only(snapshots):
        with pytest.raises(OSError, match=r"Read-only file system|Permission denied"):
            (snapshots / "probe").touch()
        engine, from_snapshot = loaded(corpus, snapshots, caplog)
        assert from_snapshot, [r.getMessage() for r in caplog.records]
        assert answers(engine) == answers(built)
        assert not (snapshots / LOCK).exists()


def test_an_unwritable_data_directory_only_costs_speed(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the data directory would be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.core.serving.opening"):
        engine = open_index(corpus, snapshots=blocked / "index")
    assert engine.search("how many troops", 3).answered
    assert any("could not save the index snapshot" in r.getMessage() for r in caplog.records)


def test_a_reload_builds_in_a_worker_process_and_loads_what_it_saved(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    built = open_index(corpus, snapshots=snapshots)
    (corpus / f"{SECOND.id}.txt").unlink()
    with caplog.at_level(logging.INFO, logger="bot.core.serving.opening"):
        reloaded = open_index(corpus, snapshots=snapshots, worker=True, worker_from=0)
    messages = [r.getMessage() for r in caplog.records]
    assert any("built the index in a worker process" in m for m in messages), messages
    assert any("loaded the index snapshot" in m for m in messages), messages
    assert isinstance(reloaded.corpus.passages, PassageTable)
    assert [a.id for a in reloaded.corpus.articles] == [ARTICLE_ID]
    assert reloaded.corpus.version != built.corpus.version
    assert reloaded.search("how many troops", 3).answered


def test_a_worker_build_of_a_broken_corpus_says_why_and_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    before = sorted(p.name for p in snapshots.iterdir())
    (corpus / "broken.txt").write_text("title: Broken\n\nNo date here.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.txt: header has no date"):
        open_index(corpus, snapshots=snapshots, worker=True, worker_from=0)
    assert sorted(p.name for p in snapshots.iterdir()) == before  # the serving snapshot is untouched


def test_a_worker_that_cannot_save_fails_the_reload_instead_of_building_in_the_bot(
    corpus: Path, tmp_path: Path
) -> None:
    """A full disk (here: a file where the data directory would be): the worker's build is lost,
    and the serving process says so and keeps its engine instead of building the corpus itself
    (a minute with its GIL held at a million passages: every chat frozen)."""
    blocked = tmp_path / "file"
    blocked.write_text("a file where the data directory would be", encoding="utf-8")
    with pytest.raises(BuildFailedError, match=r"could not save the index snapshot.*nothing changed"):
        open_index(corpus, snapshots=blocked / "index", worker=True, worker_from=0)


@pytest.mark.parametrize("after", [0.0, 0.5, 1.0, 1.5])
def test_a_build_killed_at_any_moment_leaves_a_correct_index(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, after: float
) -> None:
    snapshots = tmp_path / "index"
    reference = answers(open_index(corpus))
    worker = subprocess.Popen([sys.executable, "-m", "bot.core.serving.build", str(corpus), str(snapshots)], cwd=ROOT)
    try:
        worker.wait(timeout=after)
    except subprocess.TimeoutExpired:
        worker.kill()
    worker.wait(timeout=30)
    engine, _ = loaded(corpus, snapshots, caplog)  # from a snapshot the worker finished, or rebuilt
    assert answers(engine) == reference
    assert not list(snapshots.glob(".building-*"))


def test_a_small_corpus_is_rebuilt_in_process(corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Starting a worker process costs about a second; a corpus this small builds in milliseconds.
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    (corpus / f"{SECOND.id}.txt").unlink()
    with caplog.at_level(logging.INFO, logger="bot.core.serving.opening"):
        engine = open_index(corpus, snapshots=snapshots, worker=True)
    assert not any("worker process" in r.getMessage() for r in caplog.records)
    assert any("saved the index snapshot" in r.getMessage() for r in caplog.records)
    assert [a.id for a in engine.corpus.articles] == [ARTICLE_ID]


def test_a_big_corpus_is_served_from_the_snapshot_its_build_saved(corpus: Path, tmp_path: Path) -> None:
    built = open_index(corpus)
    engine = open_index(corpus, snapshots=tmp_path / "index", worker_from=0)  # "big" from 0 bytes
    assert isinstance(engine.corpus.passages, PassageTable)  # mapped from disk, not Passage objects
    assert engine.files is not None
    assert answers(engine) == answers(built)


def test_a_compiled_search_over_a_mapped_snapshot_bigger_than_a_small_corpus_is_exact(
    tmp_path: Path, compiled_kernel: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rank_bm25

    from bench.synthetic import vocabulary
    from bot.core.corpus import Article, article_id
    from bot.core.retrieval.bm25 import COMPILED, Bm25Index, Pruning
    from bot.core.text import terms
    from tests.test_bm25 import KernelPath

    # 2,200 passages (the kernel scores every passage up to Pruning.small_corpus, 2,048) drawn from 100
    # distinct sentences, so the sentence model embeds only those.
    rng = np.random.default_rng(5)
    words = vocabulary(400, rng)
    pool = [" ".join(rng.choice(words, int(rng.integers(4, 12)))).capitalize() + "." for _ in range(100)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(40):
        title = f"Report number {number + 1}"
        picked = rng.choice(len(pool), 55, replace=False)
        body = tuple(" ".join(pool[n] for n in picked[start : start + 11]) for start in range(0, 55, 11))
        article = Article(article_id("2024-01-01", title), title, "2024-01-01", "Wire", None, body)
        (corpus / f"{article.id}.txt").write_text(format_article(article), encoding="utf-8")
    snapshots = tmp_path / "index"
    built = open_index(corpus, snapshots=snapshots)
    engine = open_index(corpus, snapshots=snapshots)
    assert isinstance(engine.corpus.passages, PassageTable)  # loaded: mapped from disk
    kernel = engine.answerer.index
    assert isinstance(kernel, Bm25Index)
    assert len(kernel.passages) > Pruning().small_corpus
    assert not kernel.weights.data.flags.writeable  # read-only, memory-mapped arrays
    path = KernelPath(compiled_kernel)
    monkeypatch.setattr(COMPILED, "search", path)
    numpy_only = Bm25Index(built.corpus.passages, pruning=Pruning(compiled=False))
    tokenised = [terms(passage.text) for passage in built.corpus.passages]
    oracle = rank_bm25.BM25Plus(tokenised)
    used = sorted({word for sentence in pool for word in sentence.rstrip(".").lower().split()})
    for query in [[used[n] for n in rng.choice(len(used), int(rng.integers(1, 5)))] for _ in range(40)]:
        asked = terms(" ".join(query))
        before = path.calls
        docs, scores = kernel.top_bm25(asked, 10)
        assert path.calls == before + 1  # the compiled loop answered
        expected_docs, expected_scores = numpy_only.top_bm25(asked, 10)
        assert list(docs) == list(expected_docs)
        np.testing.assert_array_equal(scores, expected_scores)
        np.testing.assert_allclose(scores, oracle.get_scores(asked)[docs], rtol=1e-9)

"""Opening the index of a corpus directory the cheapest way that gives what a build would:

- unchanged: the files are the ones the index serving now read, which is kept;
- update: that index with the articles of files removed or changed taken out and those of files
  added or changed put in (a million passages: 0.3–0.4 s on an idle machine instead of a build);
- snapshot: the snapshot the last build saved (bot.core.serving.snapshot), for exactly these files;
- snapshot + update: a snapshot of other files, updated to these;
- worker: a build in a process of its own (bot.core.serving.build) that saves a snapshot, loaded here;
- build: everything read, tokenised and embedded here (and a snapshot saved).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.articles.store import FileKey, read_article, read_corpus
from bot.core.corpus import Article, Corpus, CorpusError, build_corpus, format_article
from bot.core.messages import ENGLISH, N_, Messages
from bot.core.retrieval.base import Progress
from bot.core.said import Text, joined
from bot.core.serving import embedding, snapshot
from bot.core.serving.index import Index

LOGGER = logging.getLogger(__name__)
CORPUS_PROBLEM = 2  # the build worker's exit status when the corpus cannot be served
# From this many bytes of corpus files (about 5,000 passages, half a second to build) a reload
# builds in a worker process; below it, starting the process would cost more than the build.
WORKER_FROM_BYTES = 1_000_000
# Updating an index by the files changed costs the new articles' own features in Python (about
# 30,000 passages a second) and arrays of one number per term or passage: up to this many bytes of
# files to read, or this share of the corpus, and this many files (or share) removed or changed,
# it is updated; more are built anew.
UPDATE_AT_MOST_BYTES = 1_000_000
UPDATE_AT_MOST_FILES = 100
UPDATE_AT_MOST_SHARE = 0.02
# A build worker that has not finished in this long is stopped (a hung worker must not hold a
# reload, and every admin change waiting behind it, for ever): a million passages build in minutes.
WORKER_TIME_LIMIT_SECONDS = 3600.0


class BuildFailedError(CorpusError):
    """An index build that stopped for a reason other than the corpus files (a killed worker)."""


@dataclass(frozen=True)
class _Opening:
    """One open_index call: where the corpus and snapshots are, and what it may do."""

    directory: Path
    progress: Progress | None
    snapshots: Path | None
    worker_from: int
    must_save: bool
    wait: snapshot.LockWait


def open_index(
    directory: Path,
    *,
    progress: Progress | None = None,
    snapshots: Path | None = None,
    worker: bool = False,
    worker_from: int = WORKER_FROM_BYTES,
    live: Index | None = None,
    grow: bool = True,
    grow_from: int = WORKER_FROM_BYTES,
    files: Mapping[str, FileKey] | None = None,
    must_save: bool = False,
    lock_wait: float | None = None,
) -> Index:
    """Return the index of a corpus directory; raise CorpusError naming every invalid file.

    With `live` (the index serving now), files it read that are unchanged are not read again,
    and the new index is `live` updated. With `snapshots` (BOT_DATA_DIR/index), an unchanged
    corpus is loaded from the snapshot the last build wrote, a changed one from that snapshot
    updated, and a build writes one; a snapshot that does not match its files, or is damaged, is
    ignored and the index rebuilt. Updating is for corpora of at least `grow_from` bytes (smaller
    ones build in a fraction of a second) and changes of a few percent of the corpus
    (UPDATE_AT_MOST_*); `grow=False` asks for a full build. With `worker` too, a build runs in a
    process of its own and this one loads the snapshot it wrote: the serving process keeps its GIL
    for questions while a reload builds (corpora of at least `worker_from` bytes). `must_save` (the
    worker's): a snapshot that cannot be saved (a full disk) raises OSError instead of being logged,
    so that the serving process keeps its index and says why instead of building in its own
    process. One call waits for the index directory's lock (a save under way in another process)
    for `lock_wait` seconds at most (snapshot.LOCK_WAIT_SECONDS), its loads and its save together:
    once a load waited that out, the build that follows is not saved unless the lock is free.
    """
    # `files`: the corpus files as a caller just found them (a change it made and checked).
    # None when an entry is refused: the full check says why.
    found = snapshot.scan(directory) if files is None else snapshot.CorpusFiles.of(files)
    # A small corpus builds in well under a second: here, without a process to start (~1 s).
    worker = worker and found is not None and found.size >= worker_from
    grow = grow and found is not None and found.size >= grow_from
    if live is not None and live.files is not None and found is not None:
        if dict(live.files) == found.keys:
            return live  # unchanged
        updated = _updated(live, directory, found, snapshots) if grow else None
        if updated is not None:
            return updated
    opening = _Opening(directory, progress, snapshots, worker_from, must_save, snapshot.LockWait(lock_wait))
    if snapshots is not None and found is not None:
        loaded = _from_snapshot(opening, found, grow=grow, worker=worker)
        if loaded is not None:
            return loaded
    return _built(opening, found, live)


def _from_snapshot(opening: _Opening, found: snapshot.CorpusFiles, *, grow: bool, worker: bool) -> Index | None:
    """Return the snapshot of these files, or one of other files updated to these, or what a worker
    built; None when there is none to use (a build here then)."""
    assert opening.snapshots is not None
    started = time.perf_counter()
    try:
        index = snapshot.load(opening.snapshots, found, wait=opening.wait)
    except snapshot.UnusableSnapshotError as refused:
        LOGGER.info("index snapshot not used: %s", refused)
    else:
        LOGGER.info("loaded the index snapshot in %.2f s", time.perf_counter() - started)
        return index
    updated = _updated_snapshot(opening, found) if grow else None
    if updated is not None:
        return updated
    if worker and opening.wait.left() > 0:  # else its load and save would wait again: built here
        return _built_in_worker(opening)
    return None


def _built(opening: _Opening, found: snapshot.CorpusFiles | None, live: Index | None) -> Index:
    """Return the index built here from every corpus file (saved as a snapshot when one is kept)."""
    articles, problems, _ = read_corpus(opening.directory, known=live.known_files() if live is not None else None)
    if problems:
        raise CorpusError(joined(problems))
    store = embedding.store_of(opening.snapshots)
    index = Index.build(build_corpus(articles), progress=opening.progress, store=store)
    if store is not None:
        store.flush()
    if found is None or snapshot.signature(opening.directory) != found.signature:
        return index
    index = index.with_files(found.keys)  # what was read is what is there now
    if opening.snapshots is None:
        return index
    return _saved(opening, index, found)


def _saved(opening: _Opening, index: Index, found: snapshot.CorpusFiles) -> Index:
    """Save a built index's snapshot; return the index, served from the snapshot when it is big."""
    assert opening.snapshots is not None
    started = time.perf_counter()
    try:
        snapshot.save(index, opening.snapshots, found, wait=opening.wait)
    except OSError as error:  # a full disk costs the next start its speed, nothing else
        if opening.must_save:
            raise OSError(f"could not save the index snapshot: {error}") from error
        LOGGER.warning("could not save the index snapshot: %s", error)
        return index
    LOGGER.info("saved the index snapshot in %.2f s", time.perf_counter() - started)
    if found.size < opening.worker_from:
        return index
    # Served from the snapshot it just saved, as a later start would be: the arrays mapped from
    # disk instead of a million Passage objects (1M: 0.9 GB held instead of 2 GB, for ~2.5 s more).
    try:
        return snapshot.load(opening.snapshots, found, wait=opening.wait)
    except snapshot.UnusableSnapshotError as refused:
        LOGGER.warning("serving the built index: its snapshot did not load (%s)", refused)
        return index


def save_embedded(index: Index, snapshots: Path | None) -> None:
    """Save the snapshot of an index whose passages have all been embedded since it was built, so
    that the next start loads their vectors with it (an index updated since is left to its merge)."""
    if snapshots is None or index.files is None or index.unmerged or index.parts.vectors.missing:
        return
    started = time.perf_counter()
    try:
        snapshot.save(index, snapshots, snapshot.CorpusFiles.of(index.files))
    except OSError as error:  # the store keeps the vectors: the next start fills them in from it
        LOGGER.warning("could not save the embedded index's snapshot: %s", error)
        return
    LOGGER.info("saved the index snapshot with every passage embedded in %.2f s", time.perf_counter() - started)


def _updated(index: Index, directory: Path, files: snapshot.CorpusFiles, snapshots: Path | None) -> Index | None:
    """Return an index updated to the corpus files as they are now: articles of files removed or
    changed taken out, articles of files added or changed put in; None when that is more than
    updating is for (a full build then). The vectors of the new passages of an archive still being
    embedded are kept in the embedding store too, for the merge's build to find."""
    changes = _changes(index.files or {}, files)
    if changes is None:
        return None
    gone, fresh = changes
    started = time.perf_counter()
    articles: list[Article] = []
    problems: list[Text] = []
    for name in fresh:
        try:
            articles.append(read_article(directory / name))
        except CorpusError as error:
            problems.append(error.text)
    if problems:
        raise CorpusError(joined(problems))
    stems = {name.rpartition(".")[0] for name in gone}
    removed = [article.id for article in index.corpus.articles if article.id in stems]
    updated = (index.without(removed) if removed else index).extended(articles, files.keys)
    _keep_new_vectors(index, updated, embedding.store_of(snapshots))
    LOGGER.info(
        "removed %d articles and added %d in %.2f s; %d passages added or removed since the last full build",
        len(removed),
        len(articles),
        time.perf_counter() - started,
        updated.unmerged,
    )
    return updated


def _keep_new_vectors(index: Index, updated: Index, store: embedding.VectorStore | None) -> None:
    """Keep the vectors of an update's new passages in the store, when the index is still being embedded."""
    vectors = updated.parts.vectors
    if store is None or vectors.keys is None or len(vectors) == len(index.parts.vectors):
        return
    new = slice(len(index.parts.vectors), len(vectors))
    store.add(vectors.keys[new], vectors.matrix[new])
    store.flush()


def _updated_snapshot(opening: _Opening, files: snapshot.CorpusFiles) -> Index | None:
    """Return the index of a snapshot of other corpus files, updated to these, or None."""
    assert opening.snapshots is not None
    started = time.perf_counter()

    def usable(keys: dict[str, FileKey]) -> str | None:
        return "the corpus changed too much since it was built" if _changes(keys, files) is None else None

    try:
        base = snapshot.load_base(opening.snapshots, usable, wait=opening.wait)
    except snapshot.UnusableSnapshotError as refused:
        LOGGER.info("no index snapshot to update: %s", refused)
        return None
    LOGGER.info("loaded the index snapshot of %d files in %.2f s", len(base.files or {}), time.perf_counter() - started)
    return _updated(base, opening.directory, files, opening.snapshots)


def _built_in_worker(opening: _Opening) -> Index:
    """Build and save the snapshot in another process, then load it here (see open_index); the
    worker and the load here wait for the lock for what is left of the wait between them."""
    assert opening.snapshots is not None
    started = time.perf_counter()
    one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    command = [sys.executable, "-m", "bot.core.serving.build", str(opening.directory), str(opening.snapshots)]
    try:
        done = subprocess.run(
            [*command, f"{opening.wait.left():.3f}"],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ | one_thread,  # one core for the build, the other for questions
            timeout=WORKER_TIME_LIMIT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:  # run() has killed it
        raise BuildFailedError(
            f"the index build took over {error.timeout:.0f} s and was stopped; nothing changed"
        ) from None
    except OSError as error:  # no process could be started: build here, slower for questions meanwhile
        LOGGER.warning("could not start a worker process (%s); building in this one", error)
        return _open_again(opening)
    if done.returncode == CORPUS_PROBLEM:
        raise CorpusError(done.stderr.strip().splitlines()[-1])
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise BuildFailedError(f"the index build stopped ({last[0]}); nothing changed")
    LOGGER.info("built the index in a worker process in %.1f s", time.perf_counter() - started)
    # The files may have changed while the worker read them: then this builds them itself.
    return _open_again(opening)


def _open_again(opening: _Opening) -> Index:
    """Return the index opened here, with what is left of this opening's wait for the lock."""
    return open_index(
        opening.directory,
        progress=opening.progress,
        snapshots=opening.snapshots,
        worker=False,
        lock_wait=opening.wait.left(),
    )


def _changes(known: Mapping[str, FileKey], files: snapshot.CorpusFiles) -> tuple[list[str], list[str]] | None:
    """Return the files known that were removed or changed since, and the files to read now (added
    or changed); None when that is more than updating an index is for (UPDATE_AT_MOST_*)."""
    gone = [name for name, key in known.items() if files.keys.get(name) != key]
    fresh = [name for name, key in files.keys.items() if known.get(name) != key]
    if sum(files.keys[name][0] for name in fresh) > max(UPDATE_AT_MOST_BYTES, UPDATE_AT_MOST_SHARE * files.size):
        return None
    if len(gone) > max(UPDATE_AT_MOST_FILES, UPDATE_AT_MOST_SHARE * len(known)):
        return None
    return gone, sorted(fresh)


@dataclass(frozen=True)
class CorpusChange:
    """Which articles a new corpus added, removed and changed, by id."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def describe(self, *, most: int = 10, say: Messages = ENGLISH) -> str:
        """Return the change as one line, or 'no changes'; a long list names its first `most` ids."""
        parts = []
        for label, ids in self._labelled():
            said = say.gettext(label)
            if len(ids) > most:
                first, more = ", ".join(ids[:most]), len(ids) - most
                parts.append(
                    say.gettext(
                        "{label} {count}: {ids} and {more} more", label=said, count=len(ids), ids=first, more=more
                    )
                )
            elif ids:
                parts.append(say.gettext("{label} {ids}", label=said, ids=", ".join(ids)))
        return "; ".join(parts) or say.gettext("no changes")

    def _labelled(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(N_("added"), self.added), (N_("removed"), self.removed), (N_("changed"), self.changed)]


def compare(old: Corpus, new: Corpus) -> CorpusChange:
    """Return how the new corpus differs from the old."""
    added = tuple(sorted(set(new.by_id) - set(old.by_id)))
    removed = tuple(sorted(set(old.by_id) - set(new.by_id)))
    kept = set(old.by_id) & set(new.by_id)
    # An index grown or reloaded keeps the Article of every file it did not read again.
    changed = tuple(
        sorted(
            i
            for i in kept
            if old.by_id[i] is not new.by_id[i] and format_article(old.by_id[i]) != format_article(new.by_id[i])
        )
    )
    return CorpusChange(added, removed, changed)

"""A corpus and what answers questions about it, loaded together and replaced together."""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.core import snapshot
from bot.core.answering import conversation
from bot.core.answering.conversation import Turn
from bot.core.answering.model import AnswerModel
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.search import Answerer, SearchResult
from bot.core.answering.tiers import Tier
from bot.core.corpus import (
    Article,
    Corpus,
    CorpusError,
    build_corpus,
    extended_corpus,
    format_article,
    reduced_corpus,
)
from bot.core.retrieval.base import Progress
from bot.core.store import FileKey, check_corpus, read_article

LOGGER = logging.getLogger(__name__)
CORPUS_PROBLEM = 2  # bot.core.build's exit status when the corpus cannot be served
# From this many bytes of corpus files (about 5,000 passages, half a second to build) a reload
# builds in a worker process; below it, starting the process would cost more than the build.
WORKER_FROM_BYTES = 1_000_000
# Updating an engine by the files changed costs the new articles' own features in Python (about
# 30,000 passages a second) and arrays of one number per term or passage: up to this many bytes of
# files to read, or this share of the corpus, and this many files (or share) removed or changed,
# it is updated; more are built anew.
UPDATE_AT_MOST_BYTES = 1_000_000
UPDATE_AT_MOST_FILES = 100
UPDATE_AT_MOST_SHARE = 0.02


class BuildFailedError(CorpusError):
    """An index build that stopped for a reason other than the corpus files (a killed worker)."""


@dataclass(frozen=True)
class Engine:
    """What answers questions: an immutable corpus and the answerer built over it.

    `files` are the corpus files it was read from, by name with each file's key (None when not
    known), and `unmerged` how many passages were added or removed since its last full build.
    """

    corpus: Corpus
    answerer: Answerer
    files: Mapping[str, FileKey] | None = field(default=None, compare=False, repr=False)
    unmerged: int = 0

    @classmethod
    def from_corpus(
        cls,
        corpus: Corpus,
        *,
        policy: AnswerPolicy | None = None,
        model: AnswerModel | None = None,
        progress: Progress | None = None,
    ) -> Engine:
        """Return an engine indexing the corpus (answering with the shipped model unless given one)."""
        publications = {article.source for article in corpus.articles}
        answerer = Answerer(corpus.passages, publications=publications, policy=policy, model=model, progress=progress)
        return cls(corpus, answerer)

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        progress: Progress | None = None,
        snapshots: Path | None = None,
        worker: bool = False,
        worker_from: int = WORKER_FROM_BYTES,
        live: Engine | None = None,
        grow: bool = True,
        grow_from: int = WORKER_FROM_BYTES,
        files: Mapping[str, FileKey] | None = None,
        must_save: bool = False,
        lock_wait: float | None = None,
    ) -> Engine:
        """Return an engine over a corpus directory; raise CorpusError naming every invalid file.

        With `live` (the engine serving now), files it read that are unchanged are not read again,
        and the new engine is `live` updated: the articles of files removed or changed taken out
        (without), those of files added or changed put in (with_added): at a million passages
        0.3–0.4 s on an idle machine instead of a build. With `snapshots` (BOT_DATA_DIR/index), an
        unchanged corpus is loaded from the snapshot the last build wrote (bot.core.snapshot), a
        changed one from that snapshot updated, and a build writes one; a snapshot that does not
        match its files, or is damaged, is ignored and the engine rebuilt. Updating is for corpora
        of at least `grow_from` bytes (smaller ones build in a fraction of a second) and changes
        of a few percent of the corpus (UPDATE_AT_MOST_*); `grow=False` asks for a full build.
        With `worker` too, a build runs in a process of its own (bot.core.build) and this one
        loads the snapshot it wrote: the serving process keeps its GIL for questions while a
        reload builds (corpora of at least `worker_from` bytes). `must_save` (the worker's): a
        snapshot that cannot be saved (a full disk) raises OSError instead of being logged, so that
        the serving process keeps its engine and says why instead of building in its own process.
        One load waits for the index directory's lock (a save under way in another process) for
        `lock_wait` seconds at most (snapshot.LOCK_WAIT_SECONDS), its loads and its save together:
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
                return live
            updated = live._updated_by(directory, found) if grow else None
            if updated is not None:
                return updated
        wait = snapshot.LockWait(lock_wait)
        if snapshots is not None and found is not None:
            started = time.perf_counter()
            try:
                corpus, answerer = snapshot.load(snapshots, found, wait=wait)
            except snapshot.UnusableSnapshotError as refused:
                LOGGER.info("index snapshot not used: %s", refused)
                updated = cls._updated_from_snapshot(directory, snapshots, found, wait) if grow else None
                if updated is not None:
                    return updated
                if worker and wait.left() > 0:  # else its load and save would wait again: built here
                    return cls._built_in_worker(directory, snapshots, progress, wait)
            else:
                LOGGER.info("loaded the index snapshot in %.2f s", time.perf_counter() - started)
                return cls(corpus, answerer, found.keys)
        articles, problems = check_corpus(directory, known=live.known_files() if live is not None else None)
        if problems:
            raise CorpusError("; ".join(problems))
        engine = cls.from_corpus(build_corpus(articles), progress=progress)
        if found is not None and snapshot.signature(directory) == found.signature:
            engine = replace(engine, files=found.keys)  # what was read is what is there now
            if snapshots is not None:
                started = time.perf_counter()
                try:
                    snapshot.save(engine.corpus, engine.answerer, snapshots, found, wait=wait)
                except OSError as error:  # a full disk costs the next start its speed, nothing else
                    if must_save:
                        raise OSError(f"could not save the index snapshot: {error}") from error
                    LOGGER.warning("could not save the index snapshot: %s", error)
                else:
                    LOGGER.info("saved the index snapshot in %.2f s", time.perf_counter() - started)
                    if found.size >= worker_from:
                        # Served from the snapshot it just saved, as a later start would be: the
                        # arrays mapped from disk instead of a million Passage objects (1M: 0.9
                        # GB held instead of 2 GB, for ~2.5 s more).
                        try:
                            corpus, answerer = snapshot.load(snapshots, found, wait=wait)
                        except snapshot.UnusableSnapshotError as refused:
                            LOGGER.warning("serving the built index: its snapshot did not load (%s)", refused)
                        else:
                            return cls(corpus, answerer, found.keys)
        return engine

    def known_files(self) -> dict[str, tuple[FileKey, Article]]:
        """Return the articles this engine read, by file name with the key of the file read
        (made once per engine: a reload and an admin change both ask)."""
        return self._known

    @functools.cached_property
    def _known(self) -> dict[str, tuple[FileKey, Article]]:
        if self.files is None:
            return {}
        by_id = self.corpus.by_id
        return {
            name: (key, by_id[stem]) for name, key in self.files.items() if (stem := name.rpartition(".")[0]) in by_id
        }

    def with_added(self, articles: Sequence[Article], files: Mapping[str, FileKey] | None = None) -> Engine:
        """Return an engine over this one's articles and new ones after them (this one unchanged).

        Only the new articles are split, tokenised and embedded; the result answers exactly as an
        engine built over all the articles in that order. `files` are the corpus files it serves.
        """
        corpus = extended_corpus(self.corpus, articles)
        publications = {article.source for article in corpus.articles}
        answerer = self.answerer.extended(corpus.passages, publications=publications)
        added = len(corpus.passages) - len(self.corpus.passages)
        return Engine(corpus, answerer, files, self.unmerged + added)

    def without(self, article_ids: Sequence[str], files: Mapping[str, FileKey] | None = None) -> Engine:
        """Return an engine without some articles (this one unchanged): their passages are never
        found again, and it answers exactly as an engine built over the other articles."""
        corpus = reduced_corpus(self.corpus, article_ids)
        publications = {article.source for article in corpus.articles}
        answerer = self.answerer.removed(article_ids, publications=publications)
        removed = sum(self.corpus.passage_counts[article_id] for article_id in article_ids)
        return Engine(corpus, answerer, files, self.unmerged + removed)

    def _updated_by(self, directory: Path, files: snapshot.CorpusFiles) -> Engine | None:
        """Return this engine updated to the corpus files as they are now: articles of files removed
        or changed taken out, articles of files added or changed put in; None when that is more
        than updating is for (a full build then)."""
        changes = _changes(self.files or {}, files)
        if changes is None:
            return None
        gone, fresh = changes
        started = time.perf_counter()
        articles, problems = [], []
        for name in fresh:
            try:
                articles.append(read_article(directory / name))
            except CorpusError as error:
                problems.append(str(error))
        if problems:
            raise CorpusError("; ".join(problems))
        stems = {name.rpartition(".")[0] for name in gone}
        removed = [article.id for article in self.corpus.articles if article.id in stems]
        engine = (self.without(removed) if removed else self).with_added(articles, files.keys)
        LOGGER.info(
            "removed %d articles and added %d in %.2f s; %d passages added or removed since the last full build",
            len(removed),
            len(articles),
            time.perf_counter() - started,
            engine.unmerged,
        )
        return engine

    @classmethod
    def _updated_from_snapshot(
        cls, directory: Path, snapshots: Path, files: snapshot.CorpusFiles, wait: snapshot.LockWait
    ) -> Engine | None:
        """Return the engine of a snapshot of other corpus files, updated to these, or None."""
        started = time.perf_counter()

        def usable(keys: dict[str, FileKey]) -> str | None:
            return "the corpus changed too much since it was built" if _changes(keys, files) is None else None

        try:
            corpus, answerer, keys = snapshot.load_base(snapshots, usable, wait=wait)
        except snapshot.UnusableSnapshotError as refused:
            LOGGER.info("no index snapshot to update: %s", refused)
            return None
        LOGGER.info("loaded the index snapshot of %d files in %.2f s", len(keys), time.perf_counter() - started)
        return cls(corpus, answerer, keys)._updated_by(directory, files)

    @classmethod
    def _built_in_worker(
        cls, directory: Path, snapshots: Path, progress: Progress | None, wait: snapshot.LockWait
    ) -> Engine:
        """Build and save the snapshot in another process, then load it here (see load); the
        worker and the load here wait for the lock for what is left of `wait` between them."""
        started = time.perf_counter()
        one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bot.core.build", str(directory), str(snapshots), f"{wait.left():.3f}"],
                capture_output=True,
                text=True,
                check=False,
                env=os.environ | one_thread,  # one core for the build, the other for questions
            )
        except OSError as error:  # no process could be started: build here, slower for questions meanwhile
            LOGGER.warning("could not start a worker process (%s); building in this one", error)
            return cls.load(directory, progress=progress, snapshots=snapshots, worker=False, lock_wait=wait.left())
        if done.returncode == CORPUS_PROBLEM:
            raise CorpusError(done.stderr.strip().splitlines()[-1])
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            raise BuildFailedError(f"the index build stopped ({last[0]}); nothing changed")
        LOGGER.info("built the index in a worker process in %.1f s", time.perf_counter() - started)
        # The files may have changed while the worker read them: then this builds them itself.
        return cls.load(directory, progress=progress, snapshots=snapshots, worker=False, lock_wait=wait.left())

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return the passages that answer the question."""
        return self.answerer.search(question, k)

    def converse(self, message: str, k: int = 3, previous: Turn | None = None) -> tuple[SearchResult, Turn]:
        """Return the reply to a chat message, read against the chat's previous turn, and the new turn.

        "summarize the article" gets the lead and key sentences (of the article last quoted, else the
        newest); "tell me more" what follows the passages last quoted; "and when?" or "who else?" the
        previous question asked again that way; anything else is a question.
        """
        kind = conversation.kind_of(message)
        answerer = self.answerer
        if previous is not None and previous.article_id is not None and previous.article_id not in self.corpus.by_id:
            previous = Turn(previous.question, None)  # its article was removed since
        shown_before = self._positions(previous)
        if kind == "summary" or (kind == "more" and not shown_before):
            article = previous.article_id if previous and previous.article_id else self._newest()
            if article is None:
                return SearchResult(message, ()), Turn(message, None)
            picked = conversation.lead_and_key(answerer.passages, answerer.article_numbers(article))
            hits = tuple(answerer.hit(n) for n in picked)
            return SearchResult(message, hits, tier=Tier.SUMMARY), Turn(message, article, self._cite(picked))
        if kind == "more" and previous is not None and previous.article_id is not None:
            numbers = answerer.article_numbers(previous.article_id)
            after = [n for n in numbers if n > max(shown_before)][:k]
            if not after:
                end = "That is the end of the article: there is nothing more to quote. Ask me something else about it."
                return SearchResult(message, (), notice=end), previous
            hits = tuple(answerer.hit(n) for n in after)
            return SearchResult(message, hits, tier=Tier.MORE), Turn(
                previous.question, previous.article_id, self._cite(after)
            )
        asked = message
        if kind == "follow" and previous is not None:
            asked = conversation.follow_up(previous.question, message)
        shown = set(shown_before) if conversation.wants_other(message) else set()
        result = answerer.search(asked, k + len(shown))
        if shown:
            result = replace(result, hits=tuple(hit for hit in result.hits if hit.position not in shown)[:k])
        result = replace(result, question=message)
        top = result.hits[0].passage.article_id if result.hits else (previous.article_id if previous else None)
        return result, Turn(asked, top, self._cite(hit.position for hit in result.hits))

    def _cite(self, numbers: Iterable[int]) -> tuple[tuple[str, int, int], ...]:
        """Return passages as a turn keeps them: by citation, which survives a renumbering."""
        passages = self.answerer.passages
        return tuple((p.article_id, p.paragraph, p.sentence) for p in (passages[n] for n in numbers))

    def _positions(self, turn: Turn | None) -> list[int]:
        """Return the numbers, in this engine, of the passages a turn cites (those still served)."""
        if turn is None:
            return []
        wanted = set(turn.cited)
        found = []
        for article in dict.fromkeys(article for article, _, _ in turn.cited):
            for number in self.answerer.article_numbers(article):
                passage = self.answerer.passages[number]
                if (article, passage.paragraph, passage.sentence) in wanted:
                    found.append(number)
        return found

    def _newest(self) -> str | None:
        """Return the id of the newest article served, or None for an empty corpus."""
        newest = max(self.corpus.articles, key=lambda article: (article.date, article.id), default=None)
        return newest.id if newest is not None else None

    def example_questions(self, count: int = 3) -> tuple[str, ...]:
        """Return questions to suggest: each article's own (its `questions:` header), else its title."""
        newest_first = sorted(self.corpus.articles, key=lambda article: article.date, reverse=True)
        own = [question for article in newest_first for question in article.questions]
        titles = [article.title for article in newest_first if not article.questions]
        return tuple(dict.fromkeys([*own, *titles]))[:count]


def _changes(known: Mapping[str, FileKey], files: snapshot.CorpusFiles) -> tuple[list[str], list[str]] | None:
    """Return the files known that were removed or changed since, and the files to read now (added
    or changed); None when that is more than updating an engine is for (UPDATE_AT_MOST_*)."""
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

    def describe(self, *, most: int = 10) -> str:
        """Return the change as one line, or 'no changes'; a long list names its first `most` ids."""
        parts = []
        for label, ids in self._labelled():
            if len(ids) > most:
                parts.append(f"{label} {len(ids)}: {', '.join(ids[:most])} and {len(ids) - most} more")
            elif ids:
                parts.append(f"{label} {', '.join(ids)}")
        return "; ".join(parts) or "no changes"

    def _labelled(self) -> list[tuple[str, tuple[str, ...]]]:
        return [("added", self.added), ("removed", self.removed), ("changed", self.changed)]


def compare(old: Corpus, new: Corpus) -> CorpusChange:
    """Return how the new corpus differs from the old."""
    added = tuple(sorted(set(new.by_id) - set(old.by_id)))
    removed = tuple(sorted(set(old.by_id) - set(new.by_id)))
    kept = set(old.by_id) & set(new.by_id)
    # An engine grown or reloaded keeps the Article of every file it did not read again.
    changed = tuple(
        sorted(
            i
            for i in kept
            if old.by_id[i] is not new.by_id[i] and format_article(old.by_id[i]) != format_article(new.by_id[i])
        )
    )
    return CorpusChange(added, removed, changed)

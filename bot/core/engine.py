"""A corpus and what answers questions about it, loaded together and replaced together."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core import snapshot
from bot.core.answering.model import AnswerModel
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.search import Answerer, SearchResult
from bot.core.corpus import Corpus, CorpusError, build_corpus, format_article
from bot.core.retrieval.base import Progress
from bot.core.store import check_corpus

LOGGER = logging.getLogger(__name__)
CORPUS_PROBLEM = 2  # bot.core.build's exit status when the corpus cannot be served
# From this many bytes of corpus files (about 5,000 passages, half a second to build) a reload
# builds in a worker process; below it, starting the process would cost more than the build.
WORKER_FROM_BYTES = 1_000_000


class BuildFailedError(CorpusError):
    """An index build that stopped for a reason other than the corpus files (a killed worker)."""


@dataclass(frozen=True)
class Engine:
    """What answers questions: an immutable corpus and the answerer built over it."""

    corpus: Corpus
    answerer: Answerer

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
    ) -> Engine:
        """Return an engine over a corpus directory; raise CorpusError naming every invalid file.

        With `snapshots` (BOT_DATA_DIR/index), an unchanged corpus is loaded from the snapshot the
        last build wrote (bot.core.snapshot), and a build writes one; a snapshot that does not match
        the files, or is damaged, is ignored and the engine rebuilt. With `worker` too, a build runs
        in a process of its own (bot.core.build) and this one loads the snapshot it wrote: the
        serving process keeps its GIL for questions while a reload builds (corpora of at least
        `worker_from` bytes; smaller ones build here in a fraction of a second).
        """
        scanned = snapshot.signature_and_size(directory) if snapshots is not None else None
        files = scanned[0] if scanned is not None else None
        # A small corpus builds in well under a second: here, without a process to start (~1 s).
        worker = worker and scanned is not None and scanned[1] >= worker_from
        if snapshots is not None and files is not None:
            started = time.perf_counter()
            try:
                corpus, answerer = snapshot.load(snapshots, files)
            except snapshot.UnusableSnapshotError as refused:
                LOGGER.info("index snapshot not used: %s; building", refused)
                if worker:
                    return cls._built_in_worker(directory, snapshots, progress)
            else:
                LOGGER.info("loaded the index snapshot in %.2f s", time.perf_counter() - started)
                return cls(corpus, answerer)
        articles, problems = check_corpus(directory)
        if problems:
            raise CorpusError("; ".join(problems))
        engine = cls.from_corpus(build_corpus(articles), progress=progress)
        if snapshots is not None and files is not None and files == snapshot.signature(directory):
            started = time.perf_counter()
            try:
                snapshot.save(engine.corpus, engine.answerer, snapshots, files)
            except OSError as error:  # a full disk costs the next start its speed, nothing else
                LOGGER.warning("could not save the index snapshot: %s", error)
            else:
                LOGGER.info("saved the index snapshot in %.2f s", time.perf_counter() - started)
        return engine

    @classmethod
    def _built_in_worker(cls, directory: Path, snapshots: Path, progress: Progress | None) -> Engine:
        """Build and save the snapshot in another process, then load it here (see load)."""
        started = time.perf_counter()
        one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bot.core.build", str(directory), str(snapshots)],
                capture_output=True,
                text=True,
                check=False,
                env=os.environ | one_thread,  # one core for the build, the other for questions
            )
        except OSError as error:  # no process could be started: build here, slower for questions meanwhile
            LOGGER.warning("could not start a worker process (%s); building in this one", error)
            return cls.load(directory, progress=progress, snapshots=snapshots, worker=False)
        if done.returncode == CORPUS_PROBLEM:
            raise CorpusError(done.stderr.strip().splitlines()[-1])
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            raise BuildFailedError(f"the index build stopped ({last[0]}); nothing changed")
        LOGGER.info("built the index in a worker process in %.1f s", time.perf_counter() - started)
        # The files may have changed while the worker read them: then this builds them itself.
        return cls.load(directory, progress=progress, snapshots=snapshots, worker=False)

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return the passages that answer the question."""
        return self.answerer.search(question, k)

    def example_questions(self, count: int = 3) -> tuple[str, ...]:
        """Return questions to suggest: each article's own (its `questions:` header), else its title."""
        newest_first = sorted(self.corpus.articles, key=lambda article: article.date, reverse=True)
        own = [question for article in newest_first for question in article.questions]
        titles = [article.title for article in newest_first if not article.questions]
        return tuple(dict.fromkeys([*own, *titles]))[:count]


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
    changed = tuple(sorted(i for i in kept if format_article(old.by_id[i]) != format_article(new.by_id[i])))
    return CorpusChange(added, removed, changed)

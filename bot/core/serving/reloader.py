"""The index that serves, kept current: a reload checks the corpus files and swaps a new index in
whole, and an index updated by changed files is merged (built anew, off the question path) once the
corpus has been left alone for a while, tried again later, and later still, when its build fails."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.core.articles.store import FileKey
from bot.core.corpus import CorpusError
from bot.core.messages import ENGLISH, Messages
from bot.core.serving.index import Index
from bot.core.serving.opening import BuildFailedError, CorpusChange, compare, open_index

LOGGER = logging.getLogger(__name__)
MERGE_RETRY_AT_MOST = 86_400.0


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: whether the new corpus serves now, and the report for the admin (in any
    language: `said` writes it in a reader's)."""

    reloaded: bool
    said: Callable[[Messages], str]

    @property
    def report(self) -> str:
        """Return the report in English (the log's language)."""
        return self.said(ENGLISH)

    def report_in(self, say: Messages) -> str:
        """Return the report in a reader's language."""
        return self.said(say)


class IndexLoader(Protocol):
    """How a reload opens the corpus: open_index, told which index serves now (files it knows are
    not read again; new files alone grow it) and, after an admin change, the files it left."""

    def __call__(
        self, directory: Path, *, live: Index | None = None, files: Mapping[str, FileKey] | None = None
    ) -> Index: ...


class Reloader:
    """Holds the index that serves and replaces it whole: questions see the old index or the new
    one, never a mix. Reloads run one at a time; a merge runs as one task, a later change starting
    its wait again (a debounce), a failed build trying again after merge_retry_after seconds, twice
    as long after each failure in a row (a back-off), at most a day."""

    def __init__(
        self,
        directory: Path,
        index: Index | None = None,
        *,
        load: IndexLoader = open_index,
        merge: Callable[[Path], Index] | None = None,
        merge_after: float = 60.0,
        merge_retry_after: float = 600.0,
        swapped: Callable[[], None] | None = None,
        merged: Callable[[], None] | None = None,
    ) -> None:
        self.directory = directory
        self.index = index
        self.load = load
        # A full build that replaces an index updated by changed files (a merge); None: they stay.
        self.merge = merge
        self.merge_after = merge_after  # seconds without a change before an updated index is merged
        self.merge_retry_after = merge_retry_after
        self.merge_failures = 0
        self.swapped = swapped  # told after each reload that swapped an index in (statistics)
        self.merged = merged  # told after each merge that swapped an index in
        self.lock = asyncio.Lock()
        self.merging: asyncio.Task[None] | None = None

    @property
    def live(self) -> Index:
        """The index now serving; set before the first question is answered."""
        if self.index is None:
            raise RuntimeError("the reloader was asked for its index before it was given one")
        return self.index

    async def reload(self, files: Mapping[str, FileKey] | None = None) -> ReloadOutcome:
        """Re-read and validate the corpus, index it off the event loop, and swap it in.

        Any invalid file refuses the reload (and changes nothing). `files`: the corpus files as an
        admin change just checked and left them (not scanned again).
        """
        async with self.lock:
            started = time.perf_counter()
            old = self.live
            try:
                load = functools.partial(self.load, self.directory, live=old, files=files)
                new = await asyncio.to_thread(load)
            except CorpusError as error:
                LOGGER.warning("reload refused: %s", error)
                return ReloadOutcome(False, functools.partial(_refused, error=error))
            self.index = new  # the swap
            if self.swapped is not None:
                self.swapped()
            seconds = time.perf_counter() - started
        if new.unmerged:
            self.merge_later()
        change = compare(old.corpus, new.corpus)
        LOGGER.info("reloaded corpus %s: %s", new.corpus.version, change.describe())
        return ReloadOutcome(
            True,
            functools.partial(
                _reloaded,
                articles=len(new.corpus.articles),
                passages=new.corpus.passages_served,
                change=change,
                version=new.corpus.version,
                old_version=old.corpus.version,
                seconds=seconds,
            ),
        )

    def merge_later(self, *, after: float | None = None) -> None:
        """Merge the updated index once the corpus has been left alone for merge_after seconds
        (or `after`); a change before then starts the wait again. Needs a running event loop."""
        if self.merge is None:
            return
        self.stop()
        wait = self.merge_after if after is None else after
        self.merging = asyncio.get_running_loop().create_task(self._merge(wait), name="merge")

    def stop(self) -> None:
        """Cancel a merge waiting or under way (its build, in a thread or a process, runs out unused)."""
        if self.merging is not None:
            self.merging.cancel()
            self.merging = None

    async def _merge(self, after: float) -> None:
        """Build the corpus anew and swap it in, unless the corpus changed while it built."""
        if self.merge is None:
            return
        await asyncio.sleep(after)
        updated = self.live
        started = time.perf_counter()
        try:
            merged = await asyncio.to_thread(self.merge, self.directory)
        except BuildFailedError as error:  # the worker killed, or its snapshot not saved: the updated index serves
            wait = min(self.merge_retry_after * 2**self.merge_failures, MERGE_RETRY_AT_MOST)
            self.merge_failures += 1
            LOGGER.warning("merge not done: %s; trying again in %.0f s", error, wait)
            if self.live is updated:
                self.merging = None
                self.merge_later(after=wait)
            return
        except CorpusError as error:  # a broken file since: the next reload says so
            LOGGER.warning("merge not done: %s", error)
            return
        self.merge_failures = 0
        async with self.lock:
            if self.live is not updated or merged.files is None or dict(merged.files) != dict(updated.files or {}):
                LOGGER.info("merge dropped: the corpus changed while it was built")
                return
            self.index = merged
        if self.merged is not None:
            self.merged()
        LOGGER.info(
            "merged %d passages added or removed since the last full build (corpus %s, %.1f s)",
            updated.unmerged,
            merged.corpus.version,
            time.perf_counter() - started,
        )


def _refused(say: Messages, error: CorpusError) -> str:
    return say.gettext("Reload refused, the old corpus keeps serving: {error}", error=say.said(error))


def _reloaded(
    say: Messages,
    *,
    articles: int,
    passages: int,
    change: CorpusChange,
    version: str,
    old_version: str,
    seconds: float,
) -> str:
    return say.gettext(
        "Reloaded: {articles}, {passages}.\nChanges: {changes}.\n"
        "Corpus version {version} (was {old_version}), took {seconds} s.",
        articles=say.ngettext("{count} article", "{count} articles", articles),
        passages=say.ngettext("{count} passage", "{count} passages", passages),
        changes=change.describe(say=say),
        version=version,
        old_version=old_version,
        seconds=f"{seconds:.2f}",
    )

"""Following RSS/Atom feeds: new items reach the admins as previews with Add / Skip (or are added).

One task (FeedReader.start) reads every feed of BOT_FEEDS each BOT_FEED_INTERVAL; items are remembered in
BOT_DATA_DIR/feeds.json (bot.core.articles.links.FeedMemory) by GUID and by canonical link, so none is
fetched or offered twice, under another GUID or from another feed, restarts included.
A feed that fails is logged once when the outage starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from telegram.error import TelegramError

from bot.core.articles.ingest import IngestReport
from bot.core.articles.links import FeedError, FeedMemory, FetchError, article_from_link, feed_items
from bot.core.corpus import CorpusError
from bot.core.messages import N_
from bot.telegram.callbacks import ChangeKind, PendingChange
from bot.telegram.changes import ChangeDone, carry_out, describe_upload, offer, prepare_report
from bot.telegram.replies import fit
from bot.telegram.state import BotData

LOGGER = logging.getLogger("bot.feeds")
SKIPPED = N_("Skipped; nothing changed.")


class FeedReader:
    """Reads the feeds, offers or adds their new items, and remembers what it has seen."""

    def __init__(self, data: BotData) -> None:
        self.data = data
        data_dir = data.config.data_dir
        self.memory = FeedMemory(data_dir / "feeds.json" if data_dir is not None else None)
        if self.memory.set_aside is not None:
            LOGGER.warning("the feed memory could not be read; kept as %s, starting afresh", self.memory.set_aside)
        self.failing: dict[str, str] = {}  # feed -> the reason it fails, while it fails
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Read the feeds now and every interval from now on, in a task of the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self.run(), name="feeds")

    def stop(self) -> None:
        """Stop reading the feeds (a reading under way is cancelled)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def run(self) -> None:
        """Read every feed, then wait the interval; until cancelled."""
        while True:
            try:
                await self.read_all()
            except Exception:  # a reading that fails must not end the following of every feed
                LOGGER.exception("reading the feeds failed; trying again in %.0f s", self.data.config.feed_interval)
            await asyncio.sleep(self.data.config.feed_interval)

    async def read_all(self) -> None:
        """Read each feed once; offer or add what is new."""
        for feed in self.data.config.feeds:
            await self.read(feed)

    async def read(self, feed: str) -> None:
        """Read one feed; a failure is logged once per outage."""
        policy = self.data.config.fetch_policy
        try:
            items = await feed_items(feed, policy)
        except (FetchError, FeedError) as error:
            if feed not in self.failing:
                LOGGER.warning("feed %s fails: %s (logged once until it recovers)", feed, error)
            self.failing[feed] = str(error)
            return
        if self.failing.pop(feed, None) is not None:
            LOGGER.warning("feed %s works again", feed)
        first = not self.memory.knows(feed)
        fresh = self.memory.new_items(feed, items)
        await asyncio.to_thread(self.memory.save)
        if first:
            LOGGER.info("feed %s: %d items known now; items published from now on will be offered", feed, len(items))
            return
        added: list[tuple[str, ChangeDone]] = []
        for item in fresh:
            try:
                report = await article_from_link(item.url, policy)
                change, _ = await asyncio.to_thread(
                    prepare_report, self.data.config.corpus_dir, report, self.data.live.known_files()
                )
            except (FetchError, CorpusError) as error:
                LOGGER.warning("feed item %s skipped: %s", item.url, error)
                continue
            if self.data.config.feed_auto_add:
                added.append((report.article.title, await carry_out(self.data, change)))
                continue
            for admin_id in sorted(self.data.config.admin_ids):
                await self._offer(admin_id, feed, report, change)
        if added:
            for admin_id in sorted(self.data.config.admin_ids):
                say = self.data.admin_reader(admin_id)
                lines = [f"• {title}: {done.report_in(say).splitlines()[0]}" for title, done in added]
                summary = fit(say.gettext("Added from feeds:") + "\n" + "\n".join(lines), html_mode=False)
                await self._tell(admin_id, self.data.plain_bot.send_message(admin_id, summary))

    async def _offer(self, admin_id: int, feed: str, report: IngestReport, change: PendingChange) -> None:
        """Offer one admin a feed item, in the admin's language (as last seen)."""
        say = self.data.admin_reader(admin_id)
        replacing = change.kind is ChangeKind.REPLACE
        placed = report if change.article is None else replace(report, article=change.article)
        # Splits the article into sentences, as prepare_report did: off the event loop.
        preview = await asyncio.to_thread(describe_upload, placed, replacing=replacing, say=say)
        offered = offer(
            self.data,
            admin_id,
            change,
            say.gettext("New in {feed}:", feed=feed) + f"\n\n{preview}",
            say.gettext("Replace") if replacing else say.gettext("Add"),
            cancel_label=say.gettext("Skip"),
            cancelled=SKIPPED,
        )
        await self._tell(admin_id, offered)

    async def _tell(self, admin_id: int, sending: Coroutine[Any, Any, object]) -> None:
        """Send to one admin; one who cannot be reached (never started the bot) does not stop the others."""
        try:
            await sending
        except TelegramError as error:
            LOGGER.warning("could not tell admin %s about a feed item: %s", admin_id, error)

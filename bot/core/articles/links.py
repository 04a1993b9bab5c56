"""Articles from links and feeds: fetch (articles.fetch), extract (articles.extract), remember what was seen.

The same article_from_link serves /add in the chat, pasted links, feeds and `python -m bot ingest URL`.
"""

from __future__ import annotations

import asyncio
import calendar
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import feedparser
from yarl import URL

from bot.core.articles.extract import Capture, extract
from bot.core.articles.fetch import FEED_TYPES, PAGE_TYPES, FetchError, FetchPolicy, fetch
from bot.core.articles.ingest import IngestReport
from bot.core.articles.store import write_atomically
from bot.core.said import N_, Said

# Items looked at per poll of one feed (the newest); older ones in a huge feed are never offered.
NEWEST_PER_POLL = 20
# Entries remembered per feed (an item's key and its link: two per item); a feed lists far fewer.
REMEMBERED_PER_FEED = 10_000


async def article_from_link(url: str, policy: FetchPolicy) -> IngestReport:
    """Fetch a page and return its article (read by bot.core.articles.extract, as every capture is);
    raise FetchError, or CorpusError (ExtractError among them), with one sentence."""
    page = await fetch(url, policy, accept=PAGE_TYPES)
    capture = Capture(page.text, html=page.content_type != "text/plain", url=page.url, where=page.url)
    return await extract(capture, seconds=policy.extract_seconds)


def web_link(link: str) -> str | None:
    """Return an http(s) link as it is fetched: scheme and host in lower case, no default port, no
    fragment (yarl also evens out percent-encoding); None for anything else."""
    try:
        url = URL(link.strip())
    except (ValueError, TypeError):
        return None
    if url.scheme not in ("http", "https") or not url.host:
        return None
    return str(url.with_fragment(None))


def same_page(link: str) -> str:
    """The form of a web link (from web_link) under which feed items are told apart: a trailing slash
    is dropped too, so `HTTP://Example.org:80/a/#x` and `http://example.org/a` are one page."""
    base, mark, query = link.partition("?")
    path = URL(link).raw_path
    if not base.endswith(path):  # an empty path ("https://example.org")
        return f"{base}/{mark}{query}"
    return f"{base[: len(base) - len(path)]}{path.rstrip('/') or '/'}{mark}{query}"


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed: its key (GUID, else link), link (from web_link), title and publication time."""

    key: str
    url: str
    title: str
    published: float | None

    @property
    def page(self) -> str:
        """The link as items are told apart by (same_page): one page is fetched and offered once."""
        return same_page(self.url)


class FeedError(Said):
    """A feed that cannot be read, worded as one sentence (a catalogue text)."""


def parse_feed(body: bytes | str, *, newest: int = NEWEST_PER_POLL) -> list[FeedItem]:
    """Return the newest items of an RSS or Atom feed that have a web link, newest first, each once."""
    # feedparser takes a str for an address or a file path and opens it (urllib, unguarded): it is
    # only ever handed a stream of the bytes fetched.
    data = body.encode("utf-8") if isinstance(body, str) else body
    parsed = feedparser.parse(io.BytesIO(data))
    items = []
    for entry in parsed.entries:
        raw = str(entry.get("link") or "").strip()
        link = web_link(raw)
        if link is None:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(
            FeedItem(
                key=str(entry.get("id") or raw),
                url=link,
                title=" ".join(str(entry.get("title") or raw).split()),
                published=calendar.timegm(when) if when else None,
            )
        )
    # feedparser is lenient: a damaged feed that still lists items is read; an empty feed is fine.
    if not items and (parsed.bozo or not parsed.version):
        if not parsed.get("bozo_exception"):
            raise FeedError(N_("That is not an RSS or Atom feed (no feed format recognised)."))
        raise FeedError(N_("That is not an RSS or Atom feed ({reason})."), reason=str(parsed.get("bozo_exception")))
    # Feeds list newest first by convention; a dated feed is sorted to be sure (undated keep order).
    if all(item.published is not None for item in items):
        items.sort(key=lambda item: item.published or 0.0, reverse=True)
    # An item repeated within one feed (its GUID or its page) is offered and fetched once: the newest.
    once = []
    seen: set[str] = set()  # keys and pages
    for item in items:
        if item.key not in seen and item.page not in seen:
            once.append(item)
            seen.update((item.key, item.page))
    return once[:newest]


async def feed_items(url: str, policy: FetchPolicy) -> list[FeedItem]:
    """Fetch a feed and return its newest items; raise FetchError or FeedError."""
    fetched = await fetch(url, policy, accept=(*FEED_TYPES, "text/html", "text/plain"))
    return await asyncio.to_thread(parse_feed, fetched.body)


class FeedMemory:
    """Which items of each feed were already offered, kept in a JSON file across restarts.

    Each item is remembered by its key and by its page (FeedItem.page): an item whose page was offered
    or added before, from any feed, is not offered again under a new GUID. A feed seen for the first
    time has its current items remembered without offering them: only items published after the bot
    started following a feed reach the admins.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.seen: dict[str, list[str]] = {}
        self.set_aside: Path | None = None  # where an unreadable memory file was moved
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self.seen = {str(k): [str(x) for x in v] for k, v in loaded["seen"].items()}
            except (ValueError, AttributeError, TypeError, KeyError, RecursionError):
                self.set_aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
                os.replace(path, self.set_aside)

    def knows(self, feed: str) -> bool:
        """Whether the feed has been read before."""
        return feed in self.seen

    def new_items(self, feed: str, items: list[FeedItem]) -> list[FeedItem]:
        """Return the items whose key and page were not seen before, in this feed or (the page) in
        any other, each page once (none on a feed's first reading); remember all of them."""
        first = feed not in self.seen
        known = self.seen.setdefault(feed, [])
        own = set(known)
        pages = {entry for entries in self.seen.values() for entry in entries}  # pages of every feed
        fresh = []
        for item in items:
            if item.key in own or item.page in pages:
                continue
            fresh.append(item)
            own.update((item.key, item.page))
            pages.add(item.page)
            known.extend(dict.fromkeys((item.key, item.page)))
        del known[:-REMEMBERED_PER_FEED]
        return [] if first else fresh

    def save(self) -> None:
        """Write the memory atomically (a temporary file, then a rename)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps({"version": 1, "seen": self.seen}).encode("utf-8"), prefix=".feeds-")


__all__ = ["FeedError", "FeedItem", "FeedMemory", "FetchError", "article_from_link", "feed_items", "parse_feed"]

"""Articles from links and feeds, against a real HTTP server on 127.0.0.1 serving the team's fixtures."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.core.articles.extract import ExtractError, capture_of_upload, extract
from bot.core.articles.fetch import FetchError, FetchPolicy, GuardedConnector
from bot.core.articles.links import FeedError, FeedMemory, article_from_link, feed_items, parse_feed
from bot.core.articles.store import read_article
from bot.core.corpus import CorpusError, format_article, is_web_address
from bot.telegram.feeds import FeedReader
from tests.conftest import ARTICLE_ID, ROOT
from tests.fake_bot_api import FakeBotApi
from tests.test_admin import ADMIN, STRANGER, admin_bot, send_document, texts
from tests.test_telegram import buttons

LOCAL = FetchPolicy(allow_private=True, read_timeout=1.0, total_timeout=3.0)

NEWS_PAGE = """<!doctype html><html><head><title>Convoy Reaches Border | Example News</title>
<link rel="canonical" href="https://news.example.com/2024/11/08/convoy-reaches-border">
<meta property="og:title" content="Convoy Reaches Border">
<meta property="article:published_time" content="2024-11-08T06:00:00Z">
<meta property="og:site_name" content="Example News"></head>
<body><nav>Home | World | Sport | Newsletter</nav>
<article><h1>Convoy Reaches Border</h1>
<p>A convoy of armoured trucks reached the northern border crossing early on Friday, officials said.</p>
<p>The regional governor praised the drivers for their speed and promised them a medal ceremony.</p>
<p>Residents of the border town lined the road and waved flags as the trucks passed.</p>
</article><footer>Subscribe to our newsletter for more stories like this one.</footer></body></html>"""
UPDATED_PAGE = NEWS_PAGE.replace("early on Friday", "early on Friday morning, after a night of driving")
UNDATED_PAGE = (
    NEWS_PAGE.replace('<meta property="article:published_time" content="2024-11-08T06:00:00Z">', "")
    .replace("2024/11/08/", "")
    .replace("<title>Convoy", "<title>Undated Convoy")
)
EMPTY_PAGE = "<html><head><title>Menu</title></head><body><nav>Home | World</nav><p>Cookies?</p></body></html>"


def feed(items: list[tuple[str, str]], guids: list[str] | None = None) -> str:
    """An RSS feed of (title, link) items, each newer than the one before; GUIDs are the links unless given."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{guids[n] if guids else link}</guid>"
        f"<pubDate>{formatdate(1_731_045_600 + 60 * n, usegmt=True)}</pubDate></item>"
        for n, (title, link) in enumerate(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Example News</title>{entries}</channel></rss>'


@dataclass
class Site:
    """The fixture server: its base address, the pages it serves, and the paths it was asked for."""

    base: str
    port: int
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (content type, body)
    asked: list[str] = field(default_factory=list)
    bytes_sent: int = 0


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site("", 0)

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        state.asked.append(path)
        if path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            raise web.HTTPFound(f"/chain/{left - 1}" if left > 0 else "/news.html")
        if path == "/loop-a":
            raise web.HTTPFound("/loop-b")
        if path == "/loop-b":
            raise web.HTTPFound(f"http://127.0.0.1:{state.port}/loop-a")
        if path == "/to-loopback":
            raise web.HTTPFound(f"http://127.0.0.1:{state.port}/news.html")
        if path == "/to-legacy-loopback":  # 127.0.0.1 as one number
            raise web.HTTPFound(f"http://2130706433:{state.port}/news.html")
        if path == "/huge":  # 50 MB, streamed without a length
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            await response.prepare(request)
            for _ in range(50 * 16):
                await response.write(b"<p>" + b"x" * 65_530 + b"</p>")
                state.bytes_sent += 65_537
            return response
        if path == "/huge-declared":
            return web.Response(body=b"x" * 6_000_000, content_type="text/html")
        if path == "/silent":
            await asyncio.sleep(3600)
        if path == "/trickle":  # a byte every 0.1 s: never silent for long, 2 s in all
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            await response.prepare(request)
            for byte in NEWS_PAGE.encode()[:20]:
                await response.write(bytes([byte]))
                state.bytes_sent += 1
                await asyncio.sleep(0.1)
            await response.write(NEWS_PAGE.encode()[20:])
            return response
        if path not in state.pages:
            raise web.HTTPNotFound()
        content_type, body = state.pages[path]
        return web.Response(text=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    await web.TCPSite(runner, "127.0.0.2", state.port).start()  # a second loopback address, same server
    state.base = f"http://127.0.0.1:{state.port}"
    state.pages.update(
        {
            "/news.html": ("text/html", NEWS_PAGE),
            "/undated.html": ("text/html", UNDATED_PAGE),
            "/empty.html": ("text/html", EMPTY_PAGE),
            "/report.pdf": ("application/pdf", "%PDF-1.4 not really"),
            "/photo.jpg": ("image/jpeg", "JFIF"),
            "/bad-feed.xml": ("application/rss+xml", "<rss><channel><item><title>broken"),
            "/big-feed.xml": (
                "application/rss+xml",
                feed([(f"Story {n}", f"https://news.example.com/s/{n}") for n in range(10_000)]),
            ),
        }
    )
    try:
        yield state
    finally:
        await runner.cleanup()


async def test_a_news_page_becomes_an_article_with_its_metadata(site: Site) -> None:
    report = await article_from_link(f"{site.base}/news.html", LOCAL)
    article = report.article
    assert (article.title, article.date, article.source) == ("Convoy Reaches Border", "2024-11-08", "Example News")
    assert article.url == "https://news.example.com/2024/11/08/convoy-reaches-border"  # its canonical address
    assert article.paragraphs[0].startswith("A convoy of armoured trucks")
    assert not any("Subscribe" in p or "Home |" in p for p in article.paragraphs)


async def test_redirects_are_followed_up_to_five(site: Site) -> None:
    report = await article_from_link(f"{site.base}/chain/4", LOCAL)  # five redirects
    assert report.article.title == "Convoy Reaches Border"
    with pytest.raises(FetchError, match=r"^That page redirects more than 5 times\.$"):
        await article_from_link(f"{site.base}/chain/5", LOCAL)
    with pytest.raises(FetchError, match=r"^That page redirects in a loop\.$"):
        await article_from_link(f"{site.base}/loop-a", LOCAL)


async def test_private_addresses_are_refused_after_dns_and_on_every_redirect(site: Site) -> None:
    private = "^That address is on a private network, so I won't fetch it.$"
    with pytest.raises(FetchError, match=private):
        await article_from_link(f"{site.base}/news.html", FetchPolicy())
    with pytest.raises(FetchError, match=private):  # a name that resolves to loopback
        await article_from_link(f"http://localhost:{site.port}/news.html", FetchPolicy())
    with pytest.raises(FetchError, match=private):  # IPv4-mapped IPv6 loopback
        await article_from_link(f"http://[::ffff:127.0.0.1]:{site.port}/news.html", FetchPolicy())
    only_second = FetchPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    allowed = await article_from_link(f"http://127.0.0.2:{site.port}/news.html", only_second)
    assert allowed.article.title == "Convoy Reaches Border"
    asked = len(site.asked)
    with pytest.raises(FetchError, match=private):  # allowed first hop, refused redirect
        await article_from_link(f"http://127.0.0.2:{site.port}/to-loopback", only_second)
    assert site.asked[asked:] == ["/to-loopback"]  # the loopback page was never requested


@pytest.mark.parametrize(
    "host",
    ["１２７.０.０.１", "127。0。0。1", "①②⑦.0.0.1", "2130706433", "127.1", "0x7f.0.0.1"],
)
async def test_hosts_written_another_way_never_reach_loopback(site: Site, host: str) -> None:
    # yarl turns fullwidth and circled digits into 127.0.0.1, which aiohttp connects to without a resolver.
    private = "^That address is on a private network, so I won't fetch it.$"
    with pytest.raises(FetchError, match=private):
        await article_from_link(f"http://{host}:{site.port}/news.html", FetchPolicy())
    only_second = FetchPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    with pytest.raises(FetchError, match=private):  # allowed first hop, a redirect to a legacy form
        await article_from_link(f"http://127.0.0.2:{site.port}/to-legacy-loopback", only_second)
    assert "/news.html" not in site.asked


async def test_ingest_refuses_a_fullwidth_loopback_link_and_writes_nothing(site: Site, tmp_path: Path) -> None:
    status, stderr = await ingest_link(f"http://１２７.０.０.１:{site.port}/news.html", tmp_path / "out")
    assert status != 0
    assert "That address is on a private network" in stderr
    assert not (tmp_path / "out").exists()
    assert site.asked == []


async def test_a_feed_body_naming_an_address_or_a_file_is_neither_fetched_nor_opened(
    site: Site, tmp_path: Path
) -> None:
    local = tmp_path / "local-feed.xml"
    local.write_text(feed([("Secret", "https://x.test/secret")]), encoding="utf-8")
    site.pages["/names-an-address.txt"] = ("text/plain", f"{site.base}/x")
    site.pages["/names-a-file.txt"] = ("text/plain", str(local))
    site.pages["/x"] = ("application/rss+xml", feed([("Loopback", "https://x.test/loop")]))
    for path in ("/names-an-address.txt", "/names-a-file.txt"):
        with pytest.raises(FeedError, match="not an RSS or Atom feed"):
            await feed_items(f"{site.base}{path}", LOCAL)
    assert "/x" not in site.asked
    with pytest.raises(FeedError):
        parse_feed(str(local))


def test_an_item_repeated_in_one_feed_is_offered_once() -> None:
    items = parse_feed(feed([("A", "https://x.test/a")] * 20 + [("B", "https://x.test/b")]))
    assert sorted(item.url for item in items) == ["https://x.test/a", "https://x.test/b"]


def test_items_are_told_apart_by_their_page_not_only_their_guid(tmp_path: Path) -> None:
    spellings = ["HTTP://Example.org:80/a#x", "http://EXAMPLE.org/a/", "http://example.org/a", "https://example.org/b"]
    items = parse_feed(feed([(f"Story {n}", link) for n, link in enumerate(spellings)], [f"g{n}" for n in range(4)]))
    assert [(item.title, item.page) for item in items] == [
        ("Story 3", "https://example.org/b"),
        ("Story 2", "http://example.org/a"),  # the newest of its spellings
    ]
    memory = FeedMemory(tmp_path / "feeds.json")
    assert memory.new_items("f", []) == []  # the first reading
    assert [item.title for item in memory.new_items("f", items)] == ["Story 3", "Story 2"]
    memory.save()
    again = FeedMemory(tmp_path / "feeds.json")  # a restart
    anew = parse_feed(feed([("Story 2 again", "http://example.org:80/a/#later")], ["a new GUID"]))
    assert again.new_items("f", anew) == []
    assert again.new_items("g", []) == []  # another feed, its first reading
    assert again.new_items("g", parse_feed(feed([("B", "https://EXAMPLE.org:443/b/")], ["g's GUID"]))) == []


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/huge", "^That page is over 5 MB, so I stopped downloading it.$"),
        ("/huge-declared", "^That page is over 5 MB, so I didn't download it.$"),
        ("/silent", "^That page took too long to answer.$"),
        ("/report.pdf", r"^That address is not a page I can read \(it is application/pdf\).$"),
        ("/photo.jpg", r"^That address is not a page I can read \(it is image/jpeg\).$"),
        ("/missing.html", r"^That page answered with an error \(HTTP 404\).$"),
    ],
)
async def test_each_hostile_page_ends_with_one_sentence(site: Site, path: str, sentence: str) -> None:
    with pytest.raises(FetchError, match=sentence):
        await article_from_link(f"{site.base}{path}", LOCAL)
    assert site.bytes_sent < 10_000_000  # the 50 MB body was abandoned, not read to its end


async def test_a_page_trickling_bytes_stops_at_the_total_timeout(site: Site) -> None:
    # Each byte comes well within the time allowed between reads; the whole page does not come within the total.
    policy = FetchPolicy(allow_private=True, read_timeout=1.0, total_timeout=1.0)
    with pytest.raises(FetchError, match=r"^That page took too long to answer\.$"):
        await article_from_link(f"{site.base}/trickle", policy)
    assert 3 <= site.bytes_sent < 20  # it was reading, and stopped before the page's end
    # The same page, given the time it takes, is read whole: the limit was the total, not the page.
    patient = FetchPolicy(allow_private=True, read_timeout=1.0, total_timeout=30.0)
    assert (await article_from_link(f"{site.base}/trickle", patient)).article.title == "Convoy Reaches Border"


@pytest.mark.parametrize(
    ("path", "sentence"),
    [("/empty.html", "This page has no article text"), ("/undated.html", "This page has no publication date")],
)
async def test_pages_without_an_article_are_refused(site: Site, path: str, sentence: str) -> None:
    with pytest.raises(CorpusError, match=sentence):
        await article_from_link(f"{site.base}{path}", LOCAL)


async def test_nothing_is_fetched_from_unreachable_or_odd_addresses() -> None:
    with pytest.raises(FetchError, match="must start with http"):
        await article_from_link("ftp://example.com/x", LOCAL)
    with pytest.raises(FetchError, match="does not exist"):
        await article_from_link("http://no-such-host.invalid/", FetchPolicy())
    assert is_web_address(" https://example.com/a?b=c ")
    assert not is_web_address("see https://example.com/a")
    assert not is_web_address("how many troops")


async def test_feeds_are_parsed_bounded_and_bad_ones_refused(site: Site) -> None:
    items = await feed_items(f"{site.base}/big-feed.xml", LOCAL)
    assert len(items) == 20  # the newest 20 of 10,000
    assert items[0].title == "Story 9999"
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        await feed_items(f"{site.base}/bad-feed.xml", LOCAL)
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed("<html><body>just a page</body></html>")


def test_the_feed_memory_survives_a_restart_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.json"
    items = parse_feed(feed([("A", "https://x.test/a"), ("B", "https://x.test/b")]))
    memory = FeedMemory(path)
    assert memory.new_items("f", items) == []  # first reading: what is there already is not offered
    memory.save()
    newer = parse_feed(feed([("A", "https://x.test/a"), ("B", "https://x.test/b"), ("C", "https://x.test/c")]))
    again = FeedMemory(path)
    assert [item.title for item in again.new_items("f", newer)] == ["C"]
    again.save()
    assert FeedMemory(path).new_items("f", newer) == []
    for damage in ("{not json", "[" * 200_000 + "]" * 200_000):  # the second is too deep for json
        path.write_text(damage, encoding="utf-8")
        damaged = FeedMemory(path)
        assert damaged.set_aside is not None
        assert damaged.set_aside.exists()
        assert not damaged.knows("f")
        damaged.set_aside.unlink()


async def ingest_link(url: str, out: Path, **env: str) -> tuple[int, str]:
    """Run `python -m bot ingest URL --out DIR` as a process; return its exit status and standard error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "ingest",
        url,
        "--out",
        str(out),
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stderr.decode()


async def test_ingest_of_a_link_writes_the_same_file_as_the_saved_page(site: Site, tmp_path: Path) -> None:
    status, stderr = await ingest_link(f"{site.base}/news.html", tmp_path / "out", BOT_FETCH_ALLOW_PRIVATE="true")
    assert status == 0, stderr
    [written] = (tmp_path / "out").iterdir()
    uploaded = (await extract(capture_of_upload("saved.html", NEWS_PAGE.encode()))).article
    assert written.read_text(encoding="utf-8") == format_article(uploaded)
    status, stderr = await ingest_link(f"{site.base}/news.html", tmp_path / "other")
    assert status != 0
    assert "That address is on a private network" in stderr
    assert not (tmp_path / "other").exists()


# --- through Telegram ---------------------------------------------------------------------------


async def test_an_admin_pastes_a_link_adds_it_and_the_same_link_offers_replace(
    api: FakeBotApi, corpus_dir: Path, site: Site
) -> None:
    async with admin_bot(api, corpus_dir, fetch_policy=LOCAL):
        api.say(f"{site.base}/news.html", user_id=ADMIN, chat_id=ADMIN)
        [preview] = await api.wait_sent(1, within=30)
        assert dict(buttons(preview)).keys() == {"Add", "Cancel"}
        api.press(dict(buttons(preview))["Add"], api.as_message(preview, 9000), user_id=ADMIN)
        await api.wait_sent(2, within=30)
        api.say("what did the governor promise the drivers", user_id=5, chat_id=5)
        await api.wait_sent(3)
        site.pages["/news.html"] = ("text/html", UPDATED_PAGE)
        api.say(f"/add {site.base}/news.html", user_id=ADMIN, chat_id=ADMIN)
        replace_preview = (await api.wait_sent(4, within=30))[3]
        assert dict(buttons(replace_preview)).keys() == {"Replace", "Cancel"}
        api.press(dict(buttons(replace_preview))["Replace"], api.as_message(replace_preview, 9001), user_id=ADMIN)
        await api.wait_sent(5, within=30)
    shown = texts(api)
    assert shown[0].startswith("Convoy Reaches Border\nExample News, 2024-11-08\nhttps://news.example.com/")
    assert shown[1].startswith("Saved 2024-11-08-convoy-reaches-border.txt.")
    assert "medal ceremony" in shown[2]
    assert "Convoy Reaches Border" in shown[2]
    assert "It is a new version of an article in the corpus: replace that one?" in shown[3]
    assert shown[4].startswith("Saved 2024-11-08-convoy-reaches-border.txt.")
    stored = sorted(p.name for p in corpus_dir.glob("*.txt"))
    assert stored == sorted([f"{ARTICLE_ID}.txt", "2024-11-08-convoy-reaches-border.txt"])  # never a second copy
    article = read_article(corpus_dir / "2024-11-08-convoy-reaches-border.txt")
    assert article.url == "https://news.example.com/2024/11/08/convoy-reaches-border"
    assert "after a night of driving" in article.paragraphs[0]


async def test_hostile_links_get_one_sentence_and_change_nothing(api: FakeBotApi, corpus_dir: Path, site: Site) -> None:
    async with admin_bot(api, corpus_dir, fetch_policy=LOCAL) as application:
        for path in ["/report.pdf", "/huge", "/chain/9", "/empty.html"]:
            api.say(f"/add {site.base}{path}", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(4, within=60)
        api.say("how many troops", user_id=5, chat_id=5)
        await api.wait_sent(5, within=30)
        assert len(application.bot_data.pending) == 0
    assert sorted(texts(api)[:4]) == sorted(
        [
            "That address is not a page I can read (it is application/pdf).",
            "That page is over 5 MB, so I stopped downloading it.",
            "That page redirects more than 5 times.",
            "This page has no article text, so it was not added.",
        ]
    )
    assert "10,000" in texts(api)[4]  # still answering
    assert sorted(p.name for p in corpus_dir.iterdir()) == [f"{ARTICLE_ID}.txt"]  # no trash either


async def test_refusals_reach_an_admin_in_the_language_of_their_telegram(
    api: FakeBotApi, corpus_dir: Path, site: Site
) -> None:
    undated = "Convoy Reaches Border\n\nA convoy reached the border after a night of driving.\n"
    async with admin_bot(api, corpus_dir, fetch_policy=LOCAL) as application:
        for path in ["/report.pdf", "/huge", "/chain/9", "/empty.html"]:
            api.say(f"/add {site.base}{path}", user_id=ADMIN, chat_id=ADMIN, language_code="ru")
        await api.wait_sent(4, within=60)
        send_document(api, "story.txt", undated.encode(), language_code="ru")  # read by the extraction process
        await api.wait_sent(5, within=30)
        send_document(api, "story.pdf", b"%PDF", language_code="ru")
        await api.wait_sent(6, within=30)
        assert len(application.bot_data.pending) == 0
    shown = texts(api)
    assert sorted(shown[:4]) == sorted(
        [
            "По этому адресу нет страницы, которую я могу прочитать (там application/pdf).",
            "Эта страница больше 5 МБ, поэтому загрузка остановлена.",
            "Эта страница перенаправляет больше 5 раз.",
            "На этой странице нет текста статьи, поэтому она не добавлена.",
        ]
    )
    assert shown[4] == "В этом файле нет даты публикации (строки «date ГГГГ-ММ-ДД»), поэтому он не добавлен."
    assert shown[5] == "Отклонено: story.pdf: пришлите файл .txt, .md или .html"
    assert sorted(p.name for p in corpus_dir.iterdir()) == [f"{ARTICLE_ID}.txt"]


async def test_a_non_admins_link_is_refused_and_nothing_is_fetched(
    api: FakeBotApi, corpus_dir: Path, site: Site
) -> None:
    async with admin_bot(api, corpus_dir, fetch_policy=LOCAL):
        api.say(f"/add {site.base}/news.html", user_id=STRANGER, chat_id=STRANGER)
        api.say(f"{site.base}/news.html", user_id=STRANGER, chat_id=STRANGER)
        await api.wait_sent(2)
    assert texts(api) == ["Only the bot's admins can add articles; send me your question as a message."] * 2
    assert site.asked == []


async def test_feed_items_reach_the_admins_once_even_after_a_restart(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([("Old story", f"{site.base}/old.html")]))
    feed_url = f"{site.base}/feed.xml"
    data_dir = tmp_path / "data"
    options = {"fetch_policy": LOCAL, "feeds": (feed_url,), "feed_interval": 3600.0}
    async with admin_bot(api, corpus_dir, data_dir, **options) as application:
        await api.wait_for(lambda: (data_dir / "feeds.json").exists(), within=30)  # the first reading
        site.pages["/feed.xml"] = (
            "application/rss+xml",
            feed([("Old story", f"{site.base}/old.html"), ("Convoy", f"{site.base}/news.html")]),
        )
        await FeedReader(application.bot_data).read_all()  # what the next interval does
        [preview] = await api.wait_sent(1, within=30)
        assert dict(buttons(preview)).keys() == {"Add", "Skip"}
        api.press(dict(buttons(preview))["Skip"], api.as_message(preview, 9100), user_id=ADMIN)
        await api.wait_sent(2)
    async with admin_bot(api, corpus_dir, data_dir, **options) as application:  # a restart
        await FeedReader(application.bot_data).read_all()
        site.pages["/feed.xml"] = ("application/rss+xml", "<rss><channel><item>broken")
        with caplog.at_level(logging.WARNING, logger="bot.feeds"):
            reader = FeedReader(application.bot_data)
            for _ in range(3):
                await reader.read_all()
            site.pages["/feed.xml"] = ("application/rss+xml", feed([("Convoy", f"{site.base}/news.html")]))
            await reader.read_all()
    assert texts(api)[0].startswith(f"New in {feed_url}:\n\nConvoy Reaches Border")
    assert texts(api)[1] == "Skipped; nothing changed."
    assert len(api.sent()) == 2  # never offered again, the restart included
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.feeds"]
    assert len([w for w in warnings if "fails" in w]) == 1
    assert len([w for w in warnings if "works again" in w]) == 1
    assert "/old.html" not in site.asked  # items there before the bot followed the feed are not fetched


async def test_ten_items_with_one_link_and_ten_guids_fetch_the_page_once_and_offer_it_once(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([]))
    feed_url = f"{site.base}/feed.xml"
    spellings = [
        f"HTTP://127.0.0.1:{site.port}/news.html#x",
        f"{site.base}/news.html/",
        *(f"{site.base}/news.html#part-{n}" for n in range(7)),
        f"{site.base}/news.html",  # the newest
    ]
    options = {"fetch_policy": LOCAL, "feeds": (feed_url,), "feed_interval": 3600.0}
    async with admin_bot(api, corpus_dir, tmp_path / "data", **options) as app:
        await api.wait_for(lambda: (tmp_path / "data" / "feeds.json").exists(), within=30)  # the first reading
        items = [(f"Convoy {n}", link) for n, link in enumerate(spellings)]
        site.pages["/feed.xml"] = ("application/rss+xml", feed(items, [f"guid-{n}" for n in range(10)]))
        reader = FeedReader(app.bot_data)
        await reader.read_all()
        [preview] = await api.wait_sent(1, within=30)
        items.append(("Convoy again", f"{site.base}/news.html/#later"))  # the same page under an eleventh GUID
        site.pages["/feed.xml"] = ("application/rss+xml", feed(items, [f"guid-{n}" for n in range(11)]))
        await reader.read_all()
        await FeedReader(app.bot_data).read_all()  # as after a restart
    assert preview["text"].startswith(f"New in {feed_url}:\n\nConvoy Reaches Border")
    assert len(api.sent()) == 1
    assert [path for path in site.asked if path != "/feed.xml"] == ["/news.html"]


async def test_auto_add_adds_new_items_and_tells_the_admins_once(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([]))
    options = {"fetch_policy": LOCAL, "feeds": (f"{site.base}/feed.xml",), "feed_interval": 0.2, "feed_auto_add": True}
    async with admin_bot(api, corpus_dir, tmp_path / "data", **options):
        await api.wait_for(lambda: (tmp_path / "data" / "feeds.json").exists(), within=30)
        site.pages["/feed.xml"] = ("application/rss+xml", feed([("Convoy", f"{site.base}/news.html")]))
        [told] = await api.wait_sent(1, within=30)  # the bot's own next reading
    assert told["text"].startswith(
        "Added from feeds:\n• Convoy Reaches Border: Saved 2024-11-08-convoy-reaches-border.txt."
    )
    assert (corpus_dir / "2024-11-08-convoy-reaches-border.txt").exists()


async def test_auto_added_items_are_reported_to_each_admin_in_theirs(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([]))
    options = {
        "fetch_policy": LOCAL,
        "feeds": (f"{site.base}/feed.xml",),
        "feed_interval": 3600.0,
        "feed_auto_add": True,
    }
    async with admin_bot(api, corpus_dir, tmp_path / "data", admin_ids=frozenset({ADMIN, 99}), **options) as app:
        await api.wait_for(lambda: (tmp_path / "data" / "feeds.json").exists(), within=30)
        api.say("/articles", user_id=ADMIN, chat_id=ADMIN, language_code="ru-RU")
        await api.wait_sent(1)
        site.pages["/feed.xml"] = ("application/rss+xml", feed([("Convoy", f"{site.base}/news.html")]))
        await FeedReader(app.bot_data).read_all()
        told = {int(message["chat_id"]): message["text"] for message in (await api.wait_sent(3, within=30))[1:]}
    name = "2024-11-08-convoy-reaches-border.txt"
    assert told[ADMIN].startswith(f"Добавлено из лент:\n• Convoy Reaches Border: Сохранён файл {name}.")
    assert told[99].startswith(f"Added from feeds:\n• Convoy Reaches Border: Saved {name}.")
    assert (corpus_dir / name).exists()


async def test_an_unreachable_admin_does_not_stop_the_feed_for_the_others(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([]))
    feed_url = f"{site.base}/feed.xml"
    options = {"fetch_policy": LOCAL, "feeds": (feed_url,), "feed_interval": 3600.0}
    async with admin_bot(api, corpus_dir, tmp_path / "data", admin_ids=frozenset({ADMIN, 99}), **options) as app:
        await api.wait_for(lambda: (tmp_path / "data" / "feeds.json").exists(), within=30)
        site.pages["/feed.xml"] = ("application/rss+xml", feed([("Convoy", f"{site.base}/news.html")]))
        api.fail_next("sendMessage", "400")  # admin 42 never started the bot
        with caplog.at_level(logging.WARNING, logger="bot.feeds"):
            await FeedReader(app.bot_data).read_all()
        await api.wait_for(lambda: any(int(s["chat_id"]) == 99 for s in api.sent()), within=30)
    assert any("could not tell admin 42" in r.getMessage() for r in caplog.records)


async def test_feed_items_are_offered_to_each_admin_in_the_language_last_seen(
    api: FakeBotApi, corpus_dir: Path, site: Site, tmp_path: Path
) -> None:
    site.pages["/feed.xml"] = ("application/rss+xml", feed([]))
    feed_url = f"{site.base}/feed.xml"
    options = {"fetch_policy": LOCAL, "feeds": (feed_url,), "feed_interval": 3600.0}
    async with admin_bot(api, corpus_dir, tmp_path / "data", admin_ids=frozenset({ADMIN, 99}), **options) as app:
        await api.wait_for(lambda: (tmp_path / "data" / "feeds.json").exists(), within=30)
        api.say("/articles", user_id=ADMIN, chat_id=ADMIN, language_code="en")
        api.say("/articles", user_id=ADMIN, chat_id=ADMIN, language_code="ru")  # the last word counts
        api.say("/articles", user_id=STRANGER, chat_id=STRANGER, language_code="ru")  # no admin: not kept
        await api.wait_sent(3)
        site.pages["/feed.xml"] = ("application/rss+xml", feed([("Convoy", f"{site.base}/news.html")]))
        await FeedReader(app.bot_data).read_all()
        offers = await api.wait_sent(5, within=30)
        assert app.bot_data.admin_languages == {ADMIN: "ru"}
    by_admin = {int(message["chat_id"]): message for message in offers[3:]}
    assert by_admin[ADMIN]["text"].startswith(f"Новое в {feed_url}:\n\nConvoy Reaches Border\nExample News, 2024-11-08")
    assert by_admin[ADMIN]["text"].endswith("Добавить её в корпус?")
    assert dict(buttons(by_admin[ADMIN])).keys() == {"Добавить", "Пропустить"}
    assert by_admin[99]["text"].startswith(f"New in {feed_url}:\n\nConvoy Reaches Border")  # never heard from: English
    assert dict(buttons(by_admin[99])).keys() == {"Add", "Skip"}


async def test_the_connector_itself_refuses_an_ip_literal_the_policy_forbids(site: Site) -> None:
    # Beneath the address check: aiohttp connects to an IP literal without asking the resolver.
    async with aiohttp.ClientSession(connector=GuardedConnector(FetchPolicy())) as session:
        with pytest.raises(FetchError, match="private network"):
            await session.get(f"{site.base}/news.html")
    assert site.asked == []


async def test_a_page_that_takes_too_long_to_read_is_stopped_and_the_loop_keeps_running(site: Site) -> None:
    attributes = " ".join(f"a{n}=x" for n in range(80_000))
    site.pages["/attributes.html"] = ("text/html", NEWS_PAGE.replace("<article>", f"<article {attributes}>"))
    site.pages["/paragraphs.html"] = ("text/html", NEWS_PAGE.replace("</article>", "<p>x</p>" * 20_001 + "</article>"))
    quick = FetchPolicy(allow_private=True, read_timeout=5.0, total_timeout=10.0, extract_seconds=1.0)
    beats = 0

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            await asyncio.sleep(0.05)
            beats += 1

    beating = asyncio.create_task(heartbeat())
    with pytest.raises(ExtractError, match=r"^That page took over 1 s to read, so I didn't add it\.$"):
        await article_from_link(f"{site.base}/attributes.html", quick)
    beating.cancel()
    assert beats > 0  # the event loop ran while the page was being read elsewhere
    with pytest.raises(ExtractError, match=r"^That page has over 20,000 paragraphs, so I didn't read it\.$"):
        await article_from_link(f"{site.base}/paragraphs.html", quick)
    # an ordinary page still reads (in its own process, within the default limit), with its metadata
    assert (await article_from_link(f"{site.base}/news.html", LOCAL)).article.title == "Convoy Reaches Border"

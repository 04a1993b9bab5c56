"""Admin work over the fake Bot API server: /reload, uploads, /remove, /articles, /stats."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.core.articles.fetch import FetchPolicy
from bot.core.articles.store import read_article, trash_listing
from bot.core.corpus import Article, CorpusError, format_article
from bot.core.serving import Index, open_index
from bot.telegram.state import BotConfig
from tests.conftest import ARTICLE_ID, CORPUS_DIR, RAW_CAPTURE
from tests.fake_bot_api import FakeBotApi
from tests.harness import running_bot
from tests.test_telegram import buttons, visible_text

ADMIN = 42
STRANGER = 7
NEW_ARTICLE = Article(
    "2024-11-07-troops-reach-the-border",
    "Troops Reach The Border",
    "2024-11-07",
    "Example News",
    "https://example.com/border",
    (
        "Officials said that the convoy of tanks reached the border crossing at dawn on Thursday.",
        "The governor praised the drivers and promised a parade.",
    ),
)
PAGE = """<html><head><title>Convoy Reaches Border</title>
<meta property="article:published_time" content="2024-11-08">
<meta property="og:site_name" content="Example News"></head>
<body><nav>Home | World | Sport</nav><article><h1>Convoy Reaches Border</h1>
<p>A convoy of armoured trucks reached the northern border crossing early on Friday, officials said.</p>
<p>The regional governor praised the drivers for their speed and promised them a medal ceremony.</p>
</article><footer>Subscribe to our newsletter for more stories like this one.</footer></body></html>"""


def attribute_bomb(count: int = 160_000) -> str:
    """PAGE with one tag of `count` attributes (1.5 MB): lxml holds the GIL over it for over a minute."""
    return PAGE.replace("<article>", "<article " + " ".join(f"a{n}=x" for n in range(count)) + ">")


BUILD_OPTIONS = {"load_engine", "merge_engine", "rate_limiter"}


def admin_bot(api: FakeBotApi, corpus_dir: Path, data_dir: Path | None = None, **options: Any) -> Any:
    """Run the bot with ADMIN as its admin over a corpus directory, for the length of a block.

    Options are build_application's (load_engine, merge_engine, rate_limiter) or BotConfig fields.
    """
    built = {key: value for key, value in options.items() if key in BUILD_OPTIONS}
    configured = {key: value for key, value in options.items() if key not in BUILD_OPTIONS}
    defaults: dict[str, Any] = {"admin_ids": frozenset({ADMIN}), "max_upload_bytes": 20_000}
    config = BotConfig(corpus_dir=corpus_dir, data_dir=data_dir, **(defaults | configured))
    return running_bot(api, open_index(corpus_dir), config, **built)


def add_file_and_reload(api: FakeBotApi, corpus_dir: Path) -> None:
    """Put NEW_ARTICLE's file in the corpus folder behind the bot's back, and have the admin /reload."""
    (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
    api.say("/reload", user_id=ADMIN, chat_id=ADMIN)


def texts(api: FakeBotApi) -> list[str]:
    return [visible_text(s["text"]) if s.get("parse_mode") == "HTML" else s["text"] for s in api.sent()]


def send_document(
    api: FakeBotApi,
    name: str,
    content: bytes,
    *,
    user_id: int = ADMIN,
    size: int | None = None,
    language_code: str | None = None,
) -> None:
    file_id = f"f{len(api.files)}"
    api.files[file_id] = content
    document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": size or len(content)}
    api.say(None, user_id=user_id, chat_id=user_id, extra={"document": document}, language_code=language_code)


@pytest.mark.parametrize("command", ["/reload", "/stats", "/articles", f"/remove {ARTICLE_ID}"])
async def test_non_admins_are_refused_and_logged(
    api: FakeBotApi, corpus_dir: Path, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = sorted(p.name for p in corpus_dir.iterdir())
    async with admin_bot(api, corpus_dir) as application:
        version = application.bot_data.live.corpus.version
        api.say(command, user_id=STRANGER, chat_id=STRANGER)
        [sent] = await api.wait_sent(1)
        assert application.bot_data.live.corpus.version == version
    assert sent["text"] == "Sorry, only the bot's admins can do that."
    assert sorted(p.name for p in corpus_dir.iterdir()) == before
    assert any(f"refused {command.split()[0]} from user {STRANGER}" in r.getMessage() for r in caplog.records)


async def test_non_admin_documents_are_told_only_admins_add_articles(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        send_document(api, "story.txt", format_article(NEW_ARTICLE).encode(), user_id=STRANGER)
        [sent] = await api.wait_sent(1)
    assert sent["text"] == "Only the bot's admins can add articles; send me your question as a message."
    assert api.sent("getFile") == []
    assert len(list(corpus_dir.iterdir())) == 1


async def test_admin_menu_is_scoped_to_admins(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        pass
    default, russian, admin, admin_russian = api.sent("setMyCommands")
    assert "scope" not in default
    assert "scope" not in russian
    assert russian["language_code"] == "ru"
    assert admin_russian["scope"] == {"type": "chat", "chat_id": ADMIN}
    assert admin_russian["language_code"] == "ru"
    assert {"reload": "Перечитать папку корпуса"}.items() <= {
        c["command"]: c["description"] for c in admin_russian["commands"]
    }.items()
    assert "reload" not in [c["command"] for c in default["commands"]]
    assert admin["scope"] == {"type": "chat", "chat_id": ADMIN}
    assert {"reload", "stats", "articles", "remove"} <= {c["command"] for c in admin["commands"]}


async def test_reload_reports_what_changed(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir) as application:
        old_version = application.bot_data.live.corpus.version
        add_file_and_reload(api, corpus_dir)
        [report] = await api.wait_sent(1)
        new_version = application.bot_data.live.corpus.version
        api.say("when did the convoy of tanks reach the border", user_id=ADMIN, chat_id=ADMIN)
        api.say("/source", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(3)
    assert report["text"].startswith("Reloaded: 2 articles, 12 passages.")
    assert f"Changes: added {NEW_ARTICLE.id}." in report["text"]
    assert f"Corpus version {new_version} (was {old_version})" in report["text"]
    answer = next(t for t in texts(api) if t.startswith("❓ when did the convoy"))
    assert "Troops Reach The Border, 2024-11-07, ¶1, sentence 1" in answer  # several articles: each cite names its own
    source = next(t for t in texts(api) if "Corpus version" in t and not t.startswith("Reloaded"))
    assert "Troops Reach The Border" in source
    assert "Russian Senators Ratify Defense Treaty" in source


async def test_a_button_from_before_a_reload_is_out_of_date(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        api.say("how many troops", user_id=5, chat_id=5)
        [before] = await api.wait_sent(1)
        add_file_and_reload(api, corpus_dir)
        await api.wait_for(lambda: any(text.startswith("Reloaded") for text in texts(api)))
        api.press(dict(buttons(before))["More context"], api.as_message(before, 7001), user_id=5)
        [callback] = await api.wait_sent(1, "answerCallbackQuery")
        assert callback["text"] == "This answer is out of date — ask again."
        assert callback["show_alert"] in (True, "true", "True")
        # The same question asked again gets buttons that work on the reloaded corpus.
        api.say("how many troops", user_id=5, chat_id=5)
        await api.wait_sent(3)
        after = api.sent()[2]
        api.press(dict(buttons(after))["More context"], api.as_message(after, 7002), user_id=5)
        await api.wait_sent(4)
        await api.wait_sent(2, "answerCallbackQuery")
    assert "10,000 troops" in texts(api)[3]  # the paragraph, on the new corpus
    assert "out of date" not in api.sent("answerCallbackQuery")[1].get("text", "")


async def test_an_added_article_is_answered_at_once_and_merged_once_left_alone(
    api: FakeBotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    grow = functools.partial(open_index, snapshots=tmp_path / "index", grow_from=0)  # any size grows
    merge = functools.partial(open_index, snapshots=tmp_path / "index", grow=False)
    question = "when did the convoy of tanks reach the border"
    caplog.set_level(logging.INFO)
    async with admin_bot(api, corpus_dir, load_engine=grow, merge_engine=merge) as application:
        data = application.bot_data
        data.reloader.merge_after = 0.5
        add_file_and_reload(api, corpus_dir)
        [report] = await api.wait_sent(1)
        grown = data.live
        assert grown.unmerged == 2
        api.say(question, user_id=5, chat_id=5)
        await api.wait_sent(2)
        await api.wait_for(lambda: data.live.unmerged == 0)
        assert data.live.corpus.version != grown.corpus.version
        api.say(question, user_id=5, chat_id=5)
        await api.wait_sent(3)
    assert f"Changes: added {NEW_ARTICLE.id}." in report["text"]
    first, second = texts(api)[1:]
    assert "Troops Reach The Border, 2024-11-07, ¶1, sentence 1" in first
    assert first == second
    assert any("removed 0 articles and added 1" in r.getMessage() for r in caplog.records)
    assert any("merged 2 passages added or removed since the last full build" in r.getMessage() for r in caplog.records)


def build_workers() -> list[int]:
    """Return the pids of this process's children running the index build (bot.core.serving.build)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "stat").read_text().split(") ")[1].split()[1] != str(os.getpid()):
                continue
            if b"bot.core.serving.build" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


async def test_a_merge_whose_worker_is_killed_leaves_the_updated_engine_serving_and_is_tried_again(
    api: FakeBotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """kill -9 of the merge's worker process (the out-of-memory killer, an operator): the engine
    updated by the change goes on answering, nothing half-built is loaded, and the merge is tried
    again later instead of never."""
    snapshots = tmp_path / "index"
    grow = functools.partial(open_index, snapshots=snapshots, grow_from=0)
    merge = functools.partial(open_index, snapshots=snapshots, grow=False, worker=True, worker_from=0)
    question = "when did the convoy of tanks reach the border"
    caplog.set_level(logging.INFO)
    async with admin_bot(api, corpus_dir, load_engine=grow, merge_engine=merge) as application:
        data = application.bot_data
        data.reloader.merge_after, data.reloader.merge_retry_after = 0.0, 0.2
        add_file_and_reload(api, corpus_dir)
        await api.wait_sent(1)
        grown = data.live
        await api.wait_for(lambda: bool(build_workers()))
        for pid in build_workers():
            os.kill(pid, signal.SIGKILL)
        await api.wait_for(lambda: any("merge not done" in r.getMessage() for r in caplog.records))
        assert data.live is grown  # still the updated engine
        api.say(question, user_id=5, chat_id=5)
        [_, answer] = await api.wait_sent(2)
        await api.wait_for(lambda: data.live.unmerged == 0, within=60)  # tried again, and merged
    assert "Troops Reach The Border, 2024-11-07, ¶1, sentence 1" in visible_text(answer["text"])
    killed = next(r.getMessage() for r in caplog.records if "merge not done" in r.getMessage())
    assert "the index build stopped" in killed
    assert "trying again in 0 s" in killed
    assert not list(snapshots.glob(".building-*"))


async def test_a_merge_is_dropped_when_the_corpus_changes_while_it_builds(
    api: FakeBotApi, corpus_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    building, release = threading.Event(), threading.Event()

    def slow_merge(directory: Path) -> Index:
        building.set()
        release.wait(timeout=20)
        return open_index(directory, grow=False)

    grow = functools.partial(open_index, grow_from=0)
    caplog.set_level(logging.INFO)
    async with admin_bot(api, corpus_dir, load_engine=grow, merge_engine=slow_merge) as application:
        data = application.bot_data
        data.reloader.merge_after = 0.0
        add_file_and_reload(api, corpus_dir)
        await api.wait_for(building.is_set)
        data.reloader.merging = None  # the merge under way is left to finish (a reload now would cancel it)
        (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(
            format_article(replace(NEW_ARTICLE, title="Troops Reach The Border Again")), encoding="utf-8"
        )
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(2)
        edited = data.live
        release.set()
        await api.wait_for(lambda: any("merge dropped" in r.getMessage() for r in caplog.records))
        # The edit's own merge (scheduled by its reload) may follow: either serves the edit.
        await api.wait_for(lambda: data.live.unmerged == 0)
        served = data.live
    assert edited.corpus.by_id[NEW_ARTICLE.id].title == "Troops Reach The Border Again"
    assert served.corpus.by_id[NEW_ARTICLE.id].title == "Troops Reach The Border Again"


async def test_broken_file_refuses_reload_and_old_corpus_serves(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir) as application:
        version = application.bot_data.live.corpus.version
        (corpus_dir / "broken.txt").write_text("title: Broken\n\nNo date here.", encoding="utf-8")
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN)
        [report] = await api.wait_sent(1)
        api.say("how many troops")
        await api.wait_sent(2)
        assert application.bot_data.live.corpus.version == version
    assert report["text"].startswith("Reload refused, the old corpus keeps serving:")
    assert f"{corpus_dir / 'broken.txt'}: header has no date" in report["text"]
    assert "10,000 troops" in texts(api)[1]


async def test_a_reload_is_refused_in_the_admins_language(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        (corpus_dir / "broken.txt").write_text("title: Broken\n\nNo date here.", encoding="utf-8")
        (corpus_dir / "link.txt").symlink_to("/etc/passwd")
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN, language_code="ru")
        [report] = await api.wait_sent(1)
    assert report["text"] == (
        "Перезагрузка отклонена, работает прежний корпус: "
        f"{corpus_dir / 'link.txt'}: символическая ссылка; файлы корпуса должны быть обычными файлами в самой папке; "
        f"{corpus_dir / 'broken.txt'}: в шапке нет поля date"
    )


async def test_questions_are_answered_while_a_slow_reload_runs(api: FakeBotApi, corpus_dir: Path) -> None:
    loads: list[tuple[float, float]] = []
    loading, release = threading.Event(), threading.Event()

    def slow_load(directory: Path, **_: Any) -> Index:
        started = time.monotonic()
        loading.set()
        release.wait(timeout=20)  # runs in a worker thread: the event loop keeps answering
        engine = open_index(directory)
        loads.append((started, time.monotonic()))
        return engine

    async with admin_bot(api, corpus_dir, load_engine=slow_load):
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN)
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN + 1)
        await api.wait_for(loading.is_set)
        for question in ["how many troops", "who signed the treaty", "where is kursk"]:
            api.say(question, user_id=5)
        await api.wait_sent(3)  # all answered while the first reload is still loading
        release.set()
        await api.wait_sent(5, within=20)
    order = texts(api)
    assert [t.startswith("❓") for t in order[:3]] == [True, True, True]
    assert all(t.startswith("Reloaded: 1 article,") for t in order[3:])
    (_, first_end), (second_start, _) = sorted(loads)
    assert second_start >= first_end  # two reloads at once are serialised


async def test_upload_confirm_then_answered(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        send_document(api, "../../../etc/passwd.txt", format_article(NEW_ARTICLE).encode())
        [preview] = await api.wait_sent(1)
        assert dict(buttons(preview)).keys() == {"Add", "Cancel"}
        api.press(dict(buttons(preview))["Add"], api.as_message(preview, 8000), user_id=ADMIN)
        await api.wait_sent(2)
        api.say("when did the convoy of tanks reach the border", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(3)
    description = preview["text"]
    assert description.startswith(
        "Troops Reach The Border\nExample News, 2024-11-07\nhttps://example.com/border\n2 paragraphs, 2 passages."
    )
    assert "Officials said that the convoy of tanks reached the border crossing" in description
    saved = texts(api)[1]
    assert saved.startswith(f"Saved {NEW_ARTICLE.id}.txt.\nReloaded: 2 articles")
    assert sorted(p.name for p in corpus_dir.iterdir()) == sorted([f"{ARTICLE_ID}.txt", f"{NEW_ARTICLE.id}.txt"])
    assert "at dawn on Thursday" in texts(api)[2]


async def test_upload_of_a_raw_capture_and_of_an_html_page(api: FakeBotApi, tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
    async with admin_bot(api, corpus_dir):
        send_document(api, "capture.txt", RAW_CAPTURE.read_bytes())
        [preview] = await api.wait_sent(1)
        api.press(dict(buttons(preview))["Add"], api.as_message(preview, 8001), user_id=ADMIN)
        await api.wait_sent(2)
        send_document(api, "page.html", PAGE.encode())
        preview_html = (await api.wait_sent(3))[2]
        api.press(dict(buttons(preview_html))["Add"], api.as_message(preview_html, 8002), user_id=ADMIN)
        await api.wait_sent(4)
        api.say("how many troops", user_id=ADMIN, chat_id=ADMIN)
        api.say("who promised a medal ceremony", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(6)
    assert preview["text"].startswith(
        "Russian Senators Ratify Defense Treaty With North Korea\nThe Moscow Times, 2024-11-06"
    )
    saved = read_article(corpus_dir / f"{ARTICLE_ID}.txt")
    assert saved == replace(read_article(CORPUS_DIR / f"{ARTICLE_ID}.txt"), questions=())  # the capture has none
    assert preview_html["text"].startswith("Convoy Reaches Border\nExample News, 2024-11-08\n2 paragraphs")
    assert "Subscribe" not in (corpus_dir / "2024-11-08-convoy-reaches-border.txt").read_text(encoding="utf-8")
    answers = texts(api)[4:]
    assert any("10,000 troops" in t for t in answers)
    assert any("medal ceremony" in t and "Convoy Reaches Border" in t for t in answers)


async def test_upload_of_an_existing_article_asks_to_replace(api: FakeBotApi, corpus_dir: Path) -> None:
    changed = Article(
        ARTICLE_ID,
        "Russian Senators Ratify Defense Treaty With North Korea",
        "2024-11-06",
        "The Moscow Times",
        None,
        ("Lawmakers voted on Wednesday to ratify the treaty.",),
    )
    async with admin_bot(api, corpus_dir):
        send_document(api, "again.md", format_article(changed).encode())
        [preview] = await api.wait_sent(1)
        assert "It is a new version of an article in the corpus: replace that one?" in preview["text"]
        api.press(dict(buttons(preview))["Cancel"], api.as_message(preview, 8003), user_id=ADMIN)
        await api.wait_sent(2)
        assert texts(api)[1] == "Cancelled; nothing changed."
        assert (corpus_dir / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8") != format_article(changed)
        send_document(api, "again.md", format_article(changed).encode())
        preview = (await api.wait_sent(3))[2]
        api.press(dict(buttons(preview))["Replace"], api.as_message(preview, 8004), user_id=ADMIN)
        await api.wait_sent(4)
    assert f"Changes: changed {ARTICLE_ID}." in texts(api)[3]
    assert (corpus_dir / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8") == format_article(changed)


@pytest.mark.parametrize(
    ("name", "content", "size", "reason"),
    [
        ("big.txt", b"x", 10_000_000, "Refused: big.txt is over 20 kB."),
        (
            "latin1.txt",
            "title: Café\ndate: 2024-01-01\n\nCafé.".encode("latin-1"),
            None,
            "Refused: latin1.txt: not UTF-8",
        ),
        (
            "empty.txt",
            b"date 2024-11-06 Support Us!\n\nJust a title",
            None,
            "This file has a title but no article text, so it was not added.",
        ),
        ("story.pdf", b"%PDF-1.4", None, "Refused: story.pdf: send a .txt, .md or .html file"),
        (
            "blank.html",
            PAGE.split("<body>")[0].encode() + b"<body><nav>Home</nav></body></html>",
            None,
            "This page has no article text, so it was not added.",
        ),
        (
            "undated.html",
            PAGE.replace('<meta property="article:published_time" content="2024-11-08">', "").encode(),
            None,
            "This page has no publication date, so it was not added.",
        ),
    ],
)
async def test_bad_uploads_are_refused_with_the_reason(
    api: FakeBotApi, corpus_dir: Path, name: str, content: bytes, size: int | None, reason: str
) -> None:
    async with admin_bot(api, corpus_dir):
        send_document(api, name, content, size=size)
        [sent] = await api.wait_sent(1)
    assert sent["text"].startswith(reason)
    assert "reply_markup" not in sent
    assert [p.name for p in corpus_dir.iterdir()] == [f"{ARTICLE_ID}.txt"]


@pytest.mark.parametrize("update", [False, True], ids=["built anew", "updated"])
async def test_remove_and_articles(api: FakeBotApi, corpus_dir: Path, update: bool) -> None:
    (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
    # Updated: the served engine has the article taken out, as a million-passage archive would.
    options: dict[str, Any] = {"load_engine": functools.partial(open_index, grow_from=0)} if update else {}
    async with admin_bot(api, corpus_dir, **options) as application:
        api.say("/articles", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(1)
        api.say(f"/remove {NEW_ARTICLE.id}", user_id=ADMIN, chat_id=ADMIN)
        [_, confirm] = await api.wait_sent(2)
        api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8005), user_id=STRANGER)
        await api.wait_sent(1, "answerCallbackQuery")
        api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8005), user_id=ADMIN)
        await api.wait_sent(3)
        api.say("/remove nothing-like-this", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(4)
        assert application.bot_data.live.unmerged == (2 if update else 0)
        api.say("when did the convoy of tanks reach the border", user_id=5, chat_id=5)
        [*_, answer] = await api.wait_sent(5)
        api.say("/articles", user_id=ADMIN, chat_id=ADMIN)
        [*_, after] = await api.wait_sent(6)
    assert "Troops Reach The Border" not in visible_text(answer["text"])
    assert "Troops Reach The Border" not in visible_text(after["text"])
    assert "1 article" in texts(api)[2]
    listing = texts(api)[0]
    assert (
        f"{ARTICLE_ID}\nRussian Senators Ratify Defense Treaty With North Korea (2024-11-06) — 10 passages" in listing
    )
    assert f"{NEW_ARTICLE.id}\nTroops Reach The Border (2024-11-07) — 2 passages" in listing
    assert confirm["text"] == "Remove “Troops Reach The Border”?"
    refused = api.sent("answerCallbackQuery")[0]
    assert refused["text"] == "Only the bot's admins can do that."
    assert texts(api)[2].startswith(f"Removed {NEW_ARTICLE.id}.txt. The old file is kept in the trash as ")
    assert "\nReloaded: 1 article," in texts(api)[2]
    assert texts(api)[3] == "No article 'nothing-like-this'; /articles lists them."
    assert [p.name for p in corpus_dir.iterdir() if not p.name.startswith(".")] == [f"{ARTICLE_ID}.txt"]
    [trashed] = (corpus_dir / ".trash").iterdir()  # no data directory here: a hidden trash folder
    assert trashed.name.endswith(f"-{NEW_ARTICLE.id}.txt")


async def test_stats_survive_a_restart(api: FakeBotApi, corpus_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with admin_bot(api, corpus_dir, data_dir):
        # One at a time: questions are answered in worker threads, and the list shows the latest wording.
        for count, question in enumerate(
            ["how many troops", "What is the capital of France?", "what is the capital of france"], start=1
        ):
            api.say(question, user_id=5)
            await api.wait_sent(count)
    async with admin_bot(api, corpus_dir, data_dir):
        api.say("/reload", user_id=ADMIN, chat_id=ADMIN)
        await api.wait_sent(4)
        api.say("/stats", user_id=ADMIN, chat_id=ADMIN)
        stats = (await api.wait_sent(5))[4]["text"]
    assert "Questions: 3 asked · 1 answered · 2 abstained" in stats
    assert "Answer time: median " in stats
    assert "Last reload: " in stats
    assert "2× what is the capital of france (last " in stats
    assert "1 article · 10 passages" in stats
    database = (data_dir / "stats.sqlite3").read_bytes()
    assert b"User5" not in database


async def test_a_confirmation_works_once(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        send_document(api, "story.txt", format_article(NEW_ARTICLE).encode())
        [preview] = await api.wait_sent(1)
        add = dict(buttons(preview))["Add"]
        api.press(add, api.as_message(preview, 8100), user_id=ADMIN)
        await api.wait_sent(2)
        api.press(add, api.as_message(preview, 8100), user_id=ADMIN)
        api.press(dict(buttons(preview))["Cancel"], api.as_message(preview, 8100), user_id=ADMIN)
        callbacks = await api.wait_sent(3, "answerCallbackQuery")
    assert [c.get("text") for c in callbacks[1:]] == ["This button no longer works."] * 2
    assert len(api.sent()) == 2
    assert texts(api)[1].startswith(f"Saved {NEW_ARTICLE.id}.txt.")


def test_pending_changes_are_typed() -> None:
    from bot.telegram.callbacks import ChangeKind, PendingChange

    with pytest.raises(ValueError, match="needs an article"):
        PendingChange(ChangeKind.ADD, NEW_ARTICLE.id)
    with pytest.raises(ValueError, match="needs no article"):
        PendingChange(ChangeKind.REMOVE, NEW_ARTICLE.id, NEW_ARTICLE)
    assert PendingChange(ChangeKind.REPLACE, NEW_ARTICLE.id, NEW_ARTICLE).article == NEW_ARTICLE


async def test_a_refused_reload_is_a_value_and_undoes_the_change(api: FakeBotApi, corpus_dir: Path) -> None:
    from bot.telegram.callbacks import ChangeKind, PendingChange
    from bot.telegram.changes import apply_change

    refuse = threading.Event()

    def load(directory: Path, **_: Any) -> Index:
        if refuse.is_set():
            raise CorpusError(f"{directory}: refused for the test")
        return open_index(directory)

    async with admin_bot(api, corpus_dir, load_engine=load) as application:
        refuse.set()
        outcome = await application.bot_data.reloader.reload()
        assert not outcome.reloaded
        assert outcome.report.startswith("Reload refused")
        text, _ = await apply_change(application.bot_data, PendingChange(ChangeKind.ADD, NEW_ARTICLE.id, NEW_ARTICLE))
    assert text.startswith(f"Saved {NEW_ARTICLE.id}.txt. Undone, because the reload failed.")
    assert [p.name for p in corpus_dir.iterdir()] == [f"{ARTICLE_ID}.txt"]


async def test_a_change_is_refused_while_the_directory_is_broken(api: FakeBotApi, tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", corpus_dir / f"{ARTICLE_ID}.md")  # kept as .md
    (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
    changed = replace(read_article(corpus_dir / f"{ARTICLE_ID}.md"), paragraphs=("Lawmakers voted again.",))
    async with admin_bot(api, corpus_dir, tmp_path / "data"):
        (corpus_dir / "broken.txt").write_text("title: Broken\n\nNo date here.", encoding="utf-8")
        send_document(api, "again.txt", format_article(changed).encode())
        [preview] = await api.wait_sent(1)
        api.press(dict(buttons(preview))["Replace"], api.as_message(preview, 8200), user_id=ADMIN)
        await api.wait_sent(2)
        (corpus_dir / "broken.txt").unlink()
        send_document(api, "again.txt", format_article(changed).encode())
        preview = (await api.wait_sent(3))[2]
        api.press(dict(buttons(preview))["Replace"], api.as_message(preview, 8201), user_id=ADMIN)
        await api.wait_sent(4)
    refusal, saved = texts(api)[1], texts(api)[3]
    assert refusal.startswith("Refused: the corpus directory must be fixed first:")
    assert "broken.txt: header has no date" in refusal
    assert saved.startswith(f"Saved {ARTICLE_ID}.md. The old file is kept in the trash as ")
    assert sorted(p.name for p in corpus_dir.iterdir()) == sorted([f"{ARTICLE_ID}.md", f"{NEW_ARTICLE.id}.txt"])
    assert read_article(corpus_dir / f"{ARTICLE_ID}.md").paragraphs == ("Lawmakers voted again.",)
    [trashed] = (tmp_path / "data" / "trash").iterdir()
    assert "Federation Council" in trashed.read_text(encoding="utf-8")
    open_index(corpus_dir)  # the bot can start on what is left


async def test_two_removals_confirmed_together_keep_one_article(api: FakeBotApi, corpus_dir: Path) -> None:
    (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
    async with admin_bot(api, corpus_dir):
        api.say(f"/remove {ARTICLE_ID}", user_id=ADMIN, chat_id=ADMIN)
        api.say(f"/remove {NEW_ARTICLE.id}", user_id=ADMIN, chat_id=ADMIN)
        confirms = await api.wait_sent(2)
        for number, confirm in enumerate(confirms):
            api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8300 + number), user_id=ADMIN)
        await api.wait_sent(4)
    outcomes = sorted(texts(api)[2:])
    assert outcomes[0].startswith("Refused: that would leave the corpus without articles")
    assert outcomes[1].startswith("Removed ")
    assert len(list(corpus_dir.glob("*.txt"))) == 1
    open_index(corpus_dir)


def test_written_files_are_readable_and_keep_the_mode_of_the_file_they_replace(tmp_path: Path) -> None:
    from bot.core.articles.store import put_article

    first = put_article(tmp_path, NEW_ARTICLE, trash=tmp_path / "trash", replace=False)
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o644
    first.path.chmod(0o640)
    again = put_article(tmp_path, replace(NEW_ARTICLE, title="New title"), trash=tmp_path / "trash", replace=True)
    assert again.path == first.path
    assert stat.S_IMODE(again.path.stat().st_mode) == 0o640


async def test_questions_are_answered_while_an_upload_is_read(
    api: FakeBotApi, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.telegram.handlers.admin as admin

    reading, release = threading.Event(), threading.Event()
    prepare = admin.prepare_report

    def slow_prepare(directory: Path, report: Any, *rest: Any) -> Any:
        reading.set()
        release.wait(timeout=20)  # a big file being split into sentences
        return prepare(directory, report, *rest)

    monkeypatch.setattr(admin, "prepare_report", slow_prepare)
    async with admin_bot(api, corpus_dir):
        send_document(api, "story.txt", format_article(NEW_ARTICLE).encode())
        await api.wait_for(reading.is_set)
        api.say("how many troops", user_id=5, chat_id=5)
        [answer] = await api.wait_sent(1)  # answered while the upload is still being read
        release.set()
        await api.wait_sent(2)
    assert "10,000 troops" in visible_text(answer["text"])
    assert texts(api)[1].startswith("Troops Reach The Border")


async def test_an_uploaded_page_is_read_in_another_process_and_stopped_at_the_time_limit(
    api: FakeBotApi, corpus_dir: Path
) -> None:
    # An upload used to be read on a thread of the bot's own process, with no time limit: this page
    # held the GIL, and so every chat, for over a minute, and was then offered as an article.
    before = sorted(p.name for p in corpus_dir.iterdir())
    policy = FetchPolicy(extract_seconds=6.0)
    async with admin_bot(api, corpus_dir, max_upload_bytes=2_000_000, fetch_policy=policy):
        send_document(api, "bomb.html", attribute_bomb().encode())
        await api.wait_sent(1, "getFile")
        await asyncio.sleep(1.5)  # downloaded, and being read
        asked = time.monotonic()
        api.say("how many troops", user_id=5, chat_id=5)
        [answer] = await api.wait_sent(1, within=20)
        waited = time.monotonic() - asked
        [_, refused] = await api.wait_sent(2, within=30)
        print(f"answered {waited:.2f} s after asking, during the upload's reading")
    assert int(answer["chat_id"]) == 5, answer  # another chat is answered while the upload is read ...
    assert "10,000 troops" in visible_text(answer["text"])
    assert waited < 4.0  # ... at once, not after it (the reading's limit is 6 s)
    assert int(refused["chat_id"]) == ADMIN
    assert refused["text"] == "That file took over 6 s to read, so I didn't add it."
    assert sorted(p.name for p in corpus_dir.iterdir()) == before
    assert api.sent("sendMessage")[1:] == [refused]  # no preview, no buttons


async def test_an_upload_over_the_paragraph_cap_is_refused_as_a_link_is(api: FakeBotApi, corpus_dir: Path) -> None:
    before = sorted(p.name for p in corpus_dir.iterdir())
    long_page = PAGE.replace("</article>", "<p>x</p>" * 20_001 + "</article>")
    async with admin_bot(api, corpus_dir, max_upload_bytes=2_000_000):
        send_document(api, "long.html", long_page.encode())
        [sent] = await api.wait_sent(1, within=60)
    assert sent["text"] == "That file has over 20,000 paragraphs, so I didn't read it."
    assert sorted(p.name for p in corpus_dir.iterdir()) == before


def russian(title: str, body: str, date: str = "2024-11-10") -> bytes:
    return f"title: {title}\ndate: {date}\nsource: Пример\n\n{body}\n".encode()


async def test_ids_never_collide_and_replace_means_the_same_story(api: FakeBotApi, corpus_dir: Path) -> None:
    first = russian("Сенаторы одобрили договор", "Сенаторы одобрили договор в среду.")
    second = russian("Войска прибыли к границе", "Войска прибыли к границе утром.")
    emoji = "title: 🔥🔥🔥\ndate: 2024-11-10\n\nFire crews were busy all night.\n".encode()
    clash = b"title: Senators Ratify Defense Treaty\ndate: 2024-11-06\n\nA different story entirely.\n"
    (corpus_dir / "2024-11-06-senators-ratify-defense-treaty.txt").write_text(
        format_article(replace(NEW_ARTICLE, id="x", title="Senators ratify defense treaty!", date="2024-11-06")),
        encoding="utf-8",
    )
    async with admin_bot(api, corpus_dir):
        for number, upload in enumerate([first, second, emoji, clash, first]):
            send_document(api, f"u{number}.txt", upload)
            preview = (await api.wait_sent(2 * number + 1))[-1]
            label = "Replace" if number == 4 else "Add"
            assert label in dict(buttons(preview)), preview["text"]
            api.press(dict(buttons(preview))[label], api.as_message(preview, 8400 + number), user_id=ADMIN)
            await api.wait_sent(2 * number + 2)
    names = sorted(p.name for p in corpus_dir.glob("*.txt"))
    assert "2024-11-10-senatory-odobrili-dogovor.txt" in names  # transliterated, not "2024-11-10"
    assert "2024-11-10-voyska-pribyli-k-granitse.txt" in names
    assert "2024-11-10-fire-fire-fire.txt" in names  # emoji have names
    clashed = [n for n in names if n.startswith("2024-11-06-senators-ratify-defense-treaty-")]
    assert len(clashed) == 1  # the same slug, a different story: a hash keeps both
    assert len(names) == 6  # shipped, the existing one, and four new: nothing overwritten


def test_the_trash_keeps_an_old_file_for_thirty_days_from_when_it_was_trashed(tmp_path: Path) -> None:
    from bot.core.articles.store import put_article, take_article

    corpus, trash = tmp_path / "corpus", tmp_path / "trash"
    shutil.copytree(CORPUS_DIR, corpus)
    put_article(corpus, NEW_ARTICLE, trash=trash, replace=False)
    old = corpus / f"{NEW_ARTICLE.id}.txt"
    forty_days_ago = time.time() - 40 * 86400
    os.utime(old, (forty_days_ago, forty_days_ago))
    removed = take_article(corpus, NEW_ARTICLE.id, trash=trash)
    assert removed.trashed is not None
    put_article(corpus, NEW_ARTICLE, trash=trash, replace=False)
    put_article(corpus, replace(NEW_ARTICLE, title="New title"), trash=trash, replace=True)  # prunes the trash
    assert removed.trashed.exists()
    assert len(trash_listing(trash)) == 2


def test_the_trash_deletes_what_entered_it_more_than_thirty_days_ago(tmp_path: Path) -> None:
    from bot.core.articles.store import put_article

    corpus, trash = tmp_path / "corpus", tmp_path / "trash"
    shutil.copytree(CORPUS_DIR, corpus)
    trash.mkdir()

    def entry(days_ago: float, name: str) -> Path:
        stamp = time.gmtime(time.time() - days_ago * 86400)
        path = trash / f"{time.strftime('%Y%m%dT%H%M%S', stamp)}.000000-{name}"
        path.write_text("old", encoding="utf-8")
        return path

    gone, kept = entry(30.01, "a.txt"), entry(29.99, "b.txt")
    notes = trash / "notes.txt"  # a file the trash did not name stays, whatever its age
    notes.write_text("mine", encoding="utf-8")
    os.utime(notes, (0, 0))
    put_article(corpus, NEW_ARTICLE, trash=trash, replace=False)
    put_article(corpus, replace(NEW_ARTICLE, title="New title"), trash=trash, replace=True)  # a trashing prunes
    assert not gone.exists()
    assert kept.exists()
    assert notes.exists()
    assert len(trash_listing(trash)) == 3  # the one kept, the replaced file and the notes


async def test_articles_trash_lists_what_was_removed(api: FakeBotApi, corpus_dir: Path) -> None:
    async with admin_bot(api, corpus_dir):
        api.say("/articles trash", user_id=ADMIN, chat_id=ADMIN)
        [empty] = await api.wait_sent(1)
        add_file_and_reload(api, corpus_dir)
        await api.wait_sent(2)
        api.say(f"/remove {NEW_ARTICLE.id}", user_id=ADMIN, chat_id=ADMIN)
        [*_, confirm] = await api.wait_sent(3)
        api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8105), user_id=ADMIN)
        await api.wait_sent(4)
        api.say("/articles trash", user_id=ADMIN, chat_id=ADMIN)
        [*_, listing] = await api.wait_sent(5)
    assert "The trash is empty." in visible_text(empty["text"])
    [trashed] = (corpus_dir / ".trash").iterdir()
    assert trashed.name in visible_text(listing["text"])


def test_the_pending_store_keeps_the_newest_256_changes() -> None:
    from bot.telegram.callbacks import ChangeKind, PendingChange, PendingStore

    store = PendingStore()
    tokens = [store.add(PendingChange(ChangeKind.REMOVE, f"a-{n}"), ADMIN) for n in range(300)]
    assert len(store) == 256
    assert all(store.take(token) is None for token in tokens[:44])  # the oldest went first
    assert [entry.change.article_id for entry in map(store.take, tokens[44:]) if entry] == [
        f"a-{n}" for n in range(44, 300)
    ]


def test_two_changes_in_one_second_never_share_a_trash_entry(tmp_path: Path) -> None:
    from bot.core.articles.store import put_article

    corpus, trash = tmp_path / "corpus", tmp_path / "trash"
    shutil.copytree(CORPUS_DIR, corpus)
    put_article(corpus, NEW_ARTICLE, trash=trash, replace=False)
    versions = [
        replace(NEW_ARTICLE, paragraphs=(*NEW_ARTICLE.paragraphs, f"Version {n} adds this sentence.")) for n in (2, 3)
    ]
    entries = [put_article(corpus, version, trash=trash, replace=True).trashed for version in versions]
    assert entries[0] != entries[1]
    assert [path.read_text(encoding="utf-8") for path in trash_listing(trash)[::-1]] == [
        format_article(NEW_ARTICLE),
        format_article(versions[0]),
    ]


@contextlib.contextmanager
def small_disk(path: Path, size: str = "256k") -> Iterator[Path]:
    """A real file system of `size` mounted at path (tmpfs), unmounted after; skipped where mounting is not
    allowed (the tests using it run with an injected fault as well, DiskFault)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(directory: Path) -> Path:
    """Fill the file system holding directory until it has no space left; return the filler file."""
    filler = directory / "filler.bin"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError, match="No space left on device"):  # noqa: PT012 -- writes until it is full
            while True:
                os.write(handle, b"\0" * 4096)
    finally:
        os.close(handle)
    return filler


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


class DiskFault:
    """File system calls under a folder failing with one errno while `on`: the full or read-only disk of
    the tests below, injected where no small file system can be mounted (the calls the store makes to
    write: creating files, fsync, rename, unlink)."""

    def __init__(self, root: Path, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.code, self.on = str(root.resolve()) + os.sep, code, False
        real_open, real_fsync, real_unlink, real_replace = os.open, os.fsync, os.unlink, os.replace

        def under(path: Any) -> bool:
            return self.on and os.path.abspath(os.fsdecode(path)).startswith(self.root)

        def fail(path: Any) -> None:
            raise OSError(self.code, os.strerror(self.code), os.fsdecode(path))

        def open_(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
            if self.code == errno.EROFS and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and under(path):
                fail(path)
            return real_open(path, flags, mode, dir_fd=dir_fd)

        def fsync(fd: int) -> None:  # a full disk shows when the data must reach it
            if self.code == errno.ENOSPC and under(where := os.readlink(f"/proc/self/fd/{fd}")):
                fail(where)
            real_fsync(fd)

        def unlink(path: Any, *, dir_fd: int | None = None) -> None:
            if self.code == errno.EROFS and under(path):
                fail(path)
            real_unlink(path, dir_fd=dir_fd)

        def replace(source: Any, target: Any, **kwargs: Any) -> None:
            if self.code == errno.EROFS and (under(source) or under(target)):
                fail(target)
            real_replace(source, target, **kwargs)

        for name, fake in [("open", open_), ("fsync", fsync), ("unlink", unlink), ("replace", replace)]:
            monkeypatch.setattr(os, name, fake)


@pytest.mark.parametrize("disk_kind", ["tmpfs", "injected"])
async def test_a_full_disk_changes_nothing_and_the_button_works_again(
    api: FakeBotApi, tmp_path: Path, disk_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_disk(tmp_path / "disk") if disk_kind == "tmpfs" else contextlib.nullcontext(tmp_path / "disk") as disk:
        disk.mkdir(exist_ok=True)
        corpus_dir, data_dir = disk / "corpus", disk / "data"
        corpus_dir.mkdir()
        shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", corpus_dir)
        changed = replace(read_article(corpus_dir / f"{ARTICLE_ID}.txt"), paragraphs=("Lawmakers voted again.",))
        fault = DiskFault(disk, errno.ENOSPC, monkeypatch)
        async with admin_bot(api, corpus_dir, data_dir):
            send_document(api, "again.txt", format_article(changed).encode())
            [preview] = await api.wait_sent(1)
            if disk_kind == "tmpfs":
                filler = fill(disk)
            fault.on = disk_kind == "injected"
            api.press(dict(buttons(preview))["Replace"], api.as_message(preview, 8500), user_id=ADMIN)
            await api.wait_sent(2)
            before = sorted(p.name for p in corpus_dir.iterdir())
            trash = list((data_dir / "trash").iterdir()) if (data_dir / "trash").exists() else []
            if disk_kind == "tmpfs":
                filler.unlink()
            fault.on = False
            api.press(dict(buttons(preview))["Replace"], api.as_message(preview, 8500), user_id=ADMIN)
            await api.wait_sent(3)
            after = read_article(corpus_dir / f"{ARTICLE_ID}.txt")
    refusal, saved = texts(api)[1], texts(api)[2]
    assert (
        refusal
        == "Could not save the change: the disk is full. Nothing changed. Press the button again once that is fixed."
    )
    assert before == [f"{ARTICLE_ID}.txt"]  # no temporary file left behind
    assert trash == []  # and no trash entry that looks restorable
    assert saved.startswith(f"Saved {ARTICLE_ID}.txt.")
    assert after.paragraphs == ("Lawmakers voted again.",)


@pytest.mark.parametrize("disk_kind", ["tmpfs", "injected"])
async def test_a_read_only_corpus_changes_nothing_and_the_button_works_again(
    api: FakeBotApi, tmp_path: Path, disk_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        small_disk(tmp_path / "disk", "1m") if disk_kind == "tmpfs" else contextlib.nullcontext(tmp_path / "disk")
    ) as disk:
        disk.mkdir(exist_ok=True)
        corpus_dir = disk / "corpus"
        corpus_dir.mkdir()
        shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", corpus_dir)
        (corpus_dir / f"{NEW_ARTICLE.id}.txt").write_text(format_article(NEW_ARTICLE), encoding="utf-8")
        fault = DiskFault(disk, errno.EROFS, monkeypatch)
        async with admin_bot(api, corpus_dir, tmp_path / "data"):
            if disk_kind == "tmpfs":
                await asyncio.to_thread(remount, disk, "ro")
            fault.on = disk_kind == "injected"
            api.say(f"/remove {NEW_ARTICLE.id}", user_id=ADMIN, chat_id=ADMIN)
            [confirm] = await api.wait_sent(1)
            api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8600), user_id=ADMIN)
            await api.wait_sent(2)
            trash = list((tmp_path / "data" / "trash").iterdir())
            if disk_kind == "tmpfs":
                await asyncio.to_thread(remount, disk, "rw")
            fault.on = False
            api.press(dict(buttons(confirm))["Remove"], api.as_message(confirm, 8600), user_id=ADMIN)
            await api.wait_sent(3)
            left = sorted(p.name for p in corpus_dir.iterdir())
    refusal, removed = texts(api)[1], texts(api)[2]
    assert refusal.startswith("Could not save the change: the corpus folder is on a read-only disk. Nothing changed.")
    assert trash == []  # the refused remove left no copy in the trash
    assert removed.startswith(f"Removed {NEW_ARTICLE.id}.txt.")
    assert left == [f"{ARTICLE_ID}.txt"]


async def test_other_peoples_answers_never_push_out_an_admins_confirmation(api: FakeBotApi, corpus_dir: Path) -> None:
    # python-telegram-bot's callback-data cache keeps the newest 1,024 keyboards; every answer has one.
    async with admin_bot(api, corpus_dir, rate_limiter=False):
        send_document(api, "new.txt", format_article(NEW_ARTICLE).encode())
        [preview] = await api.wait_sent(1)
        for user in range(1_100):
            api.say("how many troops", user_id=1_000 + user, chat_id=1_000 + user)
        await api.wait_sent(1_101, within=120)
        api.press(dict(buttons(preview))["Add"], api.as_message(preview, 8700), user_id=ADMIN)
        await api.wait_for(lambda: any(int(s["chat_id"]) == ADMIN for s in api.sent()[1:]), within=30)
    [saved] = [t for s, t in zip(api.sent(), texts(api), strict=True) if int(s["chat_id"]) == ADMIN][1:]
    assert saved.startswith(f"Saved {NEW_ARTICLE.id}.txt.")


async def test_a_failed_merge_is_tried_again_after_ten_minutes_doubling_to_at_most_a_day(
    engine: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    from bot.core.serving import BuildFailedError
    from bot.core.serving import reloader as reloading
    from bot.core.serving.reloader import Reloader

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:  # the schedule is read, not waited through
        waits.append(seconds)

    # The merge's own clock only: everything else in the module keeps the real asyncio.
    monkeypatch.setattr(reloading, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": no_wait}))
    tries = 0

    def failing_merge(directory: Path) -> Index:
        nonlocal tries
        tries += 1
        if tries > 12:
            raise CorpusError("stop here")  # a broken file: no retry
        raise BuildFailedError("the worker was killed")

    reloader = Reloader(tmp_path, engine, merge=failing_merge)
    reloader.merge_later(after=60.0)
    for _ in range(3000):
        if tries > 12:
            break
        await asyncio.sleep(0.01)
    assert waits == [
        60.0,
        600.0,
        1200.0,
        2400.0,
        4800.0,
        9600.0,
        19200.0,
        38400.0,
        76800.0,
        86400.0,
        86400.0,
        86400.0,
        86400.0,
    ]
    assert reloader.merge_failures == 12
    reloader.stop()

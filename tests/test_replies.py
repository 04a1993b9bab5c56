"""Every reply fits one Telegram message: at most 4,096 characters after entity parsing, balanced HTML
of Telegram's own tags only — whatever the number of articles, the length of a passage or a question."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.core.answer import linked
from bot.core.corpus import Article, format_article
from bot.core.messages import for_reader
from bot.core.serving import open_index
from bot.telegram.replies import fit, pages, visible_length
from bot.telegram.state import BotConfig
from tests.fake_bot_api import FakeBotApi
from tests.harness import running_bot
from tests.test_telegram import buttons

ADMIN = 42
LIMIT = 4096
# The tags Telegram's HTML parse mode accepts (Bot API, "HTML style"), written out here, not imported.
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler", "blockquote"}
)


class Strict(HTMLParser):
    """What Telegram's HTML parser accepts: its tags, balanced; and the text it would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, tag
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def shown(message: dict[str, Any]) -> str:
    """Return what Telegram would show of a sent text, failing on anything it would refuse."""
    text = str(message["text"])
    if message.get("parse_mode") != "HTML":
        return text
    parser = Strict()
    parser.feed(text)
    parser.close()
    assert parser.open == []
    return parser.text


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b> " + "word " * 2000,
        "<i>" + "&amp;" * 5000 + "</i>",
        "<b>" + "\ufdfa" * 5000 + "</b>",
        "😀" * 3000,  # two UTF-16 units each
        "<a href='x'>" + "long " * 1000 + "</a><code>tail</code>",
        "<script>not a Telegram tag</script> <b>kept</b>",
    ],
)
def test_fit_keeps_any_html_within_one_message(text: str) -> None:
    fitted = fit(text)
    visible = shown({"text": fitted, "parse_mode": "HTML"})
    assert visible_length(visible) <= LIMIT
    if (
        visible_length(shown({"text": text.replace("<script>", "").replace("</script>", ""), "parse_mode": "HTML"}))
        > LIMIT
    ):
        assert visible.endswith("…")


def test_pages_hold_every_item_once() -> None:
    items = [f"<b>Article {n}</b>\n" + "x" * 300 for n in range(60)]
    grouped = pages(items)
    assert len(grouped) > 1
    assert "\n\n".join(grouped) == "\n\n".join(items)
    assert all(visible_length(page) <= LIMIT for page in grouped)


def many_articles(directory: Path) -> None:
    long_sentence = "Troops " + " ".join(["marched along the <long> & winding road"] * 130) + "."
    for n in range(60):
        title = f"Article number {n} with a rather long title about troops, treaties and {'words ' * 10}"
        paragraphs = (f"Troops arrived in town number {n} on Monday.", long_sentence if n == 0 else "Nothing else.")
        article = Article(f"2024-01-{n:02d}-a", title, "2024-01-01", "Source", f"https://example.com/{n}", paragraphs)
        (directory / f"{article.id}.txt").write_text(format_article(article), encoding="utf-8")


ENGLISH = {
    "reloaded": "Reloaded: ",
    "added": "added 60: ",
    "more": " and 50 more.",
    "articles": "61 articles",
    "page 1": "Page 1 of",
    "page 2": "Page 2 of",
    "corpus": "Corpus ",
    "questions": "Questions: ",
}
RUSSIAN = {
    "reloaded": "Перезагружено: ",
    "added": "добавлено 60: ",
    "more": " и ещё 50.",
    "articles": "61 статья",
    "page 1": "Страница 1 из",
    "page 2": "Страница 2 из",
    "corpus": "Корпус ",
    "questions": "Вопросы: ",
}


@pytest.mark.parametrize("language_code", [None, "ru"])
async def test_every_reply_kind_fits_with_sixty_articles(
    api: FakeBotApi, tmp_path: Path, language_code: str | None
) -> None:
    say = for_reader(language_code)
    corpus_dir, data_dir = tmp_path / "corpus", tmp_path / "data"
    corpus_dir.mkdir()
    first = Article("2024-01-99-first", "First", "2024-01-01", "S", None, ("Troops arrived first.",))
    (corpus_dir / "2024-01-99-first.txt").write_text(format_article(first), encoding="utf-8")
    config = BotConfig(admin_ids=frozenset({ADMIN}), corpus_dir=corpus_dir, data_dir=data_dir, top_k=5)
    async with running_bot(api, open_index(corpus_dir), config):
        many_articles(corpus_dir)
        commands = ["/reload", "/start", "/help", "/source", "/articles", "troops marched along the long winding road"]
        # In Russian too: the passages nearest in meaning under a Russian heading naming what may be missing,
        # and a refusal naming countries never mentioned.
        commands += ["Что Войска Маршировали Вдоль Дороги Лаврова?" * 3, "Что сказали Китай, Япония, Иран и Беларусь?"]
        for command in commands:
            api.say(command, user_id=ADMIN, chat_id=ADMIN, language_code=language_code)
            # A bound for failing, not a speed: the reload embeds sixty articles (over 10 s on a busy machine).
            await api.wait_sent(len(api.sent()) + 1, within=120)
        for _ in range(3):
            api.say(
                "\ufdfa" * 40 + " what about the weather" * 11 + "?", user_id=7, chat_id=7, language_code=language_code
            )
        await api.wait_sent(len(api.sent()) + 3)
        api.say("/stats", user_id=ADMIN, chat_id=ADMIN, language_code=language_code)
        await api.wait_sent(len(api.sent()) + 1)
        sent = api.sent()
        answer = next(s for s in sent if s["text"].startswith("❓ <i>troops marched"))
        more, next_page = say.gettext("More context"), say.gettext("Next ›")
        api.press(dict(buttons(answer))[more], api.as_message(answer, 9100), user_id=ADMIN, language_code=language_code)
        await api.wait_sent(len(sent) + 1)
        for listing in [s for s in sent if "reply_markup" in s and next_page in dict(buttons(s))]:
            api.press(
                dict(buttons(listing))[next_page],
                api.as_message(listing, 9200),
                user_id=ADMIN,
                language_code=language_code,
            )
        await api.wait_sent(2, "editMessageText")
        api.inline("troops marched", user_id=ADMIN, language_code=language_code)
        [inline] = await api.wait_sent(1, "answerInlineQuery")
    messages = api.sent() + api.sent("editMessageText")
    assert len(messages) >= 15
    for message in messages:
        assert visible_length(shown(message)) <= LIMIT, shown(message)[:200]
    for result in inline["results"]:
        assert (
            visible_length(shown({"text": result["input_message_content"]["message_text"], "parse_mode": "HTML"}))
            <= LIMIT
        )
    texts = [shown(m) for m in messages]
    words = RUSSIAN if language_code == "ru" else ENGLISH
    report = next(t for t in texts if t.startswith(words["reloaded"]))
    assert words["added"] in report
    assert words["more"] in report
    assert words["articles"] in report
    assert any("в ней не упоминаются «Китай», «Япония», «Иран» или «Беларусь»" in t for t in texts)
    assert any("собственный английский текст статьи" in t for t in texts)
    assert any(words["page 1"] in t for t in texts)
    assert any(words["page 2"] in t for t in texts)
    stats = next(t for t in texts if t.startswith(words["corpus"]) and words["questions"] in t)
    assert "\ufdfa" in stats  # the question as typed, capped


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.com/a?b=1&c=2", '<a href="https://example.com/a?b=1&amp;c=2">T</a>'),
        ("javascript:alert(1)", "T"),
        ("ftp://example.com/a", "T"),
        ("https://exa mple.com", "T"),
        ('https://example.com/"><b>', '<a href="https://example.com/&quot;&gt;&lt;b&gt;">T</a>'),
        ("http://[::1", "T"),  # urlsplit raises on it: never a link, never a failed reply
        (" https://example.com", "T"),
    ],
)
def test_only_plain_web_addresses_become_links(url: str, link: str) -> None:
    # Telegram refuses a message whose link has another scheme; a corpus file's url: line can hold anything.
    assert linked("T", url) == link

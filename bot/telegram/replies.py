"""The texts the bot sends, each fitted into one Telegram message (4,096 characters, valid HTML)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot.core.answer import TELEGRAM_LIMIT, cite, format_html, messages_for, not_found_text
from bot.core.answering.results import SearchResult
from bot.core.corpus import CAPTION_PARAGRAPH
from bot.core.messages import ENGLISH, Messages
from bot.core.serving import Index
from bot.telegram.callbacks import ListPage, MoreContext, MoreResults

QUESTION_MARK = "❓ "


def answer_markup(
    result: SearchResult, engine: Index, *, shown: int, offset: int, more: bool, say: Messages = ENGLISH
) -> InlineKeyboardMarkup:
    """Return the buttons under an answer: context of its first passage shown, and further results."""
    version = engine.corpus.version
    context = MoreContext(version, result.hits[offset].position)
    row = [InlineKeyboardButton(say.gettext("More context"), callback_data=context)]
    if more:
        next_page = MoreResults(version, result.question, offset + shown)
        row.append(InlineKeyboardButton(say.gettext("More results"), callback_data=next_page))
    return InlineKeyboardMarkup([row])


def answer_reply(
    result: SearchResult, engine: Index, *, k: int, offset: int = 0, say: Messages | None = None
) -> dict[str, Any]:
    """Return the text, parse mode and buttons of the answer to a question, from `offset` on, `k` hits
    a page; the bot's own words in `say`'s language (by default the question's)."""
    say = messages_for(result, say)
    head = f"{QUESTION_MARK}<i>{html.escape(result.question)}</i>\n\n"
    if not result.answered or offset >= len(result.hits):
        text = (
            html.escape(not_found_text(result, engine.example_questions(), say))
            if not result.answered
            else say.gettext("No more passages match this question.")
        )
        return {"text": head + text, "parse_mode": ParseMode.HTML}
    page = replace(result, hits=result.hits[offset : offset + k])
    body, shown = format_html(
        page, engine.corpus, limit=TELEGRAM_LIMIT - len(head), first_number=offset + 1, messages=say
    )
    more = offset + shown < len(result.hits)
    markup = answer_markup(result, engine, shown=shown, offset=offset, more=more, say=say)
    return {"text": head + body, "parse_mode": ParseMode.HTML, "reply_markup": markup}


def context_html(engine: Index, passage_number: int, say: Messages = ENGLISH) -> str:
    """Return a passage inside its paragraph, the passage itself in bold; a long paragraph is trimmed
    around the passage (whole words, marked …), never inside a tag or inside the passage."""
    passage = engine.corpus.passages[passage_number]
    article = engine.corpus.by_id[passage.article_id]
    paragraph = article.caption if passage.paragraph == CAPTION_PARAGRAPH else article.paragraphs[passage.paragraph - 1]
    before, after = paragraph[: passage.start], paragraph[passage.end :]
    place = cite(engine.corpus, passage).place_in(say).split(",")[0]
    footer = f"\n<i>{html.escape(article.title)}, {html.escape(place)}</i>"
    while True:
        reply = f"{html.escape(before)}<b>{html.escape(passage.text)}</b>{html.escape(after)}{footer}"
        if len(reply) <= TELEGRAM_LIMIT or not (before or after):
            return reply
        # Drop a tenth of the longer side, from its far end, at a word boundary.
        if len(before) >= len(after):
            before = "… " + before[len(before) // 10 :].split(" ", 1)[-1] if " " in before[2:] else ""
        else:
            after = after[: len(after) * 9 // 10].rsplit(" ", 1)[0] + " …" if " " in after[:-2] else ""


# --- fitting any text into one message -------------------------------------------------------------

TELEGRAM_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"})
ELLIPSIS = "…"


def visible_length(text: str) -> int:
    """Return a text's length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _Tokens(HTMLParser):
    """Splits Telegram HTML into start tags, end tags and (unescaped) text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, str]] = []  # ("start", raw tag) / ("end", name) / ("text", text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", self.get_starttag_text() or f"<{tag}>"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", data))


def _tag_name(raw: str) -> str:
    return raw[1:].split(maxsplit=1)[0].rstrip(">").lower()


def _cut(text: str, room: int) -> str:
    """Return the longest start of text, at a word boundary when there is one, of at most `room` units."""
    while visible_length(text) > room:
        text = text[: max(0, min(len(text) - 1, room))]
    head, space, _ = text.rpartition(" ")
    return head if space and len(head) > len(text) // 2 else text


def fit(text: str, *, html_mode: bool = True, limit: int = TELEGRAM_LIMIT) -> str:
    """Return text cut to what one Telegram message holds, ending with … when cut.

    In HTML mode the limit applies to the text after entity parsing, tags stay balanced, and only
    tags Telegram accepts are kept (anything else is shown as text).
    """
    if not html_mode:
        return text if visible_length(text) <= limit else _cut(text, limit - 1).rstrip() + ELLIPSIS
    parser = _Tokens()
    parser.feed(text)
    parser.close()
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    budget = limit - 1  # room for the ellipsis
    cut = False
    for kind, value in parser.tokens:
        if kind == "start":
            name = _tag_name(value)
            if name in TELEGRAM_TAGS:
                out.append(value)
                open_tags.append(name)
            else:
                kind, value = "text", value  # shown as the user wrote it
        elif kind == "end":
            if value not in TELEGRAM_TAGS:
                kind, value = "text", f"</{value}>"
            elif open_tags and open_tags[-1] == value:
                out.append(f"</{value}>")
                open_tags.pop()
                continue
            else:
                continue
        if kind == "text":
            size = visible_length(value)
            if used + size > budget:
                out.append(html.escape(_cut(value, budget - used), quote=False))
                cut = True
                break
            out.append(html.escape(value, quote=False))
            used += size
    if cut:
        out.append(ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


async def send(
    message: Message,
    text: str,
    *,
    html_mode: bool = False,
    markup: InlineKeyboardMarkup | None = None,
    preview: bool = False,
) -> Message:
    """Reply to a message with a text fitted into one Telegram message (every reply goes through here)."""
    return await message.reply_text(
        fit(text, html_mode=html_mode),
        parse_mode=ParseMode.HTML if html_mode else None,
        reply_markup=markup,
        disable_web_page_preview=not preview,
    )


def pages(items: Sequence[str], *, head: str = "", separator: str = "\n\n", limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Return items grouped into as few pages as fit one message each (an item too long is fitted alone)."""
    room = limit - visible_length(head) - 40  # leave room for a page line
    grouped: list[list[str]] = [[]]
    used = 0
    for item in items:
        size = visible_length(item) + visible_length(separator)
        if grouped[-1] and used + size > room:
            grouped.append([])
            used = 0
        grouped[-1].append(item)
        used += size
    return [separator.join(group) for group in grouped]


def page_reply(
    items: Sequence[str], page: int, *, kind: str, head: str = "", separator: str = "\n\n", say: Messages = ENGLISH
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return one page of a long list (HTML) with ‹ Prev / Next › buttons, and its page line."""
    texts = pages(items, head=head, separator=separator)
    page = max(0, min(page, len(texts) - 1))
    body = head + texts[page]
    if len(texts) == 1:
        return body, None
    body += "\n\n<i>" + say.gettext("Page {page} of {pages}", page=page + 1, pages=len(texts)) + "</i>"
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(say.gettext("‹ Prev"), callback_data=ListPage(kind, page - 1)))
    if page < len(texts) - 1:
        row.append(InlineKeyboardButton(say.gettext("Next ›"), callback_data=ListPage(kind, page + 1)))
    return body, InlineKeyboardMarkup([row])

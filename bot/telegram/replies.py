"""The texts the bot sends, each fitted into one Telegram message (4,096 characters, valid HTML)."""

from __future__ import annotations

import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.core.answer import TELEGRAM_LIMIT, cite, format_html, not_found_text
from bot.core.answering.search import SearchResult
from bot.core.corpus import CAPTION_PARAGRAPH
from bot.core.engine import Engine
from bot.telegram.callbacks import MoreContext, MoreResults

QUESTION_MARK = "❓ "


def answer_markup(result: SearchResult, engine: Engine, *, shown: int, offset: int, more: bool) -> InlineKeyboardMarkup:
    """Return the buttons under an answer: context of its first passage shown, and further results."""
    version = engine.corpus.version
    row = [InlineKeyboardButton("More context", callback_data=MoreContext(version, result.hits[offset].position))]
    if more:
        next_page = MoreResults(version, result.question, offset + shown)
        row.append(InlineKeyboardButton("More results", callback_data=next_page))
    return InlineKeyboardMarkup([row])


def answer_reply(result: SearchResult, engine: Engine, *, k: int, offset: int = 0) -> dict[str, Any]:
    """Return the text, parse mode and buttons of the answer to a question, from `offset` on, `k` hits a page."""
    head = f"{QUESTION_MARK}<i>{html.escape(result.question)}</i>\n\n"
    if not result.answered or offset >= len(result.hits):
        text = (
            html.escape(not_found_text(result, engine.example_questions()))
            if not result.answered
            else "No more passages match this question."
        )
        return {"text": head + text, "parse_mode": ParseMode.HTML}
    page = SearchResult(result.question, result.hits[offset : offset + k], result.corrections, result.suggestion)
    body, shown = format_html(page, engine.corpus, limit=TELEGRAM_LIMIT - len(head), first_number=offset + 1)
    more = offset + shown < len(result.hits)
    markup = answer_markup(result, engine, shown=shown, offset=offset, more=more)
    return {"text": head + body, "parse_mode": ParseMode.HTML, "reply_markup": markup}


def refusal_reply(text: str) -> dict[str, Any]:
    """Return a plain reply that answers no question (empty, too long, too fast)."""
    return {"text": text}


def context_html(engine: Engine, passage_number: int) -> str:
    """Return a passage inside its paragraph, the passage itself in bold; a long paragraph is trimmed
    around the passage (whole words, marked …), never inside a tag or inside the passage."""
    passage = engine.corpus.passages[passage_number]
    article = engine.corpus.by_id[passage.article_id]
    paragraph = article.caption if passage.paragraph == CAPTION_PARAGRAPH else article.paragraphs[passage.paragraph - 1]
    before, after = paragraph[: passage.start], paragraph[passage.end :]
    place = cite(engine.corpus, passage).place.split(",")[0]
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

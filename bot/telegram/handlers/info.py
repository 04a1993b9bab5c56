"""/start, /help and /source: what the bot does, how to read its answers, what it serves."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.telegram.callbacks import ExampleQuestion
from bot.telegram.handlers.questions import send_answer
from bot.telegram.state import Context, data_of


async def start(update: Update, context: Context) -> None:
    """Introduce the bot with example questions as buttons; a deep-link payload asks its question."""
    message = update.effective_message
    if message is None:
        return
    if context.args:
        await send_answer(message, re.sub(r"[-_]+", " ", " ".join(context.args)), context)
        return
    engine = data_of(context).live
    article = engine.corpus.articles[0]
    title = html.escape(article.title)
    if article.url:
        title = f'<a href="{html.escape(article.url, quote=True)}">{title}</a>'
    text = (
        f"I answer questions about <b>{title}</b> ({html.escape(article.source)}, {html.escape(article.date)}) "
        "by quoting the article itself, with the paragraph and sentence of every quote. Ask me anything, or try:"
    )
    buttons = [
        [InlineKeyboardButton(question[:64], callback_data=ExampleQuestion(question))]
        for question in engine.example_questions()
    ]
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(buttons))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to ask, what citations mean, and the commands."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(
        "<b>How to ask</b>\nIn a private chat, just write your question. In a group, use /ask QUESTION, "
        "mention me, or reply to one of my messages. In any chat, type my @username and a question.\n\n"
        "<b>What the citations mean</b>\nEvery answer quotes the article word for word. "
        "<i>¶7, sentence 2</i> means the second sentence of the seventh paragraph. "
        "Words that matched your question are in bold. If the article doesn't cover it, I say so.\n\n"
        "<b>Commands</b>\n/start – what I do\n/help – this message\n/ask QUESTION – ask in a group\n"
        "/source – the article and the corpus version",
        parse_mode=ParseMode.HTML,
    )


async def source_command(update: Update, context: Context) -> None:
    """List the articles being served and the corpus version."""
    message = update.effective_message
    if message is None:
        return
    engine = data_of(context).live
    lines = []
    for article in engine.corpus.articles:
        title = html.escape(article.title)
        link = (
            f'\n<a href="{html.escape(article.url, quote=True)}">{html.escape(article.url)}</a>' if article.url else ""
        )
        lines.append(f"<b>{title}</b>\n{html.escape(article.source)}, {html.escape(article.date)}{link}")
    lines.append(f"Corpus version <code>{engine.corpus.version}</code> · {len(engine.corpus.passages)} passages")
    await message.reply_text("\n\n".join(lines), parse_mode=ParseMode.HTML, disable_web_page_preview=True)

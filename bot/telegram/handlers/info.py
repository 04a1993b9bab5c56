"""/start, /help and /source: what the bot does, how to read its answers, what it serves."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.core.answer import linked
from bot.core.corpus import Article
from bot.core.messages import ENGLISH, N_, Messages
from bot.core.serving import Index
from bot.telegram.callbacks import ExampleQuestion, ListPage
from bot.telegram.handlers.admin import ONLY_ADMINS, articles_page
from bot.telegram.handlers.questions import send_answer
from bot.telegram.replies import fit, page_reply, send
from bot.telegram.state import Context, data_of, reader_of

NEWEST_SHOWN = 3
# What /help says (Telegram HTML).
HELP = N_(
    "<b>How to ask</b>\nIn a private chat, just write your question. In a group, use /ask QUESTION, "
    "mention me, or reply to one of my messages. In any chat, type my @username and a question.\n\n"
    "<b>What the citations mean</b>\nEvery answer quotes the article word for word. "
    "<i>¶7, sentence 2</i> means the second sentence of the seventh paragraph. "
    "Words that matched your question are in bold. If the article doesn't cover it, I say so.\n\n"
    "<b>Commands</b>\n/start – what I do\n/help – this message\n/ask QUESTION – ask in a group\n"
    "/source – the article and the corpus version"
)


def _title_html(article: Article, say: Messages) -> str:
    title = linked(html.escape(article.title), article.url)
    source = html.escape(article.source or say.gettext("no source"))
    return f"<b>{title}</b> ({source}, {html.escape(article.date)})"


def introduction(engine: Index, say: Messages = ENGLISH) -> str:
    """Return what /start says: the article, or with several the corpus as a whole and its newest titles."""
    articles = engine.corpus.articles
    if len(articles) == 1:
        return say.gettext(
            "I answer questions about {title} by quoting the article itself, with the paragraph and "
            "sentence of every quote. Ask me anything, or try:",
            title=_title_html(articles[0], say),
        )
    newest = sorted(articles, key=lambda article: article.date, reverse=True)[:NEWEST_SHOWN]
    listing = "\n".join(f"• {_title_html(article, say)}" for article in newest)
    rest = len(articles) - len(newest)
    more = (
        say.ngettext(
            "…and {count} more article (/source lists them).", "…and {count} more articles (/source lists them).", rest
        )
        if rest
        else ""
    )
    intro = say.ngettext(
        "I answer questions about {count} article by quoting the articles themselves, with the paragraph "
        "and sentence of every quote. The newest:",
        "I answer questions about {count} articles by quoting the articles themselves, with the paragraph "
        "and sentence of every quote. The newest:",
        len(articles),
    )
    more = f"\n{more}" if more else ""
    return f"{intro}\n{listing}{more}\n\n" + say.gettext("Ask me anything, or try:")


async def start(update: Update, context: Context) -> None:
    """Introduce the bot with example questions as buttons; a deep-link payload asks its question."""
    message = update.effective_message
    if message is None:
        return
    if context.args:
        await send_answer(message, re.sub(r"[-_]+", " ", " ".join(context.args)), context)
        return
    engine = data_of(context).live
    say = reader_of(update.effective_user)
    buttons = [
        [InlineKeyboardButton(question[:64], callback_data=ExampleQuestion(question))]
        for question in engine.example_questions()
    ]
    await send(message, introduction(engine, say), html_mode=True, markup=InlineKeyboardMarkup(buttons))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to ask, what citations mean, and the commands."""
    message = update.effective_message
    if message is None:
        return
    say = reader_of(update.effective_user)
    await send(
        message,
        say.gettext(HELP),
        html_mode=True,
    )


def source_page(engine: Index, page: int, say: Messages = ENGLISH) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return one page of /source: the articles served, and the corpus version."""
    items = []
    for article in engine.corpus.articles:
        link = "\n" + linked(html.escape(article.url), article.url) if article.url else ""
        items.append(
            f"<b>{html.escape(article.title)}</b>\n{html.escape(article.source)}, {html.escape(article.date)}{link}"
        )
    corpus = engine.corpus
    head = say.gettext(
        "Corpus version {version} · {articles} · {passages}",
        version=f"<code>{corpus.version}</code>",
        articles=say.ngettext("{count} article", "{count} articles", len(corpus.articles)),
        passages=say.ngettext("{count} passage", "{count} passages", corpus.passages_served),
    )
    return page_reply(items, page, kind="source", head=head + "\n\n", say=say)


async def source_command(update: Update, context: Context) -> None:
    """List the articles being served and the corpus version, a page at a time."""
    message = update.effective_message
    if message is None:
        return
    text, markup = source_page(data_of(context).live, 0, reader_of(update.effective_user))
    await send(message, text, html_mode=True, markup=markup)


async def show_page(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace a listing message with another of its pages."""
    await message.edit_text(fit(text), parse_mode="HTML", reply_markup=markup, disable_web_page_preview=True)


async def list_page(update: Update, context: Context) -> None:
    """Turn the page of /source (anyone) or /articles (admins only)."""
    query = update.callback_query
    if query is None or not isinstance(query.data, ListPage) or not isinstance(query.message, Message):
        return
    data = data_of(context)
    say = reader_of(query.from_user)
    if query.data.kind == "articles":
        if not data.config.is_admin(query.from_user.id):
            await query.answer(say.gettext(ONLY_ADMINS), show_alert=True)
            return
        text, markup = articles_page(data.live, query.data.page, say)
    else:
        text, markup = source_page(data.live, query.data.page, say)
    await query.answer()
    await show_page(query.message, text, markup)

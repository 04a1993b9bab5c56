"""Inline mode: `@bot question` in any chat offers the top passages, each inserting its quote and citation."""

from __future__ import annotations

import html

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.core.answer import TELEGRAM_LIMIT, cite, html_passage
from bot.telegram.handlers.questions import ask
from bot.telegram.state import Context, data_of, reader_of

INLINE_RESULTS = 5


async def inline_query(update: Update, context: Context) -> None:
    """Offer the top passages for an inline query."""
    query = update.inline_query
    if query is None:
        return
    data = data_of(context)
    results = []
    say = reader_of(query.from_user, query.query)
    if not query.query.strip():
        how = say.gettext(
            "Type a question about the article after my name, e.g. “how many troops”, and pick a quote "
            "to send it with its citation."
        )
        results.append(
            InlineQueryResultArticle(
                id="how-to-ask",
                title=say.gettext("Ask a question about the article"),
                description=say.gettext("Type your question after my name"),
                input_message_content=InputTextMessageContent(how),
            )
        )
    else:
        hits = max(data.config.top_k, INLINE_RESULTS)
        asked = await ask(data, query.from_user.id, query.query, hits=hits, shown=False)
        engine = data.live
        for number, hit in enumerate(asked.result.hits if asked.result else ()):
            citation = cite(engine.corpus, hit.passage)
            place = citation.place_in(say)
            text = html_passage(engine.corpus, hit, several=True, messages=say)
            if len(text) > TELEGRAM_LIMIT:  # a sentence longer than a message: its opening words
                opening = html.escape(hit.passage.text[: TELEGRAM_LIMIT // 8].rsplit(" ", 1)[0])
                text = f"“{opening} …”\n<i>{html.escape(citation.title)}, {html.escape(place)}</i>"
            results.append(
                InlineQueryResultArticle(
                    id=f"{engine.corpus.version}-{number}",
                    title=hit.passage.text[:100],
                    description=f"{citation.title} · {place}",
                    input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
                )
            )
    await query.answer(results, cache_time=30)

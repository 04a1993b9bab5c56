"""The answer buttons: example questions, More context, More results, and buttons that no longer work."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.core.messages import N_
from bot.telegram.callbacks import ExampleQuestion, MoreContext, MoreResults
from bot.telegram.handlers.questions import answer_in_chat
from bot.telegram.replies import context_html, send
from bot.telegram.state import Context, data_of, reader_of

OUT_OF_DATE = N_("This answer is out of date — ask again.")
NO_LONGER_WORKS = N_("This button no longer works.")


def _message_of(update: Update) -> Message | None:
    query = update.callback_query
    return query.message if query is not None and isinstance(query.message, Message) else None


async def example_question(update: Update, context: Context) -> None:
    """Ask the example question on the button."""
    query = update.callback_query
    message = _message_of(update)
    if query is None or not isinstance(query.data, ExampleQuestion) or message is None:
        return
    await query.answer()
    await answer_in_chat(message, query.from_user, query.data.question, context)


async def more_context(update: Update, context: Context) -> None:
    """Show the paragraph around the passage on the button."""
    query = update.callback_query
    message = _message_of(update)
    if query is None or not isinstance(query.data, MoreContext) or message is None:
        return
    engine = data_of(context).live
    if query.data.version != engine.corpus.version or query.data.position >= len(engine.corpus.passages):
        await query.answer(reader_of(query.from_user).gettext(OUT_OF_DATE), show_alert=True)
        return
    await query.answer()
    say = reader_of(query.from_user)
    await send(message, context_html(engine, query.data.position, say), html_mode=True)


async def more_results(update: Update, context: Context) -> None:
    """Show the next page of passages answering the button's question."""
    query = update.callback_query
    message = _message_of(update)
    if query is None or not isinstance(query.data, MoreResults) or message is None:
        return
    if query.data.version != data_of(context).live.corpus.version:
        await query.answer(reader_of(query.from_user).gettext(OUT_OF_DATE), show_alert=True)
        return
    await query.answer()
    # This page's "More results" is used up: keep only its "More context" button.
    if message.reply_markup is not None:
        kept = [
            [b for b in row if not isinstance(b.callback_data, MoreResults)]
            for row in message.reply_markup.inline_keyboard
        ]
        await message.edit_reply_markup(InlineKeyboardMarkup([row for row in kept if row]))
    await answer_in_chat(message, query.from_user, query.data.question, context, offset=query.data.offset)


async def no_longer_works(update: Update, context: Context) -> None:
    """Answer a button whose data the bot no longer holds (after a restart) or never made."""
    query = update.callback_query
    if query is not None:
        await query.answer(reader_of(query.from_user).gettext(NO_LONGER_WORKS), show_alert=True)

"""Admin changes to the corpus, wherever they are asked for (a command, an upload, a feed item):
offered with buttons, carried out on the files, then reloaded (or undone when the reload is refused)."""

from __future__ import annotations

import asyncio
import errno
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters

from bot.core.articles.ingest import IngestReport
from bot.core.articles.store import FileChange, KnownFiles, clean_leftovers, place_article, put_article, take_article
from bot.core.corpus import CorpusError, passages_of
from bot.core.messages import ENGLISH, N_, Messages
from bot.core.serving.reloader import ReloadOutcome
from bot.telegram.callbacks import CANCELLED, ChangeKind, PendingChange, admin_button_data
from bot.telegram.replies import fit
from bot.telegram.state import BotConfig, BotData

LOGGER = logging.getLogger("bot.admin")


async def offer(
    data: BotData,
    admin_id: int,
    change: PendingChange,
    question: str,
    label: str,
    *,
    cancel_label: str | None = None,
    cancelled: str = CANCELLED,
    reply_to: int | None = None,
    say: Messages = ENGLISH,
) -> None:
    """Send an admin a change to confirm; the buttons carry a token of the bot's pending store.

    Sent by the plain Bot (no callback-data cache), so that python-telegram-bot's cache, which
    other users' answers fill, never holds — and so never forgets — an admin's confirmation.
    """
    token = data.pending.add(change, admin_id, cancelled=cancelled)
    cancel_label = cancel_label or say.gettext("Cancel")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=admin_button_data(token, approve=True)),
                InlineKeyboardButton(cancel_label, callback_data=admin_button_data(token, approve=False)),
            ]
        ]
    )
    await data.plain_bot.send_message(
        admin_id,
        fit(question, html_mode=False),
        reply_markup=keyboard,
        reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def describe_upload(report: IngestReport, *, replacing: bool, say: Messages = ENGLISH) -> str:
    """Return what an upload holds: title, date, counts and its first sentences."""
    article = report.article
    passages = passages_of(article)
    first = " ".join(p.text for p in passages[:2])
    action = (
        say.gettext("It is a new version of an article in the corpus: replace that one?")
        if replacing
        else say.gettext("Add it to the corpus?")
    )
    lines = [article.title, f"{article.source or say.gettext('no source')}, {article.date}"]
    if article.url:
        lines.append(article.url)
    if article.caption:
        credit = f" ({article.credit})" if article.credit else ""
        lines.append(say.gettext("Photo: {caption}", caption=article.caption[:200]) + credit)
    counts = say.gettext(
        "{paragraphs}, {passages}. Id: {id}",
        paragraphs=say.ngettext("{count} paragraph", "{count} paragraphs", len(article.paragraphs)),
        passages=say.ngettext("{count} passage", "{count} passages", len(passages)),
        id=article.id,
    )
    lines.append(counts)
    return "\n".join(lines) + f"\n\n{first[:600]}\n\n{action}"


def prepare_report(
    directory: Path, report: IngestReport, known: KnownFiles | None = None, say: Messages = ENGLISH
) -> tuple[PendingChange, str]:
    """Return the change an ingested article asks for (add, or replace the same story) and its preview.

    `known`: the articles the served engine read (files unchanged since are not read again).
    """
    article, replacing = place_article(directory, report.article, known=known)
    report = replace(report, article=article)
    kind = ChangeKind.REPLACE if replacing else ChangeKind.ADD
    return PendingChange(kind, article.id, article), describe_upload(report, replacing=replacing, say=say)


def trash_of(config: BotConfig) -> Path:
    """Return where removed and replaced corpus files go: BOT_DATA_DIR/trash (or a hidden folder)."""
    return config.data_dir / "trash" if config.data_dir is not None else config.corpus_dir / ".trash"


def _apply_file_change(config: BotConfig, change: PendingChange, known: KnownFiles) -> FileChange:
    """Carry out a change on the corpus directory, checked against the whole resulting corpus
    (files the served engine read, unchanged since, are not read again)."""
    clean_leftovers(config.corpus_dir)
    if change.kind is ChangeKind.REMOVE:
        return take_article(config.corpus_dir, change.article_id, trash=trash_of(config), known=known)
    if change.article is None:  # PendingChange refuses this; kept for the type checker
        raise CorpusError(f"{change.article_id}: no article to write")
    replace = change.kind is ChangeKind.REPLACE
    return put_article(config.corpus_dir, change.article, trash=trash_of(config), replace=replace, known=known)


@dataclass(frozen=True)
class ChangeDone:
    """What came of a confirmed change, said in any reader's language (a feed tells every admin in theirs)."""

    done: FileChange | None = None
    outcome: ReloadOutcome | None = None
    refused: CorpusError | None = None
    failed: OSError | None = None

    @property
    def retry(self) -> bool:
        """Whether the change may be tried again (it failed on the disk, not on a rule)."""
        return self.failed is not None

    def report_in(self, say: Messages = ENGLISH) -> str:
        """Return what was done (or why not) in a reader's language."""
        if self.refused is not None:
            return say.gettext("Refused: {reason}", reason=say.said(self.refused))
        if self.failed is not None:
            return storage_problem(self.failed, say)
        if self.done is None or self.outcome is None:
            raise ValueError("a change carried out has a file change and a reload outcome")
        if self.done.action == "removed":
            action = say.gettext("Removed {name}.", name=self.done.path.name)
        else:
            action = say.gettext("Saved {name}.", name=self.done.path.name)
        if self.done.trashed is not None:
            action += " " + say.gettext("The old file is kept in the trash as {name}.", name=self.done.trashed.name)
        if not self.outcome.reloaded:
            action += " " + say.gettext("Undone, because the reload failed.")
        return f"{action}\n{self.outcome.report_in(say)}"


async def carry_out(data: BotData, change: PendingChange) -> ChangeDone:
    """Carry out a confirmed change and reload; undo it if the reload is refused.

    Changes run one at a time, and every guard (the article exists, the corpus keeps an article,
    every file is valid) is checked now, at confirmation, not when the change was asked for.
    """
    async with data.change_lock:
        try:
            done = await asyncio.to_thread(_apply_file_change, data.config, change, data.live.known_files())
        except CorpusError as error:
            return ChangeDone(refused=error)
        except OSError as error:
            LOGGER.warning("admin change failed: %s", error)
            return ChangeDone(failed=error)
        outcome = await data.reloader.reload(done.files)
        if not outcome.reloaded:
            await asyncio.to_thread(done.undo)  # the old corpus keeps serving; the directory matches it again
        return ChangeDone(done, outcome)


async def apply_change(data: BotData, change: PendingChange, say: Messages = ENGLISH) -> tuple[str, bool]:
    """Carry out a confirmed change and reload (undone if the reload is refused); return the report
    in a reader's language and whether the change may be retried (it failed on the disk, not on a rule)."""
    result = await carry_out(data, change)
    return result.report_in(say), result.retry


STORAGE_PROBLEMS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EROFS: N_("the corpus folder is on a read-only disk"),
    errno.EACCES: N_("the bot is not allowed to write there"),
    errno.EPERM: N_("the bot is not allowed to write there"),
}


def storage_problem(error: OSError, say: Messages = ENGLISH) -> str:
    """Say what went wrong writing the corpus or the trash, that nothing changed, and how to retry."""
    known = STORAGE_PROBLEMS.get(error.errno or 0)
    reason = say.gettext(known) if known else (error.strerror or str(error)).lower()
    return say.gettext(
        "Could not save the change: {reason}. Nothing changed. Press the button again once that is fixed.",
        reason=reason,
    )

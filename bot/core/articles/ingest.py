"""Turn a raw page capture into an article, keeping the story and dropping the page furniture."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.core.corpus import (
    Article,
    CorpusError,
    article_id,
    check_title,
    detect_language,
    is_date,
    is_web_address,
    paragraphs_of,
    parse_article,
)
from bot.core.said import N_
from bot.core.text import normalize, without_controls

# "date 2024-11-06 Support The Moscow Times!" — the capture's banner line carries the date and source.
_BANNER = re.compile(r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})\b\s*(?:Support\s+(?P<source>.+?)!)?\s*$", re.I)
_BANNER_LINES = re.compile(r"^(?:Support .+!|Contribute today|Donate|Subscribe)$", re.I)
# The first line of a block of page furniture: from here on nothing is the article.
_FURNITURE = re.compile(
    r"^(?:Read more about:|Read more$|Sign up for|Subscribe to|A Message from |Dear readers|"
    r"Our weekly newsletter|Related articles?$|Share this|Follow us)",
    re.I,
)
# A caption's trailing credit: a short run with no sentence punctuation after the last full stop.
_CREDIT = re.compile(r"^(?P<caption>.+[.!?)\"”])\s+(?P<credit>[^.!?\s][^!?]{0,40})$")
_CAPTION_MAX = 200
MIN_PAGE_BODY = 80


@dataclass(frozen=True)
class IngestReport:
    """What ingest kept and what it dropped, one line each."""

    article: Article
    kept: tuple[str, ...]
    dropped: tuple[str, ...]


def _blocks(text: str) -> list[str]:
    return [block.strip() for block in re.split(r"\n\s*\n", without_controls(normalize(text))) if block.strip()]


def _short(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _split_caption(block: str) -> tuple[str, str] | None:
    """Return (caption, credit) when a block looks like a photo caption with a credit."""
    if len(block) > _CAPTION_MAX or "\n" in block:
        return None
    match = _CREDIT.match(block)
    if match is None:
        return None
    credit = match["credit"].strip()
    # A credit is one word ("kremlin.ru", "AFP") or names a site or agency ("Sergei Ilnitsky / EPA").
    if " " not in credit or re.search(r"\.\w{2,}$|/|\b(?:AP|AFP|EPA|Reuters|TASS)\b", credit):
        return match["caption"], credit
    return None


def is_corpus_format(text: str) -> bool:
    """Return whether text already is a corpus file (a 'title:' header line first)."""
    return normalize(text).lstrip().lower().startswith("title:")


def ingest(
    text: str,
    *,
    date: str | None = None,
    source: str | None = None,
    url: str | None = None,
    where: str = "capture",
) -> IngestReport:
    """Return the article in a raw capture (or a corpus file) with what was kept and dropped.

    `where` (the file's name) is the place errors name.
    """
    if is_corpus_format(text):
        article = parse_article(text, article_id_="ingest", where=where)
        article = replace(article, id=article_id(article.date, article.title))
        return IngestReport(article, _kept_lines(article), ())
    blocks = _blocks(text)
    dropped: list[str] = []
    found_date, found_source = date, source
    if blocks:
        lines = blocks[0].splitlines()
        banner = _BANNER.match(lines[0])
        if banner:
            found_date = found_date or banner["date"]
            found_source = found_source or (banner["source"] or "").strip() or None
            dropped.append(f"banner: {_short(blocks[0])}")
            rest = [line for line in lines[1:] if not _BANNER_LINES.match(line.strip())]
            blocks[0:1] = ["\n".join(rest)] if rest else []
    if not blocks:
        raise CorpusError(N_("This file has no article title, so it was not added."))
    title, body = " ".join(blocks[0].split()), blocks[1:]
    check_title(title, where)
    for index, block in enumerate(body):
        if _FURNITURE.match(block):
            dropped += [f"furniture: {_short(rest)}" for rest in body[index:]]
            body = body[:index]
            break
    caption = credit = ""
    if body and (split := _split_caption(body[0])):
        caption, credit = split
        body = body[1:]
    if not found_date:
        raise CorpusError(N_("This file has no publication date (a 'date YYYY-MM-DD' line), so it was not added."))
    if not is_date(found_date):
        raise CorpusError(N_("{where}: {date} is not a date written YYYY-MM-DD"), where=where, date=repr(found_date))
    article = Article(
        id=article_id(found_date, title),
        title=title,
        date=found_date,
        source=found_source or "",
        url=url,
        paragraphs=paragraphs_of(body, where=where),
        caption=caption,
        language=detect_language(title, body),
        credit=credit,
    )
    if not article.paragraphs:
        raise CorpusError(N_("This file has a title but no article text, so it was not added."))
    return IngestReport(article, _kept_lines(article), tuple(dropped))


def _web_address(text: str | None) -> str | None:
    """Return a page's stated address when it is an http(s) address, else None."""
    address = "".join((text or "").split())
    return address if is_web_address(address) else None


def _kept_lines(article: Article) -> tuple[str, ...]:
    lines = [f"title: {article.title}", f"date: {article.date}", f"source: {article.source}"]
    if article.caption:
        lines.append(f"caption: {_short(article.caption)} (credit: {article.credit or 'none'})")
    lines += [f"paragraph {n}: {_short(p)}" for n, p in enumerate(article.paragraphs, start=1)]
    return tuple(lines)


def ingest_html(page: str, *, date: str | None = None, url: str | None = None) -> IngestReport:
    """Return the article of an HTML page, extracted by trafilatura (menus, footers, ads dropped).

    The article's address is the page's own canonical address when it states one, else `url`
    (where it was fetched from), so a saved page and the same page fetched by link agree.
    Slow on a hostile page, and holds the GIL: the bot runs it only by bot.core.articles.extract.extract.
    """
    import trafilatura  # imported here: only the extraction process needs it, and it is slow to import

    document: Any = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, include_tables=False)
    if document is None or not document.text:
        raise CorpusError(N_("This page has no article text, so it was not added."))
    title = " ".join(without_controls(normalize(document.title or "")).split())
    check_title(title, "page")
    lines = [" ".join(line.split()) for line in without_controls(normalize(document.text)).splitlines()]
    paragraphs = paragraphs_of((line for line in lines if line and line != title), where="page")
    # A menu or a cookie notice is all an extractor finds on a page without an article.
    if sum(len(paragraph) for paragraph in paragraphs) < MIN_PAGE_BODY:
        raise CorpusError(N_("This page has no article text, so it was not added."))
    if not title:
        raise CorpusError(N_("This page has no article title, so it was not added."))
    found_date = date or document.date
    if not found_date or not is_date(found_date):
        raise CorpusError(N_("This page has no publication date, so it was not added."))
    article = Article(
        id=article_id(found_date, title),
        title=title,
        date=found_date,
        source=" ".join((document.sitename or "").split()),
        url=_web_address(document.url) or url,
        paragraphs=paragraphs,
        language=detect_language(title, paragraphs),
    )
    return IngestReport(article, _kept_lines(article), ("page furniture removed by trafilatura",))

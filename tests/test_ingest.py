"""Ingest of the raw capture: exactly the article is kept, all page furniture dropped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.corpus import CorpusError, format_article
from bot.core.ingest import ingest
from bot.core.store import read_article
from tests.conftest import ARTICLE_ID, CORPUS_DIR

FIRST_WORDS = (
    "Lawmakers from Russia's upper-house",
    "President Vladimir Putin signed",
    "Ahead of Wednesday's vote",
    "Rudenko praised North Korea",
    '"I believe this treaty',
    "Russia and North Korea have been allies",
    "The West has long accused",
    "AFP contributed reporting.",
)


def test_ingest_keeps_header_caption_and_body(raw_text: str) -> None:
    article = ingest(raw_text).article
    assert article.id == ARTICLE_ID
    assert article.title == "Russian Senators Ratify Defense Treaty With North Korea"
    assert article.date == "2024-11-06"
    assert article.source == "The Moscow Times"
    assert article.url is None
    assert article.caption == "Vladimir Putin in Pyongyang in June 2024."
    assert article.credit == "kremlin.ru"
    assert len(article.paragraphs) == len(FIRST_WORDS)
    for paragraph, start in zip(article.paragraphs, FIRST_WORDS, strict=True):
        assert paragraph.startswith(start)
    assert article.paragraphs[-1] == "AFP contributed reporting."


@pytest.mark.parametrize(
    "furniture",
    [
        "Support The Moscow Times",
        "Contribute today",
        "Read more about",
        "newsletter",
        "Privacy Policy",
        "Dear readers",
        "undesirable",
        "Remind me later",
        "Peskov",
        "Kyiv",
        "Helicopter",
        "Min read",
        "paiment",
    ],
)
def test_ingest_drops_page_furniture(raw_text: str, furniture: str) -> None:
    article = ingest(raw_text).article
    assert furniture.casefold() not in format_article(article).casefold()


def test_ingest_reports_what_it_dropped(raw_text: str) -> None:
    report = ingest(raw_text)
    dropped = "\n".join(report.dropped)
    assert dropped.startswith("banner: date 2024-11-06 Support The Moscow Times!")
    for block in ["Read more about:", "Sign up for our free weekly newsletter", "Dear readers", "Once Monthly Annual"]:
        assert block in dropped
    assert "Kremlin Says Defense Pact" in dropped
    assert "Russia Awaits Kremlin Reaction" in dropped
    assert any(line.startswith("caption: Vladimir Putin") and "kremlin.ru" in line for line in report.kept)


def test_ingest_normalises_unicode(raw_text: str) -> None:
    article = ingest(raw_text).article
    text = format_article(article)
    assert "\u00a0" not in text
    assert "Moscow\u2019s nuclear umbrella" in text  # the curly apostrophe is what the reader sees


EDITOR_QUESTIONS = (
    "How many troops did North Korea send?",
    "Who signed the treaty?",
    "When did the senators vote?",
)


def test_shipped_corpus_is_the_ingest_of_the_fixture_with_its_example_questions(raw_text: str) -> None:
    # Ingest makes the file; an editor added the optional `questions:` header line by hand.
    shipped = (CORPUS_DIR / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8")
    article = replace(ingest(raw_text).article, questions=EDITOR_QUESTIONS)
    assert shipped == format_article(article)
    assert read_article(CORPUS_DIR / f"{ARTICLE_ID}.txt") == article


def test_questions_header_round_trips_and_is_optional(raw_text: str) -> None:
    article = replace(ingest(raw_text).article, questions=("Who?", "When?"))
    assert "questions: Who? | When?\n" in format_article(article)
    assert ingest(format_article(article)).article == article
    assert "questions:" not in format_article(ingest(raw_text).article)


def test_ingest_of_a_corpus_file_round_trips(raw_text: str) -> None:
    article = ingest(raw_text).article
    assert ingest(format_article(article)).article == article


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no article title"),
        ("date 2024-11-06 Support X!\n\nA title only", "no article text"),
        ("A title\n\nA paragraph.", "no publication date"),
    ],
)
def test_ingest_refuses_what_is_not_an_article(text: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        ingest(text)

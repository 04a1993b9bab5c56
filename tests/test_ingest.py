"""Ingest of the raw capture: exactly the article is kept, all page furniture dropped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core.articles.extract import capture_of_upload, read_capture
from bot.core.articles.ingest import ingest
from bot.core.articles.store import load_corpus, read_article, write_article
from bot.core.corpus import CorpusError, format_article
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


LINE_BREAKS = ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\r", "\r\n", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_every_line_break_is_one_rule_from_capture_to_file(tmp_path: Path, brk: str) -> None:
    # A caption (or body line) with an odd line break used to pass the preview and then make a
    # corpus file the bot could not read ("header line 'on Monday.' is not 'key: value'").
    capture = (
        f"date 2024-01-02 Support The Paper!{brk}A Title{brk}{brk}"
        f"Leaders met{brk}on Monday. kremlin.ru{brk}{brk}"
        f"The first paragraph of the story.{brk}It goes on{brk}here.{brk}{brk}A second paragraph.{brk}"
    )
    article = ingest(capture).article
    path = write_article(tmp_path, article)
    assert read_article(path) == article
    assert load_corpus(tmp_path).articles == (article,)


def test_a_file_that_would_not_read_back_is_never_written(tmp_path: Path) -> None:
    article = ingest("date 2024-01-02\nA Title\n\nThe body of the story, long enough to be one.").article
    broken = replace(article, source="Two\nlines")  # built by hand: no ingest path makes one now
    with pytest.raises(CorpusError, match=r"would not read back as written .*header line 'lines'.*; nothing written"):
        write_article(tmp_path, broken)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_corpus_file_upload_names_the_file() -> None:
    with pytest.raises(CorpusError, match=r"^notes\.txt: header line 'author: me'"):
        read_capture(capture_of_upload("notes.txt", b"title: T\ndate: 2024-01-02\nauthor: me\n\nBody."))


_TEXT = st.lists(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from([*LINE_BREAKS, "\n", "\n\n", " ", "."]),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_TEXT, caption=_TEXT, body=st.lists(_TEXT, min_size=1, max_size=4), corpus_format=st.booleans())
def test_whatever_ingest_accepts_reads_back_identically(
    tmp_path_factory: pytest.TempPathFactory, title: str, caption: str, body: list[str], corpus_format: bool
) -> None:
    text = "\n\n".join(body)
    capture = (
        f"title: {title}\ndate: 2024-01-02\ncaption: {caption}\n\n{text}"
        if corpus_format
        else f"date 2024-01-02\n{title}\n\n{caption}\n\n{text}"
    )
    try:
        article = ingest(capture).article
    except CorpusError:
        event("refused")  # with a reason: nothing to write (--hypothesis-show-statistics gives the share)
        return
    event("accepted")
    directory = tmp_path_factory.mktemp("corpus")
    path = write_article(directory, article)
    assert read_article(path) == article


# Header values as people write them: one line of letters, digits, punctuation and spaces of any script.
_LINE = st.text(st.characters(categories=["L", "N", "P", "Zs", "Sc", "Sm"]), min_size=1, max_size=80).filter(
    lambda text: any(c.isalpha() for c in text)
)
_SENTENCE = (
    st.lists(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12), min_size=1, max_size=8)
    .map(lambda words: " ".join(words).capitalize() + ".")
    .filter(lambda text: any(c.isalpha() for c in text))
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=_LINE,
    caption=_LINE,
    source=_LINE,
    body=st.lists(st.lists(_SENTENCE, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=4),
)
def test_every_valid_corpus_file_is_accepted_and_reads_back_identically(
    tmp_path_factory: pytest.TempPathFactory, title: str, caption: str, source: str, body: list[str]
) -> None:
    # Every example reaches the writing half: a valid header is never refused.
    capture = f"title: {title}\ndate: 2024-01-02\nsource: {source}\ncaption: {caption}\n\n" + "\n\n".join(body)
    article = ingest(capture).article
    assert article.title
    assert len(article.paragraphs) == len(body)
    path = write_article(tmp_path_factory.mktemp("corpus"), article)
    assert read_article(path) == article


def test_an_upload_with_a_title_too_long_is_refused_naming_it(raw_text: str) -> None:
    blocks = raw_text.split("\n\n")
    with pytest.raises(CorpusError, match=r"upload\.txt: title is 6,000 characters long \(at most 300\)"):
        ingest("\n\n".join(["Troops " * 857 + "x", *blocks[1:]]), where="upload.txt", date="2024-01-02")

"""Corpus files, sentence passages with offsets, and the errors a broken corpus gives."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.articles.store import MAX_CORPUS_FILE, check_corpus, load_corpus
from bot.core.corpus import (
    MAX_PARAGRAPH,
    CorpusError,
    article_id,
    build_corpus,
    content_tag,
    parse_article,
    passages_of,
    split_sentences,
)
from tests.conftest import ARTICLE_ID, CORPUS_DIR

GOOD = "title: T\ndate: 2024-01-02\nsource: S\nurl:\n\nFirst sentence here. Second one.\n\nThird.\n"


def test_shipped_corpus_passages(engine: object) -> None:
    corpus = load_corpus(CORPUS_DIR)
    assert [a.id for a in corpus.articles] == [ARTICLE_ID]
    places = [(p.paragraph, p.sentence) for p in corpus.passages]
    assert places == [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (7, 2), (8, 1)]
    article = corpus.articles[0]
    for passage in corpus.passages:
        paragraph = article.caption if passage.paragraph == 0 else article.paragraphs[passage.paragraph - 1]
        assert paragraph[passage.start : passage.end] == passage.text


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        (
            "The West has long accused Pyongyang of supplying artillery shells and missiles to Moscow to fire "
            "on Ukraine. Last month, Washington and its allies said North Korea deployed around 10,000 troops "
            "to Russia.",
            [
                "The West has long accused Pyongyang of supplying artillery shells and missiles to Moscow to fire "
                "on Ukraine.",
                "Last month, Washington and its allies said North Korea deployed around 10,000 troops to Russia.",
            ],
        ),
        ('"I believe this treaty is very timely," he told lawmakers.', None),
        (
            "Mr. Smith went to St. Petersburg on Jan. 5. He left.",
            ["Mr. Smith went to St. Petersburg on Jan. 5.", "He left."],
        ),
        ("It cost $2.50. U.S. officials agreed.", ["It cost $2.50.", "U.S. officials agreed."]),
        (
            "12. Item twelve of the list. It has two sentences.",
            ["12. Item twelve of the list.", "It has two sentences."],
        ),
        ("The ceasefire held. 42.", None),  # a letterless piece joins the sentence before it
        ("  Padded. Twice.  ", ["Padded.", "Twice."]),
    ],
)
def test_split_sentences(paragraph: str, sentences: list[str] | None) -> None:
    # Exact spans: each sentence's offsets in the paragraph (None: the paragraph is one sentence).
    expected = sentences or [paragraph]
    starts = [paragraph.index(sentence) for sentence in expected]
    assert split_sentences(paragraph) == [(start, start + len(s)) for start, s in zip(starts, expected, strict=True)]


def test_hostile_paragraphs_split_whole() -> None:
    # pysbd took 8 s on this paragraph and minutes on the 2 MB file below; the splitter is linear
    # now, and the suite's per-test timeout is what would catch a regression (no timed assertion).
    numbered = " ".join(f"{i}. Item number {i} is here." for i in range(1, 2000))[: MAX_PARAGRAPH - 500]
    spans = split_sentences(numbered)
    assert len(spans) > 600
    assert all(numbered[start:end].strip() == numbered[start:end] for start, end in spans)
    for paragraph in ["(" * 19_000 + ")" * 500, "Mr. " * 4_900, '"' * 19_000, "." * 19_000]:
        assert split_sentences(paragraph)  # one or more sentences, never a hang


def test_a_two_megabyte_numbered_list_loads(tmp_path: Path) -> None:
    lines = "\n\n".join(f"{i}. Item number {i} of the list. It has two sentences." for i in range(1, 36_000))
    (tmp_path / "list.txt").write_text(f"title: A long list\ndate: 2024-01-02\n\n{lines}\n", encoding="utf-8")
    assert (tmp_path / "list.txt").stat().st_size > 2_000_000
    corpus = load_corpus(tmp_path)
    assert len(corpus.passages) == 2 * 35_999  # "12." joins its item: two sentences each


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: T\n\nBody.", "header has no date"),
        ("date: 2024-01-02\n\nBody.", "header has no title"),
        ("title: T\ndate: 02/01/2024\n\nBody.", "is not a date written YYYY-MM-DD"),
        ("title: T\ndate: 2024-13-45\n\nBody.", "is not a date written YYYY-MM-DD"),
        ("title: T\ndate: 2024-01-02\nauthor: me\n\nBody.", "header line 'author: me'"),
        ("title: T\ndate: 2024-01-02\n", "no article body found"),
        (
            f"title: {'A long title. ' * 230_000}\ndate: 2024-01-02\n\nBody.",
            r"title is 3,219,999 characters long \(at most 300\)",
        ),
    ],
)
def test_bad_corpus_files_name_the_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message) as caught:
        load_corpus(tmp_path)
    assert str(path) in str(caught.value)


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_bytes(b"title: T\ndate: 2024-01-02\n\nCaf\xe9.")
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpus(tmp_path)


def test_duplicate_ids_and_every_problem_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.txt").write_text("title: T\n\nBody.", encoding="utf-8")
    articles, problems = check_corpus(tmp_path)
    assert [article.id for article in articles] == ["a"]
    assert "a: duplicate article id (a.md and a.txt)" in problems  # both files named
    assert any("b.txt" in p and "no date" in p for p in problems)
    with pytest.raises(CorpusError, match="duplicate article id"):
        build_corpus([*articles, *articles])


def test_symbolic_links_and_oversized_files_are_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "passwd.txt").symlink_to("/etc/passwd")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "huge.txt").write_bytes(b"x" * (MAX_CORPUS_FILE + 1))
    articles, problems = check_corpus(tmp_path)
    assert [article.id for article in articles] == ["good"]
    assert (
        f"{tmp_path / 'passwd.txt'}: a symbolic link; corpus files must be regular files in the directory" in problems
    )
    assert any(str(tmp_path / "broken.txt") in p and "symbolic link" in p for p in problems)
    assert any(str(tmp_path / "huge.txt") in p and "over the 5,000,000-byte limit" in p for p in problems)
    assert not any("root:" in p for p in problems)  # nothing of the target was read
    with pytest.raises(CorpusError, match="symbolic link"):
        load_corpus(tmp_path)


def test_a_paragraph_too_long_to_split_is_split_at_line_breaks_or_refused(tmp_path: Path) -> None:
    lines = "\n".join(["A line of a capture that had single newlines only."] * 1000)
    article = parse_article(f"title: T\ndate: 2024-01-02\n\n{lines}", article_id_="t")
    assert len(article.paragraphs) == 1000
    one_line = " ".join(["word"] * (MAX_PARAGRAPH // 4))
    with pytest.raises(CorpusError, match="paragraph 1 is 24,999 characters long without a line break"):
        parse_article(f"title: T\ndate: 2024-01-02\n\n{one_line}", article_id_="t", where="x.txt")


def test_empty_and_missing_directories(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no article files"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="corpus directory not found"):
        load_corpus(tmp_path / "missing")


def test_version_changes_with_content(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    first = load_corpus(tmp_path).version
    (tmp_path / "a.txt").write_text(GOOD.replace("Third.", "Third, changed."), encoding="utf-8")
    assert load_corpus(tmp_path).version != first
    assert len(passages_of(load_corpus(tmp_path).articles[0])) == 3


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Russian Senators Ratify Defense Treaty", "2024-11-10-russian-senators-ratify-defense-treaty"),
        ("Сенаторы одобрили договор", "2024-11-10-senatory-odobrili-dogovor"),
        ("…", f"2024-11-10-{content_tag('…')}"),
    ],
)
def test_article_ids_are_readable_ascii_and_never_empty(title: str, expected: str) -> None:
    assert article_id("2024-11-10", title) == expected


@pytest.mark.parametrize("paragraph", ["...", "12.", "•", "a", "“”", "— —", "42", "!?", "\u2060x"])
def test_every_kept_paragraph_has_a_sentence(paragraph: str) -> None:
    # parse_article checks for a body without splitting; this is the property that makes it right.
    article = parse_article(f"title: T\ndate: 2024-01-02\n\n{paragraph}", article_id_="t")
    assert [p.paragraph for p in passages_of(article)] == [1] * len(passages_of(article))
    assert passages_of(article)


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_non_blank_paragraph_splits_into_verbatim_sentences(text: str) -> None:
    paragraph = " ".join(text.split())
    if not paragraph:
        return
    spans = split_sentences(paragraph)
    assert spans
    assert all(paragraph[start:end] == paragraph[start:end].strip() and end > start for start, end in spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_terminal_controls_never_reach_a_passage(tmp_path: Path) -> None:
    """ESC sequences, BEL, backspace, DEL and C1 controls in a hand-dropped file are dropped where it
    is parsed: printed by `check` or `ask` they would drive the terminal (clear it, retitle it)."""
    text = (
        "title: Troops \x1b[2J\x1b]0;owned\x07arrive\x08\x08\n"
        "date: 2024-01-02\ncaption: A \x9b31mconvoy\x7f.\n\n"
        "About 300\x00 soldiers\x1b[31m took part\x1b[0m.\x07 The convoy\x85 reached the border\x9c.\n"
    )
    article = parse_article(text, article_id_="x", where="x.txt")
    assert article.title == "Troops arrive"
    assert article.caption == "A convoy."
    assert article.paragraphs == ("About 300 soldiers took part. The convoy reached the border.",)
    (tmp_path / "x.txt").write_text(text, encoding="utf-8")
    for passage in load_corpus(tmp_path).passages:
        assert passage.text.isprintable(), passage.text

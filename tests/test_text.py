"""The text pipeline: normalisation, tokens, stop words, stemming, numbers."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import fold, normalize, terms, tokens, words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Putin\u00a0signed", "Putin signed"),
        ("North Korea\u00a0 deployed", "North Korea  deployed"),
        ("zero\u200bwidth", "zerowidth"),
        ("Moscow\u2019s", "Moscow\u2019s"),  # curly apostrophe kept: it is what the reader sees
        ("e\u0301", "\u00e9"),
    ],
)
def test_normalize_keeps_what_a_reader_sees(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How many troops?", ["troop"]),
        ("10,000 troops", ["10000", "troop"]),
        ("10000 troops", ["10000", "troop"]),
        ("10k troops", ["10000", "troop"]),
        ("Moscow\u2019s nuclear umbrella", ["moscow", "nuclear", "umbrella"]),
        ("Moscow's nuclear umbrella", ["moscow", "nuclear", "umbrella"]),
        ("RATIFIED Ratify ratification", ["ratifi", "ratifi", "ratif"]),
        ("full-scale invasion", ["full", "scale", "invas"]),
        ("World War II", ["world", "war", "ii"]),
        ("the and of it", []),
        ("???", []),
        ("Ｋｏｒｅａ", ["korea"]),
        ("ﬁre", ["fire"]),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    "text", ["Moscow\u2019s umbrella", "Ｋｏｒｅａ troops", "ﬁre on Ukraine", "e\u0301te\u0301 troops"]
)
def test_token_spans_point_into_the_original_text(text: str) -> None:
    for token in tokens(text):
        assert fold(text[token.start : token.end]).startswith(token.term[:2]) or token.term.isdigit()


def test_words_keep_stop_words_and_fold_case() -> None:
    assert [w.term for w in words("The TREATY is Timely")] == ["the", "treaty", "is", "timely"]


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [
                *"ab \t\r\n.",
                "\x0b",
                "\x0c",
                "\x1c",
                "\x1d",
                "\x1e",
                "\x85",
                "\u2028",
                "\u2029",
                "\u00a0",
                "\u200b",
                "\u00ad",
                "\u3000",
                "é",
                "e",
                "\u0301",
            ]
        ),
        max_size=40,
    )
)
def test_normalize_takes_its_fast_paths_without_changing_a_result(text: str) -> None:
    slow = re.sub(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]", "\n", unicodedata.normalize("NFC", text))
    for char in "\u200b\u200c\u200d\u2060\ufeff\u00ad":
        slow = slow.replace(char, "")
    slow = re.sub(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]", " ", slow)
    assert normalize(text) == slow

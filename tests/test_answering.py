"""Answering: abstention, question words, synonyms, typos, passage features — reranking the kernel's candidates."""

from __future__ import annotations

import pytest

from bot.core.answer import as_json
from bot.core.answering.features import features
from bot.core.answering.search import Answerer
from bot.core.corpus import Passage
from bot.core.engine import Engine
from bot.core.text import terms

TROOPS = "Last month, Washington and its allies said North Korea deployed around 10,000 troops to Russia."


def passages(*texts: str) -> list[Passage]:
    return [Passage("a", n, 1, text, 0, len(text)) for n, text in enumerate(texts, start=1)]


@pytest.mark.parametrize(
    ("texts", "question", "best"),
    [
        (["Troops arrived.", "The treaty was signed."], "troops", 1),
        (["Troops arrived.", "The treaty was signed."], "treaty", 2),
        (["Troops arrived.", "More troops arrived.", "The treaty was signed."], "troops arrived", 1),
        (["Troops arrived.", "More troops arrived.", "The treaty was signed."], "treaty", 3),
    ],
)
def test_tiny_corpora_rank_the_matching_passage_first(texts: list[str], question: str, best: int) -> None:
    result = Answerer(passages(*texts)).search(question, 3)
    assert result.hits[0].passage.paragraph == best
    matching = {n for n, text in enumerate(texts, start=1) if set(terms(question)) & set(terms(text))}
    assert {hit.passage.paragraph for hit in result.hits} <= matching  # only passages with evidence


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "hello",
        "hi there!",
        "asdfghjkl",
        "???",
        "...",
        "",
        "   ",
        "2022",
        "who won the world cup in 2022",
        "what did peskov say about the pact",
        "how can I donate to the moscow times",
        "newsletter",
        "what's the weather in moscow",
        "how old is kim jong un",
        "what is the population of north korea",
        "was a helicopter shot down in syria",
        "remind me later",
    ],
)
def test_abstains_when_the_article_does_not_answer(engine: Engine, question: str) -> None:
    assert engine.search(question).hits == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many troops", "10,000 troops"),
        ("how many soldiers", "10,000 troops"),
        ("when did the federation council vote", "Wednesday"),
        ("who signed the agreement", "Putin signed"),
    ],
)
def test_question_words_on_the_article(engine: Engine, question: str, expected: str) -> None:
    assert expected in engine.search(question).hits[0].passage.text


@pytest.mark.parametrize(
    ("question", "plain", "wanted"),
    [
        ("how many troops arrived", "troops arrived", 2),
        ("when did troops arrive", "troops arrived", 3),
        ("who sent troops", "sent troops", 4),
    ],
)
def test_question_words_prefer_quantities_dates_and_names(question: str, plain: str, wanted: int) -> None:
    index = Answerer(
        passages(
            "Troops arrived and troops were sent to the border crossing.",
            "Officials said that around 5,000 troops arrived at the border crossing.",
            "Officials said that the troops arrived at the border crossing on Monday.",
            "Officials said that President Ivan Petrov sent troops to the border.",
        )
    )
    assert index.search(plain).hits[0].passage.paragraph == 1
    assert index.search(question).hits[0].passage.paragraph == wanted


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many soldiers went to russia", "10,000 troops"),
        ("when was the pact signed", "signed the agreement"),
        ("did the senators approve the deal", "voted unanimously"),
        ("how many dprk troops", "10,000 troops"),
    ],
)
def test_synonyms_find_the_article_words(engine: Engine, question: str, expected: str) -> None:
    assert expected in engine.search(question).hits[0].passage.text


@pytest.mark.parametrize(
    ("question", "word", "replacement", "expected"),
    [
        ("how many trops", "trops", "troops", "10,000 troops"),
        ("federation counsil vote", "counsil", "council", "Federation Council"),
        ("nuclear umbrela", "umbrela", "umbrella", "nuclear umbrella"),
    ],
)
def test_typos_are_corrected_and_reported(
    engine: Engine, question: str, word: str, replacement: str, expected: str
) -> None:
    result = engine.search(question)
    assert expected in result.hits[0].passage.text
    assert (word, replacement) in [(c.word, c.replacement) for c in result.corrections]


def test_every_hit_carries_its_citation(engine: Engine) -> None:
    answer = as_json(engine.search("how many troops", 1), engine.corpus)
    assert answer == {
        "question": "how many troops",
        "answered": True,
        "corrections": [],
        "hits": [
            {
                "text": TROOPS,
                "score": answer["hits"][0]["score"],
                "citation": {
                    "article": "2024-11-06-russian-senators-ratify-defense-treaty-with-north-korea",
                    "title": "Russian Senators Ratify Defense Treaty With North Korea",
                    "source": "The Moscow Times",
                    "date": "2024-11-06",
                    "url": None,
                    "paragraph": 7,
                    "sentence": 2,
                },
            }
        ],
    }
    assert answer["hits"][0]["score"] > 0


def test_search_returns_at_most_k_ranked_hits(engine: Engine) -> None:
    hits = engine.search("north korea", 2).hits
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert engine.search("north korea", 0).hits == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Around 10,000 troops arrived.", (True, False, False, False)),
        ("They voted on Wednesday's session in 2024.", (False, True, False, False)),
        ("Last month, the allies met.", (False, True, False, False)),
        ("They have been allies since the war.", (False, False, True, False)),
        ("Officials said President Ivan Petrov left.", (False, False, False, True)),
        ("North Korea and South Korea met.", (False, False, False, False)),
        ("Thousands marched; it cost 5 dollars.", (True, False, False, False)),
    ],
)
def test_passage_features(text: str, expected: tuple[bool, bool, bool, bool]) -> None:
    assert features(text) == expected
    index = Answerer(passages("Padding sentence here.", text))
    assert tuple(bool(flag) for flag in index.features.flags[1]) == expected


def test_index_flags_match_features_on_the_article(engine: Engine) -> None:
    for number, passage in enumerate(engine.corpus.passages):
        assert tuple(bool(flag) for flag in engine.answerer.features.flags[number]) == features(passage.text)

"""The index: the BM25 variant, parity with rank-bm25, abstention, question words, synonyms, typos."""

from __future__ import annotations

import numpy as np
import pytest
import rank_bm25
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import as_json
from bot.corpus import Passage
from bot.engine import Engine
from bot.index import QueryRow, SearchIndex, features
from bot.query import Want
from bot.text import terms

TROOPS = "Last month, Washington and its allies said North Korea deployed around 10,000 troops to Russia."


def passages(*texts: str) -> list[Passage]:
    return [Passage("a", n, 1, text, 0, len(text)) for n, text in enumerate(texts, start=1)]


def test_okapi_pitfall_that_rules_it_out() -> None:
    # rank-bm25's BM25Okapi gives idf 0 to a term in exactly half the passages: nothing can rank.
    corpus = [["troop", "arriv"], ["treati", "sign"]]
    assert list(rank_bm25.BM25Okapi(corpus).get_scores(["troop"])) == [0.0, 0.0]
    # BM25Plus scores every passage, but its idf stays positive: the matching one ranks first.
    scores = rank_bm25.BM25Plus(corpus).get_scores(["troop"])
    assert scores[0] > scores[1] > 0


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
    result = SearchIndex(passages(*texts)).search(question, 3)
    assert result.hits[0].passage.paragraph == best
    matching = {n for n, text in enumerate(texts, start=1) if set(terms(question)) & set(terms(text))}
    assert {hit.passage.paragraph for hit in result.hits} <= matching  # only passages with evidence


WORDS = ["alpha", "bravo", "charli", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


@settings(max_examples=200, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=12), min_size=1, max_size=12),
    query=st.lists(st.sampled_from([*WORDS, "zulu"]), min_size=1, max_size=5),
)
def test_scores_equal_rank_bm25_bm25plus(corpus: list[list[str]], query: list[str]) -> None:
    texts = [" ".join(words) for words in corpus]
    index = SearchIndex(passages(*texts))
    tokenised = [terms(text) for text in texts]
    if not any(tokenised):
        return  # rank-bm25 divides by the total length
    expected = rank_bm25.BM25Plus(tokenised).get_scores(terms(" ".join(query)))
    docs, scores = index.bm25_scores(terms(" ".join(query)))
    assert set(docs) == {n for n, words in enumerate(tokenised) if set(words) & set(terms(" ".join(query)))}
    np.testing.assert_allclose(scores, expected[docs], rtol=1e-9)


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
    index = SearchIndex(
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


@pytest.fixture(params=["pruned", "small corpus"])
def tiny_limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run once as is (small corpora score every passage) and once with every row 'long' and every
    budget tiny, so the pruning paths run on small corpora.

    The limits are the same for every generated example, so one setting per test is right.
    """
    import bot.index

    if request.param == "small corpus":
        return
    monkeypatch.setattr(bot.index, "SMALL_CORPUS", 0)
    monkeypatch.setattr(bot.index, "SHORT_ROW", 1)
    monkeypatch.setattr(bot.index, "SCORE_BUDGET", 2)
    monkeypatch.setattr(bot.index, "FIRST_SAMPLE", 1)
    monkeypatch.setattr(bot.index, "DENSE_MIN_DF", 1)  # common terms looked up through position arrays


FEW_WORDS = ["alpha", "bravo", "charli", "delta", "echo", "foxtrot"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=10), min_size=1, max_size=40),
    query=st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=4),
    k=st.integers(min_value=1, max_value=6),
)
def test_pruned_top_k_equals_scoring_everything(
    tiny_limits: None, corpus: list[list[str]], query: list[str], k: int
) -> None:
    index = SearchIndex(passages(*(" ".join(words) for words in corpus)))
    tokenised = [terms(" ".join(words)) for words in corpus]
    expected = rank_bm25.BM25Plus(tokenised).get_scores(terms(" ".join(query)))
    holding = [n for n, words in enumerate(tokenised) if set(words) & set(terms(" ".join(query)))]
    best = sorted(expected[holding], reverse=True)[:k]
    docs, scores = index.top_bm25(terms(" ".join(query)), k)
    np.testing.assert_allclose(scores, best, rtol=1e-9)
    np.testing.assert_allclose(expected[docs], scores, rtol=1e-9)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(
        st.lists(st.sampled_from([*FEW_WORDS, "5,000", "monday"]), min_size=1, max_size=10), min_size=1, max_size=30
    ),
    concepts=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=2), min_size=1, max_size=3),
    want=st.sampled_from(list(Want)),
    k=st.integers(min_value=1, max_value=5),
)
def test_pruned_ranking_with_coverage_and_boost_equals_scoring_everything(
    tiny_limits: None, corpus: list[list[str]], concepts: list[list[str]], want: Want, k: int
) -> None:
    index = SearchIndex(passages(*(" ".join(words) for words in corpus)))
    rows = [
        QueryRow(index.vocabulary[term], weight, number)
        for number, words in enumerate(concepts)
        for term, weight in zip(terms(" ".join(words)), (1.0, 0.7), strict=False)
        if term in index.vocabulary
    ]
    _, scores = index._rank(rows, k=k, concepts=len(concepts), want=want)
    everything = np.arange(len(index), dtype=np.int64)
    all_scores = index._score(everything, rows, len(concepts), want)
    best = sorted(all_scores[all_scores > 0], reverse=True)[:k]
    np.testing.assert_allclose(scores, best, rtol=1e-9)


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
    index = SearchIndex(passages("Padding sentence here.", text))
    assert tuple(bool(flag) for flag in index.flags[1]) == expected


def test_index_flags_match_features_on_the_article(engine: Engine) -> None:
    for number, passage in enumerate(engine.corpus.passages):
        assert tuple(bool(flag) for flag in engine.index.flags[number]) == features(passage.text)

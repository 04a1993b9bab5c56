"""The BM25Plus kernel: the variant, exact parity with rank-bm25, and exact pruned top-k."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import rank_bm25
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.corpus import Passage
from bot.core.retrieval.bm25 import COMPILED, DELTA, Bm25Index, Pruning
from bot.core.retrieval.chunks import ChunkTable
from bot.core.text import terms
from bot.index import SearchIndex


def passages(*texts: str) -> list[Passage]:
    return [Passage("a", n, 1, text, 0, len(text)) for n, text in enumerate(texts, start=1)]


def test_okapi_pitfall_that_rules_it_out() -> None:
    # rank-bm25's BM25Okapi gives idf 0 to a term in exactly half the passages: nothing can rank.
    corpus = [["troop", "arriv"], ["treati", "sign"]]
    assert list(rank_bm25.BM25Okapi(corpus).get_scores(["troop"])) == [0.0, 0.0]
    # BM25Plus scores every passage, but its idf stays positive: the matching one ranks first.
    scores = rank_bm25.BM25Plus(corpus).get_scores(["troop"])
    assert scores[0] > scores[1] > 0


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


# Every row "long" and every budget tiny, so the pruning paths run on small corpora.
TINY = Pruning(small_corpus=0, short_row=1, score_budget=2, first_sample=1, dense_min_df=1, sorted_alone=2)


class KernelPath:
    """The compiled loop with a count of the searches it ran: which path a search took, told by what ran."""

    def __init__(self, search: Any) -> None:
        self.search = search
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.search(*args)


@pytest.fixture
def kernel_path(compiled_kernel: Any, monkeypatch: pytest.MonkeyPatch) -> KernelPath:
    """The compiled search, ready (warmed up once per session) and counted."""
    path = KernelPath(compiled_kernel)
    monkeypatch.setattr(COMPILED, "search", path)
    return path


@pytest.fixture(params=["pruned numpy", "pruned compiled", "small corpus"])
def pruning(request: pytest.FixtureRequest, kernel_path: KernelPath) -> Pruning:
    """The pruning limits: tiny (every pruning path runs) on the numpy path and on the compiled loop, and the
    defaults (small corpora score every passage). The compiled loop is ready before the first search."""
    if request.param == "small corpus":
        return Pruning()
    return replace(TINY, compiled=request.param == "pruned compiled")


def took_compiled_path(index: Bm25Index, asked: list[str], path: KernelPath, before: int) -> bool:
    """Whether a search that asked these terms went through the compiled loop, checked against where it should."""
    should = (
        index.pruning.compiled and len(index.passages) > index.pruning.small_corpus and any(t in index for t in asked)
    )
    assert (path.calls > before) == should, (index.pruning, asked)
    return should


FEW_WORDS = ["alpha", "bravo", "charli", "delta", "echo", "foxtrot"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=10), min_size=1, max_size=40),
    query=st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=4),
    k=st.integers(min_value=1, max_value=6),
)
def test_pruned_top_k_equals_scoring_everything(
    pruning: Pruning, kernel_path: KernelPath, corpus: list[list[str]], query: list[str], k: int
) -> None:
    index = Bm25Index(passages(*(" ".join(words) for words in corpus)), pruning=pruning)
    tokenised = [terms(" ".join(words)) for words in corpus]
    expected = rank_bm25.BM25Plus(tokenised).get_scores(terms(" ".join(query)))
    holding = [n for n, words in enumerate(tokenised) if set(words) & set(terms(" ".join(query)))]
    best = sorted(expected[holding], reverse=True)[:k]
    before = kernel_path.calls
    docs, scores = index.top_bm25(terms(" ".join(query)), k)
    took_compiled_path(index, terms(" ".join(query)), kernel_path, before)
    np.testing.assert_allclose(scores, best, rtol=1e-9)
    np.testing.assert_allclose(expected[docs], scores, rtol=1e-9)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(
        st.lists(st.sampled_from([*FEW_WORDS, "5,000", "monday"]), min_size=1, max_size=10), min_size=1, max_size=30
    ),
    query=st.lists(
        st.tuples(st.sampled_from(FEW_WORDS), st.sampled_from([1.0, 0.7, 0.8, 2.0])), min_size=1, max_size=4
    ),
    k=st.integers(min_value=1, max_value=5),
)
def test_weighted_candidates_equal_scoring_everything(
    pruning: Pruning, kernel_path: KernelPath, corpus: list[list[str]], query: list[tuple[str, float]], k: int
) -> None:
    texts = [" ".join(words) for words in corpus]
    index = Bm25Index(passages(*texts), pruning=pruning)
    weighted = [(terms(word)[0], weight) for word, weight in query]
    before = kernel_path.calls
    found = index.candidates(weighted, k)
    took_compiled_path(index, [term for term, _ in weighted], kernel_path, before)
    # The oracle: each term's rank-bm25 BM25Plus score less delta's constant, weighted, over every passage.
    tokenised = [terms(text) for text in texts]
    oracle = rank_bm25.BM25Plus(tokenised)
    everything = np.zeros(len(texts))
    for term, weight in weighted:
        if any(term in words for words in tokenised):
            scores = oracle.get_scores([term])
            everything += weight * np.where(
                [term in words for words in tokenised], scores - oracle.idf[term] * DELTA, 0.0
            )
    best = sorted(everything[everything > 0], reverse=True)[:k]
    np.testing.assert_allclose(found.scores, best, rtol=1e-9)
    for column, doc in enumerate(found.docs):
        held = [term in tokenised[doc] for term, _ in weighted]
        assert list(found.matched[:, column]) == held


class SmallBatches(Bm25Index):
    BATCH = 3  # several batches even on a handful of passages


ODD_TEXTS = [
    "Russia’s “upper house” voted 10,000 to 3.5 — unanimously.",
    "10k troops\tand 10 000 more\nin 2024; the treaty's article_4 (see “annex”)",
    "ﬁnance Ministry‘s Straße and ÉTÉ\u00a0news, zero\u200bwidth soft\u00adhyphen",
    "an-extraordinarily-long-hyphenated-compound-of-words-over-twenty-four-bytes and a word",
    "exactly24bytesinthisword eightbyt sixteenbyteswords",
    "a passage holding the separator \x00 itself",
    "",
    "   ",
    "Kim Jong Un's Pyongyang: 1,000,000 people, 3rd time, 5.5%.",
]


@pytest.mark.parametrize("index_class", [Bm25Index, SmallBatches])
def test_index_terms_are_the_terms_of_each_passage(index_class: type[Bm25Index]) -> None:
    # Passages are tokenised a batch at a time through a table of chunks; the result must be terms() of each.
    texts = ODD_TEXTS * 3
    index = index_class(passages(*texts), pruning=TINY)
    tokenised = [terms(text) for text in texts]
    vocabulary = sorted({term for words in tokenised for term in words})
    assert sorted(index.vocabulary) == vocabulary
    oracle = rank_bm25.BM25Plus(tokenised)
    for term in vocabulary:
        docs, scores = index.bm25_scores([term])
        assert set(docs) == {n for n, words in enumerate(tokenised) if term in words}
        np.testing.assert_allclose(scores, oracle.get_scores([term])[docs], rtol=1e-9)


def test_a_hash_collision_never_gives_a_chunk_another_chunks_terms() -> None:
    seen: list[str] = []

    def ids_of(chunk: str) -> list[int]:
        seen.append(chunk)
        return [len(seen)]

    # Every hash equal: the first chunk is stored, the second collides and the batch is refused.
    table = ChunkTable(ids_of, mix=np.zeros(4, dtype=np.uint64))
    assert table.term_ids("alpha") is not None
    assert table.term_ids("bravo alpha") is None
    honest = ChunkTable(ids_of)
    ids = honest.term_ids("alpha bravo alpha")
    assert ids is not None
    assert ids[0] == ids[2] != ids[1]


@settings(max_examples=100, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=0, max_size=5), min_size=1, max_size=20),
    cuts=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=6),
)
def test_document_frequencies_in_many_ranges_at_once(corpus: list[list[str]], cuts: list[tuple[int, int]]) -> None:
    index = Bm25Index(passages(*(" ".join(words) for words in corpus)))
    starts = np.array([min(a, b) for a, b in cuts])
    stops = np.array([max(a, b) for a, b in cuts])
    for term in [*terms(" ".join(FEW_WORDS)), "zulu"]:
        expected = [
            sum(term in terms(" ".join(words)) for words in corpus[a:b]) for a, b in zip(starts, stops, strict=True)
        ]
        assert index.document_frequencies_in(term, starts, stops).tolist() == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=10), min_size=1, max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=3),
    fresh=st.lists(st.lists(st.sampled_from([*FEW_WORDS, "golf", "hotel"]), min_size=1, max_size=8), max_size=10),
    query=st.lists(st.sampled_from([*FEW_WORDS, "golf", "hotel"]), min_size=1, max_size=4),
    k=st.integers(min_value=1, max_value=6),
)
def test_an_index_extended_by_passages_equals_one_built_at_once(
    pruning: Pruning,
    corpus: list[list[str]],
    cuts: list[int],
    fresh: list[list[str]],
    query: list[str],
    k: int,
) -> None:
    everything = passages(*(" ".join(words) for words in [*corpus, *fresh]))
    # Grown in steps (each step may add nothing), starting from the corpus's first part.
    steps = sorted({min(cut, len(corpus)) or 1 for cut in cuts} | {len(everything)})
    index = first = Bm25Index(everything[: steps[0]], pruning=pruning)
    earlier = first.top_bm25(terms(" ".join(query)), k)
    for step in steps[1:]:
        index = index.extended(everything[:step])
    whole = Bm25Index(everything, pruning=pruning)
    docs, scores = index.top_bm25(terms(" ".join(query)), k)
    expected_docs, expected_scores = whole.top_bm25(terms(" ".join(query)), k)
    assert list(docs) == list(expected_docs)
    np.testing.assert_array_equal(scores, expected_scores)  # the same operations: the same bits
    tokenised = [terms(passage.text) for passage in everything]
    oracle = rank_bm25.BM25Plus(tokenised).get_scores(terms(" ".join(query)))
    np.testing.assert_allclose(oracle[docs], scores, rtol=1e-9)
    weighted = [(term, 0.5 + n) for n, term in enumerate(dict.fromkeys(terms(" ".join(query))))]
    grown, built = index.candidates(weighted, k), whole.candidates(weighted, k)
    assert list(grown.docs) == list(built.docs)
    np.testing.assert_array_equal(grown.scores, built.scores)
    np.testing.assert_array_equal(grown.matched, built.matched)
    assert [index.document_frequency(t) for t in WORDS] == [whole.document_frequency(t) for t in WORDS]
    assert [index.idf_of(t) for t in WORDS] == [whole.idf_of(t) for t in WORDS]
    cuts_in = (np.array([0, 2, 5]), np.array([3, 9, len(everything)]))
    for term in WORDS:
        assert list(index.document_frequencies_in(term, *cuts_in)) == list(
            whole.document_frequencies_in(term, *cuts_in)
        )
    # The index it grew from is left as it was (questions may still be reading it).
    again = first.top_bm25(terms(" ".join(query)), k)
    assert list(again[0]) == list(earlier[0])
    np.testing.assert_array_equal(again[1], earlier[1])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=10), min_size=2, max_size=30),
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("add"), st.lists(st.lists(st.sampled_from([*FEW_WORDS, "golf"]), min_size=1, max_size=8))
            ),
            st.tuples(st.just("remove"), st.lists(st.integers(min_value=0, max_value=60), max_size=4)),
        ),
        min_size=1,
        max_size=4,
    ),
    query=st.lists(st.sampled_from([*FEW_WORDS, "golf"]), min_size=1, max_size=4),
    k=st.integers(min_value=1, max_value=6),
)
def test_an_index_with_passages_removed_and_added_equals_one_built_over_those_left(
    pruning: Pruning,
    corpus: list[list[str]],
    steps: list[tuple[str, list[Any]]],
    query: list[str],
    k: int,
) -> None:
    texts = [" ".join(words) for words in corpus]
    index = Bm25Index(passages(*texts), pruning=pruning)
    removed: set[int] = set()
    for kind, what in steps:
        if kind == "add":
            texts += [" ".join(words) for words in what]
            index = index.extended(passages(*texts))
        else:
            gone = {n % len(texts) for n in what}
            if len(removed | gone) < len(texts):  # a corpus keeps a passage
                removed |= gone
                index = index.removed(np.array(sorted(gone), dtype=np.int64))
    left = [n for n in range(len(texts)) if n not in removed]
    whole = Bm25Index(passages(*(texts[n] for n in left)), pruning=pruning)
    tokenised = [terms(texts[n]) for n in left]
    if not any(tokenised):
        return
    asked = terms(" ".join(query))
    docs, scores = index.top_bm25(asked, k)
    expected_docs, expected_scores = whole.top_bm25(asked, k)
    assert list(docs) == [left[n] for n in expected_docs]
    np.testing.assert_array_equal(scores, expected_scores)
    oracle = rank_bm25.BM25Plus(tokenised).get_scores(asked)
    np.testing.assert_allclose(oracle[expected_docs], scores, rtol=1e-9)
    for term in [*WORDS, "golf"]:
        assert (term in index) == (term in whole)
        assert index.document_frequency(term) == whole.document_frequency(term)
        assert index.idf_of(term) == whole.idf_of(term)
    weighted = [(term, 0.5 + n) for n, term in enumerate(dict.fromkeys(asked))]
    grown, built = index.candidates(weighted, k), whole.candidates(weighted, k)
    assert list(grown.docs) == [left[n] for n in built.docs]
    np.testing.assert_array_equal(grown.scores, built.scores)
    held, expected_held = index.bm25_scores(asked), whole.bm25_scores(asked)
    assert list(held[0]) == [left[n] for n in expected_held[0]]
    np.testing.assert_array_equal(held[1], expected_held[1])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(st.lists(st.sampled_from(FEW_WORDS), min_size=1, max_size=10), min_size=1, max_size=60),
    query=st.lists(
        st.tuples(st.sampled_from([*FEW_WORDS, "golf"]), st.sampled_from([1.0, 0.7, 2.0, 0.25])), min_size=1, max_size=5
    ),
    k=st.integers(min_value=1, max_value=8),
    block=st.sampled_from([1, 2, 3, 64]),
)
def test_the_compiled_search_returns_what_the_numpy_path_returns(
    kernel_path: KernelPath, corpus: list[list[str]], query: list[tuple[str, float]], k: int, block: int
) -> None:
    texts = passages(*(" ".join(words) for words in corpus))
    compiled = Bm25Index(texts, pruning=replace(TINY, block=block))
    numpy_only = Bm25Index(texts, pruning=replace(TINY, compiled=False))
    asked = terms(" ".join(word for word, _ in query))  # a repeated word counts again
    before = kernel_path.calls
    for index_docs, numpy_docs in [(compiled.top_bm25(asked, k), numpy_only.top_bm25(asked, k))]:
        assert list(index_docs[0]) == list(numpy_docs[0])
        np.testing.assert_array_equal(index_docs[1], numpy_docs[1])
    took_compiled_path(compiled, asked, kernel_path, before)
    weighted = [(terms(word)[0], weight) for word, weight in query]  # the same term may come twice
    before = kernel_path.calls
    found, expected = compiled.candidates(weighted, k), numpy_only.candidates(weighted, k)
    took_compiled_path(compiled, [term for term, _ in weighted], kernel_path, before)
    assert list(found.docs) == list(expected.docs)
    np.testing.assert_array_equal(found.scores, expected.scores)
    np.testing.assert_array_equal(found.matched, expected.matched)


def test_warm_up_readies_the_compiled_path_of_the_public_index() -> None:
    from bot.index import SearchIndex

    index = SearchIndex(passages("troops arrived", "the treaty was signed"))
    index.warm_up()  # explicit, documented: no timer decides which path an outside caller meets
    assert COMPILED.search is not None
    docs, scores = index.top_bm25(terms("treaty"), 1)
    assert list(docs) == [1]
    assert scores[0] > 0


def test_no_timer_readies_the_compiled_path_behind_a_callers_back() -> None:
    # In a fresh interpreter: big searches before warm_up() take the numpy path and start no thread of
    # their own; warm_up() alone makes the compiled path ready.
    code = """
import threading
import numpy as np
from bot.core.corpus import Passage
from bot.core.retrieval.bm25 import COMPILED, Bm25Index, Pruning
from bot.core.text import terms

rng = np.random.default_rng(1)
words = [f"word{n}" for n in range(300)]
texts = [" ".join(rng.choice(words, 8)) for _ in range(Pruning().small_corpus + 100)]
index = Bm25Index([Passage("a", 1, n, t, 0, len(t)) for n, t in enumerate(texts)])
for _ in range(3):
    index.top_bm25(terms("word1 word2 word3"), 5)
assert COMPILED.get() is None
assert threading.active_count() == 1, [t.name for t in threading.enumerate()]
index.warm_up()
assert COMPILED.get() is not None
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]

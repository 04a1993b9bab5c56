"""The dense stage: passage vectors from the shipped e5 model, kept exact through updates and snapshots."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cachetools
import numpy as np

from bot.core.answer import as_json, format_text
from bot.core.answering.dense import DIMENSIONS, EMBEDDER, Embedder, PassageVectors, cosines
from bot.core.serving import Index, open_index
from tests.conftest import CORPUS_DIR, run_without_network

SENTENCES = [
    "Last month, Washington and its allies said North Korea deployed around 10,000 troops to Russia.",
    "President Vladimir Putin signed the agreement during a visit to Pyongyang in June.",
    "The upper house of parliament voted unanimously to ratify the treaty.",
    "Ukraine says North Korean soldiers have been spotted in the Kursk region.",
    "The newsletter arrives every Thursday.",
]


def test_the_model_loads_from_its_package_with_every_socket_refused() -> None:
    done = run_without_network(
        """
        from bot.core.answering.dense import EMBEDDER, PassageVectors
        query = EMBEDDER.query("How many soldiers did Pyongyang send?")
        [troops, newsletter] = EMBEDDER.passages(["North Korea deployed 10,000 troops.", "Sign up for our newsletter."])
        print(float(troops.astype("float32") @ query) > float(newsletter.astype("float32") @ query))
        vectors = PassageVectors.of(["Sign up for our newsletter.", "North Korea deployed 10,000 troops."])
        print(vectors.nearest(query, 1)[0].tolist())  # faiss's scan, loaded here too
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "[1]"]


def test_a_texts_vector_is_the_same_alone_in_a_batch_and_in_another_order() -> None:
    together = EMBEDDER.passages(SENTENCES)
    EMBEDDER._passages.clear()  # embedded afresh, not read from the cache
    alone = np.stack([EMBEDDER.passages([sentence])[0] for sentence in SENTENCES])
    EMBEDDER._passages.clear()
    backwards = EMBEDDER.passages(SENTENCES[::-1])[::-1]
    assert together.dtype == np.float16
    assert together.shape == (len(SENTENCES), DIMENSIONS)
    assert np.array_equal(together, alone)
    assert np.array_equal(together, backwards)
    assert np.allclose(np.linalg.norm(together.astype(np.float32), axis=1), 1.0, atol=0.01)


def test_a_paraphrase_finds_its_passage_by_meaning() -> None:
    vectors = PassageVectors.of(SENTENCES)
    asked = {
        "How many soldiers did Pyongyang dispatch?": 0,
        "Who put his name to the pact?": 1,
        "How did the senators vote?": 2,
    }
    for question, expected in asked.items():
        assert vectors.nearest(EMBEDDER.query(question), 1)[0].tolist() == [expected], question


def test_nearest_is_the_exact_top_k_and_skips_passages_taken_out() -> None:
    vectors = PassageVectors.of(SENTENCES)
    query = EMBEDDER.query("North Korean troops in Russia")
    cosines = vectors.cosine(query, np.arange(len(SENTENCES)))
    assert vectors.nearest(query, 3)[0].tolist() == np.argsort(-cosines, kind="stable")[:3].tolist()
    best = int(vectors.nearest(query, 1)[0][0])
    without = vectors.without(np.array([best]))
    assert best not in without.nearest(query, len(SENTENCES))[0].tolist()
    assert len(without.nearest(query, len(SENTENCES))[0]) == len(SENTENCES) - 1
    assert vectors.nearest(query, 0)[0].tolist() == []


def test_vectors_extended_article_by_article_are_a_full_builds() -> None:
    built = PassageVectors.of(SENTENCES)
    grown = PassageVectors.of(SENTENCES[:2]).extended(SENTENCES[2:4]).extended(SENTENCES[4:])
    assert np.array_equal(built.matrix, grown.matrix)
    assert grown.live is None


def test_the_snapshot_keeps_the_vectors_and_a_damaged_one_is_not_answered_from(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in CORPUS_DIR.glob("*.txt"):
        (corpus / path.name).write_bytes(path.read_bytes())
    snapshots = tmp_path / "index"
    built = open_index(corpus, snapshots=snapshots)
    [saved] = list(snapshots.glob("snapshot-*/passage_vectors.npy"))
    loaded = open_index(corpus, snapshots=snapshots)
    assert isinstance(loaded.answerer.vectors.matrix, np.ndarray)
    assert not loaded.answerer.vectors.matrix.flags.writeable  # mapped from the file, not copied
    assert np.array_equal(loaded.answerer.vectors.matrix, built.answerer.vectors.matrix)
    question = "How many soldiers did Pyongyang dispatch?"
    assert loaded.search(question) == built.search(question)
    np.save(saved, np.load(saved) * np.float16(2))  # no longer unit vectors
    again = open_index(corpus, snapshots=snapshots)  # the snapshot is refused and the corpus built again
    assert np.array_equal(again.answerer.vectors.matrix, built.answerer.vectors.matrix)


def test_the_closest_tier_names_the_question_words_its_passages_never_state(engine: Index) -> None:
    result = engine.search("How many North Korean soldiers died in Kursk?")
    assert result.tier == "closest"
    assert "died" in result.unexplained  # as asked, never folded
    assert "soldiers" not in result.unexplained  # "troops" says it in other words
    said = format_text(result, engine.corpus)
    assert "never mention “died”" in said or "never mentions “died”" in said
    assert as_json(result, engine.corpus)["unexplained"] == list(result.unexplained)
    plain = engine.search("How many troops did North Korea send?")
    assert plain.hits
    assert "troops" not in plain.unexplained


def test_meaning_alone_is_never_evidence(engine: Index) -> None:
    # The passages nearest in meaning are candidates, but none holds a word of the question.
    assert engine.search("how can I donate to the moscow times").hits == ()


def test_a_text_standing_in_many_passages_is_embedded_once() -> None:
    """Wire copy stands in many articles of an archive: each distinct text goes to the model once
    (a 300-article archive sent it 4,599 texts for 822 distinct ones)."""
    wire = "AFP contributed reporting to this story, which ran in many papers at once."
    sent: list[str] = []
    model = EMBEDDER._loaded()

    class Counting:
        def passage(self, texts: list[str]) -> np.ndarray:
            sent.extend(texts)
            return np.asarray(model.passage(texts))

    EMBEDDER._passages.clear()
    EMBEDDER._model = Counting()
    try:
        vectors = EMBEDDER.passages([wire, SENTENCES[0], wire, wire])
    finally:
        EMBEDDER._model = model
    assert sorted(sent) == sorted([wire, SENTENCES[0]])
    assert np.array_equal(vectors[0], vectors[2])
    assert np.array_equal(vectors[0], vectors[3])


def test_more_texts_than_the_cache_holds_all_get_their_vectors() -> None:
    small = Embedder()
    small._model = EMBEDDER._loaded()  # the same model; only the cache is smaller
    small._passages = cachetools.LRUCache(maxsize=2)
    vectors = small.passages(SENTENCES)  # five texts: the first ones are evicted within the call
    assert np.array_equal(vectors, EMBEDDER.passages(SENTENCES))
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=0.01)


def test_a_passage_stored_anywhere_has_the_same_cosine_to_the_bit() -> None:
    """Copies of one sentence must tie exactly, wherever they stand and however many passages
    there are: an updated index numbers them otherwise than a full build does."""
    vectors = EMBEDDER.passages(SENTENCES)
    query = EMBEDDER.query("who is Rudenko")
    seen = set()
    for count in range(1, 40):
        for place in range(count):
            rows = [vectors[n % 4 + 1] for n in range(count)]
            rows[place] = vectors[0]
            stored = PassageVectors(np.stack(rows))
            seen.add(float(stored.cosine(query, np.array([place]))[0]))
            docs, scores = stored.nearest(query, count)
            seen.add(float(scores[docs.tolist().index(place)]))
    assert len(seen) == 1, seen


def _random_rows(count: int, distinct: int, seed: int) -> np.ndarray:
    """Return unit float16 rows drawn from `distinct` vectors: many rows tie exactly."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_normal((distinct, DIMENSIONS)).astype(np.float32)
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    return pool.astype(np.float16)[rng.integers(0, distinct, count)]


def _questions(seed: int, count: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    asked = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return list(asked / np.linalg.norm(asked, axis=1, keepdims=True))


def _same_as_numpys(vectors: PassageVectors, questions: list[np.ndarray], ks: tuple[int, ...]) -> None:
    for query in questions:
        for k in ks:
            docs, scores = vectors.nearest(query, k)
            expected_docs, expected_scores = vectors.nearest_by_numpy(query, k)
            assert docs.tolist() == expected_docs.tolist(), k
            assert np.array_equal(scores, expected_scores), k


def test_faiss_finds_what_numpys_scan_finds_with_ties_removed_and_unembedded_passages() -> None:
    """Copies of a row tie exactly (lower number first), wherever the k-th falls among them."""
    ks = (1, 3, 21, 42, 150, 2_000)
    for seed, (count, distinct) in enumerate([(50, 50), (600, 12), (1_500, 300), (40_000, 2_000)]):
        questions = [*_questions(seed), np.asarray(_random_rows(1, 1, seed)[0], dtype=np.float32)]
        rows = _random_rows(count, distinct, seed)
        whole = PassageVectors(rows)
        _same_as_numpys(whole, questions, ks)
        rng = np.random.default_rng(seed + 100)
        removed = whole.without(rng.choice(count, count // 3, replace=False))
        _same_as_numpys(removed, questions, ks)
        assert removed.scan is whole.scan  # the same rows: one copy in faiss
        pending = PassageVectors.pending(np.zeros((count, 16), dtype=np.uint8))
        filled = rng.choice(count, count // 2, replace=False)
        pending.fill(filled[: count // 4], rows[filled[: count // 4]])
        _same_as_numpys(pending, questions, ks)  # faiss's copy made with a quarter embedded
        pending.fill(filled[count // 4 :], rows[filled[count // 4 :]])  # written into faiss's copy too
        _same_as_numpys(pending, questions, ks)
        _same_as_numpys(pending.without(filled[::3]), questions, ks)
        assert not set(pending.nearest(questions[0], count)[0].tolist()) - set(filled.tolist())


def test_faiss_copies_only_rows_appended_and_older_vectors_never_see_them() -> None:
    rows = _random_rows(3_000, 400, seed=7)
    extra = {text: row for text, row in zip(map(str, range(1_000)), _random_rows(1_000, 100, seed=8), strict=True)}

    class Table(Embedder):
        def passages(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
            return np.array([extra[text] for text in texts], dtype=np.float16).reshape(len(texts), DIMENSIONS)

    table = Table()
    questions = _questions(9)
    loaded = PassageVectors(rows[:2_000])  # as a snapshot's: no room after the rows
    _same_as_numpys(loaded, questions, (5, 21, 300))
    first = loaded.extended([], table)  # the rows copied, with room after them: faiss's copy goes on
    assert first.scan is loaded.scan
    assert first.scan.rows == 2_000
    second = first.extended([str(n) for n in range(400)], table)  # appended in place
    third = second.without(np.arange(0, 2_400, 5)).extended([str(n) for n in range(400, 700)], table)
    assert second.scan is first.scan
    assert third.scan is first.scan
    _same_as_numpys(third, questions, (5, 21, 300, 3_000))
    assert first.scan.rows == 2_700  # the new rows only were copied in
    for older in (loaded, first, second):  # fewer rows than faiss holds now: only theirs are searched
        _same_as_numpys(older, questions, (5, 21, 300, 3_000))
        assert older.nearest(questions[0], 3_000)[0].max() < len(older.matrix)
    branch = second.extended([str(n) for n in range(700, 1_000)], table)  # second's room is taken: a copy
    assert branch.scan is not first.scan  # faiss's copy holds third's rows after second's
    _same_as_numpys(branch, questions, (5, 21, 300, 3_000))
    built = PassageVectors(np.concatenate([rows[:2_000], np.stack([extra[str(n)] for n in range(700)])]))
    built = built.without(np.arange(0, 2_400, 5))
    for query in questions:
        assert np.array_equal(third.nearest(query, 50)[0], built.nearest(query, 50)[0])


def test_faiss_answers_while_rows_are_embedded_and_appended_in_other_threads() -> None:
    """Rows copied into faiss while others search (its storage may move) and rows embedded while
    others search: every answer is numpy's for the rows marked by then, and none is lost."""
    rows = _random_rows(6_000, 500, seed=11)
    extra = {str(n): row for n, row in enumerate(_random_rows(4_000, 300, seed=12))}

    class Table(Embedder):
        def passages(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
            return np.array([extra[text] for text in texts], dtype=np.float16).reshape(len(texts), DIMENSIONS)

    base = PassageVectors.pending(np.zeros((len(rows), 16), dtype=np.uint8))
    query = _questions(13, 1)[0]
    base.nearest(query, 5)  # faiss's copy made before anything is embedded
    errors: list[BaseException] = []

    def embed() -> None:
        for start in range(0, len(rows), 200):
            docs = np.arange(start, start + 200, dtype=np.int64)
            base.fill(docs, rows[docs])

    def extend() -> None:
        vectors = base
        for start in range(0, 4_000, 250):
            vectors = vectors.extended([str(n) for n in range(start, start + 250)], Table())
            vectors.nearest(query, 21)  # copies the new rows in, perhaps moving faiss's storage

    def ask() -> None:
        for _ in range(60):
            docs, scores = base.nearest(query, 21)
            assert docs.max(initial=-1) < len(rows)
            assert np.array_equal(scores, cosines(rows[docs], query))

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # reported by the test's own thread
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(work)) for work in (embed, extend, ask, ask)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert base.missing == 0
    _same_as_numpys(base, [query], (1, 21, 300))

"""The dense stage: passage vectors from the shipped e5 model, kept exact through updates and snapshots."""

from __future__ import annotations

from pathlib import Path

import cachetools
import numpy as np

from bot.core.answer import as_json, format_text
from bot.core.answering.dense import DIMENSIONS, EMBEDDER, Embedder, PassageVectors
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
        from bot.core.answering.dense import EMBEDDER
        query = EMBEDDER.query("How many soldiers did Pyongyang send?")
        [troops, newsletter] = EMBEDDER.passages(["North Korea deployed 10,000 troops.", "Sign up for our newsletter."])
        print(float(troops.astype("float32") @ query) > float(newsletter.astype("float32") @ query))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


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

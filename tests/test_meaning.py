"""Word meaning from the model shipped inside wordllama's wheel: loaded with no network, used by answering."""

from __future__ import annotations

from bot.core.answering.meaning import Vocabulary, embed
from tests.conftest import run_without_network


def test_the_model_loads_from_its_package_with_every_socket_refused() -> None:
    done = run_without_network(
        """
        from bot.core.answering.meaning import embed
        vectors = embed(["troops", "soldiers"])
        print(round(float(vectors[0] @ vectors[1]), 2))
        """
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0.5  # "troops" and "soldiers" are near in meaning


def test_similar_words_are_nearer_than_unrelated_ones() -> None:
    vocabulary = Vocabulary(["troops", "vote", "newsletter", "lawmakers"])
    [soldiers, ballot] = embed(["soldiers", "ballot"])
    assert vocabulary.neighbours(soldiers, floor=0.0, most=1)[0][0] == "troops"
    assert vocabulary.neighbours(ballot, floor=0.0, most=1)[0][0] == "vote"
    assert vocabulary.neighbours(ballot, floor=0.99, most=4) == []


def test_a_paraphrase_finds_the_passage_no_word_list_links_it_to() -> None:
    from bot.core.corpus import Passage
    from bot.core.serving import answerer_over

    texts = ["The ministry opened a new office.", "Around 400 children crossed the river at dawn."]
    answerer = answerer_over([Passage("a", n, 1, text, 0, len(text)) for n, text in enumerate(texts, start=1)])
    hits = answerer.search("how many kids crossed").hits  # no word list links "kids" to "children"
    assert hits
    assert hits[0].passage.text == texts[1]

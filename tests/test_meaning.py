"""Word meaning from the model shipped inside wordllama's wheel: loaded with no network, used by answering."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bot.core.answering.meaning import Vocabulary, embed

ROOT = Path(__file__).resolve().parent.parent


def test_the_model_loads_from_its_package_with_every_socket_refused() -> None:
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network use while loading the model")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from bot.core.answering.meaning import embed
        vectors = embed(["troops", "soldiers"])
        print(round(float(vectors[0] @ vectors[1]), 2))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
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
    from bot.core.answering.search import Answerer
    from bot.core.corpus import Passage

    texts = ["The ministry opened a new office.", "Around 400 children crossed the river at dawn."]
    answerer = Answerer([Passage("a", n, 1, text, 0, len(text)) for n, text in enumerate(texts, start=1)])
    hits = answerer.search("how many kids crossed").hits  # no word list links "kids" to "children"
    assert hits
    assert hits[0].passage.text == texts[1]

"""A deterministic synthetic corpus: Zipfian vocabulary, sentences of 10-35 words, the real article mixed in.

Sentences look like news to the tokeniser: about a third carry a number ("10,000", "2024", "3.5"),
a quarter a two-word capitalised name, a fifth a possessive ("word's") and a tenth a quoted span,
so tokenising takes its slow paths as often as on real articles, not only its letters-only fast path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bot.core.articles.store import load_corpus
from bot.core.corpus import Passage
from bot.core.text import ENGLISH_STOP_WORDS, terms

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    """Return `size` distinct made-up words of 2-4 syllables (none an English stop word)."""
    words: dict[str, None] = {}
    while len(words) < size:
        count = int(rng.integers(2, 5))
        word = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), count))
        if word not in ENGLISH_STOP_WORDS:
            words[word] = None
    return list(words)


def zipf_weights(size: int, exponent: float = 1.07) -> np.ndarray:
    """Return Zipf probabilities for ranks 1..size."""
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def synthetic_passages(count: int, *, seed: int = 7, vocab_size: int = 50_000) -> Iterator[Passage]:
    """Yield `count` passages: the shipped article's passages first, then synthetic sentences."""
    rng = np.random.default_rng(seed)
    real = load_corpus(ROOT / "corpus").passages
    yield from real[:count]
    words = vocabulary(vocab_size, rng)
    probabilities = zipf_weights(vocab_size)
    remaining = count - min(count, len(real))
    chunk = 50_000
    for start in range(0, remaining, chunk):
        size = min(chunk, remaining - start)
        lengths = rng.integers(10, 36, size)
        ids = rng.choice(vocab_size, size=int(lengths.sum()), p=probabilities)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        for n in range(size):
            sentence = [words[i] for i in ids[offsets[n] : offsets[n + 1]]]
            text = news_like(sentence, rng)
            yield Passage(f"synthetic-{(start + n) // 40}", (start + n) % 40 + 1, 1, text, 0, len(text))


NUMBERS = ("10,000", "2024", "3.5", "1,200", "17", "2014", "250", "40%")


def news_like(sentence: list[str], rng: np.random.Generator) -> str:
    """Return words as a news sentence: capitalised, with numbers, names, possessives and quotes mixed in."""
    words = list(sentence)
    draws = rng.random(4)
    if draws[0] < 0.33:
        words.insert(int(rng.integers(0, len(words))), NUMBERS[int(rng.integers(0, len(NUMBERS)))])
    if draws[1] < 0.25:
        at = int(rng.integers(0, len(words) - 1))
        words[at : at + 2] = [words[at].capitalize(), words[at + 1].capitalize()]
    if draws[2] < 0.2:
        at = int(rng.integers(0, len(words)))
        words[at] += "'s"
    if draws[3] < 0.1 and len(words) > 4:
        at = int(rng.integers(0, len(words) - 3))
        words[at] = "“" + words[at]
        words[at + 2] += ",”"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def queries(count: int, *, seed: int = 11, vocab_size: int = 50_000) -> list[list[str]]:
    """Return `count` tokenised queries: the eval set's real questions, then 1-5 synthetic words each.

    Synthetic query words are drawn from the same Zipf law as the corpus, so common words (long
    posting lists) come up as often as they would in readers' questions.
    """
    lines = (ROOT / "tests" / "eval_questions.jsonl").read_text(encoding="utf-8").splitlines()
    real = [terms(json.loads(line)["q"]) for line in lines if line.strip()]
    real = [q for q in real if q][: count // 4]
    rng = np.random.default_rng(seed)
    words = vocabulary(vocab_size, np.random.default_rng(7))
    probabilities = zipf_weights(vocab_size)
    synthetic = []
    for _ in range(count - len(real)):
        picked = rng.choice(vocab_size, size=int(rng.integers(1, 6)), p=probabilities)
        synthetic.append(terms(" ".join(words[i] for i in picked)))
    return real + synthetic


def content_queries(count: int, *, seed: int = 13, vocab_size: int = 50_000) -> list[list[str]]:
    """Return `count` tokenised questions of the kind readers type: topic and mid-frequency words.

    Each holds one topic word (Zipf ranks 200-2,000: a story's subject, in a few hundred passages)
    and one to three mid-frequency words (ranks 50-5,000); none of the 50 commonest words, which
    real questions' stop words and fillers stand for and the tokeniser drops. Zipf-drawn questions
    (queries above) are mostly common words; both kinds are real, and they load an index differently.
    """
    rng = np.random.default_rng(seed)
    words = vocabulary(vocab_size, np.random.default_rng(7))
    asked = []
    for _ in range(count):
        topic = words[int(rng.integers(200, 2_000))]
        others = [words[int(rank)] for rank in rng.integers(50, 5_000, size=int(rng.integers(1, 4)))]
        asked.append(terms(" ".join([topic, *others])))
    return asked

"""A deterministic synthetic corpus: Zipfian vocabulary, sentences of 10-35 words, the real article mixed in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bot.core.corpus import Passage
from bot.core.store import load_corpus
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
            sentence = " ".join(words[i] for i in ids[offsets[n] : offsets[n + 1]])
            text = sentence[0].upper() + sentence[1:] + "."
            yield Passage(f"synthetic-{(start + n) // 40}", (start + n) % 40 + 1, 1, text, 0, len(text))


def queries(count: int, *, seed: int = 11, vocab_size: int = 50_000) -> list[list[str]]:
    """Return `count` tokenised queries: the eval set's real questions, then 1-4 synthetic words each.

    Synthetic query words are drawn from the same Zipf law as the corpus, so common words (long
    posting lists) come up as often as they would in readers' questions.
    """
    real = [terms(json.loads(line)["q"]) for line in (ROOT / "tests" / "eval_questions.jsonl").open(encoding="utf-8")]
    real = [q for q in real if q][: count // 4]
    rng = np.random.default_rng(seed)
    words = vocabulary(vocab_size, np.random.default_rng(7))
    probabilities = zipf_weights(vocab_size)
    synthetic = []
    for _ in range(count - len(real)):
        picked = rng.choice(vocab_size, size=int(rng.integers(1, 5)), p=probabilities)
        synthetic.append(terms(" ".join(words[i] for i in picked)))
    return real + synthetic

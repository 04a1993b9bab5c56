"""Fit how near in meaning a name asked in another script must be to an article's name to be taken
for it (bot/core/answering/across.py NAME_MATCH), and report it cross-validated:
bench/fit_names.py [--language ru] [--folds 5].

The data are CLDR's own names (Babel): each territory and language named in the question's language
("Китай", "японский") beside the English names (China, Japanese). An "article" is 30 English names
drawn at random; the asked name's own English name is among them half the time. A name is taken
for the article's nearest name when their cosine (e5 query against e5 passage, as across.py asks)
reaches the threshold; it is right when the name was among them and nearest, or was not and is
not taken. The threshold is fitted on the names of k-1 folds and scored on the names of the last
(folds by name, never a name in both); the figure printed is that held-out accuracy. No question
of the project's own sets is read.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.dense import EMBEDDER  # noqa: E402

ARTICLE_NAMES = 30


def name_pairs(language: str) -> list[tuple[str, str]]:
    """Return (name in the language, English name) of CLDR's territories (two-letter codes) and languages."""
    local, english = Locale(language), Locale("en")
    pairs = []
    for table, other in ((local.territories, english.territories), (local.languages, english.languages)):
        for code, name in table.items():
            if code in other and (len(code) == 2 or table is local.languages) and name and other[code]:
                pairs.append((str(name), str(other[code])))
    return sorted(set(pairs))


def trials(pairs: list[tuple[str, str]], similarity: np.ndarray, seed: int) -> list[tuple[float, bool, bool]]:
    """Return, per asked name, (best cosine in its article, own name in the article, best is its own)."""
    rng = random.Random(seed)
    found = []
    for asked in range(len(pairs)):
        others = [n for n in range(len(pairs)) if pairs[n][1] != pairs[asked][1]]
        article = rng.sample(others, ARTICLE_NAMES - 1)
        present = rng.random() < 0.5
        if present:
            article.append(asked)
        best = max(article, key=lambda n: similarity[asked, n])
        found.append((float(similarity[asked, best]), present, best == asked))
    return found


def accuracy(rows: list[tuple[float, bool, bool]], threshold: float) -> float:
    """Return the share of trials decided right at a threshold."""
    right = sum((best >= threshold and own) if present else best < threshold for best, present, own in rows)
    return right / max(len(rows), 1)


def fitted(rows: list[tuple[float, bool, bool]]) -> float:
    """Return the threshold (between two observed cosines) that decides most trials right."""
    cuts = sorted({round(best, 4) for best, _, _ in rows})
    return max(cuts, key=lambda t: (accuracy(rows, t), -abs(t - 0.88)))


def main() -> int:
    """Embed the names, cross-validate the threshold by folds of names, print it fitted on all."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", default="ru")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pairs = name_pairs(args.language)
    asked = np.stack([EMBEDDER.query(local) for local, _ in pairs])
    english = np.asarray(EMBEDDER.passages([name for _, name in pairs]), dtype=np.float32)
    similarity = asked @ english.T
    rows = trials(pairs, similarity, args.seed)
    order = list(range(len(pairs)))
    random.Random(args.seed).shuffle(order)
    held_out = []
    for fold in range(args.folds):
        test = set(order[fold :: args.folds])
        threshold = fitted([row for n, row in enumerate(rows) if n not in test])
        scored = [row for n, row in enumerate(rows) if n in test]
        held_out.append((threshold, accuracy(scored, threshold), len(scored)))
        print(f"fold {fold + 1}: threshold {threshold:.4f}, held-out accuracy {held_out[-1][1]:.1%} of {len(scored)}")
    total = sum(acc * n for _, acc, n in held_out) / sum(n for _, _, n in held_out)
    print(f"{len(pairs)} CLDR names ({args.language} -> en); held-out accuracy {total:.1%}")
    print(f"fitted on every name: NAME_MATCH = {fitted(rows):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

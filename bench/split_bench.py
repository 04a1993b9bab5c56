"""Sentence splitters beside pysbd: agreement, speed, and hostile inputs.

    python bench/split_bench.py [--squad ../shared/eval/squad-v2-dev-public.json] [--json]

There is no gold sentence segmentation for the bot's texts, so quality is agreement with pysbd
(the splitter the bot used before) on the shipped article, the project's fixture capture and the
SQuAD contexts: precision and recall of sentence ends, and the share of paragraphs split
identically. Answer quality with the chosen splitter is measured by `python -m bot eval`.
Needs the bench extra (pysbd, nupunkt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.articles.store import load_corpus  # noqa: E402
from bot.core.corpus import split_sentences  # noqa: E402

Splitter = Callable[[str], list[tuple[int, int]]]


def _stripped(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for start, end in spans:
        piece = text[start:end]
        left, right = start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())
        if right > left:
            out.append((left, right))
    return out


def splitters() -> dict[str, Splitter]:
    """The bot's splitter and each peer that is installed, pysbd first (the reference)."""
    import nupunkt
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    found: dict[str, Splitter] = {
        "pysbd": lambda text: _stripped(text, [(s.start, s.end) for s in segmenter.segment(text)]),
        "bot (sentencex)": split_sentences,
    }
    found["nupunkt"] = lambda text: _stripped(text, list(nupunkt.sent_spans(text)))
    return found


def paragraphs(squad: Path | None) -> list[str]:
    """The shipped article's paragraphs, then the SQuAD contexts (single-spaced as the corpus is)."""
    corpus = load_corpus(ROOT / "corpus")
    texts = [p for article in corpus.articles for p in (article.caption, *article.paragraphs) if p]
    if squad is not None:
        data = json.loads(squad.read_text(encoding="utf-8"))
        texts += [" ".join(p["context"].split()) for a in data["data"] for p in a["paragraphs"]]
    return texts


HOSTILE = {
    "numbered list, 19,500 characters": " ".join(f"{i}. item number {i} is here" for i in range(1, 1200))[:19_500],
    "numbered list, 2 MB": " ".join(f"{i}. item number {i} is here" for i in range(1, 80_000))[:2_000_000],
    "abbreviations, 2 MB": "Mr. " * 500_000,
    "quotes and brackets, 2 MB": ("He said «No.» (See fig. 3.) “Yes!” U.S. e.g. i.e. " * 40_000)[:2_000_000],
}


def run(squad: Path | None, hostile_limit: int) -> dict[str, Any]:
    texts = paragraphs(squad)
    found = splitters()
    reference = [{end for _, end in found["pysbd"](text)[:-1]} for text in texts]
    rows: dict[str, Any] = {}
    for name, split in found.items():
        started = time.perf_counter()
        count = same = hit = extra = missed = 0
        for text, ends in zip(texts, reference, strict=True):
            spans = split(text)
            count += len(spans)
            mine = {end for _, end in spans[:-1]}
            hit, extra, missed = hit + len(mine & ends), extra + len(mine - ends), missed + len(ends - mine)
            same += mine == ends
        seconds = time.perf_counter() - started
        hostile: dict[str, float | None] = {}
        for label, text in HOSTILE.items():
            if len(text) > hostile_limit and name == "pysbd":
                hostile[label] = None  # pysbd is superlinear: minutes on a numbered list
                continue
            started = time.perf_counter()
            split(text)
            hostile[label] = round(time.perf_counter() - started, 4)
        rows[name] = {
            "sentences": count,
            "sentences_per_second": round(count / seconds),
            "precision_vs_pysbd": round(hit / max(1, hit + extra), 4),
            "recall_vs_pysbd": round(hit / max(1, hit + missed), 4),
            "paragraphs_identical": round(same / len(texts), 4),
            "hostile_seconds": hostile,
        }
    return {"paragraphs": len(texts), "splitters": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=ROOT.parent / "shared" / "eval" / "squad-v2-dev-public.json")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--hostile-limit", type=int, default=20_000, help="longest hostile text given to pysbd")
    args = parser.parse_args()
    result = run(args.squad if args.squad.exists() else None, args.hostile_limit)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['paragraphs']} paragraphs")
    for name, row in result["splitters"].items():
        print(
            f"{name:16} {row['sentences']:>6} sentences {row['sentences_per_second']:>9,}/s  vs pysbd: "
            f"P {row['precision_vs_pysbd']:.3f} R {row['recall_vs_pysbd']:.3f} "
            f"identical paragraphs {row['paragraphs_identical']:.3f}"
        )
        for label, seconds in row["hostile_seconds"].items():
            print(f"    {label:28} {'not run (over --hostile-limit)' if seconds is None else f'{seconds:.3f} s'}")


if __name__ == "__main__":
    main()

"""Write a synthetic archive as a newsroom's corpus folder: N articles of 25 sentences each.

    python bench/make_archive.py --articles 4000 --out /tmp/archive     # 100,000 passages

Sentences come from synthetic.py (Zipfian made-up words, numbers, names, quotes), five paragraphs
of five sentences per article, plus the shipped article; each file is a real corpus file.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import synthetic_passages  # noqa: E402
from bot.core.corpus import Article, format_article  # noqa: E402

SENTENCES = 25


def write_archive(articles: int, out: Path) -> int:
    """Write `articles` synthetic articles (and the shipped one) into out; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    for shipped in (ROOT / "corpus").glob("*.txt"):
        shutil.copy(shipped, out / shipped.name)
    sentences = (p.text for p in synthetic_passages(articles * SENTENCES + 1_000) if p.article_id.startswith("synth"))
    for number in range(articles):
        texts = [next(sentences) for _ in range(SENTENCES)]
        paragraphs = tuple(" ".join(texts[i : i + 5]) for i in range(0, SENTENCES, 5))
        day = f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
        article = Article(f"{day}-story-{number}", f"Story {number}", day, "Synthetic Times", None, paragraphs)
        (out / f"{article.id}.txt").write_text(format_article(article), encoding="utf-8")
    return articles + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(f"wrote {write_archive(args.articles, args.out)} articles to {args.out}")


if __name__ == "__main__":
    main()

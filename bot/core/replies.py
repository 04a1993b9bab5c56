"""The bot's own words in the reader's language, from lang/<code>/replies.txt ("key: text" lines)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from bot.core.lang import DATA


@functools.cache
def replies(language: str) -> dict[str, str]:
    """Return a language's texts by key (none for a language without a replies file)."""
    path = DATA / language / "replies.txt" if language.isalpha() else None
    if path is None or not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, text = line.partition(":")
        if sep and key.strip() and not line.startswith("#"):
            found[key.strip()] = text.strip()
    return found


def quoted_names(names: Sequence[str], language: str, *, joined_by: str = "or") -> str:
    """Return names in the language's quotes, the last joined by its word ("«Китай» или «Япония»";
    English, which has no replies file: '“died” or “Kursk”')."""
    quotes = replies(language).get("quotes", "“”")
    opening, closing = quotes[0], quotes[-1]
    words = [f"{opening}{name[:40]}{closing}" for name in names]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {replies(language).get(joined_by, joined_by)} " + words[-1]

"""Words a question may use for an article's words: synonyms from the language data, and spelling fixes."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import is_number, stem


def synonym_table(language: Language = ENGLISH) -> dict[str, frozenset[str]]:
    """Return, for each stemmed word of a synonym group, the stems of the other words of its groups."""
    groups: dict[str, set[str]] = {}
    for line in language.synonym_groups:
        stems = {stem(word) for word in line}
        for member in stems:
            groups.setdefault(member, set()).update(stems - {member})
    return {key: frozenset(value) for key, value in groups.items()}


def max_typo_distance(word: str) -> int:
    """Return how many edits a misspelling of a word of this length may be from the word meant."""
    # Two edits turn many short real words into other real words ("ministry" -> "minister").
    return 0 if len(word) < 4 else 1 if len(word) < 9 else 2


class Spelling:
    """The words of a corpus as written, for reading a misspelt question word as one of them."""

    def __init__(self, words: Iterable[str]) -> None:
        by_letter: dict[str, list[str]] = {}
        for word in sorted(words):
            by_letter.setdefault(word[:1], []).append(word)
        self._first_letter = {letter: tuple(found) for letter, found in by_letter.items()}

    def correction(self, word: str, *, max_distance: int | None = None) -> str | None:
        """Return the corpus word closest to a misspelt word, within its edit distance, if any."""
        limit = max_typo_distance(word) if max_distance is None else max_distance
        if limit == 0 or is_number(word):
            return None
        # Typing slips rarely hit the first letter; keeping it stops "weather" becoming "whether".
        candidates = self._first_letter.get(word[:1], ())
        match = process.extractOne(word, candidates, scorer=Levenshtein.distance, score_cutoff=limit)
        return None if match is None else str(match[0])

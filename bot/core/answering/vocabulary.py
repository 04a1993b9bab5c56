"""Words a question may use for an article's words: synonyms from the language data, and spelling fixes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import wordfreq
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import is_number, stem


def _relate(table: dict[str, set[str]], words: Iterable[str]) -> None:
    stems = {stem(word) for word in words}
    for member in stems:
        table.setdefault(member, set()).update(stems - {member})


def synonym_table(language: Language = ENGLISH) -> dict[str, frozenset[str]]:
    """Return, for each stemmed word of a synonym group, the stems of the other words of its groups.

    Besides the language's own groups, a country's demonym stands with its name where they differ by
    one word ("korean" with "korea", "ukrainian" with "ukraine"; countries.txt, generated data).
    """
    groups: dict[str, set[str]] = {}
    for line in language.synonym_groups:
        _relate(groups, line)
    for name, demonym, _ in language.countries:
        named, people = name.lower().split(), demonym.lower().split()
        if len(named) != len(people):
            continue  # "United States" / "American": no one word of the one stands for the other
        differing = [(a, b) for a, b in zip(named, people, strict=True) if a != b]
        if len(differing) == 1 and not set(differing[0]) & language.stop_words:
            _relate(groups, differing[0])
    return {key: frozenset(value) for key, value in groups.items() if value}


def place_table(language: Language = ENGLISH) -> dict[str, frozenset[str]]:
    """Return, for a capital's stem, its country's stems: a reader's "Pyongyang" often means North Korea.

    Only one-word capitals, and the words of a name that name the country on their own ("korea" of
    "North Korea", not "north"). The capital does not always stand for the country, so these count
    for less than synonyms (AnswerPolicy.place_weight); a country never stands for its capital.
    """
    table: dict[str, set[str]] = {}
    for name, _, capital in language.countries:
        capital_words = [word for word in capital.lower().split() if "." not in word and len(word) > 2]
        country_words = [word for word in name.lower().split() if word not in language.place_words]
        if len(capital_words) != 1 or not country_words:
            continue
        capital_stem = stem(capital_words[0])
        for word in country_words:
            country_stem = stem(word)
            if country_stem != capital_stem:
                table.setdefault(capital_stem, set()).add(country_stem)
    return {key: frozenset(value) for key, value in table.items()}


def country_name_terms(language: Language = ENGLISH) -> frozenset[str]:
    """Return the stems of the words that name a country or its people on their own ("china",
    "chinese", "korea" of "North Korea"; not "north", not "Isle of Man"): names however typed.

    Not capitals: a capital typed in lower case may still be read as a hint at its country
    ("pyongyang" for North Korea, see place_table).
    """
    found = set()
    for name, people, _ in language.countries:
        for part in (part for field in (name, people) for part in field.split(",")):
            named = [w for w in re.findall(r"[^\W\d_]+", part.lower()) if len(w) > 1 and w not in language.place_words]
            if len(named) == 1 and len(named[0]) > 2:
                found.add(stem(named[0]))
    return frozenset(found)


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

    def without(self, words: Iterable[str]) -> Spelling:
        """Return this spelling without some words (those only removed articles held)."""
        gone = set(words)
        spelling = Spelling(())
        spelling._first_letter = dict(self._first_letter)
        for letter in {word[:1] for word in gone}:
            kept = tuple(word for word in self._first_letter.get(letter, ()) if word not in gone)
            if kept:
                spelling._first_letter[letter] = kept
            else:
                spelling._first_letter.pop(letter, None)
        return spelling

    def correction(self, word: str, *, max_distance: int | None = None) -> str | None:
        """Return the corpus word closest to a misspelt word, within its edit distance, if any."""
        limit = max_typo_distance(word) if max_distance is None else max_distance
        if limit == 0 or is_number(word):
            return None
        # Typing slips rarely hit the first letter; keeping it stops "weather" becoming "whether".
        candidates = self._first_letter.get(word[:1], ())
        match = process.extractOne(word, candidates, scorer=Levenshtein.distance, score_cutoff=limit)
        return None if match is None else str(match[0])


# The English words a misspelling is checked against before it is taken for an unknown name.
COMMON_WORDS = 30_000


@functools.cache
def _common_words() -> dict[str, tuple[str, ...]]:
    """Return wordfreq's most common English words (its data ships in its package) by first letter."""
    by_letter: dict[str, list[str]] = {}
    for word in wordfreq.top_n_list("en", COMMON_WORDS):
        if word.isalpha():
            by_letter.setdefault(word[:1], []).append(word)
    return {letter: tuple(words) for letter, words in by_letter.items()}


def is_common_typo(word: str) -> bool:
    """Whether a word is one slip (an edit or two letters swapped: "mnay", "deplyed") from a common
    English word with the same first letter: a typo, not a name the corpus never mentions."""
    if len(word) < 4 or is_number(word):
        return False
    candidates = _common_words().get(word[:1], ())
    return process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=1) is not None

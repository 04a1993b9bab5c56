"""What a question asks: its content words, what kind of answer it wants, and their variants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from text_to_num import alpha2digit

from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, is_number, stem, words


class Want(Enum):
    """The kind of answer a question word asks for."""

    ANY = "any"
    QUANTITY = "quantity"
    DATE = "date"
    DURATION = "duration"
    NAME = "name"
    PLACE = "place"


@dataclass(frozen=True)
class Concept:
    """One content word of a question and the index terms that stand for it, with weights."""

    word: str
    term: str
    variants: tuple[tuple[str, float], ...]
    is_name: bool = False  # written with a capital inside the question ("China", "US"), or a country's name
    required: bool = False  # the property an attribute question asks for ("address" in "X's address?")
    typo: bool = False  # not a corpus word, but a misspelling of one (suggested to the asker)

    @property
    def is_number(self) -> bool:
        """Whether the word is a number (a year, a count), weak evidence on its own."""
        return is_number(self.term)


@dataclass(frozen=True)
class Question:
    """A question taken apart: its text, what it wants, and its concepts."""

    text: str
    want: Want
    concepts: tuple[Concept, ...]


def want_of(question: str, language: Language = ENGLISH) -> Want:
    """Return the kind of answer a question asks for, from its question words."""
    folded = fold(question)
    for kind, pattern in language.want_patterns:
        if pattern.search(folded):
            return Want(kind)
    return Want.ANY


_DIGIT_GROUPS = re.compile(r"\b(\d{1,3})((?:[ \u00a0\u202f]\d{3})+)\b")
_CAPITAL_WORD = re.compile(r"(?<![.?!] )(?<!^)\b[A-Z][\w'’-]*")


def names_in(question: str) -> frozenset[str]:
    """Return the folded words written with a capital inside a question (not its first word)."""
    text = question.strip()
    return frozenset(word for match in _CAPITAL_WORD.finditer(text) for word in [fold(match.group())])


def rewrite(question: str, language: Language = ENGLISH) -> str:
    """Return a folded question with numbers as digits ("ten thousand", "10 000" -> "10000") and the
    language's spelled-out forms ("ww2" -> "world war ii")."""
    text = _DIGIT_GROUPS.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), fold(question))
    if not any(char.isdigit() for char in text) and not language.quantity_words.isdisjoint(text.split()):
        text = alpha2digit(text, language.code, threshold=20)
    for pattern, replacement in language.rewrites:
        text = pattern.sub(replacement, text)
    return text


def analyse(
    question: str,
    *,
    synonyms: Mapping[str, frozenset[str]],
    synonym_weight: float,
    places: Mapping[str, frozenset[str]] | None = None,
    place_weight: float = 0.0,
    names: frozenset[str] = frozenset(),
    countries: frozenset[str] = frozenset(),
    language: Language = ENGLISH,
) -> Question:
    """Return the question's wanted answer kind and its content concepts, synonyms included.

    `names` are the words the asker wrote with a capital (see names_in); `countries` the stems that
    are names however typed (vocabulary.country_name_terms).
    """
    concepts: dict[str, Concept] = {}
    for token in words(rewrite(question, language)):
        for word in language.aliases.get(token.term, (token.term,)):
            if word in language.stop_words or word in language.filler_words or (len(word) < 2 and not is_number(word)):
                continue
            term = word if is_number(word) else stem(word)
            if term in concepts:
                continue
            variants = [(term, 1.0)] + [(synonym, synonym_weight) for synonym in sorted(synonyms.get(term, ()))]
            related = sorted((places or {}).get(term, frozenset()) - synonyms.get(term, frozenset()) - {term})
            variants += [(place, place_weight) for place in related if place_weight > 0]
            # A name whether or not the asker gave it a capital: "did china sign it" asks about China.
            is_name = word in names or token.term in names or term in countries
            concepts[term] = Concept(word, term, tuple(variants), is_name=is_name)
    attribute = language.attribute_pattern.search(fold(question))
    asked = next((word for word in attribute.groupdict().values() if word), None) if attribute else None
    if asked is not None and asked not in language.generic_attributes:
        term = stem(asked)
        if term in concepts:
            concepts[term] = replace(concepts[term], required=True)
    return Question(question, want_of(question, language), tuple(concepts.values()))

"""What a question asks: its content words, what kind of answer it wants, and their variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

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


@dataclass(frozen=True)
class Concept:
    """One content word of a question and the index terms that stand for it, with weights."""

    word: str
    term: str
    variants: tuple[tuple[str, float], ...]

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
    asks_attribute: bool = False


def want_of(question: str, language: Language = ENGLISH) -> Want:
    """Return the kind of answer a question asks for, from its question words."""
    folded = fold(question)
    for kind, pattern in language.want_patterns:
        if pattern.search(folded):
            return Want(kind)
    return Want.ANY


def analyse(
    question: str,
    *,
    synonyms: Mapping[str, frozenset[str]],
    synonym_weight: float,
    language: Language = ENGLISH,
) -> Question:
    """Return the question's wanted answer kind and its content concepts, synonyms included."""
    concepts: dict[str, Concept] = {}
    for token in words(question):
        for word in language.aliases.get(token.term, (token.term,)):
            if word in language.stop_words or word in language.filler_words or (len(word) < 2 and not is_number(word)):
                continue
            term = word if is_number(word) else stem(word)
            if term in concepts:
                continue
            variants = [(term, 1.0)] + [(synonym, synonym_weight) for synonym in sorted(synonyms.get(term, ()))]
            concepts[term] = Concept(word, term, tuple(variants))
    asks_attribute = bool(language.attribute_pattern.search(fold(question)))
    return Question(question, want_of(question, language), tuple(concepts.values()), asks_attribute)

"""What a question asks: its content words, what kind of answer it wants, and their variants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.text import ENGLISH_STOP_WORDS, fold, is_number, stem, words


class Want(Enum):
    """The kind of answer a question word asks for."""

    ANY = "any"
    QUANTITY = "quantity"
    DATE = "date"
    DURATION = "duration"
    NAME = "name"


_WANTS = (
    (Want.QUANTITY, re.compile(r"\bhow (?:many|much)\b|\bnumber of\b|\bhow large\b|\bhow big\b")),
    (Want.DURATION, re.compile(r"\bhow long\b|\bsince when\b")),
    (
        Want.DATE,
        re.compile(r"^\W*when\b|\b(?:what|which) (?:year|date|day|month|time)\b|\bwhen (?:did|was|were|is|will)\b"),
    ),
    (
        Want.NAME,
        re.compile(
            r"^\W*(?:who|whom|whose)\b|\bwho (?:is|was|were|did|signed)\b|\bwhich (?:person|official|leader|country)\b"
        ),
    ),
)

# "What is the population of X", "how old is X", "X's capital": asks for a property of X, which an
# article that merely names X does not give.
_ATTRIBUTE = re.compile(
    r"\b(?:what|who|which)(?:'s| is| are| was| were) (?:the |a |an )?\w+ of\b|\bhow (?:old|tall|far|big|rich|large)\b"
    r"|\w+'s \w+\?*$"
)

# Words that carry the shape of a question, not its subject: dropped before matching, so that
# "what did Peskov say" is about Peskov alone and a stray "say" in the article is no evidence.
FILLER = frozenset(
    """
    happen happened happening say said says saying tell told telling think know knew mean means meant
    describe described explain thing things stuff anything something everything someone anyone people
    article story news text piece write written wrote report reported mention mentioned according
    please pls plz thanks thank hi hello hey ok okay yes yeah no nope hmm lol get got go going went
    like want need let give show find look make made way kind sort bit lot really actually exactly
    much many long big large number time whats who's whos does do did done can could would will may might
    day days date dates year years month months week weeks right wrong true correct real
    """.split()
)

# Groups of words readers use for the same thing; a question word finds the others at lower weight.
SYNONYM_GROUPS = (
    "soldier troop force army military servicemen personnel fighter",
    "pact treaty agreement deal accord",
    "ratify ratification approve approval endorse",
    "lawmaker senator senate legislator parliament parliamentarian mp",
    "send sent deploy deployed dispatch",
    "fight fighting clash battle combat",
    "weapon arm arms munition ammunition shell artillery",
    "missile rocket",
    "vote voted ballot",
    "sign signed signing",
    "invasion invade war",
    "annexation annex annexed",
    "ally allies alliance",
    "supply supplied provide",
    "nuclear atomic",
    "unanimously unanimous",
    "korea korean",
    "russia russian",
    "ukraine ukrainian",
    "west western",
)
SYNONYM_WEIGHT = 0.7
# Words that stand for several article words.
ALIASES = {
    "dprk": ("north", "korea"),
    "nk": ("north", "korea"),
    "usa": ("washington",),
}


def _stem_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in SYNONYM_GROUPS:
        stems = {stem(word) for word in line.split()}
        for member in stems:
            groups.setdefault(member, set()).update(stems - {member})
    return {key: frozenset(value) for key, value in groups.items()}


SYNONYMS = _stem_groups()


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


def want_of(question: str) -> Want:
    """Return the kind of answer a question asks for, from its question words."""
    folded = fold(question)
    for want, pattern in _WANTS:
        if pattern.search(folded):
            return want
    return Want.ANY


def analyse(question: str) -> Question:
    """Return the question's wanted answer kind and its content concepts, synonyms included."""
    concepts: dict[str, Concept] = {}
    for token in words(question):
        for word in ALIASES.get(token.term, (token.term,)):
            if word in ENGLISH_STOP_WORDS or word in FILLER or (len(word) < 2 and not is_number(word)):
                continue
            term = word if is_number(word) else stem(word)
            if term in concepts:
                continue
            variants = [(term, 1.0)] + [(synonym, SYNONYM_WEIGHT) for synonym in sorted(SYNONYMS.get(term, ()))]
            concepts[term] = Concept(word, term, tuple(variants))
    return Question(question, want_of(question), tuple(concepts.values()), bool(_ATTRIBUTE.search(fold(question))))

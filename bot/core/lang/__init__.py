"""Language data: word lists and patterns read from data files, one folder per language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent
WANT_KINDS = ("quantity", "duration", "date", "name", "place")


def _lines(path: Path) -> list[str]:
    """Return the non-blank lines of a data file that are not comments."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _words(path: Path) -> frozenset[str]:
    return frozenset(word for line in _lines(path) for word in line.split())


@dataclass(frozen=True)
class Language:
    """What the text pipeline and answering need to know about one language."""

    code: str
    stemmer: str  # a PyStemmer (Snowball) algorithm name
    stop_words: frozenset[str]
    filler_words: frozenset[str]
    synonym_groups: tuple[tuple[str, ...], ...]
    aliases: dict[str, tuple[str, ...]]
    quantity_words: frozenset[str]
    date_words: frozenset[str]
    date_phrases: tuple[str, ...]
    duration_words: frozenset[str]
    not_names: frozenset[str]
    want_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    attribute_pattern: re.Pattern[str]
    acknowledgements: frozenset[str]
    generic_attributes: frozenset[str]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    context_words: dict[str, frozenset[str]]
    credit_pattern: re.Pattern[str]
    pronoun_pattern: re.Pattern[str]
    script: str  # the Unicode script its letters are written in ("LATIN")
    countries: tuple[tuple[str, str, str], ...] = ()  # (name, demonym, capital), generated data
    place_words: frozenset[str] = frozenset()  # words of country names that name no country alone
    # "summary", "more", "follow": what a chat message asks of the conversation (conversation.txt)
    conversation: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # A question about the future, and a passage that speaks of it (question_words.txt).
    future_pattern: re.Pattern[str] = re.compile(r"(?!)")
    future_passage: re.Pattern[str] = re.compile(r"(?!)")
    # A negated question, and the words that ask both ways ("or not"); prefixes that make a word its
    # opposite (question_words.txt, negating_prefixes.txt).
    negation: re.Pattern[str] = re.compile(r"(?!)")
    either_way: re.Pattern[str] = re.compile(r"(?!)")
    negating_prefixes: frozenset[str] = frozenset()

    @classmethod
    def load(cls, code: str, *, stemmer: str, script: str) -> Language:
        """Return the language whose data files are in the folder named by its code."""
        folder = DATA / code
        patterns = {}
        for line in _lines(folder / "question_words.txt"):
            kind, _, pattern = line.partition(":")
            patterns[kind.strip()] = re.compile(pattern.strip())
        aliases = {}
        for line in _lines(folder / "aliases.txt"):
            short, _, words = line.partition(":")
            aliases[short.strip()] = tuple(words.split())
        return cls(
            code=code,
            stemmer=stemmer,
            stop_words=_words(folder / "stop_words.txt"),
            filler_words=_words(folder / "filler_words.txt"),
            synonym_groups=tuple(tuple(line.split()) for line in _lines(folder / "synonyms.txt")),
            aliases=aliases,
            quantity_words=_words(folder / "quantity_words.txt"),
            date_words=_words(folder / "date_words.txt"),
            date_phrases=tuple(_lines(folder / "date_phrases.txt")),
            duration_words=_words(folder / "duration_words.txt"),
            not_names=_words(folder / "not_names.txt"),
            want_patterns=tuple((kind, patterns[kind]) for kind in WANT_KINDS),
            attribute_pattern=patterns["attribute"],
            acknowledgements=_words(folder / "acknowledgements.txt"),
            generic_attributes=_words(folder / "generic_attributes.txt"),
            rewrites=tuple(
                (re.compile(pattern.strip()), replacement.strip())
                for pattern, _, replacement in (line.partition("=>") for line in _lines(folder / "rewrites.txt"))
            ),
            context_words={
                kind.strip(): frozenset(words.split())
                for kind, _, words in (line.partition(":") for line in _lines(folder / "context_words.txt"))
            },
            credit_pattern=patterns["credit"],
            pronoun_pattern=patterns["pronoun"],
            script=script,
            countries=tuple(
                (name.strip(), demonym.strip(), capital.strip())
                for name, demonym, capital in (line.split(";") for line in _lines(folder / "countries.txt"))
            ),
            place_words=_words(folder / "place_words.txt"),
            future_pattern=patterns.get("future", re.compile(r"(?!)")),
            future_passage=patterns.get("future_passage", re.compile(r"(?!)")),
            negation=patterns.get("negation", re.compile(r"(?!)")),
            either_way=patterns.get("either_way", re.compile(r"(?!)")),
            negating_prefixes=_words(folder / "negating_prefixes.txt"),
            conversation=tuple(
                (kind.strip(), re.compile(pattern.strip()))
                for kind, _, pattern in (line.partition(":") for line in _lines(folder / "conversation.txt"))
            ),
        )

"""Language data: word lists and patterns read from data files, one folder per language.

A language is a folder `<code>/` here with a `language.txt` of "key: value" lines (`stemmer:` a
Snowball algorithm of PyStemmer, `script:` the Unicode script its letters are written in, optionally
`stop_words_from:` a list of the stop-words package added to its own stop_words.txt) and any of the
data files Language.load reads; a file that is missing is an empty list. Adding a language is adding
a folder: languages() finds them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

DATA = Path(__file__).parent
WANT_KINDS = ("quantity", "duration", "date", "name", "place")
METADATA = "language.txt"
_NEVER = r"(?!)"


class LanguageError(ValueError):
    """A language folder that cannot be read, with the place and the problem."""


def _lines(path: Path) -> list[str]:
    """Return the non-blank lines of a data file that are not comments (none for a missing file)."""
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _keyed(path: Path) -> dict[str, str]:
    """Return the "key: value" lines of a data file."""
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in _lines(path))}


def languages(data: Path | None = None) -> tuple[str, ...]:
    """Return the codes of the languages whose folders are under `data` (DATA: this package's), each
    with a language.txt."""
    folder = DATA if data is None else data
    return tuple(sorted(path.parent.name for path in folder.glob(f"*/{METADATA}") if path.is_file()))


def language(code: str, data: Path | None = None) -> Language:
    """Return the language of a code, loaded once from its folder under `data` (DATA: this package's);
    raise LanguageError for none."""
    return _loaded(code, DATA if data is None else data)


@functools.cache
def _loaded(code: str, data: Path) -> Language:
    return Language.load(code, data=data)


def script_of_text(text: str) -> str:
    """Return the Unicode script most of text's letters are in, as language.txt names it ("CYRILLIC")."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = unicodedata.name(char, " ").split(" ", 1)[0]
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else ""


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

    number_words: dict[str, int] = dataclass_field(default_factory=dict)  # "десять": 10, "тысяч": 1000 (x)
    multipliers: frozenset[str] = frozenset()  # number words that multiply the number before them
    decimal_comma: bool = False  # "1,5" is one and a half (numbers.txt)

    @classmethod
    def load(cls, code: str, *, data: Path | None = None) -> Language:
        """Return the language whose data files are in the folder named by its code under `data`."""
        import Stemmer  # the data names its stemmer; checked here, where a bad name is known
        import stop_words

        folder = (DATA if data is None else data) / code
        metadata = _keyed(folder / METADATA)
        if not code.isalnum() or not metadata:
            raise LanguageError(f"{folder}: no {METADATA} (a language folder needs one)")
        stemmer, script = metadata.get("stemmer", ""), metadata.get("script", "").upper()
        if stemmer not in Stemmer.algorithms():
            raise LanguageError(
                f"{folder / METADATA}: stemmer {stemmer!r} is none of {', '.join(Stemmer.algorithms())}"
            )
        if not script:
            raise LanguageError(f"{folder / METADATA}: no script (the Unicode script of its letters, LATIN)")
        listed: frozenset[str] = frozenset()
        if metadata.get("stop_words_from"):
            try:
                listed = frozenset(stop_words.get_stop_words(metadata["stop_words_from"]))
            except stop_words.StopWordError as error:
                raise LanguageError(f"{folder / METADATA}: {error}") from error
        numbers: dict[str, int] = {}
        multipliers = set()
        for line in _lines(folder / "numbers.txt"):
            value, _, words = line.partition(":")
            if value.strip().startswith("x"):
                multipliers.update(words.split())
                value = value.strip()[1:]
            numbers.update((word, int(value)) for word in words.split())
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
            stop_words=_words(folder / "stop_words.txt") | listed,
            filler_words=_words(folder / "filler_words.txt"),
            synonym_groups=tuple(tuple(line.split()) for line in _lines(folder / "synonyms.txt")),
            aliases=aliases,
            quantity_words=_words(folder / "quantity_words.txt"),
            date_words=_words(folder / "date_words.txt"),
            date_phrases=tuple(_lines(folder / "date_phrases.txt")),
            duration_words=_words(folder / "duration_words.txt"),
            not_names=_words(folder / "not_names.txt"),
            want_patterns=tuple((kind, patterns.get(kind, re.compile(_NEVER))) for kind in WANT_KINDS),
            attribute_pattern=patterns.get("attribute", re.compile(_NEVER)),
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
            credit_pattern=patterns.get("credit", re.compile(_NEVER)),
            pronoun_pattern=patterns.get("pronoun", re.compile(_NEVER)),
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
            number_words=numbers,
            multipliers=frozenset(multipliers),
            decimal_comma=metadata.get("decimal_comma", "") == "yes",
        )

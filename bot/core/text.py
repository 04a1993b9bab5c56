"""One text pipeline for passages and questions: normalise, tokenise, drop stop words, stem.

The language data (stop words, stemmer) comes from bot.core.lang.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from typing import NamedTuple

import Stemmer

from bot.core.lang import Language, language
from bot.core.lang.en import ENGLISH

# Characters a reader cannot see or cannot tell apart from a plain space.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")

# Apostrophes and quotes that only differ in typography; folded for matching, kept in passages.
# (str.translate with a table is ~40x slower than a few str.replace calls on non-ASCII text.)
_FOLD_QUOTES = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u201c", '"'), ("\u201d", '"'))

# A number keeps its thousands separators and decimals whole ("10,000" is one token),
# a word keeps inner apostrophes ("latter's"); hyphenated words split into their parts.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:k\b)?|[^\W\d_]+(?:'[^\W\d_]+)*")
_POSSESSIVE = re.compile(r"'s$")
_DIGITS_AND_APOSTROPHE = b"0123456789'"
_LETTERS_ONLY = bytes(code if chr(code).isalpha() else ord(" ") for code in range(256))

ENGLISH_STOP_WORDS = ENGLISH.stop_words


class Token(NamedTuple):
    """A term with the span of the word it came from."""

    term: str
    start: int
    end: int


# Every character Python's str.splitlines() breaks a line at, besides "\n": made "\n" at the door,
# so a text's lines are the same whichever way later code splits them (a U+2028 in a caption would
# otherwise be one line in memory and two in the written corpus file).
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_ASCII_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


def normalize(text: str) -> str:
    """Return text in NFC with one kind of line break, invisible characters removed and odd spaces made plain."""
    text = unicodedata.normalize("NFC", text)
    # Looking for each character first (a fast scan) skips the regular expressions on the usual text.
    if not text.isascii() or any(char in text for char in _ASCII_LINE_BREAKS):
        text = _LINE_BREAKS.sub("\n", text)
    if text.isascii():
        return text.replace("\t", " ") if "\t" in text else text
    for char in _INVISIBLE:
        if char in text:
            text = text.replace(char, "")
    return _SPACES.sub(" ", text)


# Control characters other than tab and line feed (C0, DEL, C1): ESC, BEL, backspace and the like
# make a terminal that prints a passage move its cursor, retitle its window or ring. A terminal
# sequence (CSI "ESC [ ... m", OSC "ESC ] ... BEL") goes whole, not just its ESC; an OSC that is
# not ended on its line loses only its ESC (the text after it is not taken for its title).
_TERMINAL_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]{0,256}(?:\x07|\x1b\\|\x9c)"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """Return text without terminal sequences and control characters (tab and line feed kept)."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub("", _TERMINAL_SEQUENCES.sub("", text))


def escape_controls(text: str) -> str:
    """Return text with its control characters (tab and line feed kept) written as \\xNN escapes,
    for printing a name or a message that may hold them to a terminal."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def fold(text: str) -> str:
    """Return the matching form of text: compatibility-normalised, casefolded, quotes unified."""
    if not text.isascii():
        # Typographic quotes are often a text's only non-ASCII characters; folded first, the fast
        # path below gives the same result as the full one.
        for quote, plain in _FOLD_QUOTES:
            if quote in text:
                text = text.replace(quote, plain)
    if text.isascii():  # the common case, and the same result: NFKC and casefold are plain lower() here
        return text.lower().replace("\t", " ")
    text = unicodedata.normalize("NFKC", normalize(text)).casefold()
    for quote, plain in _FOLD_QUOTES:
        if quote in text:
            text = text.replace(quote, plain)
    return text


def _fold_with_origins(text: str) -> tuple[str, list[int]]:
    """Return text folded character by character, and for each folded character its index in text."""
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


def number_term(raw: str) -> str:
    """Return the canonical form of a number token: '10,000', '10000' and '10k' are all '10000'."""
    if raw.endswith("k"):
        digits = raw[:-1].replace(",", "")
        if digits.isdigit():
            return str(int(digits) * 1000)
        return digits
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return raw.replace(",", "")
    return raw


def word_of(raw: str) -> str:
    """Return the word of a raw folded token: numbers canonical, possessive 's dropped."""
    if raw[0].isdigit():
        return number_term(raw)
    return _POSSESSIVE.sub("", raw) if "'" in raw else raw


class Tokenizer:
    """A language's raw folded tokens as index terms: its Snowball stemmer and its stop words.

    One per language, made once (ENGLISH_TOKENIZER); the kernel is given one, and an index names
    the language it was built in. Terms and stems are memoised, within bounds.
    """

    TERMS_KEPT = 500_000  # questions bring new garbage words forever; keep the memo bounded

    def __init__(self, language: Language) -> None:
        self.language = language
        self.stop_words = language.stop_words
        # No cache of its own (size 0): stem() has one, and PyStemmer's purges cost ~10 us a word when full.
        self._stemmer = Stemmer.Stemmer(language.stemmer, 0)
        self._terms: dict[str, str | None] = {}
        self.stem: Callable[[str], str] = lru_cache(maxsize=200_000)(self._stem)

        self._numbers = _number_pattern(language)

    def prepared(self, folded: str) -> str:
        """Return folded text with numbers written as the language writes them made one number term:
        "10 000", "10 тысяч", "десять тысяч" and "1,5 млн" as 10000, 10000, 10000, 1500000 (a
        language with no numbers.txt, English, keeps its text as it is)."""
        if self._numbers is None:
            return folded
        if self.language.decimal_comma:
            folded = _GROUPED.sub(lambda match: match.group().replace(" ", ""), folded)
        return self._numbers.sub(self._number, folded)

    def _number(self, match: re.Match[str]) -> str:
        """Return the digits of a run of number words and numbers ("10 тысяч": "10000")."""
        words, parts = self.language.number_words, match.group().split()
        if all(part in self.language.multipliers for part in parts):
            return match.group()  # "тысячи людей", "тыс.": thousands, no number
        total, current = 0.0, 0.0
        for part in parts:
            if part[0].isdigit():
                current += float(part.replace(",", ".")) if self.language.decimal_comma else float(part)
            elif part in self.language.multipliers:
                scale = words[part]
                total += max(current, 1.0) * scale
                current = 0.0
            else:
                current += words[part]
        value = total + current
        return str(int(value)) if value == int(value) else str(value)

    def raw_words(self, text: str) -> list[str]:
        """Return the raw folded tokens of text in this language, numbers as prepared() writes them."""
        if self._numbers is None:
            return raw_words(text)
        return _TOKEN.findall(self.prepared(fold(text)))

    def terms(self, text: str) -> list[str]:
        """Return the index terms of text in this language, in order."""
        return [term for term in map(self.term_of, self.raw_words(text)) if term is not None]

    def _stem(self, word: str) -> str:
        """Return the Snowball stem of a folded word."""
        return str(self._stemmer.stemWord(word))

    def term_of(self, raw: str) -> str | None:
        """Return the index term of a raw folded token, or None for a stop word (memoised)."""
        try:
            return self._terms[raw]
        except KeyError:
            pass
        word = word_of(raw)
        term = None if word in self.stop_words else word if word[0].isdigit() else self.stem(word)
        if len(self._terms) >= self.TERMS_KEPT:
            self._terms.clear()
        self._terms[raw] = term
        return term


# Thousands written with spaces ("10 000", "1 500 000"), never a year before a count ("2024 100").
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d.,]?\d)")


def _number_pattern(language: Language) -> re.Pattern[str] | None:
    """Return the pattern of a run of the language's number words and numbers with a word in it."""
    if not language.number_words:
        return None
    words = "|".join(sorted(map(re.escape, language.number_words), key=len, reverse=True))
    number = r"\d+(?:,\d+)?" if language.decimal_comma else r"\d+(?:\.\d+)?"
    return re.compile(rf"(?<![\w.,])(?:(?:{number}) )?(?:{words})(?: (?:{words}))*(?!\w)")


ENGLISH_TOKENIZER = Tokenizer(ENGLISH)


@cache
def tokenizer_for(code: str) -> Tokenizer:
    """Return the tokenizer of a language by its code (one per language, made once; lang/<code>/)."""
    return ENGLISH_TOKENIZER if code == ENGLISH.code else Tokenizer(language(code))


# The English pipeline's own, for the code that reads English only (question analysis, features).
term_of = ENGLISH_TOKENIZER.term_of
stem = ENGLISH_TOKENIZER.stem


def _folded(text: str) -> tuple[str, list[int] | None]:
    """Return text folded, and when folding changed its length, each folded character's origin."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, None
    return _fold_with_origins(text)


def folded_words(text: str) -> tuple[str, list[str]]:
    """Return text folded and its raw folded tokens, stop words included, in order."""
    folded = _folded(text)[0]
    if folded.isascii():
        encoded = folded.encode("ascii")
        if len(encoded.translate(None, _DIGITS_AND_APOSTROPHE)) == len(encoded):
            # Same tokens as _TOKEN here (runs of letters), several times faster on long corpora.
            return folded, encoded.translate(_LETTERS_ONLY).decode("ascii").split()
    return folded, _TOKEN.findall(folded)


SEPARATOR = "\x00"  # stands between texts in folded_batch(); never part of a token


def folded_batch(texts: Sequence[str]) -> str | None:
    """Return many texts folded at once, " SEPARATOR " between them (None if a text holds SEPARATOR).

    Tokens never hold whitespace, so the raw words of the texts are chunk_words() of each
    whitespace-separated chunk in turn. Folding thousands of texts in one call is part of what makes
    indexing a million passages fast.
    """
    joined = f" {SEPARATOR} ".join(texts)
    if joined.count(SEPARATOR) != max(len(texts) - 1, 0):
        return None
    return fold(joined)


def chunk_words(chunk: str) -> list[str]:
    """Return the raw folded tokens of one folded chunk without whitespace."""
    return _TOKEN.findall(chunk)


def raw_words(text: str) -> list[str]:
    """Return the raw folded tokens of text, stop words included, in order."""
    return folded_words(text)[1]


def _raw_spans(text: str) -> Iterator[Token]:
    """Yield every raw folded token of text with its span in text.

    Folding keeps the length of the characters news text uses; where it does not (ligatures,
    full-width forms), spans are mapped back character by character.
    """
    folded, origin = _folded(text)
    for match in _TOKEN.finditer(folded):
        start, end = match.start(), match.end()
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        yield Token(match.group(), start, end)


def words(text: str) -> Iterator[Token]:
    """Yield every folded word and number of text (stop words included) with its span in text."""
    return (Token(word_of(raw), start, end) for raw, start, end in _raw_spans(text))


def is_number(term: str) -> bool:
    """Return whether a term is a number."""
    return term[:1].isdigit()


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[Token, ...]:
    """Return the index terms of text with their spans: stop words dropped, words stemmed, numbers whole.

    Memoised: answers quote the same passages again and again.
    """
    return tuple(Token(term, start, end) for raw, start, end in _raw_spans(text) if (term := term_of(raw)) is not None)


def terms(text: str) -> list[str]:
    """Return the index terms of text, in order (tokens() without the spans)."""
    return [term for term in map(term_of, raw_words(text)) if term is not None]

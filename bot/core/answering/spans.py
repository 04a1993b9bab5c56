"""The short answer a passage gives: the one span of the kind a question word asks for, verbatim.

"How many troops" -> "around 10,000 troops"; "when did they vote" -> "Wednesday"; "who signed" ->
"Vladimir Putin". Only when the passage holds exactly one such span that the question does not
already name; otherwise there is no short answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from bot.core.answering.question import Want
from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, term_of


class Span(NamedTuple):
    """A short answer: where it stands in the passage text."""

    start: int
    end: int


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(word) for word in words), key=len, reverse=True))


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"


def _patterns(language: Language) -> dict[Want, re.Pattern[str]]:
    scale = _alternatives(language.quantity_words)
    quantity = (
        r"(?i)\b(?:(?:around|about|some|nearly|almost|over|more than|at least|up to)\s)?"
        rf"(?:\d[\d,.]*|{scale})(?:\s(?:{scale}))?(?:\s?%|\s(?:per cent|percent))?(?:\s[a-z][a-z-]+)?"
    )
    date = (
        rf"(?i)\b(?:(?:{_DAYS})(?:'s)?|(?:\d{{1,2}}\s)?(?:{_MONTHS})(?:\s\d{{1,2}})?(?:,?\s\d{{4}})?"
        rf"|(?:18|19|20)\d\d|{_alternatives(language.date_phrases)})\b"
    )
    name = r"\b[A-Z][a-z]+(?:\s(?:[A-Z][a-z]+|de|van|von|al|bin))*\s[A-Z][a-z]+\b"
    # A place: the capitalised words after a preposition of place ("in the Kursk region" -> "Kursk").
    # A place: the capitalised words after a preposition of place ("in the Kursk region" -> "Kursk"),
    # not a month or a day ("in June").
    not_time = rf"(?!(?i:{_MONTHS}|{_DAYS})\b)"
    place = (
        rf"(?<=\b(?:in|at|to) )(?:the )?{not_time}[A-Z][a-z]+(?: [A-Z][a-z]+)*"
        rf"|(?<=\b(?:near|from) ){not_time}[A-Z][a-z]+(?: [A-Z][a-z]+)*"
    )
    return {
        Want.QUANTITY: re.compile(quantity),
        Want.DATE: re.compile(date),
        Want.NAME: re.compile(name),
        Want.PLACE: re.compile(place),
    }


_PATTERNS = _patterns(ENGLISH)


def _counted(words: list[str]) -> bool:
    """Return whether a number is followed by what it counts ("1990 troops"), not by a function word."""
    return len(words) > 1 and term_of(fold(words[-1])) is not None


def short_answer(text: str, want: Want, question_terms: frozenset[str], language: Language = ENGLISH) -> Span | None:
    """Return the one span of the wanted kind in a passage that the question does not name, if exactly one."""
    found = answer_spans(text, want, question_terms, language)
    return found[0] if len(found) == 1 else None


def answer_spans(text: str, want: Want, question_terms: frozenset[str], language: Language = ENGLISH) -> list[Span]:
    """Return the spans of the wanted kind in a passage that the question does not already name."""
    pattern = _PATTERNS.get(want)
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        span = match.group().strip(" ,")
        words = span.split()
        if want is Want.NAME and set(words) & language.not_names:
            # "Deputy Foreign Minister Andrei Rudenko": the person is the last run of name words.
            parts = [(m.start() + match.start(), m.group()) for m in re.finditer(r"\S+", match.group())]
            run: list[tuple[int, str]] = []
            for part in parts:
                run = [] if part[1] in language.not_names else [*run, part]
            if len(run) < 2:
                continue
            found.append(Span(run[0][0], run[-1][0] + len(run[-1][1])))
            continue
        if want is Want.QUANTITY and _PATTERNS[Want.DATE].fullmatch(words[0].rstrip(".;:!?")) and not _counted(words):
            continue  # a year ("launched in 1990") is a date, not a count
        terms = {term_of(fold(word)) for word in words} - {None}
        if terms and terms <= question_terms:
            continue  # the question names it already: not an answer
        if want is Want.QUANTITY and words and term_of(fold(words[-1])) in question_terms | {None} and len(words) > 1:
            span = " ".join(words[:-1]) if term_of(fold(words[-1])) is None else span
        found.append(Span(match.start(), match.start() + len(span)))
    return found

"""Texts said to a reader later, in the reader's language: a catalogue msgid and the values that fill it.

The core words its errors in English msgids (marked with N_ where they are written) and hands the
values along, so the edge that knows the reader (Telegram's language_code, the console's locale)
says them in the reader's language through bot.core.messages; str() of one is the English, which
the JSON and the command line print as before. This module imports nothing, so every layer may use it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark a text for the catalogue where it is defined; it is translated where it is said."""
    return message


Value = typing.Union[str, int, float, "Text"]  # a Text inside another is said in the same language


@dataclass(frozen=True)
class Text:
    """A catalogue msgid and its values (whole numbers are written as the reader's language writes them)."""

    message: str
    values: tuple[tuple[str, Value], ...] = ()

    @classmethod
    def of(cls, message: str, /, **values: Value) -> Text:
        """Return the text of a msgid filled with values."""
        return cls(message, tuple(values.items()))

    @classmethod
    def from_json(cls, data: object) -> Text:
        """Return a text from its to_json() form; raise TypeError or KeyError if it is not one."""
        if not isinstance(data, dict):
            raise TypeError("not a text")
        message, values = data["message"], data["values"]
        if not isinstance(message, str) or not isinstance(values, dict):
            raise TypeError("not a text")
        return cls.of(message, **{key: _value_of(value) for key, value in values.items()})

    def to_json(self) -> dict[str, object]:
        """Return the text as JSON-ready data (it crosses into and out of the extraction process)."""
        values = {key: value.to_json() if isinstance(value, Text) else value for key, value in self.values}
        return {"message": self.message, "values": values}

    def filled(self, template: str, number: Callable[[int], str], said: Callable[[Text], str] = str) -> str:
        """Return a template (the msgid or its translation) filled with the values: numbers written
        by `number`, texts within said by `said`."""
        if not self.values:
            return template
        return template.format(**{key: _shown(value, number, said) for key, value in self.values})

    def __str__(self) -> str:
        return self.filled(self.message, english_number)


def joined(texts: Sequence[Text]) -> Text:
    """Return several texts as one ("first; second; third"); there is at least one."""
    *rest, result = texts
    for text in reversed(rest):
        result = Text.of(N_("{first}; {rest}"), first=text, rest=result)
    return result


def english_number(count: int) -> str:
    """Return a whole number as English writes it ("10,000")."""
    return f"{count:,}"


def _value_of(data: object) -> Value:
    if isinstance(data, dict):
        return Text.from_json(data)
    if not isinstance(data, str | int | float):
        raise TypeError("a text's values are strings, numbers and texts")
    return data


def _shown(value: Value, number: Callable[[int], str], said: Callable[[Text], str]) -> str | float:
    if isinstance(value, Text):
        return said(value)
    return number(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Said(Exception):  # noqa: N818 (a mixin of errors said to a reader, not an error of its own)
    """An error worded as a catalogue text, said in the reader's language where it is caught."""

    def __init__(self, message: str | Text, /, **values: Value) -> None:
        self.text = message if isinstance(message, Text) else Text.of(message, **values)
        super().__init__(str(self.text))

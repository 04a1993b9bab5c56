"""The bot's own words in the reader's language: gettext catalogues, one lang/<code>/messages.po a language.

English source strings are the msgids (English needs no translation: its catalogue lists them with
empty msgstrs); a message a catalogue does not translate is said in English. Plurals follow the
catalogue's Plural-Forms ("1 статья", "3 статьи", "5 статей"). The .po files are read with Babel and
compiled in memory when first used, so a fresh clone needs no build step.

Placeholders are named, in braces ("{count} passages", "{names}"), filled by str.format.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Sequence
from dataclasses import dataclass

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.core.answering.language import language_of
from bot.core.lang import DATA
from bot.core.said import N_ as N_  # where the texts are marked (re-exported)
from bot.core.said import Said, Text

SOURCE = "en"  # the language of the msgids
CATALOGUE = "messages.po"


@functools.cache
def languages() -> tuple[str, ...]:
    """Return the codes of the languages with a catalogue (a folder of lang/ holding messages.po)."""
    return tuple(sorted(path.parent.name for path in DATA.glob(f"*/{CATALOGUE}")))


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    """Return a language's catalogue compiled in memory (nothing translated for a language without one)."""
    path = DATA / language / CATALOGUE
    if not language.isalpha() or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # untranslated and fuzzy entries are left out: they stay English
    compiled.seek(0)
    return Translations(compiled)


def supported(language: str | None) -> str:
    """Return the catalogue language for a language tag ("ru-RU", "ru" -> "ru"), else English."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in languages() else SOURCE


@dataclass(frozen=True)
class Messages:
    """A reader's language: its texts and its way of counting."""

    language: str = SOURCE

    def gettext(self, message: str, **values: object) -> str:
        """Return a text in the reader's language, its placeholders filled from values."""
        text = _translations(self.language).gettext(message)
        return text.format(**values) if values else text

    def pgettext(self, context: str, message: str, **values: object) -> str:
        """Return a text that says different things in different places (context), translated."""
        text = _translations(self.language).pgettext(context, message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """Return the form of a text for a count, "{count}" written as the language writes numbers."""
        text = _translations(self.language).ngettext(singular, plural, count)
        return text.format(count=self.number(count), **values)

    def said(self, text: Text | Said | str) -> str:
        """Return a text handed on by the core (a Text, or the error a Said carries) in the reader's language."""
        if isinstance(text, Said):
            text = text.text
        if isinstance(text, str):
            return self.gettext(text)
        return text.filled(_translations(self.language).gettext(text.message), self.number, self.said)

    def number(self, count: int) -> str:
        """Return a whole number as the language writes it ("10,000"; Russian "10 000")."""
        return format_decimal(count, locale=self.language)

    def quoted(self, names: Sequence[str], *, joined_by: str = "or") -> str:
        """Return names in the language's quotes, the last joined by its word for "or" or "and"
        ('“died” or “Kursk”'; "«Китай» или «Япония»")."""
        words = [self.gettext("“{name}”", name=name[:40]) for name in names]
        if len(words) == 1:
            return words[0]
        rest = ", ".join(words[:-1])
        if joined_by == "and":
            return self.gettext("{names} and {last}", names=rest, last=words[-1])
        return self.gettext("{names} or {last}", names=rest, last=words[-1])


ENGLISH = Messages()


def for_reader(language: str | None = None, *, question: str | None = None) -> Messages:
    """Return the texts for a reader: in the language they asked in when the bot has it, else in
    their own (Telegram's language_code of the user), else English."""
    if question:
        asked = supported(language_of(question))
        if asked != SOURCE:
            return Messages(asked)
    return Messages(supported(language))

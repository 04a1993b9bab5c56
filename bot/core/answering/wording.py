"""What a message is before it is a question: cleaned for echoing, in the corpus's script, or just thanks."""

from __future__ import annotations

import unicodedata

from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, raw_words


def clean(text: str) -> str:
    """Return text safe to echo: control, format and bidi-override characters out, spaces single,
    and punctuation left dangling at either end (after a mention was cut out) trimmed."""
    kept = "".join(
        (" " if char in "\t\n\r\x0b\x0c" else "") if unicodedata.category(char)[0] == "C" else char for char in text
    )
    return " ".join(kept.split()).strip(" ,;:-–—")


def in_script(text: str, language: Language = ENGLISH) -> bool:
    """Whether most letters of text are of the language's script (digits and emoji are neutral).

    Letters are compared after NFKC, as the text pipeline reads them: 𝐛𝐨𝐥𝐝 and ｆｕｌｌｗｉｄｔｈ
    letters are Latin letters in another dress.
    """
    # Each letter counts once, by the script of its NFKC form's first character (a ligature that
    # unfolds into many letters is still one).
    letters = [unicodedata.normalize("NFKC", char)[:1] or char for char in text if char.isalpha()]
    if not letters:
        return True
    ours = sum(unicodedata.name(char, "").startswith(language.script) for char in letters)
    return ours * 2 >= len(letters)


def is_acknowledgement(text: str, language: Language = ENGLISH) -> bool:
    """Whether a short message only thanks or acknowledges ("thanks!", "ok 👍", "great, thank you")."""
    words = raw_words(fold(text))
    if len(words) > 5 or "?" in text:
        return False
    return all(word in language.acknowledgements for word in words)

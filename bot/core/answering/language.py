"""The language a question is written in: its script, then wordfreq's word lists of that script's languages.

A question's letters say its script (most letters count; digits, emoji and punctuation do not);
CLDR's likely subtags (Babel) say which languages are written in it, and wordfreq's per-language
word lists (shipped in its package) which of them knows the question's words best. Words in another
script than the question's own are names ("Что сказал Rudenko?" is Russian) and do not vote.
In the article's own script the article's language stands while it knows half the words, and then
unless another knows more of them and knows them better: "vote count", "What was telenet" and "AFP"
stay English.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import wordfreq
from babel import Locale
from babel.core import get_global

# The word lists detection reads: wordfreq's small lists (words at least once a million), quick to load.
WORDLIST = "small"

_WORD = re.compile(r"[^\W\d_]+")


@functools.cache
def _script_codes() -> dict[str, str]:
    """Return ISO 15924 script codes by the first word of their letters' Unicode names ("CYRILLIC": "Cyrl")."""
    return {name.split()[0].upper(): code for code, name in Locale("en").scripts.items() if name}


@functools.cache
def languages_of_script(script: str) -> tuple[str, ...]:
    """Return the languages wordfreq knows that are written in a script by default (CLDR likely subtags)."""
    likely = get_global("likely_subtags")
    found = []
    for code in sorted(wordfreq.available_languages(WORDLIST)):
        tags = str(likely.get(code, "")).split("_")
        if len(tags) > 1 and tags[1] == script:
            found.append(code)
    return tuple(found)


def script_of(word: str) -> str:
    """Return the ISO 15924 code of the script most of a word's letters are in ("" if unknown)."""
    counts: dict[str, int] = {}
    for char in word:
        if char.isalpha():
            # A letter in another dress (𝐛𝐨𝐥𝐝, ｆｕｌｌｗｉｄｔｈ) is read as the text pipeline reads it.
            plain = unicodedata.normalize("NFKC", char)[:1] or char
            name = unicodedata.name(plain, "").split(" ", 1)[0]
            script = _script_codes().get(name, name.title())
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda script: counts[script]) if counts else ""


def _known(words: list[str], language: str) -> tuple[int, float]:
    """Return how many of the words a language's word list holds, and their summed Zipf frequencies."""
    zipfs = [wordfreq.zipf_frequency(word, language, wordlist=WORDLIST) for word in words]
    return sum(z > 0 for z in zipfs), sum(zipfs)


@functools.lru_cache(maxsize=4096)
def language_of(text: str, *, article: str = "en") -> str:
    """Return the language code a question is written in: `article` (the articles' language) unless
    its words are clearly another's; "" for a script whose languages wordfreq does not know."""
    words = [word for word in _WORD.findall(text) if not word.isupper() or len(word) > 4]  # КНДР, AFP: names
    words = words or _WORD.findall(text)
    if not words:
        return article
    scripts = [script_of(word) for word in words]
    main = max(set(scripts), key=lambda script: (scripts.count(script), script == _script(article)))
    own = [word.lower() for word, script in zip(words, scripts, strict=True) if script == main]
    candidates = languages_of_script(main)
    if main == _script(article):
        mine = _known(own, article)
        if mine[0] * 2 >= len(own):
            return article  # a language that knows half the words is not left for one that knows more
        # Another language must know more of the words and know them better on the whole.
        better = [
            (known, code) for code in candidates if (known := _known(own, code))[0] > mine[0] and known[1] > mine[1]
        ]
        return max(better)[1] if better else article
    if not candidates:
        return ""
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda code: _known(own, code))


@functools.cache
def _script(language: str) -> str:
    tags = str(get_global("likely_subtags").get(language, "")).split("_")
    return tags[1] if len(tags) > 1 else ""


def is_foreign(text: str, *, article: str = "en") -> bool:
    """Whether a question is in another language than the articles' (then it is answered across languages)."""
    return language_of(text, article=article) != article


_SENTENCE_END = re.compile(r"[.!?…]\s*$")


def opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text or a sentence in it (its capital marks no name)."""
    before = text[:start]
    return not before.strip() or bool(_SENTENCE_END.search(before))

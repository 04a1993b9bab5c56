"""The message catalogues: every text the code says is in each, translated, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot
from bot.core import messages
from bot.core.answer import ASKED, format_text
from bot.core.answering.search import ASKED as SEARCH_ASKED
from bot.core.lang import DATA
from bot.core.messages import ENGLISH, Messages, for_reader, languages, supported
from bot.core.serving import Index

# The calls the catalogue is read through (Messages' methods) and the marker of texts said elsewhere.
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
Key = tuple[str | None, str]


def used_in_code() -> dict[Key, str | tuple[str, ...]]:
    """Return every msgid the code says (by context and msgid), as pybabel extract finds them."""
    found: dict[Key, str | tuple[str, ...]] = {}
    for _, _, message, _, context in extract_from_dir(Path(bot.__file__).parent, keywords=KEYWORDS):
        singular = message[0] if isinstance(message, tuple) else message
        found[(context, singular)] = message
    return found


def catalogue(language: str) -> Catalog:
    with (DATA / language / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_english_and_russian_have_catalogues() -> None:
    assert {"en", "ru"} <= set(languages())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_text_the_code_says_is_in_the_catalogue(language: str) -> None:
    used = used_in_code()
    assert len(used) > 100
    listed = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m.id for m in catalogue(language) if m.id}
    assert sorted(set(used) - set(listed), key=str) == []  # `pybabel extract` then `pybabel update` adds them
    assert sorted(set(listed) - set(used), key=str) == []  # no text left over from code that is gone
    for key, message in used.items():
        assert listed[key] == message, key  # the plural too


def test_every_russian_text_is_translated_with_the_same_placeholders() -> None:
    for message in catalogue("ru"):
        if not message.id:
            continue
        ids = [str(text) for text in (message.id if isinstance(message.id, tuple) else (message.id,))]
        strings = [
            str(text or "") for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        ]
        assert not message.fuzzy, message.id
        assert all(strings), message.id
        if isinstance(message.id, tuple):
            assert len(strings) == 3, message.id  # Russian has three plural forms
        wanted = set().union(*(placeholders(text) for text in ids))
        for text in strings:
            # A form may leave the count out ("one article"), never add a name the code does not fill.
            assert placeholders(text) <= wanted | {"count"}, (message.id, text)
            assert placeholders(text) >= wanted - {"count"}, (message.id, text)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 статья"), (3, "3 статьи"), (5, "5 статей"), (11, "11 статей"), (21, "21 статья"), (22, "22 статьи")],
)
def test_russian_counts_take_the_catalogues_plural_forms(count: int, expected: str) -> None:
    assert Messages("ru").ngettext("{count} article", "{count} articles", count) == expected


def test_english_counts_and_numbers() -> None:
    assert ENGLISH.ngettext("{count} passage", "{count} passages", 1) == "1 passage"
    assert ENGLISH.ngettext("{count} passage", "{count} passages", 10_000) == "10,000 passages"
    assert Messages("ru").ngettext("{count} passage", "{count} passages", 10_000) == "10\u00a0000 фрагментов"


def test_a_text_no_catalogue_translates_is_said_in_english() -> None:
    # A line added to /stats before its translation: English, placeholders filled, plurals English.
    assert Messages("ru").gettext("Embedded: {done} of {total}", done=3, total=9) == "Embedded: 3 of 9"
    assert Messages("ru").ngettext("{count} vector", "{count} vectors", 2) == "2 vectors"
    assert Messages("xx").gettext("More context") == "More context"


@pytest.mark.parametrize(
    ("language_code", "question", "expected"),
    [
        ("ru", None, "ru"),
        ("ru-RU", None, "ru"),
        ("RU", None, "ru"),
        ("en", None, "en"),
        ("de", None, "en"),  # no German catalogue
        (None, None, "en"),
        ("ru", "how many troops", "ru"),  # the app's language for an English question
        ("en", "Сколько войск?", "ru"),  # asked in Russian: answered around in Russian
        ("de", "金正恩和普京签署了什么条约？", "en"),  # no Chinese catalogue
    ],
)
def test_the_readers_language(language_code: str | None, question: str | None, expected: str) -> None:
    assert for_reader(language_code, question=question).language == expected


def test_a_language_folder_with_a_catalogue_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "eo").mkdir()
    (tmp_path / "eo" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: eo\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "More context"\nmsgstr "Pli da kunteksto"\n\n'
        'msgid "{count} article"\nmsgid_plural "{count} articles"\nmsgstr[0] "{count} artikolo"\n'
        'msgstr[1] "{count} artikoloj"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(messages, "DATA", tmp_path)
    messages.languages.cache_clear()
    messages._translations.cache_clear()
    try:
        assert messages.languages() == ("eo",)
        assert supported("eo") == "eo"
        assert Messages("eo").gettext("More context") == "Pli da kunteksto"
        assert Messages("eo").ngettext("{count} article", "{count} articles", 2) == "2 artikoloj"
    finally:
        messages.languages.cache_clear()
        messages._translations.cache_clear()


def test_what_a_question_asks_for_is_in_the_catalogue() -> None:
    assert set(SEARCH_ASKED.values()) == set(ASKED)


def test_a_russian_question_the_article_does_not_answer_is_refused_in_russian(engine: Index) -> None:
    result = engine.search("Что сказали Китай и Япония?")
    text = format_text(result, engine.corpus, examples=("how many troops", "who signed"))
    assert text.startswith("В статье об этом нет")
    assert text.endswith("Попробуйте (вопросы на языке статьи): how many troops / who signed")


def test_an_english_reply_can_be_written_for_a_russian_reader(engine: Index) -> None:
    result = engine.search("how many troops")
    english = format_text(result, engine.corpus)
    russian = format_text(result, engine.corpus, messages=Messages("ru"))
    assert "[¶7, sentence 2]" in english
    assert "[¶7, предложение 2]" in russian
    assert english.replace("sentence", "предложение").replace("Answer:", "Ответ:") == russian


# What sends a text to a Telegram user, and which argument is the text.
SENDERS = {"send": 1, "reply_text": 0, "answer": 0, "edit_text": 0, "InlineKeyboardButton": 0, "BotCommand": 1}


def _words_in(node: ast.expr) -> str:
    """Return the literal text of a string or f-string expression ('' for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))
    return ""


def test_no_telegram_reply_is_written_in_the_code() -> None:
    # Every text the bot sends is a catalogue's: a literal with words in it, passed straight to
    # what sends it, would reach every reader in English.
    written = []
    for path in sorted((Path(bot.__file__).parent / "telegram").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            position = SENDERS.get(name)
            if position is None or len(node.args) <= position:
                continue
            if re.search(r"[A-Za-z]{2}", _words_in(node.args[position])):
                written.append(f"{path.name}:{node.lineno}")
    assert written == []

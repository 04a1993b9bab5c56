"""The message catalogues: every text the code says is in each, translated, with the same placeholders."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot
from bot.core import messages
from bot.core.answer import ASKED, as_json, format_text, not_found_text
from bot.core.answering.search import ASKED as SEARCH_ASKED
from bot.core.corpus import CorpusError, parse_article
from bot.core.lang import DATA
from bot.core.messages import ENGLISH, Messages, for_reader, languages, supported
from bot.core.said import Text
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


# --- the core's errors: English msgids and values, said in the reader's language at the edge ---------

SAID_ERRORS = {"CorpusError", "ExtractError", "FetchError", "FeedError"}


def test_no_error_the_core_says_to_a_reader_is_written_in_english_alone() -> None:
    # An f-string or a bare literal would reach a Russian admin in English: each is a msgid (N_) and values.
    written = []
    for path in sorted((Path(bot.__file__).parent / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in SAID_ERRORS and node.args):
                continue
            if isinstance(node.args[0], ast.JoinedStr | ast.Constant):
                written.append(f"{path.name}:{node.lineno}")
    assert written == []


RUSSIAN = Messages("ru")
NBSP = "\N{NO-BREAK SPACE}"  # CLDR's Russian group separator


@pytest.mark.parametrize(
    ("text", "english", "russian"),
    [
        (
            f"title: {'x' * 301}\ndate: 2024-11-08\n\nBody.",
            "<text>: title is 301 characters long (at most 300)",
            "<text>: заголовок слишком длинный: 301 (можно не больше 300 символов)",
        ),
        (
            f"title: T\ndate: 2024-11-08\n\n{'x' * 20_001}",
            "<text>: paragraph 1 is 20,001 characters long without a line break (at most 20,000)",
            f"<text>: абзац 1 без переноса строки слишком длинный: 20{NBSP}001 (можно не больше 20{NBSP}000 символов)",
        ),
        ("title: T\n\nBody.", "<text>: header has no date", "<text>: в шапке нет поля date"),
        (
            "title: T\ndate: 8.11.2024\n\nBody.",
            "<text>: date '8.11.2024' is not a date written YYYY-MM-DD",
            "<text>: дата '8.11.2024' записана не в виде ГГГГ-ММ-ДД",
        ),
    ],
)
def test_a_corpus_error_is_english_as_before_and_said_in_russian(text: str, english: str, russian: str) -> None:
    with pytest.raises(CorpusError) as raised:
        parse_article(text, article_id_="x")
    assert str(raised.value) == english  # what the command line and the logs print
    assert ENGLISH.said(raised.value) == english
    assert RUSSIAN.said(raised.value) == russian


def test_a_text_crosses_a_process_as_json_and_nothing_else_does() -> None:
    text = Text.of("That page is over {size} MB, so I didn't read it.", size=5)
    assert Text.from_json(json.loads(json.dumps(text.to_json()))) == text
    assert RUSSIAN.said(text) == "Эта страница больше 5 МБ, поэтому она не прочитана."
    for damaged in (
        {"message": 1, "values": {}},
        {"message": "x", "values": []},
        {"message": "x", "values": {"a": []}},
    ):
        with pytest.raises(TypeError):
            Text.from_json(damaged)
    with pytest.raises(KeyError):
        Text.from_json({"message": "x"})


def test_a_question_too_long_is_refused_in_the_readers_language_and_in_english_in_json(engine: Index) -> None:
    result = engine.search("troops " * 200)
    assert as_json(result, engine.corpus)["error"] == "the question is over 1,000 characters long"
    assert not_found_text(result) == "I could not use that question: the question is over 1,000 characters long."
    assert not_found_text(result, messages=RUSSIAN) == (
        f"Не получилось разобрать этот вопрос: вопрос длиннее 1{NBSP}000 символов."
    )

"""The language of a question: its script, then the word lists of that script's languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.answering.language import is_foreign, language_of, languages_of_script, script_of

TESTS = Path(__file__).parent


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Сколько солдат отправил Китай?", "ru"),
        ("Что сказал Rudenko?", "ru"),  # a Latin name in a Russian question
        ("КНДР", "ru"),
        ("что сказал руденко", "ru"),
        ("Скільки солдатів відправила Північна Корея?", "uk"),
        ("Wie viele Soldaten hat Nordkorea geschickt?", "de"),
        ("how many troops did North Korea send", "en"),
        ("vote count", "en"),
        ("AFP", "en"),
        ("what did Путин sign", "en"),  # a Cyrillic name in an English question
        ("𝐡𝐨𝐰 𝐦𝐚𝐧𝐲 𝐭𝐫𝐨𝐨𝐩𝐬", "en"),  # Latin letters in another dress
        ("10,000", "en"),
        ("", "en"),
    ],
)
def test_language_of_a_question(question: str, language: str) -> None:
    assert language_of(question) == language


def test_a_script_whose_languages_are_unknown_is_foreign_all_the_same() -> None:
    assert is_foreign("金正恩和普京签署了什么条约？")
    assert not is_foreign("who signed the treaty?")


def test_scripts_and_their_languages_come_from_cldr() -> None:
    assert script_of("Пхеньян") == "Cyrl"
    assert script_of("Pyongyang") == "Latn"
    assert {"ru", "uk", "bg"} <= set(languages_of_script("Cyrl"))
    assert "en" in languages_of_script("Latn")
    assert "ru" not in languages_of_script("Latn")


def test_no_english_question_of_the_projects_sets_is_taken_for_another_language() -> None:
    questions = [
        json.loads(line)["q"]
        for name in ("eval_questions.jsonl", "eval_typed.jsonl")
        for line in (TESTS / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions += [case["q"] for case in json.loads((TESTS / "cases.json").read_text(encoding="utf-8"))]
    assert len(questions) > 100
    assert [q for q in questions if is_foreign(q)] == []

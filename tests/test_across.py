"""Questions in another script than the article's: its passages nearest in meaning, said so in the asker's language."""

from __future__ import annotations

from pathlib import Path

from bot.core.answer import ACROSS, ACROSS_RUSSIAN, as_json, format_text
from bot.core.answering.fitting import contains_answer
from bot.core.evaluate import read_cases
from bot.core.serving import Index

RUSSIAN = Path(__file__).with_name("eval_russian.jsonl")


def test_a_russian_question_gets_the_articles_english_passages_with_a_russian_heading(engine: Index) -> None:
    result = engine.search("Сколько солдат Северная Корея отправила в Россию?")
    assert result.tier == "across"
    assert result.hits[0].answer is None  # never given as the answer: nothing fitted applies here
    assert "10,000 troops" in result.hits[0].passage.text
    text = format_text(result, engine.corpus)
    assert ACROSS_RUSSIAN in text
    assert "[¶7, sentence 2]" in text
    assert as_json(result, engine.corpus)["tier"] == "across"


def test_a_name_is_matched_across_scripts(engine: Index) -> None:
    result = engine.search("Что сказал Руденко?")  # "Rudenko" transliterated
    assert {"Rudenko" in hit.passage.text for hit in result.hits[:2]} == {True}


def test_another_script_gets_the_english_heading(engine: Index) -> None:
    result = engine.search("金正恩和普京签署了什么条约？")
    assert result.tier == "across"
    assert ACROSS in format_text(result, engine.corpus)


def test_russian_questions_find_their_passage_in_the_top_three(engine: Index) -> None:
    # Written in Russian after reading the article; nothing answering does was fitted on them.
    cases = read_cases(RUSSIAN)
    found = 0
    for case in cases:
        assert case.expect is not None
        texts = [hit.passage.text for hit in engine.search(case.q).hits]
        found += any(contains_answer(text, case.expect) for text in texts[:3])
    assert found >= len(cases) - 1, f"{found} of {len(cases)}"

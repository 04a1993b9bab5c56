"""The reader (a cross-encoder shipped inside the package), answer tiers, summaries and follow-ups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.answer import CAVEAT, as_json, format_html, format_text, short_answer_text
from bot.core.answering.conversation import Turn, follow_up, kind_of
from bot.core.answering.reader import CALIBRATION_FEATURES, Calibration, ReaderError, shipped_reader
from bot.core.corpus import Article, build_corpus
from bot.core.engine import Engine
from tests.conftest import run_without_network


def test_the_reader_loads_from_the_package_with_every_socket_refused() -> None:
    done = run_without_network(
        """
        from bot.core.answering.reader import Reader
        reader = Reader()
        scores = reader.scores("how many troops were sent", ["About 10,000 troops were sent.", "It rained."])
        print(len(scores))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


def test_the_reader_reads_question_and_passage_together() -> None:
    reader = shipped_reader()
    scores = reader.scores(
        "How many troops did North Korea send to Russia?",
        [
            "The weather in Pyongyang was cold and wet all week.",
            "North Korea sent around 10,000 troops to Russia, officials said.",
        ],
    )
    assert scores.shape == (2,)
    assert scores[1] > scores[0]
    # a long passage is cut to the reader's length, never refused
    assert reader.scores("troops?", ["troops " * 5000]).shape == (1,)
    assert reader.scores("troops?", []).shape == (0,)


def test_a_calibration_over_other_features_is_refused() -> None:
    good = Calibration((1.0, 0.0, 0.0, 0.0), 0.0, 0.6, 0.3).as_json()
    assert Calibration.from_json(good).possible == 0.3
    with pytest.raises(ReaderError, match="refit it"):
        Calibration.from_json({**good, "features": ["top"]})
    assert len(CALIBRATION_FEATURES) == len(good["coef"])  # type: ignore[arg-type]


def test_tiers_are_worded_and_only_the_confident_one_gives_a_short_answer(engine: Engine) -> None:
    result = engine.search("How many troops did North Korea send?", 3)
    assert result.answered
    assert "10,000" in result.hits[0].passage.text
    closest = replace(result, tier="closest")
    text = format_text(closest, engine.corpus)
    assert CAVEAT in text
    html_text, _ = format_html(closest, engine.corpus)
    assert CAVEAT in html_text
    if result.confident:
        assert CAVEAT not in format_text(result, engine.corpus)
    assert as_json(result, engine.corpus)["tier"] == result.tier
    for question in ("How many North Korean troops have died in Kursk?", "When will North Korea ratify the treaty?"):
        found = engine.search(question, 3)
        # The article states neither: no short answer may claim one.
        assert short_answer_text(found) is None, question
        assert not found.confident or found.hits[0].answer is None


def test_summaries_are_the_lead_and_key_sentences(engine: Engine) -> None:
    for message in ("summarize the article", "tl;dr", "What are the main points?"):
        assert kind_of(message) == "summary"
        result, turn = engine.converse(message, 3)
        assert result.tier == "summary"
        lead = result.hits[0].passage
        assert (lead.paragraph, lead.sentence) == (1, 1)
        assert 2 <= len(result.hits) <= 3
        assert [hit.position for hit in result.hits] == sorted(hit.position for hit in result.hits)
        assert turn.positions == tuple(hit.position for hit in result.hits)
    assert "The article in brief:" in format_text(result, engine.corpus)


def test_tell_me_more_quotes_what_follows_and_ends_politely(engine: Engine) -> None:
    first, turn = engine.converse("how many troops", 1)
    shown = first.hits[0].position
    more, _ = engine.converse("tell me more", 2, turn)
    assert more.tier == "more"
    assert [hit.position for hit in more.hits] == [shown + 1, shown + 2][: len(more.hits)]
    last = engine.answerer.article_numbers(turn.article_id or "")[-1]
    end, _ = engine.converse("tell me more", 2, Turn("x", turn.article_id, (last,)))
    assert not end.answered
    assert "end of the article" in format_text(end, engine.corpus)
    alone, _ = engine.converse("tell me more", 3)  # nothing asked before: the summary
    assert alone.tier == "summary"


def test_a_follow_up_is_read_against_the_previous_question(engine: Engine) -> None:
    assert follow_up("who signed the treaty", "and when?") == "when signed treaty"
    assert kind_of("and when did they vote?") is None  # a whole question stands alone
    _, turn = engine.converse("who signed the treaty", 3)
    result, again = engine.converse("and when?", 3, turn)
    assert result.question == "and when?"
    assert again.question == "when signed treaty"
    assert result.answered
    assert any("June" in hit.passage.text for hit in result.hits)
    other, _ = engine.converse("who else?", 3, turn)
    assert not set(hit.position for hit in other.hits) & set(turn.positions)


def test_a_typo_of_a_common_word_is_not_refused_as_a_name(engine: Engine) -> None:
    result = engine.search("how mnay troops were deplyed", 3)
    assert "Mnay" not in format_text(result, engine.corpus)


def test_the_reader_reads_the_best_candidates_and_the_rest_follow() -> None:
    towns = tuple(f"Troops marched into the river town of Town{n} on a cold morning." for n in range(30))
    corpus = build_corpus([Article("2024-01-02-march", "The March", "2024-01-02", "Example", None, towns)])
    plain = Engine.from_corpus(corpus)
    reading = Engine.from_corpus(corpus)
    reading.answerer.reader = shipped_reader()
    for searched in (plain, reading):
        hits = searched.search("troops marched into the river town", 20).hits
        assert len(hits) > 12  # more than the reader reads: a later page is never cut short
        assert len({hit.position for hit in hits}) == len(hits)

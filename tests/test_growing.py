"""Updating a served engine by the files changed instead of building it anew: what an update
serves is exactly what a build over the same articles serves (in the update's order); a change too
big to update, or a damaged snapshot, is built anew, never updated from stale parts."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synthetic import news_like, vocabulary, zipf_weights
from bot.core.answering.search import Answerer
from bot.core.corpus import Article, CorpusError, build_corpus, format_article
from bot.core.serving import Index, open_index
from bot.core.serving.embedding import ArchiveEmbedder
from tests.conftest import ARTICLE_ID, CORPUS_DIR
from tests.test_snapshot import QUESTIONS, SECOND

THIRD = Article(
    "2024-11-09-parliament-approves-budget",
    "Parliament Approves Budget",
    "2024-11-09",
    "Example News",
    None,
    (
        "Lawmakers approved the defense budget on Saturday by 310 votes to 12.",
        "The treaty with North Korea was not debated. Spending on troops rises by a fifth.",
        "Opposition deputies said the budget hides the cost of the war in Ukraine.",
    ),
    caption="The parliament building in Moscow.",
)
FOURTH = replace(
    THIRD,
    id="2024-11-10-drones-hit-refinery",
    title="Drones Hit Refinery",
    date="2024-11-10",
    paragraphs=("Drones hit an oil refinery near the border overnight, the governor said.", "No one was hurt."),
    caption="",
)
EXTRA_QUESTIONS = [
    "how many votes did the budget get",
    "what did the opposition say about the budget",
    "what did the drones hit",
    "was anyone hurt",
    "how many troops did north korea send",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    directory.mkdir()
    shutil.copy(CORPUS_DIR / f"{ARTICLE_ID}.txt", directory)
    write(directory, SECOND)
    return directory


def write(directory: Path, article: Article) -> Path:
    path = directory / f"{article.id}.txt"
    path.write_text(format_article(article), encoding="utf-8")
    return path


Answers = list[tuple[bool, list[object], list[float], float | None]]


def full_answers(engine: Index) -> Answers:
    """Every question's answer: answered, the hits' passages and scores, the model's probability."""
    return [
        (
            result.answered,
            [hit.passage for hit in result.hits],
            [hit.score for hit in result.hits],
            result.probability,
        )
        for result in (engine.search(question, 5) for question in [*QUESTIONS, *EXTRA_QUESTIONS])
    ]


def same_answers(first: Answers, second: Answers) -> bool:
    """Whether two engines answer alike: the same passages, scores and probabilities within 1e-6.

    Not to the last bit: a grown engine numbers words in another order (a removed article's words
    keep their numbers), and the float32 cosines of the signals' words in other rows of the
    vocabulary may round differently.
    """
    return len(first) == len(second) and all(
        a[:2] == b[:2]
        and np.allclose(a[2], b[2], rtol=0, atol=1e-6)
        and (a[3] is None) == (b[3] is None)
        and (a[3] is None or b[3] is None or abs(a[3] - b[3]) <= 1e-6)
        for a, b in zip(first, second, strict=True)
    )


def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)


def test_an_engine_grown_by_articles_answers_exactly_as_one_built_over_them() -> None:
    first = open_index(CORPUS_DIR).corpus.articles[0]
    base = Index.build(build_corpus([first]))
    before = full_answers(base)
    grown = base.extended([SECOND]).extended([THIRD, FOURTH])
    built = Index.build(build_corpus([first, SECOND, THIRD, FOURTH]))
    assert list(grown.corpus.passages) == list(built.corpus.passages)
    assert grown.corpus.passage_counts == built.corpus.passage_counts
    assert grown.unmerged == len(built.corpus.passages) - len(base.corpus.passages)
    assert same_answers(full_answers(grown), full_answers(built))
    assert grown.example_questions() == built.example_questions()
    assert same_answers(full_answers(base), before)  # the engine it grew from is unchanged
    assert not same_answers(full_answers(grown), before)
    assert any(result[0] for result in full_answers(grown)[-len(EXTRA_QUESTIONS) :])


def test_a_new_file_is_added_to_the_live_engine_without_a_build(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    live = open_index(corpus, snapshots=snapshots)
    assert open_index(corpus, snapshots=snapshots, live=live, grow_from=0) is live  # nothing changed
    write(corpus, THIRD)
    caplog.set_level(logging.INFO, logger="bot.core.serving.opening")
    grown = open_index(corpus, snapshots=snapshots, live=live, grow_from=0)
    assert logged(caplog, "removed 0 articles and added 1")
    assert not logged(caplog, "saved the index snapshot")
    assert grown.unmerged > 0
    assert grown.corpus.version != live.corpus.version
    assert same_answers(full_answers(grown), full_answers(open_index(corpus)))  # THIRD sorts last: the same order
    # Below grow_from bytes (the default: a megabyte), a small corpus is simply built again.
    write(corpus, FOURTH)
    rebuilt = open_index(corpus, snapshots=snapshots, live=grown)
    assert rebuilt.unmerged == 0
    assert same_answers(full_answers(rebuilt), full_answers(open_index(corpus)))


def test_a_start_grows_the_snapshot_by_the_files_added_since(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    write(corpus, THIRD)
    write(corpus, FOURTH)
    caplog.set_level(logging.INFO, logger="bot.core.serving.opening")
    started = open_index(corpus, snapshots=snapshots, grow_from=0)
    assert logged(caplog, "loaded the index snapshot of 2 files")
    assert started.unmerged > 0
    assert same_answers(full_answers(started), full_answers(open_index(corpus)))
    # A full build (a merge) writes a snapshot of all four files; the next start loads it as it is.
    merged = open_index(corpus, snapshots=snapshots, grow=False, grow_from=0)
    assert merged.unmerged == 0
    assert merged.corpus.version != started.corpus.version
    caplog.clear()
    again = open_index(corpus, snapshots=snapshots, grow_from=0)
    assert logged(caplog, "loaded the index snapshot in")
    assert same_answers(full_answers(again), full_answers(started))


@pytest.mark.parametrize("change", ["edited", "removed", "touched"])
def test_a_file_changed_or_removed_is_taken_out_and_put_in_again(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, change: str
) -> None:
    snapshots = tmp_path / "index"
    live = open_index(corpus, snapshots=snapshots)
    second = corpus / f"{SECOND.id}.txt"
    if change == "edited":
        edited = replace(SECOND, paragraphs=("Officials said the convoy turned back before the border.",))
        second.write_text(format_article(edited), encoding="utf-8")
    elif change == "removed":
        second.unlink()
    else:
        os.utime(second)
    caplog.set_level(logging.INFO, logger="bot.core.serving.opening")
    # The served engine updated, and a start updating the snapshot (which holds the old file).
    for engine in (
        open_index(corpus, snapshots=snapshots, live=live, grow_from=0),
        open_index(corpus, snapshots=snapshots, grow_from=0),
    ):
        assert engine.unmerged > 0
        assert SECOND.id not in engine.corpus.by_id if change == "removed" else SECOND.id in engine.corpus.by_id
        assert engine.corpus.passages_served == open_index(corpus).corpus.passages_served
        assert same_answers(full_answers(engine), full_answers(open_index(corpus)))
    assert logged(caplog, f"removed 1 articles and added {0 if change == 'removed' else 1}")
    if change == "edited":
        answer = open_index(corpus, live=live, grow_from=0).search("did the convoy turn back", 3)
        assert answer.hits[0].passage.text == "Officials said the convoy turned back before the border."
        assert all("reached the border crossing" not in hit.passage.text for hit in answer.hits)


def test_an_engine_without_articles_answers_as_one_built_without_them() -> None:
    first = open_index(CORPUS_DIR).corpus.articles[0]
    everything = Index.build(build_corpus([first, SECOND, THIRD, FOURTH]))
    left = everything.without([SECOND.id, FOURTH.id]).extended([replace(FOURTH, title="Drones Hit Refinery Again")])
    built = Index.build(build_corpus([first, THIRD, replace(FOURTH, title="Drones Hit Refinery Again")]))
    assert [article.id for article in left.corpus.articles] == [article.id for article in built.corpus.articles]
    assert left.corpus.passage_counts == built.corpus.passage_counts
    assert same_answers(full_answers(left), full_answers(built))
    assert left.example_questions() == built.example_questions()
    answer = left.search("when did the convoy reach the border", 3)  # only SECOND said so
    assert all(hit.passage.article_id != SECOND.id for hit in answer.hits)


def test_a_change_too_big_to_update_is_built_anew(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.core.serving.opening as engine_module

    snapshots = tmp_path / "index"
    live = open_index(corpus, snapshots=snapshots)
    write(corpus, THIRD)
    monkeypatch.setattr(engine_module, "UPDATE_AT_MOST_BYTES", 10)
    monkeypatch.setattr(engine_module, "UPDATE_AT_MOST_SHARE", 0.0)
    for engine in (
        open_index(corpus, snapshots=snapshots, live=live, grow_from=0),
        open_index(corpus, snapshots=snapshots, grow_from=0),
    ):
        assert engine.unmerged == 0
        assert same_answers(full_answers(engine), full_answers(open_index(corpus)))


def test_a_broken_new_file_refuses_the_growth_and_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "index"
    live = open_index(corpus, snapshots=snapshots)
    before = full_answers(live)
    (corpus / "broken.txt").write_text("title: no date\n\nA body.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.txt: header has no date"):
        open_index(corpus, snapshots=snapshots, live=live, grow_from=0)
    (corpus / "broken.txt").unlink()
    (corpus / f"{SECOND.id}.md").write_text(format_article(SECOND), encoding="utf-8")  # the same id twice
    with pytest.raises(CorpusError, match="duplicate article id"):
        open_index(corpus, snapshots=snapshots, live=live, grow_from=0)
    assert same_answers(full_answers(live), before)


@pytest.mark.parametrize("name", ["counts.npy", "corpus_files.json"])
def test_a_damaged_snapshot_is_not_updated_from(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    snapshots = tmp_path / "index"
    open_index(corpus, snapshots=snapshots)
    (saved,) = snapshots.glob("snapshot-*")
    damaged = saved / name
    if name.endswith(".json"):  # still a list of files, one entry changed: only the checksum tells
        keys = json.loads(damaged.read_text(encoding="utf-8"))
        keys[f"{SECOND.id}.txt"][0] += 1
        damaged.write_text(json.dumps(keys), encoding="utf-8")
    else:
        data = bytearray(damaged.read_bytes())
        data[-1] ^= 1
        damaged.write_bytes(bytes(data))
    write(corpus, THIRD)
    caplog.set_level(logging.INFO, logger="bot.core.serving.opening")
    engine = open_index(corpus, snapshots=snapshots, grow_from=0)
    assert logged(caplog, f"{name} is damaged")
    assert engine.unmerged == 0
    assert same_answers(full_answers(engine), full_answers(open_index(corpus)))


def test_the_only_article_edited_is_updated(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = write(corpus, THIRD)
    live = open_index(corpus)
    path.write_text(format_article(replace(THIRD, title="Parliament Approves Budget Again")), encoding="utf-8")
    engine = open_index(corpus, live=live, grow_from=0)  # taken out, then put in again
    assert engine.unmerged > 0
    assert [article.title for article in engine.corpus.articles] == ["Parliament Approves Budget Again"]
    assert same_answers(full_answers(engine), full_answers(open_index(corpus)))
    path.unlink()
    with pytest.raises(CorpusError, match="no article files"):
        open_index(corpus, live=engine, grow_from=0)


# Sentences for articles made up by the property test below: names met in full and then alone,
# sentences opening with a pronoun, numbers whose words share a vector (the same digits), a rare
# name, words of one stem, a caption — whatever an answer reads beyond the kernel's scores.
SENTENCES = (
    "Deputy Foreign Minister Andrei Rudenko signed the treaty in 1760.",
    "Rudenko said the troops would stay until 1706.",
    "He told lawmakers the deal was historic.",
    "The convoy reached Kursk in 1076, officials said.",
    "North Korea sent 10,000 troops to the Kursk region in 1670.",
    "South Korea protested and summoned the ambassador in 1607.",
    "Jan van Riebeeck founded the colony in 6017.",
    "Officials negotiated for weeks before the vote in 7016.",
    "The negotiations failed in 1067 and the talks ended.",
    "She told reporters that Pyongyang would send more soldiers.",
    "Kim Jong Un praised the treaty as a victory.",
    "Drones hit an oil refinery near the border overnight.",
    "No one was hurt, the governor said.",
    "Lawmakers approved the budget by 310 votes to 12.",
)
GROWING_QUESTIONS = (
    "what happened in 1760",
    "who is Rudenko",
    "what did he tell lawmakers",
    "who founded the colony",
    "who was riebeek",
    "how many troops did North Korea send",
    "when did the negotiations fail",
    "what did South Korea do",
    "did China sign it",
    "is there a photo of the convoy",
    "who praised the treaty",
    "what did kim say",
)
paragraphs = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=2, unique=True).map(" ".join)
made_up = st.tuples(st.lists(paragraphs, min_size=1, max_size=3), st.booleans())


def made_up_article(number: int, drawn: tuple[list[str], bool]) -> Article:
    texts, captioned = drawn
    return Article(
        f"2024-12-{number % 28 + 1:02d}-story-{number}",
        f"Story {number}",
        f"2024-12-{number % 28 + 1:02d}",
        "Example News",
        None,
        tuple(texts),
        caption="The convoy near the border." if captioned else "",
    )


class WholeAnswer(NamedTuple):
    """A question's whole answer: what is quoted from which article with which score, the tier, the
    probability, the fixes and suggestion, the words the corpus never mentions."""

    tier: str
    quoted: list[tuple[object, ...]]  # (article, text), or with the short answer too
    scores: list[float]
    probability: float | None
    rest: tuple[object, ...]


def whole_answers(engine: Index) -> list[WholeAnswer]:
    """Every growing question's whole answer."""
    return [
        WholeAnswer(
            result.tier,
            [(hit.passage.article_id, hit.passage.text) for hit in result.hits],
            [hit.score for hit in result.hits],
            result.probability,
            (result.corrections, result.suggestion, result.missing),
        )
        for result in (engine.search(question, 5) for question in GROWING_QUESTIONS)
    ]


@settings(max_examples=40, deadline=None)
@given(
    first=st.lists(made_up, min_size=1, max_size=5),
    steps=st.lists(
        st.tuples(st.sampled_from(["add", "remove", "replace"]), st.integers(min_value=0, max_value=20), made_up),
        min_size=1,
        max_size=8,
    ),
)
def test_an_engine_updated_article_by_article_answers_wholly_as_one_built_over_the_result(
    first: list[tuple[list[str], bool]], steps: list[tuple[str, int, tuple[list[str], bool]]]
) -> None:
    """Not the kernel alone: the whole answer (candidates by meaning, spelling fixes, names, the
    passages a pronoun stands for, the model's probability) after adds, replacements and removals
    is the answer of a build over the articles left, in the update's order."""
    articles = [made_up_article(number, drawn) for number, drawn in enumerate(first)]
    engine = Index.build(build_corpus(articles))
    served = [article.id for article in articles]
    by_id = {article.id: article for article in articles}
    for number, (kind, which, drawn) in enumerate(steps, start=len(first)):
        if kind == "add" or len(served) == 1:
            article = made_up_article(number, drawn)
            engine = engine.extended([article])
        elif kind == "remove":
            gone = served[which % len(served)]
            engine = engine.without([gone])
            served.remove(gone)
            continue
        else:
            gone = served[which % len(served)]
            article = replace(made_up_article(number, drawn), id=gone)
            engine = engine.without([gone]).extended([article])
            served.remove(gone)
        served.append(article.id)
        by_id[article.id] = article
    built = Index.build(build_corpus([by_id[article_id] for article_id in served]))
    assert [article.id for article in engine.corpus.articles] == served
    grown, expected = whole_answers(engine), whole_answers(built)
    for mine, theirs in zip(grown, expected, strict=True):
        assert (mine.tier, mine.quoted, mine.rest) == (theirs.tier, theirs.quoted, theirs.rest)
        assert np.allclose(mine.scores, theirs.scores, rtol=0, atol=2e-4)  # scores are rounded to 4 places
        assert (mine.probability is None) == (theirs.probability is None)
        if mine.probability is not None and theirs.probability is not None:
            assert abs(mine.probability - theirs.probability) <= 1e-6


def news_archive(count: int, seed: int) -> list[Article]:
    """Return `count` made-up articles of a newsroom's archive: one to twenty-five paragraphs, about a
    third of the sentences the wire copy many articles share (the shipped article's and the stories'
    above, a caption now and then), the rest made-up sentences (bench/synthetic.py's words). A sentence in many
    articles scores the same in each: its passages tie in BM25, and so may the answers' candidates."""
    rng = random.Random(seed)
    words = vocabulary(3_000, np.random.default_rng(seed))
    probabilities = zipf_weights(len(words))
    shipped = open_index(CORPUS_DIR).corpus.passages
    shared = [passage.text for passage in shipped] + [*SENTENCES, *SECOND.paragraphs, *THIRD.paragraphs]

    def made_up() -> str:
        drawn = np.random.default_rng(rng.getrandbits(32)).choice(len(words), size=rng.randint(8, 25), p=probabilities)
        return news_like([words[n] for n in drawn], np.random.default_rng(rng.getrandbits(32)))

    # Made-up sentences come from a pool of 800: each passage's sentence vector is embedded once (the
    # embedding of every passage of a fresh 300-article archive was most of this test's minute).
    pool = [made_up() for _ in range(800)]

    def sentence() -> str:
        return rng.choice(shared) if rng.random() < 0.35 else rng.choice(pool)

    articles = []
    for number in range(count):
        paragraphs = tuple(
            " ".join(sentence() for _ in range(rng.randint(1, 3))) for _ in range(rng.choice([1, 2, 3, 5, 12, 25]))
        )
        day = f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
        caption = "The convoy near the border." if rng.random() < 0.2 else ""
        articles.append(
            Article(f"{day}-story-{number}", f"Story {number}", day, "Example News", None, paragraphs, caption=caption)
        )
    return articles


def every_answer(engine: Index, questions: Sequence[str]) -> list[WholeAnswer]:
    """Each question's whole answer (the hits' short answers with what they quote)."""
    return [
        WholeAnswer(
            result.tier,
            [(hit.passage.article_id, hit.passage.text, hit.answer) for hit in result.hits],
            [hit.score for hit in result.hits],
            result.probability,
            (result.corrections, result.suggestion, result.missing),
        )
        for result in (engine.search(question, 5) for question in questions)
    ]


def alike(mine: WholeAnswer, theirs: WholeAnswer) -> bool:
    """Whether two whole answers are the same, scores and probabilities but for rounding (see
    same_answers: a grown vocabulary numbers words in another order)."""
    return (
        (mine.tier, mine.quoted, mine.rest) == (theirs.tier, theirs.quoted, theirs.rest)
        and np.allclose(mine.scores, theirs.scores, rtol=0, atol=2e-4)  # scores are rounded to 4 places
        and (mine.probability is None) == (theirs.probability is None)
        and (
            mine.probability is None or theirs.probability is None or abs(mine.probability - theirs.probability) <= 1e-6
        )
    )


# Embedding 300 articles' made-up sentences is most of its minute; a busy machine may take several.
@pytest.mark.timeout(600)
def test_an_archive_updated_file_by_file_answers_as_a_build_of_its_files(tmp_path: Path) -> None:
    """Hundreds of articles, long ones replaced, others added and removed, reload by reload: the
    served engine numbers a changed article's passages after all the others, a start updating the
    snapshot numbers them in another order, a build in the order of the files. Whatever ties
    (the passages of a sentence many articles share) goes the same way in all three: the whole
    answers are the build's, in the served engine and after a restart."""
    corpus, snapshots = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    articles = news_archive(300, seed=33)
    for article in articles:
        write(corpus, article)
    live = open_index(corpus, snapshots=snapshots)
    longest = sorted(articles, key=lambda article: -sum(map(len, article.paragraphs)))
    rng = random.Random(33)
    for number, old in enumerate(longest[:4]):  # each reload: a long article replaced, one added, one removed
        write(corpus, replace(old, paragraphs=(*old.paragraphs[1:], old.paragraphs[0])))
        write(corpus, replace(rng.choice(articles), id=f"2025-01-01-story-{number}", date="2025-01-01"))
        (corpus / f"{longest[-1 - number].id}.txt").unlink()
        live = open_index(corpus, snapshots=snapshots, live=live, grow_from=0)
        assert live.unmerged > 0
    started = open_index(corpus, snapshots=snapshots, grow_from=0)
    assert started.unmerged > 0
    built = open_index(corpus)
    # More passages than a build embeds: each is embedded after, as the bot does while it answers.
    assert built.parts.vectors.missing
    embedder = ArchiveEmbedder(None)
    for engine in (live, started, built):
        while embedder.step(engine):
            pass
    embedder.close()
    questions = [*QUESTIONS[::6], *EXTRA_QUESTIONS, *GROWING_QUESTIONS]
    expected = every_answer(built, questions)
    assert sum(bool(answer.quoted) for answer in expected) > len(questions) // 2
    for engine in (live, started):
        assert sorted(engine.corpus.by_id) == sorted(built.corpus.by_id)
        answers = every_answer(engine, questions)
        differing = [q for q, mine, theirs in zip(questions, answers, expected, strict=True) if not alike(mine, theirs)]
        assert not differing, f"{len(differing)} of {len(questions)} answers differ from the build's"


def test_passages_tied_beyond_the_candidates_measured_are_taken_as_a_build_takes_them(tmp_path: Path) -> None:
    """More passages tie for the kernel's last candidate places than there are places: a build takes
    those of the first articles by file, and so must an update, which numbers an article replaced
    after all the others."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    words = vocabulary(2 * 300, np.random.default_rng(3))
    articles = [
        Article(
            f"2024-12-01-story-{number:03d}",
            f"Story {number}",
            "2024-12-01",
            "Example News",
            None,
            (
                f"The {words[2 * number]} met the {words[2 * number + 1]} on Monday.",
                "Follow our Telegram channel for news.",
            ),
        )
        for number in range(300)
    ]
    for article in articles:
        write(corpus, article)
    live = open_index(corpus)
    write(corpus, replace(articles[0], paragraphs=("The talks were held on Tuesday.", *articles[0].paragraphs[1:])))
    updated = open_index(corpus, live=live, grow_from=0)
    assert updated.unmerged > 0
    built = open_index(corpus)
    questions = ["where is the telegram channel", "follow the channel", "what is on telegram"]
    for mine, theirs in zip(every_answer(updated, questions), every_answer(built, questions), strict=True):
        assert alike(mine, theirs)
    assert any(answer.quoted for answer in every_answer(built, questions))


def test_passages_are_ordered_by_article_id_then_number_in_a_table_and_in_a_list(tmp_path: Path) -> None:
    """Ties go by article id, then passage number, whether the passages are a corpus's table or a
    plain list of passages, and in an updated engine whose numbers no longer follow the ids."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    articles = news_archive(12, seed=5)
    for article in articles:
        write(corpus, article)
    live = open_index(corpus)
    first = articles[0]
    write(corpus, replace(first, paragraphs=(*first.paragraphs[1:], first.paragraphs[0])))  # numbered last now
    updated = open_index(corpus, live=live, grow_from=0)
    assert updated.unmerged > 0
    rng = np.random.default_rng(3)
    for engine in (live, updated):
        table = engine.answerer
        listed = Answerer(replace(engine.parts, passages=[table.passages[n] for n in range(len(table.passages))]))
        for answerer in (table, listed):
            docs = rng.permutation(len(answerer.passages))[:80].astype(np.int64)
            expected = sorted(docs.tolist(), key=lambda doc: (answerer.passages[doc].article_id, doc))
            assert docs[answerer._by_article(docs)].tolist() == expected

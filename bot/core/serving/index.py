"""An index: a corpus and every part built over its passages, built, grown, shrunk, saved and
restored together (the one place that knows the parts), and the answerer that reads them."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bot.core.answering import conversation
from bot.core.answering.conversation import Turn
from bot.core.answering.dense import PassageVectors
from bot.core.answering.features import PassageFeatures
from bot.core.answering.meaning import Vocabulary
from bot.core.answering.model import AnswerModel
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.results import SearchResult, Tier
from bot.core.answering.search import Answerer
from bot.core.answering.vocabulary import Spelling
from bot.core.articles.store import FileKey
from bot.core.corpus import Article, Corpus, Passage, PassageTable, extended_corpus, reduced_corpus
from bot.core.messages import N_
from bot.core.retrieval.base import Progress
from bot.core.retrieval.bm25 import Bm25Index
from bot.core.serving.embedding import VectorStore, embedded_at_build, pending_vectors
from bot.core.serving.layers import (
    CorpusLayer,
    FeaturesLayer,
    PassageVectorsLayer,
    RetrieverLayer,
    Stored,
    VocabularyLayer,
)
from bot.core.text import fold


@dataclass(frozen=True, eq=False)  # compared by identity: its arrays have no one truth value
class Parts:
    """The parts built over a sequence of passages, each the same as a build over them would give:
    the kernel, every passage's features, the words' and the passages' vectors, and what follows
    from them (spelling, each article's passage numbers, the publications' names)."""

    passages: Sequence[Passage]
    retriever: Bm25Index
    features: PassageFeatures
    vocabulary: Vocabulary
    vectors: PassageVectors
    spelling: Spelling
    spans: Mapping[str, tuple[int, int]]
    publications: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.vectors) != len(self.passages):
            raise ValueError(f"{len(self.vectors)} passage vectors for {len(self.passages)} passages")

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        *,
        publications: Iterable[str] = (),
        progress: Progress | None = None,
        store: VectorStore | None = None,
    ) -> Parts:
        """Return the parts of passages, each passage read, tokenised and embedded; more passages
        than embedding.EMBED_NOW_AT_MOST are embedded after (an ArchiveEmbedder), those the
        embedding `store` keeps filled in now."""
        passages = passages if isinstance(passages, PassageTable) else tuple(passages)
        features = PassageFeatures.of(passages)
        texts = [passage.text for passage in passages]
        return cls(
            passages,
            Bm25Index(passages, progress=progress),
            features,
            Vocabulary(features.words),
            PassageVectors.of(texts) if embedded_at_build(len(texts)) else pending_vectors(texts, store),
            Spelling(features.surface),
            _article_spans(passages),
            _publications(publications),
        )

    @classmethod
    def restore(cls, stored: Stored, passages: PassageTable, *, publications: Iterable[str] = ()) -> Parts:
        """Return the parts a snapshot holds (see layers), computing nothing per passage."""
        retriever = RetrieverLayer.restore(stored, passages)
        features = FeaturesLayer.restore(stored, len(passages))
        return cls(
            passages,
            retriever,
            features,
            VocabularyLayer.restore(stored, features.words),
            PassageVectorsLayer.restore(stored, len(passages)),
            Spelling(features.surface),
            _article_spans(passages),
            _publications(publications),
        )

    def state(self) -> dict[str, Any]:
        """Return what restore() reads back (layers: each part's own)."""
        states = (
            RetrieverLayer.state(self.retriever),
            FeaturesLayer.state(self.features),
            VocabularyLayer.state(self.vocabulary),
            PassageVectorsLayer.state(self.vectors),
        )
        merged: dict[str, Any] = {}
        for state in states:
            if merged.keys() & state.keys():
                raise ValueError(f"two parts store {sorted(merged.keys() & state.keys())}")
            merged |= state
        return merged

    def extended(self, passages: Sequence[Passage], *, publications: Iterable[str] = ()) -> Parts:
        """Return the parts of `passages`: these parts' (the same, in the same order) followed by
        the passages of new articles, which alone are read, tokenised and embedded. They answer as
        parts built over all of them at once; these are left as they are."""
        before = len(self.passages)
        features = self.features.extended(passages)
        spans = dict(self.spans) | {
            article: (start + before, stop + before)
            for article, (start, stop) in _article_spans(passages[before:]).items()
        }
        return Parts(
            passages,
            self.retriever.extended(passages),
            features,
            self.vocabulary.extended(features.words).only(features.present),
            self.vectors.extended([passage.text for passage in passages[before:]]),
            Spelling(features.surface),
            spans,
            _publications(publications),
        )

    def without(self, article_ids: Iterable[str], *, publications: Iterable[str] = ()) -> Parts:
        """Return the parts without some articles: their passages keep their numbers and are never
        found again; they answer as parts built over the other articles. These are left as they are."""
        spans = dict(self.spans)
        gone = [spans.pop(article) for article in article_ids]
        docs = np.concatenate(
            [np.arange(start, stop, dtype=np.int64) for start, stop in gone] or [np.zeros(0, np.int64)]
        )
        retriever = self.retriever.removed(docs)
        # The terms a passage stands for without saying them would find passages outside the index;
        # the words and name pairs only the removed passages held are nobody's neighbours or fixes.
        features = self.features.without(docs, self.passages, retriever.holding)
        before, after = self.features.present, features.present
        lost = np.flatnonzero(~after & (True if before is None else before)) if after is not None else ()
        spelling = self.spelling.without(self.features.words[n] for n in lost) if len(lost) else self.spelling
        return Parts(
            self.passages,
            retriever,
            features,
            self.vocabulary.only(features.present),
            self.vectors.without(docs),
            spelling,
            spans,
            _publications(publications),
        )


def answerer_over(
    passages: Sequence[Passage],
    *,
    publications: Iterable[str] = (),
    policy: AnswerPolicy | None = None,
    model: AnswerModel | None = None,
    progress: Progress | None = None,
) -> Answerer:
    """Return an answerer over loose passages (no corpus of articles around them)."""
    return Answerer(Parts.build(passages, publications=publications, progress=progress), policy=policy, model=model)


@dataclass(frozen=True)
class Index:
    """What answers questions: an immutable corpus, the parts built over its passages and the
    answerer reading them.

    `files` are the corpus files it was read from, by name with each file's key (None when not
    known), and `unmerged` how many passages were added or removed since its last full build.
    """

    corpus: Corpus
    parts: Parts = field(compare=False, repr=False)
    answerer: Answerer = field(repr=False)  # compared by identity, as the parts it reads
    files: Mapping[str, FileKey] | None = field(default=None, compare=False, repr=False)
    unmerged: int = 0

    @classmethod
    def build(
        cls,
        corpus: Corpus,
        *,
        policy: AnswerPolicy | None = None,
        model: AnswerModel | None = None,
        progress: Progress | None = None,
        store: VectorStore | None = None,
    ) -> Index:
        """Return the index of a corpus (answering with the shipped model unless given one); a big
        one's passages are embedded after, those the embedding `store` keeps filled in now."""
        parts = Parts.build(corpus.passages, publications=_sources(corpus), progress=progress, store=store)
        return cls(corpus, parts, Answerer(parts, policy=policy, model=model))

    @classmethod
    def restore(
        cls,
        stored: Stored,
        *,
        files: Mapping[str, FileKey] | None = None,
        policy: AnswerPolicy | None = None,
        model: AnswerModel | None = None,
    ) -> Index:
        """Return the index a snapshot holds (state()), checked part by part, computing nothing per passage."""
        corpus = CorpusLayer.restore(stored)
        passages = corpus.passages
        assert isinstance(passages, PassageTable)  # CorpusLayer restores a table
        parts = Parts.restore(stored, passages, publications=_sources(corpus))
        return cls(corpus, parts, Answerer(parts, policy=policy, model=model), files)

    def state(self) -> dict[str, Any]:
        """Return what restore() reads back: each part's own state (see layers)."""
        parts = self.parts.state()
        corpus = CorpusLayer.state(self.corpus)
        if parts.keys() & corpus.keys():
            raise ValueError(f"two parts store {sorted(parts.keys() & corpus.keys())}")
        return corpus | parts

    def extended(self, articles: Sequence[Article], files: Mapping[str, FileKey] | None = None) -> Index:
        """Return an index over this one's articles and new ones after them (this one unchanged).

        Only the new articles are split, tokenised and embedded; the result answers exactly as an
        index built over all the articles in that order. `files` are the corpus files it serves.
        """
        corpus = extended_corpus(self.corpus, articles)
        parts = self.parts.extended(corpus.passages, publications=_sources(corpus))
        added = len(corpus.passages) - len(self.corpus.passages)
        return Index(corpus, parts, self._answerer(parts), files, self.unmerged + added)

    def without(self, article_ids: Sequence[str], files: Mapping[str, FileKey] | None = None) -> Index:
        """Return an index without some articles (this one unchanged): their passages are never
        found again, and it answers exactly as an index built over the other articles."""
        corpus = reduced_corpus(self.corpus, article_ids)
        parts = self.parts.without(article_ids, publications=_sources(corpus))
        removed = sum(self.corpus.passage_counts[article_id] for article_id in article_ids)
        return Index(corpus, parts, self._answerer(parts), files, self.unmerged + removed)

    def with_files(self, files: Mapping[str, FileKey] | None) -> Index:
        """Return this index, read from these corpus files."""
        return replace(self, files=files)

    def _answerer(self, parts: Parts) -> Answerer:
        return Answerer(parts, policy=self.answerer.policy, model=self.answerer.model)

    def known_files(self) -> dict[str, tuple[FileKey, Article]]:
        """Return the articles this index read, by file name with the key of the file read
        (made once per index: a reload and an admin change both ask)."""
        return self._known

    @functools.cached_property
    def _known(self) -> dict[str, tuple[FileKey, Article]]:
        if self.files is None:
            return {}
        by_id = self.corpus.by_id
        return {
            name: (key, by_id[stem]) for name, key in self.files.items() if (stem := name.rpartition(".")[0]) in by_id
        }

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return the passages that answer the question."""
        return self.answerer.search(question, k)

    def converse(self, message: str, k: int = 3, previous: Turn | None = None) -> tuple[SearchResult, Turn]:
        """Return the reply to a chat message, read against the chat's previous turn, and the new turn.

        "summarize the article" gets the lead and key sentences (of the article last quoted, else the
        newest); "tell me more" what follows the passages last quoted; "and when?" or "who else?" the
        previous question asked again that way; anything else is a question.
        """
        kind = conversation.kind_of(message)
        answerer = self.answerer
        if previous is not None and previous.article_id is not None and previous.article_id not in self.corpus.by_id:
            previous = Turn(previous.question, None)  # its article was removed since
        shown_before = self._positions(previous)
        if kind == "summary" or (kind == "more" and not shown_before):
            article = previous.article_id if previous and previous.article_id else self._newest()
            if article is None:
                return SearchResult(message, ()), Turn(message, None)
            picked = conversation.lead_and_key(answerer.passages, answerer.article_numbers(article))
            hits = tuple(answerer.hit(n) for n in picked)
            return SearchResult(message, hits, tier=Tier.SUMMARY), Turn(message, article, self._cite(picked))
        if kind == "more" and previous is not None and previous.article_id is not None:
            numbers = answerer.article_numbers(previous.article_id)
            after = [n for n in numbers if n > max(shown_before)][:k]
            if not after:
                end = N_(
                    "That is the end of the article: there is nothing more to quote. Ask me something else about it."
                )
                return SearchResult(message, (), notice=end), previous
            hits = tuple(answerer.hit(n) for n in after)
            return SearchResult(message, hits, tier=Tier.MORE), Turn(
                previous.question, previous.article_id, self._cite(after)
            )
        asked = message
        if kind == "follow" and previous is not None:
            asked = conversation.follow_up(previous.question, message)
        shown = set(shown_before) if conversation.wants_other(message) else set()
        result = answerer.search(asked, k + len(shown))
        if shown:
            result = replace(result, hits=tuple(hit for hit in result.hits if hit.position not in shown)[:k])
        result = replace(result, question=message)
        top = result.hits[0].passage.article_id if result.hits else (previous.article_id if previous else None)
        return result, Turn(asked, top, self._cite(hit.position for hit in result.hits))

    def _cite(self, numbers: Iterable[int]) -> tuple[tuple[str, int, int], ...]:
        """Return passages as a turn keeps them: by citation, which survives a renumbering."""
        passages = self.answerer.passages
        return tuple((p.article_id, p.paragraph, p.sentence) for p in (passages[n] for n in numbers))

    def _positions(self, turn: Turn | None) -> list[int]:
        """Return the numbers, in this index, of the passages a turn cites (those still served)."""
        if turn is None:
            return []
        wanted = set(turn.cited)
        found = []
        for article in dict.fromkeys(article for article, _, _ in turn.cited):
            for number in self.answerer.article_numbers(article):
                passage = self.answerer.passages[number]
                if (article, passage.paragraph, passage.sentence) in wanted:
                    found.append(number)
        return found

    def _newest(self) -> str | None:
        """Return the id of the newest article served, or None for an empty corpus."""
        newest = max(self.corpus.articles, key=lambda article: (article.date, article.id), default=None)
        return newest.id if newest is not None else None

    def example_questions(self, count: int = 3) -> tuple[str, ...]:
        """Return questions to suggest: each article's own (its `questions:` header), else its title."""
        newest_first = sorted(self.corpus.articles, key=lambda article: article.date, reverse=True)
        own = [question for article in newest_first for question in article.questions]
        titles = [article.title for article in newest_first if not article.questions]
        return tuple(dict.fromkeys([*own, *titles]))[:count]


def _sources(corpus: Corpus) -> set[str]:
    return {article.source for article in corpus.articles}


def _publications(names: Iterable[str]) -> tuple[str, ...]:
    """Return the publication names a question may mention, folded, each once, in order."""
    return tuple(sorted({fold(name) for name in names if name.strip()}))


def _article_spans(passages: Sequence[Passage]) -> dict[str, tuple[int, int]]:
    """Return each article's passages as (first, last + 1): an article's passages are consecutive."""
    if isinstance(passages, PassageTable):
        numbers = np.asarray(passages.article)
        if not len(numbers):
            return {}
        starts = np.flatnonzero(np.diff(numbers, prepend=-1))
        stops = np.append(starts[1:], len(numbers))
        articles = passages.articles
        return {articles[numbers[a]].id: (int(a), int(b)) for a, b in zip(starts, stops, strict=True)}
    spans: dict[str, tuple[int, int]] = {}
    for number, passage in enumerate(passages):
        first, _ = spans.get(passage.article_id, (number, number))
        spans[passage.article_id] = (first, number + 1)
    return spans

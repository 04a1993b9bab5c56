"""Search as the bot answers: analyse the question, judge the evidence, rerank the kernel's candidates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bot.core.answering.evidence import Evidence
from bot.core.answering.features import PassageFeatures
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.question import Concept, Question, Want, analyse
from bot.core.answering.vocabulary import Spelling, synonym_table
from bot.core.corpus import Passage
from bot.core.retrieval.base import Progress
from bot.core.retrieval.bm25 import Bm25Index
from bot.core.text import fold, tokens


class Hit(NamedTuple):
    """A ranked passage with its score and the index terms it matched."""

    passage: Passage
    score: float
    matched: frozenset[str]
    position: int


class Correction(NamedTuple):
    """A question word that is not in the corpus, and the corpus word it was taken for."""

    word: str
    replacement: str


@dataclass(frozen=True)
class SearchResult:
    """What search found for a question: hits (empty when it abstains) and spelling fixes."""

    question: str
    hits: tuple[Hit, ...]
    corrections: tuple[Correction, ...] = ()
    suggestion: str | None = None
    error: str | None = None  # why the question was not searched at all

    @property
    def answered(self) -> bool:
        """Whether the corpus answers the question."""
        return bool(self.hits)


class Answerer:
    """Answers questions from an exact BM25 kernel: evidence first, then the kernel's candidates reranked."""

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        publications: Iterable[str] = (),
        policy: AnswerPolicy | None = None,
        index: Bm25Index | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.passages = tuple(passages)
        self.policy = policy or AnswerPolicy()
        self.index = index if index is not None else Bm25Index(self.passages, progress=progress)
        self.publications = tuple(sorted({fold(name) for name in publications if name.strip()}))
        self.features = PassageFeatures.of(self.passages)
        self.spelling = Spelling(self.features.surface)
        self.synonyms = synonym_table()
        self.evidence = Evidence(self.index, self.features, self.policy)

    def __len__(self) -> int:
        return len(self.passages)

    def analyse(self, question: str) -> Question:
        """Return the question taken apart, publication names left out."""
        text = _without_names(question, self.publications)
        return analyse(text, synonyms=self.synonyms, synonym_weight=self.policy.synonym_weight)

    def _resolve(self, question: Question) -> tuple[list[Concept], list[Correction], list[Correction]]:
        """Return the concepts with typos fixed, the fixes made, and the looser fixes only suggested."""
        resolved, corrections, suggestions = [], [], []
        for concept in question.concepts:
            if any(term in self.index for term, _ in concept.variants):
                resolved.append(concept)
                continue
            fixed = self.spelling.correction(concept.word)
            if fixed is not None:
                corrections.append(Correction(concept.word, fixed))
                term = self.features.surface[fixed]
                resolved.append(Concept(fixed, term, ((term, self.policy.correction_weight),)))
                continue
            loose = self.spelling.correction(concept.word, max_distance=2) if len(concept.word) >= 5 else None
            if loose is not None:
                suggestions.append(Correction(concept.word, loose))
            resolved.append(concept)
        return resolved, corrections, suggestions

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return up to k passages that answer the question, best first, or none without evidence."""
        if len(question) > self.policy.max_question:
            limit = self.policy.max_question
            return SearchResult(question, (), error=f"the question is over {limit:,} characters long")
        parsed = self.analyse(question)
        concepts, corrections, suggestions = self._resolve(parsed)
        suggestion = _suggest(question, suggestions) if suggestions else None
        if k <= 0 or not concepts or not self.evidence.answers(parsed, concepts):
            return SearchResult(question, (), tuple(corrections), suggestion)
        docs, scores = self._rerank(concepts, parsed.want, k)
        best = scores[0] if len(scores) else 0.0
        query_terms = {term for concept in concepts for term, _ in concept.variants}
        hits = tuple(
            Hit(
                self.passages[doc],
                float(score),
                frozenset(query_terms & {t.term for t in tokens(self.passages[doc].text)}),
                int(doc),
            )
            for doc, score in zip(docs, scores, strict=True)
            if score > 0 and score >= self.policy.relative_floor * best
        )
        return SearchResult(question, hits, tuple(corrections), suggestion)

    def _rerank(self, concepts: Sequence[Concept], want: Want, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the k best candidates by BM25 times concept coverage times the question-word boost."""
        query = [
            (term, weight, number)
            for number, concept in enumerate(concepts)
            for term, weight in concept.variants
            if term in self.index
        ]
        found = self.index.candidates([(term, weight) for term, weight, _ in query], max(k, self.policy.candidates))
        held = np.zeros((len(concepts), len(found.docs)), dtype=bool)
        for row, (_, _, number) in enumerate(query):
            held[number] |= found.matched[row]
        # A passage that holds every part of a question beats a shorter one that repeats one part.
        scores = found.scores * (held.sum(axis=0) / len(concepts))
        if want is not Want.ANY:
            scores = scores * (1 + self.policy.want_boost[want] * self.features.has(found.docs, want))
        order = np.lexsort((found.docs, -scores))[:k]
        return found.docs[order], scores[order]


def _without_names(question: str, names: Sequence[str]) -> str:
    """Return the folded question with publication names taken out.

    "Donate to the Moscow Times" asks about the publisher, not the story: its words must not count
    as evidence just because "Moscow" and "times" stand in the article.
    """
    folded = fold(question)
    for name in names:
        folded = folded.replace(name, " ")
    return folded


def _suggest(question: str, fixes: Sequence[Correction]) -> str:
    """Return the question with each misspelt word replaced by its suggested corpus word."""
    text = question
    for fix in fixes:
        text = re.sub(rf"(?i)\b{re.escape(fix.word)}\b", fix.replacement, text)
    return text

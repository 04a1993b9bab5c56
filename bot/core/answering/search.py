"""Search as the bot answers: analyse the question, judge the evidence, rerank the kernel's candidates."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.core.answering.evidence import Evidence, passage_terms, zipf
from bot.core.answering.features import PassageFeatures
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.question import Concept, Question, Want, analyse, names_in
from bot.core.answering.spans import Span, short_answer
from bot.core.answering.vocabulary import Spelling, place_table, synonym_table
from bot.core.corpus import Passage
from bot.core.retrieval.base import Progress
from bot.core.retrieval.bm25 import Bm25Index
from bot.core.text import fold


class Hit(NamedTuple):
    """A ranked passage with its score and the index terms it matched."""

    passage: Passage
    score: float
    matched: frozenset[str]
    position: int
    answer: Span | None = None  # the short answer this passage gives, for the top hit


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
    missing: tuple[str, ...] = ()  # names or numbers the question hinges on that the corpus never mentions

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
        self.places = place_table()
        self.evidence = Evidence(self.index, self.passages, self.features, self.policy)
        # Each article's passages are numbered consecutively: (first, last + 1).
        self._spans: dict[str, tuple[int, int]] = {}
        for number, passage in enumerate(self.passages):
            first, _ = self._spans.get(passage.article_id, (number, number))
            self._spans[passage.article_id] = (first, number + 1)

    def __len__(self) -> int:
        return len(self.passages)

    def analyse(self, question: str) -> Question:
        """Return the question taken apart, publication names left out."""
        text = _without_names(question, self.publications)
        return analyse(
            text,
            synonyms=self.synonyms,
            synonym_weight=self.policy.synonym_weight,
            places=self.places,
            place_weight=self.policy.place_weight,
            names=names_in(question),
        )

    def _resolve(self, question: Question) -> tuple[list[Concept], list[Correction], list[Correction]]:
        """Return the concepts with typos fixed, the fixes made, and the looser fixes only suggested."""
        resolved, corrections, suggestions = [], [], []
        for concept in question.concepts:
            if any(term in self.index for term, _ in concept.variants):
                resolved.append(concept)
                continue
            known = zipf(concept.word) >= self.policy.known_word_zipf  # "later" is no typo of "latter"
            fixed = None if known else self.spelling.correction(concept.word)
            if fixed is not None:
                corrections.append(Correction(concept.word, fixed))
                term = self.features.surface[fixed]
                resolved.append(Concept(fixed, term, ((term, self.policy.correction_weight),)))
                continue
            loose = (
                self.spelling.correction(concept.word, max_distance=2) if len(concept.word) >= 5 and not known else None
            )
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
        if k <= 0 or not concepts:
            return SearchResult(question, (), tuple(corrections), suggestion)
        missing = self.evidence.missing(concepts)
        if missing:
            words = tuple(concept.word for concept in missing)
            return SearchResult(question, (), tuple(corrections), suggestion, missing=words)
        ranked = self._rank(concepts, parsed.want, k)
        query_terms = {term for concept in concepts for term, _ in concept.variants}
        hits = [
            Hit(
                self.passages[doc],
                float(score),
                frozenset(query_terms & passage_terms(self.passages[doc].text)),
                int(doc),
            )
            for doc, score in ranked
        ]
        if hits:
            answer = short_answer(hits[0].passage.text, parsed.want, frozenset(query_terms))
            hits[0] = hits[0]._replace(answer=answer)
        return SearchResult(question, tuple(hits), tuple(corrections), suggestion)

    def _candidates(self, concepts: Sequence[Concept], k: int) -> dict[int, float]:
        """Return the passages worth judging, with their weighted BM25 scores (0 for context-only ones)."""
        query = [(term, weight) for concept in concepts for term, weight in concept.variants if term in self.index]
        found = self.index.candidates(query, max(k, self.policy.candidates)) if query else None
        scores = {} if found is None else {int(d): float(s) for d, s in zip(found.docs, found.scores, strict=True)}
        for concept in concepts:
            for term, _ in concept.variants:
                for doc in self.features.by_context.get(term, ()):
                    scores.setdefault(doc, 0.0)
        return scores

    def _rank(self, concepts: Sequence[Concept], want: Want, k: int) -> list[tuple[int, float]]:
        """Return up to k passages that answer on their own, best first, with their ranking scores.

        The score is log BM25 (times the question-word preference) plus the passage's answerability
        weighted; a passage explaining less than `min_answerability` of the question is never quoted.
        """
        candidates = self._candidates(concepts, k)
        if not candidates:
            return []
        required = [c for c in concepts if c.required] if self.policy.require_attribute else []
        hinges = [c for c in concepts if self.evidence.is_hinge(c)]
        # Per article: the concepts' weights, and whether it mentions every hinge.
        articles = list(dict.fromkeys(self.passages[doc].article_id for doc in candidates))
        spans = [self._spans[article] for article in articles]
        judged = {
            article: (
                self.evidence.weights(concepts, span, counts),
                all(self.evidence.mentioned_in(c, span, counts) for c in hinges),
            )
            for article, span, counts in zip(articles, spans, self.evidence.counts(concepts, spans), strict=True)
        }
        floor = min((s for s in candidates.values() if s > 0), default=1.0) / 2
        ranked = []
        for doc, bm25 in candidates.items():
            weights, has_hinges = judged[self.passages[doc].article_id]
            if not has_hinges:
                continue  # the article never mentions a name or number the question stands on
            answerability = self.evidence.answerability(concepts, weights, doc)
            if answerability < self.policy.more_min_answerability:
                continue
            if not all(self.evidence.states(c, doc) for c in required):
                continue  # "what is X's address": a passage naming X without an address does not answer
            if self.policy.require_quantity and want is Want.QUANTITY and not self.features.has_one(doc, want):
                continue  # "how many": a passage stating no quantity does not answer
            score = math.log(max(bm25, floor)) + self.policy.answerability_weight * answerability
            if self.policy.paragraph_weight:
                score += self.policy.paragraph_weight * self.evidence.paragraph_share(concepts, weights, doc)
            if want is not Want.ANY and self.features.has_one(doc, want):
                score += math.log1p(self.policy.want_boost[want])
            ranked.append((doc, score, answerability >= self.policy.min_answerability))
        ranked.sort(key=lambda entry: (-entry[1], entry[0]))
        # The best passage that answers leads; the next ones may explain less (never under the floor).
        first = next((entry for entry in ranked if entry[2]), None)
        if first is None:
            return []
        rest = [(doc, score) for doc, score, _ in ranked if doc != first[0]]
        return [(first[0], first[1]), *rest[: k - 1]]


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

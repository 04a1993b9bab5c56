"""What a question's words are worth in an article, and which of them a corpus never mentions.

Each question concept weighs what it tells: how rare it is in the article (idf) blended with how
rare it is in English at large (wordfreq), so "China", "born" or "killed" weigh more than "happen",
"big" or "show". A question standing on a name or number the corpus never mentions is refused
with that reason; evidence never adds up across articles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from wordfreq import zipf_frequency

from bot.core.answering.features import PassageFeatures
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.question import Concept
from bot.core.corpus import Passage
from bot.core.lang.en import ENGLISH
from bot.core.retrieval.base import Retriever
from bot.core.text import terms, words


@lru_cache(maxsize=100_000)
def zipf(word: str) -> float:
    """Return how common a word is in English: log10 of its frequency per billion words (0 when unknown)."""
    return float(zipf_frequency(word, ENGLISH.code))


@lru_cache(maxsize=200_000)
def passage_terms(text: str) -> frozenset[str]:
    """Return the index terms of a passage's text."""
    return frozenset(terms(text))


@lru_cache(maxsize=200_000)
def passage_words(text: str) -> frozenset[str]:
    """Return the folded words of a passage's text as written (stop words included, not stemmed)."""
    return frozenset(token.term for token in words(text))


@dataclass(frozen=True)
class Evidence:
    """Judges questions against one index and its passages."""

    index: Retriever
    passages: Sequence[Passage]
    features: PassageFeatures
    policy: AnswerPolicy

    def counts(self, concepts: Sequence[Concept], spans: Sequence[tuple[int, int]]) -> list[dict[str, int]]:
        """Return, for each article (its passages `span`), how many of its passages hold each term of
        the concepts: one vectorised lookup per term for all the articles a question touches."""
        starts = np.array([start for start, _ in spans], dtype=np.int64)
        stops = np.array([stop for _, stop in spans], dtype=np.int64)
        variants = sorted({term for concept in concepts for term, _ in concept.variants})
        found = {term: self.index.document_frequencies_in(term, starts, stops).tolist() for term in variants}
        return [{term: found[term][n] for term in variants} for n in range(len(spans))]

    def standing_for(self, concept: Concept) -> list[tuple[str, float]]:
        """Return the variants that stand for a concept: itself, its synonyms and corrections, not the
        hints at it ("Ukrainian" does not mention Kyiv: a capital only hints at its country)."""
        return [(term, weight) for term, weight in concept.variants if weight >= self.policy.synonym_weight]

    def weight(self, concept: Concept, span: tuple[int, int], counts: Mapping[str, int]) -> float:
        """Return how much a concept tells about one article (its passages `span`, whose term
        `counts` come from counts()): its rarity in the article blended with its rarity in English.
        Other articles never change it."""
        start, stop = span
        ceiling = math.log(stop - start + 1) or 1.0
        held = [counts[term] for term, _ in self.standing_for(concept)]
        found = [math.log((stop - start + 1) / count) for count in held if count]
        article = max(found) / ceiling if found else 1.0
        general = 0.5 if concept.is_number else min(1.0, max(0.05, (7.0 - zipf(concept.word)) / 5.0))
        share = self.policy.corpus_share
        weight = share * min(article, 1.0) + (1 - share) * general
        if not found:  # a word the article never uses says most about what the question is not about
            weight *= self.policy.absent_weight
        return weight * (self.policy.number_strength if concept.is_number else 1.0)

    def weights(self, concepts: Sequence[Concept], span: tuple[int, int], counts: Mapping[str, int]) -> list[float]:
        """Return each concept's weight for one article, the parts of one name ("kim jong un") sharing one."""
        weights = [self.weight(concept, span, counts) for concept in concepts]
        start = 0
        while start < len(concepts):
            end = start + 1
            while end < len(concepts) and (concepts[end - 1].term, concepts[end].term) in self.features.name_pairs:
                end += 1
            if end - start > 1:
                shared = max(weights[start:end]) / (end - start)
                weights[start:end] = [shared] * (end - start)
            start = end
        return weights

    def mentioned_in(self, concept: Concept, span: tuple[int, int], counts: Mapping[str, int] | None = None) -> bool:
        """Whether the passages `span` (an article, or all) mention a concept, in words or in what a
        passage stands for (`counts` as from counts(), when known)."""
        start, stop = span
        for term, _ in self.standing_for(concept):
            if counts[term] if counts is not None else self.index.document_frequency_in(term, start, stop):
                return True
            if any(start <= doc < stop for doc in self.features.by_context.get(term, ())):
                return True
        return False

    def is_hinge(self, concept: Concept) -> bool:
        """Whether a question stands on a concept: a name, a number, or a word rare in English."""
        policy = self.policy
        if concept.typo:
            return False  # a misspelling is not a name the corpus fails to mention
        if concept.is_number:
            return policy.number_hinges
        return (policy.name_hinges and concept.is_name) or zipf(concept.word) < policy.rare_zipf

    def missing(self, concepts: Sequence[Concept]) -> list[Concept]:
        """Return the names, numbers and rare words a question hinges on that the corpus never mentions."""
        everything = (0, len(self.passages))
        return [c for c in concepts if self.is_hinge(c) and not self.mentioned_in(c, everything)]

    def states(self, concept: Concept, doc: int) -> bool:
        """Whether a passage states the very word a question asks about, not merely its stem.

        "What is the Federation Council's address?" is not answered by "Rudenko addressed
        lawmakers": the stem matches, the word does not. The word itself, its plural or singular,
        a synonym or correction, or what the passage stands for count; a hint does not.
        """
        word = concept.word
        forms = {word, f"{word}s", f"{word}es", word[:-1] if word.endswith("s") else word}
        if word.endswith("y"):
            forms.add(f"{word[:-1]}ies")
        if any(form in forms for form in passage_words(self.passages[doc].text)):
            return True
        own = passage_terms(self.passages[doc].text)
        context = self.features.context.get(doc, frozenset())
        standing = self.standing_for(concept)
        return any(term in context for term, _ in standing) or any(
            term in own for term, _ in standing if term != concept.term
        )

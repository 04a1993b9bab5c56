"""Whether the corpus speaks to a question at all: enough of its concepts found, not a lone number."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.answering.features import PassageFeatures
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.question import Concept, Question
from bot.core.retrieval.bm25 import Bm25Index


@dataclass(frozen=True)
class Evidence:
    """Judges questions against one index and its passage features."""

    index: Bm25Index
    features: PassageFeatures
    policy: AnswerPolicy

    def strength(self, concept: Concept) -> float:
        """Return how much a concept counts as evidence: its own word 1, only a synonym less, absent 0."""
        weights = [weight for term, weight in concept.variants if term in self.index]
        if not weights:
            return 0.0
        return max(weights) * (self.policy.number_strength if concept.is_number else 1.0)

    def groups(self, concepts: Sequence[Concept]) -> list[list[Concept]]:
        """Return the concepts with adjacent parts of one name ("kim jong un") grouped as one."""
        groups: list[list[Concept]] = []
        for concept in concepts:
            if groups and (groups[-1][-1].term, concept.term) in self.features.name_pairs:
                groups[-1].append(concept)
            else:
                groups.append([concept])
        return groups

    def is_rare_word(self, group: Sequence[Concept]) -> bool:
        """Whether every word of a group stands verbatim in the corpus, in only a handful of passages."""
        ceiling = math.log(len(self.index) + 1)
        for concept in group:
            if concept.word not in self.features.surface or concept.term not in self.index:
                return False
            if self.index.idf_of(concept.term) < self.policy.rare_idf_share * ceiling:
                return False
        return True

    def answers(self, question: Question, concepts: Sequence[Concept]) -> bool:
        """Whether the corpus speaks to the question: more than half its concepts found, not a lone number.

        A name of several words counts once, so "how old is Kim Jong Un" is one concept found of two.
        One of two is enough when the found one is a rare corpus word and the question does not
        ask for an attribute the corpus lacks ("who met Kim Jong Un", not "how old is Kim Jong Un").
        """
        groups = self.groups(concepts)
        strengths = [min(self.strength(concept) for concept in group) for group in groups]
        found = [(s, group) for s, group in zip(strengths, groups, strict=True) if s > 0]
        if not any(not group[0].is_number for _, group in found):
            return False
        coverage = sum(strengths) / len(groups)
        if coverage > self.policy.min_coverage:
            return True
        return (
            len(groups) == 2
            and len(found) == 1
            and found[0][0] == 1.0
            and not any(group[0].is_number for group in groups)
            and not question.asks_attribute
            and self.is_rare_word(found[0][1])
        )

"""What answering measures of each candidate passage: one row of numbers per passage, named.

Every row is computed the same way for every question and corpus; what the numbers are worth is
not decided here but by the fitted model (model.py). A question word counts by how informative it
is (Evidence.weights) and is explained by a passage word with the same stem (fully), by a word of
similar meaning (by the words' cosine, from the shipped word vectors), or by what the passage
stands for without saying it (a caption for "photo", "he" for the person named before).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.core.answering.features import PassageFeatures
from bot.core.answering.meaning import Vectors, Vocabulary, embed
from bot.core.answering.question import Concept, Want
from bot.core.answering.spans import answer_spans
from bot.core.corpus import Passage
from bot.core.text import terms

# The measures of one candidate passage, in row order; each also counts as its gap to the best
# candidate of the same question (name_gap), so a measure weighs by how it compares there.
_OWN_SIGNALS = (
    "bm25_share",  # its BM25 score over the best candidate's
    "bm25_log",  # log(1 + its BM25 score)
    "rank_log",  # log(1 + its place in BM25 order)
    "exact",  # share of the question's information it holds by the same stems
    "soft",  # the same, a word of similar meaning counting by its cosine
    "strong",  # share explained by a word at least STRONG similar
    "paragraph",  # soft share explained anywhere in its paragraph
    "unexplained",  # the weight of the most informative word it does not explain (0..1)
    "bigrams",  # share of the question's adjacent word pairs it holds in the same order
    "want_found",  # the question wants a kind of answer (how many, when, who, where) and it holds one
    "want_missing",  # the question wants a kind of answer and it holds none
    "length_log",  # log of its number of content words
    "floored",  # soft share counting only similarity above FLOOR, rescaled to 0..1
    "soft_sum",  # the weights of the words it explains, summed (not a share: longer questions weigh more)
    "dense",  # the cosine of its sentence vector with the question's (dense.py: meaning of the whole)
)
PASSAGE_SIGNALS = _OWN_SIGNALS + tuple(f"{name}_gap" for name in _OWN_SIGNALS)
# What the best passage and its article say about the question as a whole, for abstaining.
QUESTION_SIGNALS = (
    "top_score",  # the ranking model's score of the best passage
    "margin",  # its lead over the second
    "top_soft",
    "top_exact",
    "top_unexplained",
    "top_paragraph",
    "top_want_missing",
    "article_unexplained",  # the weight of the most informative word the whole article does not explain
    "article_soft",  # soft share of the question the whole article explains
    "concepts_log",  # log of the number of question words
    "missing_name",  # the corpus never mentions a name the question stands on (a capitalised word)
    "missing_number",  # ... a number
    "missing_word",  # ... a word rare in English
    "top_dense",  # the best passage's cosine with the question in meaning
    "dense_best",  # the highest such cosine among the candidates
)
STRONG = 0.5
FLOOR = 0.35


def concept_vectors(concepts: Sequence[Concept], vocabulary: Vocabulary) -> Vectors:
    """Return one unit vector per concept (its word as written): the corpus's own when it has the word."""
    known = [vocabulary.ids.get(concept.word) for concept in concepts]
    fresh = iter(embed([concept.word for concept, number in zip(concepts, known, strict=True) if number is None]))
    found = [vocabulary.vectors[number] if number is not None else next(fresh) for number in known]
    return np.stack(found).astype(np.float32) if found else np.zeros((0, vocabulary.vectors.shape[1]), np.float32)


class Signals:
    """Computes signal rows over one corpus's passages, features and vocabulary."""

    def __init__(
        self,
        passages: Sequence[Passage],
        features: PassageFeatures,
        vocabulary: Vocabulary,
        *,
        context_weight: float,
    ) -> None:
        self.passages = passages
        self.features = features
        self.vocabulary = vocabulary
        self.context_weight = context_weight
        self._term_ids: dict[str, int] = {}
        word_term_ids = [self._term_ids.setdefault(term, len(self._term_ids)) for term in features.word_terms]
        self.word_term_ids = np.asarray(word_term_ids, dtype=np.int64)
        # An article's distinct words, for the articles questions touched lately (each question asks
        # for ~100 candidates' articles; a popular story's comes up again and again).
        self._article_words = functools.lru_cache(maxsize=4096)(self._distinct_words)

    def _distinct_words(self, start: int, stop: int) -> npt.NDArray[np.int64]:
        features = self.features
        words = np.unique(features.word_ids[features.word_starts[start] : features.word_starts[stop]]).astype(np.int64)
        words.flags.writeable = False  # shared by every later call for this article
        return words

    def _word_scores(
        self, concepts: Sequence[Concept], vectors: Vectors, ids: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Return how well each vocabulary word `ids` (columns) explains each concept (rows): its
        variant's weight for a word of the same stem, else the words' cosine (never below 0)."""
        cosine = np.clip(self.vocabulary.similarity(vectors, ids), 0.0, 1.0).astype(np.float64)
        unique_terms = self.word_term_ids[ids]
        for number, concept in enumerate(concepts):
            for term, weight in concept.variants:
                term_id = self._term_ids.get(term)
                if term_id is not None:
                    same = unique_terms == term_id
                    cosine[number, same] = np.maximum(cosine[number, same], weight)
        return cosine

    def _stood_for(self, concepts: Sequence[Concept], doc: int) -> list[int]:
        """Return the concepts a passage stands for without saying them (a caption for "photo")."""
        context = self.features.context.get(doc)
        if not context:
            return []
        return [n for n, concept in enumerate(concepts) if any(term in context for term, _ in concept.variants)]

    def explained(
        self, concepts: Sequence[Concept], vectors: Vectors, docs: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Return how well each passage (rows) explains each concept (columns), from 0 to 1."""
        features = self.features
        result = np.zeros((len(docs), len(concepts)), dtype=np.float64)
        if not len(docs) or not concepts:
            return result
        lengths = features.word_starts[docs + 1] - features.word_starts[docs]
        ids = np.concatenate([features.words_of(int(doc)) for doc in docs]).astype(np.int64)
        if len(ids):
            unique, columns = np.unique(ids, return_inverse=True)
            per_word = self._word_scores(concepts, vectors, unique)[
                :, columns
            ]  # concepts x every word of every passage
            filled = lengths > 0
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            if filled.any():
                result[filled] = np.maximum.reduceat(per_word, starts[filled], axis=1).T
        for row, doc in enumerate(docs.tolist()):
            for number in self._stood_for(concepts, doc):
                result[row, number] = max(result[row, number], self.context_weight)
        return result

    def measure(
        self,
        concepts: Sequence[Concept],
        weights: npt.NDArray[np.float64],
        vectors: Vectors,
        want: Want,
        docs: npt.NDArray[np.int64],
        bm25: npt.NDArray[np.float64],
        dense: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Return the PASSAGE_SIGNALS rows of candidate passages `docs`, given their BM25 scores, their
        cosines with the question in meaning, and each concept's weight in each candidate's article
        (`weights`, candidates x concepts); and how well each candidate explains each concept
        (`explained`, candidates x concepts), which the rows are made of."""
        share = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        peak = weights / np.maximum(weights.max(axis=1, keepdims=True), 1e-12)
        own, paragraph = self._own_and_paragraph(concepts, vectors, docs)
        exact = self._exact(concepts, docs)
        question_terms = frozenset(term for concept in concepts for term, _ in concept.variants)
        pairs = [(a.term, b.term) for a, b in itertools.pairwise(concepts)]
        order = np.argsort(-bm25, kind="stable")
        rank = np.empty(len(docs), dtype=np.float64)
        rank[order] = np.arange(len(docs))
        best = float(bm25.max()) if len(bm25) else 0.0
        rows = np.zeros((len(docs), len(PASSAGE_SIGNALS)), dtype=np.float64)
        own_count = len(_OWN_SIGNALS)
        rows[:, 0] = bm25 / best if best > 0 else 0.0
        rows[:, 1] = np.log1p(np.maximum(bm25, 0.0))
        rows[:, 2] = np.log1p(rank)
        rows[:, 3] = (exact * share).sum(axis=1)
        rows[:, 4] = (own * share).sum(axis=1)
        rows[:, 5] = ((own >= STRONG) * share).sum(axis=1)
        rows[:, 6] = (paragraph * share).sum(axis=1)
        rows[:, 7] = ((1.0 - own) * peak).max(axis=1) if len(concepts) else 0.0
        for row, doc in enumerate(docs.tolist()):
            text = self.passages[doc].text
            sequence = terms(text)
            if pairs:
                held = set(itertools.pairwise(sequence))
                rows[row, 8] = sum(pair in held for pair in pairs) / len(pairs)
            if want is not Want.ANY:
                found = bool(answer_spans(text, want, question_terms)) or (
                    want in (Want.DURATION, Want.PLACE) and self.features.has_one(doc, want)
                )
                rows[row, 9 if found else 10] = 1.0
            rows[row, 11] = math.log1p(len(sequence))
        rows[:, 12] = (np.clip((own - FLOOR) / (1.0 - FLOOR), 0.0, 1.0) * share).sum(axis=1)
        rows[:, 13] = (own * weights).sum(axis=1)
        rows[:, 14] = dense
        rows[:, own_count:] = rows[:, :own_count] - rows[:, :own_count].max(axis=0)
        return rows, own

    def by_meaning(self, concept: Concept, vector: Vectors, docs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Return, per passage, the best similarity of the concept to a passage word of another stem."""
        result = np.zeros(len(docs), dtype=np.float64)
        own = self._term_ids.get(concept.term, -1)
        for row, doc in enumerate(docs.tolist()):
            ids = self.features.words_of(doc).astype(np.int64)
            ids = ids[self.word_term_ids[ids] != own]
            if len(ids):
                result[row] = float(self.vocabulary.similarity(vector[None, :], ids).max())
        return result

    def _exact(self, concepts: Sequence[Concept], docs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Return which passages hold each concept by one of its own index terms (weighted by the variant)."""
        result = np.zeros((len(docs), len(concepts)), dtype=np.float64)
        wanted = [
            [(tid, weight) for term, weight in concept.variants if (tid := self._term_ids.get(term)) is not None]
            for concept in concepts
        ]
        for row, doc in enumerate(docs.tolist()):
            held = set(self.word_term_ids[self.features.words_of(doc)].tolist())
            for number, variants in enumerate(wanted):
                result[row, number] = max((weight for tid, weight in variants if tid in held), default=0.0)
        return result

    def _own_and_paragraph(
        self, concepts: Sequence[Concept], vectors: Vectors, docs: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Return how well each passage, and how well its whole paragraph, explains each concept:
        every passage of the candidates' paragraphs (the candidates among them) is measured once."""
        spans = self.features.paragraphs[docs]
        around = np.unique(np.concatenate([np.arange(start, stop) for start, stop in spans.tolist()]))
        explained = self.explained(concepts, vectors, around)
        own = explained[np.searchsorted(around, docs)]
        firsts = np.searchsorted(around, spans[:, 0])  # a paragraph's passages are contiguous in `around`
        paragraph = (
            np.stack(
                [
                    explained[first : first + stop - start].max(axis=0)
                    for first, (start, stop) in zip(firsts, spans.tolist(), strict=True)
                ]
            )
            if len(docs)
            else own.copy()
        )
        return own, paragraph

    def article_explained(
        self, concepts: Sequence[Concept], vectors: Vectors, span: tuple[int, int]
    ) -> npt.NDArray[np.float64]:
        """Return how well any passage of an article (passages `span`) explains each concept."""
        start, stop = span
        ids = self._article_words(start, stop)
        if not len(ids) or not concepts:
            return np.zeros(len(concepts), dtype=np.float64)
        best = self._word_scores(concepts, vectors, ids).max(axis=1)
        for doc in range(start, stop):
            for number in self._stood_for(concepts, doc):
                best[number] = max(best[number], self.context_weight)
        return best


def question_row(
    rows: npt.NDArray[np.float64],
    scores: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    article_explained: npt.NDArray[np.float64],
    *,
    missing: Sequence[Concept] = (),
) -> npt.NDArray[np.float64]:
    """Return the QUESTION_SIGNALS of a question from its candidates' rows and ranking scores, given
    the concepts' weights and how well the article explains each, both for the best candidate's article."""
    order = np.argsort(-scores, kind="stable")
    top = rows[order[0]]
    # The lead over the second candidate that may answer (or a wide one when it stands alone).
    second = (
        float(scores[order[1]]) if len(order) > 1 and np.isfinite(scores[order[1]]) else float(scores[order[0]]) - 5.0
    )
    total = float(weights.sum()) or 1.0
    peak = weights / (float(weights.max()) or 1.0) if len(weights) else weights
    names = PASSAGE_SIGNALS.index
    return np.array(
        [
            float(scores[order[0]]),
            float(scores[order[0]]) - second,
            top[names("soft")],
            top[names("exact")],
            top[names("unexplained")],
            top[names("paragraph")],
            top[names("want_missing")],
            float(((1.0 - article_explained) * peak).max()) if len(weights) else 0.0,
            float(article_explained @ (weights / total)),
            math.log(max(len(weights), 1)),
            float(any(concept.is_name for concept in missing)),
            float(any(concept.is_number for concept in missing)),
            float(any(not concept.is_name and not concept.is_number for concept in missing)),
            top[names("dense")],
            float(rows[:, names("dense")].max()),
        ]
    )

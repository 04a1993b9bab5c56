"""Questions in the language of articles that are not English ("Сколько стоила линия?" on a Russian
article): BM25 over the article's own terms and the dense stage together.

The answering pipeline's fitted parts (question analysis, signals, the answer model) read English;
nothing fitted on English applies here. A question's terms are made by its language's tokenizer
(stemmer, stop words, numbers as that language writes them: "10 тысяч" is 10000), the same one the
kernel indexed the article's passages with. Candidates are the kernel's BM25 top and the passages
nearest the whole question in meaning (multilingual e5), each scored by its cosine plus BM25_WEIGHT
times its BM25 score over the best one's. A number or a name the question writes (a capital not
opening it) that no passage of these articles holds means they cannot answer: nothing is quoted.
The best passage is given as the answer only when it holds every term of the question; otherwise the
closest passages are quoted, saying which question words they never state; below COVERAGE_FLOOR of
the question's information (idf) in the best passage and a cosine under MEANING_FLOOR, nothing is.
The weights and floors were set on the Russian article's dev questions (tests/russian/tram_dev.jsonl).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from anyascii import anyascii

from bot.core.answering.dense import EMBEDDER
from bot.core.answering.language import opens_sentence
from bot.core.answering.results import Hit, SearchResult, Tier
from bot.core.text import fold, tokenizer_for

if TYPE_CHECKING:
    from bot.core.answering.search import Answerer

BM25_WEIGHT = 0.1
COVERAGE_FLOOR = 0.5
MEANING_FLOOR = 0.83
UNEXPLAINED_SHOWN = 3

_WORD = re.compile(r"[^\W_]+(?:[.,:][\d]+)*")


def _hinges(question: str, language: str) -> list[tuple[str, str]]:
    """Return (word as asked, index term) of the numbers and names the question writes: numbers as the
    language writes them ("10 000", "десять тысяч"), names by a capital not opening the question or a
    sentence."""
    tokenizer = tokenizer_for(language)
    found = [(term, term) for term in tokenizer.terms(question) if term[0].isdigit()]
    for match in _WORD.finditer(question):
        word = match.group()
        if word[0].isupper() and not opens_sentence(question, match.start()):
            found += [(word, term) for term in tokenizer.terms(word)]
    return found


def answer_native(answerer: Answerer, question: str, language: str, k: int = 3) -> SearchResult:
    """Return the passages of the articles in the question's language that answer it, best first."""
    if len(question) > answerer.policy.max_question:
        return answerer._too_long(question)
    if k <= 0:
        return SearchResult(question, ())
    index, tokenizer = answerer.index, tokenizer_for(language)
    own = answerer.language_docs(language)
    asked = list(dict.fromkeys(tokenizer.terms(question)))
    missing = tuple(word for word, term in _hinges(question, language) if not own[index.holding(term)].any())
    if missing:
        return SearchResult(question, (), missing=tuple(dict.fromkeys(missing)))
    query = [(term, 1.0) for term in asked if term in index]
    meaning = EMBEDDER.query(question)
    bm25: dict[int, float] = {}
    if query:
        found = answerer._best(query, answerer.policy.candidates)
        bm25 = {int(doc): float(score) for doc, score in zip(found.docs, found.scores, strict=True) if own[doc]}
    nearest = answerer._nearest(meaning, answerer.policy.dense_candidates, None if own.all() else own).tolist()
    docs = np.array(sorted(set(bm25) | set(nearest)), dtype=np.int64)
    if not len(docs):
        return SearchResult(question, ())
    docs = docs[answerer._by_article(docs)]
    best_bm25 = max(bm25.values(), default=0.0) or 1.0
    lexical = np.array([bm25.get(doc, 0.0) / best_bm25 for doc in docs.tolist()], dtype=np.float64)
    cosine = answerer.vectors.cosine(meaning, docs)
    scores = cosine + BM25_WEIGHT * lexical
    order = np.argsort(-scores, kind="stable")[:k]
    top = [int(docs[n]) for n in order.tolist()]
    held = [set(tokenizer.terms(answerer.passages[doc].text)) for doc in top]
    size = len(answerer.passages) + 1
    weight = {term: math.log(size / max(len(index.holding(term)), 1)) for term in asked}
    total = sum(weight.values())
    coverage = sum(weight[term] for term in asked if term in held[0]) / total if total else 0.0
    if coverage < COVERAGE_FLOOR and float(cosine[order[0]]) < MEANING_FLOOR:
        return SearchResult(question, (), unexplained=_unexplained(question, tokenizer.terms, held))
    hits = tuple(
        Hit(answerer.passages[doc], round(float(scores[n]), 4), frozenset(), doc)
        for n, doc in zip(order.tolist(), top, strict=True)
    )
    if asked and all(term in held[0] for term in asked):  # a question of stop words alone is never claimed
        return SearchResult(question, hits, tier=Tier.ANSWER)
    unexplained = _unexplained(question, tokenizer.terms, held)
    return SearchResult(question, hits, tier=Tier.CLOSEST, unexplained=unexplained)


def _unexplained(question: str, terms_of: Callable[[str], list[str]], held: list[set[str]]) -> tuple[str, ...]:
    """Return the question's words (as asked, at most UNEXPLAINED_SHOWN) none of the passages holds."""
    everywhere: set[str] = set().union(*held)
    words = [
        match.group()
        for match in _WORD.finditer(question)
        if (found := terms_of(match.group())) and not everywhere.intersection(found)
    ]
    return tuple(dict.fromkeys(fold(word) for word in words))[:UNEXPLAINED_SHOWN]


# A Latin word is taken for a term of an article in another script when the term, transliterated, is
# the word's first letters, at least NAME_STEM long, and at most NAME_ENDING letters are left over
# ("lebedev" for лебед, "sokolova" for соколов).
NAME_STEM = 4
NAME_ENDING = 2


def written_as(answerer: Answerer, word: str) -> list[str]:
    """Return the index term of the articles not in English that a folded Latin word is written as in
    their script ("lebedev": лебед), none when there is none (or no such article)."""
    if not answerer.other_languages or not word.isascii() or not word.isalpha():
        return []
    latin = _latin_terms(answerer)
    for end in range(len(word), max(len(word) - NAME_ENDING, NAME_STEM) - 1, -1):
        if (term := latin.get(word[:end])) is not None:
            return [term]
    return []


def _latin_terms(answerer: Answerer) -> dict[str, str]:
    """Return the terms of the articles not in English by their transliteration (made once)."""
    found = answerer.latin_terms
    if found is None:
        found = {}
        for language in sorted(answerer.other_languages):
            tokenizer = tokenizer_for(language)
            for doc in np.flatnonzero(answerer.language_docs(language)).tolist():
                for term in tokenizer.terms(answerer.passages[doc].text):
                    if not term[0].isdigit() and not term.isascii():
                        found.setdefault(fold(anyascii(term)), term)
        answerer.latin_terms = found
    return found

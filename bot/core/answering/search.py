"""Answering as a pipeline: analyse the question -> candidates from the kernel -> signals -> score ->
decide -> short answer. Each stage is one module, visited once per question:

- question.py and vocabulary.py: what the question asks, its words, typos fixed;
- evidence.py: how informative each word is, and the names and numbers the corpus never mentions;
- the kernel (retrieval/bm25.py): candidates by exact BM25 over the question's words and the corpus
  words nearest them in meaning (meaning.py);
- signals.py: one row of measures per candidate;
- dense.py: the passages nearest the whole question in meaning, and each candidate's cosine;
- model.py: the fitted ranking score and the probability that the best passage answers;
- tiers.py: the tier, decided there alone (the answer, the closest passages saying what the article
  does not state, or a refusal);
- spans.py: the short answer of the kind the question wants, shown only in the answer tier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core.answering.across import answer_across
from bot.core.answering.dense import EMBEDDER, PassageVectors
from bot.core.answering.evidence import Evidence, passage_terms, zipf
from bot.core.answering.features import PassageFeatures
from bot.core.answering.language import is_foreign, language_of
from bot.core.answering.meaning import Vocabulary
from bot.core.answering.model import AnswerModel
from bot.core.answering.native import answer_native
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.question import Concept, Question, Want, analyse, names_in
from bot.core.answering.results import Correction, Examined, Hit, SearchResult, Tier
from bot.core.answering.signals import PASSAGE_SIGNALS, STRONG, Signals, concept_vectors
from bot.core.answering.spans import short_answer
from bot.core.answering.tiers import Decider, Decision, question_terms
from bot.core.answering.vocabulary import Spelling, country_name_terms, is_common_typo, place_table, synonym_table
from bot.core.corpus import Passage, PassageTable
from bot.core.lang import language, script_of_text
from bot.core.retrieval.base import Candidates, Retriever
from bot.core.said import N_, Text
from bot.core.text import fold

# In an archive of articles in several languages, a question is about those in another language than
# its own when the passage nearest it in meaning there is at most this much less near than the nearest
# in its own language's. Set on the dev questions of both articles (tests/eval_russian_dev.jsonl,
# tests/russian/tram_dev.jsonl): the English article's Russian questions are at -0.046 or above, the
# Russian article's at -0.097 or below; the margin is halfway.
CROSS_MARGIN = 0.07
# An English question the English articles do not answer is about an article in another language when
# the passage nearest it there is this much nearer than the nearest English one: English questions
# near nothing ("hello", "what is the price of oil") are near every passage (up to -0.003 on the
# project's English sets), the Russian article's English dev questions +0.018 and above.
ENGLISH_ELSEWHERE = 0.01

# At most this many unexplained words are named in the "closest" tier's heading.
UNEXPLAINED_SHOWN = 3

# How the "closest" tier names what a question asks for ("The article doesn't say how many: ...").
ASKED = {Want.QUANTITY: "how many", Want.DATE: "when", Want.DURATION: "how long", Want.NAME: "who", Want.PLACE: "where"}

# The answer kinds a passage must hold to answer (a duration or a plain question may be answered in words).
STRICT_WANTS = (Want.QUANTITY,)


def _unsearched(
    question: Question,
    concepts: Sequence[Concept],
    corrections: Sequence[Correction],
    suggestions: Sequence[Correction],
    unmentioned: Sequence[Concept],
) -> Examined:
    """Return a question examined without candidates (nothing to search for, or refused before)."""
    nothing = np.zeros((0, 0))
    return Examined(
        question,
        tuple(concepts),
        tuple(corrections),
        tuple(suggestions),
        tuple(unmentioned),
        np.zeros(0, dtype=np.int64),
        nothing,
        nothing,
        nothing,
        np.zeros(0, dtype=bool),
    )


class AnswerParts(Protocol):
    """What an answerer reads: an index's parts (bot.core.serving.Index holds and persists them)."""

    @property
    def passages(self) -> Sequence[Passage]: ...
    @property
    def retriever(self) -> Retriever: ...
    @property
    def features(self) -> PassageFeatures: ...
    @property
    def vocabulary(self) -> Vocabulary: ...
    @property
    def vectors(self) -> PassageVectors: ...
    @property
    def spelling(self) -> Spelling: ...
    @property
    def spans(self) -> Mapping[str, tuple[int, int]]: ...  # each article's passages: (first, last + 1)
    @property
    def publications(self) -> tuple[str, ...]: ...  # folded publication names a question may mention


def _ranks(ids: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """Return each id's place among the distinct ids sorted (equal ids, equal places)."""
    return np.unique(ids, return_inverse=True)[1].astype(np.int64).reshape(-1)


class Answerer:
    """Answers questions: the kernel's candidates measured, ranked and judged by the fitted model."""

    def __init__(
        self, parts: AnswerParts, *, policy: AnswerPolicy | None = None, model: AnswerModel | None = None
    ) -> None:
        """Answer over an index's parts; nothing per passage is computed here (the index built it)."""
        self.passages = parts.passages
        self.vectors = parts.vectors
        self.policy = policy or AnswerPolicy()
        self.model = model or AnswerModel.load()
        self.index = parts.retriever
        self.publications = parts.publications
        self.features = parts.features
        self.vocabulary = parts.vocabulary
        self.signals = Signals(self.passages, self.features, self.vocabulary, context_weight=self.policy.context_weight)
        self.spelling = parts.spelling
        self.synonyms = synonym_table() if self.policy.synonym_weight > 0 else {}
        self.places = place_table() if self.policy.place_weight > 0 else {}
        self.countries = country_name_terms()
        self.evidence = Evidence(self.index, self.passages, self.features, self.policy)
        self._spans = parts.spans
        # Each article's language; the languages other than English that articles are written in.
        if isinstance(self.passages, PassageTable):
            self.languages = {article.id: article.language for article in self.passages.articles}
        else:
            self.languages = {
                self.passages[first].article_id: self.passages[first].language
                for first, _ in self._spans.values()
                if first < len(self.passages)
            }
        self.other_languages = frozenset(self.languages.values()) - {"en"}
        self._language_docs: dict[str, npt.NDArray[np.bool_]] = {}
        self.latin_terms: dict[str, str] | None = None  # native.written_as: made on the first question needing it
        self._rank: npt.NDArray[np.int64] | None = None  # _article_rank: made on the first ranking

    def __len__(self) -> int:
        return len(self.passages)

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the sentence model, the compiled
        kernel, faiss's copy of the passage vectors."""
        EMBEDDER.warm_up()
        self.index.warm_up()
        self.vectors.warm_up()

    def article_numbers(self, article_id: str) -> range:
        """Return the passage numbers of an article (none for one not served)."""
        start, stop = self._spans.get(article_id, (0, 0))
        return range(start, stop)

    def hit(self, number: int) -> Hit:
        """Return a passage as a hit quoted for what it is, not for a question (summary, more)."""
        return Hit(self.passages[number], 0.0, frozenset(), number)

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
            countries=self.countries,
        )

    def _resolve(self, question: Question) -> tuple[list[Concept], list[Correction], list[Correction]]:
        """Return the concepts with typos fixed, the fixes made, and the looser fixes only suggested.

        A word with a suggested fix is taken for a typo, never for a name the corpus does not mention.
        """
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
                concept = Concept(concept.word, concept.term, concept.variants, is_name=False, typo=True)
            elif not known and not concept.is_name and is_common_typo(concept.word):
                # "mnay" is "many" mistyped, not a name the corpus never mentions: it is left to the model.
                concept = Concept(concept.word, concept.term, concept.variants, is_name=False, typo=True)
            resolved.append(concept)
        return resolved, corrections, suggestions

    def examine(self, question: str) -> Examined | None:
        """Return the question's candidates and their signals, or None when it is not searched at all."""
        if len(question) > self.policy.max_question:
            return None
        parsed = self.analyse(question)
        concepts, corrections, suggestions = self._resolve(parsed)
        unmentioned = self.evidence.missing(concepts) if concepts else []
        refused = self.policy.refuse_unmentioned and any(c.is_name or c.is_number for c in unmentioned)
        if not concepts or refused:  # "Did China sign it?": the corpus never mentions China
            return _unsearched(parsed, concepts, corrections, suggestions, unmentioned)
        vectors = concept_vectors(concepts, self.vocabulary)
        meaning = EMBEDDER.query(question)
        docs, bm25 = self._candidates(concepts, vectors, meaning)
        if not len(docs):
            return _unsearched(parsed, concepts, corrections, suggestions, unmentioned)
        articles = [self.passages[doc].article_id for doc in docs.tolist()]
        known = list(dict.fromkeys(articles))
        spans = [self._spans[article] for article in known]
        counts = self.evidence.counts(concepts, spans)
        per_article = {
            article: (
                np.asarray(self.evidence.weights(concepts, span, count), dtype=np.float64),
                self.signals.article_explained(concepts, vectors, span),
            )
            for article, span, count in zip(known, spans, counts, strict=True)
        }
        # Evidence never adds up across articles: one that never mentions a name or number the
        # question stands on cannot answer it, whatever another article says.
        hinges = [c for c in concepts if self.evidence.is_hinge(c) and (c.is_name or c.is_number)]
        mentions = {
            article: all(self.evidence.mentioned_in(c, span, count) for c in hinges)
            for article, span, count in zip(known, spans, counts, strict=True)
        }
        weights = np.stack([per_article[article][0] for article in articles])
        explained = np.stack([per_article[article][1] for article in articles])
        rows, own = self.signals.measure(
            concepts, weights, vectors, parsed.want, docs, bm25, self._dense(meaning, docs)
        )
        eligible = self._eligible(concepts, vectors, parsed.want, docs, rows, own)
        eligible &= np.array([mentions[article] for article in articles], dtype=bool)
        return Examined(
            parsed,
            tuple(concepts),
            tuple(corrections),
            tuple(suggestions),
            tuple(unmentioned),
            docs,
            rows,
            weights,
            explained,
            eligible,
        )

    def _dense(self, meaning: npt.NDArray[np.float32], docs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Return each candidate's cosine with the question in meaning; a passage not embedded yet
        (an archive still being embedded) gets the value the fitted ranking expects on average, so
        that the signal adds nothing either way: it is ranked by its words alone."""
        found = self.vectors.cosine(meaning, docs)
        unknown = np.isnan(found)
        if unknown.any():
            found[unknown] = self.model.rank.mean[PASSAGE_SIGNALS.index("dense")]
        return found

    def _eligible(
        self,
        concepts: Sequence[Concept],
        vectors: npt.NDArray[np.float32],
        want: Want,
        docs: npt.NDArray[np.int64],
        rows: npt.NDArray[np.float64],
        explained: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.bool_]:
        """Return which candidates may answer at all, given their signal rows and how well each
        explains each concept (Signals.measure).

        A question wanting a kind of answer (how many, when, who, where) needs a passage holding
        one that the question does not already name; one asking for an attribute ("X's address",
        "how old is X") a passage stating that attribute by its word or a word of the same meaning
        ("soldiers" for "infantrymen"), never merely by its stem ("addressed" is no address).
        """
        # Evidence of its own: a question word it holds by its stem, or a word as near one in meaning
        # as the kernel is asked for (or what it stands for, a caption for "photo"). The passages
        # nearest the whole question in meaning are candidates whatever their words: their meaning
        # is a signal, never evidence alone ("newsletter" is 0.53 near "news": no evidence).
        eligible = (rows[:, PASSAGE_SIGNALS.index("exact")] > 0) | (explained >= self.policy.meaning_floor).any(axis=1)
        if self.policy.require_answer_kind and want in STRICT_WANTS:
            eligible &= rows[:, PASSAGE_SIGNALS.index("want_found")] > 0
        for concept, vector in zip(concepts, vectors, strict=True):
            if concept.required and self.policy.require_attribute:
                stated = np.array([self.evidence.states(concept, int(doc)) for doc in docs.tolist()], dtype=bool)
                near = self.signals.by_meaning(concept, vector, docs) >= self.policy.meaning_floor
                eligible &= stated | near
        return eligible

    def _candidates(
        self, concepts: Sequence[Concept], vectors: npt.NDArray[np.float32], meaning: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Return the passages worth measuring and their weighted BM25 scores.

        The kernel is asked for the question's own terms and, at a lower weight, the corpus words
        nearest each question word in meaning ("soldiers" finds "troops"); the passages nearest the
        whole question in meaning (`meaning`, its sentence vector) and those that stand for a question
        word without saying it (a caption for "photo") join with score 0 when BM25 did not find them.
        """
        policy = self.policy
        query: dict[str, float] = {}
        for concept, vector in zip(concepts, vectors, strict=True):
            for term, weight in concept.variants:
                if term in self.index:
                    query[term] = max(query.get(term, 0.0), weight)
            near = self.vocabulary.neighbours(vector, floor=policy.meaning_floor, most=policy.meaning_neighbours)
            for word, similarity in near:
                term = self.features.word_terms[self.vocabulary.ids[word]]
                if term != concept.term and term in self.index:
                    query[term] = max(query.get(term, 0.0), policy.meaning_weight * similarity)
        found = self._best(list(query.items()), policy.candidates) if query else None
        scores = {} if found is None else {int(d): float(s) for d, s in zip(found.docs, found.scores, strict=True)}
        for doc in self._nearest(meaning, policy.dense_candidates).tolist():
            scores.setdefault(doc, 0.0)
        for concept in concepts:
            for term, _ in concept.variants:
                for doc in self.features.by_context.get(term, ()):
                    scores.setdefault(doc, 0.0)
        docs = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
        order = self._by_article(docs)
        return docs[order], np.fromiter(scores.values(), dtype=np.float64, count=len(scores))[order]

    def _by_article(self, docs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Return the order of passages `docs` by article id, then by place in the article.

        Whatever ties (equal BM25 scores, equal ranking scores: a sentence many articles share)
        goes by this order, never by passage number. The numbers are how the engine came to be: an
        update numbers an article changed or added after all the others, a start updating a
        snapshot in another order, a build by file name. The ids are the corpus's own, so the same
        passages win ties in all of them, and the candidates, their ranks and signals, and the
        hits are a full build's (whose numbers follow the ids but where one id begins another).
        """
        return np.lexsort((docs, self._article_rank()[docs])).astype(np.int64)

    def _article_rank(self) -> npt.NDArray[np.int64]:
        """Return each passage's article's place among the articles sorted by id (made once): sorting
        by it is sorting by id, without a Python string per passage (a name held by 100,000 passages
        of a big archive took 50 ms a question to order)."""
        if self._rank is None:
            passages = self.passages
            if isinstance(passages, PassageTable):  # no Passage made (and its text cut) for its article's id
                ids = np.array([article.id for article in passages.articles], dtype=object)
                self._rank = _ranks(ids)[passages.article]
            else:
                self._rank = _ranks(np.array([passage.article_id for passage in passages], dtype=object))
        return self._rank

    def _nearest(
        self, meaning: npt.NDArray[np.float32], k: int, within: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.int64]:
        """Return the k passages nearest the question in meaning, those tied with the k-th (the same
        sentence in many articles) taken by article, as the kernel's are (_untied); only passages
        `within` (a mask: the articles of some languages) when given."""
        if within is not None:
            docs = np.flatnonzero(within).astype(np.int64)
            docs = docs[self._by_article(docs)]
            return docs[np.argsort(-self.vectors.cosine(meaning, docs), kind="stable")[: max(k, 0)]]

        def ask(count: int) -> Candidates:
            docs, scores = self.vectors.nearest(meaning, count)
            return Candidates(docs, scores.astype(np.float64), np.zeros((0, len(docs)), dtype=bool))

        return self._untied(ask, k).docs

    def _best(self, query: list[tuple[str, float]], k: int) -> Candidates:
        """Return the kernel's k best passages for a weighted query, those tied with the k-th taken by
        article (_untied), not by passage number as the kernel takes them."""
        return self._untied(lambda count: self.index.candidates(query, count), k)

    def _untied(self, ask: Callable[[int], Candidates], k: int) -> Candidates:
        """Return the k best of what `ask(count)` gives (its `count` best, best first, ties by passage
        number), the ones tied with the k-th taken by article (_by_article): it is asked for more
        until the passages after the k-th score less."""
        asked = max(k, 0) + 1
        found = ask(asked)
        while k > 0 and len(found.docs) == asked and found.scores[-1] == found.scores[k - 1]:
            asked *= 2
            found = ask(asked)
        if len(found.docs) <= k:
            return found
        place = np.empty(len(found.docs), dtype=np.int64)
        place[self._by_article(found.docs)] = np.arange(len(found.docs))
        kept = np.lexsort((place, -found.scores))[: max(k, 0)]
        return Candidates(found.docs[kept], found.scores[kept], found.matched[:, kept])

    def decide(self, examined: Examined) -> Decision:
        """Return the tier of an examined question, its candidates' ranking and the probability
        that the best one answers (tiers.Decider: the one place a tier is decided)."""
        return Decider(self.model).decide(examined, lambda n: self.passages[int(examined.docs[n])].text)

    def language_docs(self, language: str) -> npt.NDArray[np.bool_]:
        """Return which passages belong to articles written in a language (made once per language)."""
        if language not in self._language_docs:
            mask = np.zeros(len(self.passages), dtype=bool)
            for article, (start, stop) in self._spans.items():
                mask[start:stop] = self.languages.get(article) == language
            self._language_docs[language] = mask
        return self._language_docs[language]

    def _language_of(self, question: str) -> str:
        """Return the language of a question among its articles' (the detector's, or the one article
        language written in its script when the detector names none of them), else the detector's."""
        asked = language_of(question)
        written = set(self.languages.values())
        if asked in written:
            return asked
        script = script_of_text(question)
        same = [code for code in sorted(written) if language(code).script == script]
        return same[0] if len(same) == 1 else asked

    def _in_language(self, question: str, k: int) -> SearchResult | None:
        """Return the answer to a question in an archive holding articles in other languages than
        English: from the articles in its own language (native.py), or across languages from the
        others when it is about them (_about_others); None for the English pipeline (a question in
        English, with English articles)."""
        asked = self._language_of(question)
        own = self.language_docs(asked)
        if not own.any():
            return self.across(question, k)  # no article in the question's language
        if asked == "en":
            return None
        if own.all() or not self._about_others(question, own, CROSS_MARGIN):
            return answer_native(self, question, asked, k)
        return self.across(question, k, within=~own)

    def _about_others(self, question: str, own: npt.NDArray[np.bool_], margin: float) -> bool:
        """Whether a question is about the articles in other languages than its own: the passage nearest
        it in meaning there is within `margin` of the nearest in its own language's articles (e5's
        cosines across languages are lower than within one)."""
        meaning = EMBEDDER.query(question)
        best = [self.vectors.cosine(meaning, np.flatnonzero(mask)).max(initial=-1.0) for mask in (own, ~own)]
        return bool(best[1] >= best[0] - margin)

    def across(self, question: str, k: int = 3, *, within: npt.NDArray[np.bool_] | None = None) -> SearchResult:
        """Return the passages nearest in meaning to a question in another language than the articles'
        ("Сколько солдат Северная Корея отправила в Россию?"), quoted in their own (across.py); only
        passages `within` (the articles in other languages than the question's) when given."""
        return answer_across(self, question, k, within=within)

    def _too_long(self, question: str) -> SearchResult:
        """Return the refusal of a question over the policy's length, which is never searched."""
        over = N_("the question is over {count} characters long")
        return SearchResult(question, (), error=Text.of(over, count=self.policy.max_question))

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return up to k passages that answer the question, best first, or none without evidence."""
        if not self.other_languages:
            return self._search(question, k)
        routed = self._in_language(question, k)
        if routed is not None:
            return routed
        found = self._search(question, k)
        english = self.language_docs("en")
        if not found.hits and not found.error and k > 0 and self._about_others(question, english, -ENGLISH_ELSEWHERE):
            return self.across(question, k, within=~english)  # about an article in another language
        return found

    def _search(self, question: str, k: int) -> SearchResult:
        """Return the answer to a question as the English pipeline (or across languages) gives it."""
        if is_foreign(question):
            return self.across(question, k)
        examined = self.examine(question)
        if examined is None:  # over the length examined reads
            return self._too_long(question)
        corrections = examined.corrections
        suggestion = _suggest(question, examined.suggestions) if examined.suggestions else None
        if k <= 0 or not len(examined.docs):
            return SearchResult(question, (), corrections, suggestion, missing=examined.missing)
        decision = self.decide(examined)
        order = decision.order[:k]
        positions = np.array([int(examined.docs[n]) for n in order.tolist()], np.int64)
        unexplained, unstated = (
            tuple(_as_asked(question, word) for word in words)
            for words in self._unexplained(examined.concepts, positions)
        )
        if decision.tier is Tier.NONE:
            return SearchResult(
                question,
                (),
                corrections,
                suggestion,
                missing=examined.missing,
                unexplained=unexplained,
                unstated=unstated,
            )
        terms = question_terms(examined)
        hits = [
            Hit(
                self.passages[doc],
                round(float(decision.scores[n]), 4),
                frozenset(terms & passage_terms(self.passages[doc].text)),
                doc,
            )
            for n, doc in zip(order.tolist(), positions.tolist(), strict=True)
        ]
        if decision.tier is Tier.ANSWER:
            hits[0] = hits[0]._replace(answer=short_answer(hits[0].passage.text, examined.question.want, terms))
            unexplained = unstated = ()
        return SearchResult(
            question,
            tuple(hits),
            corrections,
            suggestion,
            probability=decision.probability,
            tier=decision.tier,
            unexplained=unexplained,
            unstated=unstated,
            asked=_asked_for(question, examined.question.want),
        )

    def _unexplained(
        self, concepts: Sequence[Concept], docs: npt.NDArray[np.int64]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the question's words (folded, at most UNEXPLAINED_SHOWN) that no passage `docs` says,
        nor anything near it in meaning; and those of them the first passage's whole article never
        states: what the article does not say."""
        if not concepts or not len(docs):
            return (), ()
        vectors = concept_vectors(concepts, self.vocabulary)
        explained = self.signals.explained(concepts, vectors, docs).max(axis=0)
        span = self._spans[self.passages[int(docs[0])].article_id]
        in_article = self.signals.article_explained(concepts, vectors, span)
        words = [
            (concept.word, bool(anywhere < STRONG))
            for concept, score, anywhere in zip(concepts, explained.tolist(), in_article.tolist(), strict=True)
            if score < STRONG
        ]
        shown = list(dict.fromkeys(words))[:UNEXPLAINED_SHOWN]
        return tuple(word for word, _ in shown), tuple(word for word, unstated in shown if unstated)


def _without_names(question: str, names: Sequence[str]) -> str:
    """Return the folded question with publication names taken out.

    "Donate to the Moscow Times" asks about the publisher, not the story: its words must not count
    as evidence just because "Moscow" and "times" stand in the article.
    """
    folded = fold(question)
    for name in names:
        folded = folded.replace(name, " ")
    return folded


def _as_asked(question: str, word: str) -> str:
    """Return a question word (folded) as the question wrote it: "Kursk", not "kursk"."""
    found = re.search(rf"(?i)(?<!\w){re.escape(word)}(?!\w)", question)
    return found.group(0) if found else word


def _asked_for(question: str, want: Want) -> str:
    """Return what a question asks for as a reader says it ("how many", "how much", "when"), or ''."""
    if want is Want.QUANTITY and re.search(r"(?i)\bhow much\b", question):
        return "how much"
    return ASKED.get(want, "")


def _suggest(question: str, fixes: Sequence[Correction]) -> str:
    """Return the question with each misspelt word replaced by its suggested corpus word."""
    text = question
    for fix in fixes:
        text = re.sub(rf"(?i)\b{re.escape(fix.word)}\b", fix.replacement, text)
    return text

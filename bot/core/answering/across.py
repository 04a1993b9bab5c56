"""Questions in another language than the article's ("Сколько солдат КНДР отправила в Россию?"):
the article's passages nearest in meaning, with the names the question shares with them.

The sentence model (dense.py) is multilingual, so a question's vector finds passages in another
language. Names carry what a whole-question vector blurs; each name the question writes is found in
the article in one of these ways, cheapest first:

- transliterated (anyascii), or its stem in the question's language (PyStemmer) transliterated:
  "Руденко" is "Rudenko", "Путина" is "Putin", also one typo away ("сенаторы" is "senators");
- a country or territory, by CLDR's names in both languages (Babel): "КНДР" is North Korea, and
  "китайские" is China's by its stem and an adjective ending CLDR's language names show ("китайский");
- a name the question writes with a capital, near an article's name in meaning: "Пхеньян" and
  "Pyongyang", "Запад" and "The West" (the cosine of bench/fit_names.py, fitted held out on CLDR's
  names, never on the project's questions);
- words the language data of the question's language gives for what a passage is (a photo's
  caption, a credit line), as the article's language data does (lang/<code>/context_words.txt).

A passage holding a name (or standing for it: "he told lawmakers" for Rudenko) gains NAME_WEIGHT
times the share of the question's names it holds. A country or a name in the article's script that
the article never mentions means it cannot answer: nothing is quoted, as for such a question in
the article's language. A name written with a capital found in none of these ways is named to the
reader as what the article may not say. Nothing fitted on the article's language applies here, so
these passages are never given as the answer: tier "across".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import Stemmer
import stop_words
from anyascii import anyascii
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

from bot.core.answering.dense import EMBEDDER
from bot.core.answering.language import language_of, opens_sentence, script_of
from bot.core.answering.native import written_as
from bot.core.answering.results import Hit, SearchResult, Tier
from bot.core.lang import DATA, _lines
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, terms

if TYPE_CHECKING:
    from bot.core.answering.search import Answerer

# A name shared with a passage adds this share of a cosine (all the question's names: the whole of it).
NAME_WEIGHT = 0.1

# The cosine (e5 query of the name as asked, e5 passage of the article's name) from which a name
# written in another script is taken for an article's name: bench/fit_names.py, fitted on CLDR's
# Russian and English names of territories and languages; 87.8% of held-out names decided right.
NAME_MATCH = 0.8471

# At most this many names the article may not mention are named in the heading.
UNMENTIONED_SHOWN = 3

Docs = npt.NDArray[np.int64]  # passage numbers, sorted, each once
_NONE: Docs = np.zeros(0, dtype=np.int64)

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# An article's names: runs of capitalised words ("Deputy Foreign Minister Andrei Rudenko", "The West").
_ARTICLE_NAME = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:of\s+)?[A-Z][\w’'-]*)*")


class Word(NamedTuple):
    """A word of the question as asked, where it stands, and whether it is written as a name."""

    text: str
    start: int
    end: int
    capital: bool  # a capital not opening a sentence, all capitals, or another script than the question's


class Reading(NamedTuple):
    """What the question's names are in the article: the passages holding each name found, and the names
    (as asked) it never mentions, certainly (`missing`: nothing is quoted) or by meaning (`unmentioned`)."""

    found: tuple[Docs, ...]
    missing: tuple[str, ...]
    unmentioned: tuple[str, ...]


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    """Return the Snowball stemmer of a language (by its English name in CLDR), if PyStemmer has one."""
    try:
        name = str(Locale("en").languages.get(language, "")).lower()
    except UnknownLocaleError:
        return None
    return Stemmer.Stemmer(name) if name in Stemmer.algorithms() else None


def stem_in(language: str, word: str) -> str:
    """Return a folded word's stem in its language (the word itself without a stemmer)."""
    stemmer = _stemmer(language)
    return str(stemmer.stemWord(word)) if stemmer is not None else word


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    """Return a language's stop words (the stop-words package), none for a language it lacks."""
    try:
        return frozenset(fold(word) for word in stop_words.get_stop_words(language))
    except stop_words.StopWordError:
        return frozenset()


@functools.cache
def _territories(language: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Return CLDR's countries and territories as (stems of their name in the language, English name)."""
    try:
        local, english = Locale(language).territories, Locale("en").territories
    except (UnknownLocaleError, ValueError):
        return ()
    found = []
    for code, name in local.items():
        if len(code) == 2 and code.isalpha() and code in english:
            stems = tuple(stem_in(language, fold(word)) for word in _WORD.findall(str(name)))
            if stems:
                found.append((stems, str(english[code])))
    return tuple(found)


@functools.cache
def _context_words(language: str) -> dict[str, frozenset[str]]:
    """Return the stems of the words a language's data gives for what a passage is, by kind ("caption")."""
    path = DATA / language / "context_words.txt"
    if not path.is_file():
        return {}
    kinds = {}
    for line in _lines(path):
        kind, _, words = line.partition(":")
        kinds[kind.strip()] = frozenset(stem_in(language, fold(word)) for word in words.split())
    return kinds


@functools.cache
def _adjective_endings(language: str) -> frozenset[str]:
    """Return what a country's stem gains in the adjective of its language, as CLDR's own names show
    it ("Япония" / "японский": "ск", "Китай" / "китайский": "йск"): how a people's adjective is made."""
    try:
        local = Locale(language)
    except (UnknownLocaleError, ValueError):
        return frozenset()
    endings = set()
    for code, name in local.territories.items():
        if len(code) != 2 or not code.isalpha() or len(_WORD.findall(str(name))) != 1:
            continue
        country = stem_in(language, fold(str(name)))
        for official in get_official_languages(code, de_facto=True):
            named = str(local.languages.get(official, ""))
            adjective = stem_in(language, fold(named)) if len(_WORD.findall(named)) == 1 else ""
            if adjective.startswith(country) and len(adjective) > len(country):
                endings.add(adjective[len(country) :])
    return frozenset(endings)


def _same_stem(asked: str, named: str, *, capital: bool, endings: frozenset[str]) -> bool:
    """Whether a question word's stem is a name's stem, or its adjective ("китайск" of "кита", not
    "палат" of "пала", Palau); a short stem only for a word written with a capital ("данным" is no
    Denmark, "дан")."""
    if asked == named:
        return capital or len(named) >= 4
    return asked.startswith(named) and asked[len(named) :] in endings


def _runs(question: str, words: Sequence[Word]) -> list[list[Word]]:
    """Return the words in runs: capitalised words with only spaces between are one name ("Ким Чен Ын")."""
    runs: list[list[Word]] = []
    for word in words:
        last = runs[-1][-1] if runs else None
        if last is not None and last.capital and word.capital and not question[last.end : word.start].strip():
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def words_of(question: str) -> list[Word]:
    """Return the question's words, each marked when it is written as a name."""
    main = script_of(question)
    shouted = question.isupper()  # "СКОЛЬКО СОЛДАТ ПОГИБЛО": its capitals mark no name
    found = []
    for match in _WORD.finditer(question):
        text = match.group()
        opening = opens_sentence(question, match.start())
        capital = (
            (text[:1].isupper() and not opening and not shouted)
            or (len(text) > 1 and text.isupper() and not shouted)
            or script_of(text) not in (main, "")
        )
        found.append(Word(text, match.start(), match.end(), capital))
    return found


class Across:
    """Reads a question's names against one answerer's article: its index, spelling and passages."""

    def __init__(self, answerer: Answerer, language: str) -> None:
        self.answerer = answerer
        self.language = language
        self.stop = _stop_words(language)

    def passages_of(self, names: Iterable[str]) -> Docs:
        """Return the passages holding every one of some index terms (or a word the language data gives
        for it: "korean" for "korea"), or standing for one of them ("he told" for Rudenko)."""
        index, by_context = self.answerer.index, self.answerer.features.by_context
        held: Docs | None = None
        extra = [_NONE]
        for term in names:
            lists = [index.holding(each) for each in (term, *self.answerer.synonyms.get(term, ()))]
            # One list is sorted and distinct already (a name in 100,000 passages of a big archive).
            docs = lists[0] if len(lists) == 1 else np.unique(np.concatenate(lists))
            held = docs if held is None else np.intersect1d(held, docs, assume_unique=True)
            if term in by_context:
                extra.append(np.asarray(by_context[term], dtype=np.int64))
        held = _NONE if held is None else held
        return held if len(extra) == 1 else np.union1d(held, np.concatenate(extra))

    def transliterated(self, word: str) -> list[str]:
        """Return the index terms a word is transliterated ("Руденко": rudenko), its stem, or one typo away."""
        index = self.answerer.index
        folded = fold(word)
        stemmed = stem_in(self.language, folded)
        for form in (folded, stemmed):
            found = terms(anyascii(form))
            if found and all(term in index for term in found):
                return found
        latin = fold(anyascii(stemmed))
        if len(latin) >= 4 and latin.isalpha():
            fixed = self.answerer.spelling.correction(latin)
            term = None if fixed is None else self.answerer.features.surface.get(fixed)
            if term is not None and term in index:
                return [term]
        return written_as(self.answerer, folded)  # "Lebedev": лебедев in a Russian article

    def territory(self, stems: Sequence[str], at: int, *, capital: bool) -> tuple[int, str] | None:
        """Return (how many words, English name) of the longest CLDR territory named at a word."""
        best: tuple[int, str] | None = None
        endings = _adjective_endings(self.language)
        for named, english in _territories(self.language):
            size = len(named)
            fits = size <= len(stems) - at and all(
                _same_stem(stems[at + n], named[n], capital=capital, endings=endings) for n in range(size)
            )
            if fits and (best is None or size > best[0]):
                best = (size, english)
        return best

    def read(self, question: str, candidates: Sequence[int]) -> Reading:
        """Return what the question's names are in the article (`candidates`: the passages read first)."""
        words = [word for word in words_of(question) if fold(word.text) not in self.stop or word.capital]
        stems = [stem_in(self.language, fold(word.text)) for word in words]
        found: list[Docs] = []
        missing: list[str] = []
        known: set[int] = set()  # the words found in the article, or certainly not in it
        at = 0
        while at < len(words):
            word = words[at]
            country = self.territory(stems, at, capital=word.capital)
            if country is not None:
                size, english = country
                named = terms(english)
                if named and all(term in self.answerer.index for term in named):
                    # Its capital stands for it, as in the article's language ("Pyongyang" for North Korea).
                    capitals = {place for place, countries in self.answerer.places.items() if named[-1] in countries}
                    held = [self.passages_of(named), *(self.passages_of([place]) for place in capitals)]
                    found.append(np.unique(np.concatenate(held)))
                else:
                    missing.append(question[word.start : words[at + size - 1].end])
                known.update(range(at, at + size))
                at += size
                continue
            names = self.transliterated(word.text)
            if names:
                found.append(self.passages_of(names))
                known.add(at)
            elif word.capital and script_of(word.text) == "Latn" and script_of(question) != "Latn":
                missing.append(word.text)  # a name in the article's script it never mentions
                known.add(at)
            at += 1
        unmentioned = []
        for run in _runs(question, words):
            if run[0].capital and not known.intersection(n for n, _ in enumerate(words) if words[n] in run):
                asked = question[run[0].start : run[-1].end]
                near = self.by_meaning(asked, candidates)
                if len(near):
                    found.append(near)
                else:
                    unmentioned.append(asked)
        context = self.by_context(stems)
        return Reading(tuple(found) + context, tuple(dict.fromkeys(missing)), tuple(dict.fromkeys(unmentioned)))

    def by_meaning(self, asked: str, candidates: Sequence[int]) -> Docs:
        """Return the passages holding the article name nearest a name in meaning, if near enough."""
        passages = self.answerer.passages
        names = sorted({match.group() for doc in candidates for match in _ARTICLE_NAME.finditer(passages[doc].text)})
        if not names:
            return _NONE
        similarity = np.asarray(EMBEDDER.passages(names), dtype=np.float32) @ EMBEDDER.query(asked)
        best = int(np.argmax(similarity))
        if similarity[best] < NAME_MATCH:
            return _NONE
        return self.passages_of(terms(names[best]))

    def by_context(self, stems: Sequence[str]) -> tuple[Docs, ...]:
        """Return, per kind of passage the question asks about by its words ("фото": the caption), its passages."""
        kinds = ENGLISH.context_words
        found = []
        for kind, words in _context_words(self.language).items():
            if kind in kinds and not words.isdisjoint(stems):
                english = {term for word in kinds[kind] for term in terms(word)}
                docs = {doc for term in english for doc in self.answerer.features.by_context.get(term, ())}
                if docs:
                    found.append(np.array(sorted(docs), dtype=np.int64))
        return tuple(found)


def _most_shared(answerer: Answerer, found: Sequence[Docs], most: int) -> tuple[Docs, Docs]:
    """Return the passages holding the question's names, at most `most` of them (those holding most
    names first, ties by article as every ranking takes them), and how many names each holds."""
    if not found:
        return _NONE, _NONE
    if len(found) == 1:  # each name's passages are distinct: one name's are its own count of 1
        shared = found[0] if bool(np.all(found[0][1:] > found[0][:-1])) else np.sort(found[0])
        counts = np.ones(len(shared), dtype=np.int64)
    else:
        shared, counts = np.unique(np.concatenate(found), return_counts=True)
    if len(shared) <= most:
        return shared, counts
    place = np.empty(len(shared), dtype=np.int64)
    place[answerer._by_article(shared)] = np.arange(len(shared))
    kept = np.sort(np.lexsort((place, -counts))[:most])
    return shared[kept], counts[kept]


def answer_across(
    answerer: Answerer, question: str, k: int = 3, *, within: npt.NDArray[np.bool_] | None = None
) -> SearchResult:
    """Return the passages nearest in meaning to a question in another language than the article's,
    with the names they share ranked up; none when it names what the article never mentions. Only
    passages `within` (a mask: the articles in other languages than the question's) when given."""
    if len(question) > answerer.policy.max_question:
        return answerer._too_long(question)
    if k <= 0:
        return SearchResult(question, ())
    language = language_of(question)
    meaning = EMBEDDER.query(question)
    nearest = answerer._nearest(meaning, answerer.policy.dense_candidates, within).tolist()
    reading = Across(answerer, language).read(question, nearest)
    if reading.missing:
        return SearchResult(question, (), missing=reading.missing)
    shared, counts = _most_shared(answerer, reading.found, answerer.policy.candidates)
    if within is not None:
        shared, counts = shared[within[shared]], counts[within[shared]]
    docs = np.union1d(np.asarray(nearest, dtype=np.int64), shared)
    if not len(docs):
        return SearchResult(question, ())
    docs = docs[answerer._by_article(docs)]  # ties go by article, as in every other ranking
    count = dict(zip(shared.tolist(), counts.tolist(), strict=True))
    held = np.array([count.get(doc, 0) for doc in docs.tolist()], dtype=np.float64)
    cosine = answerer.vectors.cosine(meaning, docs)
    embedded = ~np.isnan(cosine)  # a passage not embedded yet is not read in another language
    docs, held, cosine = docs[embedded], held[embedded], cosine[embedded]
    scores = cosine + NAME_WEIGHT * held / max(len(reading.found), 1)
    order = np.argsort(-scores, kind="stable")[:k]
    hits = tuple(
        Hit(answerer.passages[int(docs[n])], round(float(scores[n]), 4), frozenset(), int(docs[n]))
        for n in order.tolist()
    )
    return SearchResult(question, hits, tier=Tier.ACROSS, unexplained=reading.unmentioned[:UNMENTIONED_SHOWN])

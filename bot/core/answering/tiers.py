"""The tier of an answer, decided in one place (Decider).

- *answer*: the top passage is quoted with no caveat, led by its short answer when it holds exactly
  one span of the kind asked that the question does not already name (spans.py);
- *closest*: the article may not say; the closest passages are quoted after saying which of the
  question's words they never state;
- *refused* (Tier.NONE): nothing is quoted, with the reason (the words the article never states).

The fitted model (model.py) gives the probability that the best passage answers at all; below its
threshold the bot refuses. Above it, the best passage is given as the answer only when it states
every word of the question, by the same stem or a word at least signals.STRONG similar in meaning,
and holds a span of the kind the question asks for (how many -> a number, when -> a date, who -> a
name, where -> a place), and speaks of the future when the question asks about it, and agrees with the
question's polarity and numbers (claim_agrees), and is among the candidates nearest the question
in meaning (near_in_meaning). Held out by
article, no fitted score (logistic regression or gradient-boosted trees over the question's signals
and the answer kind) told right from wrong among the passages that pass these tests
(bench/results/fit_answering.txt): the tests are the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.answering.model import AnswerModel, Linear
from bot.core.answering.question import Want
from bot.core.answering.results import Examined, Tier
from bot.core.answering.signals import PASSAGE_SIGNALS, question_row
from bot.core.lang import Language
from bot.core.lang.en import ENGLISH
from bot.core.text import terms

# A passage states every question word when this share of the question's information is explained
# by words at least STRONG similar (the "strong" signal; 1 up to rounding).
STATES_ALL = 1.0 - 1e-9


def question_terms(examined: Examined) -> frozenset[str]:
    """Return the index terms of the question's concepts and their variants."""
    return frozenset(term for concept in examined.concepts for term, _ in concept.variants)


def speaks_to_tense(question: str, text: str, language: Language = ENGLISH) -> bool:
    """Whether a passage can answer the question's tense: one about the future ("when will they
    ratify it") only from a passage that speaks of the future, not a report of what happened."""
    return not language.future_pattern.search(question) or bool(language.future_passage.search(text))


# A negated question ("What did the Netherlands not let America use?", "What wasn't the goal?") asks
# about what did not happen: a passage stating only what did does not answer it; a word negated by its
# prefix ("synchronously" asked, "asynchronously" stated) is its opposite. The words are the language's
# (lang/en: question_words.txt, negating_prefixes.txt): a question in another language is never held
# back by these tests. Only stems of at least this length are read as negated, so "form" is not read as
# the opposite of "inform".
OPPOSITE_STEM = 5


def polarity_agrees(examined: Examined, text: str) -> bool:
    """Whether the passage is negated when the question is."""
    negation = ENGLISH.negation
    return not negation.search(ENGLISH.either_way.sub("", examined.question.text)) or bool(negation.search(text))


def numbers_stated(examined: Examined, text: str) -> bool:
    """Whether the passage holds every number of the question as written: a year asked (1989) is not
    one close to it in meaning (1999)."""
    stated = frozenset(terms(text))
    return all(concept.term in stated for concept in examined.concepts if concept.is_number)


def no_opposite(examined: Examined, text: str) -> bool:
    """Whether the passage states no question word only by its negated form."""
    stated = frozenset(terms(text))
    return not any(
        concept.term not in stated and _opposite_stated(concept.term, stated) for concept in examined.concepts
    )


def names_stated(examined: Examined, text: str) -> bool:
    """Whether the passage names every name of the question by its own words (or a listed variant:
    "Korean" for "Korea"), not only by a name close in meaning ("Henry II" asked, "Henry III" stated;
    "Dodge" asked, "Chrysler" stated): another name is another person, place or thing."""
    stated = frozenset(terms(text))
    return all(any(term in stated for term, _ in concept.variants) for concept in examined.concepts if concept.is_name)


# The words' checks: what a passage that states the question's words must also say.
WORDING: dict[str, Callable[[Examined, str], bool]] = {
    "polarity": polarity_agrees,
    "numbers": numbers_stated,
    "opposites": no_opposite,
    "names": names_stated,
}

# A claimed passage is among this many candidates nearest the question in meaning (e5's cosine,
# dense.py), whatever the words' evidence ranked first: two independent readings agree. As many as
# a reply quotes. Held out by article on SQuAD it took 28 of 527 claims away, none of them right,
# and no claim on the own sets (bench/results/fit_answering.txt). Chosen inside the folds instead
# (the rank with the most right minus wrong claims on the other articles) it would be 1 or 2:
# SQuAD 62.1% of claims right against 61.2%, but 3 of the typed set's 26 right claims lost.
MEANING_RANK = 3


def near_in_meaning(examined: Examined, candidate: int) -> bool:
    """Whether fewer than MEANING_RANK candidates are nearer the question in meaning than this one."""
    dense = examined.rows[:, PASSAGE_SIGNALS.index("dense")]
    return int((dense > dense[candidate]).sum()) < MEANING_RANK


def _on_words(check: Callable[[Examined, str], bool]) -> Callable[[Examined, int, str], bool]:
    return lambda examined, _candidate, text: check(examined, text)


# What the best passage that states the question's words must also do to be given as the answer,
# by name, each given the examined question, the candidate and its text (bench/fit_answering.py
# --claim-gates measures each left out).
AGREEMENT: dict[str, Callable[[Examined, int, str], bool]] = {
    **{name: _on_words(check) for name, check in WORDING.items()},
    "meaning": lambda examined, candidate, _text: near_in_meaning(examined, candidate),
}


def claim_agrees(examined: Examined, text: str) -> bool:
    """Whether a passage that states the question's words says what was asked, not its opposite
    (every WORDING check)."""
    return all(check(examined, text) for check in WORDING.values())


def _opposite_stated(term: str, stated: frozenset[str]) -> bool:
    """Whether the passage states a word's opposite by a negating prefix, either way round."""
    for prefix in ENGLISH.negating_prefixes:
        if len(term) >= OPPOSITE_STEM and prefix + term in stated:
            return True
        if term.startswith(prefix) and len(term) - len(prefix) >= OPPOSITE_STEM and term[len(prefix) :] in stated:
            return True
    return False


def judge(rank: Linear, examined: Examined) -> tuple[npt.NDArray[np.float64], int, npt.NDArray[np.float64]]:
    """Return a question's candidates' ranking scores (-inf for those that may not answer), its best
    candidate (ties to the earlier candidate, as hits are ordered) and its QUESTION_SIGNALS; at least
    one candidate must be eligible."""
    scores = np.where(examined.eligible, rank.score(examined.rows), -np.inf)
    top = int(np.argsort(-scores, kind="stable")[0])
    row = question_row(
        examined.rows,
        scores,
        examined.weights[top],
        examined.article_explained[top],
        missing=examined.unmentioned,
    )
    return scores, top, row


@dataclass(frozen=True)
class Decision:
    """What the decider made of a question's candidates."""

    tier: Tier
    scores: npt.NDArray[np.float64]  # ranking score per candidate (-inf: may not answer)
    probability: float  # that the best passage answers at all (0 when no candidate may)

    @property
    def order(self) -> npt.NDArray[np.int64]:
        """Return the candidates that may answer, best first."""
        order = np.argsort(-self.scores, kind="stable")
        return order[: int(np.isfinite(self.scores).sum())].astype(np.int64)


class Decider:
    """Decides a question's tier from its examined candidates with the fitted model."""

    def __init__(
        self, model: AnswerModel, *, checks: Iterable[Callable[[Examined, int, str], bool]] | None = None
    ) -> None:
        self.model = model
        # The AGREEMENT checks a claim must pass (None: all of them; the bench leaves some out).
        self.checks = tuple(AGREEMENT.values() if checks is None else checks)

    def decide(self, examined: Examined, text_of: Callable[[int], str]) -> Decision:
        """Return the tier, ranking and probability of an examined question; `text_of(n)` is
        candidate n's passage text."""
        if not examined.eligible.any():
            return Decision(Tier.NONE, np.full(len(examined.docs), -np.inf), 0.0)
        model = self.model
        scores, top, row = judge(model.rank, examined)
        probability = float(model.probability(row[None, :])[0])
        if probability < model.threshold:
            return Decision(Tier.NONE, scores, probability)
        best = examined.rows[top]
        states_all = best[PASSAGE_SIGNALS.index("strong")] >= STATES_ALL
        # The answer kind asked (how many, when, how long, who, where) held and not already named
        # by the question: the "want_found" signal (spans.py, and the passage's own duration or place words).
        holds_kind = examined.question.want is Want.ANY or best[PASSAGE_SIGNALS.index("want_found")] > 0
        claimed = (
            probability >= model.confident
            and states_all
            and holds_kind
            and speaks_to_tense(examined.question.text, text_of(top))
            and all(check(examined, top, text_of(top)) for check in self.checks)
        )
        return Decision(Tier.ANSWER if claimed else Tier.CLOSEST, scores, probability)

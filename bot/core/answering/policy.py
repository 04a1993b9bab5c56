"""The tuning values of answering, in one frozen dataclass that callers and tests construct."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.answering.question import Want


def _default_boosts() -> dict[Want, float]:
    return {Want.QUANTITY: 0.6, Want.DATE: 0.5, Want.DURATION: 0.5, Want.NAME: 0.4}


@dataclass(frozen=True)
class AnswerPolicy:
    """How answering weighs evidence and reranks the kernel's candidates."""

    # How much a passage stating what the question word wants (a quantity for "how many") gains
    # (a factor on its BM25 score).
    want_boost: dict[Want, float] = field(default_factory=_default_boosts)
    # A "how many" question is answered only by a passage stating a quantity; an attribute question
    # ("X's address", "how old is X") only by one stating that attribute.
    require_quantity: bool = True
    require_attribute: bool = True
    # A passage answers when it explains at least this share of the question's information
    # (fitted on the public SQuAD 2.0 half as a whole: bench/fit_policy.py).
    min_answerability: float = 0.3
    # Once a passage answers, the further results (More results, top 3) need only this much.
    more_min_answerability: float = 0.2
    # Ranking: log BM25 plus this times the passage's answerability.
    answerability_weight: float = 8.0
    # A concept's weight blends its corpus idf (this share) with its rarity in English.
    corpus_share: float = 0.5
    # A concept the corpus never uses weighs this many times as much.
    absent_weight: float = 1.5
    # A question hinges on its names (capitalised words), its numbers and words rarer than `rare_zipf`
    # in English (wordfreq's Zipf scale): one the corpus never mentions makes the bot abstain.
    name_hinges: bool = True
    number_hinges: bool = True
    rare_zipf: float = 2.0
    # A number weighs this much of a word; a misspelt word read as a corpus word counts for this.
    number_strength: float = 0.5
    correction_weight: float = 0.8
    # A word at least this common in English is a word, not a typo: it is never "corrected".
    known_word_zipf: float = 3.0
    # A synonym counts for this much of the question's own word.
    synonym_weight: float = 0.7
    # A capital hints at its country ("Pyongyang" for North Korea) this much; a hint never counts as a mention.
    place_weight: float = 0.5
    # What a passage stands for without saying it (a caption for "photo") counts for this much;
    # the sentence before it in its paragraph, for this much.
    context_weight: float = 0.8
    neighbour_weight: float = 0.5
    # Ranking: plus this times the share of the question the passage's whole paragraph states.
    paragraph_weight: float = 1.0
    # How many of the kernel's best passages are reranked (at least k).
    candidates: int = 200
    # A longer question is not searched (no one asks in more words; it bounds the work per question).
    max_question: int = 1000

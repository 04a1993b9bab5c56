"""The tuning values of answering, in one frozen dataclass that callers and tests construct."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerPolicy:
    """The settings of answering that are not fitted: rules, word weights, candidate counts.

    What candidates are worth and when to abstain is the fitted model's (model.py), not these.
    """

    # A "how many" question is answered only by a passage stating a quantity (when/who/where are
    # signals for the model: as hard rules they cost 11 points of top-1 on the public SQuAD half);
    # an attribute question ("X's address", "how old is X") only by one stating that attribute.
    require_answer_kind: bool = True
    require_attribute: bool = True
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
    # What a passage stands for without saying it (a caption for "photo") counts for this much.
    context_weight: float = 0.8
    # A question standing on a name or a number the corpus never mentions is refused before the
    # model, with the reason (on the public SQuAD half such questions are unanswerable 110 times
    # to 30); a rare word never mentioned is left to the model (20 to 6, and words have paraphrases).
    refuse_unmentioned: bool = True
    # How many of the kernel's best passages are measured, and how many passages nearest the whole
    # question in meaning (dense.py) join them.
    candidates: int = 200
    dense_candidates: int = 20
    # The kernel is also asked for the `meaning_neighbours` corpus words nearest each question word
    # in meaning, when at least `meaning_floor` similar, each at `meaning_weight` times its similarity.
    meaning_neighbours: int = 5
    meaning_floor: float = 0.55
    meaning_weight: float = 0.5
    # A longer question is not searched (no one asks in more words; it bounds the work per question).
    max_question: int = 1000

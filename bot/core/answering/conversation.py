"""What a chat message asks beyond one fact: the gist of the article ("summarize the article",
"tl;dr"), more of what was just quoted ("tell me more"), or a follow-up read against the previous
question ("and when?", "who else?"). The phrases are data (lang/en/conversation.txt).

A summary is the article's lead (its first body sentence) and its key sentences: those holding most
of the words the article uses most, each counted once, in article order. Nothing here knows of
Telegram: a chat's previous turn is handed in as a Turn.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.corpus import CAPTION_PARAGRAPH, Passage
from bot.core.lang.en import ENGLISH
from bot.core.text import fold, terms

# Sentences a summary quotes: the lead and this many key sentences.
KEY_SENTENCES = 2
# The words an article uses most, of which its key sentences hold the most.
TOPIC_WORDS = 12
# A follow-up read against the previous question asks (and leaves for the next) at most this many
# characters, the bot's own question cap: the words of the oldest turns are dropped first. Without
# it each follow-up added its words to all the earlier ones (7,355 characters after 300), until
# every follow-up was refused as too long.
FOLLOW_UP_CHARACTERS = 300


@dataclass(frozen=True)
class Turn:
    """What a chat asked last and the passages it was shown, by citation (article, paragraph,
    sentence): passage numbers change when a merge renumbers the corpus or an article is replaced."""

    question: str
    article_id: str | None
    cited: tuple[tuple[str, int, int], ...] = ()


KINDS = ("summary", "more", "follow")
_PATTERNS = dict(ENGLISH.conversation)


def kind_of(message: str) -> str | None:
    """Return "summary", "more" or "follow" for a message asking that of the conversation, else None."""
    folded = " ".join(fold(message).split())
    return next((kind for kind in KINDS if _PATTERNS[kind].fullmatch(folded)), None)


def follow_up(previous: str, message: str, *, most: int = FOLLOW_UP_CHARACTERS) -> str:
    """Return a follow-up read against the previous question: "and when?" after "who signed the
    treaty" asks "when signed treaty"; "who else?" asks the previous question again. The message's
    words come first, then the previous question's (its newest first), as many as fit in `most`
    characters."""
    folded = _PATTERNS["opening"].sub("", " ".join(fold(message).split()), count=1)
    folded = " ".join(_PATTERNS["else"].sub(" ", folded).split()).strip(" ?!.")
    asked = set(folded.split())
    # The previous question's own words (its question and stop words left out: "and when?" asks when).
    rest = [word for word in fold(previous).strip(" ?!.").split() if word not in asked | ENGLISH.stop_words]
    kept: list[str] = []
    used = -1  # the characters of the words kept, with a space before each but the first
    for word in [*folded.split(), *rest]:
        if kept and used + 1 + len(word) > most:
            break
        kept.append(word)
        used += 1 + len(word)
    return " ".join(kept)[:most]


def wants_other(message: str) -> bool:
    """Whether a follow-up asks for something besides what was shown ("who else?")."""
    return _PATTERNS["else"].search(fold(message)) is not None


def lead_and_key(passages: Sequence[Passage], numbers: Sequence[int], *, key: int = KEY_SENTENCES) -> list[int]:
    """Return the numbers of an article's lead and key sentences, in article order.

    `numbers` are the article's passages in order; the caption is never the lead.
    """
    body = [n for n in numbers if passages[n].paragraph != CAPTION_PARAGRAPH]
    if not body:
        return list(numbers[:1])
    counted = {n: set(terms(passages[n].text)) for n in body}
    usage = Counter(term for words in counted.values() for term in words)
    topic = {term for term, count in usage.most_common(TOPIC_WORDS) if count > 1}
    lead = body[0]

    def weight(n: int) -> float:
        held = len(counted[n] & topic)
        return held / math.sqrt(max(len(counted[n]), 1))

    rest = sorted((n for n in body if n != lead), key=lambda n: (-weight(n), n))[:key]
    return sorted([lead, *rest])

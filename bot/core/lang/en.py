"""English, the language of every article and question so far."""

from __future__ import annotations

from bot.core.lang import Language

ENGLISH = Language.load("en", stemmer="english", script="LATIN")

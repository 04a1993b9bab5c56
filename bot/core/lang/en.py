"""English, the language of the shipped article and of the answering pipeline's own data."""

from __future__ import annotations

from bot.core.lang import language

ENGLISH = language("en")

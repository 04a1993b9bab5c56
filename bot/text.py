"""Public alias of the text pipeline (`bot.text.terms`); the code lives in bot.core.text."""

from bot.core.text import Token, fold, normalize, terms, tokens

__all__ = ["Token", "fold", "normalize", "terms", "tokens"]

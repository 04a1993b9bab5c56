"""Public alias of the corpus types (`bot.corpus.Passage`); the code lives in bot.core.corpus."""

from bot.core.corpus import Article, Corpus, CorpusError, Passage

__all__ = ["Article", "Corpus", "CorpusError", "Passage"]

"""The serving wing: an index's life (build, update, persist, open) behind one face."""

from bot.core.serving.index import Index, Parts, answerer_over
from bot.core.serving.opening import BuildFailedError, CorpusChange, compare, open_index

__all__ = ["BuildFailedError", "CorpusChange", "Index", "Parts", "answerer_over", "compare", "open_index"]

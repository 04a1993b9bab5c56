"""Public alias of the BM25 kernel: `bot.index.SearchIndex(passages).top_bm25(terms, k)`.

The kernel lives in bot.core.retrieval.bm25; answering (evidence, reranking) in bot.core.answering.
"""

from bot.core.retrieval.bm25 import Bm25Index, Bm25Params

SearchIndex = Bm25Index

__all__ = ["Bm25Params", "SearchIndex"]

"""A corpus and its index, loaded together and replaced together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.corpus import Corpus, load_corpus
from bot.index import Progress, SearchIndex, SearchResult


@dataclass(frozen=True)
class Engine:
    """What answers questions: an immutable corpus and the index built from it."""

    corpus: Corpus
    index: SearchIndex

    @classmethod
    def from_corpus(cls, corpus: Corpus, *, progress: Progress | None = None) -> Engine:
        """Return an engine indexing the corpus."""
        publications = {article.source for article in corpus.articles}
        return cls(corpus, SearchIndex(corpus.passages, publications=publications, progress=progress))

    @classmethod
    def load(cls, directory: Path) -> Engine:
        """Return an engine over the corpus directory; raise CorpusError if any file is invalid."""
        return cls.from_corpus(load_corpus(directory))

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return the passages that answer the question."""
        return self.index.search(question, k)

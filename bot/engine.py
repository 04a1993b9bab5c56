"""A corpus and its index, loaded together and replaced together; corpus files changed atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.corpus import CORPUS_SUFFIXES, Article, Corpus, CorpusError, build_corpus, check_corpus, format_article
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
    def load(cls, directory: Path, *, progress: Progress | None = None) -> Engine:
        """Return an engine over a corpus directory; raise CorpusError naming every invalid file."""
        articles, problems = check_corpus(directory)
        if problems:
            raise CorpusError("; ".join(problems))
        return cls.from_corpus(build_corpus(articles), progress=progress)

    def search(self, question: str, k: int = 3) -> SearchResult:
        """Return the passages that answer the question."""
        return self.index.search(question, k)


@dataclass(frozen=True)
class CorpusChange:
    """Which articles a new corpus added, removed and changed, by id."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def describe(self) -> str:
        """Return the change as one line, or 'no changes'."""
        parts = [f"{label} {', '.join(ids)}" for label, ids in self._labelled() if ids]
        return "; ".join(parts) or "no changes"

    def _labelled(self) -> list[tuple[str, tuple[str, ...]]]:
        return [("added", self.added), ("removed", self.removed), ("changed", self.changed)]


def compare(old: Corpus, new: Corpus) -> CorpusChange:
    """Return how the new corpus differs from the old."""
    added = tuple(sorted(set(new.by_id) - set(old.by_id)))
    removed = tuple(sorted(set(old.by_id) - set(new.by_id)))
    kept = set(old.by_id) & set(new.by_id)
    changed = tuple(sorted(i for i in kept if format_article(old.by_id[i]) != format_article(new.by_id[i])))
    return CorpusChange(added, removed, changed)


def article_path(directory: Path, article_id: str) -> Path:
    """Return the corpus file of an article id, refusing any id that would leave the directory."""
    root = directory.resolve()
    path = (root / f"{article_id}.txt").resolve()
    if path.parent != root or not article_id or article_id.startswith("."):
        raise CorpusError(f"{article_id!r}: not a valid article id")
    return path


def existing_file(directory: Path, article_id: str) -> Path | None:
    """Return the file holding an article id in the directory, if there is one."""
    article_path(directory, article_id)
    for suffix in CORPUS_SUFFIXES:
        path = directory / f"{article_id}{suffix}"
        if path.is_file():
            return path
    return None


def write_article(directory: Path, article: Article, *, replace: bool = False) -> Path:
    """Write an article's corpus file atomically (temporary file, then rename); refuse to overwrite unless told."""
    path = article_path(directory, article.id)
    previous = existing_file(directory, article.id)
    if previous is not None and not replace:
        raise CorpusError(f"{path.name}: an article with this id exists already")
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(format_article(article))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if previous is not None and previous != path:
        previous.unlink()  # the same article as .md: one file per article id
    return path


def remove_article(directory: Path, article_id: str) -> Path:
    """Delete an article's corpus file; raise CorpusError if there is none."""
    path = existing_file(directory, article_id)
    if path is None:
        raise CorpusError(f"{article_id}: no such article")
    path.unlink()
    return path

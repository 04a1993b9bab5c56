"""Corpus files on disk: reading and validating a directory, writing and removing files atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from bot.core.corpus import (
    CORPUS_SUFFIXES,
    Article,
    Corpus,
    CorpusError,
    build_corpus,
    format_article,
    parse_article,
)

# A corpus file larger than this is refused unread (the biggest news story is a fraction of it).
MAX_CORPUS_FILE = 5_000_000


def read_article(path: Path) -> Article:
    """Return the article in a corpus file; raise CorpusError naming the file if it is not one."""
    try:
        with open(path, "rb", opener=_no_follow) as handle:  # a symbolic link is never read
            text = handle.read(MAX_CORPUS_FILE + 1).decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: not UTF-8 (byte {error.start})") from error
    except OSError as error:
        raise CorpusError(f"{path}: cannot read ({error.strerror})") from error
    return parse_article(text, article_id_=path.stem, where=str(path))


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


def corpus_entries(directory: Path) -> tuple[list[Path], list[str]]:
    """Return the article files of a corpus directory (sorted by name) and the entries refused unread.

    Only regular files count: a symbolic link (to /etc/passwd, say) or a device is refused by name,
    and so is a file over MAX_CORPUS_FILE bytes.
    """
    if not directory.is_dir():
        raise CorpusError(f"{directory}: corpus directory not found")
    files, problems = [], []
    for path in sorted(directory.iterdir()):
        if path.suffix not in CORPUS_SUFFIXES or path.name.startswith("."):
            continue
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            problems.append(f"{path}: a symbolic link; corpus files must be regular files in the directory")
        elif not stat.S_ISREG(status.st_mode):
            problems.append(f"{path}: not a regular file")
        elif status.st_size > MAX_CORPUS_FILE:
            problems.append(f"{path}: {status.st_size:,} bytes, over the {MAX_CORPUS_FILE:,}-byte limit")
        else:
            files.append(path)
    return files, problems


def corpus_files(directory: Path) -> list[Path]:
    """Return the article files of a corpus directory, sorted by name; raise CorpusError for any refused entry."""
    files, problems = corpus_entries(directory)
    if problems:
        raise CorpusError("; ".join(problems))
    return files


def load_corpus(directory: Path) -> Corpus:
    """Return the corpus in a directory; raise CorpusError for the first file that is not valid."""
    files = corpus_files(directory)
    if not files:
        raise CorpusError(f"{directory}: no article files (*.txt, *.md)")
    return build_corpus(read_article(path) for path in files)


def check_corpus(directory: Path) -> tuple[list[Article], list[str]]:
    """Return every valid article of a directory and every problem found, without stopping at one."""
    try:
        files, problems = corpus_entries(directory)
    except CorpusError as error:
        return [], [str(error)]
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            article = read_article(path)
        except CorpusError as error:
            problems.append(str(error))
            continue
        if article.id in seen:
            problems.append(f"{article.id}: duplicate article id ({seen[article.id].name} and {path.name})")
            continue
        seen[article.id] = path
        articles.append(article)
    if not files and not problems:
        problems.append(f"{directory}: no article files (*.txt, *.md)")
    return articles, problems


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

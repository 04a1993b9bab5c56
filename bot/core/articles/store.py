"""Corpus files on disk: reading and validating a directory, writing and removing files atomically."""

from __future__ import annotations

import calendar
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from operator import itemgetter
from pathlib import Path

from bot.core.corpus import (
    CORPUS_SUFFIXES,
    Article,
    Corpus,
    CorpusError,
    articles_by_id,
    build_corpus,
    content_tag,
    format_article,
    parse_article,
    same_article,
)
from bot.core.said import N_, Text, joined

# A corpus file larger than this is refused unread (the biggest news story is a fraction of it).
MAX_CORPUS_FILE = 5_000_000
# Temporary files of writes under way; one left behind (a crash) is deleted at start.
INCOMING_PREFIX = ".incoming-"
# Removed and replaced files stay in the trash this many days.
TRASH_DAYS = 30
NO_FILES = N_("{name}: no article files (*.txt, *.md)")
SYMLINK = N_("{name}: a symbolic link; corpus files must be regular files in the directory")
TOO_BIG = N_("{name}: {size} bytes, over the {most}-byte limit")
TWICE = N_("{id}: duplicate article id ({first} and {second})")


def read_article(path: Path) -> Article:
    """Return the article in a corpus file; raise CorpusError naming the file if it is not one."""
    try:
        with open(path, "rb", opener=_no_follow) as handle:  # a symbolic link is never read
            # Asking for MAX_CORPUS_FILE + 1 bytes outright makes a 5 MB buffer for every file
            # (0.5 s a 100,000 passages); a file that grew since its size was read is read on.
            size = min(os.fstat(handle.fileno()).st_size, MAX_CORPUS_FILE)
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(MAX_CORPUS_FILE + 1 - len(data))
            text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(N_("{name}: not UTF-8 (byte {byte})"), name=str(path), byte=str(error.start)) from error
    except OSError as error:
        raise CorpusError(N_("{name}: cannot read ({reason})"), name=str(path), reason=str(error.strerror)) from error
    return parse_article(text, article_id_=path.stem, where=str(path))


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


def scan_corpus(directory: Path) -> tuple[list[tuple[str, os.stat_result]], list[Text]]:
    """Return the article files of a corpus directory (names sorted) with their status, and the
    entries refused unread: one directory scan, each entry's status read once.

    Only regular files count: a symbolic link (to /etc/passwd, say) or a device is refused by name,
    and so is a file over MAX_CORPUS_FILE bytes.
    """
    if not directory.is_dir():
        raise CorpusError(N_("{name}: corpus directory not found"), name=str(directory))
    with os.scandir(directory) as entries:
        found = [
            (entry.name, entry.stat(follow_symlinks=False))
            for entry in entries
            if entry.name.endswith(CORPUS_SUFFIXES) and not entry.name.startswith(".")
        ]
    found.sort(key=itemgetter(0))
    files: list[tuple[str, os.stat_result]] = []
    problems: list[Text] = []
    for name, status in found:
        if stat.S_ISREG(status.st_mode) and status.st_size <= MAX_CORPUS_FILE:
            files.append((name, status))
        elif stat.S_ISLNK(status.st_mode):
            problems.append(Text.of(SYMLINK, name=str(directory / name)))
        elif not stat.S_ISREG(status.st_mode):
            problems.append(Text.of(N_("{name}: not a regular file"), name=str(directory / name)))
        else:
            problems.append(Text.of(TOO_BIG, name=str(directory / name), size=status.st_size, most=MAX_CORPUS_FILE))
    return files, problems


def corpus_entries(directory: Path) -> tuple[list[Path], list[Text]]:
    """Return the article files of a corpus directory (sorted by name) and the entries refused unread."""
    files, problems = scan_corpus(directory)
    return [directory / name for name, _ in files], problems


def corpus_files(directory: Path) -> list[Path]:
    """Return the article files of a corpus directory, sorted by name; raise CorpusError for any refused entry."""
    files, problems = corpus_entries(directory)
    if problems:
        raise CorpusError(joined(problems))
    return files


def load_corpus(directory: Path) -> Corpus:
    """Return the corpus in a directory; raise CorpusError for the first file that is not valid."""
    files = corpus_files(directory)
    if not files:
        raise CorpusError(NO_FILES, name=str(directory))
    return build_corpus(read_article(path) for path in files)


# What tells one version of a corpus file from another: size, modification and change times (ns),
# inode. The change time moves whenever a file is written, renamed or touched, and cannot be set
# back by a user: a file whose key is the same was not edited.
FileKey = tuple[int, int, int, int]
# Articles already read, by file name with the key of the file they were read from.
KnownFiles = Mapping[str, tuple[FileKey, Article]]


def file_key(status: os.stat_result) -> FileKey:
    """Return the key of a corpus file's version (see FileKey)."""
    return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino


def check_corpus(
    directory: Path, *, allow_empty: bool = False, known: KnownFiles | None = None
) -> tuple[list[Article], list[str]]:
    """Return every valid article of a directory and every problem found (in English), without stopping at one.

    A file in `known` whose key is the same as then is not read again (the served corpus knows it).
    """
    articles, problems, _ = read_corpus(directory, allow_empty=allow_empty, known=known)
    return articles, [str(problem) for problem in problems]


def read_corpus(
    directory: Path, *, allow_empty: bool = False, known: KnownFiles | None = None
) -> tuple[list[Article], list[Text], dict[str, FileKey]]:
    """Return what check_corpus does (the problems as texts to say in any language), and the key
    of every file read (or known)."""
    try:
        scanned, problems = scan_corpus(directory)
    except CorpusError as error:
        return [], [error.text], {}
    known = known or {}
    keys = {name: file_key(status) for name, status in scanned}
    articles: list[Article] = []
    seen: dict[str, str] = {}  # article id -> file name
    for name, key in keys.items():
        kept = known.get(name)
        if kept is not None and kept[0] == key:
            article = kept[1]
        else:
            try:
                article = read_article(directory / name)
            except CorpusError as error:
                problems.append(error.text)
                continue
        if seen.setdefault(article.id, name) != name:
            problems.append(Text.of(TWICE, id=article.id, first=seen[article.id], second=name))
            continue
        articles.append(article)
    if not scanned and not problems and not allow_empty:
        problems.append(Text.of(NO_FILES, name=str(directory)))
    return articles, problems, keys


def article_path(directory: Path, article_id: str) -> Path:
    """Return the corpus file of an article id, refusing any id that would leave the directory."""
    root = directory.resolve()
    path = (root / f"{article_id}.txt").resolve()
    if path.parent != root or not article_id or article_id.startswith("."):
        raise CorpusError(N_("{id}: not a valid article id"), id=repr(article_id))
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
    """Write an article's corpus file atomically (temporary file, then rename); refuse to overwrite unless told.

    A replaced article keeps its file (and that file's name and mode): one atomic rename, so no
    moment exists with the article missing or held twice. A new file is `<id>.txt`, mode 0644.
    """
    new_path = article_path(directory, article.id)
    previous = existing_file(directory, article.id)
    if previous is not None and not replace:
        raise CorpusError(N_("{name}: an article with this id exists already"), name=previous.name)
    path = previous or new_path
    mode = stat.S_IMODE(previous.stat().st_mode) if previous is not None else 0o644
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(
        path,
        format_article(article).encode("utf-8"),
        prefix=INCOMING_PREFIX,
        mode=mode,
        check=lambda written: _check_reads_back(written, article, where=path.name),
    )
    return path


def write_atomically(
    path: Path,
    data: bytes,
    *,
    prefix: str,
    mode: int | None = None,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Write a file atomically: a temporary file beside it (`prefix`…`.tmp`), synced, checked by
    `check` if given, then renamed over path; on any failure the temporary file is deleted."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_reads_back(written: Path, article: Article, *, where: str) -> None:
    """Raise CorpusError unless the written file parses back into exactly the article that was written."""
    try:
        read = parse_article(written.read_bytes().decode("utf-8"), article_id_=article.id, where=where)
    except CorpusError as error:
        raise CorpusError(
            N_("{name}: would not read back as written ({reason}); nothing written"), name=where, reason=error.text
        ) from error
    if read != article:
        differing = [name for name in Article.__dataclass_fields__ if getattr(read, name) != getattr(article, name)]
        raise CorpusError(
            N_("{name}: would not read back as written ({fields} differ); nothing written"),
            name=where,
            fields=", ".join(differing),
        )


def clean_leftovers(directory: Path) -> list[Path]:
    """Delete temporary files an interrupted write left in the corpus directory; return them."""
    leftovers = sorted(directory.glob(f"{INCOMING_PREFIX}*.tmp")) if directory.is_dir() else []
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


@dataclass(frozen=True)
class FileChange:
    """A corpus file change carried out: what was written or trashed, and how to put it back."""

    action: str  # "added", "replaced" or "removed"
    path: Path
    trashed: Path | None = None
    # The corpus files after the change: as the check before it found them, with the change made.
    files: dict[str, FileKey] | None = None

    def undo(self) -> None:
        """Put the directory back as it was before the change."""
        if self.trashed is None:
            self.path.unlink(missing_ok=True)
        elif self.action == "replaced":
            temporary = self.path.with_name(f"{INCOMING_PREFIX}undo.tmp")
            shutil.copy2(self.trashed, temporary)
            os.replace(temporary, self.path)
        else:
            shutil.move(self.trashed, self.path)


def _valid_after(
    directory: Path, change: Callable[[list[Article]], list[Article]], known: KnownFiles | None = None
) -> dict[str, FileKey]:
    """Refuse a change unless the directory is valid now and the corpus after the change would be;
    return the key of every corpus file now."""
    articles, problems, keys = read_corpus(directory, allow_empty=True, known=known)
    if problems:
        raise CorpusError(N_("the corpus directory must be fixed first: {problems}"), problems=joined(problems))
    after = change(articles)
    if not after:
        raise CorpusError(N_("that would leave the corpus without articles; add another first"))
    articles_by_id(after)
    return keys


_TRASH_STAMP = "%Y%m%dT%H%M%S"


def _to_trash(path: Path, trash: Path, *, keep: bool) -> Path:
    """Copy a corpus file into the trash under a new name dated now, then (without keep) remove it.

    The entry is dated when it enters (its name and its modification time), never by the file's
    own age, and its name is reserved exclusively, so no two changes ever share an entry. A copy
    that fails leaves no entry; a file that cannot be removed takes its entry back out.
    """
    trash.mkdir(parents=True, exist_ok=True)
    prune_trash(trash)
    target = _reserve(trash, path.name)
    try:
        shutil.copyfile(path, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
        if not keep:
            path.unlink()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _reserve(trash: Path, name: str) -> Path:
    """Create an empty, never used trash entry for a file name and return it."""
    stamp = time.time()
    base = f"{time.strftime(_TRASH_STAMP, time.gmtime(stamp))}.{int(stamp * 1e6) % 1_000_000:06d}"
    for attempt in range(1000):
        target = trash / (f"{base}-{name}" if attempt == 0 else f"{base}.{attempt}-{name}")
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return target
    raise OSError(f"{trash}: no free trash name for {name}")


def trashed_at(entry: Path) -> float | None:
    """Return when a file entered the trash (from its name), or None for a file the trash did not name."""
    try:
        return calendar.timegm(time.strptime(entry.name[: len("YYYYmmddTHHMMSS")], _TRASH_STAMP))
    except ValueError:
        return None


def prune_trash(trash: Path, *, days: int = TRASH_DAYS) -> None:
    """Delete trash entries that entered the trash more than `days` days ago (files it did not name stay)."""
    cutoff = time.time() - days * 86400
    for path in trash.glob("*") if trash.is_dir() else []:
        entered = trashed_at(path)
        if path.is_file() and entered is not None and entered < cutoff:
            path.unlink(missing_ok=True)


def put_article(
    directory: Path, article: Article, *, trash: Path, replace: bool, known: KnownFiles | None = None
) -> FileChange:
    """Add or replace an article's file after checking the whole resulting corpus; the old one goes to trash."""
    previous = existing_file(directory, article.id)
    if previous is not None and not replace:
        raise CorpusError(N_("{name}: an article with this id exists already"), name=previous.name)
    keys = _valid_after(directory, lambda articles: [a for a in articles if a.id != article.id] + [article], known)
    if previous is None:
        path = write_article(directory, article)
        return FileChange("added", path, files=keys | {path.name: file_key(path.stat())})
    trashed = _to_trash(previous, trash, keep=True)  # a copy: the file itself is replaced in one rename
    try:
        path = write_article(directory, article, replace=True)
        return FileChange("replaced", path, trashed, keys | {path.name: file_key(path.stat())})
    except BaseException:
        trashed.unlink(missing_ok=True)  # a refused change leaves no trace, in the trash either
        raise


def take_article(directory: Path, article_id: str, *, trash: Path, known: KnownFiles | None = None) -> FileChange:
    """Move an article's file to the trash after checking the corpus left is valid and not empty."""
    path = existing_file(directory, article_id)
    if path is None:
        raise CorpusError(N_("{id}: no such article"), id=article_id)
    keys = _valid_after(directory, lambda articles: [a for a in articles if a.id != article_id], known)
    trashed = _to_trash(path, trash, keep=False)
    return FileChange("removed", path, trashed, {name: key for name, key in keys.items() if name != path.name})


def place_article(directory: Path, article: Article, *, known: KnownFiles | None = None) -> tuple[Article, bool]:
    """Return the article with the id it should be stored under, and whether it replaces one.

    It replaces an article only when that one is the same story (same title and date, or same
    address) — then it takes that article's id. An id already used by a different story gets a
    short hash of this one's title, date and address, so no upload ever overwrites another article.
    """
    existing, _ = check_corpus(directory, allow_empty=True, known=known)
    for other in existing:
        if same_article(other, article):
            return replace_fields(article, id=other.id), True
    taken = {other.id for other in existing} | {path.stem for path in directory.glob("*") if path.is_file()}
    if article.id not in taken:
        return article, False
    unique = f"{article.id}-{content_tag(article.title, article.date, article.url or '')}"
    return replace_fields(article, id=unique), False


def trash_listing(trash: Path) -> list[Path]:
    """Return the files in the trash that hold something, newest first."""
    found = (p for p in trash.glob("*") if p.is_file() and p.stat().st_size > 0) if trash.is_dir() else ()
    return sorted(found, reverse=True)

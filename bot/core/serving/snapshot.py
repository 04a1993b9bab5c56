"""A built index persisted under BOT_DATA_DIR/index, so that a start on an unchanged archive loads
instead of rebuilding.

A snapshot is one directory of what the index's parts hand it (Index.state: numpy arrays, loaded
memory-mapped and never with pickle, files and JSON; see layers), with a manifest written last:
the format and the versions of what built it, a signature of the corpus files (name, size,
modification and change times, inode of each), the corpus version and a SHA-256 of every other
file. It is written into a temporary directory and renamed into place, so a build killed half-way
leaves no snapshot, only a temporary directory that the next save deletes. A snapshot whose
manifest, signature, versions or checksums do not match is ignored (and the index rebuilt): never
trusted, never answered from.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version as version_of
from pathlib import Path
from typing import Any

from bot.core.answering import dense
from bot.core.answering.model import AnswerModel
from bot.core.answering.policy import AnswerPolicy
from bot.core.articles.store import FileKey, file_key, scan_corpus
from bot.core.corpus import CorpusError
from bot.core.serving.embedding import STORE, VectorStore
from bot.core.serving.index import Index
from bot.core.serving.layers import LAYERS, Stored, version, write

LOGGER = logging.getLogger(__name__)
FORMAT = 3  # 3: each part's state as it hands it (layers), its version its own code's
MANIFEST = "manifest.json"
CORPUS_FILES = "corpus_files.json"
BUILDING = ".building-"
LOCK = ".lock"


@functools.cache
def builder() -> str:
    """What built a snapshot: its format, the libraries that shape its contents, and each part's
    version (a digest of the code and language data its contents come from, see layers.version)."""
    parts = "; ".join(f"{layer.name} {version(layer)}" for layer in LAYERS)
    return (
        f"format {FORMAT}; sentencex {version_of('sentencex')}; wordllama {version_of('wordllama')}; "
        f"{dense.model_version()}; {parts}"
    )


@dataclass(frozen=True)
class CorpusFiles:
    """The corpus files as they are on disk: each file's key (store.FileKey) by name, and their size."""

    keys: dict[str, FileKey]
    size: int

    @classmethod
    def of(cls, keys: Mapping[str, FileKey]) -> CorpusFiles:
        """Return the corpus files of these keys (file name -> key)."""
        return cls(dict(keys), sum(key[0] for key in keys.values()))

    @functools.cached_property
    def signature(self) -> str:
        """Return a digest of every file's name and key."""
        digest = hashlib.sha256()
        for name, (size, mtime, ctime, inode) in sorted(self.keys.items()):
            digest.update(f"{name}\0{size}\0{mtime}\0{ctime}\0{inode}\n".encode())
        return digest.hexdigest()


def scan(directory: Path) -> CorpusFiles | None:
    """Return the corpus files as they are on disk now, or None if any entry is refused.

    The entries are the ones the corpus is read from (store.scan_corpus); see store.FileKey for
    why a file whose key is the same was not edited.
    """
    try:
        files, problems = scan_corpus(directory)
    except (CorpusError, OSError):
        return None
    if problems or not files:
        return None  # a link, a device or an oversized file: the full check reports it
    return CorpusFiles.of({name: file_key(status) for name, status in files})


def signature(directory: Path) -> str | None:
    """Return a digest of the corpus files as they are on disk now, or None if any entry is refused."""
    found = scan(directory)
    return None if found is None else found.signature


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _digests(paths: list[Path]) -> list[str]:
    """SHA-256 of each file, two at a time (hashlib lets go of the GIL on big reads)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(_file_digest, paths))


# How long one start waits for another process's turn with the index directory (a save of a
# million passages holds it ~6 s, a load ~2.5 s), all its loads and its save together, before giving
# up: a process stopped while holding it must not hang a start for ever.
LOCK_WAIT_SECONDS = 120.0


class LockWait:
    """The wait for the index directory's lock that one start may still spend: LOCK_WAIT_SECONDS,
    once. A load that waited it out leaves none, so the save that follows tries once and, the lock
    still held, gives up at once instead of waiting two minutes more."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = LOCK_WAIT_SECONDS if seconds is None else seconds
        self.deadline = time.monotonic() + self.seconds

    def left(self) -> float:
        """Return the seconds still to wait (0 once spent)."""
        return max(0.0, self.deadline - time.monotonic())


class LockTimeoutError(OSError):
    """Another process held the index directory's lock for longer than this start could wait."""


# Why the lock file cannot be created in a directory this process cannot write.
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


def _read_only(root: Path, error: OSError) -> bool:
    """Whether the lock file could not be created because root cannot be written (a read-only mount
    or permissions): then nobody saves there either, since a save creates the lock file first."""
    return error.errno in _READ_ONLY and not os.path.lexists(root / LOCK) and not os.access(root, os.W_OK)


@contextlib.contextmanager
def locked(root: Path, *, exclusive: bool, wait: LockWait | None = None) -> Iterator[None]:
    """Hold the index directory's lock: exclusive to save (one save at a time, and none while a
    snapshot is read), shared to load. Two processes building into one directory (two bots on one
    BOT_DATA_DIR, a build started by hand) take turns instead of deleting each other's work.

    A shared lock in a read-only directory without a lock file is held without one: no save can be
    writing there. Raises OSError when the lock cannot be had: its file is a link or not a regular
    file, or cannot be created; LockTimeoutError when another process held it for what is left of
    `wait` (a new LockWait: LOCK_WAIT_SECONDS).
    """
    wait = LockWait() if wait is None else wait
    try:
        handle = os.open(root / LOCK, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as error:
        if exclusive or not _read_only(root, error):
            raise
        LOGGER.info("reading the index snapshot without a lock: %s cannot be written (%s)", root, error.strerror)
        handle = None
    if handle is None:
        yield
        return
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(f"{root / LOCK} is not a regular file")
        waited = wait.left() > 0
        while True:
            try:
                fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if wait.left() <= 0:
                    raise LockTimeoutError(
                        f"another process has held {root / LOCK} for over {wait.seconds:.0f} s"
                        if waited
                        else f"another process holds {root / LOCK}, and this start already waited "
                        f"{wait.seconds:.0f} s for it"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)  # closing lets go of the lock


def save(index: Index, root: Path, corpus_files: CorpusFiles, *, wait: LockWait | None = None) -> Path:
    """Write a snapshot of a built index under root; return its directory (older snapshots removed).

    Another process saving into root is waited for, for what is left of `wait` (see locked).
    """
    root.mkdir(parents=True, exist_ok=True)
    with locked(root, exclusive=True, wait=wait):
        return _save(index, root, corpus_files)


def _save(index: Index, root: Path, corpus_files: CorpusFiles) -> Path:
    corpus_signature = corpus_files.signature
    for leftover in root.glob(f"{BUILDING}*"):  # a save that was killed (no other save holds the lock)
        shutil.rmtree(leftover, ignore_errors=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=BUILDING))
    try:
        write(work, index.state())
        # The key of every corpus file it was built from: what a start on changed files updates from.
        keys = {name: list(key) for name, key in sorted(corpus_files.keys.items())}
        (work / CORPUS_FILES).write_text(json.dumps(keys), encoding="utf-8")
        paths = sorted(work.iterdir())
        files = {path.name: digest for path, digest in zip(paths, _digests(paths), strict=True)}
        manifest = {
            "builder": builder(),
            "signature": corpus_signature,
            "corpus_version": index.corpus.version,
            "passages": len(index.corpus.passages),
            "created": time.time(),
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for path in work.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        target = root / f"snapshot-{corpus_signature[:16]}"
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for other in root.glob("snapshot-*"):
        if other != target:
            shutil.rmtree(other, ignore_errors=True)
    return target


class UnusableSnapshotError(Exception):
    """Why a snapshot cannot be used (it is then ignored and the index rebuilt)."""


def load(
    root: Path,
    corpus_files: CorpusFiles,
    *,
    policy: AnswerPolicy | None = None,
    model: AnswerModel | None = None,
    wait: LockWait | None = None,
) -> Index:
    """Return the index of the snapshot for exactly these corpus files.

    Raises UnusableSnapshotError, saying why, when there is none or it cannot be trusted (a save
    under way is waited for, for what is left of `wait`).
    """
    directory = root / f"snapshot-{corpus_files.signature[:16]}"
    with _shared(root, wait):
        manifest = _manifest(directory)
        if manifest.get("signature") != corpus_files.signature:
            raise UnusableSnapshotError("the corpus files changed since it was built")
        return _verified(directory, manifest, corpus_files.keys, policy, model)


def _shared(root: Path, wait: LockWait | None) -> contextlib.ExitStack[bool | None]:
    """Return the index directory's shared lock, held (a save waits until the snapshot is read)."""
    if not root.is_dir():
        raise UnusableSnapshotError("there is none")
    held = contextlib.ExitStack()
    try:
        held.enter_context(locked(root, exclusive=False, wait=wait))
    except OSError as error:
        raise UnusableSnapshotError(f"the index directory cannot be locked ({error})") from error
    return held


def load_base(
    root: Path,
    usable: Callable[[dict[str, FileKey]], str | None],
    *,
    policy: AnswerPolicy | None = None,
    model: AnswerModel | None = None,
    wait: LockWait | None = None,
) -> Index:
    """Return the index of a snapshot of other corpus files than the ones there now (its `files`
    those it was built from).

    `usable` is asked first, with the snapshot's files: None to use it, else why not.
    Raises UnusableSnapshotError, saying why, when there is none or it cannot be trusted.
    """
    with _shared(root, wait):
        return _load_base(root, usable, policy, model)


def _load_base(
    root: Path,
    usable: Callable[[dict[str, FileKey]], str | None],
    policy: AnswerPolicy | None,
    model: AnswerModel | None,
) -> Index:
    reasons = []
    for directory in sorted(root.glob("snapshot-*")):
        try:
            manifest = _manifest(directory)
            try:  # read before its checksum is checked, only to decide whether to try; _verified checks it
                raw = json.loads((directory / CORPUS_FILES).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise UnusableSnapshotError(f"no readable list of corpus files ({type(error).__name__})") from error
            if not isinstance(raw, dict):
                raise UnusableSnapshotError("its list of corpus files is not one")
            keys = {name: (int(a), int(b), int(c), int(d)) for name, (a, b, c, d) in raw.items()}
            refused = usable(keys)
            if refused is not None:
                raise UnusableSnapshotError(refused)
            index = _verified(directory, manifest, keys, policy, model)
        except UnusableSnapshotError as refused:
            reasons.append(str(refused))
            continue
        except (TypeError, ValueError) as error:
            reasons.append(f"its list of corpus files is not one ({error})")
            continue
        return index
    raise UnusableSnapshotError("; ".join(reasons) or "there is none")


def _regular(path: Path) -> bool:
    """Whether a path is a regular file itself, not a link to one or anything else."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _manifest(directory: Path) -> dict[str, Any]:
    """Return a snapshot's manifest if it is one this code built."""
    try:
        if not _regular(directory / MANIFEST):
            raise OSError("the manifest is not a regular file")
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UnusableSnapshotError(f"no readable manifest ({type(error).__name__})") from error
    if not isinstance(manifest, dict) or manifest.get("builder") != builder():
        raise UnusableSnapshotError(f"built by {manifest.get('builder') if isinstance(manifest, dict) else '?'}")
    return manifest


def _verified(
    directory: Path,
    manifest: dict[str, Any],
    corpus_files: Mapping[str, FileKey],
    policy: AnswerPolicy | None,
    model: AnswerModel | None,
) -> Index:
    """Return what a snapshot holds once every file is checked against its manifest, its contents
    are ones a build could have made, and its articles are those of `corpus_files` (name -> key)."""
    files = manifest.get("files")
    present = {path.name for path in directory.iterdir()} - {MANIFEST}
    if not isinstance(files, dict) or set(files) != present:
        raise UnusableSnapshotError("its files are not the ones its manifest lists")
    names = sorted(files)
    for name in names:  # a link (to /dev/zero, say) or a device would be read without end
        if not _regular(directory / name):
            raise UnusableSnapshotError(f"{name} is not a regular file")
    for name, digest in zip(names, _digests([directory / name for name in names]), strict=True):
        if digest != files[name]:
            raise UnusableSnapshotError(f"{name} is damaged (checksum)")
    try:
        index = Index.restore(Stored(directory), files=dict(corpus_files), policy=policy, model=model)
        if len(index.corpus.passages) != manifest["passages"]:
            raise ValueError(f"{len(index.corpus.passages)} passages, the manifest says {manifest['passages']}")
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise UnusableSnapshotError(f"unreadable ({type(error).__name__}: {error})") from error
    # A file is named by its article's id: a snapshot of another corpus holds other articles.
    stems = {name.rpartition(".")[0] for name in corpus_files}
    if set(index.corpus.by_id) != stems or len(stems) != len(corpus_files):
        raise UnusableSnapshotError("its articles are not the corpus files' own")
    # An archive still being embedded: what was embedded since the build is in the store beside.
    VectorStore(directory.parent / STORE).fill(index.parts.vectors)
    return index

"""A built engine persisted under BOT_DATA_DIR/index, so that a start on an unchanged archive loads
instead of rebuilding.

A snapshot is one directory of numpy arrays (loaded memory-mapped, never with pickle) and JSON
files, with a manifest written last: the format and the versions of what built it, a signature of
the corpus files (name, size, modification and change times, inode of each), the corpus version and
a SHA-256 of every other file. It is written into a temporary directory and renamed into place, so
a build killed half-way leaves no snapshot, only a temporary directory that the next save deletes.
A snapshot whose manifest, signature, versions or checksums do not match is ignored (and the engine
rebuilt): never trusted, never answered from.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import mmap
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.core.answering import dense
from bot.core.answering.dense import PassageVectors
from bot.core.answering.features import FEATURE_OF, PassageFeatures
from bot.core.answering.meaning import DIMENSIONS, Vocabulary
from bot.core.answering.model import AnswerModel
from bot.core.answering.policy import AnswerPolicy
from bot.core.answering.search import Answerer
from bot.core.corpus import Article, Corpus, CorpusError, PassageTable
from bot.core.retrieval.bm25 import Bm25Index, Bm25State
from bot.core.store import FileKey, file_key, scan_corpus

LOGGER = logging.getLogger(__name__)
FORMAT = 2  # 2: term counts and passage lengths kept, for adding articles
MANIFEST = "manifest.json"
CORPUS_FILES = "corpus_files.json"
BUILDING = ".building-"
LOCK = ".lock"


# The code whose output a snapshot holds: any change to it (or to the language data) means rebuild.
_BUILDING_CODE = (
    "snapshot.py",
    "corpus.py",
    "text.py",
    "retrieval",
    "answering/features.py",
    "answering/meaning.py",
    "answering/dense.py",
    "lang",
)


@functools.cache
def builder() -> str:
    """What built a snapshot: its format, the libraries that shape its contents, and a hash of the code."""
    core = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _BUILDING_CODE:
        for path in sorted([core / name] if (core / name).is_file() else (core / name).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".txt"}:
                digest.update(path.relative_to(core).as_posix().encode() + b"\0" + path.read_bytes())
    return (
        f"format {FORMAT}; sentencex {version('sentencex')}; wordllama {version('wordllama')}; "
        f"{dense.model_version()}; code {digest.hexdigest()[:16]}"
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


def save(
    engine_corpus: Corpus, answerer: Answerer, root: Path, corpus_files: CorpusFiles, *, wait: LockWait | None = None
) -> Path:
    """Write a snapshot of a built engine under root; return its directory (older snapshots removed).

    Another process saving into root is waited for, for what is left of `wait` (see locked).
    """
    root.mkdir(parents=True, exist_ok=True)
    with locked(root, exclusive=True, wait=wait):
        return _save(engine_corpus, answerer, root, corpus_files)


def _save(engine_corpus: Corpus, answerer: Answerer, root: Path, corpus_files: CorpusFiles) -> Path:
    corpus_signature = corpus_files.signature
    for leftover in root.glob(f"{BUILDING}*"):  # a save that was killed (no other save holds the lock)
        shutil.rmtree(leftover, ignore_errors=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=BUILDING))
    try:
        _write(work, engine_corpus, answerer)
        # The key of every corpus file it was built from: what a start on changed files updates from.
        keys = {name: list(key) for name, key in sorted(corpus_files.keys.items())}
        (work / CORPUS_FILES).write_text(json.dumps(keys), encoding="utf-8")
        paths = sorted(work.iterdir())
        files = {path.name: digest for path, digest in zip(paths, _digests(paths), strict=True)}
        manifest = {
            "builder": builder(),
            "signature": corpus_signature,
            "corpus_version": engine_corpus.version,
            "passages": len(engine_corpus.passages),
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


def _write(work: Path, corpus: Corpus, answerer: Answerer) -> None:
    # Article texts as one UTF-8 file with each piece's end (in bytes): a 200 MB JSON document of a
    # million-passage archive took 0.6 s to parse; the pieces decode in a fraction of that.
    articles, pieces = [], []
    for article in corpus.articles:
        fields = asdict(article)
        fields["paragraphs"] = len(article.paragraphs)
        for key in ("title", "caption", "credit"):
            fields[key] = None
        pieces += [article.title, article.caption, article.credit, *article.paragraphs]
        articles.append(fields)
    (work / "articles.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    encoded = [piece.encode("utf-8", "surrogatepass") for piece in pieces]
    (work / "texts.txt").write_bytes(b"".join(encoded))
    text_ends = np.cumsum([len(piece) for piece in encoded], dtype=np.int64)
    table = (
        corpus.passages
        if isinstance(corpus.passages, PassageTable)
        else PassageTable.of(corpus.articles, corpus.passages)
    )
    arrays: dict[str, Any] = {
        "text_ends": text_ends,
        "passage_article": table.article,
        "passage_paragraph": table.paragraph,
        "passage_sentence": table.sentence,
        "passage_start": table.start,
        "passage_end": table.end,
    }
    kernel = answerer.index.state()
    terms, weights = kernel.terms, kernel.weights
    arrays |= {
        "weights_data": weights.data,
        "weights_indices": weights.indices,
        "weights_indptr": weights.indptr,
        "idf": kernel.idf,
        "impact": kernel.impact,
        "counts": kernel.counts,
        "doc_len": kernel.doc_len,
    }
    features = answerer.features
    arrays |= {
        "flags": features.flags,
        "word_starts": features.word_starts,
        "word_ids": features.word_ids,
        "paragraphs": features.paragraphs,
        "vectors": answerer.vocabulary.vectors,
        "passage_vectors": answerer.vectors.matrix,
    }
    if answerer.vectors.live is not None:
        arrays["passage_live"] = answerer.vectors.live
    for name, array in arrays.items():
        np.save(work / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    strings = {
        "terms": terms,
        "shape": list(weights.shape),
        "name_pairs": sorted(features.name_pairs),
        "surface": features.surface,
        "context": {str(doc): sorted(found) for doc, found in features.context.items()},
        "words": list(features.words),
        "word_terms": list(features.word_terms),
    }
    (work / "strings.json").write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")


class UnusableSnapshotError(Exception):
    """Why a snapshot cannot be used (it is then ignored and the engine rebuilt)."""


def load(
    root: Path,
    corpus_files: CorpusFiles,
    *,
    policy: AnswerPolicy | None = None,
    model: AnswerModel | None = None,
    wait: LockWait | None = None,
) -> tuple[Corpus, Answerer]:
    """Return the corpus and answerer of the snapshot for exactly these corpus files.

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
) -> tuple[Corpus, Answerer, dict[str, FileKey]]:
    """Return the corpus and answerer of a snapshot of other corpus files than the ones there now,
    and the files it was built from (name -> key).

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
) -> tuple[Corpus, Answerer, dict[str, FileKey]]:
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
            corpus, answerer = _verified(directory, manifest, keys, policy, model)
        except UnusableSnapshotError as refused:
            reasons.append(str(refused))
            continue
        except (TypeError, ValueError) as error:
            reasons.append(f"its list of corpus files is not one ({error})")
            continue
        return corpus, answerer, keys
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
) -> tuple[Corpus, Answerer]:
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
        corpus, answerer = _read(directory, manifest, policy, model)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise UnusableSnapshotError(f"unreadable ({type(error).__name__}: {error})") from error
    # A file is named by its article's id: a snapshot of another corpus holds other articles.
    stems = {name.rpartition(".")[0] for name in corpus_files}
    if set(corpus.by_id) != stems or len(stems) != len(corpus_files):
        raise UnusableSnapshotError("its articles are not the corpus files' own")
    return corpus, answerer


def _read(
    directory: Path, manifest: dict[str, Any], policy: AnswerPolicy | None, model: AnswerModel | None
) -> tuple[Corpus, Answerer]:
    def array(name: str) -> Any:
        # A plain read-only view of the mapped file: numpy's memmap subclass costs on every slice.
        return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    raw_articles = json.loads((directory / "articles.json").read_text(encoding="utf-8"))
    # Each piece is decoded from the mapped file on its own: the whole text is never held twice.
    with open(directory / "texts.txt", "rb") as handle:
        texts = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(handle.fileno()).st_size else b""
    ends = array("text_ends").tolist()
    if (ends[-1] if ends else 0) != len(texts):
        raise ValueError("the article texts do not end where their offsets say")
    starts = [0, *ends[:-1]]
    piece = 0
    built = []
    for raw in raw_articles:
        count = 3 + raw["paragraphs"]
        title, caption, credit, *paragraphs = (
            str(texts[starts[n] : ends[n]], "utf-8", "surrogatepass") for n in range(piece, piece + count)
        )
        piece += count
        raw |= {"title": title, "caption": caption, "credit": credit, "paragraphs": tuple(paragraphs)}
        built.append(Article(**{**raw, "questions": tuple(raw["questions"])}))
    if isinstance(texts, mmap.mmap):
        texts.close()
    if piece != len(ends):
        raise ValueError("the article texts are not the articles' own")
    articles = tuple(built)
    strings = json.loads((directory / "strings.json").read_text(encoding="utf-8"))
    table = PassageTable(
        articles,
        array("passage_article"),
        array("passage_paragraph"),
        array("passage_sentence"),
        array("passage_start"),
        array("passage_end"),
    )
    if len(table) != manifest["passages"]:
        raise ValueError(f"{len(table)} passages, the manifest says {manifest['passages']}")
    by_id = {article.id: article for article in articles}
    _check_passages(table)
    counts = np.bincount(np.asarray(table.article), minlength=len(articles))
    corpus = Corpus(
        articles,
        table,
        manifest["corpus_version"],
        by_id,
        {article.id: int(count) for article, count in zip(articles, counts, strict=True) if count},
    )
    weights = sparse.csr_array(
        (array("weights_data"), array("weights_indices"), array("weights_indptr")), shape=tuple(strings["shape"])
    )
    kernel = Bm25State(strings["terms"], weights, array("idf"), array("impact"), array("counts"), array("doc_len"))
    index = Bm25Index.restore(table, kernel)
    context = {int(doc): frozenset(found) for doc, found in strings["context"].items()}
    by_context: dict[str, list[int]] = {}
    for doc, found in sorted(context.items()):
        for term in found:
            by_context.setdefault(term, []).append(doc)
    features = PassageFeatures(
        array("flags"),
        frozenset(tuple(pair) for pair in strings["name_pairs"]),
        strings["surface"],
        context,
        {term: tuple(docs) for term, docs in by_context.items()},
        tuple(strings["words"]),
        tuple(strings["word_terms"]),
        array("word_starts"),
        array("word_ids"),
        array("paragraphs"),
    )
    vectors = array("vectors")
    _check_features(features, vectors, len(table))
    vocabulary = Vocabulary(features.words, vectors)
    passage_vectors = PassageVectors(
        array("passage_vectors"), array("passage_live") if (directory / "passage_live.npy").exists() else None
    )
    _check_passage_vectors(passage_vectors, len(table))
    publications = {article.source for article in articles}
    answerer = Answerer.restore(
        table, index, features, vocabulary, passage_vectors, publications=publications, policy=policy, model=model
    )
    return corpus, answerer


def _check_passage_vectors(vectors: PassageVectors, passages: int) -> None:
    """Raise ValueError unless each passage has a unit vector (or zeros: text the model cannot read)."""
    matrix = vectors.matrix
    if matrix.dtype != np.float16 or matrix.shape != (passages, dense.DIMENSIONS):
        raise ValueError("the passage vectors do not fit the passages")
    if vectors.live is not None and (vectors.live.dtype != np.bool_ or vectors.live.shape != (passages,)):
        raise ValueError("the passages served do not fit the passages")
    for start in range(0, passages, dense.BLOCK):
        norms = np.linalg.norm(matrix[start : start + dense.BLOCK].astype(np.float32), axis=1)
        if not ((np.abs(norms - 1.0) < 0.01) | (norms == 0)).all():  # also false for NaN and infinity
            raise ValueError("a passage vector is not a unit vector")


def _check_passages(table: PassageTable) -> None:
    """Raise ValueError unless every passage is a stretch of its article's caption or paragraph,
    articles' passages consecutive (a snapshot edited with its checksums recomputed)."""
    article, paragraph = np.asarray(table.article), np.asarray(table.paragraph)
    start, end = np.asarray(table.start), np.asarray(table.end)
    columns = (article, paragraph, np.asarray(table.sentence), start, end)
    if len({len(column) for column in columns}) != 1:
        raise ValueError("the passage columns differ in length")
    if not len(article):
        return
    if article.min() < 0 or article.max() >= len(table.articles) or np.any(np.diff(article) < 0):
        raise ValueError("a passage names no article, or an article's passages are apart")
    # Each article's pieces in passage numbering: its caption (paragraph 0), then its paragraphs.
    counts = np.array([1 + len(a.paragraphs) for a in table.articles], dtype=np.int64)
    firsts = np.cumsum(counts) - counts
    lengths = np.array([len(text) for a in table.articles for text in (a.caption, *a.paragraphs)], dtype=np.int64)
    if paragraph.min() < 0 or np.any(paragraph >= counts[article]):
        raise ValueError("a passage names no paragraph of its article")
    limit = lengths[firsts[article] + paragraph]
    if start.min() < 0 or np.any(start > end) or np.any(end > limit):
        raise ValueError("a passage leaves its paragraph")


def _check_features(features: PassageFeatures, vectors: Any, passages: int) -> None:
    """Raise ValueError unless the features fit the passages and words (see _check_passages)."""
    if features.flags.shape != (passages, len(FEATURE_OF)) or features.flags.dtype != np.bool_:
        raise ValueError("the passage features do not fit the passages")
    starts, ids = features.word_starts, features.word_ids
    if len(starts) != passages + 1 or starts[0] != 0 or starts[-1] != len(ids) or np.any(np.diff(starts) < 0):
        raise ValueError("the passages' words are not in order")
    if len(ids) and (ids.min() < 0 or ids.max() >= len(features.words)):
        raise ValueError("a passage's word is not in the vocabulary")
    if len(features.word_terms) != len(features.words) or len(set(features.words)) != len(features.words):
        raise ValueError("the words do not fit their terms")
    if vectors.shape != (len(features.words), DIMENSIONS) or not np.isfinite(vectors).all():
        raise ValueError("the word vectors do not fit the words")
    spans, numbers = features.paragraphs, np.arange(passages)
    if spans.shape != (passages, 2) or np.any(spans[:, 0] > numbers) or np.any(spans[:, 1] <= numbers):
        raise ValueError("a passage's paragraph does not hold it")
    if np.any(spans[:, 1] > passages) or any(not 0 <= doc < passages for doc in features.context):
        raise ValueError("a paragraph or a context names no passage")

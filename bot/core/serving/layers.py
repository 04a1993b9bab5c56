"""The persisted parts of an index, one class each: what it saves, how it reads it back and checks
it, and which code its contents come from (its version).

A part's `state()` is a mapping of names to values: a numpy array is stored as `NAME.npy` (loaded
memory-mapped), bytes as the file `NAME` itself, anything else as the entry NAME of `strings.json`.
`restore()` reads them back through a `Stored` and raises ValueError (or KeyError, TypeError,
IndexError, OSError) when they are not ones a build could have made. A new persisted part is a new
class here, listed in `LAYERS` and held by `Index`; the snapshot stores whatever the parts hand it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import mmap
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Protocol

import numpy as np
from scipy import sparse

from bot.core.answering import dense
from bot.core.answering.dense import PassageVectors
from bot.core.answering.features import FEATURE_OF, PassageFeatures
from bot.core.answering.meaning import DIMENSIONS, Vocabulary
from bot.core.corpus import Article, Corpus, PassageTable
from bot.core.retrieval.bm25 import Bm25Index, Bm25State
from bot.core.text import ENGLISH_TOKENIZER

STRINGS = "strings.json"


class Stored:
    """A snapshot directory as the parts read it back: arrays memory-mapped, strings parsed once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.strings: dict[str, Any] = json.loads((directory / STRINGS).read_text(encoding="utf-8"))

    def array(self, name: str) -> Any:
        """Return a stored array as a plain read-only view of the mapped file (numpy's memmap
        subclass costs on every slice)."""
        return np.asarray(np.load(self.directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    def has_array(self, name: str) -> bool:
        """Whether an array of that name was stored."""
        return (self.directory / f"{name}.npy").exists()

    def path(self, name: str) -> Path:
        """Return the path of a file stored as bytes."""
        return self.directory / name


class Layer(Protocol):
    """A persisted part of an index (see the module's docstring)."""

    name: ClassVar[str]

    @staticmethod
    def builders() -> tuple[object, ...]:
        """Return the classes and functions whose output the part holds (its version is their code's)."""
        ...

    @staticmethod
    def state(part: Any) -> Mapping[str, Any]:
        """Return what restore() reads back."""
        ...


def write(work: Path, state: Mapping[str, Any]) -> None:
    """Store parts' state in a directory (see the module's docstring)."""
    strings = {}
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.save(work / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
        elif isinstance(value, bytes):
            (work / name).write_bytes(value)
        else:
            strings[name] = value
    (work / STRINGS).write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")


class CorpusLayer:
    """The articles (their texts as one UTF-8 file with each piece's end) and the passage table."""

    name: ClassVar[str] = "corpus"

    @staticmethod
    def builders() -> tuple[object, ...]:
        return (Corpus, PassageTable, CorpusLayer)

    @staticmethod
    def state(corpus: Corpus) -> dict[str, Any]:
        # A 200 MB JSON document of a million-passage archive took 0.6 s to parse; the pieces decode
        # in a fraction of that.
        articles, pieces = [], []
        for article in corpus.articles:
            fields = asdict(article)
            fields["paragraphs"] = len(article.paragraphs)
            for key in ("title", "caption", "credit"):
                fields[key] = None
            pieces += [article.title, article.caption, article.credit, *article.paragraphs]
            articles.append(fields)
        encoded = [piece.encode("utf-8", "surrogatepass") for piece in pieces]
        table = (
            corpus.passages
            if isinstance(corpus.passages, PassageTable)
            else PassageTable.of(corpus.articles, corpus.passages)
        )
        return {
            "articles.json": json.dumps(articles, ensure_ascii=False).encode("utf-8"),
            "texts.txt": b"".join(encoded),
            "text_ends": np.cumsum([len(piece) for piece in encoded], dtype=np.int64),
            "passage_article": table.article,
            "passage_paragraph": table.paragraph,
            "passage_sentence": table.sentence,
            "passage_start": table.start,
            "passage_end": table.end,
            "corpus_version": corpus.version,
        }

    @staticmethod
    def restore(stored: Stored) -> Corpus:
        articles = _articles(stored)
        table = PassageTable(
            articles,
            stored.array("passage_article"),
            stored.array("passage_paragraph"),
            stored.array("passage_sentence"),
            stored.array("passage_start"),
            stored.array("passage_end"),
        )
        _check_passages(table)
        counts = np.bincount(np.asarray(table.article), minlength=len(articles))
        return Corpus(
            articles,
            table,
            str(stored.strings["corpus_version"]),
            {article.id: article for article in articles},
            {article.id: int(count) for article, count in zip(articles, counts, strict=True) if count},
        )


def _articles(stored: Stored) -> tuple[Article, ...]:
    raw_articles = json.loads(stored.path("articles.json").read_text(encoding="utf-8"))
    # Each piece is decoded from the mapped file on its own: the whole text is never held twice.
    with open(stored.path("texts.txt"), "rb") as handle:
        texts = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(handle.fileno()).st_size else b""
    ends = stored.array("text_ends").tolist()
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
    return tuple(built)


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


class RetrieverLayer:
    """The kernel's BM25 weights, term counts and passage lengths (Bm25Index.state)."""

    name: ClassVar[str] = "retriever"

    @staticmethod
    def builders() -> tuple[object, ...]:
        return (Bm25Index, RetrieverLayer)

    @staticmethod
    def state(index: Bm25Index) -> dict[str, Any]:
        kernel = index.state()
        weights = kernel.weights
        return {
            "weights_data": weights.data,
            "weights_indices": weights.indices,
            "weights_indptr": weights.indptr,
            "idf": kernel.idf,
            "impact": kernel.impact,
            "counts": kernel.counts,
            "doc_len": kernel.doc_len,
            "terms": kernel.terms,
            "shape": list(weights.shape),
            "language": index.tokenizer.language.code,  # the tokenizer the terms were made by
        }

    @staticmethod
    def restore(stored: Stored, passages: PassageTable) -> Bm25Index:
        weights = sparse.csr_array(
            (stored.array("weights_data"), stored.array("weights_indices"), stored.array("weights_indptr")),
            shape=tuple(stored.strings["shape"]),
        )
        kernel = Bm25State(
            stored.strings["terms"],
            weights,
            stored.array("idf"),
            stored.array("impact"),
            stored.array("counts"),
            stored.array("doc_len"),
        )
        language = stored.strings["language"]
        if language != ENGLISH_TOKENIZER.language.code:
            raise ValueError(f"built in language {language!r}, which this bot does not read")
        return Bm25Index.restore(passages, kernel, tokenizer=ENGLISH_TOKENIZER)


class FeaturesLayer:
    """Every passage's features and the corpus's words (answering.features)."""

    name: ClassVar[str] = "features"

    @staticmethod
    def builders() -> tuple[object, ...]:
        return (PassageFeatures, FeaturesLayer)

    @staticmethod
    def state(features: PassageFeatures) -> dict[str, Any]:
        return {
            "flags": features.flags,
            "word_starts": features.word_starts,
            "word_ids": features.word_ids,
            "paragraphs": features.paragraphs,
            "name_pairs": sorted(features.name_pairs),
            "surface": features.surface,
            "context": {str(doc): sorted(found) for doc, found in features.context.items()},
            "words": list(features.words),
            "word_terms": list(features.word_terms),
        }

    @staticmethod
    def restore(stored: Stored, passages: int) -> PassageFeatures:
        strings = stored.strings
        context = {int(doc): frozenset(found) for doc, found in strings["context"].items()}
        by_context: dict[str, list[int]] = {}
        for doc, found in sorted(context.items()):
            for term in found:
                by_context.setdefault(term, []).append(doc)
        features = PassageFeatures(
            stored.array("flags"),
            frozenset(tuple(pair) for pair in strings["name_pairs"]),
            strings["surface"],
            context,
            {term: tuple(docs) for term, docs in by_context.items()},
            tuple(strings["words"]),
            tuple(strings["word_terms"]),
            stored.array("word_starts"),
            stored.array("word_ids"),
            stored.array("paragraphs"),
        )
        _check_features(features, passages)
        return features


def _check_features(features: PassageFeatures, passages: int) -> None:
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
    spans, numbers = features.paragraphs, np.arange(passages)
    if spans.shape != (passages, 2) or np.any(spans[:, 0] > numbers) or np.any(spans[:, 1] <= numbers):
        raise ValueError("a passage's paragraph does not hold it")
    if np.any(spans[:, 1] > passages) or any(not 0 <= doc < passages for doc in features.context):
        raise ValueError("a paragraph or a context names no passage")


class VocabularyLayer:
    """The vector of every corpus word (answering.meaning), one row per word of the features."""

    name: ClassVar[str] = "vocabulary"

    @staticmethod
    def builders() -> tuple[object, ...]:
        return (Vocabulary, VocabularyLayer)

    @staticmethod
    def state(vocabulary: Vocabulary) -> dict[str, Any]:
        return {"vectors": vocabulary.vectors}

    @staticmethod
    def restore(stored: Stored, words: tuple[str, ...]) -> Vocabulary:
        vectors = stored.array("vectors")
        if vectors.shape != (len(words), DIMENSIONS) or not np.isfinite(vectors).all():
            raise ValueError("the word vectors do not fit the words")
        return Vocabulary(words, vectors)


class PassageVectorsLayer:
    """One unit vector per passage (answering.dense), and which passages are served."""

    name: ClassVar[str] = "passage vectors"

    @staticmethod
    def builders() -> tuple[object, ...]:
        return (PassageVectors, PassageVectorsLayer, dense.model_version())

    @staticmethod
    def state(vectors: PassageVectors) -> dict[str, Any]:
        # An archive still being embedded stores its passages' digests only: the vectors made so far
        # are in the embedding store (serving.embedding), which fills them in again on load.
        state: dict[str, Any] = (
            {"passage_keys": vectors.keys}
            if vectors.missing and vectors.keys is not None
            else {"passage_vectors": vectors.matrix}
        )
        if vectors.live is not None:
            state["passage_live"] = vectors.live
        return state

    @staticmethod
    def restore(stored: Stored, passages: int) -> PassageVectors:
        live = stored.array("passage_live") if stored.has_array("passage_live") else None
        if stored.has_array("passage_keys"):
            keys = stored.array("passage_keys")
            if keys.dtype != np.uint8 or keys.shape != (passages, dense.DIGEST):
                raise ValueError("the passage digests do not fit the passages")
            vectors = PassageVectors.pending(np.array(keys), live)
        else:
            vectors = PassageVectors(stored.array("passage_vectors"), live)
        _check_passage_vectors(vectors, passages)
        return vectors


def _check_passage_vectors(vectors: PassageVectors, passages: int) -> None:
    """Raise ValueError unless each passage has a unit vector (or zeros: text the model cannot read)."""
    matrix = vectors.matrix
    if matrix.dtype != np.float16 or matrix.shape != (passages, dense.DIMENSIONS):
        raise ValueError("the passage vectors do not fit the passages")
    if vectors.live is not None and (vectors.live.dtype != np.bool_ or vectors.live.shape != (passages,)):
        raise ValueError("the passages served do not fit the passages")
    if vectors.embedded is not None:
        return  # rows of zeros made here, filled from the store by rows it checked (embedding._usable)
    for start in range(0, passages, dense.BLOCK):
        norms = np.linalg.norm(matrix[start : start + dense.BLOCK].astype(np.float32), axis=1)
        if not ((np.abs(norms - 1.0) < 0.01) | (norms == 0)).all():  # also false for NaN and infinity
            raise ValueError("a passage vector is not a unit vector")


LAYERS: tuple[type[Layer], ...] = (CorpusLayer, RetrieverLayer, FeaturesLayer, VocabularyLayer, PassageVectorsLayer)


def version(layer: type[Layer]) -> str:
    """Return a digest of the code (and language data) whose output a layer holds: the modules that
    define its builders and every module of the bot they import, followed to the end. A file
    renamed or added is followed like any other, so no list of paths can miss it."""
    digest = hashlib.sha256()
    for builder in layer.builders():
        if isinstance(builder, str):  # a version named outright (a model's)
            digest.update(builder.encode() + b"\0")
    root = Path(inspect.getfile(sys.modules["bot"])).parent
    for path in sorted(code_files(layer.builders())):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def code_files(builders: tuple[object, ...]) -> set[Path]:
    """Return the source files of the bot's modules that define the builders or that those import,
    followed to the end, with the language data (text files) beside them."""
    modules = [module for builder in builders if (module := inspect.getmodule(builder)) is not None]
    seen: dict[str, ModuleType] = {}
    while modules:
        module = modules.pop()
        if module.__name__ in seen or not module.__name__.startswith("bot."):
            continue
        seen[module.__name__] = module
        modules.extend(_imported(module))
    files = set()
    for module in seen.values():
        source = Path(inspect.getfile(module))
        files.add(source)
        data = source.parent if source.name == "__init__.py" else source.with_suffix("")
        files.update(_data_files(data))
    return files


def _imported(module: ModuleType) -> Iterator[ModuleType]:
    """Return the modules of the bot that a module imports, or whose names it imports."""
    for value in vars(module).values():
        if isinstance(value, ModuleType):
            yield value
        elif (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__.startswith("bot."):
            yield sys.modules[value.__module__]


def _data_files(directory: Path) -> Iterator[Path]:
    """Return the language data (text files) under a directory, if it is one."""
    if directory.is_dir():
        yield from (path for path in directory.rglob("*.txt") if path.is_file())

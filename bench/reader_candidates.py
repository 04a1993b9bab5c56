"""Write the reader's candidates: bench/reader_candidates.py [--out FILE].

For every question of the public SQuAD half (each article its own corpus) and of the project's own
question files (the shipped corpus), the candidate stage (BM25 with word meaning, the ranking
signals) picks the best CANDIDATES passages; each is written with whether it holds a gold answer,
so bench/train_reader.py can train and cross-validate the reader on exactly what it will rerank.
No question is refused before this stage: the names and numbers the corpus never mentions are
written as a feature instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_answering import OWN, SQUAD  # noqa: E402
from bot.core.answering.fitting import contains_answer  # noqa: E402
from bot.core.answering.policy import AnswerPolicy  # noqa: E402
from bot.core.answering.reader import CANDIDATES  # noqa: E402
from bot.core.answering.spans import short_answer  # noqa: E402
from bot.core.corpus import build_corpus  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.evaluate import read_cases, read_squad  # noqa: E402
from bot.core.store import check_corpus  # noqa: E402


def main() -> int:
    """Examine every question and write one JSON line per question with its candidates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--own", type=Path, nargs="*", default=OWN)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reader_candidates.jsonl")
    args = parser.parse_args()
    started = time.perf_counter()
    jobs = [
        (article.title, build_corpus([article]), [(q.question, q.answers, "squad") for q in questions])
        for article, questions in read_squad(args.squad)
    ]
    articles, problems = check_corpus(args.corpus)
    if problems:
        raise SystemExit("; ".join(problems))
    own = [(case.q, case.expect or (), path.name) for path in args.own for case in read_cases(path)]
    jobs.append(("own corpus", build_corpus(articles), own))
    policy = AnswerPolicy(refuse_unmentioned=False, use_reader=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for group, corpus, asked in jobs:
            engine = Engine.from_corpus(corpus, policy=policy)
            for question, answers, source in asked:
                out.write(json.dumps(row(engine, group, question, answers, source)) + "\n")
            print(f"{group}: {len(asked)} questions ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


def row(engine: Engine, group: str, question: str, answers: tuple[str, ...], source: str) -> dict[str, object]:
    """Return one question's candidates as the candidate stage orders them, with their labels."""
    answerer = engine.answerer
    examined = answerer.examine(question)
    candidates: list[dict[str, object]] = []
    probability = 0.0
    missing = 0
    if examined is not None and len(examined.docs) and examined.eligible.any():
        scores, probability = answerer.decide(examined)
        missing = sum(c.is_name or c.is_number for c in examined.unmentioned)
        order = np.lexsort((examined.docs, -scores))[:CANDIDATES]
        query_terms = frozenset(term for concept in examined.concepts for term, _ in concept.variants)
        for n in order.tolist():
            if not np.isfinite(scores[n]):
                break
            text = answerer.passages[int(examined.docs[n])].text
            span = short_answer(text, examined.question.want, query_terms)
            candidates.append(
                {
                    "text": text,
                    "label": bool(answers) and contains_answer(text, answers),
                    "score": float(scores[n]),
                    "short": None if span is None else text[span.start : span.end],
                }
            )
    return {
        "group": group,
        "source": source,
        "question": question,
        "answers": list(answers),
        "probability": probability,
        "missing": missing,
        "candidates": candidates,
    }


if __name__ == "__main__":
    raise SystemExit(main())

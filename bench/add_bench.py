"""Adding articles to a newsroom-sized archive: how long until a new article is answered from.

    python bench/add_bench.py --archive /tmp/archive1m --work /tmp/add-bench --adds 10 [--restart] [--merge] [--json]

The archive (make_archive.py; 40,000 articles make a million passages) is hard-linked into a work
folder once, and its index snapshot is kept there, so that only the first run builds. Each add is
what the bot does when an admin presses Add, timed in this process, the engine alone:

- check: the corpus checked with the new article in it (files the engine read, unchanged since,
  are not read again), then the file written (store.put_article);
- reload: open_index(live=engine, files=...), which grows the engine by the new file (the files
  as the check found them and the write left them: the folder is not listed twice);
- question: a question only the new article answers, which must come back with its passage.

"searchable" is check + reload: from the admin's Add to the moment questions see the article.
Then the first added article is replaced (its made-up envoy renamed) and the second removed,
each timed the same way, and checked: the old text is never found again, the new one is.
With --restart, a fresh process then starts on the archive with the added files (the snapshot
updated by them) and answers; with --merge, the full build that replaces an updated engine is timed
(in this process, not niced). The added files are removed at the end. Peak memory is the
restarted process's own high-water mark (VmHWM: ru_maxrss would count this process's, inherited
across fork and exec).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import synthetic_passages  # noqa: E402
from bot.core.articles.store import put_article, take_article  # noqa: E402
from bot.core.corpus import Article  # noqa: E402
from bot.core.serving import open_index  # noqa: E402

ADDED = "2030-01-01-added-story-"
RESTART = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.core.serving import Index, open_index
engine = open_index(Path({archive!r}), snapshots=Path({snapshots!r}))
result = engine.search({question!r}, 3)
answered = time.perf_counter()
print(json.dumps({{"first_answer_s": answered - started, "unmerged_passages": engine.unmerged,
    "found": bool(result.hits) and result.hits[0].passage.article_id.startswith({added!r}),
    "peak_rss_mb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) // 1024}}))
"""


def new_article(number: int) -> tuple[Article, str]:
    """Return a 25-sentence article only it mentions a made-up envoy in, and a question about him."""
    sentences = [p.text for p in synthetic_passages(40 + number * 30) if p.article_id.startswith("synth")][-24:]
    envoy = f"Quxler{number:03d}"
    sentences.insert(7, f"The envoy {envoy} arrived in Vostrava with 412 delegates on Monday.")
    paragraphs = tuple(" ".join(sentences[i : i + 5]) for i in range(0, 25, 5))
    article = Article(f"{ADDED}{number:03d}", f"Added Story {number}", "2030-01-01", "Bench Times", None, paragraphs)
    return article, f"where did the envoy {envoy.lower()} arrive"


def prepare(archive: Path, work: Path) -> Path:
    """Return the work folder's corpus: the archive hard-linked (made once)."""
    corpus = work / "corpus"
    if not corpus.exists():
        shutil.copytree(archive, corpus, copy_function=os.link)
    for leftover in corpus.glob(f"{ADDED}*"):
        leftover.unlink()
    return corpus


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(archive: Path, work: Path, adds: int, restart: bool, merge: bool) -> dict[str, Any]:
    corpus = prepare(archive, work)
    snapshots, trash = work / "index", work / "trash"
    started = time.perf_counter()
    engine = open_index(corpus, snapshots=snapshots)
    engine.search("how many troops did north korea send", 3)  # a serving bot has answered questions
    result: dict[str, Any] = {
        "passages": len(engine.corpus.passages),
        "articles": len(engine.corpus.articles),
        "start_s": time.perf_counter() - started,
    }
    rows, question = [], ""
    try:
        for number in range(adds):
            article, question = new_article(number)
            began = time.perf_counter()
            done = put_article(corpus, article, trash=trash, replace=False, known=engine.known_files())
            checked = time.perf_counter()
            engine = open_index(corpus, snapshots=snapshots, live=engine, files=done.files)
            reloaded = time.perf_counter()
            found = engine.search(question, 3)
            asked = time.perf_counter()
            rows.append(
                {
                    "check_s": checked - began,
                    "reload_s": reloaded - checked,
                    "searchable_s": reloaded - began,
                    "question_s": asked - reloaded,
                    "found": bool(found.hits) and found.hits[0].passage.article_id == article.id,
                    "unmerged_passages": engine.unmerged,
                }
            )
        result["adds"] = rows
        for key in ("check_s", "reload_s", "searchable_s", "question_s"):
            values = [row[key] for row in rows]
            result[key] = {"p50": statistics.median(values), "max": max(values)}
        result["all_found"] = all(row["found"] for row in rows)
        # Replace the first added article (its envoy renamed), then remove the second.
        article, question = new_article(0)
        renamed = replace(article, paragraphs=tuple(p.replace("Quxler000", "Zyphor000") for p in article.paragraphs))
        began = time.perf_counter()
        done = put_article(corpus, renamed, trash=trash, replace=True, known=engine.known_files())
        engine = open_index(corpus, snapshots=snapshots, live=engine, files=done.files)
        replaced = time.perf_counter() - began
        old_found = engine.search(question, 3)
        new_found = engine.search("where did the envoy zyphor000 arrive", 3)
        began = time.perf_counter()
        gone_id = new_article(1)[0].id
        done = take_article(corpus, gone_id, trash=trash, known=engine.known_files())
        engine = open_index(corpus, snapshots=snapshots, live=engine, files=done.files)
        removed = time.perf_counter() - began
        gone_found = engine.search(new_article(1)[1], 3)
        result["replace"] = {
            "searchable_s": replaced,
            "old_text_gone": all("Quxler000" not in hit.passage.text for hit in old_found.hits),
            "new_text_found": bool(new_found.hits) and "Zyphor000" in new_found.hits[0].passage.text,
        }
        result["remove"] = {
            "searchable_s": removed,
            "gone": all(hit.passage.article_id != gone_id for hit in gone_found.hits),
        }
        result["unmerged_passages"] = engine.unmerged
        if restart:
            code = RESTART.format(
                root=str(ROOT), archive=str(corpus), snapshots=str(snapshots), question=question, added=ADDED
            )
            started_process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            result["restart"] = json.loads(started_process.stdout.strip().splitlines()[-1])
        if merge:
            began = time.perf_counter()
            merged = open_index(corpus, snapshots=snapshots, grow=False)
            result["merge_s"] = time.perf_counter() - began
            result["merged_found"] = merged.search(question, 3).hits[0].passage.article_id.startswith(ADDED)
    finally:
        for added in corpus.glob(f"{ADDED}*"):
            added.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--adds", type=int, default=10)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = run(args.archive, args.work, args.adds, args.restart, args.merge)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{result['passages']:,} passages, {result['articles']:,} articles; start {result['start_s']:.2f} s")
    for key in ("check_s", "reload_s", "searchable_s", "question_s"):
        print(f"{key:>13}: p50 {result[key]['p50']:.3f} s, max {result[key]['max']:.3f} s")
    print(f"every added article answered from: {result['all_found']}")
    print(f"replace: {result['replace']}")
    print(f"remove: {result['remove']}")
    if "restart" in result:
        print(f"restart with the added files: {result['restart']}")
    if "merge_s" in result:
        print(f"merge (full build): {result['merge_s']:.1f} s")


if __name__ == "__main__":
    main()

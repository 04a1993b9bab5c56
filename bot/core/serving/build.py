"""Build the index of a corpus directory in a process of its own and save its snapshot.

    python -m bot.core.serving.build CORPUS_DIR SNAPSHOTS_DIR [LOCK_WAIT_SECONDS]

What a reload runs while the serving process keeps answering: the build holds this process's GIL,
not the bot's; the bot then loads the snapshot (memory-mapped, seconds at a million passages).
Exit status 0 when the snapshot is written, 2 with the problem on standard error when the corpus
cannot be served, 1 for anything else (the snapshot could not be saved: a full disk, say).
LOCK_WAIT_SECONDS: what is left of the serving process's wait for the index directory's lock.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from bot.core.corpus import CorpusError
from bot.core.serving.opening import CORPUS_PROBLEM, open_index


def main(argv: list[str]) -> int:
    try:
        lock_wait = float(argv[2]) if len(argv) == 3 else None
    except ValueError:
        lock_wait = -1.0
    if len(argv) not in (2, 3) or (lock_wait is not None and not 0 <= lock_wait < float("inf")):
        print("usage: python -m bot.core.serving.build CORPUS_DIR SNAPSHOTS_DIR [LOCK_WAIT_SECONDS]", file=sys.stderr)
        return 1
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    os.nice(10)  # the serving process's questions come first
    try:
        # A full build: a merge.
        open_index(Path(argv[0]), snapshots=Path(argv[1]), grow=False, must_save=True, lock_wait=lock_wait)
    except CorpusError as error:
        print(str(error), file=sys.stderr)
        return CORPUS_PROBLEM
    except OSError as error:  # a full disk: the serving process keeps its index and says so
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

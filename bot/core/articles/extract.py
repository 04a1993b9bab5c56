"""The one way an article is read out of a page or a file, for every way in: a link (/add, a pasted
link, a feed item, `python -m bot ingest URL`), an uploaded file and `python -m bot ingest FILE`.

    python -m bot.core.articles.extract PARENT_PID    (a capture as JSON on standard input, the report out)

Extraction (trafilatura over lxml) holds the GIL for as long as it runs, and a hostile page runs
long (a tag with 80,000 attributes: 13 s here, 89 s on a slower machine), so it never runs in the
bot's process. Each capture is read by a fresh process of its own — no pool, no fork server, no
resource tracker — after the same caps for all (size, paragraphs). That process is killed at the
time limit and whenever its caller stops waiting (the task cancelled: a SIGTERM stopping the bot),
and it kills itself when the bot dies without a word (SIGKILL): on Linux the kernel sends it SIGKILL
(PR_SET_PDEATHSIG), and everywhere a thread checks twice a second that its parent is still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.articles.ingest import IngestReport, ingest, ingest_html
from bot.core.corpus import Article, CorpusError
from bot.core.said import N_, Text

LOGGER = logging.getLogger("bot.extract")
# A page or file bigger than this is no news article (a fetch stops reading at the same size).
MAX_BYTES = 5_000_000
# A page with more paragraphs than this is no news article (one of 140,000 took 51 s to extract).
MAX_PARAGRAPHS = 20_000
# An extraction still running after this long is stopped (its process killed).
EXTRACT_SECONDS = 20.0
UPLOAD_TYPES = {"txt", "md", "html", "htm"}
_HTML_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)
_TEXT_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_PR_SET_PDEATHSIG = 1
_PARENT_CHECK_SECONDS = 0.5
# The refusals, by what the admin sent ("page" or "file").
OVER_SIZE = {
    "page": N_("That page is over {size} MB, so I didn't read it."),
    "file": N_("That file is over {size} MB, so I didn't read it."),
}
OVER_PARAGRAPHS = {
    "page": N_("That page has over {count} paragraphs, so I didn't read it."),
    "file": N_("That file has over {count} paragraphs, so I didn't read it."),
}
TOO_SLOW = {
    "page": N_("That page took over {seconds} s to read, so I didn't add it."),
    "file": N_("That file took over {seconds} s to read, so I didn't add it."),
}
FAILED = {
    "page": N_("Reading that page failed, so I didn't add it."),
    "file": N_("Reading that file failed, so I didn't add it."),
}


class ExtractError(CorpusError):
    """A capture not read (too big, too many paragraphs, too slow, the reader failed), as one sentence."""


@dataclass(frozen=True)
class Capture:
    """What to read an article from: the text, whether it is HTML, what the caller knows of it.

    `where` names the capture in errors (a file name or an address); `what` is what the admin
    sent, as the refusals call it ("page" or "file").
    """

    text: str
    html: bool
    date: str | None = None
    source: str | None = None
    url: str | None = None
    where: str = "capture"
    what: str = "page"


def capture_of_upload(name: str, content: bytes) -> Capture:
    """Return the capture of an uploaded .txt, .md or .html file; raise CorpusError saying why not."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in UPLOAD_TYPES:
        raise CorpusError(N_("{name}: send a .txt, .md or .html file"), name=name)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(N_("{name}: not UTF-8 (byte {byte})"), name=name, byte=str(error.start)) from error
    return Capture(text, html=suffix in {"html", "htm"}, where=name, what="file")


def too_big(size: int, what: str = "page") -> ExtractError | None:
    """Return the refusal of a capture of `size` bytes when it is over the cap, else None."""
    if size > MAX_BYTES:
        return ExtractError(OVER_SIZE[what], size=MAX_BYTES // 1_000_000)
    return None


def check_caps(capture: Capture) -> None:
    """Raise ExtractError when a capture is over the size or the paragraph cap (checked before any process)."""
    if refused := too_big(len(capture.text.encode("utf-8", errors="replace")), capture.what):
        raise refused
    pattern = _HTML_PARAGRAPH if capture.html else _TEXT_PARAGRAPH
    if sum(1 for _ in pattern.finditer(capture.text)) > MAX_PARAGRAPHS:
        raise ExtractError(OVER_PARAGRAPHS[capture.what], count=MAX_PARAGRAPHS)


def read_capture(capture: Capture) -> IngestReport:
    """Return the article of a capture, here and now (what the extraction process runs)."""
    if capture.html:
        return ingest_html(capture.text, date=capture.date, url=capture.url)
    return ingest(capture.text, date=capture.date, source=capture.source, url=capture.url, where=capture.where)


async def extract(capture: Capture, *, seconds: float = EXTRACT_SECONDS) -> IngestReport:
    """Return the article of a capture, read in a process of its own stopped after `seconds`.

    Raise ExtractError (over a cap, too slow, the reader failed) or CorpusError (no article in it),
    each one sentence. Cancelling the caller kills the process at once.
    """
    check_caps(capture)
    request = json.dumps(asdict(capture)).encode("utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.core.articles.extract",
        str(os.getpid()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(request), seconds)
    except TimeoutError as error:
        raise ExtractError(TOO_SLOW[capture.what], seconds=f"{seconds:g}") from error
    finally:
        if process.returncode is None:  # timed out, or the caller cancelled (the bot stopping)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()  # reaped at once (it was killed): no zombie, no orphan
    try:
        answer: Any = json.loads(out) if process.returncode == 0 else None
        if isinstance(answer, dict) and "refused" in answer:
            refusal = CorpusError(Text.from_json(answer["refused"]))
        else:
            return _report_of(answer)
    except (ValueError, TypeError, KeyError):  # the process died (killed, out of memory) or wrote nonsense
        last = err.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
        LOGGER.warning("extracting %s failed: %s", capture.where, last[0])
        raise ExtractError(FAILED[capture.what]) from None
    raise refusal


def _report_of(answer: Any) -> IngestReport:
    """Return the report the extraction process wrote; raise TypeError or KeyError if it is not one."""
    fields = dict(answer["article"])
    fields |= {key: tuple(fields[key]) for key in ("paragraphs", "questions")}
    return IngestReport(Article(**fields), tuple(answer["kept"]), tuple(answer["dropped"]))


def die_with(parent: int) -> None:
    """End this process as soon as `parent` is gone, however it ended (SIGKILL included)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_SECONDS)
        os._exit(1)

    if os.getppid() != parent:  # gone before the kernel was asked to tell
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    """Read one capture (JSON) from standard input; write its report, or why it was refused, as JSON."""
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m bot.core.articles.extract PARENT_PID < capture.json", file=sys.stderr)
        return 2
    die_with(int(argv[0]))
    with contextlib.suppress(OSError):
        os.nice(10)  # the bot's questions come first
    capture = Capture(**json.loads(sys.stdin.buffer.read()))
    try:
        report = read_capture(capture)
    except CorpusError as error:
        answer: dict[str, object] = {"refused": error.text.to_json()}
    else:
        answer = {"article": asdict(report.article), "kept": report.kept, "dropped": report.dropped}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The command line: ask, chat, check, eval, ingest, run; with no command, the bot's main job."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from babel import default_locale
from tqdm import tqdm

from bot.core.answer import as_json, format_text
from bot.core.answering.conversation import Turn
from bot.core.answering.fitting import cross_validate
from bot.core.answering.results import SearchResult
from bot.core.articles.extract import Capture, extract, too_big
from bot.core.articles.fetch import FetchError
from bot.core.articles.links import article_from_link
from bot.core.articles.store import existing_file, read_corpus, write_article
from bot.core.corpus import CorpusError, Passage, build_corpus, format_article, is_web_address, passages_of
from bot.core.evaluate import (
    EvalFileError,
    baseline_lines,
    cross_validation_lines,
    curve_lines,
    evaluate,
    evaluate_squad,
    measure_sets,
    read_cases,
    squad_lines,
)
from bot.core.messages import Messages, for_reader
from bot.core.retrieval.base import Progress
from bot.core.serving import Index, open_index
from bot.core.text import escape_controls
from bot.settings import Settings, SettingsError, load_settings

NO_TOKEN = (
    "no Telegram token: set BOT_TELEGRAM_TOKEN in the environment or .env to run the bot "
    "(`python -m bot chat` works without one)"
)


class UsageError(Exception):
    """A problem with what the user asked the command line to do, printed as one line."""


def _engine(settings: Settings) -> Index:
    return open_index(settings.corpus_dir, snapshots=settings.snapshots)


def progress_bar(label: str) -> Progress:
    """Return a wrapper that shows a progress bar over passages on a terminal (nothing elsewhere)."""

    def wrap(passages: Sequence[Passage]) -> Iterable[Passage]:
        return tqdm(passages, desc=label, unit=" passages", disable=None, leave=False)

    return wrap


# Where gettext looks for the language of messages, in order (Babel's default_locale reads them).
MESSAGE_LOCALE = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def console_reader() -> Messages:
    """Return the texts for the console before any question: in the environment's language, else
    English (answers are in the question's). Read as gettext does, LC_CTYPE aside: Python sets it
    to C.UTF-8 itself when the locale LANG names is not installed."""
    return for_reader(default_locale(MESSAGE_LOCALE))


def _top_k(args: argparse.Namespace, settings: Settings) -> int:
    return int(args.top_k) if args.top_k is not None else settings.top_k


def _text(engine: Index, result: SearchResult) -> str:
    return escape_controls(format_text(result, engine.corpus, examples=engine.example_questions()))


# Line breaks that json.dumps(ensure_ascii=False) leaves raw but str.splitlines() breaks a line at
# (U+0085, U+2028, U+2029), and the C1 controls U+0085 is one of: escaped, so each answer of
# `ask --json -` stays one line for every reader.
_JSON_RAW = str.maketrans({code: f"\\u{code:04x}" for code in (*range(0x7F, 0xA0), 0x2028, 0x2029)})


def _json_line(value: object) -> str:
    """Return value as one line of JSON, UTF-8 kept readable, every line-breaking character escaped."""
    return json.dumps(value, ensure_ascii=False).translate(_JSON_RAW)


def _answer_lines(engine: Index, questions: BinaryIO, out: TextIO, *, k: int, as_json_lines: bool) -> None:
    # Bytes in, each line decoded on its own: invalid UTF-8 in one line spoils only that line's text
    # (replacement characters), never the JSON out or the lines after it.
    for raw in questions:
        question = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not question.strip():
            continue
        result, _ = engine.converse(question, k)  # each line on its own: "summarize the article" too
        if as_json_lines:
            out.write(_json_line(as_json(result, engine.corpus)) + "\n")
        else:
            out.write(f"> {escape_controls(question)}\n{_text(engine, result)}\n\n")
        out.flush()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one per line of standard input when the question is '-'."""
    engine = _engine(settings)
    k = _top_k(args, settings)
    if args.question == "-":
        _answer_lines(engine, sys.stdin.buffer, sys.stdout, k=k, as_json_lines=args.json)
        return 0
    result, _ = engine.converse(args.question, k)
    if args.json:
        print(_json_line(as_json(result, engine.corpus)))
    else:
        print(_text(engine, result))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Answer questions typed at the console until an empty line or end of input, each read
    against the one before as a Telegram chat reads it ("tell me more", "and when?")."""
    engine = _engine(settings)
    k = _top_k(args, settings)
    article = engine.corpus.articles[0]
    say = console_reader()
    passages = say.ngettext("{count} passage", "{count} passages", engine.corpus.passages_served)
    print(
        say.gettext(
            "Ask about “{title}” ({passages}). Empty line or Ctrl-D to quit.", title=article.title, passages=passages
        )
    )
    print(say.gettext("For example: {question}", question=engine.example_questions()[0]))
    turn: Turn | None = None
    while True:
        try:
            question = input("? ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        result, turn = engine.converse(question, k, turn)
        print(_text(engine, result), end="\n\n")


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the corpus: list articles and passage counts, print every problem found."""
    articles, problems, _ = read_corpus(settings.corpus_dir)
    say = console_reader()
    for article in articles:
        passages = say.ngettext("{count} passage", "{count} passages", len(passages_of(article)))
        line = f"{article.id}: {article.title} ({article.date}) — {passages}"
        print(escape_controls(line))  # a file's name (the id) may hold what its text may not
    if not problems:
        # The index logs how long each build stage took; a big corpus also shows a progress bar.
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        engine = Index.build(build_corpus(articles), progress=progress_bar("indexing"))
        ok = say.gettext(
            "ok: {articles}, {passages}, version {version}",
            articles=say.ngettext("{count} article", "{count} articles", len(engine.corpus.articles)),
            passages=say.ngettext("{count} passage", "{count} passages", len(engine.answerer)),
            version=engine.corpus.version,
        )
        print(ok)
        return 0
    for problem in problems:
        print(say.gettext("problem: {problem}", problem=escape_controls(say.said(problem))), file=sys.stderr)
    return 1


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Print answer quality over a JSON-lines question file, or over a SQuAD 2.0 file beside a baseline."""
    if args.cross_validate:
        if not args.squad:
            raise UsageError("--cross-validate needs --squad FILE (and takes an own question file as well)")
        own = [Path(args.file)] if args.file else []
        groups, baseline = measure_sets(Path(args.squad), own, _engine(settings).corpus if own else None)
        predictions = cross_validate(groups)
        print("Fitted model, leave one article out: each article answered by a model fitted without it;")
        print("baseline: rank-bm25 BM25Okapi, same sentences and terms, never abstains")
        print("\n".join([*cross_validation_lines(groups, predictions, baseline), "", *curve_lines(predictions)]))
        return 0
    if args.squad:
        tallies = evaluate_squad(Path(args.squad), all_in_one=args.all_in_one, k=_top_k(args, settings))
        mode = "all articles in one corpus" if args.all_in_one else "each article its own corpus"
        print(f"SQuAD {args.squad} ({mode}); baseline: rank-bm25 BM25Okapi, same sentences and terms, never abstains")
        print("\n".join(squad_lines(tallies)))
        return 0
    if not args.file:
        raise UsageError("give a question file, or --squad FILE")
    engine = _engine(settings)
    cases = read_cases(Path(args.file))
    report = evaluate(engine.search, cases, k=_top_k(args, settings))
    print("\n".join(report.lines()))
    print("\n".join(["", *baseline_lines(engine.corpus.passages, cases)]))
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Turn a raw page capture into a corpus file and print what was kept and dropped."""
    if is_web_address(args.raw):  # a link: fetched and extracted as /add does
        report = asyncio.run(article_from_link(args.raw.strip(), settings.fetch_policy()))
    else:
        path = Path(args.raw)
        try:
            if refused := too_big(path.stat().st_size, "file"):  # refused before it is read into memory
                raise refused
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise UsageError(f"{path}: not UTF-8 (byte {error.start})") from error
        except OSError as error:
            raise UsageError(f"{path}: cannot read ({error.strerror})") from error
        html = path.suffix.lower() in {".html", ".htm"}
        capture = Capture(text, html, date=args.date, source=args.source, url=args.url, where=str(path), what="file")
        # The same reading as a link's or an upload's: caps, then a process of its own with a time limit.
        report = asyncio.run(extract(capture, seconds=settings.fetch_policy().extract_seconds))
    out_dir = Path(args.out) if args.out else settings.corpus_dir
    existing = existing_file(out_dir, report.article.id)
    changed = existing is not None and existing.read_text(encoding="utf-8", errors="replace") != format_article(
        report.article
    )
    if changed and not args.force:
        raise UsageError(f"{existing}: exists with other content; use --force to replace it")
    target = write_article(out_dir, report.article, replace=True)
    print(f"wrote {target}")
    print("kept:")
    print("\n".join(f"  {line}" for line in report.kept))
    print("dropped:")
    print("\n".join(f"  {line}" for line in report.dropped) or "  nothing")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the Telegram bot (long polling, or a webhook when BOT_WEBHOOK_URL is set)."""
    if settings.telegram_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.telegram.run import run_bot

    return run_bot(settings)


def cmd_main(args: argparse.Namespace, settings: Settings) -> int:
    """The main job: the Telegram bot with a token; without one, a cited answer and a console chat."""
    if settings.telegram_token is not None:
        return cmd_run(args, settings)
    engine = _engine(settings)
    question = engine.example_questions()[0]
    print(console_reader().gettext("No BOT_TELEGRAM_TOKEN set: answering here instead of on Telegram.") + "\n")
    print(f"> {question}\n{_text(engine, engine.search(question, settings.top_k))}\n")
    if not sys.stdin.isatty():
        return 0
    return cmd_chat(argparse.Namespace(top_k=None), settings)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m bot`."""
    top = argparse.ArgumentParser(prog="python -m bot", description="Answer questions about an article by quoting it.")
    top.set_defaults(handler=cmd_main)
    commands = top.add_subparsers(title="commands", metavar="COMMAND")

    ask = commands.add_parser("ask", help="answer a question ('-': one per line of standard input)")
    ask.add_argument("question", help="the question, or - to read one per line")
    ask.add_argument("--top-k", type=_positive, default=None, help="passages to show (default BOT_TOP_K)")
    ask.add_argument("--json", action="store_true", help="print JSON, one object per question")
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", help="ask questions at the console")
    chat.add_argument("--top-k", type=_positive, default=None)
    chat.set_defaults(handler=cmd_chat)

    check = commands.add_parser("check", help="validate settings and the corpus")
    check.set_defaults(handler=cmd_check)

    evaluation = commands.add_parser("eval", help="score answers against a JSON-lines or a SQuAD 2.0 question file")
    evaluation.add_argument("file", nargs="?", help="JSON lines of {'q': ..., 'expect': [...] or null}")
    evaluation.add_argument("--squad", metavar="FILE", help="a SQuAD 2.0 file: each article its own corpus")
    evaluation.add_argument("--all-in-one", action="store_true", help="with --squad: every article in one corpus")
    evaluation.add_argument(
        "--cross-validate",
        action="store_true",
        help="with --squad: refit the answering model leaving each article out (the question file too)",
    )
    evaluation.add_argument("--top-k", type=_positive, default=None)
    evaluation.set_defaults(handler=cmd_eval)

    ingest_cmd = commands.add_parser("ingest", help="turn a raw page capture, saved page or link into a corpus file")
    ingest_cmd.add_argument("raw")
    ingest_cmd.add_argument("--out", help="directory to write to (default BOT_CORPUS_DIR)")
    ingest_cmd.add_argument("--date", help="YYYY-MM-DD, when the capture has no date banner")
    ingest_cmd.add_argument("--source", help="publication name, when the capture does not say")
    ingest_cmd.add_argument("--url", help="the article's address")
    ingest_cmd.add_argument("--force", action="store_true", help="replace an existing file of the same article")
    ingest_cmd.set_defaults(handler=cmd_ingest)

    run = commands.add_parser("run", help="start the Telegram bot")
    run.set_defaults(handler=cmd_run)
    return top


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 50")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(args, settings))
    except SettingsError as error:
        print(f"settings error: {error}", file=sys.stderr)
        return 2
    except (CorpusError, FetchError) as error:  # an article or a page: said in the console's language
        print(console_reader().gettext("error: {error}", error=console_reader().said(error)), file=sys.stderr)
        return 1
    except (EvalFileError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

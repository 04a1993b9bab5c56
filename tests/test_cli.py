"""Every command of `python -m bot`: in-process through cli.main(argv), and as a process where that matters."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.core.articles.store import read_article
from tests.conftest import ARTICLE_ID, CORPUS_DIR, RAW_CAPTURE

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Return a function running `python -m bot ARGS` in this process, with BOT_ settings from `env` only."""

    def run_in_process(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Ran:
        for name in [k for k in os.environ if k.startswith("BOT_")]:
            monkeypatch.delenv(name)
        for name, value in {"BOT_CORPUS_DIR": str(CORPUS_DIR), **(env or {})}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(ROOT)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogateescape"))))
        capsys.readouterr()
        try:
            status = cli.main(list(args))
        except SystemExit as stop:  # argparse refuses bad arguments this way
            status = int(stop.code or 0)
        out, err = capsys.readouterr()
        return Ran(status, out, err)

    return run_in_process


def run_process(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    clean["BOT_CORPUS_DIR"] = str(CORPUS_DIR)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=60,
    )


def test_main_job_without_token_answers_with_a_citation() -> None:
    result = run_process()
    assert result.returncode == 0, result.stderr
    assert "No BOT_TELEGRAM_TOKEN set" in result.stdout
    assert "10,000 **troops**" in result.stdout
    assert "[¶7, sentence 2]" in result.stdout


def test_ask_prints_cited_answer(run: Any) -> None:
    result = run("ask", "how many trops")
    assert result.returncode == 0
    assert "Russian Senators Ratify Defense Treaty With North Korea — The Moscow Times, 2024-11-06" in result.stdout
    assert "[¶7, sentence 2]" in result.stdout
    assert "(Read “trops” as “troops”.)" in result.stdout


def test_ask_not_in_article(run: Any) -> None:
    result = run("ask", "What is the capital of France?")
    assert result.returncode == 0
    assert "doesn't cover that" in result.stdout


def test_ask_json_lines_from_stdin_in_order(run: Any) -> None:
    result = run("ask", "--json", "-", stdin="how many troops\nhello\n\nwho signed the treaty\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == ["how many troops", "hello", "who signed the treaty"]
    assert [line["answered"] for line in lines] == [True, False, True]
    assert lines[1]["hits"] == []
    hit = lines[0]["hits"][0]
    assert {"text", "score", "citation"} <= set(hit) <= {"text", "score", "citation", "answer"}
    assert hit["answer"]["text"] == "around 10,000 troops"  # optional: a short answer, only in the answer tier
    assert lines[0]["tier"] == "answer"
    assert (
        hit["text"] == "Last month, Washington and its allies said North Korea deployed around 10,000 troops to Russia."
    )
    assert isinstance(hit["score"], float)
    assert hit["citation"] == {
        "article": ARTICLE_ID,
        "title": "Russian Senators Ratify Defense Treaty With North Korea",
        "source": "The Moscow Times",
        "date": "2024-11-06",
        "url": None,
        "paragraph": 7,
        "sentence": 2,
    }


def test_ask_json_single_question_and_top_k(run: Any) -> None:
    answer = json.loads(run("ask", "north korea", "--json", "--top-k", "1").stdout)
    assert len(answer["hits"]) == 1


def ask_json_lines() -> subprocess.Popen[str]:
    """Start `python -m bot ask --json -` on the test corpus with stdin, stdout and stderr piped."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")} | {"BOT_CORPUS_DIR": str(CORPUS_DIR)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean,
        cwd=ROOT,
    )


def test_ask_json_flushes_each_line_as_it_is_answered() -> None:
    with ask_json_lines() as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("how many troops\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())  # arrives while stdin is still open
        assert first["answered"] is True
        process.stdin.close()
        assert process.wait(timeout=30) == 0


def test_a_reader_that_goes_away_stops_the_output_quietly() -> None:
    # `python -m bot ask --json - < questions | head -1`: no traceback when the pipe closes.
    with ask_json_lines() as process:
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdin.write("how many troops\n" * 3000)  # far more answers than a pipe holds
        process.stdin.close()
        assert json.loads(process.stdout.readline())["answered"] is True
        process.stdout.close()
        assert process.wait(timeout=60) == 1
        assert process.stderr.read() == ""


def test_bad_top_k_is_a_clear_error(run: Any) -> None:
    result = run("ask", "troops", "--top-k", "0")
    assert result.returncode == 2
    assert "0 is not between 1 and 50" in result.stderr


def test_chat_answers_until_end_of_input(run: Any) -> None:
    result = run("chat", stdin="how many troops\nhello\n")
    assert result.returncode == 0
    assert "10,000 **troops**" in result.stdout
    assert "doesn't cover that" in result.stdout


RUSSIAN_CONSOLE = {"LANG": "ru_RU.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}


def test_the_console_greets_in_its_environments_language_and_answers_in_the_questions(run: Any) -> None:
    russian = run("chat", stdin="how many troops\nСколько солдат отправила Северная Корея?\n", env=RUSSIAN_CONSOLE)
    english = run("chat", stdin="how many troops\n", env={**RUSSIAN_CONSOLE, "LANG": "C.UTF-8"})
    assert russian.returncode == english.returncode == 0
    greeting, example = russian.stdout.splitlines()[:2]
    assert greeting == (
        "Спрашивайте о статье «Russian Senators Ratify Defense Treaty With North Korea» (10 фрагментов). "
        "Пустая строка или Ctrl-D — выход."
    )
    assert example.startswith("Например: ")
    first, second = russian.stdout.split("\n? ")[1:3]  # after each prompt, its answer
    assert "10,000 **troops**" in first  # an English question: said in English
    assert "[¶7, sentence 2]" in first
    assert "Статья на английском" in second  # a Russian one: in Russian
    assert "[¶7, предложение 2]" in second
    assert english.stdout.startswith(
        "Ask about “Russian Senators Ratify Defense Treaty With North Korea” (10 passages)."
    )
    assert "For example: " in english.stdout


def test_check_and_errors_speak_the_consoles_language(run: Any, tmp_path: Path) -> None:
    checked = run("check", env=RUSSIAN_CONSOLE)
    assert checked.returncode == 0
    assert f"{ARTICLE_ID}: Russian Senators Ratify Defense Treaty With North Korea (2024-11-06) — 10 фрагментов" in (
        checked.stdout
    )
    assert "всё в порядке: 1 статья, 10 фрагментов, версия " in checked.stdout
    missing = run("ask", "troops", env={**RUSSIAN_CONSOLE, "BOT_CORPUS_DIR": str(tmp_path / "nope")})
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"ошибка: {tmp_path / 'nope'}: папка корпуса не найдена"
    (tmp_path / "bad.txt").write_text("title: T\n\nBody.", encoding="utf-8")
    problems = run("check", env={**RUSSIAN_CONSOLE, "BOT_CORPUS_DIR": str(tmp_path)})
    assert problems.returncode == 1
    assert problems.stderr.strip() == f"проблема: {tmp_path / 'bad.txt'}: в шапке нет поля date"


def test_chat_reads_each_message_against_the_one_before(run: Any) -> None:
    """The console chat (the main job without a token) is a chat as Telegram's are: a summary,
    what follows the passages quoted, the end of the article said."""
    result = run("chat", stdin="summarize the article\ntell me more\ntell me more\ntell me more\ntell me more\n")
    assert result.returncode == 0
    assert "The article in brief:" in result.stdout
    assert "What the article says next:" in result.stdout
    assert "That is the end of the article" in result.stdout
    assert "doesn't cover that" not in result.stdout


def test_ask_summarizes_the_article_and_says_what_a_reply_is(run: Any) -> None:
    result = run("ask", "--json", "-", stdin="summarize the article\nhow many troops\n")
    summary, answer = (json.loads(line) for line in result.stdout.splitlines())
    assert summary["tier"] == "summary"
    assert summary["answered"] is True
    assert summary["hits"][0]["citation"]["paragraph"] == 1  # the lead first
    assert answer["tier"] == "answer"


def test_check_ok() -> None:
    result = run_process("check")
    assert result.returncode == 0
    assert (
        f"{ARTICLE_ID}: Russian Senators Ratify Defense Treaty With North Korea (2024-11-06) — 10 passages"
        in result.stdout
    )
    assert "ok: 1 article, 10 passages" in result.stdout
    assert "indexed 10 passages" in result.stderr  # with how long each stage took
    assert "tokenising" in result.stderr


def test_check_reports_every_problem(run: Any, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text((CORPUS_DIR / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.txt").write_text("title: T\n\nBody.", encoding="utf-8")
    (tmp_path / "worse.txt").write_bytes(b"\xff\xfe")
    result = run("check", env={"BOT_CORPUS_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "bad.txt: header has no date" in result.stderr
    assert "worse.txt: not UTF-8" in result.stderr
    assert "good: Russian Senators" in result.stdout


def test_check_reports_bad_settings(run: Any) -> None:
    result = run("check", env={"BOT_TOP_K": "lots"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "settings error: BOT_TOP_K: Input should be a valid integer, unable to parse string as an integer (got 'lots')"
    ]


def test_eval_prints_figures(run: Any, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"q": "how many troops", "expect": ["10,000"]}\n{"q": "hello", "expect": null}\n', encoding="utf-8"
    )
    result = run("eval", str(cases))
    assert result.returncode == 0
    assert "top-1 accuracy:         100.0%" in result.stdout
    assert "abstention accuracy:    100.0%" in result.stdout
    assert "false abstentions:      0" in result.stdout


def test_eval_bad_file(run: Any, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"question": "x"}\n', encoding="utf-8")
    result = run("eval", str(cases))
    assert result.returncode == 1
    assert f"{cases}:1:" in result.stderr


def test_ingest_writes_the_shipped_file(run: Any, tmp_path: Path) -> None:
    result = run("ingest", str(RAW_CAPTURE), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = tmp_path / f"{ARTICLE_ID}.txt"
    shipped = read_article(CORPUS_DIR / f"{ARTICLE_ID}.txt")
    assert read_article(written) == replace(shipped, questions=())  # the editor's questions are not in the capture
    assert "kept:" in result.stdout
    assert "caption: Vladimir Putin in Pyongyang in June 2024. (credit: kremlin.ru)" in result.stdout
    assert "furniture: Dear readers," in result.stdout
    assert list(tmp_path.iterdir()) == [written]


def test_ingest_will_not_overwrite_other_content(run: Any, tmp_path: Path) -> None:
    (tmp_path / f"{ARTICLE_ID}.txt").write_text("something else", encoding="utf-8")
    result = run("ingest", str(RAW_CAPTURE), "--out", str(tmp_path))
    assert result.returncode == 1
    assert "use --force" in result.stderr
    assert (tmp_path / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8") == "something else"


@pytest.mark.parametrize(("content", "message"), [(b"\xff\xfe", "not UTF-8"), (b"", "no article title")])
def test_ingest_refuses_bad_input(run: Any, tmp_path: Path, content: bytes, message: str) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_bytes(content)
    result = run("ingest", str(raw), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>x</p>" * 20_001, "error: That file has over 20,000 paragraphs, so I didn't read it."),
        ("<p>" + "x" * 5_000_001 + "</p>", "error: That file is over 5 MB, so I didn't read it."),
    ],
)
def test_ingest_of_a_file_has_the_caps_of_a_link_and_an_upload(
    run: Any, tmp_path: Path, body: str, message: str
) -> None:
    page = tmp_path / "page.html"
    page.write_text(f"<html><head><title>T</title></head><body><article>{body}</article></body></html>")
    result = run("ingest", str(page), "--out", str(tmp_path / "out"))
    assert (result.returncode, result.stderr.strip()) == (1, message)
    assert not (tmp_path / "out").exists()


def test_run_without_token_says_how_to_set_it(run: Any) -> None:
    result = run("run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "no Telegram token: set BOT_TELEGRAM_TOKEN in the environment or .env to run the bot "
        "(`python -m bot chat` works without one)"
    ]


def test_missing_corpus_is_one_line(run: Any, tmp_path: Path) -> None:
    result = run("ask", "troops", env={"BOT_CORPUS_DIR": str(tmp_path / "nope")})
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: corpus directory not found"


def test_ask_json_answers_every_line_of_bad_input(run: Any) -> None:
    # "\udcff" is how the helper passes the byte 0xff: a line that is not UTF-8.
    stdin = "how many troops\nwho signed \udcff the treaty\n" + "x" * 1_000_000 + "\nhello\n"
    result = run("ask", "--json", "-", stdin=stdin)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, True, False, False]
    assert lines[1]["question"] == "who signed \ufffd the treaty"
    assert lines[2]["error"] == "the question is over 1,000 characters long"
    assert "error" not in lines[3]


def test_ask_json_escapes_what_splitlines_breaks_a_line_at(run: Any) -> None:
    """U+2028, U+2029 and U+0085 are left raw by json.dumps(ensure_ascii=False): a reader splitting
    the output with str.splitlines() got a line per break instead of a line per question."""
    questions = ["how many\u2028troops", "who signed\x85 the treaty\u2029"]
    result = run("ask", "--json", "-", stdin="".join(f"{question}\n" for question in questions))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["question"] for line in lines] == questions
    assert "\\u2028" in lines[0]
    assert "\\u0085" in lines[1]
    assert "\\u2029" in lines[1]
    single = run("ask", "--json", questions[0]).stdout
    assert len(single.splitlines()) == 1
    assert json.loads(single)["question"] == questions[0]


def test_check_and_ask_print_no_terminal_controls(run: Any, tmp_path: Path) -> None:
    """A hand-dropped file with ESC sequences and BEL in its text, another with them in its name:
    what check and ask print holds none of them (the name's are written as escapes)."""
    text = (CORPUS_DIR / f"{ARTICLE_ID}.txt").read_text(encoding="utf-8")
    text = text.replace("Russian Senators", "Russian \x1b[2J\x1b]0;owned\x07Senators\x08").replace(
        "10,000 troops", "10,000\x1b[31m troops\x07"
    )
    (tmp_path / "good.txt").write_text(text, encoding="utf-8")
    (tmp_path / "bad\x1b[31m.txt").write_text("title: T\n\nBody.", encoding="utf-8")
    checked = run("check", env={"BOT_CORPUS_DIR": str(tmp_path)})
    assert checked.returncode == 1
    assert "good: Russian Senators Ratify" in checked.stdout
    assert "bad\\x1b[31m.txt: header has no date" in checked.stderr
    (tmp_path / "bad\x1b[31m.txt").unlink()
    asked = run("ask", "how many troops", env={"BOT_CORPUS_DIR": str(tmp_path)})
    assert "North Korea deployed around 10,000 **troops** to Russia" in asked.stdout
    for printed in (checked.stdout, checked.stderr, asked.stdout, asked.stderr):
        assert not any(char in printed for char in "\x1b\x07\x08"), printed

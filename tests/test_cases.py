"""One table of question -> quoted passage (or abstention), run through the library, the CLI and Telegram alike."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.core.answer import cite
from bot.core.serving import Index
from tests.conftest import CORPUS_DIR
from tests.fake_bot_api import FakeBotApi
from tests.harness import running_bot
from tests.test_telegram import visible_text

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "cases.json").read_text(encoding="utf-8"))
IDS = [case["q"] for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_library(engine: Index, case: dict[str, Any]) -> None:
    result = engine.search(case["q"], 3)
    if case["quote"] is None:
        assert not result.answered
        return
    top = result.hits[0].passage
    assert case["quote"] in top.text
    assert cite(engine.corpus, top).place == case["place"]


def test_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BOT_CORPUS_DIR", str(CORPUS_DIR))
    questions = "".join(f"{case['q']}\n" for case in CASES).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(questions)))
    assert cli.main(["ask", "--json", "-"]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [answer["question"] for answer in answers] == IDS
    for case, answer in zip(CASES, answers, strict=True):
        assert answer["answered"] is (case["quote"] is not None), case["q"]
        if case["quote"] is not None:
            top = answer["hits"][0]
            assert case["quote"] in top["text"]
            place = f"¶{top['citation']['paragraph']}, sentence {top['citation']['sentence']}"
            assert place == case["place"]


async def test_telegram(api: FakeBotApi, engine: Index) -> None:
    async with running_bot(api, engine):
        for number, case in enumerate(CASES):
            api.say(case["q"], user_id=100 + number, chat_id=100 + number)
        sent = await api.wait_sent(len(CASES))
    replies = {int(message["chat_id"]): visible_text(message["text"]) for message in sent}
    for number, case in enumerate(CASES):
        reply = replies[100 + number]
        if case["quote"] is None:
            assert "The article doesn't cover that" in reply, case["q"]
        else:
            first = reply.split("\n2. ")[0]
            assert case["quote"] in first, case["q"]
            assert case["place"] in first, case["q"]

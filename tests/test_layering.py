"""The layers hold: the core imports neither telegram nor settings, the kernel no answer policy,
and only bot/telegram imports the Telegram library."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Return every module a file imports (absolute names)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


CORE = sorted(BOT.glob("core/**/*.py"))
EVERY = sorted(BOT.glob("**/*.py"))


def test_core_imports_no_telegram_or_settings() -> None:
    names = [module_name(path) for path in CORE]
    code = (
        "import json, sys\n"
        f"for name in {names!r}: __import__(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'pydantic_settings'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
    assert "bot.core.answering.search" in names  # the walk found the core


@pytest.mark.parametrize("path", sorted(BOT.glob("core/retrieval/*.py")), ids=lambda p: p.name)
def test_the_kernel_knows_no_answer_policy(path: Path) -> None:
    assert not {name for name in imported(path) if name.startswith("bot.core.answering")}


@pytest.mark.parametrize("path", EVERY, ids=lambda p: str(p.relative_to(BOT)))
def test_only_the_telegram_package_imports_telegram(path: Path) -> None:
    uses_telegram = any(name.split(".")[0] == "telegram" for name in imported(path))
    assert not uses_telegram or path.is_relative_to(BOT / "telegram")

"""The retrieval core imports neither the Telegram library nor the settings library."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = ["bot.text", "bot.corpus", "bot.ingest", "bot.query", "bot.index", "bot.answer", "bot.engine", "bot.evaluate"]


def test_core_imports_no_telegram_or_settings() -> None:
    code = (
        "import json, sys\n"
        f"for name in {CORE!r}: __import__(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram', 'pydantic_settings'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []

"""Every third-party module the code imports is declared, and every declared package is in the lock file."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Import names that differ from their distribution's name.
DISTRIBUTION_OF = {
    "telegram": "python-telegram-bot",
    "Stemmer": "pystemmer",
    "text_to_num": "text2num",
    "sklearn": "scikit-learn",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])


def third_party_imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.glob("**/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in {"bot", "tests", "bench"}}


def test_every_import_of_the_bot_is_a_declared_dependency() -> None:
    declared = {requirement_name(r) for r in PROJECT["dependencies"]}
    used = {canonical(DISTRIBUTION_OF.get(name, name)) for name in third_party_imports(ROOT / "bot")}
    assert used <= declared, used - declared


def test_every_import_of_the_tests_is_declared() -> None:
    declared = {requirement_name(r) for r in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]}
    used = {canonical(DISTRIBUTION_OF.get(name, name)) for name in third_party_imports(ROOT / "tests")}
    assert used <= declared, used - declared


def test_the_lock_pins_every_declared_package_with_hashes() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {canonical(match) for match in re.findall(r"^([A-Za-z0-9_.-]+)==", lock, flags=re.M)}
    declared = {requirement_name(r) for r in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]}
    assert declared <= pinned, declared - pinned
    with_hashes = re.findall(r"^[A-Za-z0-9_.-]+==\S+ \\\n\s+--hash=sha256:", lock, flags=re.M)
    assert len(with_hashes) == len(pinned)  # pip's --require-hashes needs every one

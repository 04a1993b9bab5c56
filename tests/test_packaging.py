"""Every third-party module the code imports is declared, and every declared package is in the lock file."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
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
    "faiss": "faiss-cpu",
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


# The set-up path: scripts/preflight.py runs under the user's system Python before anything is installed.
PREFLIGHT = ROOT / "scripts" / "preflight.py"


def run_preflight(prelude: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Runs the real script, after `prelude` has changed what this interpreter looks like."""
    code = f"import runpy, sys\n{prelude}\nrunpy.run_path({str(PREFLIGHT)!r}, run_name='__main__')"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("UV_", "PIP_INDEX"))}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**env, **environment}
    )


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *said: str) -> None:
    """The set-up stopped with exit status 1 and one line on standard error saying all of `said`."""
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    for part in said:
        assert part in result.stderr


def test_preflight_minimum_is_the_projects() -> None:
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", PROJECT["requires-python"])
    assert minimum is not None
    assert f"MINIMUM = ({minimum[1]}, {minimum[2]})" in PREFLIGHT.read_text(encoding="utf-8")


def test_preflight_names_a_too_old_python_in_one_line() -> None:
    result = run_preflight("sys.version_info = (3, 9, 18, 'final', 0)", BOT_SKIP_INDEX_CHECK="1")
    assert_refused_in_one_line(result, "Python 3.9 is too old", "3.11 or newer")


def test_preflight_names_a_missing_venv_module_in_one_line() -> None:
    result = run_preflight("sys.modules['ensurepip'] = None", BOT_SKIP_INDEX_CHECK="1")
    assert_refused_in_one_line(result, "cannot create virtual environments", "-venv")


def test_preflight_names_an_unreachable_index_in_one_line() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens here once the socket closes
    result = run_preflight("", UV_DEFAULT_INDEX=f"http://127.0.0.1:{port}/simple")
    assert_refused_in_one_line(
        result, f"cannot reach the package index http://127.0.0.1:{port}/simple/ (from UV_DEFAULT_INDEX)"
    )


def test_preflight_passes_with_this_python_and_a_reachable_index(tmp_path: Path) -> None:
    (tmp_path / "uv").mkdir()
    (tmp_path / "uv" / "index.html").write_text("<html></html>", encoding="utf-8")
    command = [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
            port = re.search(r"port (\d+)", line)
            assert port is not None, line
            result = run_preflight("", UV_DEFAULT_INDEX=f"http://127.0.0.1:{port[1]}/")
        finally:
            server.terminate()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_make_names_a_missing_python_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "PYTHON=/nonexistent/python3", f"VENV={tmp_path / 'venv'}", "run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "make: /nonexistent/python3 not found: install Python 3.11 or newer" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_the_bootstrap_lock_pins_the_installer_with_hashes_and_no_extras() -> None:
    lock = (ROOT / "requirements-bootstrap.lock").read_text(encoding="utf-8")
    pinned = re.findall(r"^([A-Za-z0-9_.\[\]-]+)==\S+ \\\n\s+--hash=sha256:", lock, flags=re.M)
    assert sorted(pinned) == ["setuptools", "uv"]  # no "[extra]": the user's own pip installs this file
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-bootstrap.lock" in makefile
    assert "--require-hashes -r requirements.lock" in makefile

"""Checks what `make` needs before it builds the virtual environment, and says in one line what is missing.

Run by the system Python the Makefile was given, which may be far older than the project's own minimum, so
this file stays within what Python 3.0 parses and imports only the standard library. Exit status 1 with one
line on standard error when the set-up cannot work; 0 otherwise.
"""

import os
import sys

MINIMUM = (3, 11)  # pyproject.toml's requires-python; tests/test_packaging.py keeps the two equal
DEFAULT_INDEX = "https://pypi.org/simple/"


def fail(message):
    sys.stderr.write("make: " + message + "\n")
    sys.exit(1)


def index_url():
    """The index the bootstrap install reads: uv's own setting, else pip's, else PyPI."""
    for name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value.rstrip("/") + "/", name
    return DEFAULT_INDEX, None


def check_python():
    found = sys.version_info[:2]
    if found < MINIMUM:
        fail(
            "Python %d.%d is too old (%s); the bot needs Python %d.%d or newer: install it, or run "
            "make PYTHON=/path/to/python3.11" % (found[0], found[1], sys.executable, MINIMUM[0], MINIMUM[1])
        )


def check_venv():
    try:
        import ensurepip  # noqa: F401  (Debian's python3 leaves it out unless python3-venv is installed)
        import venv  # noqa: F401
    except ImportError:
        version = "%d.%d" % sys.version_info[:2]
        fail(
            "this Python (%s) cannot create virtual environments: its venv/ensurepip modules are missing "
            "(on Debian or Ubuntu: apt install python%s-venv)" % (sys.executable, version)
        )


def check_index():
    if os.environ.get("BOT_SKIP_INDEX_CHECK"):
        return
    import urllib.request

    url, setting = index_url()
    try:
        with urllib.request.urlopen(url + "uv/", timeout=20) as response:
            response.read(1)
    except Exception as error:  # any failure to reach the index means the same thing to the user
        where = " (from %s)" % setting if setting else ""
        reason = getattr(error, "reason", None) or error
        fail(
            "cannot reach the package index %s%s: %s. The first install downloads the locked packages: "
            "check the network or proxy (HTTPS_PROXY), or set UV_DEFAULT_INDEX to a mirror" % (url, where, reason)
        )


if __name__ == "__main__":
    check_python()
    check_venv()
    check_index()

# Two commands do all the set-up: `make run` (the bot's main job) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

# Installs come from requirements.lock (every package pinned with its hashes: what CI tested), in three steps
# that do not depend on the pip the user's Python came with:
#   1. scripts/preflight.py says in one line what is missing: python3, Python >= 3.11, the venv module, the index;
#   2. that Python's own venv and bundled pip install requirements-bootstrap.lock (uv and setuptools, pinned and
#      hash-checked: the installer and the project's build backend);
#   3. uv installs requirements.lock with --require-hashes, then the project itself without resolving anything.
# A cold install measured 8.5 s with uv against 46 s with a pinned pip 26.3 (2 cores, no caches), so uv it is.
# The bundled pip only ever installs the bootstrap lock, which has no extras and no dependencies: that works with
# any pip that knows --require-hashes (8.0+). requirements.lock itself installs with pip >= 23.3 (tried: 23.3.2,
# 24.0, 24.2, 26.3) and uv 0.13.9, but NOT with pip 23.2.x (Python 3.11.7's bundled pip), with or without
# --strip-extras: that pip resolves any extra it meets (justext's lxml[html_clean], htmldate's lxml) as a
# requirement of its own and refuses the newest release as unpinned. Hence step 2.
# Remake a lock after changing dependencies (uv keeps the existing pins unless given --upgrade; it strips extras,
# which, as above, neither helps nor harms an old pip):
#   .venv/bin/uv pip compile --python-version 3.11 --extra dev --generate-hashes -o requirements.lock pyproject.toml
#   .venv/bin/uv pip compile --python-version 3.11 --generate-hashes -o requirements-bootstrap.lock requirements-bootstrap.in
# PIP_INDEX_URL, when set, is passed on to uv, which does not read pip's settings.
ifdef PIP_INDEX_URL
export UV_DEFAULT_INDEX ?= $(PIP_INDEX_URL)
endif
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(BIN)/.installed: pyproject.toml requirements.lock requirements-bootstrap.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found: install Python 3.11 or newer, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) scripts/preflight.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
	$(UV) --require-hashes -r requirements.lock
	$(UV) --no-deps --no-build-isolation -e .
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot $(ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite runs on every core (pytest-xdist, at most 4 workers): most of its time is spent waiting on
# subprocesses, sockets and signals, and the heaviest tests (an archive of 300 articles embedded) run
# beside the rest. PYTEST_ARGS="-n 0" runs it in one process.
PYTEST_ARGS ?= -n auto --maxprocesses 4

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(UV) -e '.[dev,bench]'
	$(BIN)/python bench/search_bench.py --passages 10000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

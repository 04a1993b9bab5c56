# Two commands do all the set-up: `make run` (the bot's main job) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

# Installs come from requirements.lock (every package pinned with its hashes: what CI tested), then
# the project itself without resolving anything again. Remake the lock after changing dependencies:
#   pip install pip-tools && pip-compile --extra dev --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
#       --no-emit-find-links -o requirements.lock pyproject.toml
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot $(ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/search_bench.py --passages 10000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

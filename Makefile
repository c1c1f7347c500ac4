# Hitscope's commands. The README documents them; CI runs `make test` (via .ci/run).
#   make demo    install, start the embedded PostgreSQL unless DATABASE_URL is set, backfill, train, serve :8050
#   make test    install, find or start PostgreSQL, run the whole suite on 2 processes, each in a throwaway database
#   make test-fast  the same without the tests marked slow (drills, real-data runs): the inner loop
#   make lint    ruff (check + format) and mypy
#   make bench   the benchmarks in bench/ (figures printed and saved as JSON under bench/results/)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint fmt bench install install-dev browser clean-pg

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

browser:
	scripts/ensure_chromium.sh

demo: install
	scripts/demo.sh

# The suite on TEST_WORKERS processes (pytest-xdist), a whole file per process at a time: a file's module fixtures
# (a seeded database, a gunicorn, a browser) live in one process. Each process has its own database, cloned from a
# migrated template (tests/conftest.py). TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
XDIST = -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: install-dev browser
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: install-dev browser
	$(BIN)/python -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean-pg:
	$(BIN)/python -m core.embedded_pg stop

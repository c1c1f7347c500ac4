# Hitscope's commands. The README documents them; CI runs `make test` (via .ci/run).
#   make demo    install, start the embedded PostgreSQL unless DATABASE_URL is set, backfill, train, serve :8050
#   make test    install, find or start PostgreSQL, run the whole suite in a throwaway database
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

test: install-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-dev browser
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

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

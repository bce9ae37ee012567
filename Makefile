# callvault: `make run` serves on 127.0.0.1:8080 with SQLite + files under ./callvault-data;
# `make test` installs everything and runs linters and every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint unit scale bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/callvault serve --dev-user

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q --ignore=tests/scale

# The server suites again on PostgreSQL + S3 (SeaweedFS), and the multi-process tests (tests/scale);
# they skip with the reason where PostgreSQL, SeaweedFS or Redis cannot run.
scale: install
	CALLVAULT_TEST_BACKEND=scale $(BIN)/pytest -q tests/server/api tests/server/calls tests/scale

test: lint unit scale

bench: install
	$(BIN)/python benchmarks/bench_api.py
	$(BIN)/python benchmarks/bench_transcription.py

clean:
	rm -rf $(VENV) .venv-sdk .pytest_cache .mypy_cache .ruff_cache

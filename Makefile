# callvault: `make run` serves on 127.0.0.1:8080 with SQLite + files under ./callvault-data;
# `make test` installs everything and runs linters and every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

REPORTS := test-reports
# pytest-xdist: test files are spread over TEST_WORKERS processes, each with its own session
# fixtures (servers, SeaweedFS, Redis, PostgreSQL databases); a file's tests stay on one worker.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

.PHONY: install run test lint unit scale suite-report bench vendor-js clean debian-test-deps

# Debian packages some tests need: SIPp as a SIPREC client, real telephone speech with transcripts.
DEBIAN_TEST_PACKAGES := sip-tester asterisk-core-sounds-en-wav asterisk-core-sounds-en
# apt-get waits for dpkg's lock (another run on this machine may be installing) instead of failing.
APT_WAIT := -o DPkg::Lock::Timeout=600

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/callvault serve --dev-user

lint: install
	$(BIN)/ruff check src tests benchmarks .ci
	$(BIN)/ruff format --check src tests benchmarks .ci
	$(BIN)/mypy
	$(BIN)/lint-imports

# Installs DEBIAN_TEST_PACKAGES when run as root on Debian and they are missing; elsewhere the tests
# that need them skip, saying why.
debian-test-deps:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -qq $(APT_WAIT) $$missing || (apt-get update -qq && apt-get install -y -qq $(APT_WAIT) $$missing)) >/dev/null \
			|| echo "could not install$$missing: the tests that need them will skip"; \
	else echo "missing Debian packages$$missing (not root): the tests that need them will skip"; fi

unit: install debian-test-deps
	rm -f $(REPORTS)/embedded.xml
	$(PYTEST) --ignore=tests/scale --junitxml=$(REPORTS)/embedded.xml

# The suites that drive a real server, again on PostgreSQL + S3 (SeaweedFS), and the multi-process
# tests (tests/scale); they skip with the reason where PostgreSQL, SeaweedFS or Redis cannot run,
# and fail instead when CI=true.
SERVER_SUITES := tests/callvault/api tests/callvault/services tests/callvault/jobs tests/callvault/calls \
	tests/callvault/cli/test_simulate.py

scale: install debian-test-deps
	rm -f $(REPORTS)/scale.xml
	CALLVAULT_TEST_BACKEND=scale $(PYTEST) $(SERVER_SUITES) tests/scale --junitxml=$(REPORTS)/scale.xml

# Tests ran/skipped per suite from $(REPORTS)/*.xml; fails when a suite of .ci/required-suites ran nothing.
suite-report:
	$(PYTHON) .ci/suite_report.py $(REPORTS) .ci/required-suites

test: lint unit scale

# The transcription benchmark's calls are in English, Spanish and French (benchmarks/call_set.py).
BENCH_DEBIAN_PACKAGES := asterisk-core-sounds-es-wav asterisk-core-sounds-es asterisk-core-sounds-fr-wav \
	asterisk-core-sounds-fr

bench: install debian-test-deps
	@$(MAKE) --no-print-directory debian-test-deps DEBIAN_TEST_PACKAGES="$(BENCH_DEBIAN_PACKAGES)"
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_access_log.py
	$(BIN)/python benchmarks/bench_siprec.py
	$(BIN)/python benchmarks/bench_transcription.py
	$(BIN)/python benchmarks/bench_console.py
	$(BIN)/python benchmarks/bench_latency.py
	$(BIN)/python benchmarks/bench_encryption.py

# Fetch the console's vendored JavaScript again from the npm registry and check it against
# src/callvault/api/console/static/vendor/vendor.json (the committed files are what the server serves).
vendor-js: install
	$(BIN)/python scripts/vendor_js.py

clean:
	rm -rf $(VENV) .venv-sdk .pytest_cache .mypy_cache .ruff_cache $(REPORTS)

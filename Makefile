# The two commands of the README: `make demo` and `make test`. Both set up from nothing.
# `make test-fast` is the quick lane (lint and every test but the end-to-end ones).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MELTANO_CLI_DISABLE_VERSION_CHECK := true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
LINTED := tap_meta_ads meta_ads_sandbox tests scripts benchmarks orchestrate
# pytest-xdist workers for the end-to-end tier: its tests mostly wait on subprocesses
E2E_WORKERS ?= 4

.PHONY: demo test test-fast e2e lint install postgres benchmark clean orchestrate-demo

$(BIN)/tap-meta-ads: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/tap-meta-ads

# Debian's PostgreSQL server programs (initdb, pg_ctl); installed only when missing.
postgres:
	@if ! command -v pg_config >/dev/null || [ ! -x "$$(pg_config --bindir)/initdb" ]; then \
		echo "Installing PostgreSQL (Debian package postgresql)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# make demo KEEP=1 leaves the warehouse running and prints how to connect and stop it.
demo: install postgres
	KEEP="$(KEEP)" bash scripts/demo.sh

# Everything: lint, types, the fast tier, then the end-to-end tier on parallel workers.
test: install postgres
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not e2e"
	$(BIN)/pytest -m e2e -n $(E2E_WORKERS)

# The fast tier: lint, unit, sandbox, integration and the SDK's standard tests (no Meltano).
test-fast: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/pytest -m "not e2e"

# The end-to-end tier alone: Meltano into throwaway PostgreSQL servers.
e2e: install postgres
	$(BIN)/pytest -m e2e -n $(E2E_WORKERS)

lint: install
	$(BIN)/ruff check tap_meta_ads meta_ads_sandbox tests scripts benchmarks
	$(BIN)/ruff format --check tap_meta_ads meta_ads_sandbox tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Dagster's extra into the venv, then every shard partition materialised against the sandbox
# and a throwaway PostgreSQL, the warehouse compared with the truth (tests/e2e/test_shards.py).
orchestrate-demo: install postgres
	$(BIN)/python -c 'import dagster' 2>/dev/null || $(BIN)/pip install --quiet -e '.[orchestrate]'
	$(BIN)/pytest -m e2e -p no:cacheprovider tests/e2e/test_shards.py -k dagster

clean:
	rm -rf $(VENV) .meltano .pytest_cache .mypy_cache .ruff_cache

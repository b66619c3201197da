# The two commands of the README: `make demo` and `make test`. Both set up from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MELTANO_CLI_DISABLE_VERSION_CHECK := true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo test lint install postgres benchmark clean

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

demo: install postgres
	bash scripts/demo.sh

test: install postgres
	$(BIN)/ruff check tap_meta_ads meta_ads_sandbox tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check tap_meta_ads meta_ads_sandbox tests scripts benchmarks
	$(BIN)/ruff format --check tap_meta_ads meta_ads_sandbox tests scripts benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .meltano .pytest_cache .mypy_cache .ruff_cache

# Yibenzhang — every set-up step lives here so a fresh machine needs only `make demo` / `make test`.
SHELL := /bin/bash
export UV_COMPILE_BYTECODE := 1
# Dagster reads its instance config (dagster.yaml: telemetry off, storage under .dagster/)
# from DAGSTER_HOME.
export DAGSTER_HOME := $(CURDIR)
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# `pip install --user uv` puts uv in ~/.local/bin, which a fresh machine's PATH may lack.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: install lint demo test test-unit stack-up stack-down stack-status dev bench bench-catalog bench-portal clean

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen --compile-bytecode
	# Apache ECharts for the monthly report (数据治理月报), from the npm registry, pinned by the lock file.
	npm ci --prefix report --no-audit --no-fund --loglevel=error

# Lint (ruff: pyflakes, pycodestyle, import order, bugbear, pyupgrade) and type check (mypy).
lint: install
	$(UV) run ruff check .
	$(UV) run mypy

demo: install
	$(UV) run ybz demo

# Brings up the local CKAN stack (PostgreSQL, Redis, Solr 9, CKAN 2.12) the integration tests use.
stack-up: install
	$(UV) run ybz stack up

stack-down:
	$(UV) run ybz stack down

stack-status:
	$(UV) run ybz stack status

test: install lint stack-up
	$(UV) run pytest

test-unit: install lint
	$(UV) run pytest -m "not ckan and not postgres"

dev: install
	$(UV) run dg dev --host 127.0.0.1 --port 3000

bench: install
	$(UV) run python -m benchmarks

# Needs the local stack (make stack-up): publishing 1,000 contracts, no-op republish, search latency.
bench-catalog: install stack-up
	$(UV) run python -m benchmarks.catalog_publish

# Portal pages vs stock CKAN at 10,000 datasets: the bench sites beside the stack (loaded once).
bench-portal: install stack-up
	$(UV) run ybz stack site up bench
	$(UV) run ybz stack site up bench-stock
	$(UV) run python -m benchmarks.portal_pages

clean:
	rm -rf .ybz .dagster benchmarks/out

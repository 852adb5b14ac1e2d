# Two commands on a fresh machine: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0

.PHONY: install demo test test-fast ui bench lint clean db-down

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# A CPU build of torch first: a bare `torch` requirement can pull gigabytes of CUDA.
	$(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install  ## set up, simulate scale S, materialize everything, print what was built
	$(BIN)/platform-assets demo

PYTEST_WORKERS ?= 2

test: install  ## the whole suite (slow tests included) against a throwaway embedded Postgres
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

test-fast: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not slow"

ui: install  ## dagster dev (webserver + daemon) on http://127.0.0.1:3000
	$(BIN)/platform-assets ui

bench: install  ## benchmarks -> bench/RESULTS.md and bench/results.json
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .

db-down:
	$(BIN)/platform-assets db down

clean:  ## stop the embedded server and delete all local state (.platform/)
	-$(BIN)/platform-assets db down
	rm -rf .platform

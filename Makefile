# Two entry points, both self-installing into .venv (see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Flee 3.1 itself, in its own environment, for the conformance test and the benchmark.
FLEE_VENV := .venv-flee
FLEE_PY := $(FLEE_VENV)/bin/python
FLEE_STAMP := $(FLEE_VENV)/.flee-3.1-installed

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(FLEE_STAMP):
	$(PY) -m venv $(FLEE_VENV)
	$(FLEE_VENV)/bin/pip install -q "flee==3.1"
	touch $(FLEE_STAMP)

.PHONY: install install-test run test test-doc-studies lint bench fuzz boundscheck backtest clean
install: $(BIN)/python
	$(BIN)/pip install -q -e ".[report,data,web]"

install-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

run: install
	$(BIN)/corridor run --out results/caravan-2020 --overwrite

test: install-test $(FLEE_STAMP)
	FLEE_PYTHON=$(FLEE_PY) CORRIDOR_REQUIRE_FLEE=1 $(BIN)/python -m pytest

# the long studies of README.md and docs/ (ensembles of 200, sweeps, sensitivity, calibration),
# run as written (tests/test_doc_commands.py); hours on 2 cores
test-doc-studies: install-test
	$(BIN)/python -m pytest tests/test_doc_commands.py -m study -s -p no:cacheprovider

lint: install-test
	$(BIN)/ruff check src tests benchmarks

bench: install-test $(FLEE_STAMP)
	FLEE_PYTHON=$(FLEE_PY) $(BIN)/python -m pytest benchmarks -m benchmark -s -p no:cacheprovider

# 10,000 mutated scenarios through the loader (+250 through the command); the default test run has 500
fuzz: install-test
	CORRIDOR_FUZZ_EXAMPLES=$${CORRIDOR_FUZZ_EXAMPLES:-10000} $(BIN)/python -m pytest \
		tests/test_fuzz_scenarios.py -s -p no:cacheprovider

# the count kernels under NUMBA_BOUNDSCHECK=1 (Burundi x1000, dense networks); also in `make test`
boundscheck: install-test
	$(BIN)/python -m pytest tests/test_count_kernels_bounds.py -k boundscheck -p no:cacheprovider

# the forecast backtest table of docs/forecasting.md (about 10-20 min on 2 cores)
backtest: install
	$(BIN)/corridor backtest caravan-2018-10 caravan-2020 caravan-2021-01 --runs 40 --seed 1 \
		--out results/backtest.json

clean:
	rm -rf $(VENV) $(FLEE_VENV) results .pytest_cache

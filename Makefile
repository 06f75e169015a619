# Two entry points, both self-installing into .venv (see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

.PHONY: install install-test run test lint bench boundscheck clean
install: $(BIN)/python
	$(BIN)/pip install -q -e ".[report,data]"

install-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

run: install
	$(BIN)/corridor run --out results/caravan-2020

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check src tests benchmarks

bench: install-test
	$(BIN)/python -m pytest benchmarks -m benchmark -s -p no:cacheprovider

# the count kernels under NUMBA_BOUNDSCHECK=1 (Burundi x1000, dense networks); also in `make test`
boundscheck: install-test
	$(BIN)/python -m pytest tests/test_count_kernels_bounds.py -k boundscheck -p no:cacheprovider

clean:
	rm -rf $(VENV) results .pytest_cache

# Safe Passage — two commands on a fresh machine with Python 3.11:
#   make run    set up .venv and compare the proposals of the packaged default scenario
#   make test   set up .venv (and the system services the tests need) and run the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out

.PHONY: setup run test lint bench system-deps clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(VENV)/bin/safepassage run --out $(OUT)

system-deps:
	bash scripts/system-deps.sh

test: setup system-deps lint
	$(PY) -m pytest

# The gates, before any test runs: ruff (pyflakes, bugbear, import order, line length) and mypy on src/.
lint: setup
	$(VENV)/bin/ruff check src
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/bench_planner.py
	$(PY) bench/bench_scale.py
	$(PY) bench/bench_window_pricing.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache

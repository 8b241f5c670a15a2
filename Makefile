# Every target creates .venv from the pinned requirements first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: setup test lint typecheck unit preview clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/python -m pytest

test: lint typecheck unit

preview: setup
	$(BIN)/python -m tools.preview --stack $(STACK) $(if $(JSON),--json $(JSON))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# EE Connect. `make run` starts the platform on its embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install bench faults mutants clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py platform_run

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

faults: install
	$(BIN)/pytest -m faults -p no:cacheprovider -s

# Mutation testing of the AIR kind's parsing and building ([tool.mutmut] in pyproject.toml). It
# starts from a fresh mutants/ each time: mutmut keeps a verdict per mutant and would not retry a
# survivor against tests added since.
mutants: install
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python tools/mutants_score.py

clean:
	rm -rf var

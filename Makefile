# EE Connect. `make run` starts the platform on its embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install lock bench faults mutants clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installed from the lock file (exact versions, checked by hash), then the project itself; a lock
# that misses a dependency of pyproject.toml stops here, naming it (`make lock` rewrites it).
$(VENV)/.installed: pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python tools/lock_check.py
	touch $@

install: $(VENV)/.installed

# Rewrite requirements.lock (the image's) and requirements-dev.lock (CI's and make's) from the ranges
# in pyproject.toml: the versions already pinned are kept unless LOCK_FLAGS=--upgrade. uv resolves
# one lock for every platform and Python from 3.11 (a Mac's and the Linux image's alike), with the
# hashes of every file of each version.
UV_COMPILE = UV_CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/uv pip compile pyproject.toml --universal \
	--python-version 3.11 --generate-hashes --quiet $(LOCK_FLAGS)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -o requirements-dev.lock
	$(MAKE) install

# The web processes share their webhook counts for /metrics through a directory emptied at each start.
run: install
	rm -rf var/prometheus && mkdir -p var/prometheus
	PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus $(BIN)/python manage.py platform_run

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
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

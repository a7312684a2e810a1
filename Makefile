# Two commands: `make up` runs the platform on the local stack; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test bench lint check-imports lock clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv

$(STAMP): $(VENV)/bin/python requirements-dev.lock pyproject.toml
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

up: $(STAMP)
	$(PY) -m ops up

test: $(STAMP) lint check-imports
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-imports: $(STAMP)
	$(VENV)/bin/lint-imports

lock: $(VENV)/bin/python
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .local artifacts

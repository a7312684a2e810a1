# Two commands: `make up` runs the platform on the local stack; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test messages test-slow test-faults test-scale fuzz-api soak audit-deps bench bench-audit-1m lint check-imports lock clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv

# requirements-dev.lock holds the runtime, the dev tools and the local stack (the `local`
# extra: broker, database, mailbox); the production image installs requirements.lock only.
$(STAMP): $(VENV)/bin/python requirements-dev.lock pyproject.toml
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

# Fees are billed through the local SIMPONI simulator (docs/payments.md); set
# MPP_PAYMENTS_BILLING=false to run without bills.
up: $(STAMP)
	MPP_PAYMENTS_BILLING=$${MPP_PAYMENTS_BILLING:-true} $(PY) -m ops up

# Test files run side by side (pytest-xdist, one file per worker at a time, each worker
# with its own broker and database): the suite waits on servers more than it computes.
PYTEST_WORKERS ?= 3
test: $(STAMP) lint check-imports
	$(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The scenarios left out of make test for time: the end-to-end crash scenarios (a
# consumer killed mid-stream, notify killed mid-batch, the broker down under submissions),
# the browser's whole citizen-officer-auditor story, the whole queue visit (book, remind,
# check in, call, serve, survey, release), the queue benchmark's checks, the browser tests
# of the payment, reconciliation, queue-times and complaints pages, and `mpp staff` run
# fifteen times; .ci/run runs them after make test, two files at a time.
test-slow: $(STAMP)
	MPP_SLOW=1 $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m slow tests/e2e tests/browser tests/integration $(PYTEST_ARGS)

# Every fault-injection scenario, the slow ones too (make test runs only the fast ones).
test-faults: $(STAMP)
	MPP_FAULTS_ALL=1 $(PY) -m pytest -q -p no:cacheprovider -m faults tests/faults $(PYTEST_ARGS)

# Growth at scale (a few minutes): the dashboard and the SLA sweep over 25,000
# applications, audit verification over 100,000 records; timings in artifacts/scale.jsonl.
test-scale: $(STAMP)
	MPP_SCALE=1 $(PY) -m pytest -q -p no:cacheprovider tests/scale $(PYTEST_ARGS)

# Schemathesis against every service's OpenAPI, with real credentials (slow).
fuzz-api: $(STAMP)
	MPP_FAULTS_ALL=1 $(PY) -m pytest -q -p no:cacheprovider tests/security/test_openapi_fuzzing.py $(PYTEST_ARGS)

# A steady load with a zero-loss report per stage: make soak RATE=20 DURATION=600
RATE ?= 20
DURATION ?= 600
soak: $(STAMP)
	$(PY) -m ops soak --rate $(RATE) --duration $(DURATION)

# Known vulnerabilities in the pinned runtime dependencies (skips when offline).
audit-deps: $(STAMP)
	$(PY) -m tests.security.dependency_audit

bench: $(STAMP)
	$(PY) -m bench

# The audit log at 1,000,000 records (7.5 minutes here), added to BENCHMARKS.md.
bench-audit-1m: $(STAMP)
	$(PY) -m bench.audit --records 1000000 --stage audit-1m
	$(PY) -m bench --report

# Page text: extract the Indonesian message ids into messages.pot and add the new ones to
# every language's catalogue (shared/i18n/locale/<code>/LC_MESSAGES/messages.po).
messages: $(STAMP)
	$(VENV)/bin/pybabel --quiet extract -F shared/i18n/babel.cfg -k N_ --no-location \
		--omit-header -o shared/i18n/messages.pot services shared
	$(VENV)/bin/pybabel --quiet update --no-wrap --no-fuzzy-matching --ignore-obsolete \
		-i shared/i18n/messages.pot -d shared/i18n/locale

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-imports: $(STAMP)
	$(VENV)/bin/lint-imports

lock: $(VENV)/bin/python
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra local --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .local artifacts

# The README's two commands are `make run` and `make test`; both set up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json

.PHONY: setup setup-clients ocr chromium run test test-scaleout lint format check-migrations bench

setup: $(STAMP) $(NODE_STAMP) ocr setup-clients

# The chat page's browser libraries (marked, DOMPurify, highlight.js) from npm, exactly
# as package-lock.json pins them; Django serves their dist folders (STATICFILES_DIRS).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# OCR for scanned documents uses Debian's tesseract (no model is downloaded at run time).
ocr:
	@command -v tesseract >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; }

# The browser tests drive Debian's chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The real S3 clients s3mock is tested with: aws CLI and s3cmd (pip, own venv), rclone (Debian).
CLIENTS_VENV := .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed

setup-clients: $(CLIENTS_STAMP)
	@command -v rclone >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null; }

$(CLIENTS_STAMP): requirements-clients.txt
	test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet -r requirements-clients.txt
	touch $(CLIENTS_STAMP)

run: setup
	$(PY) manage.py rundev

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: setup
	$(PY) manage.py makemigrations --check --dry-run

# `make test` = the default suite (SQLite, in-memory layer, s3mock + SeaweedFS), then the
# scale-out run: the file, tool and chat suites again on PostgreSQL + Redis + SeaweedFS,
# and the `scaleout` tests (two server processes sharing them). PostgreSQL and Redis
# must be on 127.0.0.1:5432/6379 (`ensure_services` starts them when it can).
SCALEOUT_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatui \
	REDIS_URL=redis://127.0.0.1:6379/15 CHATUI_S3_BACKENDS=seaweedfs

test: setup chromium lint check-migrations
	$(VENV)/bin/pytest -m "not scaleout" $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-scaleout

test-scaleout: setup
	$(PY) -c "from chatui.testing.scaleout import ensure_services; ensure_services()"
	$(SCALEOUT_ENV) $(VENV)/bin/pytest -m "not browser" files tools chat chatui/tests/scaleout \
		chatui/tests/test_access_matrix.py chatui/tests/test_schema_fuzz.py $(PYTEST_ARGS)

bench: setup
	$(PY) bench/s3_endpoints.py

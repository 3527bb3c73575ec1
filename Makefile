# The README's two commands are `make run` and `make test`; both set up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format check-migrations bench

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

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

test: setup lint check-migrations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/s3_endpoints.py

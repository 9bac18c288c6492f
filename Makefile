# The two commands: `make run` (the whole site: web + worker, demo data) and `make test` (the suite).
# Both set themselves up: a .venv with pinned dependencies, created on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Development defaults; any of them can be overridden from the environment.
export DEBUG ?= 1

.PHONY: run test install migrate seed worker web lint format bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Trova needs Python 3.11 or newer; set PYTHON=python3.X")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

var:
	mkdir -p var/broker/queue var/broker/processed var/media

migrate: install var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Web on http://$(HOST):$(PORT) and a Celery worker (with the periodic sweeps embedded); Ctrl-C stops both.
run: seed
	@echo "Trova: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker -B --schedule var/celerybeat-schedule --pool threads --concurrency 16 --loglevel INFO & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var

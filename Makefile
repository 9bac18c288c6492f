# The two commands: `make run` (the whole site: web + worker, demo data) and `make test` (the suite).
# Both set themselves up: a .venv with pinned dependencies, created on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is for development: DEBUG on unless the environment says otherwise (make messages too: without
# settings, manage.py would fall back to Django's own makemessages). Only for the targets
# that start the site; the test suite decides its own settings (config/settings/test.py).
migrate seed run messages: export DEBUG ?= 1
# Web and worker share one cache on this machine, so the sell page sees a streamed answer's fields as they come.
run: export CACHE_URL ?= file://$(abspath $(or $(TROVA_VAR_DIR),var))/cache

.PHONY: run test install messages migrate seed var worker web lint format bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Trova needs Python 3.11 or newer; set PYTHON=python3.X")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

# The translations: locale/<code>/LC_MESSAGES/*.po, compiled to the .mo files Django reads (Babel's compiler, so
# no GNU gettext is needed to run; `make messages` re-extracts the strings and does need it).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
%.mo: %.po $(STAMP)
	$(BIN)/pybabel --quiet compile --input-file $< --output-file $@

install: $(STAMP) $(MO_FILES)

# After changing a user-facing string: update the catalogues, translate the new entries (msgstr ""), commit the .po.
messages: install
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location file --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*' --ignore 'tests/*'
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location file --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*' --ignore 'tests/*' --ignore 'static/insights/vendor/*'
	$(MAKE) install

# SQLite, uploaded photos and the broker's files live here (the settings read the same TROVA_VAR_DIR).
# Phony: the folders are checked on every run, also when var/ exists but a subfolder was removed.
VAR_DIR := $(or $(TROVA_VAR_DIR),var)
var:
	@mkdir -p $(VAR_DIR)/broker/queue $(VAR_DIR)/broker/processed $(VAR_DIR)/media

migrate: install var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Threads in one worker process: the pre-fill's LLM calls wait on the network, so many run at once.
WORKER_CONCURRENCY ?= 16

# Web on http://$(HOST):$(PORT) and a Celery worker (with the periodic sweeps embedded). Ctrl-C (or SIGTERM
# to make) stops both; if either one dies, the other is stopped too. PIDs are tracked rather than
# `kill 0`, which would also kill whatever started make.
run: seed
	@echo "Trova: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@$(BIN)/celery -A config worker -B --schedule $(VAR_DIR)/celerybeat-schedule --pool threads \
		--concurrency $(WORKER_CONCURRENCY) --loglevel INFO & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT) & web=$$!; \
	stop() { kill $$web $$worker 2>/dev/null; wait; }; \
	trap 'stop; exit 0' INT TERM HUP; \
	while kill -0 $$web 2>/dev/null && kill -0 $$worker 2>/dev/null; do sleep 1; done; \
	echo "The web server or the worker stopped, so make run stops the other one too."; stop; exit 1

# The browser tests are left out here (make e2e runs them), so CI runs each test once.
test: install
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var

# Benchmarks (bench/), one line per result: `name: value unit (goal …)`. Photo preprocessing and search
# (100,000 seeded listings, on SQLite or DATABASE_URL's PostgreSQL) always run; the worker throughput and overhead need Redis and PostgreSQL and print "skipped" without them:
#   make bench CELERY_BROKER_URL=redis://127.0.0.1:6379/N DATABASE_URL=postgres://user@host/db
# (a Redis database no other worker uses; the benchmark makes and drops a database of its own).
bench: install
	$(BIN)/python -m bench

# Browser tests (tests/e2e): Playwright drives this machine's Chromium (Debian's package; Playwright's own
# browser download needs the internet) against a live server and a Celery worker, and axe-core from npm
# checks the sell page's accessibility. Chromium elsewhere: TROVA_CHROMIUM=/path/to/chromium make e2e.
CHROMIUM := $(or $(TROVA_CHROMIUM),$(firstword $(wildcard /usr/bin/chromium /usr/bin/chromium-browser)))
E2E_JS := tests/e2e/js
.PHONY: e2e e2e-setup screenshots
AXE := $(E2E_JS)/node_modules/axe-core/axe.min.js

$(AXE): $(E2E_JS)/package.json $(E2E_JS)/package-lock.json
	@command -v npm >/dev/null || { echo "The browser tests need npm (Node.js) to install axe-core: apt-get install npm"; exit 1; }
	cd $(E2E_JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e-setup: install $(AXE)
	@test -n "$(CHROMIUM)" || { echo "The browser tests need Chromium: apt-get install chromium (Debian, Ubuntu), or set TROVA_CHROMIUM=/path/to/chromium."; exit 1; }

e2e: e2e-setup
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots/*.png), from the demo data and a finished analysis. The vote
# buttons' emoji need a colour emoji font: apt-get install fonts-noto-color-emoji.
screenshots: e2e-setup
	$(BIN)/python -m pytest tests/e2e/screenshots.py $(PYTEST_ARGS)

# Fault drills (drills/): each breaks one thing under a live gunicorn web server, the recommended worker command
# and one beat, on a PostgreSQL cluster and a Redis of their own (started from temporary folders on ports 55432
# and 56379, never the machine's own services, and removed at the end, also on failure), with the fake model on
# loopback. One verdict per drill, about five minutes in all; one drill: make drill DRILLS=llm_429.
.PHONY: drill load
drill: install
	$(BIN)/python -m drills $(DRILLS)

# Load test (load/): Locust, headless on loopback, against the same production-like stack with 100,000 listings.
# Locust is an optional extra (.[load]), installed here only, so make test and CI stay lean.
LOAD_STAMP := $(VENV)/.load-installed-stamp
$(LOAD_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,load]"
	touch $@

load: $(LOAD_STAMP)
	$(BIN)/python -m load $(LOAD_ARGS)

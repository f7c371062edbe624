# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# Tests run on plain HTTP with a throw-away key; DATABASE_URL / REDIS_URL pass through when set.
TEST_ENV := SECRET_KEY=test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz HTTPS=0 DEBUG=0
# Tests link plain static names (served from the finders), never a manifest that `make run` collected.
TEST_ENV += STATIC_ROOT=$(CURDIR)/var/test-staticfiles
RUN_ENV := DEBUG=1 HTTPS=0
# pytest-xdist processes for `make test` (0 runs the suite in this process). Each has its own test
# database, cache and broker; tests/conftest.py says which tests must share a process.
TEST_WORKERS ?= 2

.PHONY: install run serve test bench lint format migrate clean

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.lock
	touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

var/.demo-seeded: | install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	touch var/.demo-seeded

# Static files are collected at each start (hashed, compressed names): restart after changing one.
run: install migrate var/.demo-seeded
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(RUN_ENV) $(VENV)/bin/honcho -f Procfile start

# Production: static files collected once, migrations applied, gunicorn with gunicorn.conf.py (DEBUG off;
# SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL come from the environment or .env).
serve: install
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput
	$(VENV)/bin/gunicorn backoffice.wsgi:application -c gunicorn.conf.py

test: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS)

bench: install
	$(TEST_ENV) $(PY) -m pytest tests/bench -p no:cacheprovider -q -s -o addopts=""

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) var

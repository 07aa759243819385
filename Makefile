# Newsroom: `make run` serves the site with the demo explainer, `make test` runs the suite.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Settings come from the environment; a local .env (never committed) is read too.
-include .env
export

.PHONY: run test install install-dev browser-deps migrate demo lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py setup_roles
	$(PY) manage.py load_demo
	$(PY) manage.py rebuild_renditions --missing-only --verbosity 0

run: demo
	@echo ""
	@echo "Newsroom is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "Create an admin login first with:  $(PY) manage.py createsuperuser"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# Chromium, Java and the npm checkers for the browser tests (installs only what is missing).
browser-deps:
	bash tests/browser/setup.sh

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

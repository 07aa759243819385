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

.PHONY: run serve test install install-dev browser-deps edge-deps messages migrate demo lint bench bench-edge clean backup restore

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

# The settings default to DEBUG off (production); development runs with DJANGO_DEBUG=1 unless the
# environment or .env says otherwise. `make serve` runs its server with DJANGO_DEBUG=0.
migrate demo run messages backup restore: export DJANGO_DEBUG ?= 1

migrate: install
	$(PY) manage.py migrate --noinput

# The site's own words in the newsroom's other languages (locale/*/LC_MESSAGES/django.po), compiled
# with GNU gettext's msgfmt. Without it Russian pages show those words in English.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(PY) manage.py compilemessages --ignore=.venv --verbosity 0; \
	else echo "msgfmt is missing (sudo apt-get install gettext): the site's words stay in English" >&2; fi

demo: migrate messages
	$(PY) manage.py setup_roles
	$(PY) manage.py load_demo
	$(PY) manage.py rebuild_renditions --missing-only --verbosity 0
	$(PY) manage.py rebuild_documents --missing-only --verbosity 0

run: demo
	@echo ""
	@echo "Newsroom is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "Create an admin login first with:  $(PY) manage.py createsuperuser"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production settings under gunicorn, over plain HTTP on $(HOST):$(PORT) (behind TLS in real
# deployments, where the HTTPS settings stay on). Reads DATABASE_URL and REDIS_URL.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
SERVE_ENV = DJANGO_DEBUG=0 DJANGO_HASHED_STATIC=1 DJANGO_SECURE_SSL_REDIRECT=0 \
	DJANGO_SECURE_COOKIES=0 DJANGO_HSTS_SECONDS=0 NEWSROOM_SERVE_MEDIA=1 \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"

# `make serve`: the whole stack from the Procfile (honcho): Varnish on $(HOST):$(PORT), gunicorn
# behind it on 127.0.0.1:$(ORIGIN_PORT), the task worker on the database queue, and Redis on
# 127.0.0.1:$(CACHE_PORT) as the cache they share unless REDIS_URL names one. Ctrl-C stops all.
ORIGIN_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
CACHE_PORT ?= $(shell echo $$(( $(PORT) + 2 )))

serve: demo edge-deps
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@if [ -z "$$REDIS_URL" ] && ! command -v redis-server >/dev/null 2>&1; then \
		echo "make serve needs Redis, the cache gunicorn's workers and the task worker share:" \
			"set REDIS_URL or install it (sudo apt-get install redis-server)" >&2; exit 1; fi
	@echo "Serving Newsroom through the edge on http://$(HOST):$(PORT)/ (origin: 127.0.0.1:$(ORIGIN_PORT), $(WORKERS) workers)"
	$(SERVE_ENV) NEWSROOM_TASKS=database NEWSROOM_EDGE_URL=http://127.0.0.1:$(PORT) NEWSROOM_PROXIES=1 \
		EDGE_LISTEN=$(HOST):$(PORT) \
		EDGE_ORIGIN=127.0.0.1:$(ORIGIN_PORT) CACHE_PORT=$(CACHE_PORT) VENV=$(VENV) WORKERS=$(WORKERS) \
		REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:$(CACHE_PORT)/0}" \
		$(VENV)/bin/honcho --no-colour -f Procfile start edge origin worker $$([ -z "$$REDIS_URL" ] && echo cache)

# Varnish (with its xkey vmod) and nginx from Debian's packages, when missing.
edge-deps:
	bash deploy/install-edge.sh

# Speed: requests/s, latency and queries of the article page against the framework's floor.
# The database (consistent: SQLite's backup API or pg_dump) and the media files, in one archive
# under backups/; `make restore BACKUP=backups/newsroom-backup-….tar.gz` puts one back.
backup: install
	$(PY) manage.py backup backups

restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/newsroom-backup-….tar.gz" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)"

bench: install
	$(PY) bench/serve.py $(BENCH_ARGS)

# The edge: nginx on the page's bytes, Varnish, gunicorn cached and uncached, a bare Django view;
# then a breaking-news run (readers through Varnish while an editor corrects the story).
bench-edge: install edge-deps
	$(PY) bench/edge.py $(BENCH_ARGS)

test: install-dev browser-deps edge-deps messages
	$(PY) -m pytest $(PYTEST_ARGS)

# Chromium, Java and the npm checkers for the browser tests (installs only what is missing).
browser-deps:
	bash tests/browser/setup.sh

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

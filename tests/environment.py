"""
The environment the test run reads newsroom.settings in. pyproject.toml loads this module as a
plugin (`-p tests.environment`) because pytest-django imports the settings before any conftest.py
is read.

Tests read the settings as development does (DJANGO_DEBUG=1: the development key, no HTTPS
redirect, static files as they are), so `make test` needs no .env; pytest-django still runs every
test with DEBUG off. Production settings are exercised in subprocesses (tests/test_production.py).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

# Under pytest-xdist (`make test` runs two processes) each process gets a Redis database of its
# own: a test's cache.clear() empties the whole database, and must not empty its neighbour's.
# pytest-django gives each process its own SQL test database the same way (test_…_gw1).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    from urllib.parse import urlsplit, urlunsplit

    _url = urlsplit(os.environ["REDIS_URL"])
    _base = int(_url.path.strip("/") or 0)
    _db = (_base + 1 + int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_url._replace(path=f"/{_db}"))

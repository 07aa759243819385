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

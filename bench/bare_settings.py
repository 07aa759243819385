"""A bare Django: the "hello" view of bench/urls.py with no middleware and no database, the
framework's floor that the cached article is measured against (bench/serve.py, bench/edge.py)."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
MIDDLEWARE = []
DATABASES = {}

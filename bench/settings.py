"""The site's settings with the benchmark's URLs (bench/urls.py): what bench/serve.py runs, so
the product itself carries no benchmark code."""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

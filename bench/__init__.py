"""Benchmarks that print figures; settings.py and urls.py are the setup bench/serve.py runs."""

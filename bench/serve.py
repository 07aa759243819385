"""
Benchmark the article page under the production stack, against the framework's own floor.

    .venv/bin/python bench/serve.py            # about a minute
    .venv/bin/python bench/serve.py --quick    # seconds: proves the benchmark still runs (CI)

Seeds a database (the demo explainer), starts gunicorn with production settings on 127.0.0.1,
loads it with wrk (Debian's package; installed when missing and running as root) and prints,
for the article page uncached (page cache off) and cached (warm), for a constant "hello"
Django view in the same setup (bench/urls.py, served with bench/settings.py), and for the same
view in a bare Django with no middleware and no database (bench/bare_settings.py): requests per
second, p50 and p99 latency, errors, SQL queries per request, and each page's ratio to both.
Uses REDIS_URL when set, else each worker's local memory; a throw-away database: a new one on
DATABASE_URL's PostgreSQL server, dropped afterwards, or else a SQLite file.

Targets (on the 2-core machine): cached ≥ 0.8× the bare view, uncached ≥ 0.15× the hello view
through the middleware, no errors, the uncached article page at most 5 queries. Without --quick, a missed target makes the exit code 1.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each page's least share of a floor: (floor, ratio).
TARGETS = {"cached": ("bare", 0.8), "uncached": ("floor", 0.15)}
MAX_QUERIES = 5
HELLO = "/bench/hello/"
PAGE = "/bench/page/"


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0:
        print("Installing wrk (Debian package)…", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return shutil.which("wrk")
    sys.exit("bench: wrk is needed; install it with: sudo apt-get install wrk")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Server:
    def __init__(self, env, workers, ready="/healthz"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "newsroom.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-tmp-dir",
                "/dev/shm",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + ready, timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("bench: gunicorn did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def write_page(directory, url):
    """Fetch a page and save its body and headers for the `page` view of bench/urls.py: the body,
    and the environment that makes the view serve them."""
    with urllib.request.urlopen(url) as response:
        body = response.read()
        skip = {"content-length", "date", "server", "connection"}
        headers = {k: v for k, v in response.getheaders() if k.lower() not in skip}
    saved = Path(directory) / "page.bin"
    saved.write_bytes(body)
    saved.with_suffix(".headers.json").write_text(json.dumps(headers))
    return body, {"BENCH_PAGE": str(saved)}


def run_wrk(wrk, url, seconds, connections):
    result = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(result.stdout)


def parse_wrk(out):
    """Requests/s, p50 and p99 (ms) and errors from wrk's report (run with --latency)."""

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match[1]), match[2]
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(map(int, match.groups()))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": errors,
    }


def count_queries(env, path):
    """SQL queries per request, counted in-process with the same settings and database."""
    script = (
        "import django, os; django.setup();"
        "from django.test import Client; from django.db import connection;"
        "from django.test.utils import CaptureQueriesContext;"
        "c = Client(HTTP_HOST='127.0.0.1');"
        f"c.get({path!r});"  # warms the cache where it is on
        "ctx = CaptureQueriesContext(connection);"
        f"ctx.__enter__(); r = c.get({path!r}); ctx.__exit__(None, None, None);"
        "print(r.status_code, len(ctx.captured_queries))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[0] == "200", out
    return int(out[1])


@contextlib.contextmanager
def workspace(prefix):
    """A temporary directory and the benchmark's environment in it: (directory, environment)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, scratch_database(tmp) as url:
        yield tmp, environment(tmp, url)


@contextlib.contextmanager
def scratch_database(tmp):
    """The address of a database that is the benchmark's alone. When DATABASE_URL names a
    PostgreSQL server, a new database on that server, dropped when the benchmark ends: the
    benchmark's rows never stay in a database someone keeps (CI runs the suite against `test`
    again and again), and an earlier run's rows never change what this one measures. Otherwise a
    SQLite file in `tmp`."""
    url = os.environ.get("DATABASE_URL")
    parts = urllib.parse.urlsplit(url or "")
    if not parts.scheme.startswith("postgres"):
        yield url or f"sqlite:///{tmp}/bench.sqlite3"
        return
    import psycopg

    name = "newsroom_bench_" + os.urandom(6).hex()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            # FORCE: a server the benchmark failed to stop may still hold a connection.
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(tmp, database_url):
    """Production settings on 127.0.0.1 over plain HTTP, with the "hello" floor (bench/urls.py),
    on `database_url`."""
    env = {
        **os.environ,
        # The site plus the "hello" floor (bench/urls.py), importable from the project root.
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + os.urandom(32).hex(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_HASHED_STATIC": "1",
        "DJANGO_STATIC_ROOT": f"{tmp}/static",
        "DJANGO_MEDIA_ROOT": f"{tmp}/media",
        "DATABASE_URL": database_url,
        # The content API's anonymous rate limit would answer a load test 429.
        "NEWSROOM_API_ANONYMOUS_RATE": "1000000000/min",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def seed(env):
    """The demo explainer in the database, the static files collected: the article's address."""
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from explainers.models import "
            "Article; print(Article.objects.published().first().get_absolute_url())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one second per run (CI)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    # A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C: the servers started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seconds = 1 if args.quick else args.seconds
    wrk = ensure_wrk()
    workers = (os.cpu_count() or 1) * 2

    with workspace("newsroom-bench-") as (tmp, env):
        print(
            f"Database: {env['DATABASE_URL'].split('@')[-1]}; cache: "
            f"{'Redis' if env.get('REDIS_URL') else 'local memory per worker'}; "
            f"{workers} gunicorn workers; wrk {seconds}s × {args.connections} connections",
            flush=True,
        )
        article = seed(env)

        results = {}
        for label, cache_on in (("uncached", "0"), ("cached", "1")):
            run_env = {**env, "NEWSROOM_PAGE_CACHE": cache_on}
            server = Server(run_env, workers)
            try:
                run_wrk(wrk, server.base + article, 1, args.connections)  # warm up workers
                results[label] = run_wrk(wrk, server.base + article, seconds, args.connections)
                results[label]["queries"] = count_queries(run_env, article)
                if label == "cached":
                    page_env = write_page(tmp, server.base + article)[1]
                    run_wrk(wrk, server.base + "/bench/hello/", 1, args.connections)
                    results["floor"] = run_wrk(
                        wrk, server.base + "/bench/hello/", seconds, args.connections
                    )
                    results["floor"]["queries"] = 0
            finally:
                server.stop()
        bare_env = {**env, **page_env, "DJANGO_SETTINGS_MODULE": "bench.bare_settings"}
        server = Server(bare_env, workers, HELLO)
        try:
            for label, path in (("bare", HELLO), ("bare page", PAGE)):
                run_wrk(wrk, server.base + path, 1, args.connections)
                results[label] = run_wrk(wrk, server.base + path, seconds, args.connections)
                results[label]["queries"] = 0
        finally:
            server.stop()

    floor, bare = results["floor"]["rps"], results["bare"]["rps"]
    print()
    print(
        f"{'page':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'queries':>9}"
        f"{'× floor':>9}{'× bare':>8}"
    )
    for label, name in (
        ("bare", "hello, bare Django"),
        ("bare page", "its bytes, bare Django"),
        ("floor", "hello (floor)"),
        ("cached", "article, cached"),
        ("uncached", "article, uncached"),
    ):
        r = results[label]
        print(
            f"{name:<22}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}"
            f"{r['queries']:>9}{r['rps'] / floor:>9.2f}{r['rps'] / bare:>8.2f}"
        )
    print(
        f"\ncached / the article's bytes and headers from the bare view: "
        f"{results['cached']['rps'] / results['bare page']['rps']:.2f}× (what the page cache, "
        "the middleware and the request log cost beside sending the page itself)"
    )
    failures = []
    for label, (against, ratio) in TARGETS.items():
        share = results[label]["rps"] / results[against]["rps"]
        if share < ratio:
            failures.append(f"{label} article {share:.2f}× {against} < {ratio}×")
    if any(r["errors"] for r in results.values()):
        failures.append("errors during the load")
    if results["uncached"]["queries"] > MAX_QUERIES:
        failures.append(
            f"uncached article page: {results['uncached']['queries']} queries > {MAX_QUERIES}"
        )
    print()
    print("Targets: " + ("all met" if not failures else "; ".join(failures)))
    if failures and not args.quick:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The benchmark scripts still run (quick versions): figures are printed, not asserted here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.faults import varnishd

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_serving_benchmark_runs_and_prints_its_table():
    result = run("bench/serve.py", "--quick")
    assert result.returncode == 0, result.stdout + result.stderr
    for row in ("hello (floor)", "article, cached", "article, uncached", "Targets:"):
        assert row in result.stdout
    # The load itself must be clean, whatever the speed of the machine.
    assert "errors during the load" not in result.stdout


def test_the_photo_benchmark_runs_and_prints_its_figures():
    result = run("bench/photos.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 9 renditions:" in result.stdout and "Peak memory" in result.stdout
    assert "phone, 390 px at 3x" in result.stdout


def test_the_edge_benchmark_runs_and_prints_its_figures():
    result = run("bench/edge.py", "--quick")
    if result.returncode == 77:  # varnishd, nginx, wrk or redis-server missing and not installable
        pytest.skip(result.stdout.strip())
    assert result.returncode == 0, result.stdout + result.stderr
    for row in (
        "nginx, the same bytes",
        "Varnish (edge)",
        "gunicorn, cached",
        "gunicorn, uncached",
        "bare Django view (hello)",
        "edge hit ratio:",
        "age of what readers saw",
        "varnish / nginx:",
        "cached / bare:",
        "Targets:",
    ):
        assert row in result.stdout, row
    # The load and the editor's saves must be clean, whatever the speed of the machine.
    assert " errors" not in result.stdout.split("Targets:")[1]
    assert ", 0 failed saves" in result.stdout and "corrections saved" in result.stdout
    # The heavy work left the request: the photo's renditions and the rebuild of every article
    # citing the renamed source were done by the worker, and the edge shows the new name.
    assert "upload of a 6000 × 4000 JPEG" in result.stdout
    assert "its renditions made by the worker" in result.stdout and "(0 failed)" in result.stdout
    assert "rename of a source cited by 300 articles" in result.stdout
    assert "the new name at the edge: yes" in result.stdout


def test_the_fault_benchmark_runs_and_prints_its_table():
    result = run("bench/faults.py", "--quick")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = ["database stopped", "cache killed"]
    if varnishd():
        rows += ["database stopped, edge", "origin stopped, edge"]  # make test installs it
    for row in rows:
        assert row in result.stdout
    # What readers got is not a matter of the machine's speed: no server error but 503, and
    # every cached page served through every outage (how fast each recovers may vary here).
    verdict = result.stdout.split("Targets:")[1]
    assert ": answers [" not in verdict and ": cached pages" not in verdict, verdict

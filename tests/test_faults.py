"""
Faults degrade cleanly (issue 19): the database goes away for real — a throwaway PostgreSQL
cluster made with initdb in a temporary directory, on a free port, stopped and started again
under a site served by gunicorn — and readers keep their cached pages, everything else answers
503 with Retry-After (never 500), the outage is logged once, and the first request after the
database is back succeeds without a restart. The machine's own PostgreSQL is never touched.
"""

import json
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import OperationalError

from bench.faults import ROOT, Cluster, Site, manage, postgres_bin, site_environment
from newsroom.outage import is_outage


@pytest.fixture
def cluster():
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    made = Cluster(bindir)
    try:
        made.start()
        made.create_database("site")
        yield made
    finally:
        made.remove()


STAFF_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_superuser("chief", "chief@example.com", "not-used-1")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def test_a_database_outage_is_503_for_what_is_not_cached_and_recovers_by_itself(cluster, tmp_path):
    env = site_environment(tmp_path, cluster.url("site"))
    env["NEWSROOM_REQUEST_LOG_LEVEL"] = "INFO"
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo", "--verbosity", "0")
    session = manage(env, "shell", "-c", STAFF_SESSION).strip().splitlines()[-1]
    staff = f"sessionid={session}"
    site = Site(env, tmp_path / "gunicorn.log")
    try:
        for path in ("/", "/tags/belarus/"):
            site.get(path)
            assert site.get(path)[1]["X-Cache"] == "HIT", path

        cluster.stop()

        # Cached pages are still served.
        for path in ("/", "/tags/belarus/"):
            status, headers, body, _ = site.get(path)
            assert status == 200 and headers["X-Cache"] == "HIT", path
        # Everything else: 503 with Retry-After, in its users' form, quickly.
        answers = {
            "reader": site.get("/search/?q=belarus"),
            "uncached page": site.get("/tags/ukraine/"),
            "admin": site.get("/admin/explainers/article/", cookie=staff),
            "api": site.get("/api/v1/speakers/"),
            "health": site.get("/healthz"),
        }
        for who, (status, headers, body, seconds) in answers.items():
            assert status == 503, (who, status, body[:300])
            assert seconds < 5, (who, seconds)
            if who != "health":
                assert headers["Retry-After"] == "5", who
                assert headers["Cache-Control"] == "no-store", who
        assert "Back in a moment" in answers["reader"][2]
        assert "temporarily unavailable" in answers["uncached page"][2]
        assert answers["admin"][1]["Content-Type"].startswith("text/plain")
        assert "Nothing you sent was saved" in answers["admin"][2]
        assert json.loads(answers["api"][2])["detail"].startswith("The newsroom's database")
        assert json.loads(answers["health"][2])["database"] == "failing"

        cluster.start()

        # The very next request succeeds: no worker restart.
        status, _, body, _ = site.get("/search/?q=belarus")
        assert status == 200 and "Belarus" in body
        assert site.get("/admin/explainers/article/", cookie=staff)[0] == 200
        assert site.get("/healthz")[0] == 200
    finally:
        site.stop()
    log = site.log.read_text()
    # Logged once when met and once when over; no traceback per request.
    assert log.count("The database is unreachable") == 1, log[-3000:]
    assert log.count("The database is back") == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


ENQUEUE = """
from explainers.tasks import purge_edge
print(purge_edge.enqueue(["a-key"]).id)
"""
STATUS_OF = "from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.get(id='{}').status)"


def test_the_task_worker_waits_out_a_database_outage_and_goes_on(cluster, tmp_path):
    """db_worker let an outage met while claiming a task out of its loop, and the worker
    exited. manage.py task_worker, started while the database is away or meeting an outage
    later, waits, logs it once, and takes the next task when the database is back."""
    env = site_environment(tmp_path, cluster.url("site"))
    env["NEWSROOM_TASKS"] = "database"
    manage(env, "migrate", "--noinput")
    log_path = tmp_path / "worker.log"

    def logged(text, count=1):
        for _ in range(300):  # a bound, not a timing
            if log_path.read_text().count(text) >= count or worker.poll() is not None:
                return
            time.sleep(0.1)

    def a_task_runs():
        task = manage(env, "shell", "-c", ENQUEUE).strip().splitlines()[-1]
        for _ in range(100):  # a bound, not a timing
            status = manage(env, "shell", "-c", STATUS_OF.format(task)).strip().splitlines()[-1]
            if status not in ("READY", "RUNNING"):
                break
            time.sleep(0.1)
        assert status == "SUCCESSFUL", log_path.read_text()[-2000:]

    cluster.stop()
    command = [sys.executable, "manage.py", "task_worker", "--no-reload", "--no-startup-delay"]
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [*command, "--interval", "0.1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        # Started with no database: it waits.
        logged("The database is unreachable")
        time.sleep(1)
        assert worker.poll() is None, log_path.read_text()[-2000:]
        cluster.start()
        a_task_runs()
        # Running, the database goes: it meets the outage claiming its next task, again and
        # again, and stays.
        cluster.stop()
        logged("The database is unreachable", 2)
        time.sleep(1)
        assert worker.poll() is None, log_path.read_text()[-2000:]
        cluster.start()
        a_task_runs()
    finally:
        worker.terminate()
        worker.wait(10)
    log = log_path.read_text()
    assert log.count("The database is unreachable") == 2, log[-3000:]  # once per outage
    assert log.count("The database is back") == 2, log[-3000:]


# What counts as an outage, and what is still a 500.


def wrapped(cause):
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def sqlite_error(name):
    import sqlite3

    error = sqlite3.OperationalError(name.lower())
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    "error, outage",
    [
        (wrapped(psycopg.OperationalError("connection refused")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (wrapped(psycopg.errors.ReadOnlySqlTransaction("read-only transaction")), True),
        (wrapped(psycopg.errors.UndefinedTable("no such relation")), False),
        (wrapped(sqlite_error("SQLITE_BUSY")), True),
        (wrapped(sqlite_error("SQLITE_READONLY_DBMOVED")), True),
        (wrapped(sqlite_error("SQLITE_ERROR")), False),  # no such table: a bug, a 500
        (ValueError("not the database"), False),
    ],
)
def test_an_outage_is_told_from_a_bug(error, outage):
    assert is_outage(error) is outage


def test_a_bug_in_the_database_layer_is_still_a_500(client, settings, db):
    from unittest import mock

    settings.NEWSROOM_PAGE_CACHE = False
    client.raise_request_exception = False
    broken = wrapped(sqlite_error("SQLITE_ERROR"))
    with mock.patch("explainers.views.search_engine.search", side_effect=broken):
        response = client.get("/search/?q=belarus")
    assert response.status_code == 500 and "Retry-After" not in response
    outage = wrapped(psycopg.OperationalError("connection refused"))
    with mock.patch("explainers.views.search_engine.search", side_effect=outage):
        response = client.get("/search/?q=belarus")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Back in a moment" in response.content.decode()


def test_a_save_cut_off_half_way_leaves_the_article_as_it_was(editor_client, db):
    """The admin's save is one transaction: when it stops half-way — here the second question's
    write fails after the article's own row and the first question were written, as a worker
    killed mid-save would stop it — nothing of it stays, and the editor's next save works."""
    from unittest import mock

    from explainers.models import Article, QuestionSection
    from tests.conftest import make_article
    from tests.test_admin import errors, form_data

    article = make_article(slug="saved", headline="As it was")
    url = f"/admin/explainers/article/{article.pk}/change/"
    data = form_data(editor_client.get(url))
    data["headline"] = "Half saved"
    sections = [
        name for name in data if name.startswith("sections-") and name.endswith("-question")
    ]
    for name in sections:
        if data[name]:
            data[name] += " (edited)"
    real_save = QuestionSection.save
    written = []

    def cut_off(self, *args, **kwargs):
        if written:
            raise OperationalError("server closed the connection unexpectedly")
        written.append(self.pk)
        return real_save(self, *args, **kwargs)

    editor_client.raise_request_exception = False
    with mock.patch.object(QuestionSection, "save", cut_off):
        response = editor_client.post(url, data)
    assert response.status_code in (500, 503) and written, errors(response)
    article.refresh_from_db()
    assert article.headline == "As it was"
    assert [s.question for s in article.sections.order_by("position")] == [
        "Question number 1?",
        "Question number 2?",
    ]
    saved = editor_client.post(url, form_data(editor_client.get(url)) | {"headline": "Saved"})
    assert saved.status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "Saved"

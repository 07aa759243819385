"""Background work (explainers.tasks, the django.tasks API): renditions after an upload, the
rebuild fan-out of a shared record's change in batches, edge purges deduplicated, retries with a
back-off, failures shown to admins only — and the database backend with a real `db_worker`."""

import io
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult
from PIL import Image

import explainers
from explainers import tasks
from explainers.models import ArticleDocument, Speaker
from photos.models import Photo
from tests.conftest import make_article, make_photo, staff
from tests.test_admin import form_data
from tests.test_production import free_port, start_redis

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parent.parent
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.NEWSROOM_PAGE_CACHE = True


@pytest.fixture
def enqueued():
    """The tasks enqueued during the test, as (task name, args)."""
    seen = []

    def record(sender, task_result, **kwargs):
        seen.append((task_result.task.name, task_result.args))

    task_enqueued.connect(record, weak=False, dispatch_uid="test-tasks-enqueued")
    yield seen
    task_enqueued.disconnect(dispatch_uid="test-tasks-enqueued")


@pytest.fixture
def edge(monkeypatch):
    """explainers.edge.purge replaced by a recorder that fails `edge.failures` times first (the
    real module, if written, is patched; else a stand-in module is put in its place)."""
    state = types.SimpleNamespace(calls=[], failures=0)

    def purge(keys):
        state.calls.append(list(keys))
        if state.failures:
            state.failures -= 1
            raise RuntimeError("the edge refused the purge")

    try:
        from explainers import edge as module
    except ImportError:
        module = types.ModuleType("explainers.edge")
        monkeypatch.setitem(sys.modules, "explainers.edge", module)
        monkeypatch.setattr(explainers, "edge", module, raising=False)
    monkeypatch.setattr(module, "purge", purge, raising=False)
    return state


def jpeg(size=(1280, 720), color=(10, 90, 160)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile("new.jpg", buffer.getvalue(), content_type="image/jpeg")


def upload_new_image(client, photo):
    url = f"/admin/photos/photo/{photo.pk}/change/"
    data = form_data(client.get(url), "form#photo_form")
    data["image"] = jpeg()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def hero(reader, article, media_root):
    """The article page's hero as a reader's browser loads it: the <img> source, the srcset
    candidates, and whether every file named exists."""
    html = BeautifulSoup(reader.get(article.get_absolute_url()).content, "html.parser")
    picture = html.select_one("picture")
    img = picture.select_one("img")
    srcset = [c.split()[0] for c in (img.get("srcset") or "").split(",") if c.strip()]
    for source in picture.select("source"):
        srcset += [c.split()[0] for c in source["srcset"].split(",")]
    files = [img["src"], *srcset]
    present = all((media_root / url.split("/media/", 1)[1]).is_file() for url in files)
    return img["src"], srcset, present


@pytest.fixture
def story_with_photo(story, on_commit):
    with on_commit():
        story.hero_photo = make_photo(size=(1280, 720))
        story.save()
    return story


# Renditions after an upload.


def test_an_upload_answers_before_the_renditions_and_the_page_shows_the_original_meanwhile(
    settings, editor_client, reader, story_with_photo, on_commit, media_root
):
    settings.TASKS = DUMMY  # enqueued, never run: what readers see before the worker gets to it
    photo = story_with_photo.hero_photo
    reader.get(story_with_photo.get_absolute_url())
    with on_commit():
        upload_new_image(editor_client, photo)
    photo.refresh_from_db()
    assert [(r.task.name, r.args) for r in default_task_backend.results] == [
        ("make_renditions", [photo.pk])
    ]
    # The old crops show the old picture: the page shows the new original, whole, no srcset.
    src, srcset, present = hero(reader, story_with_photo, media_root)
    assert src == photo.image.url and srcset == [] and present


def test_an_upload_makes_the_renditions_in_a_task_and_refreshes_the_page(
    settings, editor_client, reader, story_with_photo, on_commit, media_root, enqueued
):
    settings.TASKS = IMMEDIATE
    photo = story_with_photo.hero_photo
    before = hero(reader, story_with_photo, media_root)
    reader.get(story_with_photo.get_absolute_url())  # cached now
    with on_commit():
        upload_new_image(editor_client, photo)
    assert ("make_renditions", [photo.pk]) in enqueued
    photo.refresh_from_db()
    assert photo.renditions.count() == 9
    src, srcset, present = hero(reader, story_with_photo, media_root)
    assert present and len(srcset) == 8
    assert src != before[0] and not set(srcset) & set(before[1])  # the new crops, not the old
    assert src == photo.fallback["url"]


def test_make_renditions_is_safe_to_run_twice_and_for_a_deleted_photo(media_root):
    photo = make_photo(renditions=False)
    tasks.make_renditions.call(photo.pk)
    tasks.make_renditions.call(photo.pk)
    assert photo.renditions.count() == 9
    assert len(Photo.objects.get(pk=photo.pk).rendition_index) == 9
    assert tasks.make_renditions.call(photo.pk + 1000) == 0


# The rebuild fan-out.


@pytest.fixture
def quoted_widely(settings):
    """A speaker quoted in five published articles; more than two are rebuilt in batches of
    two."""
    settings.NEWSROOM_REBUILD_INLINE = 2
    settings.NEWSROOM_REBUILD_BATCH = 2
    articles = [make_article(slug=f"story-{n}", headline=f"Story {n}") for n in range(5)]
    return Speaker.objects.get(), articles


def rename(client, speaker, name):
    url = f"/admin/explainers/speaker/{speaker.pk}/change/"
    data = form_data(client.get(url), "form#speaker_form")
    data["name"] = name
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def speakers_on(reader, article):
    html = BeautifulSoup(reader.get(article.get_absolute_url()).content, "html.parser")
    return {a.text.strip() for a in html.select('a[href^="/speakers/"]')}


def test_renaming_a_speaker_quoted_widely_rebuilds_the_documents_in_batches(
    settings, editor_client, reader, quoted_widely, on_commit, enqueued
):
    settings.TASKS = IMMEDIATE
    speaker, articles = quoted_widely
    for article in articles:
        reader.get(article.get_absolute_url())
    with on_commit():
        rename(editor_client, speaker, "Viktar Khrenin")
    ids = sorted(a.pk for a in articles)
    batches = [args[0] for name, args in enqueued if name == "rebuild_documents"]
    assert batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert ArticleDocument.objects.filter(article__in=ids).count() == 5
    for article in articles:
        assert "Viktar Khrenin" in ArticleDocument.objects.get(article=article).body
        assert speakers_on(reader, article) == {"Viktar Khrenin"}


def test_until_the_batches_run_readers_get_fresh_pages_built_on_demand(
    settings, editor_client, reader, quoted_widely, on_commit
):
    settings.TASKS = DUMMY  # the batches wait for a worker
    speaker, articles = quoted_widely
    for article in articles:
        reader.get(article.get_absolute_url())
        assert reader.get(article.get_absolute_url())["X-Cache"] == "HIT"
    with on_commit():
        rename(editor_client, speaker, "Viktar Khrenin")
    # The save rebuilt nothing: the documents are gone, their pages invalidated.
    assert not ArticleDocument.objects.filter(article__in=articles).exists()
    assert len(default_task_backend.results) == 3
    for article in articles:
        assert speakers_on(reader, article) == {"Viktar Khrenin"}


def test_a_change_to_a_few_articles_is_still_rebuilt_inside_the_save(
    settings, editor_client, reader, story, on_commit, enqueued
):
    settings.TASKS = DUMMY
    speaker = Speaker.objects.get()
    with on_commit():
        rename(editor_client, speaker, "Viktar Khrenin")
    assert not [name for name, _ in enqueued if name == "rebuild_documents"]
    assert "Viktar Khrenin" in ArticleDocument.objects.get(article=story).body


# Edge purges.


def test_the_purges_of_one_commit_go_in_one_task_sorted_and_deduplicated(edge, on_commit):
    with on_commit():
        tasks.purge_edge_later(["home", "article:b", "tag:belarus"])
        tasks.purge_edge_later(["article:a", "home"])
    assert edge.calls == [["article:a", "article:b", "home", "tag:belarus"]]
    with on_commit():
        tasks.purge_edge_later(["feeds"])
    assert edge.calls[1:] == [["feeds"]]


def test_a_failed_purge_is_retried_at_once_on_the_immediate_backend(settings, edge, on_commit):
    settings.TASKS = IMMEDIATE
    edge.failures = 1
    with on_commit():
        tasks.purge_edge_later(["home"])
    assert edge.calls == [["home"], ["home"]]


def test_the_purge_says_what_is_missing_without_the_edge_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "explainers.edge", None)  # as if it were not written
    monkeypatch.delattr(explainers, "edge", raising=False)
    with pytest.raises(ImportError, match="explainers/edge.py"):
        tasks.purge_edge.func(["home"])


# Retries and failures, on the database backend (the worker run in this process).


BATCH = ["--batch", "--no-reload", "--no-startup-delay", "--interval", "0"]


def work():
    """Run every task that is due, as `manage.py db_worker --batch` does — here, inside the
    test's transaction, whose connection the worker must not close between tasks as it does
    its own."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", *BATCH, verbosity=0)


def attempts_by_status():
    return sorted(
        (r.args_kwargs["kwargs"].get("attempt", 1), r.status)
        for r in DBTaskResult.objects.filter(task_path="explainers.tasks.purge_edge")
    )


def due_now():
    """Let the back-off pass (the worker only takes a retry once its run_after is due)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_failing_task_is_retried_with_a_back_off_then_succeeds(settings, edge):
    settings.TASKS = DATABASE
    settings.NEWSROOM_TASK_RETRY_SECONDS = 60
    edge.failures = 1
    tasks.purge_edge.enqueue(["home"])
    work()
    assert attempts_by_status() == [(1, "FAILED"), (2, "READY")]
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timezone.timedelta(seconds=50)
    work()  # not due yet: nothing runs
    assert edge.calls == [["home"]]
    due_now()
    work()
    assert attempts_by_status() == [(1, "FAILED"), (2, "SUCCESSFUL")]
    assert edge.calls == [["home"], ["home"]]


def test_a_task_failing_every_attempt_is_shown_to_admins_and_not_to_reporters(
    settings, edge, client, admin_user, reporter, django_user_model
):
    settings.TASKS = DATABASE
    settings.NEWSROOM_TASK_ATTEMPTS = 3
    edge.failures = 10
    tasks.purge_edge.enqueue(["article:story", "home"])
    for _ in range(3):
        work()
        due_now()
    work()
    assert attempts_by_status() == [(1, "FAILED"), (2, "FAILED"), (3, "FAILED")]
    assert len(edge.calls) == 3

    changelist = "/admin/django_tasks_database/dbtaskresult/"
    client.force_login(admin_user)
    assert "Task Results" in client.get("/admin/").content.decode()
    html = BeautifulSoup(client.get(changelist).content, "html.parser")
    rows = [" ".join(tr.text.split()) for tr in html.select("#result_list tbody tr")]
    assert len(rows) == 3
    assert any("purge_edge" in r and "3 of 3 (gave up)" in r for r in rows)
    assert all("RuntimeError: the edge refused the purge" in r for r in rows)
    failed = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=3)
    detail = client.get(f"{changelist}{failed.pk}/change/").content.decode()
    assert "the edge refused the purge" in detail and "Traceback" in detail
    assert 'name="_save"' not in detail  # read-only

    client.force_login(reporter)
    assert "Task Results" not in client.get("/admin/").content.decode()
    assert client.get(changelist).status_code == 403
    assert client.get(f"{changelist}{failed.pk}/change/").status_code == 403


def test_a_successful_task_is_not_listed_as_failed(settings, edge, client, admin_user):
    settings.TASKS = DATABASE
    tasks.purge_edge.enqueue(["home"])
    work()
    client.force_login(admin_user)
    html = BeautifulSoup(
        client.get("/admin/django_tasks_database/dbtaskresult/").content, "html.parser"
    )
    assert html.select("#result_list tbody tr") == []


# A real worker: `manage.py task_worker` (db_worker) in its own process, on the test's database.


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """The DATABASE_URL of a database this test and a worker process both reach, committed
    writes and all. PostgreSQL: the test database itself. SQLite's test database lives in this
    process's memory, so the test moves to a migrated file for its duration."""
    settings_dict = connection.settings_dict
    if connection.vendor != "sqlite":
        user, password = settings_dict["USER"], settings_dict["PASSWORD"]
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict["HOST"] or "127.0.0.1"
        port = settings_dict["PORT"] or 5432
        yield f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"
        return
    path = tmp_path / "shared.sqlite3"
    memory, name = connection.connection, settings_dict["NAME"]
    connection.connection = None  # the in-memory database is kept, not closed (it would vanish)
    settings_dict["NAME"] = str(path)
    ContentType.objects.clear_cache()
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        settings_dict["NAME"] = name
        connection.connection = memory
        ContentType.objects.clear_cache()


@pytest.fixture
def shared_cache(settings):
    """A Redis both processes use, as in production: the worker's invalidations reach the
    pages this process cached."""
    port = free_port()
    redis = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "newsroom",
        }
    }
    yield url
    redis.terminate()
    redis.wait(5)


def start_worker(database_url, redis_url, media_root, log):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "NEWSROOM_TASKS": "database",
    }
    command = [sys.executable, "manage.py", "task_worker", "--no-reload", "--no-startup-delay"]
    command += ["--interval", "0.2", "--worker-id", "newsroom-test-worker"]
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def run_worker_until_done(row, database_url, redis_url, media_root, log_path):
    """Start a worker, wait until it has finished the task `row` (or stopped), stop it: the
    worker's output so far."""
    with log_path.open("a") as log:
        worker = start_worker(database_url, redis_url, media_root, log)
        try:
            for _ in range(600):  # a bound, not a timing: a worker that never gets to it fails
                row.refresh_from_db()
                if row.status not in ("READY", "RUNNING") or worker.poll() is not None:
                    break
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(10)
    return log_path.read_text()


def test_a_real_worker_makes_the_renditions_an_upload_enqueued(
    settings, shared_database, shared_cache, media_root, tmp_path, django_user_model
):
    settings.TASKS = DATABASE
    call_command("setup_roles", verbosity=0)
    editor = staff(django_user_model, "editor", "Editor")
    with_photo = make_article(slug="story", headline="The story")
    with_photo.hero_photo = make_photo(size=(1280, 720))
    with_photo.save()
    from django.test import Client

    editor_client, reader = Client(), Client()
    editor_client.force_login(editor)
    photo = with_photo.hero_photo

    upload_new_image(editor_client, photo)
    queued = DBTaskResult.objects.get(task_path="explainers.tasks.make_renditions")
    assert queued.status == "READY" and queued.args_kwargs["args"] == [photo.pk]
    photo.refresh_from_db()
    src, srcset, present = hero(reader, with_photo, media_root)  # cached in Redis now
    assert src == photo.image.url and srcset == [] and present

    log_path = tmp_path / "worker.log"
    output = run_worker_until_done(queued, shared_database, shared_cache, media_root, log_path)
    assert queued.status == "SUCCESSFUL", output
    assert queued.worker_ids == ["newsroom-test-worker"]
    photo.refresh_from_db()
    assert Photo.objects.get(pk=photo.pk).renditions.count() == 9
    src, srcset, present = hero(reader, with_photo, media_root)
    assert present and len(srcset) == 8 and src == photo.fallback["url"]


def test_a_task_whose_worker_was_killed_half_way_runs_again_when_a_worker_starts(
    settings, shared_database, shared_cache, media_root, tmp_path
):
    """Nothing is lost: the worker is killed (SIGKILL) in the middle of cutting a large photo's
    renditions; the task waits, RUNNING, in the database; the next worker puts it back and runs
    it from the start."""
    settings.TASKS = DATABASE
    photo = make_photo(renditions=False, size=(5000, 3400))
    queued = tasks.make_renditions.enqueue(photo.pk)
    row = DBTaskResult.objects.get(pk=queued.id)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = start_worker(shared_database, shared_cache, media_root, log)
        try:
            for _ in range(600):
                row.refresh_from_db()
                if row.status != "READY" or worker.poll() is not None:
                    break
                time.sleep(0.02)
            worker.kill()  # in the middle of the task: no handler runs
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
    row.refresh_from_db()
    if row.status == "SUCCESSFUL":
        # A machine fast enough to finish before the kill: leave exactly what a kill leaves — the
        # row RUNNING, the renditions not made — and prove the rest on that.
        Photo.objects.get(pk=photo.pk).renditions.all().delete()
        DBTaskResult.objects.filter(pk=row.pk).update(status="RUNNING", finished_at=None)
        row.refresh_from_db()
    assert row.status == "RUNNING"  # what a killed db_worker leaves behind
    assert Photo.objects.get(pk=photo.pk).renditions.count() < 9

    output = run_worker_until_done(row, shared_database, shared_cache, media_root, log_path)
    assert row.status == "SUCCESSFUL", output
    assert "Requeued 1 task(s) a stopped worker left running" in output
    assert Photo.objects.get(pk=photo.pk).renditions.count() == 9

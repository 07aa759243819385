"""
Background work, through the django.tasks API (the django-tasks backport of Django 6's
`django.tasks`; the backend is the `TASKS` setting, see NEWSROOM_TASKS in newsroom/settings.py).

- `make_renditions(photo_id)`: a photo's renditions, after an upload or a new focal point
  (photos/admin.py). Until they exist pages show the stored original (`Photo.fallback`); when
  they land, `Photo.index_renditions()` saves the photo and the change pipeline refreshes every
  page showing it (explainers.signals.photo_saved → explainers.changes).
- `rebuild_documents(article_ids)`: one batch of page documents, when a change touches more
  articles than a request should rebuild (explainers.changes.flush decides, and has already
  invalidated their pages: a reader finding no document renders it on demand).
- `purge_edge(keys)`: the edge cache's purge (explainers.edge.purge), one task per commit with
  its keys deduplicated and sorted (`purge_edge_later`).

Every task is enqueued when the write's transaction commits (`enqueue_on_commit`), takes ids
and strings, never objects, and is idempotent: it reads the current state and makes what is
derived from it, so running it twice, or after a later change, does no harm.

Retries: django.tasks records a failure but never retries. `retried` does, explicitly: a
failing attempt enqueues the next one (the same arguments, `attempt` + 1), to run after a
back-off of NEWSROOM_TASK_RETRY_SECONDS × 2^(attempt − 1) on a backend that defers (the
database one; the immediate backend runs it at once), then raises, so the failure of every
attempt is recorded with its traceback. After NEWSROOM_TASK_ATTEMPTS attempts it gives up; the
failed attempts are listed for admins in the admin (explainers.admin, workflow.can_see_tasks).
"""

import datetime
import functools
import logging

from django.conf import settings
from django.core import checks
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger("newsroom.tasks")


def attempts():
    return getattr(settings, "NEWSROOM_TASK_ATTEMPTS", 3)


def backoff(attempt):
    """Seconds to wait before the attempt after `attempt`."""
    return getattr(settings, "NEWSROOM_TASK_RETRY_SECONDS", 30) * 2 ** (attempt - 1)


def retried(function):
    """Make a task function retry itself: see the module's docstring. Apply under @task."""

    @functools.wraps(function)
    def run(*args, attempt=1, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if attempt < attempts():
                this = globals()[function.__name__]  # the Task this function became
                again = this
                if this.get_backend().supports_defer:
                    delay = datetime.timedelta(seconds=backoff(attempt))
                    again = this.using(run_after=timezone.now() + delay)
                logger.warning(
                    "%s failed (attempt %d of %d: %r); retrying",
                    function.__name__,
                    attempt,
                    attempts(),
                    error,
                )
                again.enqueue(*args, attempt=attempt + 1, **kwargs)
            else:
                logger.error("%s failed %d times, giving up: %r", function.__name__, attempt, error)
            raise

    return run


def enqueue_on_commit(this, *args, **kwargs):
    """Enqueue a task once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: this.enqueue(*args, **kwargs))


# The tasks.


@task
@retried
def make_renditions(photo_id):
    """Make a photo's renditions from its stored original (all of them: an upload or a new
    focal point changed every crop). A photo deleted since is nothing to do."""
    from photos.models import Photo

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not photo.image:
        return 0
    return photo.make_renditions()


@task
@retried
def rebuild_documents(article_ids):
    """Store fresh page documents for a batch of articles (those that still exist)."""
    from . import document

    document.rebuild(article_ids)
    return len(article_ids)


@task
@retried
def purge_edge(keys):
    """Purge these surrogate keys from the edge cache; explainers.edge.purge raises on failure,
    so a purge the edge refused is retried."""
    try:
        from . import edge
    except ImportError as error:
        raise ImportError(
            "explainers/edge.py (the edge cache's purge, `purge(keys: list[str])`) is missing"
        ) from error
    edge.purge(list(keys))
    return len(keys)


# Enqueuing helpers, for explainers.changes and the edge.


def rebuild_later(article_ids):
    """Enqueue rebuild_documents in batches of NEWSROOM_REBUILD_BATCH ids, in id order."""
    ids = sorted(set(article_ids))
    size = getattr(settings, "NEWSROOM_REBUILD_BATCH", 200)
    for start in range(0, len(ids), size):
        enqueue_on_commit(rebuild_documents, ids[start : start + size])


def purge_edge_later(keys):
    """Purge these keys once the transaction commits: the keys asked for during one transaction
    go in one purge_edge task, deduplicated and sorted (outside a transaction, at once)."""
    pending = getattr(connection, "newsroom_purge_keys", None)
    if pending is None:
        pending = connection.newsroom_purge_keys = set()
    pending.update(keys)
    # One callback per call; the first to run takes every key, the others find none. Keys a
    # rolled-back transaction left are purged with the next commit: harmless.
    transaction.on_commit(flush_purges)


def flush_purges():
    pending = getattr(connection, "newsroom_purge_keys", set())
    keys = sorted(pending)
    pending.clear()
    if keys:
        purge_edge.enqueue(keys)


@checks.register(checks.Tags.caches)
def worker_shares_the_cache(app_configs=None, **kwargs):
    """A worker invalidates cached pages (renditions landing) in the cache it shares with the
    web processes; a local-memory cache is its own, so those pages would keep the original."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    queued = "DatabaseBackend" in settings.TASKS.get("default", {}).get("BACKEND", "")
    if queued and backend.endswith(("LocMemCache", "LocalMemoryCache")):
        return [
            checks.Warning(
                "NEWSROOM_TASKS=database with the local-memory cache: the worker's page-cache "
                "invalidations never reach the web processes.",
                hint="Set REDIS_URL so the web processes and the worker share the cache.",
                id="newsroom.W001",
            )
        ]
    return []


def requeue_interrupted():
    """Put every task left RUNNING back to READY (manage.py task_worker, at its start): a worker
    killed in the middle of one never finishes it. How many were."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.running().update(status=TaskResultStatus.READY, started_at=None)

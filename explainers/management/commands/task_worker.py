"""
The task worker: django-tasks-db's `db_worker`, which first puts back to the queue the tasks a
worker was killed in the middle of.

    python manage.py task_worker --queue-name '*' --interval 0.2     # as make serve runs it

`db_worker` marks a task RUNNING when it takes it and never looks at it again: a worker killed
half-way (an out-of-memory kill, a host going down, `kill -9`) leaves it RUNNING for ever, and
its renditions or purges are never made. So when this worker starts, every RUNNING task goes
back to READY and runs again from the start — harmless, since every task is idempotent
(explainers.tasks): at worst a task another live worker is still running runs once more.

And it outlives a database outage (refused, restarting, or SQLite locked by writers past its
timeout): db_worker lets such an error out of its loop when it meets it opening the transaction
that claims a task, and the worker exited, leaving the tasks to wait for someone to start it
again. Here the outage is logged once, the worker tries again every second, and a task it had
claimed when the database went goes back to the queue; one started while the database is away
waits for it before it requeues anything. Takes every option of db_worker.
"""

import logging
import time

from django.db import DatabaseError, close_old_connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from explainers.tasks import requeue_interrupted
from newsroom.outage import is_outage

logger = logging.getLogger("newsroom.tasks")

RETRY_EVERY = 1.0  # seconds between attempts while the database is away


class OutlastingWorker(Worker):
    def run(self):
        since, started = None, False
        while True:
            try:
                if not started:
                    requeued = requeue_interrupted()
                    if requeued:
                        logger.warning(
                            "Requeued %d task(s) a stopped worker left running.", requeued
                        )
                    started = True
                if since is not None:
                    self.requeue_own()
                    logger.warning(
                        "The database is back after %.1f s; the worker goes on.",
                        time.monotonic() - since,
                    )
                    since = None
                return super().run()
            except DatabaseError as error:
                if not is_outage(error) or not self.running:
                    raise
                if since is None:
                    since = time.monotonic()
                    logger.error(
                        "The database is unreachable (%s): the worker waits for it.",
                        str(error).strip().splitlines()[0] if str(error).strip() else "",
                    )
                self.running_task = False
                close_old_connections()
                time.sleep(RETRY_EVERY)

    def requeue_own(self):
        """The tasks this worker had claimed and not finished when the database went."""
        from django_tasks_db.compat import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        mine = [
            result.pk
            for result in DBTaskResult.objects.running()
            if (result.worker_ids or [])[-1:] == [self.worker_id]
        ]
        DBTaskResult.objects.filter(pk__in=mine).update(
            status=TaskResultStatus.READY, started_at=None
        )


class Command(WorkerCommand):
    help = "Run background tasks (db_worker), first requeueing any a killed worker left running."

    def handle(self, *args, **options):
        # db_worker's handle() makes its worker from the module's Worker class, with no hook to
        # name another: in this process (the worker's own) that class is ours.
        db_worker.Worker = OutlastingWorker
        return super().handle(*args, **options)

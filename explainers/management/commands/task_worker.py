"""
The task worker: django-tasks-db's `db_worker`, which first puts back to the queue the tasks a
worker was killed in the middle of.

    python manage.py task_worker --queue-name '*' --interval 0.2     # as make serve runs it

`db_worker` marks a task RUNNING when it takes it and never looks at it again: a worker killed
half-way (an out-of-memory kill, a host going down, `kill -9`) leaves it RUNNING for ever, and
its renditions or purges are never made. So when this worker starts, every RUNNING task goes
back to READY and runs again from the start — harmless, since every task is idempotent
(explainers.tasks): at worst a task another live worker is still running runs once more. Takes
every option of db_worker.
"""

import logging

from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from explainers.tasks import requeue_interrupted

logger = logging.getLogger("newsroom.tasks")


class Command(WorkerCommand):
    help = "Run background tasks (db_worker), first requeueing any a killed worker left running."

    def handle(self, *args, **options):
        requeued = requeue_interrupted()
        if requeued:
            logger.warning("Requeued %d task(s) a stopped worker left running.", requeued)
        return super().handle(*args, **options)

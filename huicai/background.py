"""Background work: enqueue a task so that it runs if, and only if, the change that asked for it commits.

With the database backend (``django_tasks_db``, the default outside tests) the task is a row written in the
caller's transaction: it commits with the data or rolls back with it, and ``manage.py db_worker`` (another
process, another connection) cannot see it before the commit. Nothing is lost between the commit and the enqueue,
because there is no "between". With any other backend (the immediate one in tests) the task is enqueued by an
``on_commit`` callback, so a rolled-back change still enqueues nothing.

``once=True`` enqueues a task at most once per transaction (for tasks that drain a table rather than take the
rows' ids, such as search/tasks.py ``index_outbox``): a marker callback sits in the connection's on-commit list
beside the task row, and a rollback to a savepoint discards both together.
"""

import datetime

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.utils import timezone


def runs_in_database(task):
    """True when ``task`` is enqueued as a database row for ``db_worker`` (django_tasks_db)."""
    from django_tasks_db import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


class _EnqueuedMarker:
    """A no-op on-commit callback recording that ``task_path`` was enqueued in the current transaction."""

    __slots__ = ("task_path",)

    def __init__(self, task_path):
        self.task_path = task_path

    def __call__(self):
        pass


def _already_enqueued(connection, task_path):
    return any(
        isinstance(func, _EnqueuedMarker) and func.task_path == task_path
        for _savepoints, func, _robust in connection.run_on_commit
    )


def _task_database():
    from django_tasks_db.models import DBTaskResult

    return router.db_for_write(DBTaskResult) or DEFAULT_DB_ALIAS


def enqueue_with_transaction(task, *args, once=False, **kwargs):
    """Enqueue ``task(*args, **kwargs)`` as part of the current transaction (see the module docstring)."""
    if runs_in_database(task):
        using = _task_database()
        connection = transaction.get_connection(using)
        if once and connection.in_atomic_block:
            if _already_enqueued(connection, task.module_path):
                return None
            transaction.on_commit(_EnqueuedMarker(task.module_path), using=using)
        return task.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    return None


def retry_later(task, *, seconds, **kwargs):
    """Enqueue one deferred run of ``task`` unless a run of it is already waiting (the database backend only; returns
    whether a run is waiting). Used by tasks whose durable record is elsewhere (the search outbox), so a long
    outage schedules one retry, not one per failed run."""
    if not runs_in_database(task):
        return False
    from django_tasks_db.models import DBTaskResult

    # Any waiting run will do: one that is due now meets the same outage and calls this again.
    waiting = DBTaskResult.objects.filter(task_path=task.module_path, status="READY").exists()
    if not waiting:
        task.using(run_after=timezone.now() + datetime.timedelta(seconds=seconds)).enqueue(**kwargs)
    return True

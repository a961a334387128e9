"""Queue objects for (re)indexing inside the transaction that changed them.

The row commits or rolls back with the change, so the index can lag but never miss a change. The indexing itself
is a background task (search/tasks.py ``index_outbox``) enqueued with the change (huicai/background.py): with the
database backend one task per transaction, committed with the rows, that the worker runs after the commit; with the
immediate backend (tests) a task for this transaction's rows, run right after the commit. Either way no request
waits on the engine, and rows a failed run leaves behind are taken by the next run or ``manage.py search_drain``.
"""

import threading

from django.conf import settings
from django.db import transaction

from .models import OutboxEntry

_pending = threading.local()


def _pending_ids():
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = []
    return ids


def enqueue(kind, object_id):
    """Record that an object must be (re)indexed; call inside the transaction that changed it."""
    entry = OutboxEntry.objects.create(kind=kind, object_id=str(object_id))
    if getattr(settings, "HUICAI_SEARCH_INDEX_ON_COMMIT", True):
        from huicai.background import enqueue_with_transaction, runs_in_database

        from .tasks import index_outbox

        if runs_in_database(index_outbox):
            enqueue_with_transaction(index_outbox, once=True)  # drains the outbox, these rows included
        else:
            _pending_ids().append(entry.pk)
            transaction.on_commit(_index_after_commit)
    return entry


def _index_after_commit():
    ids = _pending_ids()
    if not ids:
        return  # an earlier callback of the same transaction took them
    batch = list(ids)
    ids.clear()
    from .tasks import index_outbox

    index_outbox.enqueue(entry_ids=batch)

"""Queue objects for (re)indexing inside the transaction that changed them.

The row commits or rolls back with the change, so the index can lag but never miss a change. Right
after the commit the rows of that transaction are indexed synchronously (best effort: when the engine
is down they stay for ``manage.py search_drain``).
"""

import logging
import threading

from django.conf import settings
from django.db import transaction

from .models import OutboxEntry

logger = logging.getLogger(__name__)
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
        _pending_ids().append(entry.pk)
        transaction.on_commit(_index_after_commit)
    return entry


def _index_after_commit():
    ids = _pending_ids()
    if not ids:
        return  # an earlier callback of the same transaction took them
    batch = list(ids)
    ids.clear()
    try:
        from .service import index_pending_now

        index_pending_now(entry_ids=batch)
    except Exception:  # never let indexing break the request that saved the data
        logger.warning("search: indexing after commit failed; the rows stay in the outbox", exc_info=True)

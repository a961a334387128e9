"""Background indexing: the outbox (search/outbox.py) is the durable record, a task only drains it.

A run that cannot reach the engine leaves the rows in the outbox (with ``attempts`` and ``last_error``), schedules
one deferred retry and is recorded as failed; while the engine is known to be down (search.service's cool-off)
runs return at once, so a worker serving mail as well never queues behind timeouts.
"""

from django_tasks import task

RETRY_SECONDS = 60
BATCH = 500


class OutboxNotIndexed(Exception):
    """Rows stay in the search outbox: the engine failed or is cooling off."""


@task(queue_name="search")
def index_outbox(entry_ids=None):
    """Index the given outbox rows, or with no ids every waiting row, batch after batch. Returns rows indexed."""
    from huicai.background import retry_later

    from . import service
    from .models import OutboxEntry

    indexed = 0
    while True:
        stats = service.index_pending_now(entry_ids=entry_ids, limit=BATCH)
        if stats is None and not _waiting(OutboxEntry, entry_ids):
            return indexed  # nothing (left) to do
        if stats is None or stats["failed"]:
            retry_later(index_outbox, seconds=RETRY_SECONDS)
            raise OutboxNotIndexed("search outbox rows not indexed; they wait for the next run")
        indexed += stats["indexed"]
        if entry_ids is not None or not stats["remaining"] or not stats["indexed"]:
            return indexed


def _waiting(model, entry_ids):
    rows = model.objects.all()
    if entry_ids is not None:
        rows = rows.filter(pk__in=list(entry_ids))
    return rows.exists()

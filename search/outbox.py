from .models import OutboxEntry


def enqueue(kind, object_id):
    """Record that an object must be (re)indexed; call inside the transaction that changed it."""
    OutboxEntry.objects.create(kind=kind, object_id=str(object_id))

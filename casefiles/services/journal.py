"""Writing and verifying the journal. Every mutation service calls :func:`journal_write`."""

from django.db import transaction
from django.utils import timezone

from casefiles.models import JournalEntry, JournalHead


def _department_of(user, dossier=None):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    membership = user.memberships.select_related("department").first() if hasattr(user, "memberships") else None
    return membership.department if membership else None


@transaction.atomic
def journal_write(*, action, actor=None, dossier=None, obj=None, data=None, department=None):
    """Append one entry, chained to the newest one. Runs inside the caller's transaction."""
    head, _created = JournalHead.objects.select_for_update().get_or_create(pk=1)
    entry = JournalEntry(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        department=department if department is not None else _department_of(actor),
        dossier=dossier,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
        created_at=timezone.now(),
        previous_hash=head.last_hash,
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    head.last_hash = entry.entry_hash
    head.save(update_fields=["last_hash"])
    return entry


def journal_verify():
    """Walk the chain; return None when intact, else the first entry whose hash or link is wrong."""
    previous = ""
    for entry in JournalEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if entry.previous_hash != previous or entry.compute_hash() != entry.entry_hash:
            return entry
        previous = entry.entry_hash
    return None

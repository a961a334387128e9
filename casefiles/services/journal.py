"""Writing and verifying the journal. Every mutation service calls :func:`journal_write`.

The journal is the audit trail and outlives the personal data it speaks about (a holder's erasure under
PIPL keeps it), so :func:`journal_write` never stores raw identity data: every string in ``data`` passes
through :func:`casefiles.masking.scrub_text` and the identity fields are masked by key.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from casefiles.models import JournalEntry, JournalHead

# Keys of ``data`` (at any depth) whose values are personal data and are stored masked.
_MASKED_KEYS = {"applicant_name", "holder_name", "id_number", "phone", "email", "contact", "objector"}


def _department_of(user, dossier=None):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    membership = user.memberships.select_related("department").first() if hasattr(user, "memberships") else None
    return membership.department if membership else None


def _mask_value(key, value):
    from casefiles.masking import mask_email, mask_id_number, mask_name, mask_phone

    if not isinstance(value, str) or not value:
        return value
    if key in ("applicant_name", "holder_name", "objector"):
        return mask_name(value)
    if key == "id_number":
        return value if "*" in value else mask_id_number(value)
    if key in ("phone", "contact"):
        return value if "*" in value else mask_phone(value)
    if key == "email":
        return mask_email(value)
    return value


def journal_clean(data, key=None, names=()):
    """``data`` with personal data masked: identity fields by key, ID and phone numbers anywhere in text,
    and the given ``names`` (the dossier's applicant) wherever they occur (comments, file names)."""
    from casefiles.masking import mask_name, scrub_text

    if isinstance(data, dict):
        return {k: journal_clean(v, k, names) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [journal_clean(v, key, names) for v in data]
    if key in _MASKED_KEYS:
        return _mask_value(key, data)
    if isinstance(data, str):
        for name in names:
            if name and len(name) >= 2 and name in data:
                data = data.replace(name, mask_name(name))
        return scrub_text(data)
    return data


def _names_of(dossier):
    name = (getattr(dossier, "applicant_name", "") or "").strip() if dossier is not None else ""
    return (name,) if name else ()


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
        data=journal_clean(data or {}, names=_names_of(dossier)),
        created_at=timezone.now(),
        previous_hash=head.last_hash,
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    head.last_hash = entry.entry_hash
    head.save(update_fields=["last_hash"])
    return entry


@dataclass
class JournalProblem:
    """Where the chain breaks. ``check`` is ``content`` (the row's fields no longer hash to its stored
    hash: it was edited), ``link`` (its previous hash is not the hash of the row before it: a row in
    between was deleted or inserted) or ``head`` (the newest row is not the one the head remembers: rows
    at the end were deleted)."""

    check: str
    entry: JournalEntry | None
    previous: JournalEntry | None = None
    detail: str = ""

    def describe(self):
        if self.entry is None:
            return f"check={self.check}: {self.detail}"
        when = self.entry.created_at.isoformat() if self.entry.created_at else "?"
        text = f"entry id={self.entry.pk} time={when} action={self.entry.action} check={self.check}"
        if self.previous is not None:
            text += f" (previous intact entry id={self.previous.pk})"
        return text + (f": {self.detail}" if self.detail else "")


@dataclass
class JournalReport:
    count: int
    problem: JournalProblem | None

    @property
    def ok(self):
        return self.problem is None


def journal_check():
    """Walk the whole chain and say how many entries it has and where it first breaks."""
    previous_hash, previous, count = "", None, 0
    for entry in JournalEntry.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if entry.previous_hash != previous_hash:
            gap = ""
            if previous is not None and entry.pk != previous.pk + 1:
                gap = f"; ids {previous.pk + 1}..{entry.pk - 1} are missing"
            return JournalReport(count, JournalProblem(
                "link", entry, previous,
                f"previous_hash {entry.previous_hash[:12]}… does not match the hash of the entry before it "
                f"({previous_hash[:12] or '(start)'}…){gap}"))
        computed = entry.compute_hash()
        if computed != entry.entry_hash:
            return JournalReport(count, JournalProblem(
                "content", entry, previous,
                f"stored hash {entry.entry_hash[:12]}… but the row's content hashes to {computed[:12]}…"))
        previous_hash, previous = entry.entry_hash, entry
    head = JournalHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous_hash:
        return JournalReport(count, JournalProblem(
            "head", previous, None,
            "the journal head remembers a newer entry than the last row: entries at the end were deleted"))
    return JournalReport(count, None)


def journal_verify():
    """Walk the chain; return None when intact, else the first entry whose hash or link is wrong."""
    report = journal_check()
    if report.ok:
        return None
    return report.problem.entry or JournalEntry(action="(empty)")

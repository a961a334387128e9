"""Writing and verifying the journal. Every mutation service calls :func:`journal_write`.

The journal is the audit trail and outlives the personal data it speaks about (a holder's erasure under
PIPL keeps it), so :func:`journal_write` never stores raw identity data: every string in ``data`` passes
through :func:`casefiles.masking.scrub_text` and the identity fields are masked by key.
"""

import contextlib
from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from casefiles.models import JournalEntry, JournalHead
from casefiles.models.journal import LEGACY_CHAIN, SITE_CHAIN

# Keys of ``data`` (at any depth) whose values are personal data and are stored masked.
_MASKED_KEYS = {"applicant_name", "holder_name", "id_number", "phone", "email", "contact", "objector"}

# Entries written inside :func:`journal_deferred` wait here, in order, until the block ends.
_deferred = ContextVar("journal_deferred", default=None)


def _department_of(user, dossier=None):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "memberships"):
        return None
    # Remembered on the user object: a request writing several entries asks once.
    if not hasattr(user, "_journal_department"):
        membership = user.memberships.select_related("department").first()
        user._journal_department = membership.department if membership else None
    return user._journal_department


def journal_chain(*, dossier=None, department=None):
    """The chain an entry belongs to: the jurisdiction of the dossier's scheme, else of the department it was
    written for, else ``site``. Keyed by the jurisdiction's id, which a renamed code does not change."""
    if dossier is not None and dossier.scheme_id is not None:
        return f"jurisdiction:{dossier.scheme.jurisdiction_id}"
    if department is not None:
        return f"jurisdiction:{department.jurisdiction_id}"
    return SITE_CHAIN


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


def journal_write(*, action, actor=None, dossier=None, obj=None, data=None, department=None):
    """Append one entry to its chain (see :func:`journal_chain`). Runs inside the caller's transaction; inside
    :func:`journal_deferred` the entry is appended when that block ends (its ``pk`` is set then)."""
    department = department if department is not None else _department_of(actor)
    entry = JournalEntry(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        department=department,
        dossier=dossier,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=journal_clean(data or {}, names=_names_of(dossier)),
        created_at=timezone.now(),
        chain=journal_chain(dossier=dossier, department=department),
    )
    pending = _deferred.get()
    if pending is not None and transaction.get_connection().in_atomic_block:
        pending.add(entry)
        return entry
    with transaction.atomic(savepoint=False):
        _append([entry])
    return entry


class _Pending:
    """Entries waiting for the end of a :func:`journal_deferred` block. Each registers an on-commit marker: Django
    drops the markers of a savepoint that is rolled back, so an entry written in a rolled-back savepoint is
    dropped too, exactly as if it had been inserted there."""

    def __init__(self):
        self.entries = []

    def add(self, entry):
        def marker():
            pass

        transaction.on_commit(marker)
        self.entries.append((entry, marker))

    def standing(self):
        connection = transaction.get_connection()
        alive = {id(func) for _sids, func, _robust in connection.run_on_commit}
        return [entry for entry, marker in self.entries if id(marker) in alive]


@contextlib.contextmanager
def journal_deferred():
    """Hold the entries written in the block and append them, in order, when it ends without an exception.

    Appending locks the chain's head until the transaction commits; written at the end, the lock is held for the
    insert and the commit only, not for the rest of the mutation. Use it as the innermost block of the mutation's
    ``transaction.atomic``; a nested use joins the outer one."""
    if _deferred.get() is not None:
        yield
        return
    pending = _Pending()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    # Reached only without an exception: the enclosing transaction is going to commit.
    entries = pending.standing()
    if entries and not transaction.get_connection().needs_rollback:
        _append(entries)


def _append(entries):
    """Chain ``entries`` (in order) onto their chains' heads, one chain at a time in a fixed order (two
    transactions that append to the same two chains lock them in the same order and cannot deadlock)."""
    by_chain = defaultdict(list)
    for entry in entries:
        by_chain[entry.chain].append(entry)
    for chain in sorted(by_chain):
        head, _created = JournalHead.objects.select_for_update().get_or_create(chain=chain)
        last_hash, position = head.last_hash, head.last_position
        for entry in by_chain[chain]:
            position += 1
            entry.position, entry.previous_hash = position, last_hash
            entry.entry_hash = last_hash = entry.compute_hash()
        JournalEntry.objects.bulk_create(by_chain[chain])
        JournalHead.objects.filter(pk=head.pk).update(last_hash=last_hash, last_position=position)


@dataclass
class JournalProblem:
    """Where a chain breaks. ``check`` is ``content`` (the row's fields no longer hash to its stored hash: it was
    edited), ``link`` (its previous hash is not the hash of the entry before it in its chain: an entry in between
    was deleted or inserted) or ``head`` (the chain's newest entry is not the one its head remembers: entries at
    the end were deleted, or the head itself was)."""

    check: str
    entry: JournalEntry | None
    previous: JournalEntry | None = None
    detail: str = ""
    chain: str = ""

    def describe(self):
        where = f"chain {self.chain}: " if self.chain else ""
        if self.entry is None:
            return f"{where}check={self.check}: {self.detail}"
        when = self.entry.created_at.isoformat() if self.entry.created_at else "?"
        text = f"{where}entry id={self.entry.pk} time={when} action={self.entry.action} check={self.check}"
        if self.previous is not None:
            text += f" (previous intact entry id={self.previous.pk})"
        return text + (f": {self.detail}" if self.detail else "")


@dataclass
class ChainReport:
    chain: str
    count: int = 0
    problem: JournalProblem | None = None

    @property
    def ok(self):
        return self.problem is None


@dataclass
class JournalReport:
    """Every chain's report; ``count`` and ``problem`` (the first broken chain's) summarise them."""

    chains: list = field(default_factory=list)

    @property
    def count(self):
        return sum(c.count for c in self.chains)

    @property
    def broken(self):
        return [c for c in self.chains if not c.ok]

    @property
    def problem(self):
        return self.broken[0].problem if self.broken else None

    @property
    def ok(self):
        return not self.broken


def _check_chain(chain, entries, head):
    """Walk one chain's entries in position order."""
    report = ChainReport(chain)
    previous_hash, previous = "", None
    for entry in entries:
        report.count += 1
        if report.problem is not None:
            continue  # keep counting; the first break is the one reported
        expected_position = previous.position + 1 if previous is not None else 1
        if entry.previous_hash != previous_hash or entry.position != expected_position:
            report.problem = JournalProblem(
                "link", entry, previous,
                f"previous_hash {entry.previous_hash[:12]}… does not match the hash of the entry before it "
                f"({previous_hash[:12] or '(start)'}…){_gap(chain, previous, entry, expected_position)}", chain)
            continue
        computed = entry.compute_hash()
        if computed != entry.entry_hash:
            report.problem = JournalProblem(
                "content", entry, previous,
                f"stored hash {entry.entry_hash[:12]}… but the row's content hashes to {computed[:12]}…", chain)
            continue
        previous_hash, previous = entry.entry_hash, entry
    if report.problem is None:
        if head is None:
            if chain != LEGACY_CHAIN and report.count:  # the global chain of old installations may have none
                report.problem = JournalProblem("head", previous, None, "the chain's head row is missing", chain)
        elif head.last_hash != previous_hash or head.last_position != (previous.position if previous else 0):
            report.problem = JournalProblem(
                "head", previous, None,
                f"the chain's head remembers {head.last_position} entries, a newer one than the last row: "
                "entries at the end were deleted", chain)
    return report


def _gap(chain, previous, entry, expected_position):
    if entry.position is None or entry.position <= expected_position:
        return ""
    missing = entry.position - expected_position
    start = previous.pk + 1 if previous is not None else None
    if start is not None and entry.pk - start == missing:
        return f"; ids {start}..{entry.pk - 1} are missing"  # nothing of another chain lies between
    between = f" between ids {previous.pk} and {entry.pk}" if previous is not None else f" before id {entry.pk}"
    return f"; {missing} entries (positions {expected_position}..{entry.position - 1} of the chain) are missing{between}"


def journal_check(chains=None):
    """Walk every chain (or the named ones) and say how many entries each has and where it first breaks."""
    heads = {h.chain: h for h in JournalHead.objects.all()}
    names = set(heads) | set(JournalEntry.objects.order_by().values_list("chain", flat=True).distinct())
    if chains is not None:
        names &= set(chains)
    report = JournalReport()
    for chain in sorted(names):
        entries = JournalEntry.objects.filter(chain=chain).order_by("position", "pk").iterator(chunk_size=2000)
        report.chains.append(_check_chain(chain, entries, heads.get(chain)))
    return report


def journal_chain_label(chain):
    """``jurisdiction:3`` → ``jurisdiction:3 (白云区, baiyun)`` for reports."""
    from casefiles.models import Jurisdiction

    if chain.startswith("jurisdiction:"):
        jurisdiction = Jurisdiction.objects.filter(pk=chain.split(":", 1)[1]).first()
        if jurisdiction is not None:
            return f"{chain} ({jurisdiction.name}, {jurisdiction.code})"
    return chain


def journal_verify():
    """Walk the chains; return None when intact, else the first entry whose hash or link is wrong."""
    report = journal_check()
    if report.ok:
        return None
    return report.problem.entry or JournalEntry(action="(empty)")

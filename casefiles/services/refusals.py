"""Refused attempts at self-dealing are journaled, although the service that refuses them rolls back.

A service raises :class:`~casefiles.exceptions.SelfDealing` inside its own ``transaction.atomic``, so an
entry written there would vanish with the rollback. :func:`refusals_journaled` wraps the service outside
its atomic block and writes the entry once the block is gone. Called inside a caller's transaction (a card
service firing a workflow step, a test), the entry is written in the caller's transaction; when that too
is left by the exception, the next wrapper further out writes it again, so exactly one entry survives
wherever the exception ends. Only a caller that rolls back on its own, outside any wrapper, loses it.
"""

import functools

from django.db import transaction

from ..exceptions import SelfDealing
from .journal import journal_write


def _depth():
    """How many atomic blocks are open on the default connection."""
    connection = transaction.get_connection()
    return len(connection.savepoint_ids) + int(connection.in_atomic_block)


def refusal_journal(exc, service_name=""):
    """Write the journal entry of a refused attempt, unless one written further in is still standing."""
    connection = transaction.get_connection()
    depth = _depth()
    if connection.needs_rollback:
        return  # the enclosing block is broken; the wrapper outside it writes the entry
    if exc.journaled_at is not None and exc.journaled_at <= depth:
        return
    journal = dict(exc.journal)
    data = {"reason": exc.code, **(journal.pop("data", None) or {})}
    if service_name:
        data.setdefault("service", service_name)
    journal.setdefault("action", "casefiles.dossier.refused")
    with transaction.atomic():
        journal_write(data=data, **journal)
    exc.journaled_at = depth


def refusals_journaled(service):
    """Decorator (placed above ``@transaction.atomic``): journal a :class:`SelfDealing` refusal, then re-raise."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except SelfDealing as exc:
            refusal_journal(exc, service.__name__)
            raise

    return wrapper

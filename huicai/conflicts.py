"""A write that lost a race for a lock is a conflict (409), not a server error.

SQLite answers a writer that cannot get the database's write lock in time with "database is locked"; PostgreSQL
aborts one of two transactions with a serialization failure or a deadlock, or refuses a ``NOWAIT`` lock. In each
case nothing was written (the service's transaction was rolled back) and the caller may reload and try again, as
after a :class:`~casefiles.exceptions.StateConflict` raised by a service. :func:`lock_conflict` is the one place
that recognises these errors; the API's exception handler (``huicai.api.exceptions``) and
:class:`huicai.middleware.LockConflictMiddleware` (admin, portal) both use it.
"""

from django.db import DatabaseError
from django.utils.translation import gettext as _

from casefiles.exceptions import StateConflict

# SQLITE_BUSY / SQLITE_LOCKED texts, as the sqlite3 module words them.
SQLITE_LOCK_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
# serialization_failure, deadlock_detected, lock_not_available
POSTGRESQL_LOCK_STATES = {"40001", "40P01", "55P03"}


def is_lock_failure(exc):
    """True if ``exc`` (or the driver error it wraps) is a lost lock race."""
    if not isinstance(exc, DatabaseError):
        return False
    for error in (exc, exc.__cause__):
        if error is None:
            continue
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if state in POSTGRESQL_LOCK_STATES:
            return True
        if getattr(error, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return True
        if str(error).strip().lower() in SQLITE_LOCK_MESSAGES:
            return True
    return False


def lock_conflict(exc):
    """The :class:`StateConflict` to answer ``exc`` with, or None if it is not a lost lock race."""
    if not is_lock_failure(exc):
        return None
    return StateConflict(_("Someone else was changing the same record at this moment; nothing was saved. Reload and try again."))

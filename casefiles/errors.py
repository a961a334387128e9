"""The one mapping of case-file errors to HTTP and to what a person reads: the API's exception handler
(huicai/api/exceptions.py), the admin's and the portal's views all ask here.

    CaseFileError      400  bad input; MaterialsMissing names each missing item (``missing``)
    TransitionDenied   403  not this user's step; SelfDealing, FourEyes carry their own code
    StateConflict      409  the dossier moved on; GuardFailed lists each failed condition (``reasons``)
    CalendarDataMissing 400 the year's working-day calendar is not entered yet
"""

from .exceptions import CaseFileError, StateConflict, TransitionDenied
from .services.calendar import CalendarDataMissing

CASE_FILE_ERRORS = (CaseFileError, TransitionDenied, StateConflict, CalendarDataMissing)


def http_status(exc):
    if isinstance(exc, TransitionDenied):
        return 403
    if isinstance(exc, StateConflict):
        return 409
    return 400


def user_message(exc, surface="api"):
    """The Chinese sentence a person is shown (the services write it through gettext). ``surface`` is where:
    ``api``, ``admin`` or ``portal`` — a dossier that moved on under the reader is explained on the pages."""
    from django.utils.translation import gettext as _

    from .exceptions import GuardFailed

    message = str(getattr(exc, "message", "") or exc)
    if isinstance(exc, StateConflict) and not isinstance(exc, GuardFailed):
        if surface == "admin":
            return _("Someone else has already handled this dossier; nothing was changed. %(detail)s") % {"detail": message}
        if surface == "portal":
            return _("Already handled by someone else. The page shows the application as it is now.")
    return message


def error_code(exc):
    code = getattr(exc, "code", None)
    if isinstance(exc, StateConflict):
        return code if isinstance(code, str) and code != "invalid" else "conflict"
    if isinstance(exc, TransitionDenied):
        return code if isinstance(code, str) else "permission_denied"
    if isinstance(exc, CalendarDataMissing):
        return "calendar_missing"
    return code or "invalid"


def error_details(exc):
    """What the API adds to ``error`` beside code and message."""
    details = {}
    if isinstance(exc, CaseFileError) and error_code(exc) not in ("invalid",):
        details["fields"] = {error_code(exc): [user_message(exc)]}
    for attribute, key in (("missing", "missing"), ("reasons", "reasons")):
        value = getattr(exc, attribute, None)
        if value:
            details[key] = [str(v) if not isinstance(v, dict) else v for v in value]
    if isinstance(exc, StateConflict) and exc.current_state:
        details["state"] = exc.current_state
    return details

"""Typed errors of case-file services; the API and views map them to 400/403/404/409."""

from django.core.exceptions import PermissionDenied


class CaseFileError(Exception):
    """Bad input to a service (HTTP 400). ``message`` is shown to the user as it is."""

    def __init__(self, message, code="invalid"):
        super().__init__(message)
        self.message, self.code = message, code


class TransitionDenied(PermissionDenied):
    """The caller may not fire this transition on this dossier (HTTP 403)."""


class StateConflict(Exception):
    """The dossier is no longer in the state the caller acted on (HTTP 409)."""

    def __init__(self, message, current_state=None):
        super().__init__(message)
        self.message, self.current_state = message, current_state


class SelfDealing(TransitionDenied):
    """Someone would decide on their own application or card, apply with a staff account, or act outside
    their own role (HTTP 403). ``message`` is shown to the user. ``journal`` holds the keyword arguments of
    ``journal_write`` for the refused attempt, which ``casefiles.services.refusals`` writes after the
    service's own transaction rolled back."""

    def __init__(self, message, code="self_dealing", journal=None):
        super().__init__(message)
        self.message, self.code, self.journal = message, code, journal or {}
        self.journaled_at = None  # transaction depth at which the refusal was journaled


class FourEyes(TransitionDenied):
    """Separation of duties: the same person would make two decisions in a row on one dossier (HTTP 403)."""

    code = "four_eyes"


class GuardFailed(StateConflict):
    """The transition's guard does not hold for this dossier (HTTP 409); ``message`` cites the article and
    ``reasons`` lists each failed condition in Chinese."""

    code = "guard"

    def __init__(self, message, current_state=None, reasons=()):
        super().__init__(message, current_state)
        self.reasons = list(reasons)


class MaterialsMissing(CaseFileError):
    """Required materials are neither attached nor waived (HTTP 400); ``missing`` names each one."""

    def __init__(self, message, missing=()):
        super().__init__(message, code="materials_missing")
        self.missing = list(missing)

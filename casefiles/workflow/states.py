"""What a workflow state's data says about it, in the engine's own vocabulary (no state codes)."""

from ..models import StateKind

#: The principal of the person who applied: the engine's own word, as in the scheme files' ``actor``/``by``.
APPLICANT = "applicant"


def applicant_may_edit(state):
    """The applicant holds the dossier: a draft, or returned to them for supplement (补正)."""
    return state.kind == StateKind.START or state.actor == APPLICANT


def is_returned_to_applicant(state):
    """A state after submission in which the dossier waits on the applicant (退回补正)."""
    return state.kind != StateKind.START and state.actor == APPLICANT


def opinions_wanted(state):
    """The opinion requests this state opens (a list of mappings from the scheme data)."""
    return list(state.opinions or [])


def notice_minimum(state):
    """Minimum public-notice period in working days a state declares, or None when it is no notice state."""
    notice = state.notice or {}
    return notice.get("working_days") if notice else None

"""Opinion requests (会签 / 征求意见 / 专家评审): opened when a dossier enters a state whose data asks for them,
withdrawn when it leaves, answered by the department or expert asked.

The transition action calls :func:`requests_open_for_state` and :func:`requests_cancel`; grants follow from the
open requests (casefiles/permissions.py ``desired_grants``).
"""

from django.utils import timezone

from ..models import OpinionRequest, OpinionRequestStatus
from ..workflow.states import opinions_wanted
from .calendar import CalendarDataMissing, WorkingCalendar
from .journal import journal_write


def _due(now, working_days):
    if not working_days:
        return None, ""
    try:
        return WorkingCalendar().add_working_days(timezone.localdate(now), working_days), ""
    except CalendarDataMissing as exc:
        return None, str(exc)


def _department(dossier, code, departments):
    if code == "authority":
        return dossier.authority
    if code == "employer":
        return dossier.employer
    return departments.get(code)


def requests_open_for_state(dossier, state, user, departments):
    """Open the department requests the state's data asks for (experts are named by the state's actor)."""
    now = timezone.now()
    created = []
    for wanted in opinions_wanted(state):
        department = _department(dossier, wanted.get("department"), departments)
        if department is None:
            continue
        due, problem = _due(now, wanted.get("working_days"))
        created.append(OpinionRequest(
            dossier=dossier, state=state, department=department, topic=wanted.get("topic") or "",
            article=wanted.get("article") or "", setting=bool(wanted.get("setting")), requested_at=now, requested_by=user,
            due_date=due, deadline_problem=problem,
        ))
    if created:
        OpinionRequest.objects.bulk_create(created)
        journal_write(action="casefiles.opinion.request", actor=user, dossier=dossier,
                      data={"state": state.code, "departments": [r.department.code for r in created],
                            "due": [str(r.due_date) if r.due_date else "" for r in created]})
    return created


def requests_cancel(dossier, state, user):
    """Withdraw the requests still open when the dossier leaves ``state`` (their grants go with them)."""
    open_requests = OpinionRequest.objects.filter(dossier=dossier, state=state, status=OpinionRequestStatus.OPEN)
    count = open_requests.update(status=OpinionRequestStatus.CANCELLED, answered_at=timezone.now())
    if count:
        journal_write(action="casefiles.opinion.cancel", actor=user, dossier=dossier, data={"state": state.code, "count": count})
    return count

"""Read side of the workbench (工作台): what waits on an officer and what they decided lately, in one place.

Nothing here is a new listing query: the dossiers are the first page of the keyset worklist
(:func:`casefiles.selectors.dossiers_actionable_page`, benchmarked at scale), the requests are
:func:`casefiles.selectors_opinions.requests_waiting_on`, and the decisions are the officer's own journal
entries (read on the journal's actor index, newest first, a handful). Working days left are counted on the
working calendar (:class:`casefiles.services.calendar.WorkingCalendar`), loaded once per workbench.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from .models import Dossier, JournalEntry, WorkflowState, WorkflowTransition
from .selectors import WORKLIST_COUNT_CAP, dossiers_actionable_count, dossiers_actionable_page
from .selectors_opinions import requests_waiting_on
from .services.calendar import CalendarDataMissing, WorkingCalendar

#: Working days ahead counted as "due soon" (the worklists' own limit, casefiles.adminviews.dossiers).
DUE_SOON_WORKING_DAYS = 3
#: Rows of each list on the workbench; the full lists are one link away.
WORKBENCH_SIZE = 25
#: Decisions shown under 已办.
RECENT_DECISIONS = 15
#: Journal actions that record a decision: an answered opinion request, and any transition (its action is
#: ``casefiles.dossier.<transition code>``, a code of the scheme's data, recognised by its from/to record).
OPINION_ANSWER = "casefiles.opinion.answer"
DOSSIER_ACTIONS = "casefiles.dossier."

LIST_RELATED = ("scheme", "state", "requested_tier", "employer")


@dataclass
class Deadline:
    due_date: datetime.date | None
    #: Working days from today to the due date (negative when overdue); None without a date or calendar data.
    working_days_left: int | None = None
    overdue: bool = False
    due_soon: bool = False

    @property
    def working_days_overdue(self):
        """Working days since the due date passed (0 when only non-working days have passed), or None."""
        if not self.overdue or self.working_days_left is None:
            return None
        return -self.working_days_left


@dataclass
class WorkItem:
    dossier: Dossier
    deadline: Deadline
    request: object = None  # the OpinionRequest when the item is a request for an opinion


@dataclass
class Decision:
    dossier: Dossier
    at: datetime.datetime
    transition: WorkflowTransition | None = None
    from_state: WorkflowState | None = None
    to_state: WorkflowState | None = None
    opinion: bool = False


@dataclass
class Workbench:
    dossiers: list = field(default_factory=list)
    dossier_count: int = 0
    requests: list = field(default_factory=list)
    request_count: int = 0
    decisions: list = field(default_factory=list)
    calendar_missing: bool = False
    count_cap: int = WORKLIST_COUNT_CAP

    @property
    def count(self):
        return self.dossier_count + self.request_count


class _Deadlines:
    def __init__(self, today):
        self.today = today
        self.calendar = WorkingCalendar()
        self.missing = False
        try:
            self.soon = self.calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
        except CalendarDataMissing:
            self.soon, self.missing = None, True

    def of(self, due):
        if due is None:
            return Deadline(None)
        overdue = due < self.today
        try:
            left = self.calendar.working_days_between(self.today, due)
        except CalendarDataMissing:
            left, self.missing = None, True
        return Deadline(due, left, overdue, not overdue and self.soon is not None and due <= self.soon)


def _overdue_first(items):
    # The worklist order is already by due date; stable sort keeps it within each band.
    return sorted(items, key=lambda item: 0 if item.deadline.overdue else 1 if item.deadline.due_soon else 2)


def workbench_count(user):
    """The menu's count: dossiers to act on plus requests waiting, each counted no further than the cap + 1."""
    if not user.is_authenticated:
        return 0
    return dossiers_actionable_count(user) + requests_waiting_on(user).order_by()[: WORKLIST_COUNT_CAP + 1].count()


def workbench_for(user, *, today=None, size=WORKBENCH_SIZE):
    today = today or timezone.localdate()
    deadlines = _Deadlines(today)
    rows, _next, dossier_count = dossiers_actionable_page(
        user, Dossier.objects.select_related(*LIST_RELATED), size=size, count_cap=WORKLIST_COUNT_CAP
    )
    waiting = requests_waiting_on(user, today=today)
    requests = list(waiting[:size])
    bench = Workbench(
        dossiers=_overdue_first([WorkItem(d, deadlines.of(d.due_date)) for d in rows]),
        dossier_count=dossier_count or 0,
        requests=_overdue_first([WorkItem(r.dossier, deadlines.of(r.due_date), r) for r in requests]),
        request_count=waiting.order_by()[: WORKLIST_COUNT_CAP + 1].count() if len(requests) == size else len(requests),
        decisions=decisions_of(user),
    )
    bench.calendar_missing = deadlines.missing
    return bench


def decisions_of(user, limit=RECENT_DECISIONS):
    """已办: the user's own recent decisions (transitions fired, opinions given), newest first."""
    if not user.is_authenticated:
        return []
    entries = list(
        JournalEntry.objects.filter(actor=user, dossier__isnull=False)
        .filter(Q(action=OPINION_ANSWER) | Q(action__startswith=DOSSIER_ACTIONS, data__has_key="to"))
        .select_related("dossier", "dossier__scheme", "dossier__state")
        .order_by("-created_at", "-pk")[:limit]
    )
    scheme_ids = {e.dossier.scheme_id for e in entries}
    states = {(s.scheme_id, s.code): s for s in WorkflowState.objects.filter(scheme_id__in=scheme_ids)}
    transitions = {(t.scheme_id, t.code): t for t in WorkflowTransition.objects.filter(scheme_id__in=scheme_ids)}
    decisions = []
    for entry in entries:
        scheme_id, data = entry.dossier.scheme_id, entry.data or {}
        if entry.action == OPINION_ANSWER:
            decisions.append(Decision(entry.dossier, entry.created_at, opinion=True))
            continue
        decisions.append(
            Decision(
                entry.dossier,
                entry.created_at,
                transition=transitions.get((scheme_id, entry.action.removeprefix(DOSSIER_ACTIONS))),
                from_state=states.get((scheme_id, data.get("from"))),
                to_state=states.get((scheme_id, data.get("to"))),
            )
        )
    return decisions

"""Read side of the workbench (工作台): what waits on an officer and what they decided lately, in one place.

Nothing here is a new listing query: the dossiers are the first page of the keyset worklist
(:func:`casefiles.selectors.dossiers_actionable_page`, benchmarked at scale), the requests are
:func:`casefiles.selectors_opinions.requests_waiting_on`, and the decisions are the officer's own journal
entries (read on the journal's actor index, newest first, a handful). Working days left are counted on the
working calendar (:class:`casefiles.services.calendar.WorkingCalendar`), loaded once per workbench.

督办 (supervision): a department head sees what is overdue in the departments their department supervises (the
scheme file's ``supervises`` lists, stored as ``Scheme.supervision``): the same keyset walk as the worklist, one
branch per state those departments act in, bounded to due dates before today, and their open opinion requests past
due. Counted up to the same cap.
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from .models import (
    Department,
    Dossier,
    DossierGroupObjectPermission,
    JournalEntry,
    Membership,
    OpinionRequest,
    OpinionRequestStatus,
    Role,
    Scheme,
    WorkflowState,
    WorkflowTransition,
)
from .permissions import ACT
from .selectors import (
    WORKLIST_COUNT_CAP,
    WORKLIST_ORDER,
    _acting_states,
    _capped_union_count,
    _in_one_query,
    _permission_id,
    _probe_group_grant,
    _row_key,
    dossier_ids_visible_to,
    dossiers_actionable_count,
    dossiers_actionable_page,
)
from .selectors_opinions import RELATED as REQUEST_RELATED
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
    department: Department | None = None  # 督办: the supervised department the item waits on
    viewable: bool = True  # 督办: whether the head may open the dossier (a supervised department's may be closed)


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
    #: 督办 (department heads only): overdue dossiers and requests of the supervised departments.
    supervises: bool = False
    overdue_dossiers: list = field(default_factory=list)
    overdue_dossier_count: int = 0
    overdue_requests: list = field(default_factory=list)
    overdue_request_count: int = 0
    calendar_missing: bool = False
    count_cap: int = WORKLIST_COUNT_CAP

    @property
    def count(self):
        return self.dossier_count + self.request_count + self.overdue_dossier_count + self.overdue_request_count


class _Deadlines:
    """Deadlines of one list as of ``today``. Working days are counted in one walk from today to the farthest due
    date asked, each day looked at once (:meth:`WorkingCalendar.working_days_between` per row would walk every
    row's whole delay again: 25 dossiers two years overdue were 17,500 calendar look-ups)."""

    def __init__(self, today):
        self.today = today
        self.calendar = WorkingCalendar()
        self.missing = False
        # Working days between today and each day walked so far (negative before today), and the walk's two ends.
        self._counts = {today: 0}
        self._ends = {-1: today, 1: today}
        try:
            self.soon = self.calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
        except CalendarDataMissing:
            self.soon, self.missing = None, True

    def working_days_between_today_and(self, due):
        """``WorkingCalendar.working_days_between(today, due)``, walked once for all the rows."""
        step = -1 if due < self.today else 1
        day = self._ends[step]
        one = datetime.timedelta(days=1)
        while due not in self._counts:
            count = self._counts[day]
            if step < 0:  # the working days after ``day - 1`` up to today are those after ``day`` plus ``day``
                count -= self.calendar.is_working_day(day)
                day -= one
            else:
                day += one
                count += self.calendar.is_working_day(day)
            self._counts[day] = count
            self._ends[step] = day
        return self._counts[due]

    def of(self, due):
        if due is None:
            return Deadline(None)
        overdue = due < self.today
        try:
            left = self.working_days_between_today_and(due)
        except CalendarDataMissing:
            left, self.missing = None, True
        return Deadline(due, left, overdue, not overdue and self.soon is not None and due <= self.soon)


def _overdue_first(items):
    # The worklist order is already by due date; stable sort keeps it within each band.
    return sorted(items, key=lambda item: 0 if item.deadline.overdue else 1 if item.deadline.due_soon else 2)


# --- 督办: what is overdue in the departments a head supervises ------------------------------------------------


@dataclass(frozen=True)
class Supervised:
    """The departments of one scheme a head supervises (their work in that scheme only)."""

    scheme_id: int
    departments: tuple
    #: The scheme's workflow states in which one of these departments can act (read once, for list and count).
    states: tuple = ()

    @property
    def group_ids(self):
        return [d.group_id for d in self.departments]


def supervised_by(user):
    """What ``user`` supervises as a department head, one :class:`Supervised` per scheme (empty for everyone
    else): for each department they head, the codes its scheme's data lists under ``supervises``."""
    if not getattr(user, "is_authenticated", False):
        return []
    headed = set(Membership.objects.filter(user=user, role=Role.HEAD).values_list("department_id", flat=True))
    if not headed:
        return []
    supervised = []
    for scheme in (
        Scheme.objects.filter(departments__in=headed).distinct().order_by("pk").prefetch_related("departments")
    ):
        by_code = {d.code: d for d in scheme.departments.all()}
        codes = {code for d in by_code.values() if d.pk in headed for code in scheme.supervision.get(d.code) or []}
        departments = tuple(by_code[code] for code in sorted(codes) if code in by_code)
        if departments:
            supervised.append(Supervised(scheme.pk, departments))
    if not supervised:
        return []
    # The states the supervised departments act in, in one query for every scheme (each scheme's own kept).
    acting = WorkflowState.objects.filter(
        pk__in=_acting_states(None, [g for scope in supervised for g in scope.group_ids]),
        scheme_id__in=[scope.scheme_id for scope in supervised],
    ).values_list("scheme_id", "pk")
    by_scheme = {}
    for scheme_id, pk in acting:
        by_scheme.setdefault(scheme_id, []).append(pk)
    return [Supervised(s.scheme_id, s.departments, tuple(sorted(by_scheme.get(s.scheme_id, ())))) for s in supervised]


def _overdue_branches(scopes, today, queryset):
    """One queryset per state a supervised department acts in, bounded to due dates before ``today``: each walks
    the worklist index from its oldest due date (what is most overdue first) and checks the department's grant
    row by row, as the worklist does."""
    permission = _permission_id(ACT)
    branches = []
    for scope in scopes:
        groups = scope.group_ids
        if connection.vendor == "postgresql":
            probe = _probe_group_grant(permission, groups)
        else:
            probe = Q(
                pk__in=DossierGroupObjectPermission.objects.filter(
                    permission_id=permission, group_id__in=groups
                ).values("content_object_id")
            )
        branches += [queryset.filter(state_id=state, due_date__lt=today).filter(probe) for state in scope.states]
    return branches


def overdue_requests_of(scopes, today):
    """Open opinion requests of the supervised departments past their due date, the oldest first."""
    if not scopes:
        return OpinionRequest.objects.none()
    scope_q = Q(pk__in=[])
    for scope in scopes:
        scope_q |= Q(dossier__scheme_id=scope.scheme_id, department__in=[d.pk for d in scope.departments])
    return (
        OpinionRequest.objects.filter(
            status=OpinionRequestStatus.OPEN, due_date__lt=today, dossier__state_id=F("state_id")
        )
        .filter(scope_q)
        .select_related(*REQUEST_RELATED)
        .order_by("due_date", "pk")
    )


def overdue_dossiers_page(scopes, today, *, size=WORKBENCH_SIZE, queryset=None):
    """The first ``size`` overdue dossiers waiting on the supervised departments, most overdue first."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    branches = _overdue_branches(scopes, today, queryset.order_by())
    if not branches:
        return []
    keys = _in_one_query(
        [b.order_by(*WORKLIST_ORDER).values_list("pk", "due_date", "created_at")[:size] for b in branches]
    )
    pks = [row[0] for row in sorted(set(keys), key=_row_key)[:size]]
    rows = queryset.filter(pk__in=pks).in_bulk(pks) if pks else {}
    return [rows[pk] for pk in pks]


def overdue_dossiers_count(scopes, today, cap=WORKLIST_COUNT_CAP):
    branches = _overdue_branches(scopes, today, Dossier.objects.order_by())
    return _capped_union_count([b.values_list("pk") for b in branches], cap) if branches else 0


def responsible_department(dossier, scope):
    """The supervised department whose grant lets it act on ``dossier`` now (the one a reminder goes to)."""
    from .permissions import resolve_principal

    by_code = {d.code: d for d in scope.departments}
    target = resolve_principal(dossier, dossier.state.actor, by_code) if dossier.state.actor else None
    if not target or target[0] != "group":
        return None
    return next((d for d in scope.departments if d.group_id == target[1]), None)


# --- the counts, once per request -------------------------------------------------------------------------


class WorkbenchCounts:
    """The workbench's counts for one user, each computed at most once: the menu item and the workbench page
    of one request share them (the admin renders both), so no count runs twice."""

    def __init__(self, user, today=None):
        self.user = user
        self.today = today or timezone.localdate()

    @cached_property
    def supervised(self):
        return supervised_by(self.user)

    @cached_property
    def dossiers(self):
        return dossiers_actionable_count(self.user) if self.user.is_authenticated else 0

    @cached_property
    def requests(self):
        if not self.user.is_authenticated:
            return 0
        return requests_waiting_on(self.user).order_by()[: WORKLIST_COUNT_CAP + 1].count()

    @cached_property
    def overdue_dossiers(self):
        return overdue_dossiers_count(self.supervised, self.today) if self.supervised else 0

    @cached_property
    def overdue_requests(self):
        if not self.supervised:
            return 0
        return overdue_requests_of(self.supervised, self.today).order_by()[: WORKLIST_COUNT_CAP + 1].count()

    @property
    def total(self):
        return self.dossiers + self.requests + self.overdue_dossiers + self.overdue_requests

    def know(self, name, value):
        """Record a count found on the way (a short list is its own count)."""
        self.__dict__[name] = value


def workbench_count(user):
    """The menu's count: dossiers to act on plus requests waiting (plus, for a head, what is overdue in the
    departments they supervise), each counted no further than the cap + 1."""
    if not user.is_authenticated:
        return 0
    return WorkbenchCounts(user).total


def workbench_for(user, *, today=None, size=WORKBENCH_SIZE, counts=None):
    """The workbench of ``user``; ``counts`` (a :class:`WorkbenchCounts`) shares the counts with the menu."""
    today = today or timezone.localdate()
    counts = counts if counts is not None else WorkbenchCounts(user, today)
    deadlines = _Deadlines(today)
    rows, _next, _count = dossiers_actionable_page(user, Dossier.objects.select_related(*LIST_RELATED), size=size)
    if len(rows) < size:
        counts.know("dossiers", len(rows))
    waiting = requests_waiting_on(user, today=today)
    requests = list(waiting[:size])
    if len(requests) < size:
        counts.know("requests", len(requests))
    bench = Workbench(
        dossiers=_overdue_first([WorkItem(d, deadlines.of(d.due_date)) for d in rows]),
        dossier_count=counts.dossiers,
        requests=_overdue_first([WorkItem(r.dossier, deadlines.of(r.due_date), r) for r in requests]),
        request_count=counts.requests,
        decisions=decisions_of(user),
    )
    scopes = counts.supervised
    if scopes:
        bench.supervises = True
        overdue = overdue_dossiers_page(
            scopes, today, size=size, queryset=Dossier.objects.select_related(*LIST_RELATED, "authority")
        )
        by_scheme = {scope.scheme_id: scope for scope in scopes}
        bench.overdue_dossiers = [
            WorkItem(d, deadlines.of(d.due_date), department=responsible_department(d, by_scheme[d.scheme_id]))
            for d in overdue
        ]
        late = list(overdue_requests_of(scopes, today)[:size])
        bench.overdue_requests = [WorkItem(r.dossier, deadlines.of(r.due_date), r, r.department) for r in late]
        # A head supervises the department's work, not necessarily its case files: link only what they may open.
        shown = {item.dossier.pk for item in bench.overdue_dossiers + bench.overdue_requests}
        visible = dossier_ids_visible_to(user, shown)
        for item in bench.overdue_dossiers + bench.overdue_requests:
            item.viewable = item.dossier.pk in visible
        if len(overdue) < size:
            counts.know("overdue_dossiers", len(overdue))
        if len(late) < size:
            counts.know("overdue_requests", len(late))
        bench.overdue_dossier_count = counts.overdue_dossiers
        bench.overdue_request_count = counts.overdue_requests
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

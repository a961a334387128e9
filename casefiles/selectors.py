"""Read-side queries of case files. Listings filter in the database on guardian's direct-FK tables,
never by checking rows one by one in Python."""

import datetime
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import (
    Department,
    DepartmentKind,
    Dossier,
    DossierGroupObjectPermission,
    DossierUserObjectPermission,
    Membership,
    Role,
    Scheme,
    WorkflowState,
)
from .permissions import ACT, APPLICANT, EMPLOYER, VIEW, permission_ids

#: The principal resolved to each dossier's own authority department (casefiles.permissions).
AUTHORITY = "authority"


def roles_for(user):
    """The roles a person holds: through department memberships, plus applicant and administrator."""
    if not user.is_authenticated:
        return set()
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    if not roles or user.dossiers.exists():
        roles.add(Role.APPLICANT)
    return {str(r) for r in roles}


def _permission_id(codename):
    # Constant per database; resolving it up front lets PostgreSQL use the (group, permission, object)
    # index instead of joining auth_permission for every grant row. Remembered per process
    # (casefiles.permissions.permission_ids): it was one query more for every dossier read.
    return permission_ids()[codename]


def _granted(user, codename):
    """Dossiers granted to the user or one of their groups: a UNION of ids drives the join.

    ``EXISTS(group grant) OR EXISTS(user grant)`` cannot become a semi-join, so PostgreSQL probes both
    for every dossier (seconds at 100k rows); the UNION is read from the grant indexes first.
    """
    permission = _permission_id(codename)
    by_group = DossierGroupObjectPermission.objects.filter(
        permission_id=permission, group__in=user.groups.values("pk")
    ).values("content_object_id")
    by_user = DossierUserObjectPermission.objects.filter(permission_id=permission, user=user).values("content_object_id")
    return Q(pk__in=by_group.union(by_user, all=True))


def dossiers_visible_to(user, queryset=None):
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(_granted(user, VIEW))


def dossier_ids_visible_to(user, pks):
    """The ids among ``pks`` (existing dossiers) that ``user`` may see: :func:`dossiers_visible_to` for a
    handful of rows, read from those dossiers' own grants (the grant tables' ``content_object`` index).

    ``dossiers_visible_to(user, Dossier.objects.filter(pk__in=pks))`` reads the user's grants first: for a
    department head whose department sees 136,000 dossiers, PostgreSQL hashed all of them to check the 25
    rows of a 督办 list (≈ 95 ms; this: under 1 ms)."""
    pks = list(pks)
    if not pks or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(pks)
    permission = _permission_id(VIEW)
    by_group = DossierGroupObjectPermission.objects.filter(
        content_object_id__in=pks, permission_id=permission, group__in=user.groups.values("pk")
    ).values_list("content_object_id")
    by_user = DossierUserObjectPermission.objects.filter(
        content_object_id__in=pks, permission_id=permission, user=user
    ).values_list("content_object_id")
    return {pk for (pk,) in by_group.union(by_user, all=True)}


def dossiers_actionable_by(user, queryset=None):
    """The worklist (待办): dossiers whose current state this user's department or the user acts on."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(_granted(user, ACT))


# --- the worklist at any size ----------------------------------------------------------------------------
# A department may have 90,000 dossiers waiting among millions. Sorting all of them for every page (and
# counting them all) costs hundreds of milliseconds; instead each page is read in worklist order from the
# ``dossier_state_worklist`` index (state, due date, created desc, id desc), one short walk per workflow state
# the user can act in, each stopping after a page's worth of rows, merged here; the next page starts after
# the last row's key (keyset), never at an offset. The total is counted up to a cap ("1,000+").

#: The worklist order: open steps by due date (undated last), then newest first; the id breaks ties so that
#: every row has exactly one place and keyset pages neither skip nor repeat rows.
WORKLIST_ORDER = (F("due_date").asc(nulls_last=True), F("created_at").desc(), F("pk").desc())
#: Counts stop here: beyond it a list shows "1,000+" (reading every row to count it is what made it slow).
WORKLIST_COUNT_CAP = 1000


@dataclass(frozen=True)
class WorklistCursor:
    """Where a worklist page ends: the sort key of its last row. In URLs as ``<due|->~<created µs>~<id>``
    (no personal data)."""

    due_date: datetime.date | None
    created_at: datetime.datetime
    pk: int

    @classmethod
    def of(cls, dossier):
        return cls(dossier.due_date, dossier.created_at, dossier.pk)

    def encode(self):
        due = self.due_date.isoformat() if self.due_date else "-"
        return f"{due}~{_micros(self.created_at)}~{self.pk}"

    @classmethod
    def decode(cls, text):
        """The cursor in ``text``, or None when it is missing or malformed (then the list starts at the top)."""
        try:
            due, micros, pk = (text or "").split("~")
            created = _EPOCH + datetime.timedelta(microseconds=int(micros))
            return cls(None if due == "-" else datetime.date.fromisoformat(due), created, int(pk))
        except (ValueError, OverflowError, OSError):
            return None

    def segments_after(self):
        """The rows after this key in :data:`WORKLIST_ORDER`, as Q objects for consecutive stretches of the
        order (dated rows, then undated ones). Each starts with a bound on the index's leading columns, so an
        index scan starts at the cursor rather than filtering its way down from the top."""
        later_in_tie = Q(created_at__lt=self.created_at) | Q(created_at=self.created_at, pk__lt=self.pk)
        if self.due_date is None:
            return [Q(due_date__isnull=True, created_at__lte=self.created_at) & later_in_tie]
        dated = Q(due_date__gte=self.due_date) & (Q(due_date__gt=self.due_date) | later_in_tie)
        return [dated, Q(due_date__isnull=True)]


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _micros(moment):
    """Microseconds since the epoch, exactly (a float timestamp would round)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def worklist_sort_key(dossier):
    """:data:`WORKLIST_ORDER` as a Python key."""
    return _row_key((dossier.pk, dossier.due_date, dossier.created_at))


def _row_key(row):
    pk, due, created = row
    return (due is None, due or datetime.date.min, -_micros(created), -pk)


def _acting_states(user, group_ids):
    """Ids of the workflow states in which one of ``group_ids`` can hold the act permission on a dossier.

    A state grants act to its ``actor`` only (:func:`casefiles.permissions.desired_grants`): a department
    code of the scheme, or the dossier's own ``authority`` or ``employer`` department. For those two the
    state counts when the user's department could be one: an authority of the scheme's ``authority_kind``
    (what ``dossier_create`` accepts) in its list or jurisdiction, or any employer. A superset is harmless
    (the grant is still checked row by row); a missing state would hide dossiers."""
    if not group_ids:
        return []
    mine = Department.objects.filter(group_id__in=group_ids)
    by_code = Exists(
        Scheme.departments.through.objects.filter(
            scheme_id=OuterRef("scheme_id"), department__code=OuterRef("actor"), department__group_id__in=group_ids
        )
    )
    as_authority = Q(actor=AUTHORITY) & Exists(
        mine.filter(kind=OuterRef("scheme__authority_kind")).filter(
            Q(schemes=OuterRef("scheme_id")) | Q(jurisdiction_id=OuterRef("scheme__jurisdiction_id"))
        )
    )
    as_employer = Q(actor=EMPLOYER) & Exists(mine.filter(kind=DepartmentKind.EMPLOYER))
    return list(
        WorkflowState.objects.exclude(actor__in=("", APPLICANT))
        .filter(by_code | as_authority | as_employer)
        .values_list("pk", flat=True)
    )


def _worklist_branches(user, queryset):
    """The worklist as querysets that each list their rows once: one per state the user's groups act in
    (walked on the state's index, the grant checked row by row), and the dossiers granted to the user
    personally (an applicant's own steps: few, read from the grant index) that no group grant covers."""
    permission = _permission_id(ACT)
    group_ids = list(user.groups.values_list("pk", flat=True))
    by_group = Exists(
        DossierGroupObjectPermission.objects.filter(
            permission_id=permission, group_id__in=group_ids, content_object_id=OuterRef("pk")
        )
    )
    states = _acting_states(user, group_ids)
    by_user = DossierUserObjectPermission.objects.filter(permission_id=permission, user=user).values("content_object_id")
    personal = queryset.filter(pk__in=by_user)
    if states:
        personal = personal.exclude(Q(state_id__in=states) & by_group)
    probe = _probe_group_grant(permission, group_ids) if connection.vendor == "postgresql" else by_group
    return [*(queryset.filter(state_id=state).filter(probe) for state in states), personal]


def _probe_group_grant(permission, group_ids):
    """The group grant as a per-row probe of its index, on PostgreSQL. Given a plain EXISTS, the planner
    turns it into a semi-join and, past the first pages (where it expects few rows after the cursor), reads
    all of a department's 90,000 grants to merge them with the walk (≈ 120 ms instead of 1). ``OFFSET 0``
    keeps the EXISTS from being pulled up, so the walk stays ordered and stops after a page."""
    if not group_ids:
        return Q(pk__in=[])
    grants = DossierGroupObjectPermission._meta.db_table
    dossiers = Dossier._meta.db_table
    marks = ", ".join(["%s"] * len(group_ids))
    return RawSQL(
        f'EXISTS (SELECT 1 FROM "{grants}" g WHERE g.content_object_id = "{dossiers}"."id" '
        f"AND g.permission_id = %s AND g.group_id IN ({marks}) OFFSET 0)",
        [permission, *group_ids],
        output_field=BooleanField(),
    )


def _in_one_query(parts):
    """Run sliced querysets as one UNION ALL where the database allows a LIMIT per part (PostgreSQL), else
    one by one: the same rows either way."""
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return list(parts[0].union(*parts[1:], all=True))
    return [row for part in parts for row in part]


def dossiers_actionable_page(user, queryset=None, *, after=None, size=25, count_cap=None):
    """One page of the worklist (待办) in :data:`WORKLIST_ORDER`: ``(rows, cursor of the next page or None,
    count)``; the count (None unless ``count_cap`` is given) stops at ``count_cap + 1``.

    The same dossiers as :func:`dossiers_actionable_by` (``queryset`` may narrow them and choose related
    rows), read without sorting or counting the whole list: each branch (:func:`_worklist_branches`) gives at
    most a page of sort keys from its index, stretch by stretch after the cursor; the keys are merged here
    and the page's rows are read by id."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return [], None, 0 if count_cap is not None else None
    take = size + 1
    segments = after.segments_after() if after is not None else [Q()]
    branches = _worklist_branches(user, queryset.order_by())
    keys = _in_one_query(
        [
            branch.filter(segment).order_by(*WORKLIST_ORDER).values_list("pk", "due_date", "created_at")[:take]
            for branch in branches
            for segment in segments
        ]
    )
    page = sorted(set(keys), key=_row_key)[:take]
    following = WorklistCursor(page[size - 1][1], page[size - 1][2], page[size - 1][0]) if len(page) > size else None
    pks = [row[0] for row in page[:size]]
    rows = {d.pk: d for d in queryset.filter(pk__in=pks)} if pks else {}
    total = None
    if count_cap is not None:
        total = _capped_union_count([branch.values_list("pk") for branch in branches], count_cap)
    return [rows[pk] for pk in pks], following, total


def _capped_union_count(parts, cap):
    if connection.features.supports_slicing_ordering_in_compound:
        combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        sql, params = combined.query.sql_with_params()
        # The outer LIMIT stops the scan of the parts (executed one after the other) at cap + 1 rows.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) AS parts LIMIT %s) AS capped", [*params, cap + 1])
            return cursor.fetchone()[0]
    total = 0
    for part in parts:
        total += capped_count(part, cap=cap - total)
        if total > cap:
            break
    return total


def dossiers_actionable_count(user, queryset=None, cap=WORKLIST_COUNT_CAP):
    """How many dossiers :func:`dossiers_actionable_page` pages through, counting no further than ``cap + 1``."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return 0
    return _capped_union_count([b.values_list("pk") for b in _worklist_branches(user, queryset.order_by())], cap)


def capped_count(queryset, cap=WORKLIST_COUNT_CAP):
    """The number of rows, counting no further than ``cap + 1`` (more than ``cap`` means "cap+")."""
    return queryset.order_by()[: cap + 1].count()


def dossiers_handled_by(user, queryset=None):
    """Done (已办): dossiers the user's departments gave an opinion on and may still see."""
    queryset = dossiers_visible_to(user, queryset)
    departments = Membership.objects.filter(user=user).values("department")
    return queryset.filter(opinions__department__in=departments).distinct()


def dossier_for(user, pk):
    """A dossier the user may see, or Dossier.DoesNotExist (a 404: existence is not revealed)."""
    if not user.is_superuser and not sees_dossier(user, pk):
        raise Dossier.DoesNotExist("Dossier matching query does not exist.")
    return Dossier.objects.select_related("scheme", "state", "requested_tier", "employer", "authority").get(pk=pk)


def can_view(user, dossier):
    return sees_dossier(user, dossier.pk)


def sees_dossier(user, pk, codename=VIEW):
    """Whether ``user`` holds ``codename`` on dossier ``pk`` (False for a dossier that does not exist):
    :func:`dossiers_visible_to` for one row, read from that dossier's own grants (the grant tables'
    ``content_object`` index) in one statement written once per process.

    Every dossier page, API read, journal and download asks this first. Through the ORM (the UNION of the user's
    grants as a subquery, as the listings need it) it cost about 2 ms of Python to build the SQL for every read;
    this costs a tenth of that, and PostgreSQL probes two index entries instead of hashing the user's grants."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return False
    if not 0 < pk <= _LARGEST_ID:  # no such row; SQLite cannot even take the number (OverflowError)
        return False
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return Dossier.objects.filter(pk=pk).exists()
    permission = _permission_id(codename)
    with connection.cursor() as cursor:
        cursor.execute(_grant_sql(), [pk, permission, user.pk, pk, permission, user.pk])
        return cursor.fetchone() is not None


_LARGEST_ID = 2**63 - 1  # a BigAutoField's largest value


@functools.cache
def _grant_sql():
    """One dossier's grant to a user, directly or through one of their groups (guardian's direct-FK tables)."""
    from django.contrib.auth import get_user_model

    quote = connection.ops.quote_name
    by_group = DossierGroupObjectPermission._meta
    by_user = DossierUserObjectPermission._meta
    member = get_user_model().groups.through._meta
    return (
        f"SELECT 1 FROM {quote(by_group.db_table)} g JOIN {quote(member.db_table)} m ON m.group_id = g.group_id"
        f" WHERE g.content_object_id = %s AND g.permission_id = %s AND m.user_id = %s"
        f" UNION ALL SELECT 1 FROM {quote(by_user.db_table)} u"
        f" WHERE u.content_object_id = %s AND u.permission_id = %s AND u.user_id = %s LIMIT 1"
    )


def row_of_visible_dossier(user, queryset, pk):
    """Row ``pk`` of ``queryset`` (a model with a ``dossier``) when ``user`` sees its dossier; else the model's
    DoesNotExist, exactly as for a row that does not exist (a 404 reveals nothing)."""
    row = queryset.get(pk=pk)
    if not sees_dossier(user, row.dossier_id):
        raise queryset.model.DoesNotExist(f"{queryset.model.__name__} matching query does not exist.")
    return row


def transitions_available(user, dossier, today=None):
    """Transitions the user may fire now (for showing buttons; the action checks again on execute): every
    check of :class:`casefiles.actions.transition.TransitionAction` but the comment, guards included."""
    from .actions.transition import transitions_available as available

    return available(user, dossier, today=today)

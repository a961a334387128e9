"""Reads of service delivery: a unit's queue (keyset pages, a capped count), a holder's requests, the programme
office's overdue list, and what a unit may see of a holder (name, phone, masked ID: nothing else)."""

import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from casefiles.masking import mask_id_number
from casefiles.models import Department, Membership

from .models import OPEN_STATES, ServiceRequest, ServiceRequestState, UnitHolder

PAGE_SIZE = 50
#: Counting a queue stops here and shows "1,000+": an exact count of a large queue would scan it.
COUNT_CAP = 1000

QUEUE_FILTERS = {
    "open": OPEN_STATES,
    **{state.value: (state,) for state in ServiceRequestState},
}


def units_of(user):
    """The responsible units the user works in (departments that deliver at least one service)."""
    if not getattr(user, "is_authenticated", False):
        return Department.objects.none()
    mine = Membership.objects.filter(user=user).values("department")
    return Department.objects.filter(pk__in=mine, service_items__isnull=False).distinct().order_by("name")


def supervised_schemes(user):
    """Schemes whose programme office the user works in: they see every overdue request of those schemes."""
    from programmes.selectors import office_schemes

    return office_schemes(user)


def _may_see(user, holder_id, requested_by_id, unit_id, scheme_id):
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.pk in (holder_id, requested_by_id):
        return True
    if Membership.objects.filter(user=user, department_id=unit_id).exists():
        return True
    return supervised_schemes(user).filter(pk=scheme_id).exists()


def request_for(user, pk):
    """One request the user may see (its holder, whoever asked for it — the employer's staff —, a member of its unit,
    its programme office), or None. Whether they may is read from the request's own ids first; the row with its card,
    service, unit and scheme only for someone who may (a seven-table read, mostly planning, saved for the others)."""
    ids = ServiceRequest.objects.filter(pk=pk).values_list("card__holder_id", "requested_by_id", "unit_id", "scheme_id")
    found = next(iter(ids), None)
    if found is None or not _may_see(user, *found):
        return None
    related = ("card__dossier", "card__tier", "service", "unit", "scheme", "requested_by")
    return next(iter(ServiceRequest.objects.select_related(*related).filter(pk=pk)), None)  # None: gone meanwhile


def queue(unit, *, state="open", after=None, page_size=PAGE_SIZE):
    """One page of a unit's queue, newest first, after the keyset ``after`` = (requested_at, id), and its count
    capped at COUNT_CAP: ``(rows, count, capped, next_key)``. Each state is read on its own index range and the
    ranges merged, so page one never sorts the whole queue."""
    states = QUEUE_FILTERS.get(state, OPEN_STATES)
    base = ServiceRequest.objects.filter(unit=unit)
    if after is not None:
        at, pk = after
        base = base.filter(Q(requested_at__lt=at) | Q(requested_at=at, id__lt=pk))
    parts = [
        base.filter(state=one).order_by("-requested_at", "-id").values_list("requested_at", "id")[:page_size]
        for one in states
    ]
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # one round trip: each state's newest rows on its own index range, merged by the database
        merged = parts[0].union(*parts[1:], all=True).order_by("-requested_at", "-id")[:page_size]
        ids = list(merged)
    else:
        ids = sorted((row for part in parts for row in part), reverse=True)[:page_size]
    rows = list(
        ServiceRequest.objects.filter(pk__in=[pk for _at, pk in ids])
        .select_related("card__dossier", "service", "unit")
        .order_by("-requested_at", "-id")
    )
    count = 0
    for one in states:
        count += ServiceRequest.objects.filter(unit=unit, state=one).order_by()[: COUNT_CAP + 1 - count].count()
        if count > COUNT_CAP:
            break
    capped = count > COUNT_CAP
    next_key = (rows[-1].requested_at, rows[-1].pk) if len(rows) == page_size else None
    return rows, min(count, COUNT_CAP), capped, next_key


def count_label(count, capped):
    return f"{COUNT_CAP:,}+" if capped else f"{count:,}"


def encode_key(key):
    return f"{key[0].isoformat()}_{key[1]}" if key else ""


def decode_key(value):
    try:
        at, pk = (value or "").rsplit("_", 1)
        return datetime.datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None


def overdue_for_office(user, today=None):
    """Accepted requests past their due day in the schemes whose programme office the user works in."""
    today = today or timezone.localdate()
    return (
        ServiceRequest.objects.filter(
            scheme__in=supervised_schemes(user), state=ServiceRequestState.ACCEPTED, due_on__lt=today
        )
        .select_related("card", "service", "unit", "scheme")
        .order_by("due_on", "id")
    )


def overdue_count(unit, today=None):
    today = today or timezone.localdate()
    return ServiceRequest.objects.filter(unit=unit, state=ServiceRequestState.ACCEPTED, due_on__lt=today).count()


def holder_card_requests(card):
    return card.service_requests.select_related("service", "unit").order_by("-requested_at", "-id")


def holder_view(request):
    """What a unit sees of the holder: name, phone and masked ID — what delivery needs, nothing else."""
    dossier = request.card.dossier
    return {
        "name": request.card.holder_name,
        "phone": dossier.phone,
        "id_number": mask_id_number(dossier.id_number),
    }


def unit_holders(units):
    return UnitHolder.objects.filter(unit__in=units).select_related("card__tier", "card__scheme", "unit")

"""Rows for the report and rating tests (issue #20 items 3 and 5): a card and service requests made with the
model directly, outcomes chosen by the test (the request and unit services are tested on their own)."""

import datetime
import itertools

from django.utils import timezone

from casefiles.models import Card, Scheme
from delivery.models import ServiceRequest, ServiceRequestState
from tests.casefiles.factories import new_dossier

_numbers = itertools.count(1)


def card_of(slug, *, seed=1):
    """An active card of the scheme's demo applicant, on a draft dossier (no workflow walked: cheap)."""
    dossier = new_dossier(slug, seed=seed)
    return Card.objects.create(
        scheme=dossier.scheme,
        dossier=dossier,
        number=f"S2-{slug}-{dossier.pk}-{next(_numbers)}",
        tier=dossier.requested_tier,
        holder=dossier.applicant,
        holder_name=dossier.applicant_name,
        valid_from=timezone.localdate(),
    )


def served_items(scheme, count=2):
    """The scheme's first ``count`` service items that name a responsible unit, with their first unit."""
    items = []
    for item in scheme.services.prefetch_related("responsible_units").order_by("order", "pk"):
        units = list(item.responsible_units.order_by("pk"))
        if units:
            items.append((item, units[0]))
        if len(items) == count:
            break
    return items


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), timezone.get_current_timezone())


def service_request(card, item, unit, *, requested_on, completed_on=None, days=None, limit=None, rating=None):
    """A request made on ``requested_on``; completed on ``completed_on`` after ``days`` working days when given
    (on time when ``limit`` is set and ``days <= limit``), rated ``rating``."""
    completed = completed_on is not None
    return ServiceRequest.objects.create(
        scheme=card.scheme,
        card=card,
        service=item,
        unit=unit,
        requested_by=card.holder,
        state=ServiceRequestState.COMPLETED if completed else ServiceRequestState.REQUESTED,
        requested_at=at(requested_on),
        accepted_at=at(requested_on, 11) if completed else None,
        completed_at=at(completed_on, 15) if completed else None,
        time_limit_working_days=limit,
        working_days_taken=days if completed else None,
        on_time=(days <= limit) if completed and limit is not None else None,
        rating=rating,
        rated_at=at(completed_on, 16) if rating else None,
        rating_comment="服务很好，张三13800138000" if rating else "",
        detail="请尽快办理，身份证号110101199003076578",
    )


def scheme(slug):
    return Scheme.objects.get(slug=slug)

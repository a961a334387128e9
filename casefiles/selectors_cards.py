"""Read-side queries of cards: who sees which cards, overdue assessments, the exits of a year."""

import datetime

from django.db.models import Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy

from .masking import mask_name
from .models import Card, CardEvent, CardStatus, Department, DepartmentKind
from .services.cards import ASSESSMENT_RULES, CARD_DEPARTMENTS, EXIT_EVENTS, FALLBACK_KINDS, add_years

LIVE = (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.CONTACT_LIST)


def _managed_scheme_ids(user):
    """Schemes whose cards the user's departments manage (or produce, for banks)."""
    ids = set()
    departments = Department.objects.filter(memberships__user=user).prefetch_related("schemes")
    for department in departments:
        for scheme in department.schemes.all():
            codes = CARD_DEPARTMENTS.get(scheme.slug)
            if (codes and department.code in codes) or (not codes and department.kind in FALLBACK_KINDS):
                ids.add(scheme.pk)
            elif department.kind == DepartmentKind.BANK:
                ids.add(scheme.pk)
    return ids


def cards_visible_to(user, queryset=None):
    queryset = Card.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    employer_ids = Department.objects.filter(memberships__user=user, kind=DepartmentKind.EMPLOYER).values("pk")
    authority_ids = Department.objects.filter(memberships__user=user).exclude(kind=DepartmentKind.EMPLOYER).values("pk")
    return queryset.filter(
        Q(holder=user)
        | Q(scheme__in=_managed_scheme_ids(user))
        | Q(employer__in=employer_ids)
        | Q(dossier__authority__in=authority_ids, scheme__slug__in=("baiyun",))
    ).distinct()


def card_for(user, pk):
    """A card the user may see, or Card.DoesNotExist (a 404)."""
    return cards_visible_to(user).select_related("scheme", "tier", "dossier", "employer").get(pk=pk)


def cards_managed_by(user, queryset=None):
    """Cards whose scheme the user's department manages (registry, production, exits)."""
    queryset = Card.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(scheme__in=_managed_scheme_ids(user))


def assessments_overdue(scheme, today):
    """白云 第六条: live cards whose last assessment (or issuance) is two years or more ago."""
    if scheme.slug not in ASSESSMENT_RULES:
        return Card.objects.none()
    _article, years = ASSESSMENT_RULES[scheme.slug]
    cutoff = add_years(today, -years)
    return (
        Card.objects.filter(scheme=scheme, status__in=LIVE)
        .annotate(last_assessed=Max("assessments__assessed_on"))
        .annotate(since=Greatest(Coalesce("last_assessed", "valid_from"), "valid_from"))
        .filter(since__lte=cutoff)
        .select_related("employer", "tier")
        .order_by("since", "pk")
    )


def exit_rows(scheme, year):
    """The exits of one year, as an announcement lists them: masked name, employer, card, reason, date."""
    events = (
        CardEvent.objects.filter(card__scheme=scheme, kind__in=EXIT_EVENTS,
                                 effective_on__gte=datetime.date(year, 1, 1), effective_on__lte=datetime.date(year, 12, 31))
        .select_related("card__employer", "card__tier", "reason")
        .order_by("effective_on", "pk")
    )
    return [
        {
            "name": mask_name(e.card.holder_name),
            "employer": e.card.employer.name if e.card.employer else "",
            "card": e.card.number,
            "tier": e.card.tier.name,
            "reason": e.reason.text if e.reason else e.get_kind_display(),
            "article": e.article,
            "date": e.effective_on.isoformat(),
        }
        for e in events
    ]


# --- public verification -------------------------------------------------------------------------------

STATUS_MESSAGES = {
    CardStatus.ACTIVE: gettext_lazy("This card is valid."),
    CardStatus.EXPIRED: gettext_lazy("This card has expired."),
    CardStatus.SUSPENDED: gettext_lazy("This card has been reported lost and is suspended."),
    CardStatus.REVOKED: gettext_lazy("This card has been revoked."),
    CardStatus.REPLACED: gettext_lazy("This card has been replaced by a new card; this number is no longer valid."),
    CardStatus.CONTACT_LIST: gettext_lazy(
        "The holder has been moved to the contact list: talent services end on the date shown; bank services continue."
    ),
}


def card_for_token(signed_value):
    """The card a signed verification value points at, or None (bad signature or unknown token)."""
    from .pdf import unsign_token

    token = unsign_token(signed_value or "")
    if not token:
        return None
    return Card.objects.select_related("scheme__jurisdiction", "tier").filter(verification_token=token).first()


def verification_payload(card):
    """What anyone may learn by scanning a card: never ID or phone numbers, the name masked."""
    status = card.status
    return {
        "valid": status == CardStatus.ACTIVE,
        "status": status,
        "status_label": str(card.get_status_display()),
        "message": str(STATUS_MESSAGES[status]),
        "scheme": card.scheme.name,
        "jurisdiction": card.scheme.jurisdiction.name,
        "tier": card.tier.name,
        "number": card.number,
        "holder": mask_name(card.holder_name),
        "valid_from": card.valid_from.isoformat(),
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        "ended_on": card.ended_at.isoformat() if card.ended_at else None,
        "services_end_on": card.services_end_on.isoformat() if card.services_end_on else None,
        "bank_services": card.bank_services if card.scheme.departments.filter(kind=DepartmentKind.BANK).exists() else None,
    }

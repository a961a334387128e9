"""Read-side queries of cards: who sees which cards, overdue assessments, the exits of a year."""

import datetime

from django.db.models import Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .masking import mask_name
from .models import Card, CardEvent, CardEventKind, CardStatus, Department, DepartmentKind
from .services.cards import (
    EXIT_EVENTS,
    add_years,
    assessment_rule,
    authority_acting_scheme_ids,
    department_manages_cards,
)

LIVE = (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.CONTACT_LIST)


def _managed_scheme_ids(user):
    """Schemes whose cards the user's departments manage (or produce, for banks)."""
    ids = set()
    departments = Department.objects.filter(memberships__user=user).prefetch_related("schemes")
    for department in departments:
        for scheme in department.schemes.all():
            if department_manages_cards(department, scheme):  # the scheme's cards.managed_by
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
        | Q(dossier__authority__in=authority_ids, scheme__in=authority_acting_scheme_ids())  # cards.authority_acts
    )  # every condition follows a foreign key forward: one row a card, nothing to make distinct


def card_for(user, pk):
    """A card the user may see, or Card.DoesNotExist (a 404)."""
    return cards_visible_to(user).select_related("scheme", "tier", "dossier", "employer").get(pk=pk)


def cards_managed_by(user, queryset=None):
    """Cards whose scheme the user's department manages (registry, production, exits)."""
    queryset = Card.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(scheme__in=_managed_scheme_ids(user))



def batch_certificate_cards(user, batch):
    """The cards of a production batch whose certificates ``user`` prints: those of the schemes the user manages,
    or, for the bank (which manages no cards), every card it produced in the batch."""
    cards = Card.objects.filter(production_items__batch=batch, scheme=batch.scheme)
    managed = cards_managed_by(user, cards)
    return managed if managed.exists() else cards

def assessments_overdue(scheme, today):
    """白云 第六条: live cards whose last assessment (or issuance) is as old as the scheme's assessment period
    (``cards.assessment.every_years``) or older."""
    rule = assessment_rule(scheme)
    if not rule:
        return Card.objects.none()
    years = rule["every_years"]
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


# --- a card's status as everyone sees it ------------------------------------------------------------------
#
# The one mapping from the model's statuses to what the public and the holder see (the certificate's mark, the
# e-card, both verifications and the API read it from here). What varies by scheme — the article, the date, the
# reason — comes from the card's own events and exit reason, written from the scheme data.


class StatusKind:
    """Whether a card may be used, and if not, why: ended (revoked, recalled, lapsed, contact list), reported lost
    (suspended) or replaced by a reissued card."""

    VALID = "valid"
    ENDED = "ended"
    LOST = "lost"
    REPLACED = "replaced"


STATUS_KINDS = {
    CardStatus.ACTIVE: StatusKind.VALID,
    CardStatus.EXPIRED: StatusKind.ENDED,
    CardStatus.REVOKED: StatusKind.ENDED,
    CardStatus.CONTACT_LIST: StatusKind.ENDED,
    CardStatus.SUSPENDED: StatusKind.LOST,
    CardStatus.REPLACED: StatusKind.REPLACED,
}
# The events that put a card into each status: the latest of them dates the status and names its article.
STATUS_EVENTS = {
    CardStatus.ACTIVE: (CardEventKind.ISSUE, CardEventKind.RENEW, CardEventKind.REINSTATE),
    CardStatus.EXPIRED: (CardEventKind.EXPIRE,),
    CardStatus.REVOKED: tuple(kind for kind in EXIT_EVENTS if kind != CardEventKind.CONTACT_LIST),
    CardStatus.CONTACT_LIST: (CardEventKind.CONTACT_LIST,),
    CardStatus.SUSPENDED: (CardEventKind.REPORT_LOSS,),
    CardStatus.REPLACED: (CardEventKind.REISSUE,),
}
# The mark stamped on a certificate (and shown on the e-card and the verification page) of a card not valid.
MARK_VOID = gettext_lazy("Void")
MARK_LAPSED = gettext_lazy("No longer valid")
MARK_LOST = gettext_lazy("Reported as lost")
STATUS_MARKS = {
    CardStatus.EXPIRED: MARK_LAPSED,
    CardStatus.CONTACT_LIST: MARK_LAPSED,
    CardStatus.REVOKED: MARK_VOID,
    CardStatus.SUSPENDED: MARK_LOST,
    CardStatus.REPLACED: MARK_VOID,
}

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


def _status_event(card):
    kinds = STATUS_EVENTS[card.status]
    events = card.events.all()
    if getattr(card, "_prefetched_objects_cache", {}).get("events") is not None:
        matching = [e for e in events if e.kind in kinds]
        return matching[-1] if matching else None
    return events.filter(kind__in=kinds).select_related("reason").order_by("created_at", "pk").last()


def card_status(card, today=None):
    """What the card's status means to whoever sees the card: ``kind`` (StatusKind), ``mark`` (None for a valid
    card), the date and the article of the step that set it, and whether the tier's services may be used today
    (a valid card; a card whose talent services end on a later date — 白云 contact list — until that date)."""
    today = today or timezone.localdate()
    status, kind = card.status, STATUS_KINDS[card.status]
    result = {
        "kind": kind, "status": status, "label": str(card.get_status_display()),
        "message": str(STATUS_MESSAGES[status]),
        "mark": None, "date": None, "article": "", "reason": "",
        "services_usable": kind == StatusKind.VALID or bool(card.services_end_on and today < card.services_end_on),
    }
    if kind == StatusKind.VALID:
        return result
    event = _status_event(card)
    reason = card.end_reason or (event.reason if event else None)
    lost_on = timezone.localdate(card.lost_reported_at) if card.lost_reported_at else None
    result.update(
        mark=str(STATUS_MARKS[status]),
        date=card.services_end_on or card.ended_at or lost_on or (event.effective_on if event else None),
        article=(event.article if event else "") or (reason.article if reason else ""),
        reason=reason.text if reason else "",
    )
    return result


def card_services_usable(card, state=None):
    """The services the holder may use now, as the e-card lists them: none unless the card's services may be used
    today (``card_status``), else those of its tier and the tiers it includes, banking left to the bank."""
    from .models import ServiceCategory

    state = state or card_status(card)
    if not state["services_usable"]:
        return card.scheme.services.none()
    tiers = [card.tier, *card.tier.includes.all()]
    services = card.scheme.services.filter(tiers__in=tiers).exclude(category=ServiceCategory.FINANCE)
    return services.distinct().order_by("order", "pk")

def card_for_token(signed_value):
    """The card a signed verification value points at, or None (bad signature or unknown token)."""
    from .pdf import unsign_token

    token = unsign_token(signed_value or "")
    if not token:
        return None
    return Card.objects.select_related("scheme__jurisdiction", "tier").filter(verification_token=token).first()


def card_for_number(number, name_or_id_tail):
    """The card with this number whose holder's name — or the last four characters of whose ID number — is
    ``name_or_id_tail``; None otherwise (an unknown number and a wrong name look the same)."""
    number = "".join((number or "").split()).upper()
    given = "".join((name_or_id_tail or "").split())
    if not number or not given:
        return None
    cards = Card.objects.select_related("scheme__jurisdiction", "tier", "dossier", "end_reason")
    card = cards.filter(number=number).first()
    if card is None:
        return None
    id_tail = (card.dossier.id_number or "")[-4:].upper()
    names = {"".join(card.holder_name.split()), "".join(card.dossier.applicant_name.split())}
    if given in names or (len(given) == 4 and given.upper() == id_tail):
        return card
    return None


def verification_payload(card, today=None):
    """What anyone may learn by scanning a card or checking its number: never ID or phone numbers, the name
    masked, never the number of a card that replaced it."""
    from .pdf import issuing_body

    state = card_status(card, today)
    return {
        "valid": state["kind"] == StatusKind.VALID,
        "kind": state["kind"],
        "status": state["status"],
        "status_label": state["label"],
        "message": state["message"],
        "mark": state["mark"],
        "status_since": state["date"].isoformat() if state["date"] else None,
        "article": state["article"],
        "services_usable": state["services_usable"],
        "scheme": card.scheme.name,
        "jurisdiction": card.scheme.jurisdiction.name,
        "issuing_body": "、".join(issuing_body(card.scheme)),
        "tier": card.tier.name,
        "number": card.number,
        "holder": mask_name(card.holder_name),
        "valid_from": card.valid_from.isoformat(),
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        "ended_on": card.ended_at.isoformat() if card.ended_at else None,
        "services_end_on": card.services_end_on.isoformat() if card.services_end_on else None,
        "bank_services": card.bank_services if card.scheme.departments.filter(kind=DepartmentKind.BANK).exists() else None,
    }

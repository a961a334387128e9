"""Issuing cards from approved dossiers; the lifecycle services build on this."""

import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Card, CardStatus, ValidityRule
from .journal import journal_write


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def validity_for(scheme, dossier, valid_from):
    """valid_until by the scheme's rule (None where the policy sets no end)."""
    if scheme.validity_rule == ValidityRule.FIXED_FROM_ISSUANCE and scheme.validity_max_years:
        return add_years(valid_from, scheme.validity_max_years) - datetime.timedelta(days=1)
    if scheme.validity_rule == ValidityRule.CONTRACT_BOUNDED and scheme.validity_max_years:
        limit = add_years(valid_from, scheme.validity_max_years) - datetime.timedelta(days=1)
        if dossier.contract_end and dossier.contract_end < limit:
            return dossier.contract_end
        return limit
    return None


@transaction.atomic
def card_issue(*, dossier, user, department=None, replaces=None):
    from .dossiers import next_sequence

    scheme = dossier.scheme
    today = timezone.localdate()
    sequence = next_sequence(scheme, "card", today.year)
    card = Card.objects.create(
        scheme=scheme,
        dossier=dossier,
        number=scheme.card_number_format.format(year=today.year, seq=sequence),
        tier=dossier.granted_tier or dossier.requested_tier,
        holder=dossier.applicant,
        holder_name=dossier.applicant_name,
        status=CardStatus.ACTIVE,
        valid_from=today,
        valid_until=validity_for(scheme, dossier, today),
        replaces=replaces,
    )
    journal_write(
        action="casefiles.card.issue",
        actor=user,
        dossier=dossier,
        obj=card,
        department=department,
        data={"number": card.number, "tier": card.tier.code, "valid_until": str(card.valid_until or "")},
    )
    return card

"""Small worlds for the service-delivery tests (issue #20 items 1, 2, 4, 6): a card of a tier, a member of a
responsible unit, a service with a time limit. Built with the models on the schemes the module loaded once
(``schemes_once``): no demo data, no workflow walked."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from casefiles.models import Card, Membership, Role, Scheme
from delivery.models import DeliveryLimitSetting
from delivery.services import card_services
from programmes.selectors import approver_department
from tests.casefiles.factories import PASSWORD, new_dossier

SCHEMES = ("baiyun", "chuxiong", "jilin", "liaocheng", "tonghua")
_numbers = itertools.count(1)


def scheme(slug):
    return Scheme.objects.get(slug=slug)


def card_for(slug, tier=None, *, seed=1, **fields):
    """A valid card of the scheme's demo applicant in ``tier`` (the dossier's requested tier when not given)."""
    dossier = new_dossier(slug, seed=seed)
    tier = tier or dossier.requested_tier
    values = {
        "scheme": dossier.scheme,
        "dossier": dossier,
        "number": f"DLV-{slug}-{dossier.pk}-{next(_numbers)}",
        "tier": tier,
        "holder": dossier.applicant,
        "holder_name": dossier.applicant_name,
        "valid_from": timezone.localdate(),
    }
    values.update(fields)
    return Card.objects.create(**values)


def unit_staff(unit, name="staff"):
    """A member of a responsible unit who may open the Wagtail admin."""
    person, _created = get_user_model().objects.get_or_create(
        username=f"dlv.{unit.pk}.{name}", defaults={"last_name": "王", "first_name": f"办{name[:2]}", "is_staff": True}
    )
    person.set_password(PASSWORD)
    person.save()
    Membership.objects.get_or_create(user=person, department=unit, defaults={"role": Role.REVIEWER})
    if unit.group_id:
        person.groups.add(unit.group)
    person.user_permissions.add(Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"))
    return person


def office_staff(scheme_obj):
    office = approver_department(scheme_obj)
    return unit_staff(office, "office")


def limited_service(slug):
    """(service, card, limit from the policy?) for one scheme: the first service the scheme's data gives a time
    limit and a unit; where the policy names none, the first service with a unit under the programme office's
    administrative setting (5 working days), labelled as such."""
    scheme_obj = scheme(slug)
    served = [
        s
        for s in scheme_obj.services.prefetch_related("responsible_units", "tiers").order_by("order", "pk")
        if s.responsible_units.exists() and s.tiers.exists()
    ]
    with_limit = [s for s in served if s.time_limit_working_days]
    if not with_limit:
        DeliveryLimitSetting.objects.update_or_create(
            scheme=scheme_obj, defaults={"working_days": 5, "note": "市人才办规定的办理时限"}
        )
    service = (with_limit or served)[0]
    card = card_for(slug, service.tiers.order_by("rank").first())
    assert card_services(card).filter(pk=service.pk).exists()
    return service, card, bool(with_limit)

"""Notify at issuance (issue #20 item 4; 白云 第五条（七）): when a card is issued, every unit that serves its tier
lists the holder and is told; when the card ends, they are told from which date services stop."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from casefiles.models import Notification
from casefiles.services import cards as card_services_module
from delivery.models import UnitHolder
from delivery.services import card_services, units_serving
from tests.casefiles.factories import new_dossier

from .delivery_world import SCHEMES, unit_staff

pytestmark = pytest.mark.usefixtures("schemes_once")


def _told(event, unit_people):
    return {n.recipient.username for n in Notification.objects.filter(event=event, recipient__in=unit_people)}


@pytest.mark.parametrize("slug", SCHEMES)
def test_issuing_a_card_lists_the_holder_with_the_units_serving_its_tier(db, slug, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.get(username="admin")
    dossier = new_dossier(slug)
    served_by = set()
    tier = dossier.granted_tier or dossier.requested_tier
    for service in dossier.scheme.services.filter(tiers__in=[tier, *tier.includes.all()]).prefetch_related(
        "responsible_units"
    ):
        served_by |= {u.pk for u in service.responsible_units.all()}
    people = {
        pk: unit_staff(unit) for pk, unit in ((u.pk, u) for u in dossier.scheme.departments.filter(pk__in=served_by))
    }
    with django_capture_on_commit_callbacks(execute=True):
        card = card_services_module.card_issue(dossier=dossier, user=admin)
    listed = set(UnitHolder.objects.filter(card=card).values_list("unit_id", flat=True))
    expected = {u.pk for u in units_serving(card)}
    assert listed == expected and expected  # every scheme's tiers have units that serve them
    assert expected == {pk for pk in served_by if card_services(card).filter(responsible_units=pk).exists()}
    told = _told("delivery.holder_listed", list(people.values()))
    assert told == {people[pk].username for pk in expected}
    body = Notification.objects.filter(event="delivery.holder_listed").first().body
    assert card.holder_name in body and card.number in body


def test_ending_a_card_tells_the_units_from_which_date_services_stop(db, django_capture_on_commit_callbacks):
    """白云 contact list: talent services end from the first day of the next month (第六条第（一）项)."""
    admin = get_user_model().objects.get(username="admin")
    card = card_services_module.card_issue(dossier=new_dossier("baiyun"), user=admin)
    units = list(units_serving(card))
    people = [unit_staff(unit) for unit in units]
    with django_capture_on_commit_callbacks(execute=True):
        card_services_module.card_move_to_contact_list(
            card=card, user=admin, comment="不再符合条件", effective_on=datetime.date(2026, 12, 7)
        )
    card.refresh_from_db()
    assert card.services_end_on == datetime.date(2027, 1, 1)
    stops = set(UnitHolder.objects.filter(card=card).values_list("services_stop_on", flat=True))
    assert stops == {datetime.date(2027, 1, 1)}
    assert _told("delivery.holder_ended", people) == {p.username for p in people}
    assert all("2027年1月1日" in n.body for n in Notification.objects.filter(event="delivery.holder_ended"))


def test_a_revoked_card_stops_services_from_its_effective_day(db, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.get(username="admin")
    card = card_services_module.card_issue(dossier=new_dossier("tonghua"), user=admin)
    reason = card.scheme.revocation_reasons.exclude(effect="contact_list").order_by("order").first()
    with django_capture_on_commit_callbacks(execute=True):
        card_services_module.card_revoke(
            card=card, reason=reason, user=admin, comment="经核实", effective_on=datetime.date(2026, 12, 9)
        )
    assert set(UnitHolder.objects.filter(card=card).values_list("services_stop_on", flat=True)) == {
        datetime.date(2026, 12, 9)
    }


def test_the_units_list_page_and_the_administrative_limits_open(db, client):
    admin = get_user_model().objects.get(username="admin")
    card = card_services_module.card_issue(dossier=new_dossier("jilin"), user=admin)
    staff = unit_staff(units_serving(card).first())
    client.force_login(staff)
    page = client.get("/admin/delivery/holders/").content.decode()
    assert f'data-card="{card.number}"' in page and card.holder_name in page
    client.force_login(admin)
    for url in (
        "/admin/delivery/requests/",
        "/admin/delivery/holders/",
        "/admin/delivery_limit_settings/",
        "/admin/delivery_limit_settings/new/",
    ):
        assert client.get(url).status_code == 200, url
    # someone who works in no unit and no programme office does not see the pages
    client.force_login(card.holder)
    assert client.get("/admin/delivery/holders/").status_code in (302, 403, 404)

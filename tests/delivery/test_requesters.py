"""Who asks for a service (issue #20 item 1: “a holder, or their employer, for services the policy routes through the
employer”): ``requested_by`` of each service item in the scheme data. Where a seed names the employer (用人单位) as
acting for the talent, the item says ``either`` with the article in a comment; elsewhere the holder asks (the default,
an administrative choice). Every scheme file's items load as written; for every scheme the request service lets
exactly the right side ask, refuses the other in Chinese with the basis; the portal and the API show it."""

import itertools
from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

from casefiles.models import Department, Membership, Role, Scheme, ServiceRequester
from casefiles.schemes.loader import scheme_file_problems, scheme_load
from delivery.services import RequestService, ServiceRefused, card_services

from .delivery_world import SCHEMES, card_for

pytestmark = pytest.mark.usefixtures("schemes_once")
REPO = Path(__file__).resolve().parents[2]
SCHEME_FILES = [
    p
    for p in sorted([*(REPO / "casefiles" / "schemes").glob("*.yaml"), *(REPO / "tests" / "schemes").glob("*.yaml")])
    if "workflow" in (yaml.safe_load(p.read_text(encoding="utf-8")) or {})
]
_codes = itertools.count(1)


def employer_of(card):
    """An employer (用人单位) in the scheme's jurisdiction with one staff member, named on the card."""
    from django.contrib.auth import get_user_model

    code = f"dlv2-employer-{next(_codes)}"
    employer = Department.objects.create(
        jurisdiction=card.scheme.jurisdiction, code=code, name="某某科技有限公司", kind="employer"
    )
    person = get_user_model().objects.create(username=code, last_name="赵", first_name="人事")
    Membership.objects.create(user=person, department=employer, role=Role.REVIEWER)
    card.employer = employer
    card.save()
    return person


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.name)
def test_every_service_item_says_who_asks_as_its_file_does(db, path):
    """Loaded as written (holder where the file is silent); an item the employer may ask for cites its article in
    the comment above it."""
    data, problems = scheme_file_problems(path)
    assert problems == []
    scheme = scheme_load(data)
    loaded = dict(scheme.services.values_list("ref", "requested_by"))
    text = path.read_text(encoding="utf-8")
    for row in data["services"]:
        assert loaded[str(row["id"])] == row.get("requested_by", ServiceRequester.HOLDER), row["id"]
        if row.get("requested_by") in (ServiceRequester.EMPLOYER, ServiceRequester.EITHER):
            block = text[text.index(f'- id: "{row["id"]}"') :]
            comment = block[: block.index("requested_by:")].rsplit("\n", 2)[-2]
            assert comment.strip().startswith("#") and row["article"] in comment, row["id"]


def test_the_seeds_employer_routed_services_are_marked():
    """通化 配偶就业 ① (由持卡人所在单位…协助解决, in the three tiers) and 楚雄 医疗照顾 / 外籍人士补充医疗保险
    (由用人单位缴费, 允许用人单位…购买): the employer may ask; nothing else in the five seeds routes a service
    through it."""
    marked = {}
    for path in SCHEME_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        marked.update(
            {(data["slug"], str(r["id"])): r["requested_by"] for r in data["services"] if "requested_by" in r}
        )
    assert marked == {
        ("tonghua", "9.7.1"): "either",
        ("tonghua", "10.7.1"): "either",
        ("tonghua", "11.5.1"): "either",
        ("chuxiong", "5.6.1"): "either",
        ("chuxiong", "5.6.2"): "either",
    }


@pytest.mark.parametrize("slug", SCHEMES)
def test_every_service_of_every_scheme_is_asked_for_by_the_right_side(db, slug):
    """Every tier's card, every service with a unit: the holder may ask unless only the employer does, the employer
    only where the data lets it; the other side is refused in Chinese with the basis (article or 管理设置)."""
    seen = set()
    for tier in Scheme.objects.get(slug=slug).tiers.all():
        card = card_for(slug, tier)
        staff = employer_of(card)
        for service in card_services(card).exclude(responsible_units=None):
            if service.pk in seen:
                continue
            seen.add(service.pk)
            who = service.requested_by
            for user, allowed in (
                (card.holder, who != ServiceRequester.EMPLOYER),
                (staff, who != ServiceRequester.HOLDER),
            ):
                if allowed:
                    assert RequestService(card, service, user).check()
                    continue
                with pytest.raises(ServiceRefused) as refused:
                    RequestService(card, service, user).check()
                message = str(refused.value)
                assert service.title in message and ("管理设置" in message or service.article in message)
    assert seen


def test_an_employer_only_service_is_asked_for_by_the_employer_alone(db, client):
    service = Scheme.objects.get(slug="tonghua").services.get(ref="9.7.1")
    card = card_for("tonghua", service.tiers.order_by("rank").first())
    staff = employer_of(card)
    made = RequestService(card, service, staff).execute()
    assert made.through_employer and made.requested_by == staff
    service.requested_by = ServiceRequester.EMPLOYER
    service.save()
    with pytest.raises(ServiceRefused, match="用人单位") as refused:
        RequestService(card, service, card.holder).execute()
    assert service.article in str(refused.value)
    # the portal shows who asks, and offers the holder no button for it
    client.force_login(card.holder)
    page = client.get(f"/cards/{card.pk}/services/").content.decode()
    row = page[page.index(f'data-service="{service.ref}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-requested-by="employer"' in row and "用人单位" in row and "<form" not in row
    other = page[page.index('data-requested-by="holder"') - 200 :]
    assert "持卡人" in other[:400]
    response = client.post(f"/cards/{card.pk}/services/", {"service": service.pk}, follow=True)
    assert "用人单位" in response.content.decode() and card.service_requests.count() == 1


def test_the_api_says_who_asks_and_refuses_the_employer_a_holders_service(db):
    card = card_for("tonghua", Scheme.objects.get(slug="tonghua").services.get(ref="9.7.1").tiers.first())
    staff = employer_of(card)
    holder = APIClient()
    holder.force_authenticate(card.holder)
    listed = {s["id"]: s["requested_by"] for s in holder.get(f"/api/v1/cards/{card.pk}/").json()["services"]}
    assert listed["9.7.1"] == "either" and set(listed.values()) == {"either", "holder"}
    employer = APIClient()
    employer.force_authenticate(staff)
    own = next(s for s in card_services(card).exclude(responsible_units=None) if s.requested_by == "holder")
    refused = employer.post("/api/v1/service-requests/", {"card": card.pk, "service": own.ref}, format="json")
    assert refused.status_code == 400 and "持卡人" in refused.json()["error"]["message"]
    made = employer.post("/api/v1/service-requests/", {"card": card.pk, "service": "9.7.1"}, format="json")
    assert made.status_code == 201 and made.json()["through_employer"] is True
    assert made.json()["service"]["requested_by"] == "either"

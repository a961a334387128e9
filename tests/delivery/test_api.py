"""The service-delivery API (issue #20 item 6): a holder requests and follows, the unit reads its queue and acts;
refusals and conflicts answer with the shared Chinese error body; the operations are in the OpenAPI document."""

import json

import pytest
from rest_framework.test import APIClient

from delivery.models import ServiceRequest

from .delivery_world import card_for, limited_service, unit_staff

pytestmark = pytest.mark.usefixtures("schemes_once")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_holder_requests_and_follows_and_the_unit_acts_through_the_api(db):
    service, card, _policy = limited_service("tonghua")
    unit = service.responsible_units.first()
    staff, stranger = unit_staff(unit), unit_staff(card.scheme.departments.exclude(pk=unit.pk).first(), "other")
    holder = api(card.holder)

    made = holder.post("/api/v1/service-requests/", {"card": card.pk, "service": service.ref, "detail": "材料已备齐"},
                       format="json")  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "requested" and body["service"]["id"] == service.ref and body["steps"] == []
    assert body["time_limit_working_days"] == 10 and body["limit_article"] == service.article
    listed = holder.get("/api/v1/service-requests/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]

    queue = api(staff).get("/api/v1/service-queue/").json()
    assert queue["count"] == "1" and [r["id"] for r in queue["results"]] == [body["id"]]
    row = queue["results"][0]
    assert row["holder"]["name"] == card.holder_name and row["holder"]["id_number"] != card.dossier.id_number
    assert row["steps"] == ["accept", "ask_material", "refuse"]
    theirs = api(stranger).get("/api/v1/service-queue/")  # their own unit's queue (404 for a unit serving nothing)
    assert theirs.status_code == 404 or body["id"] not in [r["id"] for r in theirs.json()["results"]]
    assert api(stranger).get("/api/v1/service-queue/", {"unit": unit.pk}).status_code == 404
    assert api(card.holder).get("/api/v1/service-queue/").status_code == 404
    assert api(stranger).get(f"/api/v1/service-requests/{body['id']}/").status_code == 404

    url = f"/api/v1/service-requests/{body['id']}/steps/"
    accepted = api(staff).post(url, {"step": "accept", "expected_state": "requested"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["due_on"]
    again = api(staff).post(url, {"step": "accept", "expected_state": "requested"}, format="json")
    assert again.status_code == 409 and "已受理" in again.json()["error"]["message"]
    assert holder.post(url, {"step": "complete"}, format="json").status_code == 403
    refused = api(staff).post(url, {"step": "refuse", "note": "不符合条件"}, format="json")
    assert refused.status_code == 400 and "第…条" in refused.json()["error"]["message"]
    done = api(staff).post(url, {"step": "complete"}, format="json").json()
    assert done["state"] == "completed" and done["on_time"] is True
    followed = holder.get(f"/api/v1/service-requests/{body['id']}/").json()
    assert followed["state_label"] == "已完成"


def test_refusals_through_the_api_say_why(db):
    service, card, _policy = limited_service("jilin")
    outside = card.scheme.services.exclude(pk__in=card.tier.direct_services.all()).exclude(
        tiers__in=card.tier.includes.all()).first()  # fmt: skip
    holder = api(card.holder)
    if outside is not None:
        answer = holder.post("/api/v1/service-requests/", {"card": card.pk, "service": outside.ref}, format="json")
        assert answer.status_code == 400 and card.tier.name in answer.json()["error"]["message"]
    other = card_for("jilin", card.tier, seed=4)
    other.holder = unit_staff(service.responsible_units.first())
    other.save()
    assert holder.post("/api/v1/service-requests/", {"card": other.pk, "service": service.ref},
                       format="json").status_code == 404  # fmt: skip
    assert holder.post("/api/v1/service-requests/", {"card": card.pk, "service": "no-such"},
                       format="json").status_code == 400  # fmt: skip
    assert not ServiceRequest.objects.exists()


def test_the_operations_are_in_the_openapi_document(db):
    document = json.loads(APIClient().get("/api/v1/schema/", {"format": "json"}).content)
    ids = {
        op["operationId"] for methods in document["paths"].values() for op in methods.values() if "operationId" in op
    }
    assert {"service_requests_list", "service_requests_create", "service_requests_retrieve",
            "service_requests_steps_create", "service_queue_retrieve"} <= ids  # fmt: skip

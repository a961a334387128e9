"""好差评 through the API (issue #20 items 3 and 6): the same action as the portal, its refusals as 400/403/404/409
with the Chinese message in the shared Error shape, and the operation in the OpenAPI document."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from casefiles.models import Scheme
from delivery.models import ServiceRequest, ServiceRequestState
from programmes.models import FeedbackKind
from programmes.selectors import approver_department

from .report_rows import card_of, served_items, service_request

pytestmark = pytest.mark.usefixtures("schemes_once")

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def completed(db):
    scheme = Scheme.objects.order_by("slug").first()
    item, unit = served_items(scheme, 1)[0]
    return service_request(card_of(scheme.slug), item, unit, requested_on=DAY, completed_on=DAY, days=1, limit=10)


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(request):
    return f"/api/v1/service-requests/{request.pk}/rating/"


def test_the_holder_rates_once_and_a_poor_rating_raises_feedback(completed):
    client = api_as(completed.card.holder)
    response = client.post(url(completed), {"rating": 2, "comment": "等了很久"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    completed.refresh_from_db()
    assert body["rating"] == 2 and body["comment"] == "等了很久" and body["feedback"] == completed.feedback_id
    assert completed.feedback.kind == FeedbackKind.COMPLAINT
    assert completed.feedback.unit == approver_department(completed.scheme)
    assert body["feedback_due"] == (str(completed.feedback.due_date) if completed.feedback.due_date else None)
    again = client.post(url(completed), {"rating": 5}, format="json")
    assert again.status_code == 409 and again.json()["error"]["message"]
    completed.refresh_from_db()
    assert completed.rating == 2


@pytest.mark.parametrize(
    "body", [{"rating": 0}, {"rating": 6}, {}, {"rating": "five"}, {"rating": 4, "complaint": True}]
)
def test_bad_ratings_are_400_and_change_nothing(completed, body):
    response = api_as(completed.card.holder).post(url(completed), body, format="json")
    assert response.status_code == 400, (body, response.content)
    assert set(response.json()["error"]) >= {"code", "message"}
    completed.refresh_from_db()
    assert completed.rating is None


def test_others_get_404_and_an_open_request_409(completed):
    stranger = get_user_model().objects.create_user("rating.api.stranger", password="x")
    assert api_as(stranger).post(url(completed), {"rating": 5}, format="json").status_code == 404
    assert APIClient().post(url(completed), {"rating": 5}, format="json").status_code in (401, 403)
    ServiceRequest.objects.filter(pk=completed.pk).update(state=ServiceRequestState.ACCEPTED)
    response = api_as(completed.card.holder).post(url(completed), {"rating": 5}, format="json")
    assert response.status_code == 409
    assert ServiceRequest.objects.get(pk=completed.pk).rating is None


def test_the_operation_is_in_the_openapi_document(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    document = json.loads(response.content)
    operation = document["paths"]["/api/v1/service-requests/{id}/rating/"]["post"]
    assert operation["operationId"] == "service_requests_rating_create"
    assert {"400", "401", "403", "404", "409"} <= set(operation["responses"])
    examples = operation["requestBody"]["content"]["application/json"].get("examples")
    assert examples, operation["requestBody"]

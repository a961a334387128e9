"""The holder's "My requests" on the card services page links a completed, not yet rated request to its 好差评 page
(issue #20 item 3), and no other: not an open or refused one, not one rated already."""

import pytest
from django.urls import reverse

from delivery import ratings
from delivery.models import ServiceRequest, ServiceRequestState
from delivery.services import RequestService, StepAction

from .delivery_world import limited_service, unit_staff

pytestmark = pytest.mark.usefixtures("schemes_once")
S = ServiceRequestState


def _row(page, pk):
    row = page[page.index(f'data-request="{pk}"') :]
    return row[: row.index("</tr>")]


def test_a_completed_request_links_to_its_rating_page_until_it_is_rated(db, client):
    service, card, _policy = limited_service("tonghua")
    staff = unit_staff(service.responsible_units.order_by("code").first())
    request = RequestService(card, service, card.holder).execute()
    url = reverse("delivery-rate", args=[request.pk])
    client.force_login(card.holder)
    page_url = f"/cards/{card.pk}/services/"
    # every state but completed: no link
    for state in S.values:
        if state == S.COMPLETED:
            continue
        ServiceRequest.objects.filter(pk=request.pk).update(state=state)
        assert url not in _row(client.get(page_url).content.decode(), request.pk), state
    ServiceRequest.objects.filter(pk=request.pk).update(state=S.REQUESTED)
    request.refresh_from_db()
    request = StepAction(StepAction(request, "accept", staff).execute(), "complete", staff).execute()
    row = _row(client.get(page_url).content.decode(), request.pk)
    assert f'href="{url}" data-testid="rate"' in row and "评价服务" in row
    assert client.get(url).status_code == 200
    ratings.RateServiceAction(request, card.holder, rating=5, comment="办得快").execute()
    row = _row(client.get(page_url).content.decode(), request.pk)
    assert 'data-testid="rate"' not in row and "5" in row and url in row  # the rating, linked to its page

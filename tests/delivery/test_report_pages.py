"""The pages of issue #20 items 3 and 5: the holder's 好差评 page, the public delivery report (charts with a name,
a description and a data table; no personal data) and the staff's Excel, and the figures in the statistics
roll-up. Rows are made with the model (report_rows); the figures themselves are tested in test_report."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from casefiles.models import JournalEntry, Membership, Scheme
from delivery import report
from delivery.models import ServiceRequest
from programmes import statistics
from programmes.models import FeedbackKind
from programmes.selectors import approver_department
from tests.casefiles.factories import PASSWORD

from .report_rows import card_of, served_items, service_request

pytestmark = pytest.mark.usefixtures("schemes_once")


def recent(months_ago, day=10):
    first = report.months_back(months_ago + 1)[0]
    return first.replace(day=day)


@pytest.fixture
def made(db):
    scheme = Scheme.objects.order_by("slug").first()
    card = card_of(scheme.slug)
    (item, unit), (other_item, other_unit) = served_items(scheme)
    rows = [
        service_request(
            card, item, unit, requested_on=recent(2, 3), completed_on=recent(2, 12), days=5, limit=10, rating=5
        ),
        service_request(
            card, item, unit, requested_on=recent(1, 3), completed_on=recent(1, 25), days=14, limit=10, rating=2
        ),
        service_request(
            card, other_item, other_unit, requested_on=recent(1, 4), completed_on=recent(1, 8), days=3, limit=5
        ),
        service_request(card, other_item, other_unit, requested_on=recent(0, 1)),
    ]
    return {"scheme": scheme, "card": card, "rows": rows, "units": (unit, other_unit)}


def office_user(scheme):
    office = approver_department(scheme)
    return Membership.objects.filter(department=office).select_related("user").order_by("pk").first().user


def test_the_public_report_draws_named_charts_with_tables_and_no_personal_data(made, client):
    scheme, card = made["scheme"], made["card"]
    response = client.get(reverse("delivery-report") + f"?scheme={scheme.slug}")
    assert response.status_code == 200
    html = response.content.decode()
    charts = re.findall(r'<svg class="chart" id="([\w-]+)" role="img" aria-labelledby="([\w-]+) ([\w-]+)"', html)
    assert len(charts) == 3
    for chart_id, title_id, desc_id in charts:
        assert f'<title id="{title_id}">' in html and f'<desc id="{desc_id}">' in html, chart_id
    assert html.count("<table") == 3 and html.count("<caption") == 3
    for unit in made["units"]:
        assert unit.name in html
    # no person, card, note or comment: not the holder's name, login, card number, phone or ID number
    for private in (
        card.holder_name,
        card.holder.username,
        card.number,
        "13800138000",
        "110101199003076578",
        "服务很好",
        "请尽快办理",
    ):
        assert private not in html, private
    # the unit table shows what the report computes for the first unit
    first_unit = next(
        u
        for u in report.combined(
            report.monthly_rows(
                schemes=[scheme], first_month=report.months_back(12)[0], last_month=report.months_back(1)[0]
            ),
            by_unit=True,
        )
        if u.unit_id == made["units"][0].pk
    )
    assert (first_unit.requests, first_unit.completed, report.percent(first_unit.on_time_share)) == (2, 2, 50.0)
    assert first_unit.average_rating == 3.5
    unit_row = re.search(
        r"<th scope=\"row\">" + re.escape(made["units"][0].name) + r"</th>(.*?)</tr>", html, re.S
    ).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', unit_row)
    assert cells[:5] == ["2", "2", "50.0", "9.5", "3.5"]
    # every programme is listed for choosing; the page for all of them answers too
    assert client.get(reverse("delivery-report")).status_code == 200
    assert "Download Excel" not in html and "下载" not in html  # a visitor gets no export link


def test_the_staff_excel_has_every_unit_month_and_is_only_for_the_programme_office(made, client):
    scheme = made["scheme"]
    url = reverse("delivery-report-export")
    assert client.get(url).status_code == 302  # sign in first
    client.login(username=made["card"].holder.username, password=PASSWORD)
    assert client.get(url).status_code == 404  # a holder is no programme office
    officer = office_user(scheme)
    client.force_login(officer)
    page = client.get(reverse("delivery-report") + f"?scheme={scheme.slug}").content.decode()
    assert url in page  # staff see the download
    response = client.get(url + f"?scheme={scheme.slug}")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    workbook = load_workbook(io.BytesIO(response.content))
    months = report.months_back(12)
    rows = report.monthly_rows(schemes=[scheme], first_month=months[0], last_month=months[-1])
    sheet = [list(r) for r in workbook["monthly"].iter_rows(min_row=3, values_only=True)]
    assert [r[:4] for r in sheet] == [[r.scheme_name, r.unit_name, r.month_label, r.requests] for r in rows]
    assert len(rows) >= 4
    assert workbook["programmes"]["B3"].value == len(made["rows"])  # requests of the whole period
    assert JournalEntry.objects.filter(action="delivery.report.export", actor=officer).count() == 1
    # an office of another scheme gets nothing of this one
    other = Scheme.objects.exclude(pk=scheme.pk).order_by("slug").first()
    client.force_login(office_user(other))
    assert client.get(url + f"?scheme={scheme.slug}").status_code == 404


def test_the_statistics_roll_up_has_the_same_figures(made):
    scheme = made["scheme"]
    table = statistics.service_delivery_by_unit(Scheme.objects.filter(pk=scheme.pk))
    months = report.months_back(12)
    units = report.combined(
        report.monthly_rows(schemes=[scheme], first_month=months[0], last_month=months[-1]), by_unit=True
    )
    assert table["rows"] == [
        [u.scheme_name, u.unit_name, *("" if v is None else v for v in report.figures(u))] for u in units
    ]
    assert table in statistics.all_tables(Scheme.objects.filter(pk=scheme.pk))


def test_the_holder_rates_on_the_portal_once_and_a_poor_rating_reaches_the_office(made, client):
    request = next(r for r in made["rows"] if r.completed_at and r.rating is None)
    url = reverse("delivery-rate", args=[request.pk])
    stranger = get_user_model().objects.create_user("rate.page.stranger", password=PASSWORD)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(request.card.holder)
    page = client.get(url)
    assert page.status_code == 200 and 'name="rating"' in page.content.decode()
    assert client.post(url, {"rating": "9", "comment": ""}).status_code == 400
    response = client.post(url, {"rating": "1", "comment": "一直没人联系我"}, follow=True)
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.rating == 1 and request.feedback.kind == FeedbackKind.COMPLAINT
    assert request.feedback.unit == approver_department(request.scheme)
    html = response.content.decode()
    assert 'data-testid="rated"' in html and 'name="rating"' not in html
    assert reverse("programmes-feedback-detail", args=[request.feedback_id]) in html
    # a second rating is refused and changes nothing
    again = client.post(url, {"rating": "5"})
    assert again.status_code == 400
    request.refresh_from_db()
    assert request.rating == 1
    # an open request cannot be rated yet
    open_one = next(r for r in made["rows"] if r.completed_at is None)
    html = client.get(reverse("delivery-rate", args=[open_one.pk])).content.decode()
    assert 'data-testid="not-rateable"' in html and 'name="rating"' not in html
    assert client.post(reverse("delivery-rate", args=[open_one.pk]), {"rating": "4"}).status_code == 400
    assert ServiceRequest.objects.get(pk=open_one.pk).rating is None

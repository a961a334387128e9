"""Statistics: the numbers equal counts computed independently here, the page draws SVG charts, and the Excel
download has the same numbers."""

import datetime
import io
from collections import Counter

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from casefiles.models import Card, CardStatus, Dossier, Scheme
from programmes import statistics

from .conftest import PASSWORD, dossier_in, staff_of

pytestmark = pytest.mark.smoke


@pytest.fixture
def data(schemes):
    made = [
        dossier_in("liaocheng", "issued", seed=1, tier="A"),
        dossier_in("liaocheng", "issued", seed=2, tier="B"),
        dossier_in("liaocheng", "hr_review", seed=3),
        dossier_in("liaocheng", "draft", seed=4),
        dossier_in("tonghua", "case_by_case", seed=5),
    ]
    late = made[2]
    Dossier.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=3))
    return made


def test_numbers_equal_independent_counts(data):
    schemes = Scheme.objects.all()
    submitted = [d for d in Dossier.objects.select_related("scheme", "state", "requested_tier") if d.submitted_at]
    assert len(submitted) == 4  # the draft is not an application yet

    by_scheme = {row[0]: row[1] for row in statistics.applications_by_scheme(schemes)["rows"]}
    assert by_scheme == dict(Counter(d.scheme.name for d in submitted))

    by_stage = {(r[0], r[1]): r[2] for r in statistics.applications_by_stage(schemes)["rows"]}
    assert by_stage == dict(Counter((d.scheme.name, d.state.name) for d in submitted))

    by_tier = {(r[0], r[1]): r[2] for r in statistics.applications_by_tier(schemes)["rows"]}
    assert by_tier == dict(Counter((d.scheme.name, d.requested_tier.name) for d in submitted))

    months = dict(statistics.applications_by_month(schemes)["rows"])
    assert len(months) == 12 and months[f"{timezone.localdate():%Y-%m}"] == 4 and sum(months.values()) == 4

    cards = {(r[0], r[1]): r[2] for r in statistics.active_cards_by_tier(schemes)["rows"]}
    expected = Counter((c.scheme.name, c.tier.name) for c in Card.objects.filter(status=CardStatus.ACTIVE))
    assert cards == dict(expected) and sum(cards.values()) == 2

    overdue = statistics.overdue_by_department(schemes)["rows"]
    assert overdue == [["聊城市人才服务金卡", "聊城市人力资源社会保障局", 1]]

    stage_rows = {(r[0], r[1]): r for r in statistics.stage_processing_times(schemes)["rows"]}
    hr_review = stage_rows[("聊城市人才服务金卡", Scheme.objects.get(slug="liaocheng").states.get(code="hr_review").name)]
    assert hr_review[2] == 2  # the two issued dossiers left HR review once each
    assert hr_review[3] == 0  # …on the day they entered it


def test_page_charts_and_excel_download(data, client):
    client.login(username="liaocheng.talent-office", password=PASSWORD)
    response = client.get("/admin/programmes/statistics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg class=\"chart\"") == 9 and "<rect" in html and "聊城市人才服务金卡" in html
    assert "通化" not in html  # the talent office of 聊城 sees its own programme only

    workbook = load_workbook(io.BytesIO(client.get("/admin/programmes/statistics/?export=xlsx").content))
    scope = Scheme.objects.filter(slug="liaocheng")
    for table in statistics.all_tables(scope):
        sheet = workbook[table["key"]]
        rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
        assert rows == [[None if v == "" else v for v in row] for row in table["rows"]], table["key"]
    assert workbook["by_scheme"]["B3"].value == 3


def test_who_may_see_statistics(data, client):
    police = staff_of(Scheme.objects.get(slug="liaocheng"), "public-security-bureau")
    client.login(username=police.username, password=PASSWORD)
    assert client.get("/admin/programmes/statistics/").status_code == 404
    client.login(username="liaocheng.applicant", password=PASSWORD)
    assert client.get("/admin/programmes/statistics/").status_code in (302, 404)
    client.login(username="admin", password=PASSWORD)
    html = client.get("/admin/programmes/statistics/").content.decode()
    assert "通化" in html and "聊城" in html

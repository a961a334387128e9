"""Time limits in the policy's own unit (issue #20 item 2): 聊城 第十三条 “1 个月内办理随调手续” is one calendar month
from acceptance — accepted 31 January 2026, due 28 February (a make-up working day); a request that runs over is
reminded on the first working day after its due day; a due day off work moves to the next working day. Every scheme
file's limits load as written; a wrong unit is refused at its line in Chinese. The limit reads "1个月" / "N个工作日" on
the portal, in the unit's queue and detail, and in the API."""

import datetime
import re
from pathlib import Path

import pytest
import yaml
from django.utils import translation
from rest_framework.test import APIClient

from casefiles.models import Scheme, TimeLimitUnit
from casefiles.schemes.loader import scheme_file_problems
from casefiles.services.calendar import WorkingCalendar
from delivery.limits import add_months, due_on, limit_text, time_limit_for
from delivery.models import ServiceRequest
from delivery.services import RequestService, StepAction, requests_overdue_remind

from .delivery_world import card_for, unit_staff

pytestmark = pytest.mark.usefixtures("schemes_once")
REPO = Path(__file__).resolve().parents[2]
SCHEME_FILES = [
    p
    for p in sorted([*(REPO / "casefiles" / "schemes").glob("*.yaml"), *(REPO / "tests" / "schemes").glob("*.yaml")])
    if "workflow" in (yaml.safe_load(p.read_text(encoding="utf-8")) or {})
]
D = datetime.date


def spouse_placement():
    """聊城's 配偶安置 (第十三条) and a card of the lowest tier that has it."""
    service = Scheme.objects.get(slug="liaocheng").services.get(article="第十三条")
    card = card_for("liaocheng", service.tiers.order_by("-rank").first())
    return service, card


def accepted(service, card, day):
    staff = unit_staff(service.responsible_units.order_by("code").first())
    request = RequestService(card, service, card.holder).execute()
    return StepAction(request, "accept", staff, today=day).execute(), staff


def test_months_end_on_the_same_day_or_the_last_day_of_a_shorter_month():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 3, 31), 1) == D(2026, 4, 30)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)


def test_a_calendar_due_day_off_work_moves_to_the_next_working_day(db):
    calendar = WorkingCalendar()
    # 2026-09-01 + 1 month = 10月1日 (National Day): the next working day is Thursday 10月8日
    assert due_on(D(2026, 9, 1), 1, TimeLimitUnit.MONTHS, calendar) == D(2026, 10, 8)
    # 30 calendar days from Saturday 8月1日 = Monday 8月31日, a working day: unchanged
    assert due_on(D(2026, 8, 1), 30, TimeLimitUnit.CALENDAR_DAYS, calendar) == D(2026, 8, 31)
    # 1 calendar day from Friday 9月18日 is Saturday: moved to Sunday 9月20日, a make-up working day
    assert due_on(D(2026, 9, 18), 1, TimeLimitUnit.CALENDAR_DAYS, calendar) == D(2026, 9, 20)
    # working days are counted on the calendar, as before
    assert due_on(D(2026, 9, 16), 10, TimeLimitUnit.WORKING_DAYS, calendar) == D(2026, 9, 30)


def test_liaocheng_spouse_placement_accepted_on_31_january_is_due_on_28_february(db):
    service, card = spouse_placement()
    assert service.time_limit == (1, TimeLimitUnit.MONTHS, "第十三条")
    limit = time_limit_for(service)
    assert (limit.amount, limit.unit, limit.is_setting, limit.article) == (1, "months", False, "第十三条")
    request, _staff = accepted(service, card, D(2026, 1, 31))
    assert (request.time_limit_amount, request.time_limit_unit, request.time_limit_working_days) == (1, "months", None)
    assert request.limit_article == "第十三条" and not request.limit_is_setting
    # 2月28日 2026 is a Saturday, but a make-up working day (春节调休): it stays the due day
    assert request.due_on == D(2026, 2, 28) and WorkingCalendar().is_working_day(D(2026, 2, 28))


def test_a_month_that_runs_over_is_reminded_on_the_first_working_day_after_it(db, django_capture_on_commit_callbacks):
    service, card = spouse_placement()
    january, staff = accepted(service, card, D(2026, 1, 31))  # due Saturday 2月28日 (make-up day)
    september, _staff = accepted(service, card_for("liaocheng", card.tier, seed=2), D(2026, 9, 1))  # due 10月8日
    assert september.due_on == D(2026, 10, 8)
    reminded = {}
    for start, end in ((D(2026, 2, 27), D(2026, 3, 4)), (D(2026, 9, 30), D(2026, 10, 12))):
        day = start
        while day <= end:
            with django_capture_on_commit_callbacks(execute=True):
                if requests_overdue_remind(today=day):
                    reminded[day] = sorted(
                        ServiceRequest.objects.filter(overdue_reminded_on=day).values_list("pk", flat=True)
                    )
            day += datetime.timedelta(days=1)
    # Sunday 3月1日 is no working day: Monday 3月2日; 10月8日 due → Friday 10月9日
    assert reminded == {D(2026, 3, 2): [january.pk], D(2026, 10, 9): [september.pk]}
    with translation.override("zh-hans"):
        body = staff.notifications.filter(event="delivery.overdue").order_by("pk").first().body
    assert "2026年2月28日" in body and "第十三条" in body and limit_text(1, TimeLimitUnit.MONTHS) in body
    late = StepAction(january, "complete", staff, today=D(2026, 3, 2)).execute()
    assert late.on_time is False


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.name)
def test_every_scheme_files_limits_load_as_written(db, path):
    """Each service's limit in the file (``time_limit_working_days`` or ``time_limit``) is the loaded item's."""
    from casefiles.schemes.loader import scheme_load

    data, problems = scheme_file_problems(path)
    assert problems == []
    scheme = scheme_load(data)
    loaded = {s.ref: s.time_limit for s in scheme.services.all()}
    for row in data["services"]:
        given = row.get("time_limit")
        if given:
            expected = (given["amount"], given["unit"], given.get("article") or row["article"])
        elif row.get("time_limit_working_days"):
            expected = (row["time_limit_working_days"], "working_days", row["article"])
        else:
            expected = None
        assert loaded[str(row["id"])] == expected, row["id"]


def _broken_copy(tmp_path, old, new):
    path = REPO / "casefiles" / "schemes" / "liaocheng.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    target = tmp_path / path.name
    target.write_text(text.replace(old, new), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    return target, line


@pytest.mark.parametrize(
    "new, words",
    [
        ("time_limit: {amount: 1, unit: weeks, article: 第十三条}", "weeks"),
        ("time_limit: {amount: 0, unit: months, article: 第十三条}", "须在 1 至 999 之间"),
        ("time_limit: {amount: 1, article: 第十三条}", "unit"),
        ("time_limit: {amount: 1, unit: months}\n    time_limit_working_days: 20", "只能写一处"),
    ],
)
def test_a_bad_time_limit_is_refused_at_its_line_in_chinese(db, tmp_path, new, words):
    old = "time_limit: {amount: 1, unit: months, article: 第十三条}"
    target, line = _broken_copy(tmp_path, old, new)
    _data, problems = scheme_file_problems(target)
    assert problems, new
    assert any(p.startswith(f"liaocheng.yaml:{line}: ") and words in p for p in problems), problems
    assert all(re.search(r"[\u4e00-\u9fff]", p) for p in problems)


def test_the_limit_reads_one_month_or_n_working_days_wherever_it_is_shown(db, client):
    service, card = spouse_placement()
    with translation.override("zh-hans"):
        assert (limit_text(1, "months"), limit_text(10, "working_days")) == ("1个月", "10个工作日")
    request = RequestService(card, service, card.holder).execute()
    staff = unit_staff(request.unit)
    client.force_login(card.holder)
    page = client.get(f"/cards/{card.pk}/services/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = page[page.index(f'data-service="{service.ref}"') :]
    assert "<td data-limit>1个月 <small>第十三条</small>" in row[: row.index("</tr>")]
    client.force_login(staff)
    queue = client.get(f"/admin/delivery/requests/?unit={request.unit_id}").content.decode()
    assert "<td data-limit>1个月</td>" in queue
    detail = client.get(f"/admin/delivery/requests/{request.pk}/").content.decode()
    assert "<span data-limit>1个月</span>（第十三条）" in detail
    api = APIClient()
    api.force_authenticate(card.holder)
    body = api.get(f"/api/v1/service-requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["time_limit"] == {"amount": 1, "unit": "months", "text": "1个月"}
    assert body["time_limit_working_days"] is None and body["limit_article"] == "第十三条"

"""Feedback and the hotline (通化 第二十条): routed to the service item's first responsible unit, due in working
days, answered, closed and reported monthly."""

import datetime
import io

import chinese_calendar
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from casefiles.models import Notification, ServiceItem
from programmes import selectors
from programmes.models import Feedback, FeedbackStatus
from programmes.services import NotAllowed, feedback_answer, feedback_close, feedback_submit

from .conftest import PASSWORD, staff_of, user

pytestmark = pytest.mark.smoke


def _independent_working_days(start, end):
    """Working days after ``start`` up to ``end``, counted with the packaged calendar directly."""
    day, count = start, 0
    while day < end:
        day += datetime.timedelta(days=1)
        count += chinese_calendar.is_workday(day)
    return count


def test_feedback_goes_to_the_first_responsible_unit_with_a_working_day_due_date(schemes, django_capture_on_commit_callbacks):
    liaocheng = schemes["liaocheng"]
    item = ServiceItem.objects.get(scheme=liaocheng, ref="6")  # 行政审批局, 公安局 in that order
    approval = staff_of(liaocheng, "approval-bureau")
    with django_capture_on_commit_callbacks(execute=True):
        feedback = feedback_submit(user=user("liaocheng.employer"), service_item=item, kind="question",
                                   text="外国专家的工作许可需要多久办好？")
    assert feedback.unit.code == "approval-bureau"
    assert feedback.submitted_as == "employer"
    today = timezone.localdate()
    assert feedback.due_date > today
    assert _independent_working_days(today, feedback.due_date) == 5
    assert chinese_calendar.is_workday(feedback.due_date)
    # the unit's staff got it in their inbox, in Chinese, with a link to the queue entry
    note = Notification.objects.get(recipient=approval, event="feedback.assigned")
    assert "工作许可" in note.body and note.url == f"/admin/programmes/feedback/{feedback.pk}/"


def test_a_liaocheng_complaint_reaches_that_units_queue_and_no_other(schemes, client):
    liaocheng, tonghua = schemes["liaocheng"], schemes["tonghua"]
    police = staff_of(liaocheng, "public-security-bureau")
    health = staff_of(liaocheng, "health-commission")
    tonghua_police = staff_of(tonghua, "public-security-bureau")  # same code, other city
    item = ServiceItem.objects.get(scheme=liaocheng, ref="7")  # 户籍办理: 公安局
    complaint = feedback_submit(user=user("liaocheng.employer"), service_item=item, kind="complaint",
                                text="派出所说落户要再等一个月，和规定不符。")
    assert complaint.unit == liaocheng.departments.get(code="public-security-bureau")
    assert list(selectors.feedback_queue_for(police)) == [complaint]
    assert not selectors.feedback_queue_for(health).exists()
    assert not selectors.feedback_queue_for(tonghua_police).exists()

    client.login(username=police.username, password=PASSWORD)
    page = client.get("/admin/programmes/feedback/")
    assert page.status_code == 200 and "户籍办理" in page.content.decode()
    assert client.get(f"/admin/programmes/feedback/{complaint.pk}/").status_code == 200
    client.login(username=health.username, password=PASSWORD)
    assert "户籍办理" not in client.get("/admin/programmes/feedback/").content.decode()
    assert client.get(f"/admin/programmes/feedback/{complaint.pk}/").status_code == 404


def test_answer_close_and_who_may(schemes, client, django_capture_on_commit_callbacks):
    liaocheng = schemes["liaocheng"]
    police = staff_of(liaocheng, "public-security-bureau")
    health = staff_of(liaocheng, "health-commission")
    employer = user("liaocheng.employer")
    feedback = feedback_submit(user=employer, service_item=ServiceItem.objects.get(scheme=liaocheng, ref="7"),
                               kind="suggestion", text="建议公布落户办理流程。")
    with pytest.raises(NotAllowed):
        feedback_answer(feedback=feedback, user=health, answer="不归我们管")
    client.login(username=police.username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/programmes/feedback/{feedback.pk}/", {"action": "answer", "answer": "流程已在政务网公布。"})
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.ANSWERED and feedback.answered_by == police
    assert Notification.objects.filter(recipient=employer, event="feedback.answered", url=f"/feedback/{feedback.pk}/").exists()
    client.login(username="liaocheng.employer", password=PASSWORD)
    assert "流程已在政务网公布" in client.get(f"/feedback/{feedback.pk}/").content.decode()
    feedback_close(feedback=feedback, user=employer)
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.CLOSED


def test_portal_form_submits_feedback(schemes, client):
    client.login(username="liaocheng.employer", password=PASSWORD)
    item = ServiceItem.objects.get(scheme=schemes["liaocheng"], ref="16")
    assert client.get("/feedback/new/?scheme=liaocheng").status_code == 200
    response = client.post("/feedback/new/?scheme=liaocheng",
                           {"service_item": item.pk, "kind": "question", "text": "子女入学需要哪些材料？"})
    assert response.status_code == 302
    assert Feedback.objects.get().service_item == item


def test_monthly_report_counts_and_excel(schemes, client):
    liaocheng = schemes["liaocheng"]
    police = staff_of(liaocheng, "public-security-bureau")
    employer = user("liaocheng.employer")
    items = {ref: ServiceItem.objects.get(scheme=liaocheng, ref=ref) for ref in ("7", "19")}
    made = [
        feedback_submit(user=employer, service_item=items["7"], kind="complaint", text="落户等待时间太长。"),
        feedback_submit(user=employer, service_item=items["7"], kind="question", text="落户需要哪些材料？"),
        feedback_submit(user=employer, service_item=items["19"], kind="suggestion", text="建议开设人才专用窗口。"),
    ]
    feedback_answer(feedback=made[1], user=police, answer="见政务网。")
    Feedback.objects.filter(pk=made[0].pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    today = timezone.localdate()
    report = selectors.feedback_monthly_report(year=today.year, month=today.month)
    by_unit = {r["unit"]: r for r in report["rows"]}
    police_row = by_unit["聊城市公安局"]
    assert (police_row["total"], police_row["complaints"], police_row["questions"], police_row["answered"],
            police_row["open"], police_row["overdue"]) == (2, 1, 1, 1, 1, 1)
    assert report["totals"]["total"] == Feedback.objects.count() == 3
    assert report["totals"]["suggestions"] == 1

    client.login(username="admin", password=PASSWORD)
    page = client.get(f"/admin/programmes/feedback/report/?month={today:%Y-%m}")
    assert page.status_code == 200 and "聊城市公安局" in page.content.decode()
    download = client.get(f"/admin/programmes/feedback/report/?month={today:%Y-%m}&export=xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["聊城市公安局"][1:] == (2, 1, 1, 0, 1, 1, 0, 1)

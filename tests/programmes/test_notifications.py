"""Notifications: inbox always, e-mail unless the person turned that family off; Chinese templated messages
with links; the daily job reminds of deadlines once."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from casefiles.models import Dossier, Notification
from casefiles.services.calendar import WorkingCalendar
from casefiles.services.dossiers import dossier_transition
from programmes.models import DeadlineReminder, NotificationPreference
from programmes.services import preference_set

from .conftest import PASSWORD, dossier_in, user


@pytest.mark.smoke
def test_preference_turns_email_off_but_the_inbox_still_gets_it(schemes, mailoutbox, django_capture_on_commit_callbacks):
    applicant = user("liaocheng.applicant")
    preference_set(user=applicant, family="dossier", email=False)
    dossier = dossier_in("liaocheng", "draft", criterion="5.3")  # class （三）: reviewed (第三十二条第（二）项)
    with django_capture_on_commit_callbacks(execute=True):
        dossier_transition(dossier=dossier, transition="submit", user=applicant)
    assert mailoutbox == []
    note = Notification.objects.get(recipient=applicant, event="dossier.submit")
    assert note.url == f"/applications/{dossier.pk}/"

    preference_set(user=applicant, family="dossier", email=True)
    with django_capture_on_commit_callbacks(execute=True):
        dossier_transition(dossier=dossier, transition="approve_review", user=user("liaocheng.hr-bureau"))
    assert [m.to for m in mailoutbox] == [[applicant.email]]


@pytest.mark.smoke
def test_inbox_lists_and_marks_read_and_preferences_page(schemes, client):
    applicant = user("liaocheng.applicant")
    Notification.objects.create(recipient=applicant, subject="【聊城】测试通知", body="正文", url="/cards/", event="card.remind")
    Notification.objects.create(recipient=user("tonghua.applicant"), subject="别人的通知", body="x", event="card.remind")
    client.login(username="liaocheng.applicant", password=PASSWORD)
    html = client.get("/inbox/").content.decode()
    assert "【聊城】测试通知" in html and "别人的通知" not in html
    note = Notification.objects.get(recipient=applicant)
    assert client.get(f"/inbox/{note.pk}/")["Location"] == "/cards/"
    note.refresh_from_db()
    assert note.read_at is not None
    client.post("/inbox/preferences/", {"dossier": "on", "deadline": "on"})
    prefs = dict(NotificationPreference.objects.filter(user=applicant).values_list("family", "email"))
    assert prefs == {"dossier": True, "deadline": True, "card": False, "feedback": False, "programme": False}
    assert client.get("/inbox/", follow=False).status_code == 200
    client.logout()
    assert client.get("/inbox/").status_code == 302


def test_daily_job_reminds_the_acting_department_once(schemes, mailoutbox, django_capture_on_commit_callbacks):
    dossier = dossier_in("liaocheng", "hr_review")
    today = timezone.localdate()
    due = WorkingCalendar().add_working_days(today, 1)
    Dossier.objects.filter(pk=dossier.pk).update(due_date=due)
    far = dossier_in("liaocheng", dossier.state.code, seed=2)
    Dossier.objects.filter(pk=far.pk).update(due_date=today + datetime.timedelta(days=30))
    staff = user(f"liaocheng.{dossier.state.actor}")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("programme_daily")
        call_command("programme_daily")
    notes = Notification.objects.filter(recipient=staff, event="deadline.dossier")
    assert notes.count() == 1
    assert dossier.reference in notes.get().subject and "即将到期" in notes.get().subject
    assert notes.get().url == f"/admin/dossiers/{dossier.pk}/"
    assert DeadlineReminder.objects.filter(dossier=far).count() == 0
    assert any(staff.email in m.to for m in mailoutbox)

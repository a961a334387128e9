"""Requests for opinions (会签 / 征求意见 / 专家评审, issue #16 item 4): opened on entering a state whose data asks
for them, each with its due date from the working calendar; the state's exits per guard (all_agreed,
none_objected, deadline_passed); answers only by the department or expert asked; grants only while asked;
reminders once a day; the worklist overdue first.

The tests write the state's ``opinions`` / ``experts`` and the exits' guards themselves (the scheme files' own
controls are tested with the scheme data), on the stage a 聊城 dossier enters when submitted."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from casefiles.exceptions import CaseFileError, GuardFailed, StateConflict, TransitionDenied
from casefiles.models import Membership, Notification, OpinionRequest, OpinionRequestStatus, Role
from casefiles.selectors import dossiers_visible_to, transitions_available
from casefiles.selectors_opinions import requests_waiting_on
from casefiles.services.calendar import WorkingCalendar
from casefiles.services.dossiers import dossier_transition
from casefiles.services.opinions import experts_request, opinion_answer, opinion_requests_remind
from casefiles.workflow.guards import guard_failures

from .factories import new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

SLUG = "liaocheng"
ASKED = {"talent-office": 5, "org-dept": 3}  # department code -> working days
NOT_ASKED = "tax-bureau"
ACTOR = "hr-bureau"
ALL_AGREED, DEADLINE = "approve_direct", "approve_review"  # the two exits, guarded below


def configure(experts=True):
    """Ask two departments on the stage after submission (and experts); guard its two exits."""
    schemes = setup_schemes()
    scheme = schemes[SLUG]
    state = scheme.transitions.get(code="submit").target
    state.opinions = [
        {"department": code, "working_days": days, "topic": f"{code} 意见", "setting": True}
        for code, days in ASKED.items()
    ]
    state.experts = {"min": 1, "working_days": 10, "setting": True} if experts else None
    state.save()
    for code in (*ASKED, NOT_ASKED):  # staff of the departments asked (and of one not asked), with a colleague
        department = scheme.departments.get(code=code)
        for username in (f"{SLUG}.{code}", f"{SLUG}.{code}.2"):
            account, _created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
            Membership.objects.get_or_create(user=account, department=department, defaults={"role": Role.REVIEWER})
            account.groups.add(department.group)
    scheme.transitions.filter(code="submit").update(guard={})  # materials are another control's tests
    scheme.transitions.filter(code=ALL_AGREED).update(guard={"opinions": "all_agreed"})
    scheme.transitions.filter(code=DEADLINE).update(guard={"opinions": "deadline_passed"})
    return scheme, state


def submitted(seed=1):
    dossier = new_dossier(SLUG, seed=seed)
    return dossier_transition(dossier=dossier, transition="submit", user=dossier.applicant)


def request_of(dossier, code):
    """The latest request of ``code`` on the dossier's stage (a stage entered again asks again)."""
    return OpinionRequest.objects.filter(dossier=dossier, department__code=code, state=dossier.state).latest("pk")


def expert_account(username="test.expert", name=("李", "明远")):
    return get_user_model().objects.create_user(
        username, email=f"{username}@example.org", last_name=name[0], first_name=name[1]
    )


def fresh(dossier):
    return type(dossier).objects.select_related("scheme", "state").get(pk=dossier.pk)


def test_requests_open_with_calendar_due_dates_and_the_exits_follow_the_guards():
    scheme, state = configure()
    dossier = submitted()
    requests = {
        r.department.code: r for r in OpinionRequest.objects.filter(dossier=dossier).select_related("department")
    }
    assert set(requests) == set(ASKED)
    calendar = WorkingCalendar()
    for code, days in ASKED.items():
        request = requests[code]
        assert request.status == OpinionRequestStatus.OPEN and request.state_id == state.pk
        assert request.due_date == calendar.add_working_days(timezone.localdate(request.requested_at), days)
        assert request.setting and request.topic == f"{code} 意见"
    latest_due = max(r.due_date for r in requests.values())

    def failing(word, today=None):
        return guard_failures({"opinions": word}, fresh(dossier), today=today)

    # nothing answered: all_agreed fails, none_objected holds, deadline_passed only after every due date
    assert failing("all_agreed") and not failing("none_objected")
    assert failing("deadline_passed") and failing("deadline_passed", today=latest_due)
    assert not failing("deadline_passed", today=latest_due + datetime.timedelta(days=1))
    offered = {t.code for t in transitions_available(user(f"{SLUG}.{ACTOR}"), fresh(dossier))}
    assert ALL_AGREED not in offered and DEADLINE not in offered and "return" in offered
    with pytest.raises(GuardFailed):
        dossier_transition(dossier=fresh(dossier), transition=ALL_AGREED, user=user(f"{SLUG}.{ACTOR}"))

    # one agrees: still waiting on the other
    opinion_answer(request=requests["talent-office"], user=user(f"{SLUG}.talent-office"), agree=True, comment="")
    assert failing("all_agreed") and not failing("none_objected")
    # an objection needs a reason, then holds the dossier: all_agreed and none_objected fail, deadline_passed too
    with pytest.raises(CaseFileError):
        opinion_answer(request=requests["org-dept"], user=user(f"{SLUG}.org-dept"), agree=False, comment="  ")
    opinion_answer(
        request=requests["org-dept"], user=user(f"{SLUG}.org-dept"), agree=False, comment="该人员作风问题待核实"
    )
    assert failing("all_agreed") and failing("none_objected")
    assert failing("deadline_passed", today=latest_due + datetime.timedelta(days=30))
    offered = {t.code for t in transitions_available(user(f"{SLUG}.{ACTOR}"), fresh(dossier))}
    assert ALL_AGREED not in offered and DEADLINE not in offered and {"return", "reject"} <= offered
    with pytest.raises(StateConflict):  # answered once: no second answer
        opinion_answer(request=requests["org-dept"], user=user(f"{SLUG}.org-dept.2"), agree=True, comment="")

    # the dossier leaves the stage: open requests are withdrawn and an answer to them is refused
    dossier = dossier_transition(
        dossier=fresh(dossier), transition="return", user=user(f"{SLUG}.{ACTOR}"), comment="请补充"
    )
    dossier = dossier_transition(dossier=dossier, transition="submit", user=dossier.applicant)
    second = request_of(dossier, "talent-office")
    assert second.status == OpinionRequestStatus.OPEN
    dossier = dossier_transition(
        dossier=fresh(dossier), transition="return", user=user(f"{SLUG}.{ACTOR}.2"), comment="请补充"
    )
    second.refresh_from_db()
    assert second.status == OpinionRequestStatus.CANCELLED
    with pytest.raises(StateConflict):
        opinion_answer(request=second, user=user(f"{SLUG}.talent-office"), agree=True, comment="")


def test_all_agreed_opens_the_exit_and_deadline_passed_the_other():
    configure(experts=False)
    dossier = submitted()
    for code in ASKED:
        opinion_answer(request=request_of(dossier, code), user=user(f"{SLUG}.{code}"), agree=True, comment="同意")
    offered = {t.code for t in transitions_available(user(f"{SLUG}.{ACTOR}"), fresh(dossier))}
    assert ALL_AGREED in offered and DEADLINE not in offered
    # another dossier: nobody answers; after the last due date the deadline exit opens, all_agreed stays shut
    other = submitted(seed=2)
    latest = max(OpinionRequest.objects.filter(dossier=other).values_list("due_date", flat=True))
    after = latest + datetime.timedelta(days=1)
    offered = {t.code for t in transitions_available(user(f"{SLUG}.{ACTOR}"), fresh(other), today=after)}
    assert DEADLINE in offered and ALL_AGREED not in offered
    dossier = dossier_transition(dossier=fresh(dossier), transition=ALL_AGREED, user=user(f"{SLUG}.{ACTOR}"))
    assert not OpinionRequest.objects.filter(dossier=dossier, status=OpinionRequestStatus.OPEN).exists()


def test_only_the_department_or_expert_asked_may_answer():
    configure()
    dossier = submitted()
    request = request_of(dossier, "talent-office")
    expert = expert_account()
    for someone in (
        dossier.applicant,
        user(f"{SLUG}.{NOT_ASKED}"),
        user(f"{SLUG}.org-dept"),
        user(f"{SLUG}.{ACTOR}"),
        user(f"{SLUG}.employer"),
        expert,
    ):
        with pytest.raises(TransitionDenied):
            opinion_answer(request=request, user=someone, agree=True, comment="")
    request.refresh_from_db()
    assert request.status == OpinionRequestStatus.OPEN
    # experts: named only by the stage's actor, only external accounts, never the applicant
    with pytest.raises(TransitionDenied):
        experts_request(dossier=dossier, experts=[expert], user=user(f"{SLUG}.talent-office"))
    with pytest.raises(TransitionDenied):
        experts_request(dossier=dossier, experts=[expert], user=dossier.applicant)
    for wrong in (dossier.applicant, user(f"{SLUG}.org-dept"), user(f"{SLUG}.employer")):
        with pytest.raises(CaseFileError):
            experts_request(dossier=dossier, experts=[wrong], user=user(f"{SLUG}.{ACTOR}"))
    [named] = experts_request(dossier=dossier, experts=[expert], user=user(f"{SLUG}.{ACTOR}"))
    assert named.due_date == WorkingCalendar().add_working_days(timezone.localdate(named.requested_at), 10)
    for someone in (
        user(f"{SLUG}.talent-office"),
        user(f"{SLUG}.{ACTOR}"),
        expert_account("other.expert", ("王", "静怡")),
    ):
        with pytest.raises(TransitionDenied):
            opinion_answer(request=named, user=someone, agree=True, comment="")
    opinion_answer(request=named, user=expert, agree=True, comment="学术水平符合")


def _get(client, url):
    return client.get(url).status_code


def test_grants_follow_the_open_requests_on_admin_portal_and_api():
    """The asked department sees the dossier only while its request is open; the expert only the dossiers they are
    asked about and only while asked (404 afterwards on the expert page and the API)."""
    configure()
    dossier, elsewhere = submitted(), submitted(seed=2)
    asked, colleague = user(f"{SLUG}.talent-office"), user(f"{SLUG}.talent-office.2")
    expert = expert_account()
    actor = Client()
    actor.force_login(user(f"{SLUG}.{ACTOR}"))
    panel = actor.get(f"/admin/dossiers/{dossier.pk}/").content.decode()
    assert f'name="experts" value="{expert.pk}"' in panel and "李明远" in panel  # the actor's form to name experts
    assert "talent-office 意见" in panel  # the stage's requests are listed
    response = actor.post(
        f"/api/v1/dossiers/{dossier.pk}/experts/", json.dumps({"experts": [expert.pk]}), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    request_id = response.json()[0]["id"]
    client, expert_client = Client(), Client()
    client.force_login(asked)
    expert_client.force_login(expert)
    for who in (asked, colleague):
        assert dossiers_visible_to(who).filter(pk=dossier.pk).exists()
    assert _get(client, f"/api/v1/dossiers/{dossier.pk}/") == 200
    assert _get(client, f"/admin/dossiers/{dossier.pk}/") == 200
    page = expert_client.get(f"/expert/{request_id}/")
    assert page.status_code == 200
    assert dossier.id_number.encode() not in page.content and dossier.phone.encode() not in page.content
    assert dossier.applicant_name.encode() not in page.content
    assert dossier.reference.encode() in expert_client.get("/expert/").content
    assert _get(expert_client, f"/api/v1/dossiers/{dossier.pk}/") == 200
    assert _get(expert_client, f"/api/v1/dossiers/{elsewhere.pk}/") == 404
    assert [r["id"] for r in expert_client.get("/api/v1/opinion-requests/").json()["results"]] == [request_id]
    assert _get(expert_client, f"/admin/dossiers/{dossier.pk}/") != 200

    # the department answers in the admin: afterwards neither it nor its colleague sees the dossier
    talent = request_of(dossier, "talent-office")
    response = client.post(
        f"/admin/opinion-requests/dossier/{dossier.pk}/answer/{talent.pk}/",
        {"answer": "agree", "comment": "", "confirm": "1"},
    )
    assert response.status_code == 302
    talent.refresh_from_db()
    assert talent.status == OpinionRequestStatus.AGREED and talent.answered_by == asked
    for who in (asked, colleague):
        assert not dossiers_visible_to(who).filter(pk=dossier.pk).exists()
    assert _get(client, f"/api/v1/dossiers/{dossier.pk}/") == 404
    assert _get(client, f"/admin/dossiers/{dossier.pk}/") == 404
    # still asked on the other dossier
    assert _get(client, f"/api/v1/dossiers/{elsewhere.pk}/") == 200

    # the expert answers through the API: then 404 everywhere, a second answer too
    response = expert_client.post(
        f"/api/v1/opinion-requests/{request_id}/answer/", json.dumps({"agree": False}), content_type="application/json"
    )
    assert response.status_code == 400  # an objection needs a reason
    response = expert_client.post(
        f"/api/v1/opinion-requests/{request_id}/answer/",
        json.dumps({"agree": False, "comment": "代表性成果不足"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "objected"
    for url in (f"/expert/{request_id}/", f"/api/v1/dossiers/{dossier.pk}/", f"/applications/{dossier.pk}/"):
        assert _get(expert_client, url) == 404, url
    response = expert_client.post(
        f"/api/v1/opinion-requests/{request_id}/answer/", json.dumps({"agree": True}), content_type="application/json"
    )
    assert response.status_code == 404
    assert expert_client.get("/api/v1/opinion-requests/").json()["results"] == []

    # a withdrawn request: the org dept saw the dossier until it left the stage, then 404
    org = Client()
    org.force_login(user(f"{SLUG}.org-dept"))
    assert _get(org, f"/api/v1/dossiers/{dossier.pk}/") == 200
    dossier_transition(dossier=fresh(dossier), transition="return", user=user(f"{SLUG}.{ACTOR}"), comment="请补充")
    assert _get(org, f"/api/v1/dossiers/{dossier.pk}/") == 404
    org_request = OpinionRequest.objects.filter(dossier=dossier, department__code="org-dept").latest("pk")
    response = org.post(
        f"/api/v1/opinion-requests/{org_request.pk}/answer/",
        json.dumps({"agree": True}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_reminders_once_a_day_for_overdue_requests():
    configure(experts=False)
    dossier = submitted()
    due = max(OpinionRequest.objects.filter(dossier=dossier).values_list("due_date", flat=True))
    recipients = (
        get_user_model()
        .objects.filter(memberships__department__code__in=list(ASKED), memberships__department__schemes__slug=SLUG)
        .distinct()
        .count()
    )
    assert recipients >= 2 * len(ASKED)
    before = Notification.objects.filter(event="opinion.reminder").count()
    far = due - datetime.timedelta(days=30)
    assert opinion_requests_remind(today=far) == 0  # not yet due
    late = due + datetime.timedelta(days=2)
    with _on_commit():
        assert opinion_requests_remind(today=late) == len(ASKED)
        assert opinion_requests_remind(today=late) == 0  # once a day
    reminded = Notification.objects.filter(event="opinion.reminder").count() - before
    assert reminded == recipients
    assert all(dossier.reference in n.subject for n in Notification.objects.filter(event="opinion.reminder"))
    # the next day: again, through the management command; an answered request is not reminded
    opinion_answer(
        request=request_of(dossier, "talent-office"), user=user(f"{SLUG}.talent-office"), agree=True, comment=""
    )
    OpinionRequest.objects.filter(dossier=dossier).update(
        reminded_at=datetime.datetime(late.year, late.month, late.day, 12, tzinfo=datetime.UTC)
    )
    out = __import__("io").StringIO()
    call_command("remind_opinion_requests", date=(late + datetime.timedelta(days=1)), stdout=out)
    assert out.getvalue().strip() == "reminders: 1"
    assert mail.outbox  # e-mails went out with the inbox rows


class _on_commit:
    """Run on_commit callbacks of the test transaction (notifications are sent after commit)."""

    def __enter__(self):
        from django.db import connection

        self.connection = connection
        self.start = len(connection.run_on_commit)

    def __exit__(self, *exc):
        callbacks = self.connection.run_on_commit[self.start :]
        del self.connection.run_on_commit[self.start :]
        for _sids, callback, _robust in callbacks:
            callback()


def test_worklist_overdue_first_in_admin_and_api():
    configure(experts=False)
    first, second, third = submitted(1), submitted(2), submitted(3)
    mine = OpinionRequest.objects.filter(department__code="talent-office")
    today = datetime.date.today()
    mine.filter(dossier=first).update(due_date=today + datetime.timedelta(days=20))
    mine.filter(dossier=second).update(due_date=today - datetime.timedelta(days=1))
    mine.filter(dossier=third).update(due_date=today + datetime.timedelta(days=2))
    officer = user(f"{SLUG}.talent-office")
    assert [r.dossier_id for r in requests_waiting_on(officer, today=today)] == [second.pk, third.pk, first.pk]
    client = Client()
    client.force_login(officer)
    rows = client.get("/api/v1/opinion-requests/").json()["results"]
    assert [r["dossier"] for r in rows] == [second.pk, third.pk, first.pk]
    assert [r["overdue"] for r in rows] == [True, False, False]
    assert all(first.applicant_name not in r["applicant"] for r in rows)
    page = client.get("/admin/opinion-requests/")
    assert page.status_code == 200
    text = page.content.decode()
    positions = [text.index(d.reference) for d in (second, third, first)]
    assert positions == sorted(positions)
    assert "cf-due--overdue" in text
    assert first.applicant_name not in text
    # someone not asked has an empty worklist
    other = Client()
    other.force_login(user(f"{SLUG}.{ACTOR}"))
    assert other.get("/api/v1/opinion-requests/").json()["results"] == []

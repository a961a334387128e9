"""督办 on the workbench (issue #19): department heads see and remind the overdue work of the departments the scheme
data says they supervise. Apart from tests/casefiles/test_workbench.py, whose tests share the demo data set loaded
once for their module (``demo_once``); these need the schemes and demo users only (``schemes_once``)."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from casefiles.models import Dossier, JournalEntry, Membership, OpinionRequest
from casefiles.selectors_workbench import workbench_for

pytestmark = [pytest.mark.django_db]

User = get_user_model()
WORKBENCH = "/admin/workbench/"


# --- 督办 (supervision): department heads, from the scheme data's ``supervises`` lists ---------------------------
# These tests need the schemes and demo users only (``schemes_once``, loaded once for them), not the demo data set.

REMIND_URL = "/admin/workbench/remind/"


def _first_stage(scheme):
    from casefiles.models import StateKind

    return scheme.states.filter(kind=StateKind.STAGE).order_by("order").first()


def _acting_departments(dossier):
    from casefiles.models import Department, DossierGroupObjectPermission
    from casefiles.permissions import ACT, permission_ids

    groups = DossierGroupObjectPermission.objects.filter(content_object=dossier, permission_id=permission_ids()[ACT])
    return set(Department.objects.filter(group__in=groups.values("group")))


@pytest.fixture
def supervision_world(schemes_once):
    """Per shipped scheme: a dossier in its first review stage overdue, one there not yet due; in 通化 one more at a
    stage of a department its head does not supervise. An overdue opinion request to a supervised department of each
    scheme with heads, and one in 通化 to a department not supervised."""
    import random

    from casefiles.demo_dossiers import dossier_in_state
    from casefiles.models import Scheme

    today = timezone.localdate()
    world = {"overdue": [], "later": [], "unsupervised": [], "requests": [], "other_requests": []}
    for i, scheme in enumerate(Scheme.objects.order_by("slug")):
        applicant = User.objects.get(username=f"{scheme.slug}.applicant")
        for key, days in (("overdue", -12), ("later", 20)):
            dossier = dossier_in_state(scheme, applicant, random.Random(i), _first_stage(scheme).code)
            Dossier.objects.filter(pk=dossier.pk).update(due_date=today + datetime.timedelta(days=days))
            world[key].append(Dossier.objects.get(pk=dossier.pk))
    tonghua = Scheme.objects.get(slug="tonghua")
    unsupervised = (
        tonghua.states.exclude(actor__in=["", *tonghua.supervision["hr-bureau"], "applicant"])
        .filter(kind="stage")
        .order_by("order")
        .first()
    )
    dossier = dossier_in_state(
        tonghua, User.objects.get(username="tonghua.applicant"), random.Random(9), unsupervised.code
    )
    Dossier.objects.filter(pk=dossier.pk).update(due_date=today - datetime.timedelta(days=5))
    world["unsupervised"].append(Dossier.objects.get(pk=dossier.pk))
    for dossier in world["overdue"]:
        codes = sorted({c for codes in dossier.scheme.supervision.values() for c in codes})
        if codes:
            world["requests"].append(
                OpinionRequest.objects.create(
                    dossier=dossier,
                    state=dossier.state,
                    department=dossier.scheme.departments.get(code=codes[-1]),
                    topic="会签",
                    requested_at=timezone.now(),
                    due_date=today - datetime.timedelta(days=3),
                )
            )
    unasked = tonghua.departments.exclude(code__in=tonghua.supervision["hr-bureau"]).order_by("code").first()
    world["other_requests"].append(
        OpinionRequest.objects.create(
            dossier=world["overdue"][-1]
            if world["overdue"][-1].scheme_id == tonghua.pk
            else next(d for d in world["overdue"] if d.scheme_id == tonghua.pk),
            state=next(d for d in world["overdue"] if d.scheme_id == tonghua.pk).state,
            department=unasked,
            topic="会签",
            requested_at=timezone.now(),
            due_date=today - datetime.timedelta(days=3),
        )
    )
    return world


def heads():
    from casefiles.models import Role

    return list(User.objects.filter(memberships__role=Role.HEAD).distinct().order_by("username"))


def test_heads_see_exactly_the_overdue_work_of_the_departments_they_supervise(client, supervision_world):
    from casefiles.models import Role, Scheme

    today = timezone.localdate()
    every = supervision_world["overdue"] + supervision_world["later"] + supervision_world["unsupervised"]
    seen_dossiers, seen_requests = set(), set()
    swept = heads()
    assert {h.username.split(".")[0] for h in swept} >= {"tonghua", "baiyun", "chuxiong", "liaocheng"}
    for head in swept:
        headed = {
            m.department for m in Membership.objects.filter(user=head, role=Role.HEAD).select_related("department")
        }
        supervised = {  # (scheme, department code) the head oversees, read from the scheme data
            (scheme.pk, code)
            for scheme in Scheme.objects.filter(departments__in=headed).distinct()
            for department in headed
            if scheme.departments.filter(pk=department.pk).exists()
            for code in scheme.supervision.get(department.code, [])
        }
        expected = {
            d.pk
            for d in every
            if d.due_date < today and any((d.scheme_id, dept.code) in supervised for dept in _acting_departments(d))
        }
        expected_requests = {
            r.pk
            for r in supervision_world["requests"] + supervision_world["other_requests"]
            if (r.dossier.scheme_id, r.department.code) in supervised
        }
        bench = workbench_for(head, today=today)
        shown = {item.dossier.pk for item in bench.overdue_dossiers} & {d.pk for d in every}
        shown_requests = {item.request.pk for item in bench.overdue_requests}
        assert bench.supervises and expected, head.username
        assert shown == expected, head.username
        assert shown_requests == expected_requests, head.username
        assert all(item.deadline.overdue and item.deadline.working_days_overdue for item in bench.overdue_dossiers)
        assert all(item.department for item in bench.overdue_dossiers), head.username
        seen_dossiers |= shown
        seen_requests |= shown_requests
    assert not seen_dossiers & {d.pk for d in supervision_world["later"] + supervision_world["unsupervised"]}
    assert not seen_requests & {r.pk for r in supervision_world["other_requests"]}
    jilin = [d.pk for d in supervision_world["overdue"] if d.scheme.slug == "jilin"]
    assert jilin and not seen_dossiers & set(jilin)  # 吉林's file names no head

    head = User.objects.get(username="tonghua.hr-bureau.head")
    client.force_login(head)
    html = client.get(WORKBENCH).content.decode()
    section = html[html.index('id="workbench-supervision"') :]
    assert "督办" in html and "发送催办" in section and "逾期" in section
    overdue = next(d for d in supervision_world["overdue"] if d.scheme.slug == "tonghua")
    assert overdue.reference in section
    # the reference links the case file only where the head may open it (else the link would be a 404)
    may_open = client.get(f"/admin/dossiers/{overdue.pk}/").status_code == 200
    assert (f'href="/admin/dossiers/{overdue.pk}/"' in section) == may_open
    assert "None" not in section
    counts = workbench_for(head, today=today)
    assert json.dumps(f"待办（{counts.count:,}）")[1:-1] in html  # the menu counts 督办 too


def test_a_reminder_is_one_journal_entry_and_one_notice_to_each_officer_once_a_day(client, supervision_world):
    from casefiles.models import Notification
    from casefiles.services.supervision import REMIND

    from .test_opinion_requests import _on_commit

    dossier = next(d for d in supervision_world["overdue"] if d.scheme.slug == "tonghua")
    officers = {u.pk for department in _acting_departments(dossier) for u in department.group.user_set.all()}
    head = User.objects.get(username="tonghua.hr-bureau.head")
    officers.discard(head.pk)
    assert len(officers) >= 2
    client.force_login(head)
    with _on_commit():
        response = client.post(REMIND_URL, {"dossier": dossier.pk}, follow=True)
    assert "已发送" in response.content.decode()
    entries = JournalEntry.objects.filter(dossier=dossier, action=REMIND)
    assert entries.count() == 1 and entries.get().actor == head
    notices = Notification.objects.filter(event="supervision.reminder")
    assert sorted(n.recipient_id for n in notices) == sorted(officers)  # one each
    assert all(dossier.reference in n.subject for n in notices)

    with _on_commit():
        again = client.post(REMIND_URL, {"dossier": dossier.pk}, follow=True).content.decode()
    assert "今天已催办" in again
    assert entries.count() == 1 and notices.count() == len(officers)

    # A request for an opinion is reminded of on its own, once a day too.
    request = next(r for r in supervision_world["requests"] if r.dossier_id == dossier.pk)
    client.post(REMIND_URL, {"dossier": dossier.pk, "request": request.pk})
    client.post(REMIND_URL, {"dossier": dossier.pk, "request": request.pk})
    assert entries.count() == 2


def test_non_heads_have_no_supervision_and_cannot_remind(client, supervision_world):
    from casefiles.models import Role
    from casefiles.services.supervision import REMIND

    dossier = next(d for d in supervision_world["overdue"] if d.scheme.slug == "tonghua")
    outside = next(d for d in supervision_world["unsupervised"])
    non_heads = list(User.objects.filter(memberships__isnull=False).exclude(memberships__role=Role.HEAD).distinct())
    assert len(non_heads) >= 10
    for officer in non_heads:
        assert not workbench_for(officer).supervises, officer.username
    officer = User.objects.get(username="tonghua.service-center")
    client.force_login(officer)
    assert 'id="workbench-supervision"' not in client.get(WORKBENCH).content.decode()
    client.post(REMIND_URL, {"dossier": dossier.pk})
    # A head cannot remind a department outside their supervision.
    client.force_login(User.objects.get(username="tonghua.hr-bureau.head"))
    refused = client.post(REMIND_URL, {"dossier": outside.pk}, follow=True).content.decode()
    assert "督办" in refused
    assert not JournalEntry.objects.filter(action=REMIND).exists()


def test_a_supervises_list_naming_an_unknown_department_is_refused_with_its_line(tmp_path):
    from casefiles.schemes.loader import SCHEME_DIR, SchemeDataError, read_scheme_file

    text = (SCHEME_DIR / "tonghua.yaml").read_text(encoding="utf-8")
    good = "supervises: [service-center, hr-bureau]"
    assert good in text
    line = text[: text.index(good)].count("\n") + 1
    path = tmp_path / "tonghua.yaml"
    path.write_text(text.replace(good, "supervises: [service-center, no-such-bureau]"), encoding="utf-8")
    with pytest.raises(SchemeDataError) as refused:
        read_scheme_file(path)
    assert f"tonghua.yaml:{line}: " in str(refused.value)
    assert "督办" in str(refused.value) and "no-such-bureau" in str(refused.value)

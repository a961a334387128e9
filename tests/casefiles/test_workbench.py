"""The officer's workbench (issue #19 item 1): an officer's admin home is their 待办 and 已办; editors keep the
CMS dashboard. Swept over every demo officer of every scheme, against the worklist selectors."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from casefiles.adminviews.workbench import edits_pages
from casefiles.models import DepartmentKind, Dossier, JournalEntry, Membership, OpinionRequest
from casefiles.selectors import dossiers_actionable_by, dossiers_actionable_count
from casefiles.selectors_opinions import requests_waiting_on
from casefiles.selectors_workbench import WORKBENCH_SIZE, supervised_by, workbench_for

pytestmark = [pytest.mark.django_db]

User = get_user_model()
WORKBENCH = "/admin/workbench/"


def officers():
    """Every demo officer: a member of a department that is not an employer."""
    return list(
        User.objects.filter(
            pk__in=Membership.objects.exclude(department__kind=DepartmentKind.EMPLOYER).values("user")
        ).order_by("username")
    )


def rows(html, kind):
    """The dossier ids of the workbench's table ``kind`` (dossiers or requests), in page order."""
    match = re.search(rf'data-workbench="{kind}">(.*?)</table>', html, re.S)
    if not match:
        return []
    return [int(pk) for pk in re.findall(r'href="/admin/dossiers/(\d+)/"', match.group(1))]


def assert_no_logins(html, usernames):
    for username in usernames:
        assert not re.search(rf"(?<![\w.@-]){re.escape(username)}(?![\w.@-])", html), username


@pytest.fixture
def bench_world(demo_once):
    # Some dossiers overdue, some due soon, some later, so that the order is tested on real rows.
    today = timezone.localdate()
    open_dossiers = list(Dossier.objects.exclude(due_date__isnull=True).order_by("pk"))
    if not open_dossiers:
        open_dossiers = list(Dossier.objects.exclude(state__kind="end").order_by("pk"))
    for i, dossier in enumerate(open_dossiers):
        Dossier.objects.filter(pk=dossier.pk).update(due_date=today + datetime.timedelta(days=(-9, 1, 30)[i % 3]))
    return demo_once


def test_every_officer_lands_on_exactly_their_worklist(client, bench_world):
    today = timezone.localdate()
    # Every demo login but "admin" (a word of every admin URL) has a dot: <slug>.<code>.
    usernames = list(User.objects.filter(username__contains=".").values_list("username", flat=True))
    swept = non_empty = editors = 0
    for officer in officers():
        client.force_login(officer)
        home = client.get(reverse("wagtailadmin_home"))
        assert home.status_code == 200, officer.username
        html = home.content.decode()
        page = client.get(WORKBENCH).content.decode()
        if edits_pages(officer):  # an officer who also edits pages keeps the dashboard, the workbench a click away
            assert 'id="workbench-todo"' not in html and WORKBENCH in html, officer.username
            html = page
            editors += 1
        assert 'id="workbench-todo"' in html, officer.username
        expected = list(dossiers_actionable_by(officer).values_list("pk", flat=True))
        for shown in (html, page):
            listed = rows(shown, "dossiers")
            if len(expected) <= WORKBENCH_SIZE:
                assert sorted(listed) == sorted(expected), officer.username
            else:
                assert set(listed) <= set(expected) and len(listed) == WORKBENCH_SIZE, officer.username
            due = dict(Dossier.objects.filter(pk__in=listed).values_list("pk", "due_date"))
            bands = [0 if due[pk] and due[pk] < today else 1 for pk in listed]
            assert bands == sorted(bands), f"{officer.username}: overdue rows must come first"
            waiting = sorted(requests_waiting_on(officer).values_list("dossier_id", flat=True))[:WORKBENCH_SIZE]
            assert sorted(rows(shown, "requests")) == waiting, officer.username
            # The workbench itself (Wagtail's account menu shows a login when the account has no name).
            assert_no_logins(shown[shown.index('id="workbench-todo"') :], usernames)
            assert "None" not in shown[shown.index('id="workbench-todo"') :], officer.username
        swept += 1
        non_empty += bool(expected)
    assert swept - editors >= 10 and non_empty >= 3


def test_overdue_come_first_with_working_days(client, bench_world):
    today = timezone.localdate()
    officer = next(
        o
        for o in officers()
        if dossiers_actionable_by(o).filter(due_date__lt=today).exists()
        and dossiers_actionable_by(o).filter(due_date__gte=today).exists()
    )
    client.force_login(officer)
    html = client.get(WORKBENCH).content.decode()
    assert "cf-due--overdue" in html
    assert "逾期" in html and "工作日" in html
    bench = workbench_for(officer, today=today)
    flags = [item.deadline.overdue for item in bench.dossiers]
    assert flags == sorted(flags, reverse=True)
    assert all(item.deadline.working_days_left is not None for item in bench.dossiers if item.deadline.due_date)
    assert f"{today.year}年" in html


def test_menu_shows_the_count(client, bench_world):
    # A head's count adds 督办 (tested below); here an officer without one.
    officer = max((o for o in officers() if not supervised_by(o)), key=lambda o: dossiers_actionable_count(o))
    client.force_login(officer)
    count = dossiers_actionable_count(officer) + requests_waiting_on(officer).count()
    html = client.get(WORKBENCH).content.decode()
    assert count > 0
    assert json.dumps(f"待办（{count:,}）")[1:-1] in html  # the sidebar menu is rendered as JSON


def test_done_lists_the_officers_own_decisions(client, bench_world):
    entry = (
        JournalEntry.objects.filter(dossier__isnull=False, actor__memberships__isnull=False, data__has_key="to")
        .exclude(actor__memberships__department__kind=DepartmentKind.EMPLOYER)
        .order_by("-pk")
        .first()
    )
    if entry is None:
        pytest.skip("the demo data has no officer's transition")
    client.force_login(entry.actor)
    html = client.get(WORKBENCH).content.decode()
    done = html[html.index('id="workbench-done"') :]
    assert f'href="/admin/dossiers/{entry.dossier_id}/"' in done
    assert entry.dossier.reference in done


def test_editors_keep_the_dashboard(client, bench_world):
    client.force_login(User.objects.get(username="admin"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="workbench-todo"' not in html
    assert reverse("wagtailadmin_home") and WORKBENCH in html  # the menu item reaches the workbench
    assert client.get(WORKBENCH).status_code == 200


def test_applicants_and_employers_get_no_workbench(client, bench_world):
    for username in ("jilin.applicant", "jilin.employer"):
        client.force_login(User.objects.get(username=username))
        assert client.get(WORKBENCH).status_code in (302, 404), username


def test_opinion_request_rows_are_the_requests_waiting(bench_world):
    request = OpinionRequest.objects.filter(status="open").select_related("department").first()
    if request is None or request.department is None:
        pytest.skip("the demo data asks no department")
    member = Membership.objects.filter(department=request.department).first().user
    bench = workbench_for(member)
    waiting = list(requests_waiting_on(member).values_list("pk", flat=True))[:WORKBENCH_SIZE]
    assert [item.request.pk for item in bench.requests] == waiting

"""The 待办 worklist at any size: keyset pages walk every row exactly once in the worklist order (ties in the
sort key included), per-state walks find exactly the granted dossiers, and the count stops at a cap."""

import datetime
import random
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from bench.loadgen import generate
from casefiles.adminviews.dossiers import WorklistView, count_label
from casefiles.models import Department, Dossier, DossierGroupObjectPermission
from casefiles.selectors import (
    WorklistCursor,
    capped_count,
    dossiers_actionable_by,
    dossiers_actionable_count,
    dossiers_actionable_page,
    worklist_sort_key,
)
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]
User = get_user_model()


@pytest.fixture
def load(db):
    """Synthetic dossiers across the five schemes with the grants their states call for (bench.loadgen), many
    sharing a due date and a creation time so that only the id orders them."""
    setup_schemes()
    generate(400, applicants=40, employers_per_scheme=2, progress=False, open_weight=30, seed=3)
    rng = random.Random(4)
    moment = timezone.now().replace(microsecond=123456)
    days = [None, timezone.localdate(), timezone.localdate() + datetime.timedelta(days=1)]
    for dossier in Dossier.objects.order_by("pk"):
        due = rng.choice(days) if dossier.due_date else None
        Dossier.objects.filter(pk=dossier.pk).update(due_date=due, created_at=moment - datetime.timedelta(seconds=rng.choice((0, 0, 1))))
    return Dossier.objects.count()


def department_users():
    """One user per department group that holds any act grant, plus every other staff-side department."""
    users = []
    for department in Department.objects.select_related("group").order_by("pk"):
        user, _ = User.objects.get_or_create(username=f"keyset.{department.pk}")
        user.groups.set([department.group])
        users.append(user)
    return users


def walk(user, size, queryset=None):
    rows, cursor, pages = [], None, 0
    while True:
        page, cursor, _ = dossiers_actionable_page(user, queryset, after=cursor, size=size)
        pages += 1
        assert len(page) <= size
        rows += page
        if cursor is None:
            return rows, pages
        assert len(page) == size


def test_pages_walk_every_granted_dossier_once_in_worklist_order(load):
    checked = tied = 0
    for user in department_users():
        expected = list(dossiers_actionable_by(user))
        rows, pages = walk(user, size=7)
        pks = [d.pk for d in rows]
        assert len(pks) == len(set(pks)), user.username
        assert set(pks) == {d.pk for d in expected}, user.username
        assert pks == [d.pk for d in sorted(expected, key=worklist_sort_key)], user.username
        checked += bool(expected)
        keys = [worklist_sort_key(d)[:3] for d in rows]
        tied += len(keys) - len(set(keys))
    assert checked >= 8  # the walk covered departments acting through codes, as authority and as employer
    assert tied > 50  # and many rows equal in due date and creation time, ordered by id alone


def test_the_order_is_the_databases_order_and_filters_narrow_the_walk(load):
    user = max(department_users(), key=lambda u: dossiers_actionable_by(u).count())
    full = dossiers_actionable_by(user)
    from casefiles.selectors import WORKLIST_ORDER

    assert [d.pk for d in walk(user, size=5)[0]] == list(full.order_by(*WORKLIST_ORDER).values_list("pk", flat=True))
    state = full.values_list("state", flat=True).first()
    narrowed = Dossier.objects.filter(state_id=state)
    assert {d.pk for d in walk(user, size=4, queryset=narrowed)[0]} == set(full.filter(state_id=state).values_list("pk", flat=True))


def test_personal_grants_are_listed_too(load):
    """An applicant's own steps (draft, returned) are granted to the user, not a group."""
    applicants = User.objects.filter(username__startswith="load.applicant.").order_by("pk")
    found = 0
    for user in applicants:
        expected = set(dossiers_actionable_by(user).values_list("pk", flat=True))
        assert {d.pk for d in walk(user, size=2)[0]} == expected
        found += len(expected)
    assert found > 0


def test_a_grant_outside_the_states_the_workflow_names_is_not_shown_but_nothing_granted_is_lost(load):
    """The walk reads only the states whose actor the user can be; it checks the grant row by row, so
    losing a grant removes the dossier at once."""
    user = department_users()[0]
    listed = [d.pk for d in walk(user, size=3)[0]]
    if not listed:
        user = next(u for u in department_users() if dossiers_actionable_by(u).exists())
        listed = [d.pk for d in walk(user, size=3)[0]]
    DossierGroupObjectPermission.objects.filter(content_object_id=listed[0], group__in=user.groups.all()).delete()
    assert listed[0] not in {d.pk for d in walk(user, size=3)[0]}


def test_cursor_round_trip_and_garbage():
    moment = datetime.datetime(2026, 12, 5, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    for due in (None, datetime.date(2026, 1, 31)):
        cursor = WorklistCursor(due, moment, 42)
        assert WorklistCursor.decode(cursor.encode()) == cursor
    for garbage in (None, "", "x", "2026-01-01~1~", "-~abc~1", "2026-13-01~1~1", "-~99999999999999999999999~1"):
        assert WorklistCursor.decode(garbage) is None


def test_capped_count(load):
    everything = Dossier.objects.all()
    assert capped_count(everything, cap=10) == 11
    assert capped_count(everything, cap=10_000) == load
    for user in department_users():
        exact = dossiers_actionable_by(user).count()
        assert dossiers_actionable_count(user, cap=10_000) == exact
        assert dossiers_actionable_count(user, cap=5) == min(exact, 6)
        assert dossiers_actionable_page(user, size=3, count_cap=5)[2] == min(exact, 6)


def test_count_label_english_and_chinese():
    with translation.override("en"):
        assert count_label(1001) == "1,000+"
        assert count_label(1000) == "1,000"
    with translation.override("zh-hans"):
        assert count_label(1001) == "1,000 件以上"
        assert count_label(37) == "37"
        assert count_label(6, cap=5) == "5 件以上"


@pytest.fixture
def staff_client(client, load):
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    user = max(department_users(), key=lambda u: dossiers_actionable_by(u).count())
    Group.objects.get(pk=user.groups.get().pk).permissions.add(access)
    from casefiles.models import Membership

    department = Department.objects.get(group=user.groups.get())
    Membership.objects.get_or_create(user=user, department=department)
    client.force_login(user)
    return client, user


def test_the_todo_view_pages_by_key_and_caps_the_count(staff_client, monkeypatch):
    client, user = staff_client
    expected = [d.pk for d in sorted(dossiers_actionable_by(user), key=worklist_sort_key)]
    assert len(expected) > 12
    monkeypatch.setattr(WorklistView, "paginate_by", 4)
    monkeypatch.setattr(WorklistView, "count_cap", 10)
    url, seen, pages = reverse("casefiles_dossiers:todo"), [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [d.pk for d in response.context["object_list"]]
        page = response.content.decode()
        assert "data-cf-count>10 件以上<" in page  # the admin speaks zh-Hans by default
        url = response.context["next_url"]
        pages += 1
        if url:
            assert "after=" in urlparse(url).query
    assert seen == expected and pages == -(-len(expected) // 4)
    monkeypatch.setattr(WorklistView, "count_cap", 100_000)
    response = client.get(reverse("casefiles_dossiers:todo"))
    assert response.context["items_count"] == len(expected) and not response.context["count_capped"]


def test_a_garbled_cursor_starts_at_the_top_and_other_orders_page_by_number(staff_client):
    client, user = staff_client
    top = client.get(reverse("casefiles_dossiers:todo"))
    garbled = client.get(reverse("casefiles_dossiers:todo"), {"after": "not-a-cursor"})
    first = [d.pk for d in top.context["object_list"]]
    assert [d.pk for d in garbled.context["object_list"]] == first
    by_reference = client.get(reverse("casefiles_dossiers:todo"), {"ordering": "reference"})
    assert by_reference.context["paginator"].count == dossiers_actionable_by(user).count()

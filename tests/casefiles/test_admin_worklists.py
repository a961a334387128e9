"""Staff worklists and the dossier page in the Wagtail admin."""

import datetime
import io
import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from casefiles.masking import mask_id_number
from casefiles.models import Department, DepartmentKind, Dossier, JournalEntry, Membership, Scheme
from casefiles.selectors import dossiers_actionable_by, dossiers_visible_to
from casefiles.testing import applicant_dossier
from tests.casefiles import factories
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

PASSWORD = factories.PASSWORD  # the schemes' users, loaded once for the module (schemes_once)
User = get_user_model()

# (scheme, target state) of the dossiers the tests work on.
PLAN = [
    ("jilin", "employer_recommendation"),
    ("jilin", "preliminary_review"),
    ("jilin", "final_approval"),
    ("jilin", "final_approval", "4.2"),  # 一事一议 (第四条第（二）项): the route refer_case_by_case is open to
    ("jilin", "issued"),
    ("baiyun", "pre_review"),
    ("tonghua", "acceptance"),
]


def zh(message):
    with translation.override("zh-hans"):
        return gettext(message)


def make_dossier(scheme, target, rng, criterion=None):
    """A dossier of the scheme's applicant driven to ``target``, claiming ``criterion`` (a ref) or else the first
    criterion of the highest tier whose route reaches it."""
    dossier = applicant_dossier(scheme, target, rng, criterion=criterion)
    assert dossier.state.code == target
    return dossier


@pytest.fixture
def world(db):
    setup_schemes()
    # Department staff work in the Wagtail admin.
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for department in Department.objects.exclude(kind=DepartmentKind.EMPLOYER):
        department.group.permissions.add(access)
    rng = random.Random(11)
    schemes = {s.slug: s for s in Scheme.objects.all()}
    return [make_dossier(schemes[slug], target, rng, *rest) for slug, target, *rest in PLAN]


def staff_users():
    return User.objects.filter(
        pk__in=Membership.objects.exclude(department__kind=DepartmentKind.EMPLOYER).values("user")
    ).order_by("username")


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def listed(response):
    return {d.pk for d in response.context["object_list"]}


def test_todo_is_exactly_the_actionable_dossiers_of_each_department_user(client, world):
    non_empty = 0
    for user in staff_users():
        client.force_login(user)
        response = client.get(reverse("casefiles_dossiers:todo"))
        assert response.status_code == 200, user.username
        expected = set(dossiers_actionable_by(user).values_list("pk", flat=True))
        assert listed(response) == expected, user.username
        non_empty += bool(expected)
    assert non_empty >= 3
    client.force_login(User.objects.get(username="jilin.hr-bureau"))
    final = {d.pk for d in world if d.state.code == "final_approval"}
    assert listed(client.get(reverse("casefiles_dossiers:todo"))) == final


def test_done_lists_what_the_department_gave_an_opinion_on(client, world):
    login(client, "jilin.hr-bureau")
    issued = next(d for d in world if d.state.code == "issued")
    assert listed(client.get(reverse("casefiles_dossiers:done"))) == {issued.pk}


def test_filters_narrow_the_list(client, world):
    login(client, "admin")
    jilin = Scheme.objects.get(slug="jilin")
    response = client.get(reverse("casefiles_dossiers:overdue"))
    assert response.status_code == 200
    Dossier.objects.update(due_date=timezone.localdate() - datetime.timedelta(days=2))
    all_open = client.get(reverse("casefiles_dossiers:overdue"))
    assert listed(all_open) == {d.pk for d in world if d.state.code != "issued"}
    only_jilin = client.get(reverse("casefiles_dossiers:overdue"), {"scheme": jilin.pk})
    assert listed(only_jilin) == {d.pk for d in world if d.scheme_id == jilin.pk and d.state.code != "issued"}
    final = jilin.states.get(code="final_approval")
    by_state = client.get(reverse("casefiles_dossiers:overdue"), {"state": final.pk, "year": timezone.localdate().year})
    assert listed(by_state) == {d.pk for d in world if d.state_id == final.pk}
    assert listed(client.get(reverse("casefiles_dossiers:overdue"), {"year": 1999})) == set()


def test_overdue_and_due_soon_are_marked(client, world):
    login(client, "jilin.hr-bureau")
    today = timezone.localdate()
    late, soon = [d for d in world if d.state.code == "final_approval"]
    Dossier.objects.filter(pk=late.pk).update(due_date=today - datetime.timedelta(days=1))
    Dossier.objects.filter(pk=soon.pk).update(due_date=today + datetime.timedelta(days=1))
    response = client.get(reverse("casefiles_dossiers:overdue"))
    view = response.context["view"]
    if view.soon is None:  # no calendar data for the coming days: only overdue rows
        assert listed(response) == {late.pk}
        return
    assert listed(response) == {late.pk, soon.pk}
    page = response.content.decode()
    assert page.count('class="cf-due--overdue"') == 1 and page.count('class="cf-due--soon"') == 1
    Dossier.objects.filter(pk=soon.pk).update(due_date=today + datetime.timedelta(days=30))
    assert listed(client.get(reverse("casefiles_dossiers:overdue"))) == {late.pk}


def test_first_page_costs_the_same_queries_however_many_dossiers(client, world):
    login(client, "admin")
    url = reverse("casefiles_dossiers:overdue")
    Dossier.objects.update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    client.get(url)  # warm caches (content types, site)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    rng = random.Random(5)
    jilin = Scheme.objects.get(slug="jilin")
    for _ in range(30):
        make_dossier(jilin, "preliminary_review", rng)
    Dossier.objects.update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["object_list"]) == 25 and response.context["paginator"].count == 36
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_detail_shows_identity_and_journals_the_view(client, world):
    user = User.objects.get(username="jilin.hr-bureau")
    client.force_login(user)
    dossier = next(d for d in world if d.state.code == "final_approval")
    before = JournalEntry.objects.filter(action="casefiles.dossier.view", dossier=dossier, actor=user).count()
    response = client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert dossier.id_number in page and dossier.applicant_name in page
    # the route the claim allows (第六条第（三）项); 一事一议 (第四条第（二）项) is not offered to a 4.1 claim
    assert [t["transition"].code for t in response.context["transitions"]] == ["approve_final", "return", "reject"]
    assert [o.transition for o in response.context["opinions"]] == ["submit", "recommend", "approve_preliminary"]
    assert JournalEntry.objects.filter(action="casefiles.dossier.view", dossier=dossier, actor=user).count() == before + 1


def test_staff_of_another_department_get_404(client, world):
    dossier = next(d for d in world if d.state.code == "final_approval")
    login(client, "baiyun.hr-bureau")
    assert client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk])).status_code == 404
    response = client.post(
        reverse("casefiles_dossiers:transition", args=[dossier.pk]), {"transition": "approve_final", "expected_state": "final_approval"}
    )
    assert response.status_code == 404
    # The provincial HR department does not see a dossier still with the employer.
    client.logout()
    login(client, "jilin.hr-bureau")
    early = next(d for d in world if d.state.code == "employer_recommendation")
    assert client.get(reverse("casefiles_dossiers:detail", args=[early.pk])).status_code == 404
    dossier.refresh_from_db()
    assert dossier.state.code == "final_approval"


def test_approve_button_moves_the_state(client, world):
    login(client, "jilin.hr-bureau")
    dossier = next(d for d in world if d.state.code == "final_approval")
    response = client.post(
        reverse("casefiles_dossiers:transition", args=[dossier.pk]),
        {"transition": "approve_final", "expected_state": "final_approval", "comment": "符合条件，同意。"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("casefiles_dossiers:detail", args=[dossier.pk])
    dossier.refresh_from_db()
    assert dossier.state.code == "card_production"
    opinion = dossier.opinions.get(transition="approve_final")
    assert opinion.comment == "符合条件，同意。" and opinion.department.code == "hr-bureau"


def test_stale_expected_state_gives_the_conflict_message(client, world):
    login(client, "jilin.hr-bureau")
    dossier = next(d for d in world if d.state.code == "final_approval")
    url = reverse("casefiles_dossiers:transition", args=[dossier.pk])
    assert client.post(url, {"transition": "approve_final", "expected_state": "final_approval"}).status_code == 302
    again = client.post(url, {"transition": "approve_final", "expected_state": "final_approval"})
    assert again.status_code == 409
    page = again.content.decode()
    assert zh("Someone else has already handled this dossier; nothing was changed. %(detail)s").split("%")[0] in page
    dossier.refresh_from_db()
    assert dossier.state.code == "card_production"
    assert dossier.opinions.filter(transition="approve_final").count() == 1


def test_a_viewer_who_may_not_act_gets_403_and_a_missing_reason_400(client, world):
    dossier = next(d for d in world if d.state.code == "final_approval")
    url = reverse("casefiles_dossiers:transition", args=[dossier.pk])
    login(client, f"jilin.{dossier.authority.code}")  # saw it at 初审, may still view, no longer acts
    assert client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk])).status_code == 200
    assert client.post(url, {"transition": "approve_final", "expected_state": "final_approval"}).status_code == 403
    client.logout()
    login(client, "jilin.hr-bureau")
    response = client.post(url, {"transition": "reject", "expected_state": "final_approval", "comment": ""})
    assert response.status_code == 400
    assert zh("Please give a reason or say what is missing.") in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.state.code == "final_approval"


def test_case_by_case_decision_records_minutes(client, world):
    login(client, "jilin.hr-bureau")
    dossier = next(d for d in world if d.state.code == "final_approval" and d.criteria.filter(ref="4.2").exists())
    client.post(
        reverse("casefiles_dossiers:transition", args=[dossier.pk]),
        {"transition": "refer_case_by_case", "expected_state": "final_approval"},
    )
    assert Dossier.objects.get(pk=dossier.pk).state.code == "case_by_case"
    client.logout()
    login(client, "jilin.provincial-leadership")
    detail = client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk]))
    assert all(t["minutes"] for t in detail.context["transitions"])
    assert 'name="minutes"' in detail.content.decode()
    response = client.post(
        reverse("casefiles_dossiers:transition", args=[dossier.pk]),
        {"transition": "decide_case_by_case_approve", "expected_state": "case_by_case", "minutes": "2026年第3次会议纪要"},
    )
    assert response.status_code == 302
    assert dossier.opinions.get(transition="decide_case_by_case_approve").minutes == "2026年第3次会议纪要"


def test_excel_export_contains_only_visible_dossiers_with_masked_ids(client, world):
    user = User.objects.get(username="jilin.hr-bureau")
    client.force_login(user)
    Dossier.objects.update(due_date=timezone.localdate() - datetime.timedelta(days=3))
    response = client.get(reverse("casefiles_dossiers:overdue"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    references = {row[0] for row in body}
    visible_open = dossiers_visible_to(user).exclude(state__kind="end")
    assert references == set(visible_open.values_list("reference", flat=True))
    assert references and len(references) < len(world)
    id_column, phone_column = header.index(zh("ID number")), header.index(zh("Phone"))
    for row in body:
        dossier = Dossier.objects.get(reference=row[0])
        assert row[id_column] == mask_id_number(dossier.id_number) and "*" in row[id_column]
        assert dossier.phone not in row[phone_column] and "****" in row[phone_column]
    assert JournalEntry.objects.filter(action="casefiles.dossier.export", actor=user).exists()
    todo = client.get(reverse("casefiles_dossiers:todo"), {"export": "xlsx"})
    todo_refs = {r[0] for r in list(load_workbook(io.BytesIO(todo.content)).active.iter_rows(values_only=True))[1:]}
    assert todo_refs == set(dossiers_actionable_by(user).values_list("reference", flat=True))


def test_applicants_and_employers_do_not_get_the_worklists(client, world):
    login(client, "jilin.applicant")
    assert client.get(reverse("casefiles_dossiers:todo")).status_code == 302  # no admin access: to the login page
    client.logout()
    employer = User.objects.get(username="jilin.employer")
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    employer.user_permissions.add(access)
    client.force_login(employer)
    assert client.get(reverse("casefiles_dossiers:todo")).status_code == 404
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("casefiles_dossiers:todo") not in home
    client.logout()
    login(client, "jilin.hr-bureau")
    assert reverse("casefiles_dossiers:todo") in client.get(reverse("wagtailadmin_home")).content.decode()

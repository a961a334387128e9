"""Adversarial permission matrix (issue #10): every role × every endpoint that shows or changes a dossier, card,
attachment, journal, PDF, search result or export — portal pages, Wagtail admin views, the API and file URLs.

Roles: anonymous; applicant (owner) and other applicants (of other schemes, and one with no dossier at all);
employer contact (own employer), the other employer of the same jurisdiction and employers of other schemes;
every department user of every scheme (a department of another scheme is in another jurisdiction); an official
(Wagtail Editors + Moderators, staff, no department); the administrator.

Expected access comes from the scheme data files and the organisation rows (tests/security/matrix_expectations.py),
never from the permission code under test. Changes are POSTed with a CSRF token as a browser would, each inside a
savepoint that is rolled back, and judged by what changed in the database. A cell "leaks" when something is shown
or changed that the expectation denies; a 200 admin page counts as shown. For users who may not see an object,
an existing id must answer exactly like a non-existent one (404), so that guessing ids reveals nothing.

Per user, the dossier sample is every dossier of the user's own scheme(s) plus one of every other scheme (all
dossiers with HUICAI_MATRIX_FULL=1). Change endpoints of one kind are rotated over the sampled pairs (all of them
with HUICAI_MATRIX_FULL=1). Summary: $HUICAI_ARTIFACTS/permission-matrix.json.

Admin object sweep (issue #15 item 2): every Wagtail admin URL pattern that takes an object id is walked from the
URL resolver (every registered viewset); a pattern whose view's model has no audience in matrix_expectations and is
not listed in matrix_routes fails the run. Each is requested by every user against one object of every scheme
(GET; POST for edit and delete), one page per family of records, scheme and user in turn.
"""

import io
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from . import matrix_opinions, matrix_routes
from .matrix_expectations import World, scheme_data, state_spec, transitions_from

FULL = os.environ.get("HUICAI_MATRIX_FULL") == "1"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201a5f5f0a40000000049454e44ae426082"
)
MISSING = 10_000_000  # an id no row has
LISTING = "listing"  # a page open to every admin user, judged by the records it shows


def test_every_case_file_route_is_classified():
    """A new URL pattern of our apps (or one that looks like case-file data) must be put in the matrix or exempted."""
    from django.contrib import admin

    missing = matrix_routes.unclassified()
    assert missing == [], (
        "URL patterns not classified in tests/security/matrix_routes.py (add them to TESTED and exercise them in "
        f"test_permission_matrix_full.py, or to EXEMPT with a reason): {missing}"
    )
    routes = {route for route, _pattern in matrix_routes.walk()}
    stale = sorted(r for r in (*matrix_routes.TESTED, *matrix_routes.EXEMPT) if r not in routes)
    assert stale == [], f"classified routes that no longer exist: {stale}"
    # The Django admin is exempted as a whole: it must stay free of case-file models.
    ours = sorted(f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry
                  if m._meta.app_label in ("casefiles", "programmes", "search", "policypages"))
    assert ours == [], f"case-file models registered in the Django admin (add them to the matrix): {ours}"


UNCLASSIFIED_ADMIN_OBJECTS = (
    "admin URLs with an object id that no one classified (give their view's model an audience in "
    "tests/security/matrix_expectations.py, or list them in tests/security/matrix_routes.py): {}"
)


def test_every_admin_object_url_is_classified():
    """Every admin URL that takes an object id (walked from the resolver, from every registered viewset) is swept
    by the admin object sweep, covered by cells of its own, or Wagtail's own and free of our models."""
    from .matrix_expectations import CARD_RECORDS, FEEDBACK, OFFICE_RECORDS, RULE_MODELS

    classified, unclassified = matrix_routes.admin_object_classification(RULE_MODELS | CARD_RECORDS | OFFICE_RECORDS | FEEDBACK)
    assert unclassified == [], UNCLASSIFIED_ADMIN_OBJECTS.format(unclassified)
    assert "admin/programmes_commissioners/edit/<int:pk>/" in classified and len(classified) > 100
    stale = sorted(r for r in matrix_routes.ADMIN_OBJECT_COVERED if classified.get(r) != "covered")
    assert stale == [], f"covered admin object routes that no longer exist: {stale}"


# ----------------------------------------------------------------------------------------------------- setup


def _extra_people():
    """An official (Wagtail editor/moderator, no department), an applicant without dossiers and the contact of the
    second employer of 通化 (same jurisdiction, not the dossiers' employer)."""
    from casefiles.models import Department, DepartmentKind, Membership, Role

    User = get_user_model()
    official = User.objects.create_user("matrix.official", email="official@example.org", is_staff=True)
    official.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    User.objects.create_user("matrix.stranger", email="stranger@example.org")
    other = Department.objects.filter(jurisdiction__code="tonghua", kind=DepartmentKind.EMPLOYER).order_by("pk")[1]
    contact = User.objects.create_user("matrix.employer2", email="employer2@example.org")
    Membership.objects.create(user=contact, department=other, role=Role.EMPLOYER_CONTACT)
    contact.groups.add(other.group)
    assert Group.objects.filter(name__in=["Editors", "Moderators"]).count() == 2


def _card_objects():
    """What the demo lacks: a production batch with an issued card (白云), a public notice (楚雄), a pending
    revocation request (白云's first card, by its employer) and an exit candidate (吉林)."""
    from casefiles.demo_dossiers import drive_to, make_dossier
    from casefiles.models import Card, Dossier, ProductionItem, RevocationReason, Scheme
    from casefiles.services import cards as card_services
    from casefiles.services import notices as notice_services
    from casefiles.testing import fire

    User = get_user_model()
    baiyun = Scheme.objects.get(slug="baiyun")
    first_card = Card.objects.filter(scheme=baiyun).order_by("pk").first()
    dossier = drive_to(make_dossier(baiyun, User.objects.get(username="baiyun.applicant"), random.Random(5)), "card_production")
    batch = card_services.production_batch_create(scheme=baiyun, user=User.objects.get(username="baiyun.bank"),
                                                  dossiers=[dossier])
    card_services.card_mark_produced(item=ProductionItem.objects.get(batch=batch), user=User.objects.get(username="baiyun.bank"))
    dossier = Dossier.objects.get(pk=dossier.pk)
    fire(dossier, dossier.state.outgoing.get(code="issue"))
    assert ProductionItem.objects.get(batch=batch).card_id
    chuxiong = Scheme.objects.get(slug="chuxiong")
    candidate = Dossier.objects.filter(scheme=chuxiong, state__code="public_notice").first()
    notice_services.public_notice_open(scheme=chuxiong, user=User.objects.get(username="chuxiong.talent-office"),
                                       dossiers=[candidate], how_to_object="书面向州委人才办反映。")
    reason = RevocationReason.objects.get(scheme=baiyun, ref="6.3")
    card_services.card_request_revocation(card=first_card, reason=reason, user=User.objects.get(username="baiyun.employer"),
                                          comment="持卡人已办理退休手续。")
    # an exit candidate as the automatic rules would list one (吉林 第十一条第（六）项), for the admin's exit queue
    from django.utils import timezone

    from casefiles.models import ExitCandidate

    jilin_card = Card.objects.filter(scheme__slug="jilin").order_by("pk").first()
    ExitCandidate.objects.create(card=jilin_card, reason=RevocationReason.objects.get(scheme=jilin_card.scheme, ref="11.6"),
                                 detected_on=timezone.localdate())


def _search_backend_empty_then_indexed(settings):
    """The embedded backend (rolled back with the test on SQLite; its own file elsewhere), all dossiers indexed."""
    from casefiles.models import Dossier
    from search import service

    settings.ELASTICSEARCH_URL = ""
    path = Path(settings.PRIVATE_ROOT) / f"matrix-search-{os.getpid()}.sqlite3"
    settings.HUICAI_SEARCH_SQLITE_PATH = path
    service.reset_backends()
    service.clear_cool_off()
    backend = service.get_backend()
    backend.ensure()
    backend.drop()
    backend.ensure()
    service.index_dossiers(list(Dossier.objects.values_list("pk", flat=True)), refresh=True)

    def cleanup():
        service.reset_backends()
        Path(path).unlink(missing_ok=True)  # only used when the database is not SQLite

    return cleanup


# ----------------------------------------------------------------------------------------------------- the matrix


def show_cells(cells):
    """The first 40 cells, one JSON line each: what a failing matrix names."""
    return "\n".join(json.dumps(c, ensure_ascii=False) for c in cells[:40])


class Matrix:
    def __init__(self, world, users):
        self.world = world
        self.users = users
        self.cells = Counter()  # route -> cells
        self.by_role = Counter()
        self.positives = Counter()  # route -> cells where access was expected and given
        self.leaks, self.wrong_denials, self.reveals, self.refusals = [], [], [], []
        self.missing_status = {}  # (route, has admin access) -> status for a non-existent id
        self.denial_status = defaultdict(Counter)  # route -> status counts of denied cells
        self._official = {}

    def role(self, user, slug=None, owner_id=None, employer_id=None):
        if user is None:
            return "anonymous"
        if user.is_superuser:
            return "admin"
        departments = [self.world.department[d] for d in self.world.departments_of.get(user.pk, ())]
        if not departments:
            if user.pk not in self._official:
                self._official[user.pk] = user.groups.filter(name__in=["Editors", "Moderators"]).exists()
            if self._official[user.pk]:
                return "official"
            return "applicant" if user.pk == owner_id else "other applicant"
        if all(d.kind == "employer" for d in departments):
            return "employer" if any(d.pk == employer_id for d in departments) else "other employer"
        if slug is None:
            return "department"
        jurisdiction = self.world.scheme_jurisdiction.get(slug)
        own = [d for d in departments if d.jurisdiction_id == jurisdiction and d.kind != "employer"]
        return f"department {own[0].code}" if own else "department of another jurisdiction"

    def record(self, route, user, subject, *, expected, seen, status, role, action="read", detail=""):
        self.cells[route] += 1
        self.by_role[role] += 1
        name = user.username if user else "anonymous"
        cell = {"route": route, "user": name, "role": role, "subject": subject, "action": action, "status": status}
        if detail:
            cell["detail"] = detail
        if seen and not expected:
            self.leaks.append(cell)
        elif expected and not seen:
            (self.refusals if status in (400, 409) else self.wrong_denials).append(cell)
        elif expected and seen:
            self.positives[route] += 1
        else:
            self.denial_status[route][status] += 1

    def must_be_404(self, route, user, subject, status, role, admin_access):
        """A change aimed at an object the user may not see: 404 (or the login redirect every admin URL gives to
        users without admin access, whatever the id)."""
        if user is None:
            return
        want = 302 if route.startswith("admin/") and not admin_access else 404
        if status != want:
            self.reveals.append({"route": route, "user": user.username, "role": role, "subject": subject,
                                 "status": status, "status_for_missing_id": want})

    def check_hidden(self, route, user, subject, status, role, client, url_for_missing):
        """A user who may not see the object gets what a non-existent id gets: 404, or the login redirect that
        every admin URL gives to users without admin access whatever the id. The status of a non-existent id is
        probed once per route and kind of user."""
        if user is None:
            return
        admin_access = self.world.has_admin_access(user)
        key = (route, admin_access)
        if key not in self.missing_status and url_for_missing:
            self.missing_status[key] = client.get(url_for_missing).status_code
        missing = self.missing_status.get(key, 302 if route.startswith("admin/") and not admin_access else 404)
        if status != missing or missing not in (302, 404):
            self.reveals.append({"route": route, "user": user.username, "role": role, "subject": subject,
                                 "status": status, "status_for_missing_id": missing})

    def per_route(self):
        """Per route: its cells, those allowed as expected and the statuses of those denied as expected."""
        return {r: {"cells": self.cells[r], "allowed": self.positives[r],
                    "denial_statuses": dict(self.denial_status[r])} for r in sorted(self.cells)}

    def failed_cells(self):
        """The report's lists of failed cells (the first 500 of a kind, 200 refusals)."""
        return {
            "leak_cells": self.leaks[:500],
            "existence_revealed_cells": self.reveals[:500],
            "wrong_denial_cells": self.wrong_denials[:500],
            "refusal_cells": self.refusals[:200],
        }

    def report(self, report, path, per_route, *, heading=(), hidden=lambda key: False, refusals=False):
        """Writes `report` to `path` as JSON; prints its summary (after `heading`, without the cell lists and the
        keys `hidden` names) and a line per route of report[per_route]; then fails on leaks, on ids revealed and on
        wrong denials, and with `refusals` (where the expectations are exact) on entitled users refused with 400/409,
        each naming its first 40 cells."""
        Path(path).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        print(*heading, json.dumps({k: v for k, v in report.items() if not k.endswith("_cells") and not hidden(k)},
                                   ensure_ascii=False, default=str))
        for route, row in report[per_route].items():
            print(f"  {row['cells']:6d} cells {row['allowed']:5d} allowed  {route}  {row['denial_statuses']}")

        assert self.leaks == [], f"{len(self.leaks)} leaks:\n{show_cells(self.leaks)}"
        assert self.reveals == [], f"{len(self.reveals)} cells reveal that an id exists:\n{show_cells(self.reveals)}"
        assert self.wrong_denials == [], f"{len(self.wrong_denials)} wrong denials:\n{show_cells(self.wrong_denials)}"
        if refusals:
            assert self.refusals == [], f"{len(self.refusals)} refusals of entitled users:\n{show_cells(self.refusals)}"


def test_matrix_report_fails_naming_the_failed_cells(tmp_path, capsys):
    """Matrix.report, which both the full and the documents' matrix end with: silent on a clean matrix, and a leak,
    a wrong denial or (where asked) a refusal fails with its cells named. No database."""
    route = "cards/<int:pk>/"
    matrix = Matrix(world=None, users=[])
    matrix.record(route, None, "card 1", expected=False, seen=False, status=404, role="anonymous")

    def report(name, **kwargs):
        matrix.report({"users": 1, "per_route": matrix.per_route(), **matrix.failed_cells()}, tmp_path / name,
                      "per_route", heading=("test matrix:",), hidden=lambda key: key.startswith("per_"), **kwargs)

    report("clean.json", refusals=True)
    assert capsys.readouterr().out.splitlines() == [
        'test matrix: {"users": 1}', f"       1 cells     0 allowed  {route}  {{404: 1}}"]
    written = json.loads((tmp_path / "clean.json").read_text())
    assert written["per_route"] == {route: {"cells": 1, "allowed": 0, "denial_statuses": {"404": 1}}}
    assert written["leak_cells"] == []

    matrix.record(route, None, "card 2", expected=False, seen=True, status=200, role="anonymous")
    with pytest.raises(AssertionError, match=r"1 leaks:\n.*\"subject\": \"card 2\".*\"status\": 200"):
        report("leak.json")
    assert [c["subject"] for c in json.loads((tmp_path / "leak.json").read_text())["leak_cells"]] == ["card 2"]

    matrix.leaks.clear()
    matrix.record(route, None, "card 3", expected=True, seen=False, status=404, role="anonymous")
    with pytest.raises(AssertionError, match=r"1 wrong denials:\n.*card 3"):
        report("wrong.json")

    matrix.wrong_denials.clear()
    matrix.record(route, None, "card 4", expected=True, seen=False, status=409, role="anonymous")
    report("refusal.json")  # refusals fail only where the expectations are exact
    with pytest.raises(AssertionError, match=r"1 refusals of entitled users:\n.*card 4"):
        report("refusal.json", refusals=True)


class Browser:
    """A client per user that sends CSRF tokens like a browser (cookie + form field or header)."""

    def __init__(self, user):
        self.client = Client(enforce_csrf_checks=True)
        self.token = get_random_string(32)
        self.client.cookies[settings.CSRF_COOKIE_NAME] = self.token
        if user is not None:
            self.client.force_login(user)

    def get(self, url, data=None):
        return self.client.get(url, data)

    def post_form(self, url, data):
        return self.client.post(url, {**data, "csrfmiddlewaretoken": self.token})

    def post_api(self, url, data, multipart=False):
        if multipart:
            return self.client.post(url, data, HTTP_X_CSRFTOKEN=self.token)
        return self.client.post(url, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=self.token)


def _a_material(dossier):
    """A kind of document the dossier's scheme asks for (its materials list), as an applicant would pick it."""
    from casefiles.selectors_materials import material_kinds

    return material_kinds(dossier.scheme)[0][0]


def _in_savepoint(call, probe):
    """Run ``call`` (a request) in a savepoint, read ``probe`` before and after, roll everything back."""
    with transaction.atomic():
        before = probe()
        response = call()
        after = probe()
        transaction.set_rollback(True)
    return response, before != after


def _transition_status(route, response, dossier):
    """The status of a transition request, read as the API's: the portal answers a refusal (the dossier has moved
    on, or the step's guard does not hold — casefiles.views_portal.application_transition, StateConflict) with a
    redirect to the application, where the message says why, so that redirect is the API's 409. A denial is never a
    redirect there (TransitionDenied is a 403/404, SelfDealing a 403); the expectations here do not read guards, so a
    guard's refusal of an entitled user is a refusal, not a wrong denial."""
    if (route == "applications/<int:pk>/transition/" and response.status_code == 302
            and response["Location"] == reverse("portal_application_detail", args=[dossier.pk])):
        return 409
    return response.status_code


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _text(response):
    return _body(response).decode("utf-8", "replace")


def _xlsx_text(content):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v)


@pytest.mark.django_db
def test_permission_matrix_full_has_no_leaks(demo, artifacts_dir, settings, request):
    from casefiles.forms_portal import ApplicationForm
    from casefiles.models import (
        Attachment,
        Card,
        CardStatus,
        Dossier,
        ExitCandidate,
        ProductionBatch,
        PublicNotice,
        RevocationRequest,
    )
    from programmes.models import Meeting
    from search import service

    started, cpu_started = time.time(), time.process_time()
    _extra_people()
    _card_objects()
    matrix_opinions.ask_an_expert()
    request.addfinalizer(_search_backend_empty_then_indexed(settings))
    world = World()
    User = get_user_model()
    users = list(User.objects.order_by("username"))
    people = [None] + users
    dossiers = list(Dossier.objects.select_related("scheme", "state", "applicant", "employer", "authority").order_by("pk"))
    first_attachment = {}
    for attachment in Attachment.objects.order_by("pk"):
        first_attachment.setdefault(attachment.dossier_id, attachment)
    viewers = {d.pk: world.dossier_viewers(d) for d in dossiers}
    refs = {d.pk: d.reference for d in dossiers}
    matrix = Matrix(world, users)
    by_scheme = defaultdict(list)
    for d in dossiers:
        by_scheme[d.scheme.slug].append(d)
    assert len(dossiers) >= 50 and len(by_scheme) == 5
    jurisdiction_scheme = {j: s for s, j in world.scheme_jurisdiction.items()}

    def home_schemes(user):
        homes = {jurisdiction_scheme.get(world.department[d].jurisdiction_id)
                 for d in world.departments_of.get(user.pk, ()) if user}
        homes |= {d.scheme.slug for d in dossiers if user and d.applicant_id == user.pk}
        return homes - {None}

    def sample(index, user):
        if FULL or (user is not None and user.is_superuser):
            return dossiers
        homes = home_schemes(user) if user else set()
        chosen = []
        for slug, rows in sorted(by_scheme.items()):
            if slug in homes:
                chosen += rows
            else:
                chosen.append(rows[(index * 3) % len(rows)])
        return chosen

    # ------------------------------------------------------------------ dossiers: reads, changes, id guessing
    comment, minutes = "测试意见：材料已核对。", "会议纪要：经研究，同意。"
    for ui, user in enumerate(people):
        browser = Browser(user)
        admin_access = world.has_admin_access(user)
        case_staff = user is not None and world.is_case_staff(user.pk)
        for di, dossier in enumerate(sample(ui, user)):
            uid = user.pk if user else None
            may_view = uid in viewers[dossier.pk]
            role = matrix.role(user, dossier.scheme.slug, dossier.applicant_id, dossier.employer_id)
            subject = f"{dossier.reference} [{dossier.scheme.slug}:{dossier.state.code}]"
            attachment = first_attachment.get(dossier.pk)
            reads = [
                ("applications/<int:pk>/", f"/applications/{dossier.pk}/", may_view, f"/applications/{MISSING}/"),
                ("applications/<int:pk>/edit/", f"/applications/{dossier.pk}/edit/",
                 may_view and uid in world.dossier_editors(dossier), f"/applications/{MISSING}/edit/"),
                ("api/v1/dossiers/<int:pk>/journal/", f"/api/v1/dossiers/{dossier.pk}/journal/", may_view and case_staff,
                 f"/api/v1/dossiers/{MISSING}/journal/"),
                ("admin/dossiers/<int:pk>/", f"/admin/dossiers/{dossier.pk}/", may_view and admin_access,
                 f"/admin/dossiers/{MISSING}/"),
            ]
            if attachment is not None:
                reads += [
                    ("api/v1/attachments/<int:pk>/", f"/api/v1/attachments/{attachment.pk}/", may_view,
                     f"/api/v1/attachments/{MISSING}/"),
                    ("attachments/<int:pk>/download/", f"/attachments/{attachment.pk}/download/", may_view,
                     f"/attachments/{MISSING}/download/"),
                ]
            if not FULL:  # the API detail always, two more read endpoints in turn
                reads = [reads[(ui + di) % len(reads)], reads[(ui + di + 3) % len(reads)]]
            reads.insert(0, ("api/v1/dossiers/<int:pk>/", f"/api/v1/dossiers/{dossier.pk}/", may_view,
                             f"/api/v1/dossiers/{MISSING}/"))
            for route, url, expected, missing_url in reads:
                response = browser.get(url)
                body = _body(response)
                seen = response.status_code == 200
                if route.startswith("admin/") and response.status_code == 200 and not expected:
                    seen = True  # any admin 200 is a leak when denial is expected; say whether it names the dossier
                matrix.record(route, user, subject, expected=expected, seen=seen, status=response.status_code, role=role,
                              detail="names the dossier" if dossier.reference.encode() in body else "")
                if not may_view:
                    matrix.check_hidden(route, user, subject, response.status_code, role, browser, missing_url)

            # changes: one transition (rotated over the three endpoints) and one data change (upload or edit)
            outgoing = transitions_from(dossier.scheme.slug, dossier.state.code)
            transition = outgoing[(ui + di) % len(outgoing)] if outgoing else {"code": "withdraw", "from": [], "by": "applicant"}
            expected = uid in world.transition_actors(dossier, transition)
            payload = {"transition": transition["code"], "expected_state": dossier.state.code, "comment": comment,
                       "minutes": minutes, "confirm": "1"}  # the portal's confirmation page posts confirm=1
            endpoints = [
                ("api/v1/dossiers/<int:pk>/transitions/",
                 lambda d=dossier: browser.post_api(f"/api/v1/dossiers/{d.pk}/transitions/", payload), True),
                ("applications/<int:pk>/transition/",
                 lambda d=dossier: browser.post_form(f"/applications/{d.pk}/transition/", payload), True),
                ("admin/dossiers/<int:pk>/transition/",
                 lambda d=dossier: browser.post_form(f"/admin/dossiers/{d.pk}/transition/", payload), admin_access),
            ]
            chosen = endpoints if FULL else [endpoints[(ui + di) % 3]]
            for route, call, reachable in chosen:
                response, changed = _in_savepoint(call, lambda d=dossier: Dossier.objects.filter(pk=d.pk).values_list("state_id", flat=True).get())
                matrix.record(route, user, subject, expected=expected and reachable, seen=changed,
                              status=_transition_status(route, response, dossier), role=role,
                              action=f"transition {transition['code']}")
                if not may_view:
                    matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)

            may_edit = uid in world.dossier_editors(dossier)

            def upload_api(d=dossier):
                return browser.post_api(f"/api/v1/dossiers/{d.pk}/attachments/",
                                        {"file": SimpleUploadedFile("证明.png", PNG, "image/png"), "kind": _a_material(d)}, multipart=True)

            def upload_portal(d=dossier):
                return browser.post_form(f"/applications/{d.pk}/attachments/",
                                         {"file": SimpleUploadedFile("证明.png", PNG, "image/png"), "kind": _a_material(d)})

            def edit_portal(d=dossier):
                initial = ApplicationForm.initial_from_dossier(d)
                data = {k: ("" if v is None else v) for k, v in initial.items()}
                data["criteria"] = [str(c) for c in initial["criteria"]]
                for key, value in list(data.items()):
                    if hasattr(value, "isoformat"):
                        data[key] = value.isoformat()
                data["email"] = f"changed.{ui}.{di}@example.org"
                return browser.post_form(f"/applications/{d.pk}/edit/", data)

            changes = [
                ("api/v1/dossiers/<int:pk>/attachments/", upload_api,
                 lambda d=dossier: Attachment.objects.filter(dossier_id=d.pk).count()),
                ("applications/<int:pk>/attachments/", upload_portal,
                 lambda d=dossier: Attachment.objects.filter(dossier_id=d.pk).count()),
                ("applications/<int:pk>/edit/", edit_portal,
                 lambda d=dossier: Dossier.objects.filter(pk=d.pk).values_list("email", flat=True).get()),
            ]
            for route, call, probe in (changes if FULL else [changes[(ui + 2 * di) % 3]]):
                response, changed = _in_savepoint(call, probe)
                matrix.record(route, user, subject, expected=may_edit, seen=changed, status=response.status_code,
                              role=role, action="change")
                if not may_view:
                    matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)

        # ------------------------------------------------------------------ lists and search, once per user
        uid = user.pk if user else None
        visible = {pk for pk, who in viewers.items() if uid in who}
        role = matrix.role(user)
        if user is not None:
            listed, url = set(), "/api/v1/dossiers/?page_size=200"
            while url:
                body = browser.get(url).json()
                listed |= {row["id"] for row in body["results"]}
                url = body["next"]
            for d in dossiers:
                matrix.record("api/v1/dossiers/", user, d.reference, expected=d.pk in visible, seen=d.pk in listed,
                              status=200, role=matrix.role(user, d.scheme.slug, d.applicant_id, d.employer_id), action="list")
        pages = [("applications/", "/applications/", {d.pk for d in dossiers if d.applicant_id == uid} & visible),
                 ("employer/applications/", "/employer/applications/",
                  {d.pk for d in dossiers if uid in world.members_of(d.employer_id)} & visible),
                 ("inbox/", "/inbox/", visible)]
        if admin_access:
            actionable = {d.pk for d in dossiers
                          if state_spec(d.scheme.slug, d.state.code).get("actor")
                          and uid in world.principal_users(d, state_spec(d.scheme.slug, d.state.code)["actor"])}
            for i, (kind, prefix) in enumerate((("todo", ""), ("done", "done/"), ("overdue", "overdue/"))):
                allowed = actionable if kind == "todo" else visible
                pages += [(f"admin/dossiers/{prefix}", f"/admin/dossiers/{prefix}", allowed),
                          (f"admin/dossiers/{prefix}", f"/admin/dossiers/{prefix}?export=xlsx", allowed)]
                if FULL or ui % 3 == i:
                    pages.append((f"admin/dossiers/{prefix}results/", f"/admin/dossiers/{prefix}results/", allowed))
            pages += [("admin/programmes/meetings/", "/admin/programmes/meetings/", visible)]
            pages += [("admin/public-notices/", "/admin/public-notices/", visible),
                      ("admin/public-notices/objections/", "/admin/public-notices/objections/", visible)]
        for route, url, allowed in pages:
            response = browser.get(url)
            if response.status_code != 200:
                matrix.record(route, user, url, expected=False, seen=False, status=response.status_code, role=role,
                              action="list")
                continue
            export = "export=xlsx" in url
            text = _xlsx_text(_body(response)) if export else _text(response)
            # lists that must hold every allowed dossier: the to-do export and the portal lists (one page)
            complete = (export and route == "admin/dossiers/") or route in ("applications/", "employer/applications/")
            for d in dossiers:
                shown = d.reference in text
                if shown or (complete and d.pk in allowed):
                    matrix.record(route, user, d.reference, expected=d.pk in allowed, seen=shown, status=200,
                                  role=matrix.role(user, d.scheme.slug, d.applicant_id, d.employer_id),
                                  action="list export" if export else "list")
            matrix.cells[route] += 1
        if admin_access:
            # the staff search, queried with applicant names of the sampled dossiers (and an empty query, all pages)
            for d in sample(ui, user)[:: 1 if FULL else 3]:
                response = browser.get("/admin/search-dossiers/", {"q": d.applicant_name})
                text = _text(response) if response.status_code == 200 else ""
                matrix.record("admin/search-dossiers/", user, d.reference, expected=d.pk in visible,
                              seen=d.reference in text, status=response.status_code, role=role, action="search")
            found = {int(h.key) for h in service.search_staff(user, "", page_size=1000).hits if h.key.isdigit()}
            for d in dossiers:
                if d.pk in found or d.pk in visible:
                    matrix.record("admin/search-dossiers/", user, d.reference, expected=d.pk in visible,
                                  seen=d.pk in found, status=200, role=role, action="search (service, empty query)")
        if user is None or (user.username == "matrix.stranger"):
            for d in dossiers[:: 1 if FULL else 6]:
                for route, url, q in (("search/", "/search/", d.applicant_name), ("api/v1/search/", "/api/v1/search/", d.applicant_name),
                                      ("search/", "/search/", d.reference)):
                    response = browser.get(url, {"q": q})
                    text = _text(response)
                    other = d.applicant_name if q == d.reference else d.reference
                    matrix.record(route, user, d.reference, expected=False, seen=other in text, status=response.status_code,
                                  role=role, action="public search")

    # ------------------------------------------------------------------ cards
    cards = list(Card.objects.select_related("scheme", "dossier", "employer", "holder").order_by("pk"))
    assert len(cards) >= 6
    for ui, user in enumerate(people):
        browser = Browser(user)
        uid = user.pk if user else None
        admin_access = world.has_admin_access(user)
        if user is not None:
            listed, url = set(), "/api/v1/cards/?page_size=200"
            while url:
                body = browser.get(url).json()
                listed |= {row["id"] for row in body["results"]}
                url = body["next"]
        else:
            listed = set()
        own_page = browser.get("/cards/")
        own_text = _text(own_page) if own_page.status_code == 200 else ""
        registry = browser.get("/admin/cards/?export=csv") if admin_access else None
        registry_text = _text(registry) if registry is not None and registry.status_code == 200 else ""
        requests_page = browser.get("/admin/card_revocation_requests/") if admin_access else None
        requests_text = _text(requests_page) if requests_page is not None and requests_page.status_code == 200 else ""
        homes = home_schemes(user) if user else set()
        for ci, card in enumerate(cards):
            if not (FULL or (user is not None and user.is_superuser) or card.scheme.slug in homes or (ci + ui) % 3 == 0):
                continue
            role = matrix.role(user, card.scheme.slug, card.holder_id, card.employer_id)
            subject = f"{card.number} [{card.scheme.slug}:{card.status}]"
            may_view = uid in world.card_viewers(card)
            managers = world.card_managers(card)
            if user is not None:
                matrix.record("api/v1/cards/", user, subject, expected=may_view, seen=card.pk in listed, status=200,
                              role=role, action="list")
            matrix.record("cards/", user, subject, expected=uid == card.holder_id, seen=card.number in own_text,
                          status=own_page.status_code, role=role, action="list")
            if registry is not None:
                matrix.record("admin/cards/", user, subject, expected=uid in managers, seen=card.number in registry_text,
                              status=registry.status_code, role=role, action="list export")
                pending = RevocationRequest.objects.filter(card=card).exists()
                matrix.record("admin/card_revocation_requests/", user, subject, expected=uid in managers and pending,
                              seen=card.number in requests_text, status=requests_page.status_code, role=role, action="list")
            department_users = world.card_department_users(card)
            in_scope = uid in managers  # the registry's scope: the admin's card pages follow it
            reads = [
                ("api/v1/cards/<int:pk>/", f"/api/v1/cards/{card.pk}/", may_view, f"/api/v1/cards/{MISSING}/", not may_view),
                ("cards/<int:pk>/", f"/cards/{card.pk}/", uid == card.holder_id, f"/cards/{MISSING}/", not may_view),
                ("cards/<int:pk>/certificate.pdf", f"/cards/{card.pk}/certificate.pdf",
                 may_view and (uid == card.holder_id or uid in department_users),
                 f"/cards/{MISSING}/certificate.pdf", not may_view),
                ("admin/card-registry/<int:pk>/", f"/admin/card-registry/{card.pk}/", may_view and admin_access,
                 f"/admin/card-registry/{MISSING}/", not may_view),
                ("admin/cards/inspect/<int:pk>/", f"/admin/cards/inspect/{card.pk}/", in_scope and admin_access,
                 f"/admin/cards/inspect/{MISSING}/", not in_scope),
            ]  # (the card viewset's other object pages: the admin object sweep below)
            for route, url, expected, missing_url, hidden in reads:
                response = browser.get(url)
                body = _body(response)
                seen = response.status_code == 200
                matrix.record(route, user, subject, expected=expected, seen=seen, status=response.status_code, role=role,
                              detail="names the holder" if card.holder_name.encode() in body else "")
                if hidden:
                    matrix.check_hidden(route, user, subject, response.status_code, role, browser, missing_url)

            def card_probe(c=card):
                return (Card.objects.filter(pk=c.pk).values_list("status", flat=True).get(),
                        RevocationRequest.objects.filter(card_id=c.pk).count())

            live = card.status in (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.CONTACT_LIST)
            data = scheme_data(card.scheme.slug)
            loss = bool((data.get("validity") or {}).get("loss"))
            request_reason = next((r for r in data.get("revocation_reasons", [])
                                   if {"holder", "employer"} & set(r.get("requested_by") or [])), None)
            department_reason = next((r for r in data.get("revocation_reasons", [])
                                      if "department" in (r.get("requested_by") or [])), None)
            pending = RevocationRequest.objects.filter(card=card, status="proposed").exists()
            changes = [("api/v1/cards/<int:pk>/report-loss/",
                        lambda c=card: browser.post_api(f"/api/v1/cards/{c.pk}/report-loss/", {"comment": "遗失"}),
                        loss and card.status == CardStatus.ACTIVE and uid in ({card.holder_id} | department_users))]
            if request_reason:
                changes.append(("api/v1/cards/<int:pk>/revocation-requests/",
                                lambda c=card, r=request_reason: browser.post_api(
                                    f"/api/v1/cards/{c.pk}/revocation-requests/", {"reason": r["id"], "comment": "已调离。"}),
                                live and not pending and uid in world.card_requesters(card, request_reason)))
            if department_reason:
                from casefiles.models import RevocationReason

                reason_pk = RevocationReason.objects.get(scheme=card.scheme, ref=department_reason["id"]).pk
                # the card list's action through its confirmation page: the department ends the card, or, where the
                # scheme's exits need a second officer (cards.exit_approval), requests it (a request counts as a change)
                two_officers = bool((data.get("cards") or {}).get("exit_approval"))
                action = "recall" if department_reason.get("effect") == "recall" else "revoke"
                changes.append(("admin/card-registry/<int:pk>/<str:action>/",
                                lambda c=card, r=reason_pk, a=action: browser.post_form(
                                    f"/admin/card-registry/{c.pk}/{a}/", {"reason": r, "comment": "经核实。",
                                                                          "confirm": "on"}),
                                admin_access and card.status in (CardStatus.ACTIVE, CardStatus.SUSPENDED)
                                and uid in department_users and uid != card.holder_id
                                and not (two_officers and pending)))
            for route, call, expected in changes:
                response, changed = _in_savepoint(call, card_probe)
                matrix.record(route, user, subject, expected=expected, seen=changed, status=response.status_code,
                              role=role, action="change")
                if not may_view:
                    matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)

        # batches, notices, revocation requests, exit candidates, meetings: id-based reads
        objects = []  # (route, url, expected, url of a missing id, subject, scheme, hidden from this user)
        for batch in ProductionBatch.objects.select_related("scheme"):
            handlers = world.batch_handlers(batch.scheme.slug)
            hidden = uid not in handlers
            objects += [
                ("cards/batches/<int:pk>/certificates.pdf", f"/cards/batches/{batch.pk}/certificates.pdf", uid in handlers,
                 f"/cards/batches/{MISSING}/certificates.pdf", batch.number, batch.scheme.slug, hidden),
                ("cards/batches/<int:pk>/export.xlsx", f"/cards/batches/{batch.pk}/export.xlsx", uid in handlers,
                 f"/cards/batches/{MISSING}/export.xlsx", batch.number, batch.scheme.slug, hidden),
                ("admin/card_production_batches/inspect/<int:pk>/", f"/admin/card_production_batches/inspect/{batch.pk}/",
                 uid in handlers and admin_access, f"/admin/card_production_batches/inspect/{MISSING}/", batch.number,
                 batch.scheme.slug, hidden),
            ]
        for notice in PublicNotice.objects.select_related("scheme"):
            handlers = world.notice_handlers(notice.scheme.slug)
            objects.append(("cards/notices/<int:pk>/notice.pdf", f"/cards/notices/{notice.pk}/notice.pdf", uid in handlers,
                            f"/cards/notices/{MISSING}/notice.pdf", notice.number, notice.scheme.slug, uid not in handlers))
        for model, prefix in ((RevocationRequest, "card_revocation_requests"), (ExitCandidate, "card_exit_candidates")):
            for row in model.objects.select_related("card__scheme", "card__dossier"):
                scope = uid in world.card_managers(row.card)
                objects.append((f"admin/{prefix}/inspect/<int:pk>/", f"/admin/{prefix}/inspect/{row.pk}/",
                                scope and admin_access, f"/admin/{prefix}/inspect/{MISSING}/",
                                f"{prefix} {row.pk}", row.card.scheme.slug, not scope))
        for meeting in Meeting.objects.select_related("joint_meeting__scheme"):
            slug = meeting.joint_meeting.scheme.slug
            office = world.programme_office(slug)
            objects.append(("admin/programmes/meetings/<int:pk>/", f"/admin/programmes/meetings/{meeting.pk}/",
                            uid in office and admin_access, f"/admin/programmes/meetings/{MISSING}/", meeting.title, slug,
                            uid not in office))
            objects.append(("admin/programmes/meetings/<int:pk>/minutes.pdf",
                            f"/admin/programmes/meetings/{meeting.pk}/minutes.pdf", uid in office and admin_access and
                            bool(meeting.minutes_pdf), f"/admin/programmes/meetings/{MISSING}/minutes.pdf", meeting.title,
                            slug, uid not in office))
        for route, url, expected, missing_url, subject, slug, hidden in objects:
            response = browser.get(url)
            role = matrix.role(user, slug)
            seen = response.status_code == 200
            matrix.record(route, user, subject, expected=expected, seen=seen, status=response.status_code, role=role,
                          action="download" if url.endswith((".pdf", ".xlsx")) else "read")
            if response.status_code == 200 and "meetings/" in url and not url.endswith(".pdf"):
                text = _text(response)
                for d in dossiers:
                    if d.reference in text and uid not in viewers[d.pk]:
                        matrix.record(route, user, d.reference, expected=False, seen=True, status=200, role=role,
                                      action="dossier named on the meeting page")
            if hidden:
                matrix.check_hidden(route, user, subject, response.status_code, role, browser, missing_url)

        # whole-scheme exports and admin pages that list card records
        exports = []
        if admin_access:
            office_any = any(uid in world.programme_office(s) for s in by_scheme)
            exports += [
                ("admin/programmes/statistics/", "/admin/programmes/statistics/?export=xlsx", bool(office_any)),
                ("admin/programmes/feedback/report/", "/admin/programmes/feedback/report/?export=xlsx",
                 bool(world.is_case_staff(uid))),
                ("admin/cards/results/", "/admin/cards/results/", LISTING),
                ("admin/cards/new/", "/admin/cards/new/", False),
                ("admin/card_revocation_requests/results/", "/admin/card_revocation_requests/results/", LISTING),
                ("admin/card_revocation_requests/new/", "/admin/card_revocation_requests/new/", False),
                ("admin/card_exit_candidates/", "/admin/card_exit_candidates/", LISTING),
                ("admin/card_exit_candidates/results/", "/admin/card_exit_candidates/results/", LISTING),
                ("admin/card_exit_candidates/new/", "/admin/card_exit_candidates/new/", False),
                ("admin/card_production_batches/", "/admin/card_production_batches/", LISTING),
                ("admin/card_production_batches/results/", "/admin/card_production_batches/results/", LISTING),
                ("admin/card_production_batches/new/", "/admin/card_production_batches/new/", False),
            ]
        for route, url, expected in exports:
            response = browser.get(url)
            role = matrix.role(user)
            if expected is LISTING:  # a listing open to admin users: judged by the card numbers it shows
                text = _text(response) if response.status_code == 200 else ""
                for card in cards:
                    if card.number in text or card.holder_name in text:
                        matrix.record(route, user, card.number, expected=uid in world.card_managers(card), seen=True,
                                      status=200, role=role, action="list")
                for batch in ProductionBatch.objects.select_related("scheme"):
                    if batch.number in text:
                        matrix.record(route, user, batch.number, expected=uid in world.batch_handlers(batch.scheme.slug),
                                      seen=True, status=200, role=role, action="list")
                matrix.cells[route] += 1
                continue
            matrix.record(route, user, url, expected=expected, seen=response.status_code == 200, status=response.status_code,
                          role=role, action="export" if "export" in url else "read")

        # public verification: masked data only; a guessed token finds nothing
        if user is None or user.username == "matrix.stranger":
            from casefiles.pdf import verification_token

            for card in cards:
                token = verification_token(card)
                for route, url in (("verify/<str:token>/", f"/verify/{token}/"), ("api/v1/verify/<str:token>/", f"/api/v1/verify/{token}/")):
                    response = browser.get(url)
                    text = _text(response)
                    exposed = card.holder_name in text or card.dossier.id_number in text or card.dossier.phone in text
                    matrix.record(route, user, card.number, expected=False, seen=exposed, status=response.status_code,
                                  role=matrix.role(user), action="public verification", detail="full name or numbers shown")
                    assert response.status_code == 200, (url, response.status_code)
                    guessed = browser.get(url.replace(token, token[:-3] + ("abc" if not token.endswith("abc") else "xyz")))
                    matrix.record(route, user, "guessed token", expected=False, seen=guessed.status_code != 404,
                                  status=guessed.status_code, role=matrix.role(user), action="guess")

    # ------------------------------------------------------------------ a change without the CSRF token is refused
    for dossier in [d for d in dossiers if state_spec(d.scheme.slug, d.state.code)["kind"] == "start"]:
        browser = Browser(dossier.applicant)
        payload = {"transition": "submit", "expected_state": dossier.state.code}
        for route, call in (
            ("applications/<int:pk>/transition/", lambda d=dossier: browser.client.post(f"/applications/{d.pk}/transition/", payload)),
            ("api/v1/dossiers/<int:pk>/transitions/", lambda d=dossier: browser.client.post(
                f"/api/v1/dossiers/{d.pk}/transitions/", json.dumps(payload), content_type="application/json")),
        ):
            response, changed = _in_savepoint(call, lambda d=dossier: Dossier.objects.filter(pk=d.pk).values_list("state_id", flat=True).get())
            matrix.record(route, dossier.applicant, dossier.reference, expected=False, seen=changed, status=response.status_code,
                          role="applicant", action="transition without CSRF token")
            assert response.status_code == 403, (route, response.status_code)

    # ------------------------------------------------------------------ every admin URL with an object id
    admin_started = time.time()
    admin_object_cells = _admin_object_sweep(matrix, world, people)
    # ------------------------------------------------------------------ requests for opinions: departments asked, experts
    opinion_cells = matrix_opinions.sweep(matrix, world, people, dossiers, Browser, _in_savepoint, MISSING, full=FULL)
    admin_object_seconds = round(time.time() - admin_started, 1)

    # ------------------------------------------------------------------ files never reachable through a public URL
    public_file_cells = _public_file_urls(matrix, users)

    # ------------------------------------------------------------------ summary
    untested = sorted(r for r in matrix_routes.TESTED if not matrix.cells[r] and r not in matrix_routes.OWN_MATRIX)
    vacuous = sorted(r for r in (
        "api/v1/dossiers/<int:pk>/", "applications/<int:pk>/", "admin/dossiers/<int:pk>/", "api/v1/dossiers/<int:pk>/journal/",
        "api/v1/attachments/<int:pk>/", "attachments/<int:pk>/download/", "applications/<int:pk>/edit/",
        "api/v1/dossiers/<int:pk>/transitions/", "applications/<int:pk>/transition/", "admin/dossiers/<int:pk>/transition/",
        "api/v1/dossiers/<int:pk>/attachments/", "applications/<int:pk>/attachments/", "api/v1/cards/<int:pk>/",
        "cards/<int:pk>/", "cards/<int:pk>/certificate.pdf", "admin/card-registry/<int:pk>/", "admin/cards/inspect/<int:pk>/",
        "cards/batches/<int:pk>/certificates.pdf", "cards/batches/<int:pk>/export.xlsx", "cards/notices/<int:pk>/notice.pdf",
        "admin/programmes/meetings/<int:pk>/", "api/v1/cards/<int:pk>/report-loss/", "api/v1/cards/<int:pk>/revocation-requests/",
        "admin/search-dossiers/", "api/v1/dossiers/", "applications/", "employer/applications/",
    ) if not matrix.positives[r])
    report = {
        "cells": sum(matrix.cells.values()),
        "leaks": len(matrix.leaks),
        "existence_revealed": len(matrix.reveals),
        "wrong_denials": len(matrix.wrong_denials),
        "business_rule_refusals_of_entitled_users": len(matrix.refusals),
        "public_file_url_cells": public_file_cells,
        "admin_object_cells": admin_object_cells,
        "opinion_request_cells": opinion_cells,
        "admin_object_wall_seconds": admin_object_seconds,
        "users": len(people),
        "dossiers": len(dossiers),
        "cards": len(cards),
        "full": FULL,
        "wall_seconds": round(time.time() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "load_average": os.getloadavg(),
        "per_endpoint": matrix.per_route(),
        "per_role": dict(sorted(matrix.by_role.items())),
        "untested_routes": untested,
        "routes_without_a_positive_cell": vacuous,
        **matrix.failed_cells(),
    }
    matrix.report(report, Path(artifacts_dir) / "permission-matrix.json", "per_endpoint",
                  hidden=lambda key: key == "per_endpoint")
    assert untested == [], f"routes classified as tested without a cell: {untested}"
    assert vacuous == [], f"routes where no one was ever allowed (the matrix would pass vacuously): {vacuous}"


def _public_file_urls(matrix, users):
    """Attachments and generated PDFs live in private storage: no URL maps to them, guessed paths are 404."""
    from casefiles.models import Attachment, PublicNotice
    from programmes.models import Meeting

    private = Path(settings.PRIVATE_ROOT).resolve()
    for public_root in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        if public_root:
            assert not private.is_relative_to(Path(public_root).resolve()), (private, public_root)
    files = [a.file for a in Attachment.objects.all()]
    files += [n.pdf for n in PublicNotice.objects.exclude(pdf="")]
    files += [m.minutes_pdf for m in Meeting.objects.exclude(minutes_pdf="")]
    assert files
    admin = next(u for u in users if u.is_superuser)
    cells = 0
    for who in (None, admin):
        browser = Browser(who)
        for field in files[:: 1 if FULL else 3]:
            name = field.name
            assert Path(field.path).resolve().is_relative_to(private), field.path
            try:
                storage_url = field.url  # private storage has no URL of its own (Django falls back to MEDIA_URL)
            except ValueError:
                storage_url = f"{settings.MEDIA_URL}{name}"
            for url in (storage_url, f"{settings.MEDIA_URL}{name}", f"/private/{name}", f"/{name}", f"/var/private/{name}",
                        f"/documents/{random.Random(name).randint(1, 50)}/{Path(name).name}"):
                response = browser.get(url)
                cells += 1
                matrix.record("public file URL", who, name, expected=False, seen=response.status_code == 200,
                              status=response.status_code, role="admin" if who else "anonymous", action="download")
                assert response.status_code == 404, (url, response.status_code)
    return cells


# ----------------------------------------------------------------------------------------------------- admin objects


def _form_data(obj):
    """The object's own values as its admin form would post them, with one text field changed."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or not field.editable or field.get_internal_type() in ("FileField", "ImageField"):
            continue
        value = getattr(obj, field.attname)
        if value is None:
            data[field.name] = ""
        elif isinstance(value, bool):
            if value:
                data[field.name] = "on"
        elif isinstance(value, (dict, list)):
            data[field.name] = json.dumps(value, ensure_ascii=False)
        elif hasattr(value, "isoformat"):
            data[field.name] = value.isoformat()
        else:
            data[field.name] = str(value)
    for field in obj._meta.many_to_many:
        data[field.name] = [str(pk) for pk in getattr(obj, field.name).values_list("pk", flat=True)]
    for name in ("name", "title", "text", "card_name", "decision_comment", "holder_name"):
        if isinstance(data.get(name), str):
            data[name] += "（矩阵）"
            break
    return data


def _commissioner_in_every_scheme():
    """The demo names commissioners for 聊城 only: one more per scheme, each with a private phone, so that every
    programme office has one of its own and others' to be kept from."""
    from casefiles.models import DepartmentKind, Scheme
    from programmes.models import ServiceCommissioner
    from programmes.services import commissioner_save

    for i, scheme in enumerate(Scheme.objects.exclude(commissioners__isnull=False).order_by("slug")):
        unit = scheme.departments.exclude(kind=DepartmentKind.EMPLOYER).order_by("code").first()
        commissioner_save(commissioner=ServiceCommissioner(scheme=scheme, name=f"矩阵专员{i}", unit=unit,
                                                           office_phone="0635-8000000", personal_phone=f"1390000000{i}"),
                          user=None)


def _admin_object_sweep(matrix, world, people):
    """Every admin URL with an object id (issue #15 item 2), walked from the URL resolver: each role × one object of
    every scheme. GET every page; POST the delete and edit forms (in a savepoint), judged by what changed. A user
    who may not see the object must get exactly what a missing id gets. Per user, per family of records (scheme
    rules, card records, programme office records, feedback) and per scheme, one page in turn (all of them for
    the administrator and with HUICAI_MATRIX_FULL=1). Returns the number of cells."""
    from .matrix_expectations import (
        CARD_RECORDS,
        FEEDBACK,
        OFFICE_RECORDS,
        RULE_MODELS,
        VIEW_ACTION,
        admin_object_audience,
        family,
        slug_path,
    )

    _commissioner_in_every_scheme()
    known = RULE_MODELS | CARD_RECORDS | OFFICE_RECORDS | FEEDBACK
    classified, unclassified = matrix_routes.admin_object_classification(known)
    routes, models = [], {}  # (route, url name, model label, action); label -> model
    for route, pattern, model in matrix_routes.admin_object_routes():
        if classified.get(route) == "swept":
            assert len(matrix_routes.OBJECT_ARGUMENT.findall(route)) == 1, route
            routes.append((route, pattern.name, model._meta.label_lower, VIEW_ACTION.get(pattern.name, "view")))
            models[model._meta.label_lower] = model
    samples = defaultdict(list)  # label -> [(object, scheme slug)], the first object of every scheme
    for label, model in sorted(models.items()):
        first = {}
        for pk, slug in model._default_manager.order_by("pk").values_list("pk", slug_path(label)):
            first.setdefault(slug, pk)
        rows = model._default_manager.in_bulk(list(first.values()))
        samples[label] = [(rows[pk], slug) for slug, pk in sorted(first.items())]
        assert samples[label], f"no {label} in the matrix data: its admin pages would go untested"
    by_family = defaultdict(list)
    for entry in routes:
        by_family[family(entry[2])].append(entry)
    slugs = sorted({slug for rows in samples.values() for _obj, slug in rows})
    cells_before = sum(matrix.cells.values())

    def url_of(route, pk):
        return "/" + matrix_routes.OBJECT_ARGUMENT.sub(str(pk), route, count=1)

    missing_status = {}  # (route, method, admin access) -> status for a missing id

    def hidden(route, user, subject, status, role, browser, method, data=None):
        """The user gets what a missing id gets: 404, or the login redirect every admin URL gives to users without
        admin access (a non-existent id is asked once per route, method and kind of user)."""
        if user is None:
            return
        key = (route, method, world.has_admin_access(user))
        if key not in missing_status:
            url = url_of(route, MISSING)
            missing_status[key] = (browser.get(url) if method == "GET" else browser.post_form(url, data)).status_code
        if status != missing_status[key] or status not in (302, 404):
            matrix.reveals.append({"route": route, "user": user.username, "role": role, "subject": subject,
                                   "method": method, "status": status, "status_for_missing_id": missing_status[key]})

    for ui, user in enumerate(people):
        browser = Browser(user)
        admin_access = world.has_admin_access(user)
        everything = FULL or (user is not None and user.is_superuser)
        chosen = []  # (route, url name, label, action, object, slug)
        for fi, (_name, entries) in enumerate(sorted(by_family.items())):
            for si, slug in enumerate(slugs if admin_access else slugs[ui % len(slugs):][:1]):
                candidates = [(*e, obj, s) for e in entries for obj, s in samples[e[2]] if s == slug]
                if candidates:
                    chosen += candidates if everything else [candidates[(ui + fi + si) % len(candidates)]]
        for route, name, label, action, obj, slug in chosen:
            url = url_of(route, obj.pk)
            available = not route.endswith("minutes.pdf") or bool(obj.minutes_pdf)
            may_read = admin_access and admin_object_audience(world, user, label, obj, slug, "view")
            expected = admin_access and available and admin_object_audience(world, user, label, obj, slug, action)
            role = matrix.role(user, slug)
            subject = f"{label} {obj.pk} [{slug}]"
            response = browser.get(url)
            matrix.record(route, user, subject, expected=expected, seen=response.status_code == 200,
                          status=response.status_code, role=role, action=f"admin {name}")
            if not expected and not (may_read and available):
                hidden(route, user, subject, response.status_code, role, browser, "GET")
            if name not in ("edit", "delete"):
                continue
            model = type(obj)
            if name == "delete":
                if expected and family(label) != "programme office":
                    continue  # an administrator deleting a scheme would cascade through everything
                data = {}

                def probe(m=model, pk=obj.pk):
                    return m._default_manager.filter(pk=pk).exists()
            else:
                if expected:
                    continue  # entitled edits are the forms' own tests; here: nobody else changes anything
                data = _form_data(obj)

                def probe(m=model, pk=obj.pk):
                    return repr(m._default_manager.filter(pk=pk).values().first())
            response, changed = _in_savepoint(lambda u=url, d=data: browser.post_form(u, d), probe)
            matrix.record(route, user, subject, expected=expected, seen=changed, status=response.status_code, role=role,
                          action=f"admin {name} (POST)")
            if not expected and not may_read:
                hidden(route, user, subject, response.status_code, role, browser, "POST", data)

    # the listing: the commissioners of other schemes (with their private phones) never appear
    from programmes.models import ServiceCommissioner

    commissioners = list(ServiceCommissioner.objects.select_related("scheme"))
    for user in people:
        if not world.has_admin_access(user):
            continue
        browser = Browser(user)
        for route, url in (("admin/programmes_commissioners/", "/admin/programmes_commissioners/"),):
            response = browser.get(url)
            text = _text(response) if response.status_code == 200 else ""
            for c in commissioners:
                shown = bool(c.personal_phone and c.personal_phone in text) or f"/edit/{c.pk}/" in text
                if shown:
                    matrix.record(route, user, f"commissioner {c.pk} [{c.scheme.slug}]", seen=True, status=200,
                                  expected=user.pk in world.programme_office(c.scheme.slug), role=matrix.role(user),
                                  action="list export" if "export" in url else "list")
            matrix.cells[route] += 1
    assert unclassified == [], UNCLASSIFIED_ADMIN_OBJECTS.format(unclassified)
    # not vacuous: every page someone may open was opened by someone (the card records' forms are nobody's)
    vacuous = sorted(route for route, name, label, action in routes
                     if (label not in CARD_RECORDS or action == "view") and not matrix.positives[route]
                     and not (route.endswith("minutes.pdf") and not any(o.minutes_pdf for o, _s in samples[label])))
    assert vacuous == [], f"admin object pages no one was allowed to open (the sweep would pass vacuously): {vacuous}"
    return sum(matrix.cells.values()) - cells_before

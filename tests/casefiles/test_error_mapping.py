"""The case-file errors are mapped to HTTP and to messages once (casefiles/errors.py): the API, the admin and the
portal answer a refused step with the same status and the same Chinese sentence (issue #16, item 1)."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casefiles.demo_dossiers import demo_facts
from casefiles.errors import error_code, http_status, user_message
from casefiles.exceptions import (
    CaseFileError,
    FourEyes,
    GuardFailed,
    MaterialsMissing,
    SelfDealing,
    StateConflict,
    TransitionDenied,
)
from casefiles.services.calendar import CalendarDataMissing
from casefiles.testing import attach_required_materials, path_to, route_choice, satisfy_controls

from .factories import new_dossier, setup_schemes, user

pytestmark = [pytest.mark.usefixtures("schemes_once")]

CJK = re.compile(r"[\u4e00-\u9fff]")

CASES = [
    (CaseFileError("请填写理由。", code="comment_required"), 400, "comment_required"),
    (MaterialsMissing("缺少申请材料。", missing=[{"code": "identity", "name": "身份证件", "article": ""}]), 400, "materials_missing"),
    (TransitionDenied("无权办理。"), 403, "permission_denied"),
    (SelfDealing("不能办理本人的申请。", code="own_dossier"), 403, "own_dossier"),
    (FourEyes("须由同事办理。"), 403, "four_eyes"),
    (StateConflict("已被处理。", "assessment"), 409, "conflict"),
    (GuardFailed("不符合条件。", "assessment", reasons=["条件一"]), 409, "guard"),
    (CalendarDataMissing("2027年工作日历尚未录入。"), 400, "calendar_missing"),
]


@pytest.mark.parametrize(("exc", "status", "code"), CASES, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None)
def test_each_error_has_one_status_and_code(exc, status, code):
    from huicai.api.exceptions import exception_handler

    assert http_status(exc) == status and error_code(exc) == code
    response = exception_handler(exc, {})
    assert response.status_code == status
    body = response.data["error"]
    assert body["code"] == code and body["message"] == user_message(exc) and CJK.search(body["message"])
    if getattr(exc, "missing", None):
        assert body["missing"] == exc.missing
    if getattr(exc, "reasons", None):
        assert body["reasons"] == exc.reasons


def _guarded_case(schemes):
    """A dossier standing where a criteria-guarded step starts, claiming a criterion the guard refuses."""
    for scheme in schemes.values():
        for transition in scheme.transitions.exclude(guard={}).select_related("target").prefetch_related("sources"):
            refs = transition.guard.get("criteria_only") or transition.guard.get("criteria_any")
            if not refs:
                continue
            source = transition.sources.first()
            for criterion in scheme.criteria.exclude(ref__in=refs).select_related("tier"):
                tier, _c = route_choice(scheme, source.code, demo_facts(scheme), tier=criterion.tier)
                if tier is None:
                    continue
                dossier = new_dossier(scheme.slug, tier=criterion.tier.code, criterion=criterion.ref)
                attach_required_materials(dossier)
                path = path_to(scheme, source.code, dossier=dossier)
                if path is None:
                    continue
                from casefiles.testing import fire

                for step in path:
                    dossier = fire(satisfy_controls(dossier, step), step, comment="同意")
                return dossier, transition
    pytest.fail("no criteria-guarded step in the scheme data")


@pytest.mark.django_db
def test_a_guarded_step_forced_is_refused_alike_by_the_api_and_the_admin():
    schemes = setup_schemes()
    dossier, transition = _guarded_case(schemes)
    from casefiles.testing import demo_user_for

    officer = demo_user_for(dossier, transition.by if transition.by != "actor" else dossier.state.actor)
    api = APIClient()
    api.force_authenticate(officer)
    response = api.post(f"/api/v1/dossiers/{dossier.pk}/transitions/", {"transition": transition.code, "comment": "同意"}, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "guard" and error["reasons"] and transition.article in error["message"]
    assert CJK.search(error["message"])

    browser = Client()
    browser.force_login(officer)
    page = browser.post(reverse("casefiles_dossiers:transition", args=[dossier.pk]),
                        {"transition": transition.code, "comment": "同意", "expected_state": dossier.state.code})
    assert page.status_code == 409
    assert error["message"] in page.content.decode()
    dossier.refresh_from_db()
    assert dossier.state == transition.sources.first()
    assert officer == user(officer.username)

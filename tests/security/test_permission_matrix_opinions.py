"""Permission matrix of requests for opinions (issue #16: "the permission matrix covers opinion requesters and
experts"), on the demo data: every user × every route of requests for opinions, and the dossier reads of those
asked, first while the departments and an expert are asked, then after every request was answered.

Expected access is computed from the scheme data files, the Membership rows and the rows that record the asking
(tests/security/matrix_opinions.py, matrix_expectations.World), never from the permission code under test.
Summary: $HUICAI_ARTIFACTS/permission-matrix-opinions.json.
"""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from . import matrix_opinions
from .matrix_expectations import World
from .test_permission_matrix_full import MISSING, Browser, Matrix, _in_savepoint

pytestmark = [pytest.mark.django_db]


def _reads(matrix, world, people, pairs, phase):
    """GET the dossier (API, portal, admin) for every (user, dossier) pair that was asked."""
    by_pk = {p.pk: p for p in people if p is not None}
    for uid, dossier in sorted(pairs, key=lambda p: (p[0], p[1].pk)):
        user = by_pk[uid]
        browser = Browser(user)
        may_view = uid in world.dossier_viewers(dossier)
        admin_access = world.has_admin_access(user)
        role = f"asked ({phase})"
        subject = f"{dossier.reference} [{dossier.scheme.slug}:{dossier.state.code}]"
        for route, url, expected in (
            ("api/v1/dossiers/<int:pk>/", f"/api/v1/dossiers/{dossier.pk}/", may_view),
            ("applications/<int:pk>/", f"/applications/{dossier.pk}/", may_view),
            ("admin/dossiers/<int:pk>/", f"/admin/dossiers/{dossier.pk}/", may_view and admin_access),
        ):
            response = browser.get(url)
            matrix.record(route, user, subject, expected=expected, seen=response.status_code == 200,
                          status=response.status_code, role=role)
            if not may_view:
                matrix.check_hidden(route, user, subject, response.status_code, role, browser,
                                    url.replace(str(dossier.pk), str(MISSING), 1))


def test_opinion_requesters_and_experts_see_only_while_asked(demo, artifacts_dir):
    from casefiles.models import Dossier, OpinionRequest
    from casefiles.services.opinions import opinion_answer

    expert_request = matrix_opinions.ask_an_expert()
    assert expert_request is not None, "no scheme's data asks for experts: the expert cells would be vacuous"
    people = [None, *get_user_model().objects.order_by("username")]
    dossiers = list(Dossier.objects.select_related("scheme", "state", "applicant", "employer", "authority").order_by("pk"))
    report = {}
    pairs = set()
    for phase in ("while asked", "after answering"):
        world = World()
        matrix = Matrix(world, people[1:])
        asked = matrix_opinions.Asked(world)
        if phase == "while asked":
            assert any(r.department_id for r in asked.requests) and any(r.expert_id for r in asked.requests)
            pairs = {(uid, r.dossier) for r in asked.requests for uid in asked.askees(r)}
        else:
            assert asked.requests == []
        cells = matrix_opinions.sweep(matrix, world, people, dossiers, Browser, _in_savepoint, MISSING, full=True)
        _reads(matrix, world, people, pairs, phase)
        report[phase] = {
            "open requests": len(asked.requests), "people asked": len({u for u, _d in pairs}),
            "opinion route cells": cells, "cells": sum(matrix.cells.values()),
            "allowed and given": sum(matrix.positives.values()), "by role": dict(matrix.by_role),
            "leaks": matrix.leaks, "wrong_denials": matrix.wrong_denials, "existence_revealed": matrix.reveals,
            "refusals": matrix.refusals,
        }
        assert matrix.leaks == [], matrix.leaks[:10]
        assert matrix.wrong_denials == [], matrix.wrong_denials[:10]
        assert matrix.reveals == [], matrix.reveals[:10]
        if phase == "while asked":
            # not vacuous: each asked party reached its pages and answered in the sweep
            for route in ("api/v1/opinion-requests/", "expert/<int:pk>/", "api/v1/opinion-requests/<int:pk>/answer/",
                          "admin/opinion-requests/dossier/<int:pk>/answer/<int:request_pk>/", "expert/",
                          "admin/opinion-requests/", "api/v1/dossiers/<int:pk>/experts/",
                          "admin/opinion-requests/dossier/<int:pk>/experts/"):
                assert matrix.positives[route], route
            # everyone asked answers (the first person asked of each department; the expert)
            for request in asked.requests:
                who = get_user_model().objects.get(pk=min(asked.askees(request) - {request.dossier.applicant_id}))
                opinion_answer(request=OpinionRequest.objects.get(pk=request.pk), user=who, agree=True, comment="")
    summary = {phase: {k: (len(v) if isinstance(v, list) else v) for k, v in data.items()} for phase, data in report.items()}
    Path(artifacts_dir, "permission-matrix-opinions.json").write_text(json.dumps(report, ensure_ascii=False, indent=1,
                                                                                  default=str))
    print("opinion permission matrix:", json.dumps(summary, ensure_ascii=False))

"""Every demo user × every demo dossier × (API list, API detail, attachment download, journal, admin detail).

Applicants and employer contacts are not admin users: the admin detail is tried for them on one dossier.

The expected answer is computed here from the scheme data files (each workflow state's `view` list and
`actor`) and the demo naming convention — not from the permission code under test."""

import functools
import json
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from casefiles.models import Dossier

pytestmark = [pytest.mark.django_db]

SCHEME_DIR = Path(__file__).resolve().parents[2] / "casefiles" / "schemes"


@functools.cache
def scheme_file(slug):
    """The scheme's data file, read once per run (it was parsed again for every dossier)."""
    return yaml.safe_load((SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))


def department_people(slug, code):
    """The demo people of a department: its officer, the colleague (.2), and its head (.head) where the scheme file
    gives the department a ``supervises`` list (load_demo makes a head for those; a head is a member of the
    department and sees what it sees)."""
    people = {f"{slug}.{code}", f"{slug}.{code}.2"}
    row = next((d for d in scheme_file(slug).get("departments") or [] if d.get("code") == code), None)
    if row is not None and row.get("supervises"):
        people.add(f"{slug}.{code}.head")
    return people


def expected_viewers(dossier, usernames):
    data = scheme_file(dossier.scheme.slug)
    state = next(s for s in data["workflow"]["states"] if s["code"] == dossier.state.code)
    principals = set(state.get("view") or [])
    if state.get("actor"):
        principals.add(state["actor"])
    slug = dossier.scheme.slug
    viewers = {"admin"}
    for principal in principals:
        if principal == "applicant":
            viewers.add(dossier.applicant.username)
        elif principal == "employer":
            viewers.add(f"{slug}.employer")
        elif principal == "authority":
            if dossier.authority_id:
                viewers |= department_people(slug, dossier.authority.code)
        else:
            viewers |= department_people(slug, principal)
    viewers |= asked_viewers(dossier, state)
    return viewers & usernames


def asked_viewers(dossier, state):
    """The people an open request of the state asks for an opinion (会签 / 征求意见): the staff of a department
    the state's ``opinions`` name, while that department's request is not yet answered; a named expert."""
    from casefiles.models import OpinionRequest

    names = set()
    rows = OpinionRequest.objects.filter(dossier=dossier, state__code=state["code"], status="open")
    open_departments = set(rows.filter(department__isnull=False).values_list("department__code", flat=True))
    for wanted in state.get("opinions") or []:
        code = wanted["department"]
        department = {"authority": dossier.authority, "employer": dossier.employer}.get(code)
        code = department.code if department is not None else code
        if code in open_departments:
            names |= department_people(dossier.scheme.slug, code)
            if wanted["department"] == "employer":
                names.add(f"{dossier.scheme.slug}.employer")
    names |= set(rows.filter(expert__isnull=False).values_list("expert__username", flat=True))
    return names


def is_staff_name(username):
    return username == "admin" or not username.endswith((".applicant", ".employer", ".expert"))


def test_permission_matrix_has_no_leaks(demo, artifacts_dir):
    users = list(get_user_model().objects.order_by("username"))
    usernames = {u.username for u in users}
    dossiers = list(Dossier.objects.select_related("scheme", "state", "authority", "applicant").prefetch_related("attachments"))
    assert len(dossiers) >= 50
    expected = {d.pk: expected_viewers(d, usernames) for d in dossiers}
    admin_detail = "/admin/dossiers/{pk}/"
    cells, leaks, denials = 0, [], []
    client = Client()
    for user in users:
        client.force_login(user)
        listed = set()
        url = "/api/v1/dossiers/?page_size=200"
        while url:
            body = client.get(url).json()
            listed |= {row["id"] for row in body["results"]}
            url = body["next"]
        for dossier in dossiers:
            may_view = user.username in expected[dossier.pk]
            attachment = dossier.attachments.all()[0] if dossier.attachments.all() else None
            checks = {
                "list": dossier.pk in listed,
                "detail": client.get(f"/api/v1/dossiers/{dossier.pk}/").status_code == 200,
                "journal": client.get(f"/api/v1/dossiers/{dossier.pk}/journal/").status_code == 200,
            }
            if attachment is not None:
                checks["attachment"] = client.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 200
            if user.is_staff or dossier is dossiers[0]:
                checks["admin"] = client.get(admin_detail.format(pk=dossier.pk)).status_code == 200
            for surface, seen in checks.items():
                cells += 1
                want = may_view and (surface not in ("journal", "admin") or is_staff_name(user.username))
                if seen and not want:
                    leaks.append((user.username, dossier.reference, dossier.state.code, surface))
                elif want and not seen:
                    denials.append((user.username, dossier.reference, dossier.state.code, surface))
        client.logout()
    report = {"users": len(users), "dossiers": len(dossiers), "cells": cells, "leaks": leaks, "wrong_denials": denials}
    Path(artifacts_dir, "permission_matrix.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"permission matrix: {cells} cells, {len(leaks)} leaks, {len(denials)} wrong denials")
    assert leaks == []
    assert denials == []

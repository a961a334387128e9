"""Permission matrix of the documents in the case file (issue #24: "the permission matrix covers versions and
previews"), on the demo data: every user (and anonymous) × every document route — the API's documents (list, add,
new version), its withdrawal, the previews (API and portal), the reader and the admin's three forms (GET and POST) —
over a sample of dossiers: per scheme one of every kind of state present (tests/security/matrix_documents.py).

Each sampled dossier carries the applicant's document and the other side's, two versions each: both versions are
read through every preview route and the reader, and both sides' documents are versioned and withdrawn by everyone
who may see the dossier (each change in a savepoint rolled back, judged by what changed). Where a user may not see
the dossier, three requests in turn (every user meets every route) must answer exactly like a missing id.

These cells are kept out of test_permission_matrix_full.py, which they took past its 15-minute limit on
PostgreSQL (matrix_routes.OWN_MATRIX). Expected access comes from the scheme data, the Membership rows and the
documents' rows (matrix_documents, matrix_expectations.World), never from the permission code under test.
Summary: $HUICAI_ARTIFACTS/permission-matrix-documents.json.
"""

import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from . import matrix_documents, matrix_routes
from .matrix_expectations import World, state_spec
from .test_permission_matrix_full import MISSING, Browser, Matrix, _a_material, _in_savepoint, show_cells

pytestmark = [pytest.mark.django_db]


def test_document_routes_are_tested_here():
    """The routes this matrix covers are TESTED and excused from the full matrix's own cells, and no others."""
    assert set(matrix_routes.OWN_MATRIX) == set(matrix_documents.ROUTES)
    assert set(matrix_documents.ROUTES) <= set(matrix_routes.TESTED)
    assert not set(matrix_documents.ROUTES) & set(matrix_routes.EXEMPT)
    admin_routes = {r for r in matrix_documents.ROUTES if r.startswith("admin/")}
    assert admin_routes <= set(matrix_routes.ADMIN_OBJECT_COVERED)


def test_permission_matrix_documents_has_no_leaks(demo, artifacts_dir):
    from casefiles.models import Dossier

    started, cpu_started = time.time(), time.process_time()
    people = [None, *get_user_model().objects.order_by("username")]
    every = list(Dossier.objects.select_related("scheme", "state", "applicant", "employer", "authority").order_by("pk"))
    per_class = int(os.environ.get("HUICAI_MATRIX_DOCUMENT_SCHEMES") or 2)
    dossiers = matrix_documents.sample(every, per_class)
    # the sample covers every scheme, every kind of state and every class of state present (each class in as many
    # schemes as asked, where it occurs in that many)
    assert {d.scheme.slug for d in dossiers} == {d.scheme.slug for d in every}
    assert ({state_spec(d.scheme.slug, d.state.code)["kind"] for d in dossiers}
            == {state_spec(d.scheme.slug, d.state.code)["kind"] for d in every})
    for key in {matrix_documents.state_class(d) for d in every}:
        present = {d.scheme.slug for d in every if matrix_documents.state_class(d) == key}
        sampled = {d.scheme.slug for d in dossiers if matrix_documents.state_class(d) == key}
        assert len(sampled) == min(per_class, len(present)) and sampled <= present, key
    world = World()
    documents = matrix_documents.prepare(world, dossiers)
    setup_seconds = round(time.time() - started, 1)

    matrix = Matrix(world, people[1:])
    cells = matrix_documents.sweep(matrix, world, people, dossiers, documents, Browser, _in_savepoint, MISSING,
                                   _a_material)

    # every person met every route
    names = {p.username if p else "anonymous" for p in people}
    unmet = {}
    for route in matrix_documents.ROUTES:
        met = set().union(*(who for (r, _a), who in cells.seen_by.items() if r == route))
        if names - met:
            unmet[route] = sorted(names - met)[:5]
    # not vacuous: somebody was allowed on every route, both versions read, both sides' documents changed
    positives = {f"{route} {action}": n for (route, action), n in sorted(cells.positives.items())}
    wanted = [("api/v1/dossiers/<int:pk>/documents/", a) for a in ("list", "add", "new version (applicant",
                                                                   "new version (department")]
    wanted += [("api/v1/documents/<int:pk>/withdraw/", a) for a in ("withdraw (applicant", "withdraw (department")]
    wanted += [(r, f"read v{n} of the applicant's") for n in (1, 2) for r in (
        "api/v1/attachments/<int:pk>/preview/", "attachments/<int:pk>/preview/", "attachments/<int:pk>/reader/")]
    wanted += [(r, f"read v{n} of the department's") for n in (1, 2) for r in ("attachments/<int:pk>/reader/",)]
    wanted += [("admin/dossiers/<int:pk>/documents/add/", a) for a in ("form", "add")]
    wanted += [(r, a) for r in ("admin/dossiers/<int:pk>/documents/<int:document_pk>/version/",
                                "admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/")
               for a in ("form (department", "new version (department" if r.endswith("version/") else
                         "withdraw (department")]
    vacuous = [f"{r} {a}" for r, a in wanted
               if not any(n for (route, action), n in cells.positives.items() if route == r and action.startswith(a))]

    total = sum(cells.cells.values())
    report = {
        "cells": total,
        "leaks": len(matrix.leaks),
        "existence_revealed": len(matrix.reveals),
        "wrong_denials": len(matrix.wrong_denials),
        "business_rule_refusals_of_entitled_users": len(matrix.refusals),
        "listing_mismatches": len(cells.listing_mismatches),
        "people": len(people),
        "dossiers_sampled": len(dossiers),
        "dossiers_in_demo": len(every),
        "sample": [f"{d.reference} [{d.scheme.slug}:{d.state.code}] {matrix_documents.state_class(d)}"
                   for d in dossiers],
        "documents": sum(len(v) for v in documents.values()),
        "wall_seconds": round(time.time() - started, 1),
        "setup_seconds": setup_seconds,
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "load_average": os.getloadavg(),
        "database": connection.vendor,
        "per_route": matrix.per_route(),
        "per_action": {f"{route} {action}": {"cells": n, "allowed": cells.positives[(route, action)]}
                       for (route, action), n in sorted(cells.cells.items())},
        "per_role": dict(sorted(matrix.by_role.items())),
        "people_without_a_cell": unmet,
        "not_exercised_positively": vacuous,
        **matrix.failed_cells(),
        "listing_mismatch_cells": cells.listing_mismatches[:100],
    }
    # the expectations are exact for documents: an entitled user refused with 400/409 is a wrong denial too
    matrix.report(report, Path(artifacts_dir, "permission-matrix-documents.json"), "per_route",
                  heading=("document permission matrix:",), hidden=lambda key: key.startswith("per_"), refusals=True)
    assert cells.listing_mismatches == [], show_cells(cells.listing_mismatches)
    assert unmet == {}, f"people with no cell on a route: {unmet}"
    assert vacuous == [], f"never allowed (the matrix would pass vacuously): {vacuous}\n{positives}"

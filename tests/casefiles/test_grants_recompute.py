"""Grants follow the rules (issue #17 item 4): when a state's ``view`` or ``actor`` changes — a scheme file
reloaded, a workflow state edited in the admin — the grants of the dossiers in it are recomputed, in batches.

Every shipped scheme is swept: one dossier in each reachable state (the demo set), then a rule changed and the
grants of every dossier compared with what :func:`casefiles.permissions.desired_grants` derives for it alone.
"""

import json
import random
import shutil

import pytest
import yaml
from django.urls import reverse

from casefiles.demo import load_schemes_and_users
from casefiles.demo_dossiers import load_dossiers
from casefiles.models import BackgroundJob, Dossier, DossierGroupObjectPermission, JobKind, JobStatus, Scheme, StateKind
from casefiles.permissions import current_grants, desired_grants
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, scheme_files_load
from casefiles.services.grants import scheme_grants_recompute
from tests.conftest import rolled_back

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dossiers_once(django_db_setup, django_db_blocker):
    """The schemes, their users and the demo dossiers (one in each reachable state), loaded once for the module."""
    with rolled_back(django_db_blocker):
        load_schemes_and_users(password="grants-pass-123")
        load_dossiers(rng=random.Random(17))
        yield


@pytest.fixture
def dossiers(dossiers_once, db):
    return list(Dossier.objects.select_related("scheme", "state", "employer", "authority"))


def _stale(scheme=None):
    """Dossiers whose guardian rows differ from what their state calls for."""
    rows = Dossier.objects.select_related("scheme", "state", "employer", "authority")
    if scheme is not None:
        rows = rows.filter(scheme=scheme)
    return [d.reference for d in rows if current_grants(d) != desired_grants(d)]


def _a_state_with_dossiers(scheme):
    """A review stage holding a dossier, and a department of the scheme that does not see it yet."""
    departments = sorted(scheme.departments.values_list("code", flat=True))
    for state in scheme.states.filter(kind=StateKind.STAGE).order_by("order"):
        others = [code for code in departments if code != state.actor and code not in (state.view or [])]
        if state.dossiers.exists() and others:
            return state, others[0]
    return None, None


def test_a_reloaded_file_moves_the_grants_of_every_scheme(dossiers, tmp_path):
    assert _stale() == []
    shutil.copy(SCHEME_DIR / "jurisdictions.yaml", tmp_path / "jurisdictions.yaml")
    swept = 0
    for slug in SCHEME_SLUGS:
        scheme = Scheme.objects.get(slug=slug)
        state, newcomer = _a_state_with_dossiers(scheme)
        assert state is not None, f"{slug}: no review stage with dossiers in the demo set"
        held = list(state.dossiers.all())
        before = {d.pk: current_grants(d) for d in held}
        data = yaml.safe_load((SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))
        for row in data["workflow"]["states"]:
            if row["code"] == state.code:
                row["view"] = [*(row.get("view") or []), newcomer]
        changed = tmp_path / f"{slug}.yaml"
        changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        seen = []
        (loaded,) = scheme_files_load([changed], progress=lambda done, total: seen.append((done, total)))
        assert loaded.grants_recomputed is not None and loaded.grants_recomputed.dossiers == len(held), slug
        assert seen and seen[-1] == (len(held), len(held))
        for dossier in held:
            dossier.refresh_from_db()
            assert current_grants(dossier) != before[dossier.pk], f"{slug}: {dossier.reference} kept its old grants"
        assert _stale(loaded) == [], slug
        swept += 1
    assert swept == len(SCHEME_SLUGS)


def test_a_file_loaded_from_the_admin_queues_the_grants_for_the_worker(dossiers, tmp_path,
                                                                      django_capture_on_commit_callbacks):
    """``defer_grants`` (the admin upload, casefiles/services/scheme_files.py): the load commits a queued job with
    the new rules; the dossiers keep their old grants until the job runs, then follow."""
    shutil.copy(SCHEME_DIR / "jurisdictions.yaml", tmp_path / "jurisdictions.yaml")
    scheme = Scheme.objects.get(slug="chuxiong")
    state, newcomer = _a_state_with_dossiers(scheme)
    held = state.dossiers.count()
    data = yaml.safe_load((SCHEME_DIR / "chuxiong.yaml").read_text(encoding="utf-8"))
    for row in data["workflow"]["states"]:
        if row["code"] == state.code:
            row["view"] = [*(row.get("view") or []), newcomer]
    changed = tmp_path / "chuxiong.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        (loaded,) = scheme_files_load([changed], defer_grants=True)
    job = loaded.grants_job
    assert loaded.grants_recomputed is None and job.status == JobStatus.QUEUED and job.total == held
    assert job.params == {"states": [state.code]}
    assert _stale(loaded), "the load itself recomputed the grants"
    for callback in waiting:
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.done == held and _stale(loaded) == []


def test_batches_repair_any_drift_for_every_scheme(dossiers):
    """Whatever the rows say, a recompute in small batches leaves exactly what each state calls for."""
    DossierGroupObjectPermission.objects.filter(
        pk__in=list(DossierGroupObjectPermission.objects.order_by("pk").values_list("pk", flat=True))[::3]
    ).delete()
    assert _stale(), "the drift was not made"
    for scheme in Scheme.objects.order_by("slug"):
        progress = []
        result = scheme_grants_recompute(scheme, batch_size=3, progress=lambda done, total: progress.append(done))
        count = Dossier.objects.filter(scheme=scheme).count()
        assert result.dossiers == count and result.batches == -(-count // 3)
        assert progress == sorted(progress) and progress[-1] == count
        assert _stale(scheme) == [], scheme.slug
    again = [scheme_grants_recompute(s) for s in Scheme.objects.all()]
    assert all(r.added == 0 and r.removed == 0 for r in again), "a second pass changes nothing"


def test_editing_a_state_in_the_admin_moves_its_dossiers_grants(dossiers, client, django_user_model,
                                                                django_capture_on_commit_callbacks):
    """The admin request queues the recomputation (a job, run by the worker; here on commit by the immediate
    backend), and the background jobs page shows it finished with its progress."""
    admin = django_user_model.objects.create_superuser("grants-admin", "grants@example.org", "pw-123-secure")
    client.force_login(admin)
    for slug in SCHEME_SLUGS:
        scheme = Scheme.objects.get(slug=slug)
        state, newcomer = _a_state_with_dossiers(scheme)
        post = {
            "scheme": scheme.pk, "code": state.code, "name": state.name, "kind": state.kind, "actor": state.actor,
            "article": state.article, "time_limit_working_days": state.time_limit_working_days or "",
            "view": json.dumps([*(state.view or []), newcomer]), "order": state.order,
        }
        held = state.dossiers.count()
        with django_capture_on_commit_callbacks(execute=False) as waiting:
            response = client.post(reverse("workflow_states:edit", args=[state.pk]), post)
        assert response.status_code == 302, (slug, response.content.decode()[:2000])
        state.refresh_from_db()
        assert newcomer in state.view
        job = BackgroundJob.objects.filter(kind=JobKind.GRANTS_RECOMPUTE, scheme=scheme).latest("pk")
        assert job.status == JobStatus.QUEUED and job.params == {"states": [state.code]} and job.total == held
        assert _stale(scheme), f"{slug}: the request itself recomputed the grants"
        for callback in waiting:  # the worker's turn
            callback()
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.done == job.total == held and job.result["dossiers"] == held
        assert _stale(scheme) == [], slug
    page = client.get(reverse("casefiles_background_jobs")).content.decode()
    assert page.count('data-status="done"') == len(SCHEME_SLUGS)

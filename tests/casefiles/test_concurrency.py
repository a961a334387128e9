"""Two reviewers approve the same dossier at the same moment: exactly one wins, the other gets a
conflict, and exactly one opinion is recorded. Needs PostgreSQL (row locks); SQLite serialises writers
anyway, so the race cannot be staged there."""

import threading

import pytest
from django.db import close_old_connections, connection

from casefiles.exceptions import StateConflict
from casefiles.models import Opinion
from casefiles.services.dossiers import dossier_transition

from .factories import new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def dossier(db):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race needs PostgreSQL")
    setup_schemes()
    dossier = new_dossier("liaocheng")
    return dossier_transition(dossier=dossier, transition="submit", user=user("liaocheng.applicant"))


def test_two_simultaneous_approvals_one_wins(dossier):
    reviewer = user("liaocheng.hr-bureau")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        close_old_connections()
        try:
            barrier.wait(timeout=10)
            dossier_transition(dossier=dossier, transition="approve_review", user=reviewer, expected_state="hr_review")
            outcomes.append("ok")
        except StateConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Opinion.objects.filter(dossier=dossier, transition="approve_review").count() == 1


def test_api_answers_409_to_the_loser(dossier, client):
    client.force_login(user("liaocheng.hr-bureau"))
    url = f"/api/v1/dossiers/{dossier.pk}/transitions/"
    first = client.post(url, {"transition": "approve_review", "expected_state": "hr_review"}, content_type="application/json")
    second = client.post(url, {"transition": "approve_review", "expected_state": "hr_review"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["state"] == "final_approval"
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert "审定" in second.json()["error"]["message"] or second.json()["error"]["message"]

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


def test_a_reader_journals_while_a_mutation_holds_the_dossier(dossier):
    """An officer opens a dossier (the view is journaled) while another moves it on. The mutation holds the
    dossier's row (casefiles/services/locks.py) and appends to the journal last; the reader's entry checks its
    foreign key to the dossier while holding the journal's head. With ``FOR UPDATE`` the two waited on each other
    until PostgreSQL broke the deadlock and the reader got a 409 (the load test in CI); here the reader, given a
    lock timeout, must get its entry written while the mutation still holds the dossier."""
    from django.db import DatabaseError, transaction

    from casefiles.models import JournalEntry
    from casefiles.services.journal import journal_write
    from casefiles.services.locks import lock_dossier

    officer = user("liaocheng.hr-bureau")
    locked, read = threading.Event(), threading.Event()
    outcome = {}

    def mutation():
        close_old_connections()
        try:
            with transaction.atomic():
                lock_dossier(dossier.pk)
                locked.set()
                read.wait(timeout=15)  # the reader goes while the dossier is held
                journal_write(action="casefiles.test.mutation", actor=officer, dossier=dossier)
            outcome["mutation"] = "ok"
        except DatabaseError as error:
            outcome["mutation"] = repr(error)
        finally:
            connection.close()

    def reader():
        close_old_connections()
        try:
            assert locked.wait(timeout=15)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                journal_write(action="casefiles.dossier.view", actor=officer, dossier=dossier, data={"via": "api"})
            outcome["reader"] = "ok"
        except DatabaseError as error:
            outcome["reader"] = repr(error)
        finally:
            read.set()
            connection.close()

    threads = [threading.Thread(target=mutation), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=40)
    assert outcome == {"mutation": "ok", "reader": "ok"}
    actions = list(JournalEntry.objects.filter(dossier=dossier, action__in=("casefiles.dossier.view",
                                                                           "casefiles.test.mutation"))
                   .order_by("position").values_list("action", flat=True))
    assert actions == ["casefiles.dossier.view", "casefiles.test.mutation"]


def test_dossiers_are_locked_in_one_place():
    """Product code locks dossiers through casefiles/services/locks.py only (FOR NO KEY UPDATE, see there)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"Dossier\.objects\s*\.\s*select_for_update|Dossier\.objects\.filter\([^)]*\)\.select_for_update")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for package in ("casefiles", "programmes", "policypages", "search", "huicai")
        for path in sorted((root / package).rglob("*.py"))
        if path.name != "locks.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
    assert "no_key=True" in (root / "casefiles/services/locks.py").read_text(encoding="utf-8")

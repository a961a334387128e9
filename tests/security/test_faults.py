"""Faults: the search engine down, the database connection lost mid-request, a process killed during a
registry import, two reviewers acting at once.

- Elasticsearch down: here against a closed port with the embedded backend as the one that comes back;
  tests/search/test_fault.py does the same against a real node (marker ``elasticsearch``, 100 dossiers).
- Two reviewers at once: tests/casefiles/test_concurrency.py (PostgreSQL row locks, threads; one wins,
  the other gets 409, one opinion).
"""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from casefiles.models import Dossier, JournalEntry, Opinion
from casefiles.services.dossiers import dossier_transition
from casefiles.services.journal import journal_check
from search import service
from search.models import OutboxEntry
from tests.casefiles.factories import new_dossier, setup_schemes, user

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- (a) search engine down


@pytest.mark.smoke
@pytest.mark.django_db
def test_transition_succeeds_while_search_is_down_and_index_catches_up(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.HUICAI_SEARCH_INDEX_PREFIX = f"faults-{os.getpid()}"
    settings.HUICAI_SEARCH_SQLITE_PATH = tmp_path / "search.sqlite3"
    setup_schemes()
    dossier = new_dossier("liaocheng")
    OutboxEntry.objects.all().delete()

    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there
    service.clear_cool_off()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = dossier_transition(dossier=dossier, transition="submit", user=user("liaocheng.applicant"))
    assert dossier.state.code == "hr_review", "the write succeeded"
    assert list(OutboxEntry.objects.values_list("kind", "object_id")) == [("dossier", str(dossier.pk))], \
        "the change waits in the outbox"

    settings.ELASTICSEARCH_URL = ""  # the engine is back (the embedded one)
    service.clear_cool_off()
    backend = service.get_backend()
    backend.ensure()
    backend.drop()
    call_command("search_drain", stdout=io.StringIO())
    assert not OutboxEntry.objects.exists()
    found = service.search_staff(user("admin"), dossier.reference)
    assert [h.key for h in found.hits] == [str(dossier.pk)]


# --------------------------------------------------------------------------- PostgreSQL-only faults


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def _pg_connect():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"] or "127.0.0.1",
                           port=s["PORT"] or 5432, autocommit=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_lost_mid_request_gives_a_clean_error_and_no_partial_state(client, monkeypatch):
    """The backend is killed (pg_terminate_backend from a second connection) after the transition wrote
    its opinion and before the journal entry: the request answers with the Chinese error page, and
    nothing of the transition is left."""
    _require_postgres()
    setup_schemes()
    # a class （三） claim: reviewed by the HR bureau, then the talent office (第三十二条第（二）项)
    dossier = dossier_transition(dossier=new_dossier("liaocheng", criterion="5.3"), transition="submit", user=user("liaocheng.applicant"))
    opinions, journal = Opinion.objects.count(), JournalEntry.objects.count()

    import casefiles.actions.transition as dossiers_module  # the transition action writes the journal

    real_journal_write = dossiers_module.journal_write
    fired = []

    def journal_write_after_losing_the_connection(**kwargs):
        if not fired:
            fired.append(True)
            assert Opinion.objects.count() == opinions + 1, "the first write of the transition is done"
            pid = connection.connection.info.backend_pid
            with _pg_connect() as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
        return real_journal_write(**kwargs)

    monkeypatch.setattr(dossiers_module, "journal_write", journal_write_after_losing_the_connection)
    client.raise_request_exception = False
    client.force_login(user("liaocheng.hr-bureau"))
    response = client.post(f"/api/v1/dossiers/{dossier.pk}/transitions/",
                           {"transition": "approve_review", "expected_state": "hr_review"}, content_type="application/json")
    assert fired
    body = response.content.decode()
    assert response.status_code in (500, 503)
    assert "服务" in body and "Traceback" not in body and "psycopg" not in body and "terminat" not in body

    connection.close()  # the broken connection; the next query opens a new one
    dossier.refresh_from_db()
    assert dossier.state.code == "hr_review"
    assert Opinion.objects.count() == opinions, "the opinion written before the loss was rolled back"
    assert JournalEntry.objects.count() == journal
    assert journal_check().ok
    # And the same request succeeds once the database is back.
    monkeypatch.setattr(dossiers_module, "journal_write", real_journal_write)
    client.force_login(user("liaocheng.hr-bureau"))
    again = client.post(f"/api/v1/dossiers/{dossier.pk}/transitions/",
                        {"transition": "approve_review", "expected_state": "hr_review"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["state"] == "final_approval"


IMPORT_SCRIPT = r"""
import io, os, sys, time
import django
django.setup()
import openpyxl
from django.contrib.auth import get_user_model
from casefiles.models import Scheme
from casefiles.services import registry_import as ri

slow_after = int(os.environ.get("HUICAI_TEST_SLOW_AFTER", "0"))
from casefiles.services import cards as card_services  # the issuing step's receiver calls card_issue

real_card_issue = card_services.card_issue
issued = []

def card_issue(**kwargs):
    card = real_card_issue(**kwargs)
    issued.append(card.number)
    print(f"issued {len(issued)} {card.number}", flush=True)
    if slow_after and len(issued) >= slow_after:
        time.sleep(600)  # the parent kills us here
    return card

card_services.card_issue = card_issue
scheme = Scheme.objects.get(slug="chuxiong")
book = openpyxl.Workbook()
sheet = book.active
sheet.append(ri.HEADERS)
for line in open(os.environ["HUICAI_TEST_ROWS"], encoding="utf-8").read().splitlines():
    sheet.append(line.split("\t"))
buffer = io.BytesIO()
book.save(buffer)
rows, errors, total = ri.registry_parse(scheme=scheme, content=buffer.getvalue())
if errors:
    print("ROW ERRORS", errors, flush=True)
    sys.exit(3)
cards = ri.registry_import(scheme=scheme, user=get_user_model().objects.get(username="chuxiong.talent-office"), rows=rows)
print(f"done {len(cards)}", flush=True)
"""


def _import_process(lines, rows, slow_after=0):
    rows.write_text("\n".join(lines), encoding="utf-8")
    s = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "huicai.settings.test", "HUICAI_TEST_SLOW_AFTER": str(slow_after),
           "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
           "HUICAI_SEARCH_INDEX_ON_COMMIT": "0", "ELASTICSEARCH_URL": "", "HUICAI_TEST_ROWS": str(rows)}
    process = subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    return process


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_import_killed_midway_then_rerun_leaves_no_duplicates(tmp_path):
    _require_postgres()
    import random

    from casefiles.models import Card, Scheme
    from casefiles.testing import chinese_name, resident_id

    setup_schemes()
    scheme = Scheme.objects.get(slug="chuxiong")
    rng = random.Random(11)
    from casefiles.models import Department, DepartmentKind

    employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
    tier = scheme.tiers.order_by("rank").first()
    criterion = tier.criteria.order_by("order").first()
    people = [(chinese_name(rng), resident_id(rng, birth=f"19{70 + i}0412", area="532301"), f"139{rng.randint(10000000, 99999999)}")
              for i in range(20)]
    lines = ["\t".join([name, "居民身份证", number, phone, employer.name, tier.code, criterion.ref, ""])
             for name, number, phone in people]

    first = _import_process(lines, tmp_path / "rows.tsv", slow_after=8)
    seen = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = first.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("issued 8 "):
            os.kill(first.pid, signal.SIGKILL)
            break
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL, (seen, first.stderr.read())
    assert len(seen) == 8
    # The killed run committed nothing (one transaction), so nothing of it is visible.
    assert not Card.objects.filter(scheme=scheme).exists()
    assert not Dossier.objects.filter(scheme=scheme, id_number__in=[p[1] for p in people]).exists()

    second = _import_process(lines, tmp_path / "rows.tsv")
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    assert "done 20" in out
    numbers = list(Card.objects.filter(scheme=scheme).values_list("number", flat=True))
    assert len(numbers) == 20 == len(set(numbers))
    expected = {scheme.card_number_format.format(year=Card.objects.first().valid_from.year, seq=n) for n in range(1, 21)}
    assert set(numbers) == expected, "numbers are contiguous: the killed run consumed none"
    for _name, number, _phone in people:
        assert Dossier.objects.filter(scheme=scheme, id_number=number).count() == 1

    third = _import_process(lines, tmp_path / "rows.tsv")
    out, err = third.communicate(timeout=600)
    assert third.returncode != 0, "a second run of the same file is refused (its holders have cards)"
    assert Card.objects.filter(scheme=scheme).count() == 20
    assert journal_check().ok

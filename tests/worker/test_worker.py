"""Background work on a real worker: a `manage.py db_worker` process against the test database (PostgreSQL).

The request only commits rows (the change, its search outbox row, its task rows); the worker process indexes and
delivers. A rolled-back change leaves no task, and a worker looking while the transaction is open sees none. A
task that fails is recorded as failed, its rows stay in the outbox and one deferred retry waits.
"""

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casefiles.models import Notification
from casefiles.services.dossiers import dossier_transition
from search import outbox, service
from search.models import OutboxEntry
from tests.casefiles.factories import new_dossier, setup_schemes, user

ROOT = Path(__file__).resolve().parents[2]
INDEX = "search.tasks.index_outbox"
DELIVER = "casefiles.tasks.deliver_notification"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "search"]}}

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


@pytest.fixture
def worker(settings, tmp_path):
    """Tasks enqueued as database rows here, and a function that runs a real worker process until the queue is
    empty (``--batch``); returns its output."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share (PostgreSQL); SQLite's test database is in memory")
    settings.HUICAI_SEARCH_INDEX_PREFIX = f"worker-{os.getpid()}"
    settings.HUICAI_SEARCH_SQLITE_PATH = tmp_path / "search.sqlite3"
    service.clear_cool_off()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker.worker_settings",
        "PYTHONPATH": str(ROOT),
        "HUICAI_WORKER_DATABASE_NAME": connection.settings_dict["NAME"],
        "HUICAI_WORKER_MAIL_DIR": str(mail_dir),
        "HUICAI_SEARCH_INDEX_PREFIX": settings.HUICAI_SEARCH_INDEX_PREFIX,
        "HUICAI_SEARCH_SQLITE_PATH": str(settings.HUICAI_SEARCH_SQLITE_PATH),
        "ELASTICSEARCH_URL": settings.ELASTICSEARCH_URL,
    }

    def run(**overrides):
        done = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--queue-name=*",
                "--no-startup-delay",
                "--no-reload",
                "-v",
                "2",
            ],
            cwd=ROOT,
            env={**env, **overrides},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
        return done.stdout + done.stderr

    run.mail_dir = mail_dir
    yield run
    try:
        service.get_backend().drop()
    except Exception:
        pass


def _data(settings):
    """Schemes, users and a draft, made with the immediate backend (as any test makes them), then an empty
    index: from here on, tasks are rows for the worker."""
    setup_schemes()
    dossier = new_dossier("liaocheng")
    backend = service.get_backend()
    backend.ensure()
    backend.drop()
    backend.ensure()
    OutboxEntry.objects.all().delete()
    settings.TASKS = DATABASE_TASKS
    return dossier


def _closed_port():
    """A local port nobody listens on: bound, then released, so a connection is refused at once (a fixed port such
    as 9 may be filtered on a CI host, where a connection would wait for its timeout instead)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _results(path):
    return DBTaskResult.objects.filter(task_path=path)


def test_the_worker_indexes_and_notifies_after_the_transition_request(worker, settings, client):
    dossier = _data(settings)
    applicant = user("liaocheng.applicant")
    admin = user("admin")
    client.force_login(applicant)

    response = client.post(
        f"/api/v1/dossiers/{dossier.pk}/transitions/",
        {"transition": "submit", "expected_state": dossier.state.code},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:500]
    assert response.json()["state"] == "hr_review"

    # The request is over: the change, its outbox row and its task rows are committed; nothing more was done.
    assert list(OutboxEntry.objects.values_list("kind", "object_id")) == [("dossier", str(dossier.pk))]
    assert _results(INDEX).filter(status="READY").count() == 1, "one indexing task for the transaction"
    assert _results(DELIVER).filter(status="READY").count() == 1
    assert not Notification.objects.filter(recipient=applicant).exists()
    assert not list(worker.mail_dir.iterdir())

    output = worker()

    assert "search.tasks.index_outbox" in output and "casefiles.tasks.deliver_notification" in output
    assert not OutboxEntry.objects.exists(), "the worker drained the outbox"
    for path in (INDEX, DELIVER):
        (result,) = _results(path)
        assert result.status == "SUCCESSFUL" and result.worker_ids, path
    inbox = Notification.objects.get(recipient=applicant)
    assert dossier.reference in inbox.subject
    mails = "".join(p.read_text(errors="replace") for p in worker.mail_dir.iterdir())
    assert "liaocheng.applicant@example.org" in mails
    found = service.search_staff(admin, dossier.reference)
    assert [h.key for h in found.hits] == [str(dossier.pk)], "indexed by the worker"


def test_a_rolled_back_change_enqueues_nothing_and_the_worker_never_sees_uncommitted_tasks(worker, settings):
    dossier = _data(settings)
    applicant = user("liaocheng.applicant")

    with pytest.raises(Rollback):
        with transaction.atomic():
            dossier_transition(dossier=dossier, transition="submit", user=applicant)
            assert _results(INDEX).count() == 1 and _results(DELIVER).count() == 1, "written in the transaction"
            # A worker looking now, while the transaction is open, finds nothing to run.
            output = worker()
            assert "index_outbox" not in output and "deliver_notification" not in output
            raise Rollback

    assert not DBTaskResult.objects.exists()
    assert not OutboxEntry.objects.exists()
    dossier.refresh_from_db()
    assert dossier.state.code == "draft"
    output = worker()
    assert "index_outbox" not in output and "deliver_notification" not in output
    assert not Notification.objects.exists()
    assert not list(worker.mail_dir.iterdir())


def test_one_indexing_task_per_transaction_and_a_rolled_back_savepoint_takes_its_own(worker, settings):
    _data(settings)
    with transaction.atomic():
        with pytest.raises(Rollback):
            with transaction.atomic():
                outbox.enqueue("dossier", 1)
                assert _results(INDEX).count() == 1
                raise Rollback
        assert _results(INDEX).count() == 0, "the task row went with the savepoint"
        outbox.enqueue("dossier", 2)
        outbox.enqueue("dossier", 3)
    assert _results(INDEX).count() == 1, "enqueued again after the savepoint, and once for the transaction"
    assert sorted(OutboxEntry.objects.values_list("object_id", flat=True)) == ["2", "3"]
    worker()
    (result,) = _results(INDEX)
    assert result.status == "SUCCESSFUL"
    assert not OutboxEntry.objects.exists()


def test_a_failing_task_is_recorded_and_retried_and_the_outbox_keeps_the_rows(worker, settings):
    dossier = _data(settings)
    dossier_transition(dossier=dossier, transition="submit", user=user("liaocheng.applicant"))

    worker(ELASTICSEARCH_URL=f"http://127.0.0.1:{_closed_port()}")  # nothing listens there: the engine is down

    (failed,) = _results(INDEX).filter(status="FAILED")
    assert failed.exception_class_path == "search.tasks.OutboxNotIndexed"
    assert "OutboxNotIndexed" in failed.traceback
    (retry,) = _results(INDEX).filter(status="READY")
    assert retry.run_after > timezone.now(), "one retry, deferred"
    (row,) = OutboxEntry.objects.all()
    assert row.object_id == str(dossier.pk) and row.attempts >= 1 and row.last_error
    assert _results(DELIVER).get().status == "SUCCESSFUL", "mail did not wait for the engine"

    # The engine is back; the retry is due.
    _results(INDEX).filter(pk=retry.pk).update(run_after=timezone.now())
    worker()
    assert _results(INDEX).get(pk=retry.pk).status == "SUCCESSFUL"
    assert not OutboxEntry.objects.exists()
    found = service.search_staff(user("admin"), dossier.reference)
    assert [h.key for h in found.hits] == [str(dossier.pk)]


def test_run_daily_enqueues_every_daily_job_and_the_worker_runs_them(worker, settings):
    _data(settings)
    call_command("run_daily", stdout=io.StringIO())
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {
        "casefiles.tasks.card_daily",
        "casefiles.tasks.remind_opinion_requests",
        "programmes.tasks.programme_daily",
        "delivery.tasks.remind_overdue_service_requests",
        INDEX,
    }
    assert not DBTaskResult.objects.exclude(status="READY").exists(), "the command only enqueued them"
    worker()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.get(task_path="casefiles.tasks.card_daily").return_value.keys() >= {"expired"}

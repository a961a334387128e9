"""Jobs a person waits for, on a real worker (a `manage.py db_worker` process, PostgreSQL; tests/worker/test_worker.py).

The request that asks for a batch's print file, or publishes an exit announcement, answers with the job queued and
no file: the renderer has not run. The worker process renders and stores the file; the next request downloads it.
A job that fails in the worker is recorded as failed on the job (in Chinese) and on its task result.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import BackgroundJob, JobKind, JobStatus, ProductionBatch, ProductionItem, RevocationReason
from casefiles.services import cards as card_services
from policypages.announcements import ExitAnnouncementPage
from tests.worker.test_worker import DATABASE_TASKS, worker  # noqa: F401 (the fixture)

RUN_JOB = "casefiles.tasks.run_job"

pytestmark = pytest.mark.django_db(transaction=True)


def _text(content):
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def chuxiong(worker):  # noqa: F811
    """The 楚雄 scheme, its users and three issued cards, made with the immediate backend as any test makes them."""
    (scheme,) = prepare_schemes(["chuxiong"])
    cards = [issue_card("chuxiong", applicant_name=name) for name in ("赵子涵", "钱明远", "孙丽")]
    return scheme, cards


def test_the_request_queues_the_print_file_and_the_worker_makes_it(worker, chuxiong, settings, client):  # noqa: F811
    scheme, cards = chuxiong
    bank = get_user_model().objects.get(username="chuxiong.bank")
    batch = ProductionBatch.objects.create(scheme=scheme, number="WORKER-1", created_by=bank)
    for card in cards:
        ProductionItem.objects.create(batch=batch, dossier=card.dossier, card=card)
    settings.TASKS = DATABASE_TASKS  # from here on, tasks are rows for the worker
    url = f"/cards/batches/{batch.pk}/certificates.pdf"
    client.force_login(bank)

    response = client.post(url)

    # The request is over and nothing was rendered: a queued job without a file, and its task row waiting.
    assert response.status_code == 302
    (job,) = BackgroundJob.objects.filter(kind=JobKind.BATCH_CERTIFICATES, object_id=batch.pk)
    assert job.status == JobStatus.QUEUED and not job.file and job.started_at is None
    (task,) = DBTaskResult.objects.filter(task_path=RUN_JOB)
    assert task.status == "READY" and task.args_kwargs["kwargs"] == {"job_id": job.pk}
    page = client.get(url).content.decode()
    assert f'data-job="{job.pk}" data-status="queued"' in page and 'http-equiv="refresh"' in page
    assert client.get(url, {"job": job.pk}).status_code == 404, "nothing to download yet"

    output = worker()

    assert RUN_JOB in output
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.done, job.total) == (3, 3) and job.started_at and job.finished_at
    page = client.get(url).content.decode()
    assert f'data-job="{job.pk}" data-status="done"' in page and 'http-equiv="refresh"' not in page
    response = client.get(url, {"job": job.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 3
    text = _text(response.content)
    assert all(card.number in text for card in cards) and "赵子涵" in text


def test_publishing_an_announcement_queues_its_pdf_and_the_worker_makes_it(worker, chuxiong, settings, client):  # noqa: F811
    from policypages import services as page_services
    from policypages.demo import ensure_home_page
    from policypages.testing import ensure_wagtail_root

    scheme, cards = chuxiong
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    reason = RevocationReason.objects.filter(scheme=scheme).first()
    card_services.card_revoke(card=cards[0], reason=reason, user=office, comment="按规定退出。")
    ensure_wagtail_root()
    year = datetime.date.today().year
    page = ExitAnnouncementPage(title=f"{year}年度退出情况公告", slug="exits-worker", scheme=scheme, year=year,
                                issuing_body="中共楚雄州委人才工作领导小组办公室", document_number=f"楚人才办〔{year}〕9号",
                                issued_on=datetime.date(year, 12, 1), intro="现予公告。", live=False)
    page_services.notice_index_ensure(section=ensure_home_page()).add_child(instance=page)
    settings.TASKS = DATABASE_TASKS
    revision = page.save_revision()
    storages["private"].delete(f"announcements/{page.pk}-{revision.pk}.pdf")

    revision.publish()

    page.refresh_from_db()
    (job,) = BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT, object_id=page.pk)
    assert job.status == JobStatus.QUEUED and job.key == str(revision.pk)
    assert DBTaskResult.objects.get(task_path=RUN_JOB).status == "READY"
    response = client.get(page.url + "pdf/")
    assert response.status_code == 202 and 'data-job-status="queued"' in response.content.decode()
    assert BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT).count() == 1, "the visitor added no job"

    worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result == {"rows": 1}
    response = client.get(page.url + "pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "赵*涵" in text and "赵子涵" not in text and cards[0].number in text


def test_a_job_failing_in_the_worker_is_recorded_on_the_job_and_the_task(worker, chuxiong, settings):  # noqa: F811
    from casefiles.services.jobs import job_enqueue

    scheme, _cards = chuxiong
    bank = get_user_model().objects.get(username="chuxiong.bank")
    settings.TASKS = DATABASE_TASKS
    job = job_enqueue(kind=JobKind.BATCH_CERTIFICATES, user=bank, scheme=scheme, object_id=987654321)  # no such batch

    worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "生成失败" in job.error and "DoesNotExist" in job.error
    task = DBTaskResult.objects.get(task_path=RUN_JOB)
    assert task.status == "FAILED" and "DoesNotExist" in task.traceback


def test_a_rule_edited_in_the_admin_queues_the_grants_and_the_worker_moves_them(
    worker, chuxiong, settings, client  # noqa: F811
):
    import json

    from django.urls import reverse

    from casefiles.permissions import current_grants, desired_grants

    scheme, cards = chuxiong
    state = cards[0].dossier.state
    newcomer = next(code for code in sorted(scheme.departments.values_list("code", flat=True))
                    if code != state.actor and code not in (state.view or []))
    admin = get_user_model().objects.create_superuser("jobs-admin", "jobs@example.org", "pw-123-secure")
    client.force_login(admin)
    settings.TASKS = DATABASE_TASKS
    post = {
        "scheme": scheme.pk, "code": state.code, "name": state.name, "kind": state.kind, "actor": state.actor,
        "article": state.article, "time_limit_working_days": state.time_limit_working_days or "",
        "view": json.dumps([*(state.view or []), newcomer]), "order": state.order,
    }

    response = client.post(reverse("workflow_states:edit", args=[state.pk]), post)

    assert response.status_code == 302, response.content.decode()[:2000]
    state.refresh_from_db()
    assert newcomer in state.view
    held = list(state.dossiers.all())
    (job,) = BackgroundJob.objects.filter(kind=JobKind.GRANTS_RECOMPUTE)
    assert job.status == JobStatus.QUEUED and job.total == len(held) >= 3
    assert all(current_grants(d) != desired_grants(d) for d in held), "the request did not recompute"
    assert 'data-status="queued"' in client.get(reverse("casefiles_background_jobs")).content.decode()

    worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.done == job.total and job.result["dossiers"] == len(held)
    assert all(current_grants(d) == desired_grants(d) for d in state.dossiers.all())
    assert 'data-status="done"' in client.get(reverse("casefiles_background_jobs")).content.decode()

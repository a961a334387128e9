"""Background jobs (casefiles/services/jobs.py) with the immediate backend: a failure is recorded on the job in the
site's language and shown on the status page, a job runs once, and a batch with nothing to print queues nothing.
The worker process itself: tests/worker/test_jobs_worker.py."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext

from casefiles.demo_cards import prepare_schemes
from casefiles.models import BackgroundJob, JobKind, JobStatus, ProductionBatch, Scheme
from casefiles.services.jobs import job_enqueue, job_run

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def empty_batch(db):
    prepare_schemes(["chuxiong"])
    bank = get_user_model().objects.get(username="chuxiong.bank")
    scheme = Scheme.objects.get(slug="chuxiong")
    batch = ProductionBatch.objects.create(scheme=scheme, number="JOB-TEST-1", created_by=bank)
    return bank, batch


def _enqueue(capture, **kwargs):
    with capture(execute=True) as callbacks:
        job = job_enqueue(kind=JobKind.BATCH_CERTIFICATES, **kwargs)
    assert len(callbacks) == 1, "one task, enqueued on commit"
    job.refresh_from_db()
    return job


def test_a_failed_job_keeps_a_message_in_the_site_language_and_the_page_shows_it(
    client, empty_batch, django_capture_on_commit_callbacks
):
    bank, batch = empty_batch
    nothing = _enqueue(django_capture_on_commit_callbacks, user=bank, scheme=batch.scheme, object_id=batch.pk,
                       label=batch.number)
    with translation.override("zh-hans"):
        expected = gettext("No card of this batch has been issued yet.")
    assert expected != "No card of this batch has been issued yet.", "the catalogue translates it"
    assert nothing.status == JobStatus.FAILED and nothing.error == expected and nothing.finished_at
    assert not nothing.file

    # an unexpected error (the batch is gone): only the kind of error, in Chinese, never the data
    gone = _enqueue(django_capture_on_commit_callbacks, user=bank, scheme=batch.scheme, object_id=batch.pk + 10_000)
    assert gone.status == JobStatus.FAILED
    assert "DoesNotExist" in gone.error and "生成失败" in gone.error

    client.force_login(bank)
    page = client.get(f"/cards/batches/{batch.pk}/certificates.pdf").content.decode()
    assert f'data-job="{nothing.pk}" data-status="failed"' in page and expected in page
    assert "失败" in page
    assert client.get(f"/cards/batches/{batch.pk}/certificates.pdf", {"job": nothing.pk}).status_code == 404


def test_a_job_runs_once(empty_batch):
    bank, batch = empty_batch
    job = BackgroundJob.objects.create(kind=JobKind.BATCH_CERTIFICATES, requested_by=bank, object_id=batch.pk,
                                       status=JobStatus.DONE)
    assert job_run(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and not job.error, "a finished job is not run again"


def test_asking_for_the_print_file_of_a_batch_without_cards_queues_nothing(client, empty_batch):
    bank, batch = empty_batch
    client.force_login(bank)
    assert client.post(f"/cards/batches/{batch.pk}/certificates.pdf").status_code == 404
    assert not BackgroundJob.objects.exists()
    stranger = get_user_model().objects.create_user("job-stranger")
    client.force_login(stranger)
    assert client.post(f"/cards/batches/{batch.pk}/certificates.pdf").status_code == 404
    assert not BackgroundJob.objects.exists()

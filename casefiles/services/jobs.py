"""Background jobs (casefiles/models/jobs.py): asked for in a request, run by the worker.

:func:`job_enqueue` writes the job row and its task row in the caller's transaction and returns at once; the
request answers "being made" and the person follows the job on a status page. :func:`job_run` (the task
``casefiles.tasks.run_job``) marks the job running, calls the runner of its kind and stores the file or the counts;
a runner that fails leaves the job failed with a message in the site's language (never personal data: a
:class:`~casefiles.exceptions.CaseFileError`'s own message, else only the kind of error) and the task failed with
its traceback for the operators.
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huicai.background import enqueue_with_transaction

from ..exceptions import CaseFileError
from ..models import BackgroundJob, JobKind, JobStatus

logger = logging.getLogger(__name__)


def job_enqueue(*, kind, user=None, scheme=None, object_id=None, key="", label="", params=None, total=0):
    """A queued job and its task, committed together (or not at all) with the caller's transaction."""
    from ..tasks import run_job

    with transaction.atomic():
        job = BackgroundJob.objects.create(kind=kind, requested_by=user, scheme=scheme, object_id=object_id, key=key,
                                           label=label[:200], params=params or {}, total=total)
        enqueue_with_transaction(run_job, job_id=job.pk)
    return job


def grants_recompute_enqueue(scheme, states, *, user=None):
    """Queue the recomputation of the grants of ``scheme``'s dossiers in the state codes ``states`` after their
    ``view`` or ``actor`` changed (casefiles/services/grants.py), in the caller's transaction: the rule and the job
    commit together. Until the worker has run, those dossiers keep the grants of the old rule. Returns the job, or
    None when no dossier is in those states."""
    from ..models import Dossier

    states = sorted(states)
    count = Dossier.objects.filter(scheme=scheme, state__scheme=scheme, state__code__in=states).count()
    if not count:
        return None
    return job_enqueue(kind=JobKind.GRANTS_RECOMPUTE, user=user, scheme=scheme, label=scheme.name,
                       params={"states": states}, total=count)


def job_progress(job, done, total):
    BackgroundJob.objects.filter(pk=job.pk).update(done=done, total=total)
    job.done, job.total = done, total


def _batch_certificates(job):
    """The print file of a production batch: the certificates of the cards its requester may print, one a page."""
    from .. import pdf
    from ..models import ProductionBatch
    from ..selectors_cards import batch_certificate_cards

    batch = ProductionBatch.objects.select_related("scheme").get(pk=job.object_id)
    cards = list(batch_certificate_cards(job.requested_by, batch).select_related("scheme", "tier").order_by("number"))
    if not cards:
        raise CaseFileError(_("No card of this batch has been issued yet."), code="batch")
    job_progress(job, 0, len(cards))
    content = pdf.certificates_pdf(cards)
    job_progress(job, len(cards), len(cards))
    return f"certificates-{batch.number}.pdf", content, {"cards": len(cards)}


def _exit_announcement(job):
    """The PDF of a published exit announcement, kept where the page serves it from (one per live revision)."""
    from policypages.announcements import ExitAnnouncementPage

    page = ExitAnnouncementPage.objects.get(pk=job.object_id)
    if not page.live:
        raise CaseFileError(_("The announcement is not published."), code="announcement")
    job_progress(job, 0, len(page.rows))
    page.store_pdf()  # the live revision's, also when a newer one was published since the job was asked for
    job_progress(job, len(page.rows), len(page.rows))
    return None, None, {"rows": len(page.rows)}


def _grants_recompute(job):
    from ..models import Scheme
    from .grants import scheme_grants_recompute

    scheme = Scheme.objects.get(pk=job.scheme_id)
    result = scheme_grants_recompute(scheme, states=job.params.get("states"),
                                     progress=lambda done, total: job_progress(job, done, total))
    return None, None, {"dossiers": result.dossiers, "added": result.added, "removed": result.removed}


RUNNERS = {
    JobKind.BATCH_CERTIFICATES: _batch_certificates,
    JobKind.EXIT_ANNOUNCEMENT: _exit_announcement,
    JobKind.GRANTS_RECOMPUTE: _grants_recompute,
}


def job_run(job_id):
    """Run one job (the worker calls this through ``run_job``). A job that is no longer queued (run already, or
    deleted) is left alone. Returns the job's result; re-raises a runner's error after recording it."""
    claimed = BackgroundJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = BackgroundJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        with translation.override(settings.LANGUAGE_CODE):  # documents and messages in the site's language
            filename, content, result = RUNNERS[job.kind](job)
    except Exception as error:
        with translation.override(settings.LANGUAGE_CODE):
            if isinstance(error, CaseFileError):
                message = str(error)
            else:
                message = _("It could not be made (%(error)s). Try again; if it fails again, tell the administrator.")
                message %= {"error": type(error).__name__}
        BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message,
                                                       finished_at=timezone.now())
        logger.exception("background job %s (%s) failed", job.pk, job.kind)
        raise
    if content is not None:
        job.file.save(filename, ContentFile(content), save=False)
    job.status, job.result, job.finished_at = JobStatus.DONE, result or {}, timezone.now()
    job.save(update_fields=["file", "status", "result", "finished_at"])
    return job.result

"""Background jobs a person waits for: a production batch's print file, an exit announcement's PDF, the grants of
many dossiers after a rule change.

The request writes a row here and enqueues the task (huicai/background.py) in the same transaction, then answers at
once; the worker (``manage.py db_worker``) runs casefiles/tasks.py ``run_job``, which moves the row through
queued → running → done or failed, with progress and the finished file (private storage). The status pages read
these rows; the task result rows of django-tasks-db stay the operators' record (tracebacks).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cards import private_storage
from .schemes import Scheme


class JobKind(models.TextChoices):
    BATCH_CERTIFICATES = "batch_certificates", _("Certificates of a production batch")
    EXIT_ANNOUNCEMENT = "exit_announcement", _("Exit announcement PDF")
    GRANTS_RECOMPUTE = "grants_recompute", _("Access after a rule change")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Completed")
    FAILED = "failed", _("Failed")


class BackgroundJob(models.Model):
    kind = models.CharField(_("kind"), max_length=40, choices=JobKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    # The object the job is about (a production batch, an announcement page), by kind; and what makes two jobs of
    # it the same (an announcement's revision).
    object_id = models.PositiveBigIntegerField(_("object"), null=True, blank=True)
    key = models.CharField(_("key"), max_length=100, blank=True)
    label = models.CharField(_("title"), max_length=200, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    file = models.FileField(_("file"), storage=private_storage, upload_to="jobs/%Y/", blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "object_id", "-created_at"], name="casefiles_job_object")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.label}".strip()

    @property
    def pending(self):
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

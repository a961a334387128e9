"""The indexing outbox: every change that must reach the search index writes a row here in the same
database transaction as the change itself; a worker drains the rows in bulk (search/outbox.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEntry(models.Model):
    kind = models.CharField(_("kind"), max_length=30)  # dossier | policy | page | card
    object_id = models.CharField(_("object id"), max_length=60)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("indexing outbox entry")
        verbose_name_plural = _("indexing outbox")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.kind}:{self.object_id}"

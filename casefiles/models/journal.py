"""The journal (audit log): append-only, each entry chained to the previous one by hash."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JournalEntry(models.Model):
    action = models.CharField(_("action"), max_length=80, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "casefiles.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.ForeignKey(
        "casefiles.Dossier", verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="journal"
    )
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=60, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["pk"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def compute_hash(self):
        payload = json.dumps(
            {
                "previous": self.previous_hash,
                "action": self.action,
                "actor": self.actor_id,
                "department": self.department_id,
                "dossier": self.dossier_id,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "data": self.data,
                "time": self.created_at.isoformat(),
            },
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Journal entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Journal entries are append-only.")


class JournalHead(models.Model):
    """One row holding the newest hash; locking it serialises appends so the chain never forks."""

    last_hash = models.CharField(max_length=64, blank=True)

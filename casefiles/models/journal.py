"""The journal (audit log): append-only, each entry chained by hash to the previous entry of its chain.

There is one chain per jurisdiction (the dossier's scheme's, else the acting department's) and a ``site`` chain
for entries that belong to no jurisdiction (site-wide administration). Appends to different chains never wait for
each other; appends to one chain are serialised by locking that chain's :class:`JournalHead`. Entries written
before issue #21 stay in the single chain they were written in, ``global``, hashed exactly as they were.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LEGACY_CHAIN = "global"  # the single chain of every entry written before issue #21
SITE_CHAIN = "site"  # entries of no jurisdiction


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
    chain = models.CharField(_("chain"), max_length=40, default="global")
    position = models.PositiveBigIntegerField(_("position in chain"), null=True, blank=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["pk"]
        default_permissions = ("view",)
        constraints = [
            # A chain never forks: two appends that both read the same head could not both commit.
            models.UniqueConstraint(fields=["chain", "position"], name="journal_entry_unique_chain_position"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def compute_hash(self):
        fields = {
            "previous": self.previous_hash,
            "action": self.action,
            "actor": self.actor_id,
            "department": self.department_id,
            "dossier": self.dossier_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "time": self.created_at.isoformat(),
        }
        if self.chain != LEGACY_CHAIN:
            # Entries of the per-jurisdiction chains also hash their chain and place in it; the ``global`` chain's
            # entries (before issue #21) hash what they always hashed.
            fields["chain"], fields["position"] = self.chain, self.position
        payload = json.dumps(
            fields,
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
    """One row per chain holding its newest hash and position; locking it serialises appends to that chain only."""

    chain = models.CharField(max_length=40, unique=True)
    last_hash = models.CharField(max_length=64, blank=True)
    last_position = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.chain} @{self.last_position}"

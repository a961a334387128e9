"""Cards (人才卡) issued from approved dossiers, their lifecycle and the records kept around them.

Every lifecycle change is a :class:`CardEvent` row with the article of the policy it applies, written by
``casefiles.services.cards`` together with the journal entry.
"""

import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from .dossiers import Dossier
from .organisations import Department
from .schemes import Scheme, Tier


def private_storage():
    return storages["private"]


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    REPLACED = "replaced", _("Replaced")
    CONTACT_LIST = "contact_list", _("Moved to the contact list")


def new_verification_token():
    return secrets.token_urlsafe(32)


class Card(models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="cards")
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="cards")
    number = models.CharField(_("card number"), max_length=40, unique=True)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="cards")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="cards")
    holder_name = models.CharField(_("holder name"), max_length=100)
    employer = models.ForeignKey(
        Department, verbose_name=_("employer"), null=True, blank=True, on_delete=models.PROTECT, related_name="employee_cards"
    )
    contract_end = models.DateField(_("employment contract ends"), null=True, blank=True)
    particulars = models.JSONField(_("particulars reported since issuance"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    verification_token = models.CharField(_("verification token"), max_length=64, unique=True, default=new_verification_token)
    replaces = models.OneToOneField(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    produced_at = models.DateTimeField(_("produced by the bank"), null=True, blank=True)
    handed_out_at = models.DateTimeField(_("handed out"), null=True, blank=True)
    lost_reported_at = models.DateTimeField(_("loss reported"), null=True, blank=True)
    services_end_on = models.DateField(
        _("talent services end on"), null=True, blank=True,
        help_text=_("Baiyun contact list: talent services end from the first day of the next month."),
    )
    bank_services = models.BooleanField(_("bank services active"), default=True)
    retired_on = models.DateField(
        _("retired on"), null=True, blank=True, help_text=_("Baiyun: a retired holder keeps the card to the end of its period.")
    )
    priority_reapplication = models.BooleanField(_("priority on re-application"), default=False)
    reminders_sent = models.JSONField(_("expiry reminders sent (days ahead)"), default=list, blank=True)
    ended_at = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.ForeignKey(
        "casefiles.RevocationReason", verbose_name=_("exit reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="card_status_valid_until"),
            models.Index(fields=["scheme", "status"], name="card_scheme_status"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_valid(self):
        return self.status == CardStatus.ACTIVE


class CardEventKind(models.TextChoices):
    ISSUE = "issue", _("Issued")
    RENEW = "renew", _("Renewed")
    REMIND = "remind", _("Expiry reminder sent")
    EXPIRE = "expire", _("Expired")
    REPORT_LOSS = "report_loss", _("Loss reported")
    REISSUE = "reissue", _("Reissued")
    PARTICULARS = "particulars", _("Change of particulars reported")
    REQUEST_REVOCATION = "request_revocation", _("Revocation requested")
    DECLINE_REVOCATION = "decline_revocation", _("Revocation request declined")
    REVOKE = "revoke", _("Revoked")
    RECALL = "recall", _("Recalled")
    CONTACT_LIST = "contact_list", _("Moved to the contact list")
    REINSTATE = "reinstate", _("Reinstated")
    TERMINATE_ALL = "terminate_all", _("All services terminated, bank services included")
    KEEP_UNTIL_END = "keep_until_end", _("Retired: keeps the card to the end of its period")
    ASSESS = "assess", _("Assessment recorded")
    PRODUCE = "produce", _("Produced by the bank")
    HAND_OUT = "hand_out", _("Handed out")


class CardEvent(models.Model):
    """One step in a card's life, with the article it applies (the card's history)."""

    card = models.ForeignKey(Card, verbose_name=_("card"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=CardEventKind.choices)
    article = models.CharField(_("article"), max_length=100, blank=True)
    reason = models.ForeignKey(
        "casefiles.RevocationReason", verbose_name=_("reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acting_as = models.CharField(_("acting as"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    effective_on = models.DateField(_("effective on"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("card event")
        verbose_name_plural = _("card events")
        ordering = ["card", "created_at", "pk"]
        indexes = [models.Index(fields=["kind", "effective_on"], name="cardevent_kind_effective")]

    def __str__(self):
        return f"{self.card} · {self.get_kind_display()}"


class RevocationRequestStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREED = "agreed", _("Agreed")
    DECLINED = "declined", _("Declined")


class RevocationRequest(models.Model):
    """A holder's or employer's request to end a card (聊城 第三十四条: the employer proposes, the HR bureau
    agrees, the card is recalled)."""

    card = models.ForeignKey(Card, verbose_name=_("card"), on_delete=models.CASCADE, related_name="revocation_requests")
    reason = models.ForeignKey("casefiles.RevocationReason", verbose_name=_("reason"), on_delete=models.PROTECT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_as = models.CharField(_("requested as"), max_length=30)
    comment = models.TextField(_("comment"))
    status = models.CharField(
        _("status"), max_length=20, choices=RevocationRequestStatus.choices, default=RevocationRequestStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("revocation request")
        verbose_name_plural = _("revocation requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.card} · {self.reason.article}"


class AssessmentResult(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    COMPETENT = "competent", _("Competent")
    BASIC = "basic", _("Basically competent")
    INCOMPETENT = "incompetent", _("Not competent")


class Assessment(models.Model):
    """白云 第六条: the employer assesses each holder every two years and reports to the competent authority."""

    card = models.ForeignKey(Card, verbose_name=_("card"), on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    result = models.CharField(_("result"), max_length=20, choices=AssessmentResult.choices)
    summary = models.TextField(_("performance and ability"), blank=True)
    employer = models.ForeignKey(Department, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["card", "-assessed_on"]

    def __str__(self):
        return f"{self.card} · {self.assessed_on}"


class ProductionBatch(models.Model):
    """A list of approved holders handed to the partner bank for card production (楚雄 第四条（三）, 白云 第五条)."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="production_batches")
    number = models.CharField(_("batch number"), max_length=40, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)

    class Meta:
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.number


class ProductionItem(models.Model):
    batch = models.ForeignKey(ProductionBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="items")
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="production_items")
    card = models.ForeignKey(
        Card, verbose_name=_("card"), null=True, blank=True, on_delete=models.PROTECT, related_name="production_items"
    )
    produced_at = models.DateTimeField(_("produced"), null=True, blank=True)

    class Meta:
        verbose_name = _("production item")
        verbose_name_plural = _("production items")
        ordering = ["batch", "pk"]

    def __str__(self):
        return f"{self.batch} · {self.dossier}"


class ExitCandidateStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")
    TO_CONFIRM = "to_confirm", _("To confirm (a fact the rule needs is unknown)")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class ExitCandidate(models.Model):
    """A holder the daily job found to meet an automatic exit rule; a reviewer confirms or dismisses it."""

    card = models.ForeignKey(Card, verbose_name=_("card"), on_delete=models.CASCADE, related_name="exit_candidates")
    reason = models.ForeignKey("casefiles.RevocationReason", verbose_name=_("reason"), on_delete=models.PROTECT)
    detected_on = models.DateField(_("detected on"))
    status = models.CharField(_("status"), max_length=20, choices=ExitCandidateStatus.choices, default=ExitCandidateStatus.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("exit candidate")
        verbose_name_plural = _("exit candidates")
        ordering = ["detected_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["card", "reason"], name="exit_candidate_unique")]

    def __str__(self):
        return f"{self.card} · {self.reason.article}"


class PublicNotice(models.Model):
    """A published list of candidates with an objection period (楚雄 第四条（三）)."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="public_notices")
    number = models.CharField(_("document number"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens on"))
    working_days = models.PositiveSmallIntegerField(_("notice period (working days)"))
    closes_on = models.DateField(_("closes on"))
    how_to_object = models.TextField(_("how to object"))
    dossiers = models.ManyToManyField(Dossier, verbose_name=_("candidates"), related_name="public_notices")
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="notices/%Y/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-opens_on", "-pk"]

    def __str__(self):
        return self.title


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class NoticeObjection(models.Model):
    notice = models.ForeignKey(PublicNotice, verbose_name=_("public notice"), on_delete=models.CASCADE, related_name="objections")
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="objections")
    objector = models.CharField(_("objector"), max_length=100, blank=True, help_text=_("May be anonymous."))
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    content = models.TextField(_("objection"))
    received_on = models.DateField(_("received on"))
    phone = models.CharField(_("phone"), max_length=30, blank=True, help_text=_("Kept private: never shown in public."))
    source = models.CharField(
        _("received through"), max_length=20, choices=[("officer", _("Recorded by an officer")), ("public", _("Public notice page"))],
        default="officer",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["notice", "received_on", "pk"]

    def __str__(self):
        return f"{self.dossier} · {self.get_status_display()}"

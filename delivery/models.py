"""A holder's request for a service of their card, and the responsible unit's work order for it.

The states are the product's lifecycle of a work order (requested → accepted → completed, with
material requested and refusal on the way), the same for every scheme; what a scheme decides (which
unit, which time limit, which article) is copied onto the request from the scheme's data when it is made.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casefiles.models import TimeLimitUnit


class ServiceRequestState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    MATERIAL_REQUESTED = "material_requested", _("Material requested")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused")


OPEN_STATES = (ServiceRequestState.REQUESTED, ServiceRequestState.ACCEPTED, ServiceRequestState.MATERIAL_REQUESTED)


class ServiceRequest(models.Model):
    scheme = models.ForeignKey(
        "casefiles.Scheme", verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="service_requests"
    )
    card = models.ForeignKey(
        "casefiles.Card", verbose_name=_("card"), on_delete=models.PROTECT, related_name="service_requests"
    )
    service = models.ForeignKey(
        "casefiles.ServiceItem", verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests"
    )
    unit = models.ForeignKey(
        "casefiles.Department",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    through_employer = models.BooleanField(_("requested through the employer"), default=False)
    detail = models.TextField(_("holder's note"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ServiceRequestState.choices, default=ServiceRequestState.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    time_limit_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    # The limit in its own unit (聊城 第十三条: 1 month); ``time_limit_working_days`` keeps a working-day limit too.
    time_limit_amount = models.PositiveSmallIntegerField(_("time limit"), null=True, blank=True)
    time_limit_unit = models.CharField(
        _("time limit unit"), max_length=20, choices=TimeLimitUnit.choices, blank=True, default="", db_default=""
    )
    limit_is_setting = models.BooleanField(
        _("time limit is an administrative setting"),
        default=False,
        help_text=_("The policy names no time limit; the limit is set by the programme office."),
    )
    limit_article = models.CharField(_("time limit article"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    working_days_taken = models.PositiveSmallIntegerField(_("working days taken"), null=True, blank=True)
    on_time = models.BooleanField(_("completed on time"), null=True, blank=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    refusal_article = models.CharField(_("refusal article"), max_length=100, blank=True)
    material_note = models.TextField(_("material requested"), blank=True)
    overdue_reminded_on = models.DateField(_("overdue reminder sent on"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    feedback = models.ForeignKey(
        "programmes.Feedback",
        verbose_name=_("feedback"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state", "-requested_at", "-id"], name="servicerequest_unit_queue"),
            models.Index(fields=["scheme", "unit", "completed_at"], name="servicerequest_report"),
            models.Index(fields=["card", "-requested_at"], name="servicerequest_card"),
        ]

    def __str__(self):
        return f"{self.service.title} · {self.card.holder_name}"

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def time_limit(self):
        """``(amount, unit)`` copied when the request was made, or None (requests made before the unit was stored
        have their working days only)."""
        if self.time_limit_amount and self.time_limit_unit:
            return self.time_limit_amount, self.time_limit_unit
        if self.time_limit_working_days:
            return self.time_limit_working_days, TimeLimitUnit.WORKING_DAYS
        return None

    @property
    def time_limit_text(self):
        """The limit as shown: "1个月", "10个工作日", or empty."""
        from .limits import limit_text

        return limit_text(*self.time_limit) if self.time_limit else ""


class UnitHolder(models.Model):
    """A card holder on a responsible unit's list (Baiyun 第五条（七）: the related units are told at
    issuance), with the date from which services stop once the card has ended."""

    unit = models.ForeignKey(
        "casefiles.Department", verbose_name=_("responsible unit"), on_delete=models.CASCADE, related_name="holders"
    )
    card = models.ForeignKey(
        "casefiles.Card", verbose_name=_("card"), on_delete=models.CASCADE, related_name="unit_listings"
    )
    listed_at = models.DateTimeField(_("listed"), default=timezone.now)
    services_stop_on = models.DateField(_("services stop on"), null=True, blank=True)
    stop_notified_at = models.DateTimeField(_("told services stop"), null=True, blank=True)

    class Meta:
        verbose_name = _("holder on a unit's list")
        verbose_name_plural = _("holders on units' lists")
        ordering = ["unit", "-listed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "card"], name="unitholder_unique_card")]
        indexes = [models.Index(fields=["unit", "-listed_at", "-id"], name="unitholder_unit_list")]

    def __str__(self):
        return f"{self.unit} · {self.card.holder_name}"


class DeliveryLimitSetting(models.Model):
    """The programme office's own time limit for a scheme's services whose policy names none: an administrative
    setting, labelled as such wherever it is shown (a request copies it with ``limit_is_setting``)."""

    scheme = models.OneToOneField(
        "casefiles.Scheme", verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="delivery_limit_setting"
    )
    working_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    note = models.CharField(_("basis of the setting"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("administrative time limit")
        verbose_name_plural = _("administrative time limits")
        ordering = ["scheme"]

    def __str__(self):
        return f"{self.scheme} · {self.working_days}"

"""Running a programme: the joint meeting (联席会议) and its meetings, service commissioners (服务专员), changes
of the service catalogue (服务事项目录动态调整), feedback through the hotline (服务反馈), notification preferences.

Every change is made by ``programmes.services``; these models hold fields and nothing else.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from casefiles.models import Card, Department, Dossier, Scheme, ServiceCategory, ServiceItem, Tier


def private_storage():
    return storages["private"]


# --------------------------------------------------------------------------- joint meeting


class JointMeeting(models.Model):
    """The coordination body of a scheme (通化 第十七–十八条, 楚雄 第八条, 聊城 第三十五条)."""

    scheme = models.OneToOneField(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="joint_meeting")
    name = models.CharField(_("name"), max_length=150)
    article = models.CharField(_("article"), max_length=100, blank=True)
    lead_department = models.ForeignKey(
        Department, verbose_name=_("lead department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    convener = models.CharField(_("convener"), max_length=150, blank=True, help_text=_("Who convenes the meetings."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["scheme__slug"]

    def __str__(self):
        return self.name


class MemberDepartment(models.Model):
    """A member department with its named liaison (联络人: one head of a business section, 通化 第十八条)."""

    joint_meeting = models.ForeignKey(JointMeeting, verbose_name=_("joint meeting"), on_delete=models.CASCADE, related_name="members")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    liaison_name = models.CharField(_("liaison"), max_length=100)
    liaison_title = models.CharField(_("liaison's position"), max_length=100, blank=True)
    liaison_office_phone = models.CharField(_("liaison's office phone"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("member department")
        verbose_name_plural = _("member departments")
        ordering = ["joint_meeting", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["joint_meeting", "department"], name="member_department_unique")]

    def __str__(self):
        return f"{self.department} · {self.liaison_name}"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held, minutes recorded")


class Meeting(models.Model):
    joint_meeting = models.ForeignKey(JointMeeting, verbose_name=_("joint meeting"), on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    attendees = models.ManyToManyField(MemberDepartment, verbose_name=_("attending members"), blank=True, related_name="+")
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_pdf = models.FileField(_("minutes (PDF)"), storage=private_storage, upload_to="minutes/%Y/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("minutes recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("minutes recorded"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return self.title


class AgendaKind(models.TextChoices):
    CASE_BY_CASE = "case_by_case", _("Case-by-case dossier")
    SERVICE_CHANGE = "service_change", _("Service catalogue change")
    OTHER = "other", _("Other matter")


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")
    NOTED = "noted", _("Noted")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=AgendaKind.choices)
    title = models.CharField(_("title"), max_length=200)
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items"
    )
    service_change = models.ForeignKey(
        "programmes.ServiceChangeRequest", verbose_name=_("service catalogue change"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="agenda_items",
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=DecisionOutcome.choices, blank=True)
    decision_text = models.TextField(_("decision text"), blank=True)
    transition = models.CharField(_("workflow action taken"), max_length=60, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]

    def __str__(self):
        return self.title


# --------------------------------------------------------------------------- service commissioners


class CommissionerScope(models.TextChoices):
    DEPARTMENT = "department", _("A department's holders")
    HOLDER = "holder", _("One holder")


class ServiceCommissioner(models.Model):
    """A named one-to-one contact (聊城 第三十八条), published on the portal with the office phone only."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="commissioners")
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(Department, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="commissioners")
    position = models.CharField(_("position"), max_length=100, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=40)
    personal_phone = models.CharField(
        _("personal phone"), max_length=40, blank=True, help_text=_("For internal use; never published.")
    )
    scope = models.CharField(_("serves"), max_length=20, choices=CommissionerScope.choices, default=CommissionerScope.DEPARTMENT)
    served_department = models.ForeignKey(
        Department, verbose_name=_("served department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Employer or unit whose holders this commissioner serves."),
    )
    holder_card = models.ForeignKey(
        Card, verbose_name=_("holder's card"), null=True, blank=True, on_delete=models.PROTECT, related_name="commissioners"
    )
    published = models.BooleanField(_("published on the portal"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service commissioner")
        verbose_name_plural = _("service commissioners")
        ordering = ["scheme", "order", "pk"]

    def __str__(self):
        return f"{self.name} · {self.unit}"


# --------------------------------------------------------------------------- service catalogue changes


class ChangeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved and announced")
    REJECTED = "rejected", _("Rejected")


class ServiceChangeRequest(models.Model):
    """A proposed addition to (or change of) the service catalogue (聊城 第三十九条): approved by the talent
    office, then written to ``casefiles.ServiceItem`` and announced."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="service_changes")
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("changes service item"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="change_requests", help_text=_("Empty for a new service item."),
    )
    ref = models.CharField(_("id"), max_length=20)
    article = models.CharField(_("article"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=30, choices=ServiceCategory.choices, default=ServiceCategory.OTHER)
    family_scope = models.JSONField(_("family scope"), default=list, blank=True)
    time_limit_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), related_name="+", blank=True)
    responsible_units = models.ManyToManyField(Department, verbose_name=_("responsible units"), related_name="+", blank=True)
    reason = models.TextField(_("reason for the change"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.SUBMITTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    announced_on = models.DateField(_("announced on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service catalogue change")
        verbose_name_plural = _("service catalogue changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.scheme.name} · {self.title}"


# --------------------------------------------------------------------------- feedback


class FeedbackKind(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SubmitterRole(models.TextChoices):
    HOLDER = "holder", _("Cardholder")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class Feedback(models.Model):
    """A question, complaint or suggestion about a service item (通化 第二十条), routed to its responsible unit."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="feedback")
    service_item = models.ForeignKey(ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=20, choices=FeedbackKind.choices)
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="feedback")
    submitted_as = models.CharField(_("submitted as"), max_length=20, choices=SubmitterRole.choices)
    employer = models.ForeignKey(
        Department, verbose_name=_("employer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    text = models.TextField(_("text"))
    unit = models.ForeignKey(Department, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="feedback_queue")
    due_date = models.DateField(_("answer due"), null=True, blank=True)
    deadline_problem = models.CharField(_("deadline problem"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reminded_on = models.DateField(_("due reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["unit", "status", "due_date"], name="feedback_unit_status_due")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.service_item.title}"


# --------------------------------------------------------------------------- notifications


class NotificationFamily(models.TextChoices):
    DOSSIER = "dossier", _("Application steps and returns")
    DEADLINE = "deadline", _("Deadlines approaching")
    CARD = "card", _("Cards and expiry reminders")
    FEEDBACK = "feedback", _("Feedback")
    PROGRAMME = "programme", _("Meetings and service catalogue")


class NotificationPreference(models.Model):
    """Whether a person wants e-mail for one family of events; the in-app inbox always gets the message."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notification_preferences"
    )
    family = models.CharField(_("events"), max_length=20, choices=NotificationFamily.choices)
    email = models.BooleanField(_("send e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "family"]
        constraints = [models.UniqueConstraint(fields=["user", "family"], name="notification_preference_unique")]

    def __str__(self):
        return f"{self.user} · {self.family} · {'e-mail' if self.email else 'inbox only'}"


class DeadlineReminder(models.Model):
    """One reminder per dossier stage and due date, so the daily job never repeats itself."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="+")
    state_code = models.CharField(_("stage"), max_length=40)
    due_date = models.DateField(_("due date"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["dossier", "state_code", "due_date"], name="deadline_reminder_unique")]

    def __str__(self):
        return f"{self.dossier} · {self.state_code} · {self.due_date}"

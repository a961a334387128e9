"""Application dossiers (申请档案), the opinions recorded on them, their attachments and permissions."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .organisations import Department
from .schemes import Criterion, Scheme, Tier, WorkflowState


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_TAIWAN = "hmt_permit", _("Hong Kong, Macao or Taiwan permit")
    FOREIGNER_PR = "foreigner_pr", _("Foreigner's permanent residence card")


class Dossier(models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="dossiers")
    reference = models.CharField(_("reference number"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant account"), on_delete=models.PROTECT, related_name="dossiers"
    )
    employer = models.ForeignKey(
        Department,
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employee_dossiers",
        limit_choices_to={"kind": "employer"},
    )
    authority = models.ForeignKey(
        Department,
        verbose_name=_("competent authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authority_dossiers",
        help_text=_("The competent authority or supervising HR department of the applicant's sector."),
    )
    requested_tier = models.ForeignKey(Tier, verbose_name=_("requested tier"), on_delete=models.PROTECT, related_name="+")
    granted_tier = models.ForeignKey(
        Tier, verbose_name=_("granted tier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    criteria = models.ManyToManyField(Criterion, verbose_name=_("criteria claimed"), blank=True)
    facts = models.JSONField(_("precondition facts"), default=dict, blank=True)
    state = models.ForeignKey(WorkflowState, verbose_name=_("state"), on_delete=models.PROTECT, related_name="dossiers")

    # Identity of the applicant as declared on this application.
    applicant_name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID number"), max_length=40)
    nationality = models.CharField(_("nationality"), max_length=60, default="中国")
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("email"), blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    contract_end = models.DateField(_("employment contract ends"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    state_entered_at = models.DateTimeField(_("entered current state"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    deadline_problem = models.CharField(_("deadline problem"), max_length=200, blank=True)
    missing_items = models.TextField(_("missing items (return for supplement)"), blank=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        permissions = [("act_on_dossier", _("Can act on dossier"))]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year", "sequence"], name="dossier_unique_sequence")
        ]
        indexes = [
            # The worklist order within a state (casefiles.selectors.WORKLIST_ORDER; ascending puts NULL
            # due dates last, as the order does): a page is read off the index, not sorted.
            models.Index(fields=["state", "due_date", "-created_at", "-id"], name="dossier_state_worklist"),
            models.Index(fields=["scheme", "-created_at"], name="dossier_scheme_created"),
        ]

    def __str__(self):
        return self.reference


class DossierUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Dossier, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("dossier user permission")
        verbose_name_plural = _("dossier user permissions")


class DossierGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Dossier, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("dossier group permission")
        verbose_name_plural = _("dossier group permissions")
        indexes = [models.Index(fields=["group", "permission", "content_object"], name="dossier_gperm_lookup")]


class Opinion(models.Model):
    """What a department (or the applicant) decided at one step, with its comment: the timeline."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="opinions")
    transition = models.CharField(_("transition"), max_length=60)
    decision = models.CharField(_("decision"), max_length=60)
    from_state = models.ForeignKey(WorkflowState, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+")
    to_state = models.ForeignKey(WorkflowState, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    article = models.CharField(_("article"), max_length=100, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["dossier", "created_at", "pk"]

    def __str__(self):
        return f"{self.dossier} · {self.decision}"


def private_storage():
    return storages["private"]


#: The material kind every scheme accepts and never requires (其他材料); the others are the scheme's
#: ``MaterialRequirement`` codes.
OTHER_MATERIAL = "other"


class DocumentSide(models.TextChoices):
    """Who brought a document into the dossier."""

    APPLICANT = "applicant", _("Applicant")
    EMPLOYER = "employer", _("Employer")
    DEPARTMENT = "department", _("Department")


class Document(models.Model):
    """A document in the case file (案卷文件): its metadata, and every version ever uploaded (``versions``).

    Withdrawing a document records who, when and why; its versions stay on file and downloadable."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=40, default=OTHER_MATERIAL, help_text=_("A required material's code of the scheme, or other.")
    )
    issuing_body = models.CharField(_("issuing body"), max_length=200, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    side = models.CharField(_("added by side"), max_length=20, choices=DocumentSide.choices, default=DocumentSide.APPLICANT)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["dossier", "added_at", "pk"]

    def __str__(self):
        return self.title


class TextStatus(models.TextChoices):
    PENDING = "pending", _("Text not yet extracted")
    EXTRACTED = "extracted", _("Text extracted")
    FAILED = "failed", _("Text not extracted")


class Attachment(models.Model):
    """One version of a document: the stored file (the table keeps its old name, so downloads and material
    counting read it as before)."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    note = models.TextField(_("reason for this version"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=40, default=OTHER_MATERIAL, help_text=_("A required material's code of the scheme, or other.")
    )
    file = models.FileField(_("file"), storage=private_storage, upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    # Full text for staff search (personal data: never logged, exported or public), filled by the worker.
    text = models.TextField(_("extracted text"), blank=True)
    text_status = models.CharField(_("text"), max_length=20, choices=TextStatus.choices, default=TextStatus.PENDING)
    text_error = models.CharField(_("why the text was not extracted"), max_length=200, blank=True)
    text_attempts = models.PositiveSmallIntegerField(_("extraction attempts"), default=0)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["dossier", "uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="document_version_unique")]

    def __str__(self):
        return self.original_name


class MaterialWaiver(models.Model):
    """Staff excuse a required material for one dossier, with the reason on record."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="material_waivers")
    code = models.CharField(_("material"), max_length=40)
    reason = models.TextField(_("reason"))
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("waived by"), on_delete=models.PROTECT, related_name="+")
    waived_at = models.DateTimeField(_("waived"), auto_now_add=True)

    class Meta:
        verbose_name = _("material waiver")
        verbose_name_plural = _("material waivers")
        ordering = ["dossier", "waived_at"]
        constraints = [models.UniqueConstraint(fields=["dossier", "code"], name="material_waiver_unique")]

    def __str__(self):
        return f"{self.dossier} · {self.code}"


class OpinionRequestStatus(models.TextChoices):
    OPEN = "open", _("Awaiting opinion")
    AGREED = "agreed", _("Agreed")
    OBJECTED = "objected", _("Objected")
    CANCELLED = "cancelled", _("Withdrawn")


class OpinionRequest(models.Model):
    """One department or named expert asked for an opinion on a dossier in one state (会签 / 征求意见 / 专家评审)."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="opinion_requests")
    state = models.ForeignKey(WorkflowState, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("department asked"), null=True, blank=True, on_delete=models.PROTECT, related_name="opinion_requests"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("expert asked"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="expert_requests",
    )
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    article = models.CharField(_("article"), max_length=100, blank=True)
    setting = models.BooleanField(_("deadline is an administrative setting"), default=False)
    requested_at = models.DateTimeField(_("requested"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    deadline_problem = models.CharField(_("deadline problem"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=OpinionRequestStatus.choices, default=OpinionRequestStatus.OPEN)
    comment = models.TextField(_("opinion"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("opinion request")
        verbose_name_plural = _("opinion requests")
        ordering = ["dossier", "requested_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="opinion_request_open_due"),
            models.Index(fields=["department", "status"], name="opinion_request_department"),
        ]

    def __str__(self):
        return f"{self.dossier} · {self.department or self.expert_id}"


class SequenceCounter(models.Model):
    """Last number handed out per scheme, kind and year (dossier references, card numbers)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "kind", "year"], name="sequence_unique")]

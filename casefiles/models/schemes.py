"""A scheme's rules as data: tiers, criteria, preconditions, services, workflow, validity, exits.

Every rule row cites the article of the policy it comes from. The rows are loaded from the versioned
files in ``casefiles/schemes/*.yaml`` and edited afterwards by administrators.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Department, DepartmentKind, Jurisdiction

ARTICLE_HELP = _("Citation in the policy's own numbering, e.g. 第十六条第（六）项.")


class ValidityRule(models.TextChoices):
    CONTRACT_BOUNDED = "contract_bounded", _("Up to the maximum, bounded by the employment contract")
    FIXED_FROM_ISSUANCE = "fixed_from_issuance", _("Fixed period from issuance")
    OPEN_ENDED = "open_ended", _("Open-ended (dynamic management)")
    WHILE_IN_POST = "while_in_post", _("While in post")


class Scheme(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="schemes"
    )
    policy_title = models.CharField(_("policy title"), max_length=200)
    data_version = models.CharField(_("data version"), max_length=40, blank=True)
    reference_format = models.CharField(
        _("reference number format"),
        max_length=100,
        help_text=_("Python format with {year} and {seq}, e.g. 通化英才〔{year}〕{seq:04d}号"),
    )
    card_number_format = models.CharField(_("card number format"), max_length=100)
    case_by_case = models.BooleanField(_("offers case-by-case decisions"), default=False)
    case_by_case_article = models.CharField(_("case-by-case article"), max_length=100, blank=True)
    public_notice_working_days = models.PositiveSmallIntegerField(
        _("public notice period (working days)"), null=True, blank=True
    )
    public_notice_article = models.CharField(_("public notice article"), max_length=100, blank=True)
    announce_exits_yearly = models.BooleanField(_("announces exits yearly"), default=False)
    validity_rule = models.CharField(
        _("validity rule"), max_length=30, choices=ValidityRule.choices, default=ValidityRule.OPEN_ENDED
    )
    validity_max_years = models.PositiveSmallIntegerField(_("maximum validity (years)"), null=True, blank=True)
    validity_article = models.CharField(_("validity article"), max_length=100, blank=True)
    renewal_article = models.CharField(_("renewal article"), max_length=100, blank=True)
    renewal_text = models.TextField(_("renewal rule"), blank=True)
    loss_article = models.CharField(_("loss and reissue article"), max_length=100, blank=True)
    loss_text = models.TextField(_("loss and reissue rule"), blank=True)
    authority_kind = models.CharField(
        _("kind of the dossier's own authority"),
        max_length=30,
        choices=DepartmentKind.choices,
        blank=True,
        help_text=_("Which departments 'authority' stands for in the workflow (by sector)."),
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("departments"), related_name="schemes", blank=True
    )
    four_eyes = models.BooleanField(
        _("four eyes by default"),
        default=True,
        help_text=_("The same person may not make two decisions in a row on one dossier (unless a step says otherwise)."),
    )
    four_eyes_setting = models.BooleanField(_("four eyes is an administrative setting"), default=True)
    card_rules = models.JSONField(
        _("card rules"),
        default=dict,
        blank=True,
        help_text=_(
            "Who manages issued cards, whether the holder's authority acts on them, the particulars and assessment "
            "rules and the certificate's issuing bodies, each with its article (the scheme file's cards block)."
        ),
    )
    supervision = models.JSONField(
        _("supervision"),
        default=dict,
        blank=True,
        help_text=_(
            "Which departments' overdue work the head of each department oversees: department code to the codes "
            "it supervises (the scheme file's departments' supervises lists)."
        ),
    )

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["slug"]
        # Loading a whole scheme file (admin upload, casefiles/adminviews/scheme_files.py) replaces every rule of a
        # scheme at once: a permission of its own, not implied by editing one rule.
        permissions = [("load_scheme_file", _("Can load a scheme file"))]

    def __str__(self):
        return self.name

    def department(self, code):
        return self.departments.get(code=code)


class MirrorsSchemeFile:
    """Rows that mirror a scheme file: the loader writes them in bulk (casefiles/schemes/upsert.py), not one save at a
    time, so Wagtail's reference index (the admin's "usage" pages), which listens to saves, does not track them."""

    wagtail_reference_index_ignore = True


class SchemeRule(MirrorsSchemeFile, models.Model):
    """Base of rule rows that carry an id (article.item in arabic digits), a citation and a text."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(_("id"), max_length=20, help_text=_("Article and item numbers, e.g. 7.2"))
    article = models.CharField(_("article"), max_length=100, help_text=ARTICLE_HELP)
    text = models.TextField(_("text"))

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.ref} {self.article}"

    def clean(self):
        if self.article and not self.article.startswith("第"):
            raise ValidationError({"article": _("A citation starts with 第…条.")})


class Precondition(SchemeRule):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="preconditions"
    )
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("precondition")
        verbose_name_plural = _("preconditions")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "ref"], name="precondition_unique_ref")]


class Tier(MirrorsSchemeFile, models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher is a better tier."))
    article = models.CharField(_("article"), max_length=100, blank=True)
    includes = models.ManyToManyField(
        "self", verbose_name=_("includes the services of"), symmetrical=False, blank=True
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["scheme", "-rank"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="tier_unique_code")]

    def __str__(self):
        return f"{self.scheme.name} · {self.name}"


class Criterion(SchemeRule):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="criteria")
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="criteria")
    talent_category = models.CharField(_("talent category"), max_length=30, blank=True)
    direct_recognition = models.BooleanField(_("eligible for direct recognition"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "ref"], name="criterion_unique_ref")]


class ServiceCategory(models.TextChoices):
    MEDICAL = "medical", _("Medical care")
    EDUCATION = "education", _("Children's education")
    HOUSING = "housing", _("Housing")
    HOUSEHOLD = "household", _("Household registration")
    TRAVEL = "travel", _("Travel")
    FINANCE = "finance", _("Finance")
    TOURISM = "tourism", _("Tourism and culture")
    ENTREPRENEURSHIP = "entrepreneurship", _("Entrepreneurship")
    FAMILY = "family", _("Family")
    RESIDENCE = "residence", _("Residence and visas")
    OTHER = "other", _("Other")


class TimeLimitUnit(models.TextChoices):
    """The unit a policy counts a service's time limit in: working days (通化 落户 10 个工作日), calendar days, or
    calendar months (聊城 第十三条 “1 个月内办理随调手续”)."""

    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    MONTHS = "months", _("months")


class ServiceRequester(models.TextChoices):
    """Who asks for a service (``requested_by`` in the scheme file): the holder, the employer on the holder's behalf
    (用人单位), or either of them."""

    HOLDER = "holder", _("the holder")
    EMPLOYER = "employer", _("the employer")
    EITHER = "either", _("the holder or the employer")


class ServiceItem(SchemeRule):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="services")
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=30, choices=ServiceCategory.choices, default="other")
    family_scope = models.JSONField(_("family scope"), default=list, blank=True)
    time_limit_working_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), null=True, blank=True
    )
    # A limit the policy counts in calendar units (``time_limit: {amount, unit}`` in the scheme file); a limit in
    # working days stays in ``time_limit_working_days``, which the catalogue changes and the admin edit.
    time_limit_amount = models.PositiveSmallIntegerField(
        _("time limit (calendar days or months)"), null=True, blank=True
    )
    time_limit_unit = models.CharField(
        _("time limit unit"), max_length=20, choices=TimeLimitUnit.choices, blank=True, default=""
    )
    time_limit_article = models.CharField(
        _("time limit article"), max_length=100, blank=True, default="",
        help_text=_("The article that sets the time limit, where it is not the service's own article."),
    )
    requested_by = models.CharField(
        _("requested by"), max_length=10, choices=ServiceRequester.choices, default=ServiceRequester.HOLDER,
        help_text=_("Who asks for the service; the holder where the policy does not route it through the employer."),
    )
    responsible_units = models.ManyToManyField(
        Department, verbose_name=_("responsible units"), related_name="service_items", blank=True
    )
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), related_name="direct_services", blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "ref"], name="service_unique_ref")]

    @property
    def time_limit(self):
        """``(amount, unit, article)`` of the policy's own limit, or None: working days first (the field the
        catalogue changes edit), else the limit in calendar units."""
        if self.time_limit_working_days:
            return self.time_limit_working_days, TimeLimitUnit.WORKING_DAYS, self.time_limit_article or self.article
        if self.time_limit_amount and self.time_limit_unit:
            return self.time_limit_amount, self.time_limit_unit, self.time_limit_article or self.article
        return None


class Recognition(MirrorsSchemeFile, models.Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="recognitions"
    )
    card_name = models.CharField(_("recognised card"), max_length=100)
    tier = models.ForeignKey(Tier, verbose_name=_("grants tier"), on_delete=models.CASCADE)
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"), null=True, blank=True, on_delete=models.SET_NULL)
    article = models.CharField(_("article"), max_length=100)

    class Meta:
        verbose_name = _("recognised card")
        verbose_name_plural = _("recognised cards")
        ordering = ["scheme", "card_name"]

    def __str__(self):
        return f"{self.card_name} → {self.tier}"


class StateKind(models.TextChoices):
    START = "start", _("Start")
    STAGE = "stage", _("Review stage")
    WAITING = "waiting", _("Waiting")
    END = "end", _("End")


class WorkflowState(MirrorsSchemeFile, models.Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="states"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=StateKind.choices)
    actor = models.CharField(
        _("actor"), max_length=60, blank=True, help_text=_("applicant, employer, authority or a department code")
    )
    view = models.JSONField(_("may view"), default=list, blank=True)
    article = models.CharField(_("article"), max_length=100, blank=True)
    time_limit_working_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), null=True, blank=True
    )
    opinions = models.JSONField(
        _("opinion requests"), default=list, blank=True,
        help_text=_("Departments asked for an opinion when a dossier enters this state (会签 / 征求意见)."),
    )
    experts = models.JSONField(_("expert review"), null=True, blank=True)
    notice = models.JSONField(_("public notice"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("workflow state")
        verbose_name_plural = _("workflow states")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="state_unique_code")]

    def __str__(self):
        return f"{self.scheme.name} · {self.name}"


class TransitionRole(models.TextChoices):
    """What the engine, outside the transition itself, does with a step (the data names it; no code is read)."""

    NONE = "", _("Ordinary step")
    CARD_PRODUCED = "card_produced", _("Records that the card is produced (fired by the production batch)")
    MEETING_DECISION = "meeting_decision", _("Decided at a meeting (the minutes are recorded)")


class WorkflowTransition(MirrorsSchemeFile, models.Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="transitions"
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=60)
    sources = models.ManyToManyField(WorkflowState, verbose_name=_("from"), related_name="outgoing")
    target = models.ForeignKey(
        WorkflowState, verbose_name=_("to"), on_delete=models.CASCADE, related_name="incoming"
    )
    by = models.CharField(
        _("fired by"), max_length=60, help_text=_("applicant, employer, authority, actor or a department code")
    )
    requires_comment = models.BooleanField(_("requires a comment"), default=False)
    issues_card = models.BooleanField(_("issues the card"), default=False)
    article = models.CharField(_("article"), max_length=100, blank=True)
    guard = models.JSONField(
        _("guard"), default=dict, blank=True,
        help_text=_("Conditions on the dossier that must hold for this step (docs/SCHEME_DATA.md, Controls)."),
    )
    guard_message = models.CharField(_("guard message"), max_length=300, blank=True)
    four_eyes = models.BooleanField(
        _("four eyes"), null=True, blank=True, help_text=_("Empty: the scheme's default.")
    )
    role = models.CharField(_("role"), max_length=20, choices=TransitionRole.choices, default="", blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("workflow transition")
        verbose_name_plural = _("workflow transitions")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="transition_unique_code")]

    def __str__(self):
        return f"{self.scheme.name} · {self.name}"


class MaterialRequirement(MirrorsSchemeFile, models.Model):
    """A kind of material an application must carry (申请材料, told once and in full: 一次告知)."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    article = models.CharField(_("article"), max_length=100, blank=True)
    setting = models.BooleanField(
        _("administrative setting"), default=False, help_text=_("Asked by the administration, not by the policy's text.")
    )
    optional = models.BooleanField(_("optional"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    tiers = models.ManyToManyField(Tier, verbose_name=_("only for tiers"), blank=True, related_name="+")
    criteria = models.ManyToManyField(Criterion, verbose_name=_("only for criteria"), blank=True, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="material_unique_code")]

    def __str__(self):
        return self.name


class ExitEffect(models.TextChoices):
    REVOKE = "revoke", _("Revoke the card")
    CONTACT_LIST = "contact_list", _("Move to the contact list")
    TERMINATE_ALL = "terminate_all", _("Terminate all services including bank services")
    KEEP_UNTIL_END = "keep_until_end", _("Keep the card until the end of its period")
    RECALL = "recall", _("Recall the card")


class RevocationReason(SchemeRule):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="revocation_reasons"
    )
    effect = models.CharField(_("effect"), max_length=20, choices=ExitEffect.choices)
    requested_by = models.JSONField(_("who may request"), default=list, blank=True)
    automatic_rule = models.CharField(_("automatic rule"), max_length=40, blank=True)
    automatic_when = models.JSONField(
        _("facts the automatic rule needs"),
        default=list,
        blank=True,
        help_text=_("Every condition must be known and met for the holder to be listed; an unknown fact lists the holder to confirm."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("revocation reason")
        verbose_name_plural = _("revocation reasons")
        ordering = ["scheme", "order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "ref"], name="revocation_reason_unique_ref")]

"""Wagtail admin for scheme rules (menu “Scheme rules” / 卡种规则): a viewset per rule table, every form
checked by ``casefiles.schemes.citations`` (tiers need a criterion, ids unique per scheme, citations point to
articles of the published policy page)."""

from django import forms
from django.contrib import messages
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from huicai.admin_scope import ScopedModelViewSet, ScopedPolicy
from huicai.api.parsers import InvalidJSON, check_value, max_depth, text_nesting_depth

from ..eligibility import FACT_TYPES, rule_facts
from ..models import (
    Criterion,
    Department,
    DepartmentKind,
    Precondition,
    Recognition,
    RevocationReason,
    Scheme,
    ServiceItem,
    Tier,
    WorkflowState,
    WorkflowTransition,
)
from ..schemes.citations import citation_problem, duplicate_ref_message, policy_article_numbers, scheme_validate

# --------------------------------------------------------------------------- who may edit which scheme's rules

RULE_MODELS = (Scheme, Tier, Criterion, Precondition, ServiceItem, RevocationReason, WorkflowState, WorkflowTransition,
               Recognition)


def rule_schemes(user):
    """Schemes whose rules a user may keep: every scheme for a superuser; otherwise (given the model permission)
    only the schemes one of the user's reviewing departments takes part in."""
    if user is None or not user.is_authenticated:
        return Scheme.objects.none()
    if user.is_superuser:
        return Scheme.objects.all()
    departments = Department.objects.filter(memberships__user=user).exclude(kind=DepartmentKind.EMPLOYER)
    return Scheme.objects.filter(departments__in=departments.values("pk")).distinct()


class SchemeRulePolicy(ScopedPolicy):
    """Django model permissions (only administrators hold them today), narrowed to the user's schemes."""

    def scope(self, user, queryset):
        if user.is_superuser:
            return queryset
        path = "pk" if self.model is Scheme else "scheme"
        return queryset.filter(**{f"{path}__in": rule_schemes(user).values("pk")})


for _model in RULE_MODELS:
    register_permission_policy(_model, SchemeRulePolicy(_model), exact_class=True)


# --------------------------------------------------------------------------- forms


class CheckedJSONField(forms.JSONField):
    """Django's JSON form field with the API parser's checks (huicai.api.parsers): text nested deeper than the
    API allows, or holding a lone surrogate (``"\\ud800"``), is a form error in Chinese. Without them the first
    is a RecursionError while parsing and the second a 500 when the form is shown again or the row is saved."""

    @staticmethod
    def too_deep():
        limit = max_depth()
        message = _("The JSON nests lists or objects too deeply (at most %(depth)s levels).") % {"depth": limit}
        return forms.ValidationError(message, code="too_deep")

    def check_text(self, text):
        """The parser's linear pre-scan: deep text is refused before ``json.loads`` can recurse on it."""
        if isinstance(text, str) and text_nesting_depth(text, max_depth()) > max_depth():
            raise self.too_deep()

    def check_parsed(self, value):
        try:
            check_value(value, max_depth())
        except InvalidJSON as exc:
            if exc.get_codes() == "too_deep":
                raise self.too_deep() from exc
            message = _("The JSON contains text that is not valid Unicode (a lone surrogate).")
            raise forms.ValidationError(message, code="invalid_unicode") from exc

    def to_python(self, value):
        self.check_text(value)
        try:
            value = super().to_python(value)
        except RecursionError as exc:  # the pre-scan keeps deep text out; kept as a last guard
            raise self.too_deep() from exc
        self.check_parsed(value)
        return value

    def bound_data(self, data, initial):
        """The text as typed, not its parsed value, when it has a problem: the form is shown again with it."""
        if self.disabled or data is None:
            return super().bound_data(data, initial)
        try:
            self.check_text(data)
            value = super().bound_data(data, initial)
            if not isinstance(value, InvalidJSONInput):
                self.check_parsed(value)
        except (forms.ValidationError, RecursionError):
            return InvalidJSONInput(data)
        return value


class SchemeChoicesMixin:
    """The scheme field offers only the schemes the user may keep."""

    def limit_scheme_choices(self):
        if "scheme" in self.fields and self.for_user is not None:
            self.fields["scheme"].queryset = rule_schemes(self.for_user).order_by("slug")


class SchemeRuleForm(SchemeChoicesMixin, WagtailAdminModelForm):
    """Base of the rule forms: the id is unique within the scheme and citations name articles of the
    published policy (when the scheme has one)."""

    key_field = "ref"
    citation_fields = ("article",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_scheme_choices()
        for field in self.fields.values():
            if type(field) is forms.JSONField:  # every JSON field of every rule form (rule, view, family scope…)
                field.__class__ = CheckedJSONField

    def rule_scheme(self):
        scheme = self.cleaned_data.get("scheme")
        if scheme is None and self.instance.scheme_id:
            scheme = self.instance.scheme
        return scheme

    def clean(self):
        cleaned = super().clean()
        scheme = self.rule_scheme()
        if scheme is None:
            return cleaned
        key = cleaned.get(self.key_field)
        message = duplicate_ref_message(self._meta.model, scheme, key, self.instance.pk, field=self.key_field)
        if message:
            self.add_error(self.key_field, message)
        articles = policy_article_numbers(scheme)
        for name in self.citation_fields:
            problem = citation_problem(cleaned.get(name), articles)
            if problem and name in self.fields:
                self.add_error(name, problem)
        return cleaned


class SchemeForm(WagtailAdminModelForm):
    citation_fields = (
        "case_by_case_article", "public_notice_article", "validity_article", "renewal_article", "loss_article",
    )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            articles = policy_article_numbers(self.instance)
            for name in self.citation_fields:
                problem = citation_problem(cleaned.get(name), articles)
                if problem:
                    self.add_error(name, problem)
        return cleaned


class TierForm(SchemeRuleForm):
    """A tier must have a criterion: a new tier is created together with its first criterion; an existing
    one without criteria cannot be saved until it gets one."""

    key_field = "code"
    first_criterion_ref = forms.CharField(label=gettext_lazy("First criterion: id"), required=False, max_length=20)
    first_criterion_article = forms.CharField(
        label=gettext_lazy("First criterion: article"), required=False, max_length=100
    )
    first_criterion_text = forms.CharField(
        label=gettext_lazy("First criterion: text"), required=False, widget=forms.Textarea
    )

    def clean(self):
        cleaned = super().clean()
        scheme = self.rule_scheme()
        for included in cleaned.get("includes") or []:
            if scheme is not None and included.scheme_id != scheme.pk:
                self.add_error("includes", _("A tier can only include tiers of the same scheme."))
            if self.instance.pk and included.pk == self.instance.pk:
                self.add_error("includes", _("A tier cannot include itself."))
        has_criteria = bool(self.instance.pk) and self.instance.criteria.exists()
        first = [cleaned.get(f"first_criterion_{k}") for k in ("ref", "article", "text")]
        if not has_criteria:
            if not all(first):
                raise forms.ValidationError(
                    _("A tier must have at least one criterion: give its first criterion (id, article and text).")
                )
            if scheme is not None:
                message = duplicate_ref_message(Criterion, scheme, first[0])
                if message:
                    self.add_error("first_criterion_ref", message)
                problem = citation_problem(first[1], policy_article_numbers(scheme))
                if problem:
                    self.add_error("first_criterion_article", problem)
        return cleaned

    def save(self, commit=True):
        tier = super().save(commit=commit)
        ref = self.cleaned_data.get("first_criterion_ref")
        if commit and ref and not tier.criteria.exists():
            Criterion.objects.create(
                scheme=tier.scheme,
                tier=tier,
                ref=ref,
                article=self.cleaned_data["first_criterion_article"],
                text=self.cleaned_data["first_criterion_text"],
                order=Criterion.objects.filter(scheme=tier.scheme).count(),
            )
        return tier


class CriterionForm(SchemeRuleForm):
    def clean(self):
        cleaned = super().clean()
        scheme, tier = self.rule_scheme(), cleaned.get("tier")
        if scheme is not None and tier is not None and tier.scheme_id != scheme.pk:
            self.add_error("tier", _("The tier belongs to another scheme."))
        if self.instance.pk and tier is not None and self.instance.tier_id != tier.pk:
            old = self.instance.tier
            if not old.criteria.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "tier",
                    _("This is the only criterion of %(tier)s; a tier must have at least one criterion.")
                    % {"tier": old.name},
                )
        return cleaned


class PreconditionForm(SchemeRuleForm):
    def clean(self):
        cleaned = super().clean()
        rule = cleaned.get("rule") or {}
        if not isinstance(rule, dict):
            self.add_error(
                "rule", _("The rule is a mapping such as {\"fact\": \"contract_years\", \"test\": \">= 1\"}.")
            )
            return cleaned
        unknown = [name for name in rule_facts(rule) if name not in FACT_TYPES]
        if unknown:
            self.add_error(
                "rule",
                _("Unknown fact: %(names)s (known: %(known)s)")
                % {"names": ", ".join(unknown), "known": ", ".join(FACT_TYPES)},
            )
        return cleaned


class ServiceItemForm(SchemeRuleForm):
    def clean(self):
        cleaned = super().clean()
        scheme = self.rule_scheme()
        if scheme is not None:
            if any(t.scheme_id != scheme.pk for t in cleaned.get("tiers") or []):
                self.add_error("tiers", _("Only tiers of the same scheme."))
        return cleaned


class WorkflowForm(SchemeRuleForm):
    key_field = "code"


class RecognitionForm(SchemeRuleForm):
    key_field = None

    def clean(self):
        cleaned = WagtailAdminModelForm.clean(self)
        scheme = self.rule_scheme()
        if scheme is not None:
            problem = citation_problem(cleaned.get("article"), policy_article_numbers(scheme))
            if problem:
                self.add_error("article", problem)
            tier = cleaned.get("tier")
            if tier is not None and tier.scheme_id != scheme.pk:
                self.add_error("tier", _("The tier belongs to another scheme."))
        return cleaned


# --------------------------------------------------------------------------- views


class SchemeEditView(generic.EditView):
    """Shows the scheme's remaining problems (from ``scheme_validate``) above the form."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        for problem in scheme_validate(self.object):
            messages.warning(request, problem)
        return response


class SchemeViewSet(ScopedModelViewSet):
    model = Scheme
    icon = "list-ul"
    menu_label = gettext_lazy("Schemes")
    list_display = ["name", "slug", "jurisdiction", "data_version"]
    search_fields = ["name", "slug", "policy_title"]
    edit_view_class = SchemeEditView
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
            FieldPanel("jurisdiction"),
            FieldRowPanel([FieldPanel("policy_title"), FieldPanel("data_version")]),
            FieldRowPanel([FieldPanel("reference_format"), FieldPanel("card_number_format")]),
            MultiFieldPanel(
                [FieldPanel("case_by_case"), FieldPanel("case_by_case_article")],
                heading=gettext_lazy("Case-by-case decisions"),
            ),
            MultiFieldPanel(
                [FieldPanel("public_notice_working_days"), FieldPanel("public_notice_article")],
                heading=gettext_lazy("Public notice"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("validity_rule"),
                    FieldPanel("validity_max_years"),
                    FieldPanel("validity_article"),
                    FieldPanel("renewal_article"),
                    FieldPanel("renewal_text"),
                    FieldPanel("loss_article"),
                    FieldPanel("loss_text"),
                ],
                heading=gettext_lazy("Validity, renewal and loss"),
            ),
            FieldPanel("announce_exits_yearly"),
            FieldPanel("authority_kind"),
            FieldPanel("departments"),
        ],
        base_form_class=SchemeForm,
    )


class WorkflowStateEditView(generic.EditView):
    """Saving a state whose ``view`` or ``actor`` changed brings the grants of its dossiers in line: the worker does
    it (a state may hold tens of thousands of dossiers), queued in the transaction that saves the state, and the
    editor follows it on the background jobs page."""

    def save_instance(self):
        from django.db import transaction

        from ..services.jobs import grants_recompute_enqueue

        before = type(self.object).objects.filter(pk=self.object.pk).values_list("code", "view", "actor").first()
        with transaction.atomic():
            instance = super().save_instance()
            changed = before is not None and (
                (sorted(before[1] or []), before[2] or "") != (sorted(instance.view or []), instance.actor or "")
            )
            codes = {before[0], instance.code} if changed else set()
            job = grants_recompute_enqueue(instance.scheme, codes, user=self.request.user) if changed else None
        if job is not None:
            messages.info(self.request, _(
                "Access to the %(count)s dossiers in this state is being brought in line with the new rule in the "
                "background; its progress is shown under Background jobs."
            ) % {"count": job.total})
        return instance


class RuleViewSet(ScopedModelViewSet):
    icon = "list-ul"
    list_filter = ["scheme"]
    copy_view_enabled = False


class TierViewSet(RuleViewSet):
    model = Tier
    menu_label = gettext_lazy("Tiers")
    list_display = ["name", "code", "scheme", "rank", "article"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("code"), FieldPanel("name"), FieldPanel("rank")]),
            FieldPanel("article"),
            FieldPanel("includes"),
            MultiFieldPanel(
                [
                    FieldPanel("first_criterion_ref"),
                    FieldPanel("first_criterion_article"),
                    FieldPanel("first_criterion_text"),
                ],
                heading=gettext_lazy("First criterion (required while the tier has none)"),
            ),
        ],
        base_form_class=TierForm,
    )


class CriterionViewSet(RuleViewSet):
    model = Criterion
    menu_label = gettext_lazy("Criteria")
    list_display = ["ref", "article", "tier", "scheme"]
    list_filter = ["scheme", "direct_recognition"]
    search_fields = ["ref", "article", "text"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldPanel("tier"),
            FieldRowPanel([FieldPanel("ref"), FieldPanel("article"), FieldPanel("order")]),
            FieldPanel("text"),
            FieldRowPanel([FieldPanel("talent_category"), FieldPanel("direct_recognition")]),
        ],
        base_form_class=CriterionForm,
    )


class PreconditionViewSet(RuleViewSet):
    model = Precondition
    menu_label = gettext_lazy("Preconditions")
    list_display = ["ref", "article", "scheme"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("ref"), FieldPanel("article"), FieldPanel("order")]),
            FieldPanel("text"),
            FieldPanel("rule"),
        ],
        base_form_class=PreconditionForm,
    )


class ServiceItemViewSet(RuleViewSet):
    model = ServiceItem
    menu_label = gettext_lazy("Service items")
    list_display = ["ref", "title", "article", "scheme"]
    list_filter = ["scheme", "category"]
    search_fields = ["ref", "title", "text"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("ref"), FieldPanel("article"), FieldPanel("order")]),
            FieldPanel("title"),
            FieldPanel("text"),
            FieldRowPanel([FieldPanel("category"), FieldPanel("time_limit_working_days")]),
            FieldPanel("family_scope"),
            FieldPanel("tiers"),
            FieldPanel("responsible_units"),
        ],
        base_form_class=ServiceItemForm,
    )


class RevocationReasonViewSet(RuleViewSet):
    model = RevocationReason
    menu_label = gettext_lazy("Revocation reasons")
    list_display = ["ref", "article", "effect", "scheme"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("ref"), FieldPanel("article"), FieldPanel("order")]),
            FieldPanel("text"),
            FieldRowPanel([FieldPanel("effect"), FieldPanel("automatic_rule")]),
            FieldPanel("requested_by"),
        ],
        base_form_class=SchemeRuleForm,
    )


class WorkflowStateViewSet(RuleViewSet):
    model = WorkflowState
    edit_view_class = WorkflowStateEditView
    menu_label = gettext_lazy("Workflow states")
    list_display = ["code", "name", "kind", "actor", "scheme"]
    list_filter = ["scheme", "kind"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("code"), FieldPanel("name"), FieldPanel("kind")]),
            FieldRowPanel([FieldPanel("actor"), FieldPanel("article"), FieldPanel("time_limit_working_days")]),
            FieldPanel("view"),
            FieldPanel("order"),
        ],
        base_form_class=WorkflowForm,
    )


class WorkflowTransitionViewSet(RuleViewSet):
    model = WorkflowTransition
    menu_label = gettext_lazy("Workflow transitions")
    list_display = ["code", "name", "target", "by", "scheme"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldRowPanel([FieldPanel("code"), FieldPanel("name"), FieldPanel("order")]),
            FieldPanel("sources"),
            FieldPanel("target"),
            FieldRowPanel([FieldPanel("by"), FieldPanel("article")]),
            FieldRowPanel([FieldPanel("requires_comment"), FieldPanel("issues_card")]),
        ],
        base_form_class=WorkflowForm,
    )


class RecognitionViewSet(RuleViewSet):
    model = Recognition
    menu_label = gettext_lazy("Recognised cards")
    list_display = ["card_name", "tier", "article", "scheme"]
    edit_handler = ObjectList(
        [
            FieldPanel("scheme"),
            FieldPanel("card_name"),
            FieldPanel("tier"),
            FieldPanel("criterion"),
            FieldPanel("article"),
        ],
        base_form_class=RecognitionForm,
    )


class SchemeRulesGroup(ViewSetGroup):
    menu_label = gettext_lazy("Scheme rules")
    menu_icon = "list-ul"
    menu_order = 210
    items = (
        SchemeViewSet("schemes"),
        TierViewSet("tiers"),
        CriterionViewSet("criteria"),
        PreconditionViewSet("preconditions"),
        ServiceItemViewSet("service_items"),
        RevocationReasonViewSet("revocation_reasons"),
        WorkflowStateViewSet("workflow_states"),
        WorkflowTransitionViewSet("workflow_transitions"),
        RecognitionViewSet("recognised_cards"),
    )


@hooks.register("register_admin_viewset")
def register_scheme_rules():
    return SchemeRulesGroup()

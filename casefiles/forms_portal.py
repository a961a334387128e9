"""Forms of the applicant portal. They collect input; the dossier services decide what is valid."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from identity.selectors import VERIFIED_FIELDS

from .eligibility import FACT_LABELS, FACT_MAXIMA
from .models import OTHER_MATERIAL, Department, DepartmentKind, IdType
from .validation import FACT_NUMBER_MAX, dates_problem

BOOLEAN_CHOICES = [("", _("Not stated")), ("true", _("Yes")), ("false", _("No"))]
TALENT_CATEGORY_CHOICES = [("", _("Not stated")), *[(c, _("Category %(code)s") % {"code": c}) for c in "ABCDE"],
                           ("none", _("Not recognised in a provincial category"))]
#: Exit facts the application asks when the scheme's automatic exit rules need them (``left_region`` is not asked:
#: an applicant works in the region; the employer reports a move on the card's particulars).
APPLICATION_EXIT_FACTS = ("talent_category", "retired")


def exit_fact_field(fact):
    """The form field of one exit fact (application form and the card's particulars)."""
    if fact == "talent_category":
        return forms.ChoiceField(label=FACT_LABELS[fact], choices=TALENT_CATEGORY_CHOICES, required=False)
    return forms.TypedChoiceField(label=FACT_LABELS[fact], choices=BOOLEAN_CHOICES, required=False,
                                  coerce=lambda v: v == "true", empty_value=None)

# Form fields that carry a dossier identity field of the same name (see services.dossiers.IDENTITY_FIELDS).
IDENTITY_FORM_FIELDS = ("applicant_name", "id_type", "id_number", "nationality", "phone", "email", "birth_date", "contract_end")


class RegisterForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), required=True)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


def precondition_facts(scheme):
    """[(fact, test, precondition)] for every fact the scheme's preconditions test, in order, once each."""
    found, seen = [], set()
    for precondition in scheme.preconditions.all():
        rule = precondition.rule or {}
        alternatives = [rule] if rule.get("fact") else []
        alternatives += list(rule.get("any") or []) + list(rule.get("all") or [])
        for alternative in alternatives:
            fact = alternative.get("fact")
            if fact and fact not in seen:
                seen.add(fact)
                found.append((fact, alternative.get("test") or "", precondition))
    return found


def _is_boolean_test(test):
    return test.replace(" ", "").lower() in ("==true", "==false")


def employers_for(scheme):
    jurisdictions = [scheme.jurisdiction, *scheme.jurisdiction.descendants()]
    return Department.objects.filter(kind=DepartmentKind.EMPLOYER, jurisdiction__in=jurisdictions).order_by("name")


def scheme_involves_employer(scheme):
    return (
        scheme.states.filter(actor="employer").exists()
        or scheme.transitions.filter(by__contains="employer").exists()
    )


class ApplicationForm(forms.Form):
    """Start or change an application of one scheme: tier and criteria, identity, employer, facts."""

    requested_tier = forms.ModelChoiceField(label=_("Card tier"), queryset=None, empty_label=None)
    criteria = forms.ModelMultipleChoiceField(
        label=_("Criteria you meet"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    applicant_name = forms.CharField(label=_("Name"), max_length=100)
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    nationality = forms.CharField(label=_("Nationality"), max_length=60, initial="中国")
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = forms.EmailField(label=_("Email"), required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    contract_end = forms.DateField(
        label=_("Employment contract ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    employer = forms.ModelChoiceField(label=_("Employer"), queryset=None, required=False)

    def __init__(self, *args, scheme, verified=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        # Name, ID type and ID number the identity provider verified (identity.selectors.verified_identity): shown,
        # not editable; a disabled field ignores what is posted and keeps this value.
        for field in VERIFIED_FIELDS if verified else ():
            self.fields[field].disabled = True
            self.initial[field] = verified[field]
            self.fields[field].help_text = _("Verified by the identity provider; it cannot be changed here.")
        self.fields["requested_tier"].queryset = scheme.tiers.all()
        self.fields["requested_tier"].label_from_instance = lambda tier: tier.name
        self.fields["criteria"].queryset = scheme.criteria.select_related("tier")
        self.fields["criteria"].label_from_instance = lambda c: f"{c.tier.name} · {c.article}：{c.text}"
        self.fields["employer"].queryset = employers_for(scheme)
        self.fields["employer"].required = scheme_involves_employer(scheme)
        if scheme.authority_kind:
            self.fields["authority"] = forms.ModelChoiceField(
                label=_("Competent department of your sector"),
                queryset=scheme.departments.filter(kind=scheme.authority_kind).order_by("name"),
                help_text=_("The department that reviews applications from your sector."),
            )
            self.fields["authority"].label_from_instance = lambda d: f"{d.name}（{d.sector}）" if d.sector else d.name
            self.fields["sector"] = forms.CharField(label=_("Your sector"), max_length=100, required=False)
        self.fact_fields = []
        for fact, test, precondition in precondition_facts(scheme):
            name = f"fact_{fact}"
            label = FACT_LABELS.get(fact, fact)
            if _is_boolean_test(test):
                field = forms.TypedChoiceField(
                    label=label, choices=BOOLEAN_CHOICES, required=False, coerce=lambda v: v == "true", empty_value=None
                )
            else:
                maximum = FACT_MAXIMA.get(fact, FACT_NUMBER_MAX)
                field = forms.DecimalField(
                    label=label, required=False, min_value=0, max_value=maximum, max_digits=6, decimal_places=1
                )
            field.help_text = f"{precondition.article}：{precondition.text}"
            self.fields[name] = field
            self.fact_fields.append((fact, name))
        from .services.cards import exit_facts_needed

        needed = exit_facts_needed(scheme)
        self.needs_age = "age" in needed  # a passport holder's age is asked as the birth date
        for fact in (f for f in APPLICATION_EXIT_FACTS if f in needed):
            name = f"fact_{fact}"
            self.fields[name] = exit_fact_field(fact)
            self.fields[name].help_text = _("Asked because the programme's exit rules depend on it.")
            self.fact_fields.append((fact, name))

    def clean(self):
        cleaned = super().clean()
        problem = dates_problem(cleaned)  # the same check the dossier service makes (casefiles/validation.py)
        if problem and problem[0] in self.fields:
            self.add_error(problem[0], problem[1])
        if self.needs_age and cleaned.get("id_type") not in (None, "", IdType.RESIDENT_ID) and not cleaned.get("birth_date"):
            self.add_error("birth_date", _("Please enter your date of birth (it is not read from this kind of document)."))
        tier, criteria = cleaned.get("requested_tier"), cleaned.get("criteria")
        if tier and criteria:
            foreign = [c for c in criteria if c.tier_id != tier.pk]
            if foreign:
                self.add_error(
                    "criteria",
                    _("These criteria belong to another tier: %(refs)s. Choose that tier or untick them.")
                    % {"refs": "、".join(c.article for c in foreign)},
                )
        return cleaned

    def service_arguments(self):
        """Keyword arguments for dossier_create / dossier_update from the cleaned data."""
        data = self.cleaned_data
        arguments = {field: data.get(field) for field in IDENTITY_FORM_FIELDS}
        arguments["email"] = arguments["email"] or ""
        arguments["nationality"] = arguments["nationality"] or ""
        arguments["id_number"] = (arguments["id_number"] or "").strip().upper()
        arguments["phone"] = (arguments["phone"] or "").strip()
        arguments["requested_tier"] = data["requested_tier"]
        arguments["employer"] = data.get("employer")
        if "authority" in self.fields:
            arguments["authority"] = data.get("authority")
            arguments["sector"] = data.get("sector") or ""
        facts = {}
        for fact, name in self.fact_fields:
            value = data.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, bool | str):
                value = int(value) if value == value.to_integral_value() else float(value)
            facts[fact] = value
        arguments["facts"] = facts
        arguments["criteria"] = list(data.get("criteria") or [])
        return arguments

    @classmethod
    def initial_from_dossier(cls, dossier):
        initial = {field: getattr(dossier, field) for field in IDENTITY_FORM_FIELDS}
        initial.update(
            requested_tier=dossier.requested_tier_id,
            criteria=list(dossier.criteria.values_list("pk", flat=True)),
            employer=dossier.employer_id,
            authority=dossier.authority_id,
            sector=dossier.sector,
        )
        for fact, value in (dossier.facts or {}).items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            initial[f"fact_{fact}"] = value
        return initial


class TransitionForm(forms.Form):
    transition = forms.SlugField(max_length=60)
    expected_state = forms.SlugField(max_length=40, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(label=_("Minutes of the meeting"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=[], initial=OTHER_MATERIAL)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    document = forms.TypedChoiceField(label=_("New version of"), required=False, coerce=int, empty_value=None,
                                      help_text=_("Leave empty to add a new document."))
    note = forms.CharField(label=_("Why this version"), max_length=500, required=False)
    file = forms.FileField(label=_("File (PDF, JPEG, PNG or OFD, up to 10 MB)"))

    def __init__(self, *args, scheme=None, documents=(), **kwargs):
        from .selectors_materials import material_kinds

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = material_kinds(scheme) if scheme is not None else [(OTHER_MATERIAL, _("Other material"))]
        self.fields["document"].choices = [("", "—")] + [(d.pk, d.title) for d in documents]

"""The eligibility self-check form: the criteria of a scheme as checkboxes, its precondition facts as
questions. Built from the scheme's rows, so a newly configured scheme gets its form without code."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .eligibility import FACT_TYPES, rule_facts, scheme_facts
from .models import Criterion

FACT_QUESTIONS = {
    "contract_years": _("How many years does your employment contract with your employer run?"),
    "self_employed": _("Are you starting or running your own business here?"),
    "flexible_introduction": _("Were you brought in through flexible introduction (working here without moving)?"),
    "employer_operating_years": _("How many years has your employer been registered, paying tax and operating here?"),
    "employer_is_district_institution": _(
        "Is your employer an education, medical or research institution run by the district?"
    ),
    "months_per_year_in_jurisdiction": _("How many months a year do you work here?"),
}

YES, NO = "yes", "no"


def _coerce_bool(value):
    return {YES: True, NO: False}.get(value)


class SelfCheckForm(forms.Form):
    criteria = forms.MultipleChoiceField(
        label=_("Criteria you meet"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.criterion_rows = list(
            Criterion.objects.filter(scheme=scheme).select_related("tier").order_by("-tier__rank", "order", "pk")
        )
        self.fields["criteria"].choices = [(c.ref, f"{c.ref} {c.text}") for c in self.criterion_rows]
        self.fact_names = scheme_facts(scheme)
        for name in self.fact_names:
            label = FACT_QUESTIONS.get(name, name)
            if FACT_TYPES.get(name) == "bool":
                self.fields[name] = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    choices=[(YES, _("Yes")), (NO, _("No")), ("", _("Not sure"))],
                    coerce=_coerce_bool,
                    empty_value=None,
                    widget=forms.RadioSelect,
                )
            else:
                maximum = 12 if name == "months_per_year_in_jurisdiction" else None
                self.fields[name] = forms.DecimalField(
                    label=label,
                    required=False,
                    min_value=0,
                    max_value=maximum,
                    decimal_places=1,
                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5", "min": "0"}),
                )

    def facts(self):
        """The answered facts (unanswered ones are left out, so they come out unknown)."""
        facts = {}
        for name in self.fact_names:
            value = self.cleaned_data.get(name)
            if value is not None:
                facts[name] = float(value) if FACT_TYPES.get(name) == "number" else value
        return facts

    def selected(self):
        if self.is_bound and hasattr(self, "cleaned_data"):
            return set(self.cleaned_data.get("criteria") or [])
        return set(self.data.getlist("criteria")) if self.is_bound and hasattr(self.data, "getlist") else set()

    def criteria_by_tier(self):
        """[(tier, [(criterion, checked)])], highest tier first, for the grouped checkboxes."""
        chosen = self.selected()
        groups, by_tier = [], {}
        for criterion in self.criterion_rows:
            if criterion.tier_id not in by_tier:
                by_tier[criterion.tier_id] = []
                groups.append((criterion.tier, by_tier[criterion.tier_id]))
            by_tier[criterion.tier_id].append((criterion, criterion.ref in chosen))
        return groups

    def precondition_questions(self):
        """[(precondition, [bound fields])]: each precondition in the policy's words with its questions."""
        questions = []
        for precondition in self.scheme.preconditions.order_by("order", "pk"):
            fields = [self[name] for name in rule_facts(precondition.rule) if name in self.fields]
            questions.append((precondition, fields))
        return questions

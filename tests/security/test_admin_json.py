"""JSON fields of the scheme-rule admin forms (a precondition's rule, a service item's family scope, who may
request a revocation, who may view a workflow state — every JSON field any rule form shows, found from the
forms, not listed by hand) get the API parser's checks: a lone surrogate or deep nesting is a form error in
Chinese, never a 500, and nothing is saved."""

import json

import pytest
from django import forms
from django.forms.models import model_to_dict
from django.urls import reverse

from casefiles.adminviews.schemes import SchemeRulesGroup
from casefiles.schemes.loader import schemes_load

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

DEEP = 5_000
HOSTILE = [
    ("lone surrogate in a value", '["\\ud800"]'),
    ("lone surrogate in a key", '{"\\udfff": ["applicant"]}'),
    ("5,000-deep array", "[" * DEEP + "1" + "]" * DEEP),
    ("5,000-deep object", '{"a":' * DEEP + "1" + "}" * DEEP),
    ("one level deeper than the API allows", "[" * 17 + "]" * 17),
]
EXPECTED = {
    ("casefiles.Precondition", "rule"), ("casefiles.ServiceItem", "family_scope"),
    ("casefiles.RevocationReason", "requested_by"), ("casefiles.WorkflowState", "view"),
}


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


@pytest.fixture
def rules_admin(client, django_user_model):
    """A superuser with the default (Chinese) admin language; server errors are answered, not raised."""
    schemes_load(["tonghua", "jilin"])
    client.force_login(django_user_model.objects.create_superuser("json-admin", "json@example.org", "pw-123-secure"))
    client.raise_request_exception = False
    return client


def post_data(form):
    """What the browser would send back for an unchanged edit form."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.name] = [str(item) for item in value]
        elif value is not None:
            data[bound.name] = str(value)
    return data


def json_fields_of_the_rule_forms(client):
    """(viewset name, model, object, edit form, JSON field name) for every JSON field of every rule form."""
    found = []
    for viewset in SchemeRulesGroup.items:
        model = viewset.model
        instance = model.objects.order_by("pk").first()
        if instance is None:
            continue
        response = client.get(reverse(f"{viewset.name}:edit", args=[instance.pk]))
        assert response.status_code == 200, viewset.name
        form = response.context["form"]
        for name, field in form.fields.items():
            if isinstance(field, forms.JSONField):
                found.append((viewset.name, model, instance, form, name))
    return found


def test_every_json_field_of_the_rule_forms_refuses_hostile_json(rules_admin):
    targets = json_fields_of_the_rule_forms(rules_admin)
    assert {(model._meta.label, name) for _v, model, _i, _f, name in targets} >= EXPECTED
    cells, failures = 0, []
    for viewset, model, instance, form, name in targets:
        url = reverse(f"{viewset}:edit", args=[instance.pk])
        before = model_to_dict(model.objects.get(pk=instance.pk))
        for label, text in HOSTILE:
            response = rules_admin.post(url, {**post_data(form), name: text})
            cells += 1
            where = f"{model._meta.label}.{name} / {label}"
            if response.status_code != 200:
                failures.append(f"{where}: status {response.status_code}")
                continue
            errors = response.context["form"].errors.get(name)
            if not errors or not has_cjk(errors[0]):
                failures.append(f"{where}: errors {response.context['form'].errors}")
            if model_to_dict(model.objects.get(pk=instance.pk)) != before:
                failures.append(f"{where}: saved")
    print(f"admin JSON sweep: {len(targets)} JSON fields x {len(HOSTILE)} inputs = {cells} posts,"
          f" {len(failures)} failures")
    assert failures == [], "\n".join(failures)


def test_well_formed_json_is_still_saved(rules_admin):
    """The checks refuse only what is malformed: a changed, well-formed value of each field is saved."""
    for viewset, model, instance, form, name in json_fields_of_the_rule_forms(rules_admin):
        value = getattr(instance, name)
        changed = {**value, "note": "备注"} if isinstance(value, dict) else [*value, "备注"]
        if model._meta.label == "casefiles.Precondition":
            changed = value  # a rule may only name known facts: saved unchanged
        response = rules_admin.post(reverse(f"{viewset}:edit", args=[instance.pk]),
                                    {**post_data(form), name: json.dumps(changed, ensure_ascii=False)})
        assert response.status_code == 302, (viewset, name, response.context["form"].errors if response.context else "")
        assert getattr(model.objects.get(pk=instance.pk), name) == changed

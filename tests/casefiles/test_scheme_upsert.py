"""The scheme loader's set-wise writes (casefiles/schemes/upsert.py), swept over every shipped file: a reload of an
unchanged file writes nothing; a reload of a changed file updates the rows in place (the same primary keys, so dossiers
that point at a tier or a state survive) and makes every link — ordered ones in the file's order — say what the file
says, exactly as loading the changed file into an empty database does."""

import copy
import re

import pytest
from django.db import connection

from casefiles.models import (
    Criterion,
    MaterialRequirement,
    Scheme,
    ServiceItem,
    Tier,
    WorkflowState,
    WorkflowTransition,
)
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, jurisdictions_load, read_yaml, scheme_load

pytestmark = pytest.mark.django_db
WRITE = re.compile(r'^\s*(INSERT|UPDATE|DELETE)\b.*?"(casefiles_[a-z_]+|auth_[a-z_]+)"', re.S)


def written_tables(call):
    """The tables ``call`` inserts into, updates or deletes from."""
    tables = []

    def spy(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match:
            tables.append(match.group(2))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        call()
    return tables


def units_in_order(service):
    through = ServiceItem.responsible_units.through
    return list(through.objects.filter(serviceitem=service).order_by("pk").values_list("department__code", flat=True))


def picture(slug):
    """What the database says of a scheme's rules, by codes and refs (no primary keys)."""
    scheme = Scheme.objects.get(slug=slug)
    return {
        "tiers": sorted((t.code, t.name, t.rank, sorted(i.code for i in t.includes.all())) for t in scheme.tiers.all()),
        "criteria": sorted((c.ref, c.tier.code, c.text, c.order) for c in scheme.criteria.all()),
        "services": sorted((s.ref, s.title, s.order, units_in_order(s), sorted(t.code for t in s.tiers.all()))
                           for s in scheme.services.all()),
        "states": sorted((s.code, s.name, s.order, s.actor, tuple(s.view)) for s in scheme.states.all()),
        "transitions": sorted((t.code, t.target.code, t.by, t.order, sorted(s.code for s in t.sources.all()))
                              for t in scheme.transitions.all()),
        "materials": sorted((m.code, m.name, sorted(t.code for t in m.tiers.all()),
                             sorted(c.ref for c in m.criteria.all())) for m in scheme.materials.all()),
        "reasons": sorted((r.ref, r.text, r.effect) for r in scheme.revocation_reasons.all()),
        "recognitions": sorted((r.card_name, r.tier.code) for r in scheme.recognitions.all()),
    }


def primary_keys(slug):
    scheme = Scheme.objects.get(slug=slug)
    return {model.__name__: dict(model.objects.filter(scheme=scheme).values_list(key, "pk"))
            for model, key in ((Tier, "code"), (Criterion, "ref"), (ServiceItem, "ref"), (WorkflowState, "code"),
                               (WorkflowTransition, "code"), (MaterialRequirement, "code"))}


def changed(data):
    """The file with a changed name, rank, text, order of units, tier links and a transition's sources."""
    data = copy.deepcopy(data)
    tier = data["tiers"][0]
    tier["name"] += "（改）"
    tier["rank"] += 10
    tier["includes"] = [t["code"] for t in data["tiers"][1:2]] if tier.get("includes") is None else []
    for row in data["tiers"]:
        for crit in row.get("criteria", [])[:1]:
            crit["text"] = "改：" + crit["text"]
    service = next(s for s in data["services"] if s.get("responsible_units"))
    units = service["responsible_units"]
    others = [d["code"] for d in data["departments"] if d["code"] not in units]
    service["responsible_units"] = list(reversed(units)) if len(units) > 1 else others[:1] + units  # a new first unit
    for row in data["tiers"]:
        row["services"] = list(reversed(row.get("services", [])))[1:]  # one service leaves each tier
    transition = next(t for t in data["workflow"]["transitions"] if isinstance(t["from"], list) and len(t["from"]) > 1)
    transition["from"] = transition["from"][:1]
    state = data["workflow"]["states"][1]
    state["name"] += "（改）"
    state["view"] = list(reversed(state.get("view") or []))
    return data


def loaded(slug):
    """The shipped file's data, loaded once into the test's database."""
    jurisdictions_load()
    data = read_yaml(SCHEME_DIR / f"{slug}.yaml")
    scheme_load(data)
    return data


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_reloading_an_unchanged_file_writes_no_rule_row(slug):
    data = loaded(slug)
    before = picture(slug)
    tables = written_tables(lambda: scheme_load(data))
    rule_tables = sorted({t for t in tables if t != "casefiles_scheme"})
    assert rule_tables == [], rule_tables  # the scheme row itself is saved (its signal lifts periods in tests)
    assert picture(slug) == before


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_a_changed_file_updates_in_place_as_a_fresh_load_would_make_it(slug):
    data = loaded(slug)
    keys = primary_keys(slug)
    new = changed(data)
    scheme_load(new)
    reloaded = picture(slug)
    assert reloaded != picture_of_fresh(slug, data)  # the change shows
    assert primary_keys(slug) == keys  # rows updated in place
    assert reloaded == picture_of_fresh(slug, new)


def picture_of_fresh(slug, data):
    """The picture of ``data`` loaded into a database without the scheme (in a savepoint, rolled back)."""
    from django.db import transaction

    with transaction.atomic():
        Scheme.objects.filter(slug=slug).delete()
        scheme_load(copy.deepcopy(data))
        fresh = picture(slug)
        transaction.set_rollback(True)
    return fresh

"""Hostile JSON and implausible dates (issue 15, items 3 and 7).

Every API operation that takes a JSON body, read from the OpenAPI document (not a hand list), gets each hostile
body below as a caller who may use it; each must be a 400 with the Chinese error body, never a 500, and no row
of any model may change. Every date field of the portal's application form, of the API's request bodies and of
the dossier service gets impossible dates, refused in Chinese with nothing stored."""

import datetime
import random

import pytest
from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from casefiles.demo_cards import issue_card
from casefiles.exceptions import CaseFileError
from casefiles.forms_portal import ApplicationForm
from casefiles.models import Department, Dossier, Scheme
from casefiles.testing import demo_user_for, identity
from tests.casefiles.factories import PASSWORD, new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

SCHEMA_PATH = "/api/v1/schema/"
SURROGATE = "\ud800"
DEEP = 5_000
OVERSIZED = 2 * 1024 * 1024
BAD_DATES = ("0001-01-01", "9999-12-31", "1900-01-01")


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def dumps(value):
    """JSON text as a client would send it: a lone surrogate goes out escaped (``"\\ud800"``)."""
    import json

    return json.dumps(value, ensure_ascii=True).encode("ascii")


def nested(depth, leaf, kind):
    """``depth`` levels of arrays (``[[[...]]]``) or objects (``{"a": {"a": ...}}``) as JSON text."""
    if kind == "array":
        return b"[" * depth + leaf + b"]" * depth
    return b'{"a":' * depth + leaf + b"}" * depth


def row_counts():
    """Rows of every model of our apps, of users and of tokens: "nothing stored" means none of these moved."""
    counted = {}
    for app in ("casefiles", "programmes", "auth", "authtoken"):
        for model in apps.get_app_config(app).get_models():
            counted[model._meta.label] = model.objects.count()
    return counted


# --- the operations, from the OpenAPI document -----------------------------------------------------------


def json_operations(client):
    """(method, path, request schema) of every operation whose request body may be JSON."""
    document = client.get(SCHEMA_PATH, HTTP_ACCEPT="application/json").json()
    components = document.get("components", {}).get("schemas", {})
    found = []
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            body = (item.get(method) or {}).get("requestBody", {}).get("content", {})
            if "application/json" in body:
                schema = body["application/json"].get("schema", {})
                if "$ref" in schema:
                    schema = components[schema["$ref"].rsplit("/", 1)[-1]]
                found.append((method, path, schema))
    return found, components


def sample(schema, components):
    """A plain value of the shape a schema asks for (only the seed that the hostile parts are added to)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {name: sample(sub, components) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2000-01-01"
    return "x"


@pytest.fixture
def world(db):
    """Five schemes, a draft dossier of jilin's applicant, an issued card with its holder; tokens for both."""
    setup_schemes()
    dossier = new_dossier("jilin")
    card = issue_card("tonghua", rng=random.Random(5), password=PASSWORD)
    # a 楚雄 dossier in the stage that asks departments for opinions (第四条第（二）项), its requests open
    request = _open_opinion_request()
    return {
        "service_request": _service_request(card),
        "dossier": dossier,
        "document": _applicant_document(dossier),
        "card": card,
        "request": request,
        "asked": Token.objects.create(user=demo_user_for(request.dossier, request.department.code)).key,
        "applicant": Token.objects.create(user=dossier.applicant).key,
        "holder": Token.objects.create(user=card.holder).key,
    }


def _service_request(card):
    """A request of the holder for a service of the card (service delivery's operations read their body for it)."""
    from casefiles.exceptions import CaseFileError
    from delivery.services import RequestService, card_services

    for service in card_services(card):
        try:
            return RequestService(card, service, card.holder).execute()
        except CaseFileError:
            continue
    raise AssertionError(f"no service of card {card.number} can be requested")


def _applicant_document(dossier):
    """A document the applicant added to their draft: the one a withdrawal's body is posted to."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from casefiles.actions.documents import AddDocument

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    upload = SimpleUploadedFile("学历证书.png", buffer.getvalue(), content_type="image/png")
    return AddDocument(dossier, dossier.applicant, upload, title="学历证书").execute().document


def _open_opinion_request():
    from casefiles.demo_dossiers import dossier_in_state
    from casefiles.models import OpinionRequest, OpinionRequestStatus

    for scheme in Scheme.objects.order_by("slug"):
        for state in scheme.states.order_by("order"):
            if not state.opinions:
                continue
            applicant = user(f"{scheme.slug}.applicant")
            dossier = dossier_in_state(scheme, applicant, random.Random(9), state.code)
            request = OpinionRequest.objects.filter(dossier=dossier, status=OpinionRequestStatus.OPEN,
                                                    department__isnull=False).order_by("pk").first()
            if dossier is not None and request is not None:
                return request
    raise LookupError("no scheme state asks a department for an opinion")


def base_body(method, path, schema, components):
    if (method, path) == ("post", "/api/v1/dossiers/"):
        scheme = Scheme.objects.get(slug="jilin")
        person = identity(random.Random(11))
        return {
            "scheme": "jilin", "tier": scheme.tiers.order_by("rank").first().code, "criteria": [], "facts": {},
            "applicant_name": person["applicant_name"], "id_type": "resident_id", "id_number": person["id_number"],
            "phone": person["phone"],
        }
    if path == "/api/v1/eligibility/":
        return {"scheme": "tonghua", "criteria": ["7.2"], "facts": {"contract_years": 3}}
    return sample(schema, components)


def hostile_bodies(base):
    """(name, JSON text) of every hostile input, each built on the operation's own body."""
    strings = [k for k, v in base.items() if isinstance(v, str)] or ["comment"]
    nests = [k for k, v in base.items() if isinstance(v, dict | list)]
    in_value = {**base, **{k: f"{base.get(k, '')}{SURROGATE}" for k in strings}}
    # Only inside a nested value (for dossiers: only in the facts), where a serializer does not look.
    dicts = [k for k in nests if isinstance(base[k], dict)]
    nested_value = {**base, **{k: ({"contract_years": SURROGATE} if k in dicts else [SURROGATE]) for k in dicts or nests}}
    if not nests:
        nested_value["extra"] = {"note": SURROGATE}
    in_key = {**base, SURROGATE: "x", **{k: {SURROGATE: 1} for k in nests if isinstance(base[k], dict)}}
    seed = dumps(base)[:-1] + (b", " if base else b"")
    return [
        ("surrogate in a value", dumps(in_value)),
        ("surrogate in a nested value", dumps(nested_value)),
        ("surrogate in a key", dumps(in_key)),
        ("5,000-deep array", seed + b'"deep": ' + nested(DEEP, b"1", "array") + b"}"),
        ("5,000-deep object", seed + b'"deep": ' + nested(DEEP, b"1", "object") + b"}"),
        ("oversized body", dumps({**base, "padding": "x" * OVERSIZED})),
        ("256 KB of unterminated escaped quotes", escaped_quotes(seed + b'"text": ')),
    ]


def escaped_quotes(prefix, size=None):
    """``prefix`` then an unterminated string of escaped quotes (``"\\"\\"\\"...``), ``size`` bytes in all (the
    parser's limit by default): the shape that made the old string-stripping regex quadratic (minutes)."""
    from huicai.api.parsers import max_bytes

    size = max_bytes() if size is None else size
    body = prefix + b'"' + b'\\"' * size
    return body[:size]


def caller_for(path, world):
    if "/opinion-requests/" in path:  # answered by the department asked, on its open request
        return world["asked"], path.replace("{id}", str(world["request"].pk)).replace("{pk}", str(world["request"].pk))
    if "/service-requests/" in path:  # the holder's own request: the step and rating bodies are read for it
        pk = str(world["service_request"].pk)
        return world["holder"], path.replace("{id}", pk).replace("{pk}", pk)
    path = path.replace("{code}", "id_document")  # a material code: the applicant sees the dossier, the body is read
    if "{id}" not in path and "{pk}" not in path and "dossiers" not in path and "cards" not in path:
        return None, path  # anonymous endpoints (eligibility, token) and the rest with no object
    if "/documents/" in path and "/dossiers/" not in path:  # a document's own operations: the applicant's document
        return world["applicant"], path.replace("{id}", str(world["document"].pk)).replace("{pk}", str(world["document"].pk))
    if "/cards/" in path:
        return world["holder"], path.replace("{id}", str(world["card"].pk)).replace("{pk}", str(world["card"].pk))
    return world["applicant"], path.replace("{id}", str(world["dossier"].pk)).replace("{pk}", str(world["dossier"].pk))


def test_every_json_operation_refuses_hostile_bodies_with_a_chinese_400(client, world):
    client.raise_request_exception = False  # a server error is counted as a finding, not raised
    operations, components = json_operations(client)
    labels = {(m, p) for m, p, _s in operations}
    assert {("post", "/api/v1/dossiers/"), ("post", "/api/v1/eligibility/"), ("post", "/api/v1/auth/token/")} <= labels
    cells, failures = 0, []
    for method, path, schema in operations:
        token, url = caller_for(path, world)
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
        for name, body in hostile_bodies(base_body(method, path, schema, components)):
            before = row_counts()
            response = getattr(client, method)(url, body, content_type="application/json", **headers)
            cells += 1
            problem = None
            if response.status_code != 400:
                problem = f"status {response.status_code}"
            else:
                error = response.json().get("error", {})
                if not has_cjk(error.get("message", "")) or not error.get("code"):
                    problem = f"body {error}"
            after = row_counts()
            if after != before:
                problem = f"stored {[k for k in after if after[k] != before[k]]}"
            if problem:
                failures.append(f"{method.upper()} {path} / {name}: {problem}")
    print(f"hostile JSON sweep: {len(operations)} operations x 7 inputs = {cells} requests, {len(failures)} failures")
    assert cells >= 7 * len(operations) and len(operations) >= 5
    assert failures == [], "\n".join(failures)


def reference_depth(text):
    """The nesting depth of a JSON text, character by character (no regular expression): the specification
    the parser's scanner is checked against."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def test_the_depth_scanner_agrees_with_a_character_by_character_count():
    """The parser's pre-scan (huicai.api.parsers.text_nesting_depth) against the reference above: real JSON of
    known depth, brackets and escaped quotes inside strings, random texts over the characters that matter, and
    the 256 KB of unterminated escaped quotes that took the old regex about 3.5 minutes (one linear pass now)."""
    import json

    from huicai.api.parsers import DEFAULT_MAX_DEPTH, text_nesting_depth

    texts = [json.dumps(value) for value in (
        [], {}, [[["[[[", "]]]"]]], {"a": [{"b": '{"[\\}'}]}, ["\\", ["\\\""]], [[[[[[[[1]]]]]]]], "[{\"",
    )]
    rng = random.Random(15)
    texts += ["".join(rng.choice('"\\[]{}a') for _ in range(rng.randint(0, 40))) for _ in range(2_000)]
    for text in texts:
        assert text_nesting_depth(text) == reference_depth(text), text
        limited = text_nesting_depth(text, 3)
        assert limited == min(reference_depth(text), 4), text  # stops once past the limit
    assert text_nesting_depth(json.dumps(nested_value(40))) == 40
    pathological = escaped_quotes(b"").decode()
    assert len(pathological) == 256 * 1024
    assert text_nesting_depth(pathological + "[" * 20, DEFAULT_MAX_DEPTH) == 0  # all inside the string
    assert text_nesting_depth("[" * 20 + pathological, DEFAULT_MAX_DEPTH) == DEFAULT_MAX_DEPTH + 1


def nested_value(depth):
    value = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def test_a_dossier_stored_with_a_lone_surrogate_does_not_break_the_api_or_the_admin(client, world):
    """Defence in depth: a dossier holding malformed text (stored by an older version) still reads as JSON in
    the API and still opens in the admin, for the applicant and for staff."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses to store a lone surrogate at all (json and text columns): nothing to read back")
    dossier = world["dossier"]
    Dossier.objects.filter(pk=dossier.pk).update(facts={"talent_category": SURROGATE, "\udfff": 1})
    response = client.get(f"/api/v1/dossiers/{dossier.pk}/", HTTP_AUTHORIZATION=f"Token {world['applicant']}")
    assert response.status_code == 200
    assert response.json()["facts"]["talent_category"].startswith("\ufffd")
    client.force_login(get_user_model().objects.create_superuser("json-probe", "probe@example.org", PASSWORD))
    response = client.get(f"/api/v1/dossiers/{dossier.pk}/")
    assert response.status_code == 200
    response = client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk]))
    assert response.status_code == 200 and "\ufffd" in response.content.decode()


def test_lone_surrogates_are_handled_in_one_place():
    """huicai.text is the one helper that knows a lone surrogate: the parser refuses with it, the renderer and
    the template filter repair with it; no other product module spells out its own copy."""
    from pathlib import Path

    from django.conf import settings

    from casefiles.templatetags.casefiles_text import well_formed
    from huicai import text
    from huicai.api import parsers, renderers

    root = Path(settings.BASE_DIR)
    packages = [top for top in root.iterdir() if (top / "__init__.py").exists() and top.name != "tests"]
    assert {"casefiles", "huicai"} <= {top.name for top in packages}
    copies = [
        str(path.relative_to(root))
        for top in packages
        for path in top.rglob("*.py")
        if path != root / "huicai" / "text.py" and "surrogatepass" in path.read_text(encoding="utf-8")
    ]
    assert copies == []
    assert parsers.is_well_formed is text.is_well_formed
    for value in ("张三", f"张{SURROGATE}三", "\udfff", ""):
        assert well_formed(value) == renderers.scrub(value) == text.well_formed_text(value)
        assert text.is_well_formed(value) == (SURROGATE not in value and "\udfff" not in value)
        assert text.is_well_formed(text.well_formed_text(value))


BAD_FACTS = [
    {"contract_years": "three"}, {"contract_years": 1e300}, {"contract_years": -1}, {"months_per_year_in_jurisdiction": 13},
    {"self_employed": "yes"}, {"unknown_fact": 1}, {"contract_years": {"a": 1}}, {"talent_category": "C" * 200},
    ["not", "an", "object"],
]


def test_facts_are_checked_against_the_known_facts_and_their_types(client, world):
    body = base_body("post", "/api/v1/dossiers/", {}, {})
    for facts in BAD_FACTS:
        before = row_counts()
        response = client.post("/api/v1/dossiers/", {**body, "facts": facts}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {world['applicant']}")
        assert response.status_code == 400, (facts, response.content[:300])
        message = response.json()["error"]["message"]
        assert message.startswith("facts: ") and has_cjk(message), (facts, message)
        assert row_counts() == before
    # The service refuses them too, whoever calls it.
    scheme = Scheme.objects.get(slug="jilin")
    for facts in BAD_FACTS:
        with pytest.raises(CaseFileError) as info:
            create_with(scheme, facts=facts)
        assert info.value.code == "facts"


def test_the_service_refuses_lone_surrogates_from_any_caller(world):
    """Whatever reaches the dossier service (an import, a script, a future form) cannot store malformed text."""
    scheme = Scheme.objects.get(slug="jilin")
    before = row_counts()
    cases = [
        ({"applicant_name": f"张{SURROGATE}三"}, "applicant_name"),
        ({"nationality": SURROGATE}, "nationality"),
        ({"facts": {"talent_category": SURROGATE}}, "facts"),
        ({"facts": {SURROGATE: True}}, "facts"),
    ]
    for arguments, field in cases:
        with pytest.raises(CaseFileError) as info:
            create_with(scheme, **arguments)
        assert info.value.code == field and has_cjk(info.value.message), (arguments, info.value.message)
    assert row_counts() == before


def test_portal_posts_cannot_carry_lone_surrogates(client, world):
    """Form bodies are decoded with replacement characters: the UTF-8 form of a surrogate (ED A0 80), raw or
    percent-encoded, in every text field of the application form is never a 500 and never stored as a surrogate."""
    from urllib.parse import urlencode

    scheme = Scheme.objects.get(slug="jilin")
    assert client.login(username="jilin.applicant", password=PASSWORD)
    client.raise_request_exception = False
    text_fields = [name for name, field in ApplicationForm(scheme=scheme).fields.items()
                   if type(field) in (forms.CharField, forms.EmailField)]
    assert "applicant_name" in text_fields
    for field in text_fields:
        data = portal_data(scheme)
        data.pop(field, None)
        body = urlencode(data, doseq=True).encode() + f"&{field}=".encode() + b"%ED%A0%80"
        response = client.post(reverse("portal_application_new"), body, content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 302), (field, response.status_code)
    for dossier in Dossier.objects.all():
        for name in ("applicant_name", "nationality", "phone", "email", "sector"):
            (getattr(dossier, name) or "").encode("utf-8")  # raises on a lone surrogate


def test_known_facts_of_every_type_are_accepted(client, world):
    body = base_body("post", "/api/v1/dossiers/", {}, {})
    facts = {"contract_years": 3, "self_employed": False, "months_per_year_in_jurisdiction": 12, "talent_category": "A/B"}
    response = client.post("/api/v1/dossiers/", {**body, "facts": facts}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {world['applicant']}")
    assert response.status_code == 201, response.content[:300]


# --- dates --------------------------------------------------------------------------------------------------


def portal_data(scheme, **overrides):
    person = identity(random.Random(7))
    data = {
        "scheme": scheme.slug,
        "requested_tier": scheme.tiers.get(code="jixiang").pk,
        "criteria": [scheme.criteria.get(ref="4.1").pk],
        "applicant_name": person["applicant_name"], "id_type": "resident_id", "id_number": person["id_number"],
        "nationality": "中国", "phone": person["phone"], "email": "talent@example.org",
        "employer": Department.objects.get(code="jilin-university-demo").pk,
    }
    if scheme.authority_kind:
        data["authority"] = scheme.departments.filter(kind=scheme.authority_kind).order_by("code").first().pk
        data["sector"] = "高校"
    data.update(overrides)
    return data


def date_fields_of_the_portal(scheme):
    return [name for name, field in ApplicationForm(scheme=scheme).fields.items() if isinstance(field, forms.DateField)]


def date_fields_of_the_api(client):
    operations, components = json_operations(client)
    found = []
    for method, path, schema in operations:
        for name, sub in schema.get("properties", {}).items():
            if sub.get("format") == "date" and not sub.get("readOnly"):
                found.append((method, path, name))
    return found


def test_every_portal_date_field_refuses_impossible_dates(client, world):
    scheme = Scheme.objects.get(slug="jilin")
    assert client.login(username="jilin.applicant", password=PASSWORD)
    fields = date_fields_of_the_portal(scheme)
    assert {"birth_date", "contract_end"} <= set(fields)
    for field in fields:
        for value in BAD_DATES:
            before = Dossier.objects.count()
            response = client.post(reverse("portal_application_new"), portal_data(scheme, **{field: value}))
            assert response.status_code == 200, (field, value, response.status_code)
            errors = response.context["form"].errors.get(field)
            assert errors and has_cjk(errors[0]), (field, value, response.context["form"].errors)
            assert Dossier.objects.count() == before
    good = {"birth_date": "1985-06-01", "contract_end": str(timezone.localdate() + datetime.timedelta(days=900))}
    response = client.post(reverse("portal_application_new"), portal_data(scheme, **good))
    assert response.status_code == 302, response.context["form"].errors if response.context else response


def test_every_api_date_field_refuses_impossible_dates(client, world):
    fields = date_fields_of_the_api(client)
    assert ("post", "/api/v1/dossiers/", "birth_date") in fields and ("post", "/api/v1/dossiers/", "contract_end") in fields
    for method, path, field in fields:
        token, url = caller_for(path, world)
        body = base_body(method, path, {}, {})
        for value in BAD_DATES:
            before = row_counts()
            response = getattr(client, method)(url, {**body, field: value}, content_type="application/json",
                                               HTTP_AUTHORIZATION=f"Token {token}")
            assert response.status_code == 400, (path, field, value, response.content[:300])
            message = response.json()["error"]["message"]
            assert message.startswith(f"{field}: ") and has_cjk(message), message
            assert row_counts() == before


def test_the_dossier_service_refuses_impossible_dates(world):
    scheme = Scheme.objects.get(slug="jilin")
    before = Dossier.objects.count()
    for field in ("birth_date", "contract_end"):
        for value in BAD_DATES:
            with pytest.raises(CaseFileError) as info:
                create_with(scheme, **{field: datetime.date.fromisoformat(value)})
            assert info.value.code == field and has_cjk(str(info.value.message)), (field, value)
    assert Dossier.objects.count() == before


def test_a_contract_cannot_end_before_the_applicant_is_of_working_age(world):
    """The 18th-birthday rule alone: the applicant is an adult (18 years and 30 days) and the contract ended 60
    days ago (within the year a past contract may have ended), so only that rule can refuse it."""
    today = timezone.localdate()
    try:
        eighteen_years_ago = today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        eighteen_years_ago = today.replace(year=today.year - 18, day=28)
    birth = eighteen_years_ago - datetime.timedelta(days=30)
    contract_end = today - datetime.timedelta(days=60)
    with pytest.raises(CaseFileError) as info:
        create_with(Scheme.objects.get(slug="jilin"), birth_date=birth, contract_end=contract_end)
    assert info.value.code == "contract_end"
    with translation.override("zh-hans"):
        expected = str(_("The employment contract cannot end before the applicant's 18th birthday."))
    assert info.value.message == expected and has_cjk(expected)
    # The same contract is fine for an applicant who turned 18 before it ended.
    older = birth - datetime.timedelta(days=60)
    create_with(Scheme.objects.get(slug="jilin"), birth_date=older, contract_end=contract_end)


def create_with(scheme, **arguments):
    from django.utils import translation

    from casefiles.services.dossiers import dossier_create

    with translation.override("zh-hans"):
        try:
            return dossier_create(applicant=user("jilin.applicant"), scheme=scheme, requested_tier=scheme.tiers.first(),
                                  **{**identity(random.Random(3)), **arguments})
        except CaseFileError as exc:
            exc.message = str(exc.message)
            raise

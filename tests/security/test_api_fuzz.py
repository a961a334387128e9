"""Schemathesis against the OpenAPI document, in process through the Django WSGI application, as an
anonymous caller and as a department user with a token: no request, valid or not, may produce a 5xx.
Every generated JSON body is also sent in hostile variants (issue 15): a lone surrogate (``"\ud800"``) in its
values and in a key, and 5,000-deep nested arrays and objects — the strategies schemathesis does not draw.
Plus a plain test: a malformed JSON body to every POST/PUT/PATCH operation is a 400 with the error body.

Reproducible: Hypothesis runs derandomized (fixed seed) with no example database."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.generation import GenerationMode

from casefiles.models import DepartmentKind, Membership
from tests.casefiles.factories import new_dossier, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

SCHEMA_PATH = "/api/v1/schema/"
MAX_EXAMPLES = 8  # per operation, mode and caller: ~1–2 minutes in all on the shared CI machine
SURROGATES = ("\ud800", "\udfff")
DEEP = 5_000
STATS = {"requests": 0, "hostile": 0, "operations": set(), "server_errors": 0}


def _poison_strings(value, surrogate):
    """``value`` with a lone surrogate appended to every string and key-free scalar slot it holds."""
    if isinstance(value, str):
        return value + surrogate
    if isinstance(value, dict):
        return {key: _poison_strings(item, surrogate) for key, item in value.items()}
    if isinstance(value, list):
        return [_poison_strings(item, surrogate) for item in value] + [surrogate]
    return value


def _poison_keys(value, surrogate):
    """``value`` with a key holding a lone surrogate added to it and to every object it holds."""
    if isinstance(value, dict):
        return {**{key: _poison_keys(item, surrogate) for key, item in value.items()}, surrogate: 1}
    if isinstance(value, list):
        return [_poison_keys(item, surrogate) for item in value]
    return {surrogate: value}


def _with_deep(body, opening, closing):
    """JSON text of ``body`` carrying a ``DEEP``-level nested value (as a member, or as the whole body)."""
    deep = opening * DEEP + b"1" + closing * DEEP
    if isinstance(body, dict) and body:
        return _dumps(body)[:-1] + b', "deep": ' + deep + b"}"
    return deep


def _dumps(value):
    import json

    return json.dumps(value, ensure_ascii=True).encode("ascii")  # a surrogate goes out escaped, as "\ud800"


def hostile_variants(body):
    """(name, JSON text) of the hostile versions of one generated body (none for a body that is not JSON data)."""
    try:
        _dumps(body)
    except (TypeError, ValueError):
        return []  # raw bytes or binary from an explicit example: sent as generated only
    return [
        ("surrogate in values", _dumps(_poison_strings(body, SURROGATES[0]))),
        ("surrogate in a key", _dumps(_poison_keys(body, SURROGATES[1]))),
        ("5,000-deep array", _with_deep(body, b"[", b"]")),
        ("5,000-deep object", _with_deep(body, b'{"a":', b"}")),
    ]


def takes_json(operation):
    body = operation.definition.raw.get("requestBody", {}).get("content", {})
    return "application/json" in body


@pytest.fixture(autouse=True)
def fresh_stats():
    """STATS counts one test's requests: reset before each test, so a rerun (or a second test) does not add
    its figures to the previous run's, nor pass on requests another run made."""
    STATS.update(requests=0, hostile=0, operations=set(), server_errors=0)
    yield STATS


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes "obsolete" connections when a request starts and ends; inside a test's transaction
    (autocommit off) PostgreSQL's connection counts as obsolete and would be closed under the test. Django's test
    client detaches the same handler; schemathesis calls the WSGI application directly, so detach it here."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    """Five schemes with their users, a dossier, and a token for a reviewing department's staff."""
    setup_schemes()
    dossier = new_dossier("jilin")
    member = (
        Membership.objects.filter(department__schemes=dossier.scheme)
        .exclude(department__kind=DepartmentKind.EMPLOYER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    token = Token.objects.create(user=member.user)
    applicant_token = Token.objects.create(user=dossier.applicant)
    return {"dossier": dossier, "staff": token.key, "applicant": applicant_token.key,
            "users": {"staff": member.user, "applicant": dossier.applicant}}


def load_schema():
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 8, [op.label for op in found]
    return found


def run_operation(operation, mode, headers):
    """Up to MAX_EXAMPLES generated requests for one operation; a 5xx fails with the reproducing case."""
    failures = []
    hostile = takes_json(operation)

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case):
        cases = [("generated", case)]
        if hostile and case.media_type == "application/json" and case.body is not NOT_SET:
            for name, text in hostile_variants(case.body):
                variant = operation.Case(path_parameters=case.path_parameters, query=case.query, headers=dict(case.headers or {}),
                                         body=text, media_type="application/json")
                cases.append((name, variant))
        for name, sent in cases:
            response = sent.call(headers=headers)
            STATS["requests"] += 1
            STATS["hostile"] += name != "generated"
            STATS["operations"].add(operation.label)
            if response.status_code >= 500:
                STATS["server_errors"] += 1
                failures.append(f"{operation.label} [{name}] {response.status_code}: {sent.as_curl_command()[:300]}")
            elif name != "generated" and response.status_code == 400:
                assert set(response.json()) == {"error"}, (operation.label, name, response.content[:200])
            sent.validate_response(response, checks=[not_a_server_error])

    try:
        probe()
    except Unsatisfiable:
        # Nothing to generate in this mode (e.g. no parameter or body that could be made invalid).
        return None
    return failures


def test_no_server_error_for_any_generated_request(world):
    schema = load_schema()
    for caller in ("anonymous", "staff", "applicant"):
        headers = {} if caller == "anonymous" else {"Authorization": f"Token {world[caller]}"}
        probed = []
        for operation in operations(schema):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures = run_operation(operation, mode, headers)
                if caller != "anonymous":
                    # A generated logout ends the caller's token: give it back, or the rest would probe as 401.
                    Token.objects.get_or_create(key=world[caller], defaults={"user": world["users"][caller]})
                if failures is not None:
                    assert failures == [], caller
                    probed.append((operation.label, mode.value))
        labels = {label for label, _mode in probed}
        assert "POST /api/v1/dossiers/" in labels and "GET /api/v1/dossiers/{id}/" in labels
        assert ("POST /api/v1/dossiers/", "negative") in probed
    print(
        f"schemathesis: {STATS['requests']} requests ({STATS['hostile']} hostile) over {len(STATS['operations'])}"
        f" operations x 3 callers, {STATS['server_errors']} server errors"
    )
    assert STATS["hostile"] > 0 and STATS["server_errors"] == 0


def test_the_figures_count_only_the_current_test():
    """Runs after the sweep above: its requests are not carried into this test (nor into a rerun's report)."""
    assert STATS == {"requests": 0, "hostile": 0, "operations": set(), "server_errors": 0}


# --- malformed JSON --------------------------------------------------------------------------------------


def write_operations():
    """(method, path) of every operation that takes a request body (a logout, say, takes none)."""
    from django.test import Client

    document = Client().get(SCHEMA_PATH, HTTP_ACCEPT="application/json").json()
    found = []
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item and item[method].get("requestBody"):
                found.append((method, path))
    return found


@pytest.mark.parametrize("caller", ["anonymous", "staff"])
def test_malformed_json_to_every_write_endpoint_is_a_400(client, world, caller):
    headers = {} if caller == "anonymous" else {"HTTP_AUTHORIZATION": f"Token {world[caller]}"}
    targets = write_operations()
    assert ("post", "/api/v1/dossiers/") in targets and ("post", "/api/v1/auth/token/") in targets
    for method, path in targets:
        url = path.replace("{id}", str(world["dossier"].pk)).replace("{pk}", str(world["dossier"].pk)).replace("{code}", "id_document")
        response = getattr(client, method)(url, b'{"a":', content_type="application/json", **headers)
        assert response.status_code < 500, (method, url, response.status_code)
        body = response.json()
        assert set(body) == {"error"} and body["error"]["message"], (method, url, body)
        if response.status_code == 400:
            assert body["error"]["code"] == "parse_error", (method, url, body)
        else:
            # Refused before the body is read: not signed in (401/403), or an endpoint that takes no JSON (415).
            assert response.status_code in (401, 403, 404, 415), (method, url, response.status_code, body)
            if caller == "staff":
                assert response.status_code in (403, 404, 415), (method, url, response.status_code)

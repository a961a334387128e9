"""Schemathesis against the OpenAPI document, in process through the Django WSGI application, as an
anonymous caller and as a department user with a token: no request, valid or not, may produce a 5xx.
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
from schemathesis.generation import GenerationMode

from casefiles.models import DepartmentKind, Membership
from tests.casefiles.factories import new_dossier, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

SCHEMA_PATH = "/api/v1/schema/"
MAX_EXAMPLES = 8  # per operation, mode and caller: ~1–2 minutes in all on the shared CI machine


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
    return {"dossier": dossier, "staff": token.key, "applicant": applicant_token.key}


def load_schema():
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 8, [op.label for op in found]
    return found


def run_operation(operation, mode, headers):
    """Up to MAX_EXAMPLES generated requests for one operation; a 5xx fails with the reproducing case."""
    failures = []

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
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(f"{case.operation.label} {response.status_code}: {case.as_curl_command()}")
        case.validate_response(response, checks=[not_a_server_error])

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
                if failures is not None:
                    assert failures == [], caller
                    probed.append((operation.label, mode.value))
        labels = {label for label, _mode in probed}
        assert "POST /api/v1/dossiers/" in labels and "GET /api/v1/dossiers/{id}/" in labels
        assert ("POST /api/v1/dossiers/", "negative") in probed


# --- malformed JSON --------------------------------------------------------------------------------------


def write_operations():
    from django.test import Client

    document = Client().get(SCHEMA_PATH, HTTP_ACCEPT="application/json").json()
    found = []
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item:
                found.append((method, path))
    return found


@pytest.mark.parametrize("caller", ["anonymous", "staff"])
def test_malformed_json_to_every_write_endpoint_is_a_400(client, world, caller):
    headers = {} if caller == "anonymous" else {"HTTP_AUTHORIZATION": f"Token {world[caller]}"}
    targets = write_operations()
    assert ("post", "/api/v1/dossiers/") in targets and ("post", "/api/v1/auth/token/") in targets
    for method, path in targets:
        url = path.replace("{id}", str(world["dossier"].pk)).replace("{pk}", str(world["dossier"].pk))
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

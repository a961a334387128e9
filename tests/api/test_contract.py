"""The OpenAPI document as a contract an integrator can build on (issue #23, items 4 and 5).

The document is generated as ``/api/v1/schema/`` serves it, then: validated with openapi-spec-validator; swept
operation by operation (one request body per content type only where they differ, a Chinese description, an example,
every 4xx answer the shared Error shape, lists paginated, the version and deprecation rule stated); and a Python
client is generated from it with openapi-python-client and drives a whole journey against a live server for every
scheme: apply, upload, submit, each department's decision through to issue, verify the card.
"""

import datetime
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from casefiles.demo_dossiers import DEMO_PNG, demo_facts
from casefiles.models import Department, DepartmentKind, Dossier, Scheme
from casefiles.testing import demo_user_for, identity, path_to, route_choice, satisfy_controls
from tests.casefiles.factories import PASSWORD, setup_schemes
from tests.casefiles.factories import user as user_named

pytestmark = [pytest.mark.django_db]

CJK = re.compile(r"[\u4e00-\u9fff]")
BIN = Path(sys.executable).parent


def served_document():
    """The document as /api/v1/schema/ serves it to a visitor (in the site's language, zh-Hans)."""
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


@pytest.fixture
def document(db):
    return served_document()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_document_validates_with_openapi_spec_validator(document):
    from openapi_spec_validator import validate

    validate(document)  # raises on the first error (it used to: an e-mail field's default '' is no e-mail)


def test_no_operation_declares_the_same_body_for_several_content_types(document):
    repeated = []
    for path, method, operation in operations(document):
        content = (operation.get("requestBody") or {}).get("content") or {}
        bodies = [json.dumps(media.get("schema"), sort_keys=True) for media in content.values()]
        if len(bodies) != len(set(bodies)):
            repeated.append(f"{method.upper()} {path}: {sorted(content)}")
    assert not repeated, repeated


def test_every_operation_has_a_chinese_description_and_an_example(document):
    problems, count = [], 0
    for path, method, operation in operations(document):
        count += 1
        label = f"{method.upper()} {path}"
        for key in ("summary", "description"):
            if not CJK.search(operation.get(key) or ""):
                problems.append(f"{label}: {key} not in Chinese: {operation.get(key)!r}")
        media = list(((operation.get("requestBody") or {}).get("content") or {}).values())
        media += [m for response in operation["responses"].values() for m in (response.get("content") or {}).values()]
        if not any(m.get("examples") or m.get("example") for m in media):
            problems.append(f"{label}: no example")
        if operation.get("requestBody") and not any(
            m.get("examples") for m in operation["requestBody"]["content"].values()
        ):
            problems.append(f"{label}: request body without an example")
    print(f"{count} operations checked for Chinese texts and examples")
    assert count >= 20 and not problems, problems


def test_every_error_answer_is_the_shared_error_shape(document):
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    problems, answers = [], 0
    for path, method, operation in operations(document):
        label = f"{method.upper()} {path}"
        statuses = {status for status in operation["responses"] if status.startswith("4")}
        if not statuses:
            problems.append(f"{label}: no documented error")
        for status in statuses:
            answers += 1
            content = operation["responses"][status].get("content") or {}
            media = content.get("application/json") or {}
            if media.get("schema") != {"$ref": "#/components/schemas/Error"} or not media.get("examples"):
                problems.append(f"{label} {status}: {content}")
            for example in media.get("examples", {}).values():
                if not CJK.search(example["value"]["error"]["message"]):
                    problems.append(f"{label} {status}: example message not Chinese")
        public = {} in (operation.get("security") or [{}])
        if public and "429" not in statuses:
            problems.append(f"{label}: anonymous but no 429 documented")
        if not public and not {"401", "403"} <= statuses:
            problems.append(f"{label}: signed-in only but 401/403 not documented")
    print(f"{answers} documented error answers, all referencing Error")
    assert not problems, problems


def test_document_states_version_deprecation_rule_and_paginated_lists(document):
    info = document["info"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"])
    assert info["version"] in info["description"] and "/api/v2/" in info["description"]
    assert "12" in info["description"] and CJK.search(info["description"])
    lists = [
        (path, op)
        for path, method, op in operations(document)
        if method == "get" and op["operationId"].endswith("_list")
    ]
    assert len(lists) >= 4
    for path, operation in lists:
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[1]
        properties = document["components"]["schemas"][name]["properties"]
        assert {"count", "next", "previous", "results"} <= set(properties), path
        assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}, path


def test_anonymous_callers_are_throttled_with_a_chinese_429(db, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"},
    }
    client = APIClient()
    statuses = [client.get("/api/v1/schemes/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    body = client.get("/api/v1/schemes/").json()
    assert body["error"]["code"] == "throttled" and CJK.search(body["error"]["message"]), body
    cache.clear()


def test_lists_are_paginated_in_a_stable_order(db, settings):
    setup_schemes()
    client = APIClient()
    first = client.get("/api/v1/schemes/", {"page_size": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"} and first["count"] == Scheme.objects.count()
    seen, page = [], first
    while True:
        seen += [row["slug"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == list(Scheme.objects.order_by("pk").values_list("slug", flat=True))


# --------------------------------------------------------------------------- the generated client


def generate_client(tmp_path, document):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    config = tmp_path / "config.yaml"
    # The preview answers image/png; the generator knows bytes only as application/octet-stream, and its own
    # setting maps one to the other (a client gets the PNG as bytes).
    config.write_text("post_hooks: []\ncontent_type_overrides:\n  image/png: application/octet-stream\n",
                      encoding="utf-8")
    out = tmp_path / "huicai_client"
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(path),
            "--meta",
            "none",
            "--output-path",
            str(out),
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    for name in [n for n in sys.modules if n == "huicai_client" or n.startswith("huicai_client.")]:
        del sys.modules[name]
    return out


@pytest.fixture
def client_package(tmp_path, transactional_db):
    out = generate_client(tmp_path, served_document())
    yield out
    sys.path.remove(str(tmp_path))


def test_every_generated_operation_module_imports(client_package):
    modules = sorted(p for p in (client_package / "api").rglob("*.py") if p.name != "__init__.py")
    for module in modules:
        importlib.import_module(
            "huicai_client.api." + ".".join(module.relative_to(client_package / "api").with_suffix("").parts)
        )
    print(f"{len(modules)} generated operation modules import")
    assert len(modules) >= 20


def test_generated_client_drives_the_journey_for_every_scheme(client_package, live_server):
    from huicai_client import AuthenticatedClient, Client
    from huicai_client.api.auth import auth_token_create
    from huicai_client.api.cards import cards_list
    from huicai_client.api.dossiers import (
        dossiers_attachments_create,
        dossiers_create,
        dossiers_retrieve,
        dossiers_transitions_create,
    )
    from huicai_client.api.schemes import schemes_list
    from huicai_client.api.verify import verify_retrieve
    from huicai_client.models import (
        AttachmentUploadRequest,
        DossierCreateRequest,
        DossierCreateRequestFacts,
        TokenRequestRequest,
        TransitionRequestRequest,
    )
    from huicai_client.types import File

    setup_schemes()
    anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    tokens = {}

    def as_user(user):
        if user.pk not in tokens:
            answer = auth_token_create.sync(
                client=anonymous, body=TokenRequestRequest(username=user.username, password=PASSWORD)
            )
            tokens[user.pk] = answer.token
        return AuthenticatedClient(
            base_url=live_server.url, token=tokens[user.pk], prefix="Token", raise_on_unexpected_status=True
        )

    schemes = schemes_list.sync(client=anonymous, page_size=200)
    assert schemes.count == Scheme.objects.count() >= 5
    steps = 0
    for summary in schemes.results:
        scheme = Scheme.objects.get(slug=summary.slug)
        applicant = as_user(user_named(f"{scheme.slug}.applicant"))
        issue = scheme.transitions.get(issues_card=True)
        tier, criterion = route_choice(scheme, issue.target.code, demo_facts(scheme))
        tier = tier or scheme.tiers.order_by("rank").first()
        criterion = criterion or tier.criteria.order_by("order").first()
        employer = (
            Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER)
            .order_by("pk")
            .first()
        )
        authority = (
            scheme.departments.filter(kind=scheme.authority_kind).order_by("pk").first()
            if scheme.authority_kind
            else None
        )
        person = identity()
        body = DossierCreateRequest(
            scheme=scheme.slug,
            tier=tier.code,
            criteria=[criterion.ref] if criterion else [],
            facts=DossierCreateRequestFacts.from_dict(demo_facts(scheme)),
            applicant_name=person["applicant_name"],
            id_number=person["id_number"],
            phone=person["phone"],
            employer=employer.pk,
            authority=authority.pk if authority else None,
            contract_end=timezone.localdate() + datetime.timedelta(days=3 * 365),
        )
        created = dossiers_create.sync(client=applicant, body=body)
        # 一次告知: the dossier names its required materials; upload each one with its code as the kind.
        checklist = dossiers_retrieve.sync(created.id, client=applicant).to_dict()["materials"]
        assert checklist and all(m["missing"] for m in checklist if not m["optional"]), scheme.slug
        uploaded = [
            dossiers_attachments_create.sync(
                created.id,
                client=applicant,
                body=AttachmentUploadRequest(
                    file=File(payload=DEMO_PNG, file_name=f"{m['name']}.png", mime_type="image/png"), kind=m["code"]
                ),
            ).id
            for m in checklist
            if m["missing"]
        ]
        after = dossiers_retrieve.sync(created.id, client=applicant).to_dict()
        assert [a["id"] for a in after["attachments"]] == uploaded and not any(m["missing"] for m in after["materials"])
        for transition in path_to(scheme, issue.target.code, dossier=Dossier.objects.get(pk=created.id)):
            dossier = satisfy_controls(Dossier.objects.get(pk=created.id), transition)
            principals = [p.strip() for p in transition.by.split(",")]
            users = [demo_user_for(dossier, dossier.state.actor if p == "actor" else p) for p in principals]
            user = next(u for u in users if u is not None)
            client = as_user(user)
            offered = [t["code"] for t in dossiers_retrieve.sync(created.id, client=client).to_dict()["transitions"]]
            assert transition.code in offered, (scheme.slug, dossier.state.code, offered)
            moved = dossiers_transitions_create.sync(
                created.id,
                client=client,
                body=TransitionRequestRequest(
                    transition=transition.code, comment="经审核，同意。", expected_state=dossier.state.code
                ),
            )
            assert moved.state == transition.target.code
            steps += 1
        assert Dossier.objects.get(pk=created.id).state_id == issue.target_id
        cards = cards_list.sync(client=applicant)
        card = next(c for c in cards.results if c.scheme == scheme.slug)
        token = card.qr_payload.rstrip("/").rsplit("/", 1)[1]
        verified = verify_retrieve.sync(token, client=anonymous)
        assert verified.valid and verified.number == card.number and verified.holder != person["applicant_name"]
    print(
        f"generated client: {len(schemes.results)} schemes applied, uploaded, decided and verified "
        f"in {steps} transitions"
    )

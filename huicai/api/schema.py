"""The OpenAPI document as a contract: drf-spectacular's hooks (``SPECTACULAR_SETTINGS``) make it strict in one place.

* only our versioned API is described (:func:`only_public_api`);
* the document states the API version and the deprecation rule (:func:`contract`, ``info``);
* a request body is declared once per content type only where the bodies differ: a body drf-spectacular repeats
  identically for JSON, form and multipart is declared for ``application/json`` alone (form and multipart bodies
  are still accepted);
* a ``default`` that its own ``format`` rejects (``''`` for an e-mail address) is left out;
* every operation has a Chinese summary and description (English source, zh-Hans catalogue: :data:`OPERATIONS`);
* every error is one documented shape, the ``Error`` component (``huicai/api/exceptions.py``): each operation lists
  the 4xx answers it can give, each referencing ``Error`` with an example.
"""

import copy
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers

API_VERSION = "1.0.0"


def only_public_api(endpoints, **kwargs):
    """The OpenAPI document describes our versioned API, not Wagtail's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx answer of the API has this body (huicai/api/exceptions.py).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable reason, e.g. invalid, not_found, throttled",
                },
                "message": {"type": "string", "description": "A message in Chinese, to show to a person"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For a 400 on invalid input: the problems per field",
                },
                "missing": {
                    "type": "array",
                    "description": "For a 400 with code materials_missing: each required material neither attached "
                    "nor waived",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "article": {"type": "string"},
                        },
                        "required": ["code", "name", "article"],
                    },
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

# Status -> (code, message) of the example each documented error carries; messages are the catalogue's.
ERROR_EXAMPLES = {
    400: ("invalid", serializers.Field.default_error_messages["required"]),  # DRF's own messages, as answered
    401: ("not_authenticated", exceptions.NotAuthenticated.default_detail),
    403: ("permission_denied", gettext_lazy("You do not have permission to do this.")),
    404: ("not_found", gettext_lazy("Not found.")),
    429: ("throttled", gettext_lazy("Too many requests; try again in %(seconds)s seconds.")),
}
ERROR_DESCRIPTIONS = {
    400: gettext_lazy("Invalid input"),
    401: gettext_lazy("Not signed in, or the token is wrong or has expired"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("No such object, or not visible to the caller"),
    409: gettext_lazy("The object has moved on; reload and try again"),
    429: gettext_lazy("Too many requests from this address"),
}

# operationId -> (summary, description): English source strings, shown in the catalogue's language (zh-Hans).
OPERATIONS = {
    "auth_token_create": (
        gettext_lazy("Obtain an API token"),
        gettext_lazy(
            "Returns the caller's token while it is valid, else a new one. Send it as `Authorization: Token <token>`. "
            "It expires at `expires` and ends at logout, at a password change and when the account is deactivated."
        ),
    ),
    "auth_logout_create": (
        gettext_lazy("Log out"),
        gettext_lazy("Ends the caller's API token (and the session of a browser signed in to the site)."),
    ),
    "whoami_retrieve": (
        gettext_lazy("The caller's identity"),
        gettext_lazy("The caller's user name, roles and departments."),
    ),
    "schemes_list": (
        gettext_lazy("The schemes"),
        gettext_lazy("The talent service card schemes, with their jurisdiction and published policy page. Public."),
    ),
    "schemes_retrieve": (
        gettext_lazy("A scheme's rules"),
        gettext_lazy(
            "Preconditions, tiers with their criteria and services, exit reasons, workflow stages and validity, "
            "each citing the policy's article. Public."
        ),
    ),
    "eligibility_create": (
        gettext_lazy("Eligibility self-check"),
        gettext_lazy(
            "The tier the given criteria reach and how the scheme's preconditions stand. Public; nothing is stored."
        ),
    ),
    "dossiers_list": (
        gettext_lazy("Dossiers the caller may see"),
        gettext_lazy(
            "Applicants see their own dossiers, staff those of their departments, newest first. "
            "Filter by scheme, state or tier."
        ),
    ),
    "dossiers_create": (
        gettext_lazy("Apply: create a dossier"),
        gettext_lazy(
            "Creates a draft dossier for the caller under a scheme and tier; attach files, then submit it "
            "with the transition the dossier offers."
        ),
    ),
    "dossiers_retrieve": (
        gettext_lazy("One dossier"),
        gettext_lazy(
            "The dossier with its opinions, attachments and the transitions the caller may fire now. "
            "Staff see ID and phone numbers masked."
        ),
    ),
    "dossiers_transitions_create": (
        gettext_lazy("Fire a transition"),
        gettext_lazy(
            "Submits, decides or issues: one of the transitions the dossier offers the caller. Give `expected_state` "
            "to be refused (409) if the dossier has moved on meanwhile."
        ),
    ),
    "dossiers_attachments_create": (
        gettext_lazy("Upload an attachment"),
        gettext_lazy("Adds a file (PDF or image) to a dossier that is open to changes by the caller."),
    ),
    "dossiers_documents_retrieve": (
        gettext_lazy("A dossier's documents"),
        gettext_lazy(
            "Every document of the dossier with its title, kind, issuing body, issue date and side, withdrawn ones "
            "too, each with all its versions (who, when, why) and their download links."
        ),
    ),
    "dossiers_documents_create": (
        gettext_lazy("Add a document or a new version"),
        gettext_lazy(
            "The applicant while the dossier is theirs to edit, staff and the employer while they act on it. With "
            "`document`, a new version of that document; earlier versions are kept. Refused once the dossier is decided."
        ),
    ),
    "documents_withdraw_create": (
        gettext_lazy("Withdraw a document"),
        gettext_lazy(
            "Records who withdrew the document, when and why; its versions stay on file. Only the side that added it, "
            "never once the dossier is decided."
        ),
    ),
    "dossiers_journal_list": (
        gettext_lazy("A dossier's journal"),
        gettext_lazy("Every recorded action on the dossier, oldest first. Staff only."),
    ),
    "dossiers_materials_waive_create": (
        gettext_lazy("Waive a required material"),
        gettext_lazy(
            "The department handling the dossier now (or, while it is returned for supplement, the one that receives it "
            "back) excuses one required material, with the reason on record. Never the applicant; once per material (409)."
        ),
    ),
    "attachments_retrieve": (
        gettext_lazy("Download an attachment"),
        gettext_lazy("The file as uploaded; each staff download is journaled."),
    ),
    "attachments_preview_retrieve": (
        gettext_lazy("Preview a page of a document version"),
        gettext_lazy(
            "A page of the version as a PNG image (page from 1; size thumb or page), for the same callers as the "
            "download. A file that cannot be shown (damaged, or a type without preview) answers 422 with code "
            "preview_unavailable and the reason."
        ),
    ),
    "cards_list": (
        gettext_lazy("Cards the caller may see"),
        gettext_lazy("A holder sees their own cards, staff those of their departments' schemes."),
    ),
    "cards_retrieve": (
        gettext_lazy("One card with its history"),
        gettext_lazy("The card's status, validity and events; the holder also gets the e-card link and QR payload."),
    ),
    "cards_report_loss_create": (
        gettext_lazy("Report a card lost"),
        gettext_lazy("The holder reports the card lost; verification answers accordingly from then on."),
    ),
    "cards_revocation_requests_create": (
        gettext_lazy("Request that a card ends"),
        gettext_lazy("The holder or employer proposes an exit reason of the scheme, as the reason's article allows."),
    ),
    "verify_retrieve": (
        gettext_lazy("Verify a card by its code"),
        gettext_lazy(
            "The status of the card whose certificate or e-card carries this code, with the holder's name masked. "
            "Public and rate-limited."
        ),
    ),
    "verify_create": (
        gettext_lazy("Verify a card by number and name"),
        gettext_lazy(
            "The status of the card with this number and holder (the name, or the ID number's last four "
            "characters). Public and rate-limited."
        ),
    ),
    "opinion_requests_list": (
        gettext_lazy("Requests for opinions waiting on the caller"),
        gettext_lazy(
            "Open requests for an opinion (会签 / 征求意见 / 专家评审) addressed to the caller's departments or to the "
            "caller as expert, overdue first, then by due date. Applicant names are masked."
        ),
    ),
    "opinion_requests_answer_create": (
        gettext_lazy("Answer a request for an opinion"),
        gettext_lazy(
            "Agree, or object with a reason (required). Only the department or expert asked may answer, once, while the "
            "dossier is still in the stage it was asked in; anyone else gets 404."
        ),
    ),
    "dossiers_experts_create": (
        gettext_lazy("Name experts"),
        gettext_lazy(
            "The department acting on the dossier's stage names the experts asked to review it (external accounts "
            "with no department, not the applicant); the deadline is counted in working days from the scheme data."
        ),
    ),
    "service_requests_list": (
        gettext_lazy("The caller's service requests"),
        gettext_lazy(
            "Requests for a card's services that the caller made or that concern the caller's cards, newest first, "
            "with their state, time limit, due day and the steps the caller may take."
        ),
    ),
    "service_requests_create": (
        gettext_lazy("Request a service of a card"),
        gettext_lazy(
            "The holder, or the staff of the employer the card names, requests one service of the card's tier (or of "
            "a tier it includes). Refused (400) with the reason and article for a card that is not valid, a service "
            "outside the tier, or after the card's services ended."
        ),
    ),
    "service_requests_retrieve": (
        gettext_lazy("One service request"),
        gettext_lazy(
            "For the holder, the requester, the responsible unit and the programme office. Of the holder the unit "
            "sees only the name, phone and masked ID number."
        ),
    ),
    "service_requests_steps_create": (
        gettext_lazy("Take a step on a service request"),
        gettext_lazy(
            "The responsible unit accepts, asks for material, completes or refuses (with the reason and the article "
            "it rests on); the holder answers a request for material with supply. Give `expected_state` to be "
            "refused (409) if the request has moved on."
        ),
    ),
    "service_requests_rating_create": (
        gettext_lazy("Rate a completed service"),
        gettext_lazy(
            "The holder (or whoever made the request) rates a completed service once, from 1 to 5 with a comment. "
            "A rating at or below the poor-rating setting, or a complaint, becomes feedback the programme office must "
            "answer. Refused (409) if the request is not completed or was rated already."
        ),
    ),
    "service_queue_retrieve": (
        gettext_lazy("A responsible unit's queue"),
        gettext_lazy(
            "The requests for the unit's services, newest first, one page at a time (pass `next` as `after`), with "
            "the count (“1,000+” beyond the cap). Only for the unit's members."
        ),
    ),
    "search_retrieve": (
        gettext_lazy("Search"),
        gettext_lazy("Full-text search of the published policy pages and guides. Public."),
    ),
}

# operationId -> an example request body (JSON, or the multipart fields).
REQUEST_EXAMPLES = {
    "auth_token_create": {"username": "tonghua.applicant", "password": "••••••••"},
    "dossiers_create": {
        "scheme": "tonghua",  # OpenAPI example
        "tier": "B",
        "criteria": ["7.2"],
        "facts": {"contract_years": 3},
        "applicant_name": "张明",
        "id_type": "resident_id",
        "id_number": "220501198506120012",
        "phone": "13900000000",
    },
    "dossiers_transitions_create": {"transition": "submit", "comment": "", "expected_state": "draft"},
    "dossiers_attachments_create": {"file": "劳动合同.pdf", "kind": "contract"},
    "dossiers_documents_create": {"file": "专家评审意见.pdf", "kind": "other", "title": "专家评审意见", "issuing_body": "专家评审委员会",
                                  "issue_date": "2026-11-20"},
    "documents_withdraw_create": {"reason": "误传，应为另一份会议纪要。"},
    "dossiers_materials_waive_create": {"reason": "原件遗失，已核验单位出具的证明。"},
    "eligibility_create": {"scheme": "tonghua", "criteria": ["7.2"], "facts": {"contract_years": 3}},  # OpenAPI example
    "verify_create": {"number": "THRC-2026-000123", "holder": "张明"},
    "opinion_requests_answer_create": {"agree": False, "comment": "申报的代表性成果与所选认定条件不符。"},
    "dossiers_experts_create": {"experts": [42], "working_days": 10},
    "cards_report_loss_create": {"comment": "卡片于火车站遗失。"},
    "cards_revocation_requests_create": {"reason": "9.1", "comment": "已离职。"},
    "service_requests_create": {"card": 12, "service": "9.2.1", "detail": "配偶随迁落户，材料已备齐。"},
    "service_requests_steps_create": {"step": "refuse", "note": "迁入地不在本市。", "article": "第九条第2项第①目",
                                      "expected_state": "accepted"},
    "service_requests_rating_create": {"rating": 2, "comment": "等了三周才办结。", "complaint": False},
}

PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer"},
        "description": "A page number within the paginated result set.",
    },
    {
        "name": "page_size",
        "in": "query",
        "required": False,
        "schema": {"type": "integer"},
        "description": "Number of results to return per page (at most 200).",
    },
]


def _description():
    return "\n\n".join(
        [
            _("The JSON API of the Huicai talent service card platform."),
            _(
                "Version %(version)s of the API, served under /api/v1/. Within v1 changes are additive only "
                "(new endpoints, new optional fields); a change that breaks a client comes only in a new major "
                "version under its own prefix (/api/v2/), and v1 is then kept for at least 12 months, with "
                "deprecated operations marked `deprecated` in this document. This is an administrative "
                "commitment of the operator, not something the software enforces."
            )
            % {"version": API_VERSION},
            _(
                'Errors all have one shape (the Error schema): {"error": {"code": ..., "message": ...}}. '
                'Lists are paginated ({"count", "next", "previous", "results"}) in a stable order. '
                "Anonymous callers are rate-limited per address (429)."
            ),
        ]
    )


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _drop_invalid_defaults(result):
    """A ``default`` of ``''`` on a formatted string (email, uri, date…) is no valid value: leave it out."""
    for node in _walk(result):
        if node.get("format") and node.get("default") == "":
            del node["default"]


def _one_body_per_content_type(operation):
    content = (operation.get("requestBody") or {}).get("content") or {}
    if len(content) > 1 and "application/json" in content:
        bodies = {json.dumps(media.get("schema"), sort_keys=True, default=str) for media in content.values()}
        if len(bodies) == 1:
            operation["requestBody"]["content"] = {"application/json": content["application/json"]}


def _error_response(status, description):
    code, message = ERROR_EXAMPLES.get(status, ("conflict" if status == 409 else "error", description))
    message = str(message)
    if "%(seconds)s" in message:
        message = message % {"seconds": 60}
    return {
        "description": str(description),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": {code: {"value": {"error": {"code": code, "message": message}}}},
            }
        },
    }


def _errors_for(path, method, operation):
    statuses = set()
    anonymous = {} in (operation.get("security") or [{}])
    if operation.get("requestBody") or operation.get("parameters"):
        statuses.add(400)
    if not anonymous:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if anonymous:
        statuses.add(429)
    moves_on = ("/transitions/", "/steps/", "/rating/")
    if method == "post" and (any(part in path for part in moves_on) or path.startswith("/api/v1/cards/{id}/")):
        statuses.add(409)
    return statuses


def contract(result, generator, request, public):
    """Postprocessing hook: version, deprecation rule, Chinese texts, one body per content type, the Error shape."""
    result["info"]["version"] = API_VERSION
    result["info"]["description"] = _description()
    _drop_invalid_defaults(result)
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = copy.deepcopy(ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            texts = OPERATIONS.get(operation.get("operationId"))
            if texts is not None:
                operation["summary"], operation["description"] = str(texts[0]), str(texts[1])
            _one_body_per_content_type(operation)
            if operation.get("operationId", "").endswith("_list") and method == "get":
                names = {parameter.get("name") for parameter in operation.get("parameters", [])}
                operation.setdefault("parameters", []).extend(
                    parameter for parameter in PAGE_PARAMETERS if parameter["name"] not in names
                )
            responses = operation["responses"]
            for status in _errors_for(path, method, operation):
                responses.setdefault(str(status), {})
            for status, response in list(responses.items()):
                if status.startswith("4"):
                    responses[status] = _error_response(
                        int(status), ERROR_DESCRIPTIONS.get(int(status)) or response.get("description") or status
                    )
            example = REQUEST_EXAMPLES.get(operation.get("operationId"))
            body = (operation.get("requestBody") or {}).get("content") or {}
            if example is not None:
                media = body.get("application/json") or body.get("multipart/form-data")
                if media is not None:
                    media["examples"] = {"example": {"value": example}}
    return result

"""One error body for the whole API: ``{"error": {"code": ..., "message": ...}}`` in Chinese."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from huicai.conflicts import lock_conflict

DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or _("The dossier has moved on; reload and try again."), code)


def _flatten(detail):
    """First human message out of DRF's nested detail, plus the field errors as they are."""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _flatten(value)
            return message if key in ("non_field_errors", "detail") else f"{key}: {message}"
        return ""
    return str(detail)


def error_response(status_code, message, code=None, fields=None, missing=None):
    body = {"error": {"code": code or DEFAULT_CODES.get(status_code, "error"), "message": message}}
    if fields:
        body["error"]["fields"] = fields
    if missing:
        body["error"]["missing"] = missing
    return Response(body, status=status_code)


def exception_handler(exc, context):
    from casefiles.errors import CASE_FILE_ERRORS, error_code, error_details, http_status, user_message

    if isinstance(exc, CASE_FILE_ERRORS):  # the services' typed errors: mapped once, in casefiles/errors.py
        details = error_details(exc)
        response = error_response(http_status(exc), user_message(exc), code=error_code(exc), fields=details.pop("fields", None))
        response.data["error"].update(details)
        return response
    conflict = lock_conflict(exc)
    if conflict is not None:  # lost a race for a database lock: nothing was written, 409 as for a StateConflict
        exc = Conflict(conflict.message)
    request = context.get("request")
    if isinstance(exc, exceptions.AuthenticationFailed) and request is not None and "HTTP_AUTHORIZATION" in request.META:
        # A credential was presented and refused (a wrong or expired token): 401, whichever authentication class
        # is listed first (DRF takes the header, or else 403, from the first; session authentication has none).
        exc.status_code, exc.auth_header = status.HTTP_401_UNAUTHORIZED, "Token"
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or _("You do not have permission to do this."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None)
    code = None
    if isinstance(detail, exceptions.ErrorDetail):
        code = detail.code
    elif isinstance(exc, exceptions.APIException):
        code = exc.default_code
    fields = detail if isinstance(detail, dict) else None
    message = _flatten(detail) if detail is not None else str(exc)
    if isinstance(exc, exceptions.Throttled):
        message = _("Too many requests; try again in %(seconds)s seconds.") % {"seconds": exc.wait or 1}
    if response.status_code == 400 and code in (None, "invalid") and fields:
        code = "invalid"
    new = error_response(response.status_code, message, code=code, fields=fields, missing=getattr(exc, "missing", None))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            new[header] = response[header]
    return new

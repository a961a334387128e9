from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from wagtail.contrib.redirects.middleware import RedirectMiddleware as WagtailRedirectMiddleware


class LanguageMiddleware:
    """Chinese unless the visitor chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language; a bureau's site speaks Chinese by
    default and switches only when the visitor picks a language: the switch in the page header is a plain link
    with ``?lang=``, which this middleware remembers in Django's language cookie (``set_language`` still works).
    A link rather than a POST form keeps public pages free of per-visitor CSRF tokens, so a page is the same
    bytes for every anonymous visitor and a cache or CDN can serve it without setting a cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.GET.get("lang")
        language = chosen or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        if chosen in self.supported and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
            # as django.views.i18n.set_language stores the choice
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


# --- security headers and content security policy --------------------------------------------------------

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
API_DOCS_PREFIX = "/api/v1/docs/"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


def csp_directives_for(path, request=None):
    """The policy for a request path: ``settings.CONTENT_SECURITY_POLICY`` (strict, public pages), relaxed
    for the Wagtail admin (``HUICAI_CSP_ADMIN_DIRECTIVES``) and the API docs (``HUICAI_CSP_API_DOCS_DIRECTIVES``).

    Wagtail renders a page preview by running a dummy request for the page's own URL (``request.is_dummy``)
    through the middleware; that response is shown in the admin's preview iframe, so it gets the admin policy."""
    if path.startswith(ADMIN_PREFIXES) or getattr(request, "is_dummy", False):
        return settings.HUICAI_CSP_ADMIN_DIRECTIVES
    if path.startswith(API_DOCS_PREFIX):
        return settings.HUICAI_CSP_API_DOCS_DIRECTIVES
    return settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's middleware with a policy chosen by path, plus Permissions-Policy.

    A view may still set its own policy with django-csp's decorators (``@csp``, ``@csp_update``).
    ``settings.CONTENT_SECURITY_POLICY`` is the public policy; the admin and the API docs get their own.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None:
            parts.config = dict(csp_directives_for(request.path_info, request))
        return parts

    # Attributes django-csp's decorators leave on a response; with none of them, no nonce and no report-only policy the
    # header depends on the path's directives alone and is built once per directives dict (django-csp rebuilds it
    # from a deep copy on every response: a fifth of the cost of a page-cache hit).
    _DECORATED = (
        "_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
        "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro",
    )

    def __init__(self, get_response):
        super().__init__(get_response)
        self._built = {}  # id(directives) -> (directives, header); the dict is kept so that its id stays its own

    def _plain(self, request, response):
        return (
            getattr(request, "_csp_nonce", None) is None
            and not any(hasattr(response, name) for name in self._DECORATED)
            and "Content-Security-Policy" not in response
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not (settings.DEBUG and response.status_code in (404, 500))
            and not request.path_info.startswith(
                tuple(settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES") or ())
            )
        )

    def process_response(self, request, response):
        if self._plain(request, response):
            directives = csp_directives_for(request.path_info, request)
            built = self._built.get(id(directives))
            if built is None or built[0] is not directives:
                built = (directives, build_policy(config=dict(directives)))
                self._built[id(directives)] = built
            if built[1]:
                response["Content-Security-Policy"] = built[1]
            # as django-csp does: a nonce asked for after the header is written is an error
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        else:
            response = super().process_response(request, response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def axes_lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: 429 with a Chinese message (JSON error body under /api/)."""
    from django.http import HttpResponse, JsonResponse
    from django.utils.translation import gettext as _

    message = _("Too many failed login attempts. This account is locked for now; please try again in an hour.")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429,
                            json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")


# --- lost lock races, private responses ------------------------------------------------------------------


class LockConflictMiddleware:
    """A view that lost a race for a database lock answers 409 with a Chinese message, not 500.

    The recognition lives in :func:`huicai.conflicts.lock_conflict`, which the API's exception handler uses too;
    this covers the admin and the portal (and an API request whose error escaped DRF)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import JsonResponse
        from django.shortcuts import render

        from huicai.conflicts import lock_conflict

        conflict = lock_conflict(exception)
        if conflict is None:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"code": "conflict", "message": conflict.message}}, status=409,
                                json_dumps_params={"ensure_ascii": False})
        return render(request, "409.html", {"message": conflict.message}, status=409)


PRIVATE_CACHE_CONTROL = "no-store, private"


def is_private_request(request):
    """Whether the answer to ``request`` may carry personal data: the API, a caller with credentials (an API token
    in ``Authorization``) or a signed-in user (portal, admin, cards, attachments). Public pages served to
    anonymous visitors are not (policypages.cache keeps serving them)."""
    if request.path_info.startswith("/api/") or "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class PrivateResponsesMiddleware:
    """``Cache-Control: no-store, private`` on every response that may carry personal data (``is_private_request``),
    so that neither a shared cache nor the browser's history keeps it. Sits inside WhiteNoise (static files keep
    their long-lived headers) and outside the page cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_private_request(request):
            current = response.get("Cache-Control", "").replace(" ", "").lower().split(",")
            if not {"no-store", "private"} <= set(current):
                response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response


class RedirectMiddleware(WagtailRedirectMiddleware):
    """Wagtail's redirects (``wagtail.contrib.redirects``), looked up only when one could match.

    For every 404 Wagtail's middleware finds the request's Site (a query that also reads the site's root page)
    and then queries the redirects, up to four times (the path as requested and IRI-decoded, with and without its
    query string). A signed-in user's request for a dossier they may not see is a 404, so that guessing ids
    reveals nothing: those lookups were a fifth of such a request's time. One indexed query on ``old_path`` for
    all the candidate paths decides first; when no redirect has any of them, Wagtail's answer is the response as
    it is, so it is returned without the Site; otherwise Wagtail's own code decides, as before."""

    def process_response(self, request, response):
        if response.status_code != 404 or not self._may_redirect(request):
            return response
        return super().process_response(request, response)

    @staticmethod
    def _may_redirect(request):
        from urllib.parse import urlparse

        from django.utils.encoding import uri_to_iri
        from wagtail.contrib.redirects.models import Redirect

        path = Redirect.normalise_path(request.get_full_path(), decode_unicode=False)
        candidates = set()
        for tried in (path, urlparse(path).path):
            candidates |= {tried, uri_to_iri(tried)}
        candidates = [c for c in candidates if "\0" not in c]  # Wagtail answers None for these without a query
        return bool(candidates) and Redirect.objects.filter(old_path__in=candidates).exists()

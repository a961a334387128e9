from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguageMiddleware:
    """Chinese unless the visitor chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language; a bureau's site speaks Chinese by
    default and switches only when the visitor picks a language (cookie set by ``set_language``) or
    passes ``?lang=``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
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

    def process_response(self, request, response):
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

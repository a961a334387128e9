"""Security headers on a public page, the Wagtail admin and the API: CSP (strict for the public site, relaxed
for the admin), nosniff, referrer policy, framing, cross-origin opener policy, Permissions-Policy; public
pages reference no other host."""

import re

import pytest
from django.conf import settings

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def site(db):
    from casefiles.schemes.loader import schemes_load
    from policypages.demo import ensure_home_page, ensure_scheme_section

    home = ensure_home_page()
    for scheme in schemes_load():
        ensure_scheme_section(home, scheme)
    return home


def csp_directives(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_common_headers(response, frame="DENY"):
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    assert response.headers.get("X-Frame-Options") == frame
    permissions = response.headers.get("Permissions-Policy", "")
    assert "camera=()" in permissions and "geolocation=()" in permissions and "microphone=()" in permissions


def only_own_sources(directives):
    """Every source of every directive is this site (or data:/inline): no other host."""
    allowed = {"'self'", "'none'", "'unsafe-inline'", "data:"}
    return {name: [s for s in sources if s not in allowed] for name, sources in directives.items() if set(sources) - allowed}


def test_public_page_headers_and_strict_policy(client, site):
    response = client.get("/")
    assert response.status_code == 200
    assert_common_headers(response)
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert only_own_sources(directives) == {}


def test_public_page_references_no_other_host(client, site):
    html = client.get("/").content.decode()
    sources = re.findall(r"""(?:src|href|action)\s*=\s*["']([^"']+)["']""", html)
    assert sources, "the page has no links at all?"
    foreign = [s for s in sources if re.match(r"^(https?:)?//", s) and "testserver" not in s]
    assert foreign == []


def test_admin_login_headers_and_admin_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_common_headers(response)
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'self'"]  # the page preview panel frames the admin itself
    assert directives["default-src"] == ["'self'"]
    assert only_own_sources(directives) == {"img-src": ["blob:"]}


def test_api_response_headers(client):
    response = client.get("/api/v1/dossiers/")
    assert response.status_code in (401, 403)
    assert_common_headers(response)
    assert csp_directives(response)["default-src"] == ["'self'"]


def test_api_docs_may_load_swagger_ui_from_its_cdn_only(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    directives = csp_directives(response)
    assert only_own_sources(directives) == {
        "script-src": ["https://cdn.jsdelivr.net"],
        "style-src": ["https://cdn.jsdelivr.net"],
        "img-src": ["https://cdn.jsdelivr.net"],
    }
    # the public site's policy is unaffected
    assert "https://cdn.jsdelivr.net" not in str(settings.CONTENT_SECURITY_POLICY)


def test_a_view_decorator_can_still_set_its_own_policy(rf):
    from csp.decorators import csp
    from django.http import HttpResponse

    from huicai.middleware import SecurityHeadersMiddleware

    @csp({"default-src": ["'none'"]})
    def view(request):
        return HttpResponse("x")

    request = rf.get("/somewhere/")
    middleware = SecurityHeadersMiddleware(view)
    response = middleware(request)
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_wagtail_preview_dummy_request_gets_the_admin_policy(rf):
    """Wagtail renders previews by sending a dummy request for the page URL through the middleware; the
    result is framed by the admin, so it must not carry frame-ancestors 'none'."""
    from django.http import HttpResponse

    from huicai.middleware import SecurityHeadersMiddleware

    middleware = SecurityHeadersMiddleware(lambda request: HttpResponse("page"))
    request = rf.get("/")
    request.is_dummy = True
    assert "frame-ancestors 'self'" in middleware(request).headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in middleware(rf.get("/")).headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/tonghua/policy/", "/admin/login/", "/api/v1/docs/", "/api/v1/schemes/"])
def test_the_header_built_once_equals_django_csps_own(rf, path):
    """The middleware builds a path's header once and reuses it (huicai.middleware.SecurityHeadersMiddleware);
    it must be exactly what django-csp builds on every response."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    from huicai.middleware import SecurityHeadersMiddleware

    ours = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))
    first, second = ours(rf.get(path)), ours(rf.get(path))
    plain = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))
    plain._plain = lambda request, response: False  # django-csp's path, every time
    theirs = plain(rf.get(path))
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    assert issubclass(SecurityHeadersMiddleware, CSPMiddleware)


def test_a_nonce_used_by_the_view_is_in_its_header(rf, settings):
    from csp.constants import NONCE
    from django.http import HttpResponse

    from huicai.middleware import SecurityHeadersMiddleware

    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "script-src": ["'self'", NONCE]}}

    def view(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    middleware = SecurityHeadersMiddleware(view)
    response = middleware(rf.get("/"))
    nonce = re.search(r"nonce='([^']+)'", response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    # and a response without one carries the policy built once, without a nonce
    plain = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))(rf.get("/"))
    assert "nonce-" not in plain["Content-Security-Policy"] and "script-src 'self'" in plain["Content-Security-Policy"]

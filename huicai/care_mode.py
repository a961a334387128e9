"""长辈模式 (适老化, in the spirit of GB/T 37668): large text and a high-contrast palette on the public pages.

The choice lives in a cookie, not in localStorage, so that the server renders the page already in the mode: no
flash of small text, no script needed (the public pages' CSP allows only our static scripts, and a visitor without
JavaScript gets the mode too). The switch in the public header is a button in a GET form that sends ``?care=1`` or
``?care=0`` to the page it is on; this middleware stores the choice and redirects to the same address without the
parameter, as the ``?lang=`` switch does without the redirect (huicai.middleware.LanguageMiddleware). The redirect
keeps addresses clean for bookmarks and the page cache, which keys a page on the mode as it does on the language
(``policypages.cache.request_key`` reads ``request.care_mode``): a page stays the same bytes for every visitor in
the same mode and language, and the cookie is no personal data that would bypass the cache.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect

COOKIE = "huicai_care"
PARAMETER = "care"
ON = "1"
OFF = "0"
# A year, as Django keeps the language cookie.
MAX_AGE = 365 * 24 * 60 * 60


def care_mode_on(request):
    return request.COOKIES.get(COOKIE) == ON


class CareModeMiddleware:
    """Sets ``request.care_mode``; ``?care=1``/``?care=0`` stores the choice and redirects back without it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get(PARAMETER)
        if request.method in ("GET", "HEAD") and chosen in (ON, OFF):
            rest = [(key, value) for key, values in request.GET.lists() if key != PARAMETER for value in values]
            # One leading slash: "//host/…" would be an address on another site.
            path = "/" + request.path.lstrip("/")
            response = HttpResponseRedirect(path + (f"?{urlencode(rest)}" if rest else ""))
            if chosen == ON:
                response.set_cookie(
                    COOKIE,
                    ON,
                    max_age=MAX_AGE,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                )
            else:
                response.delete_cookie(COOKIE, samesite="Lax")
            return response
        request.care_mode = care_mode_on(request)
        return self.get_response(request)


def care_mode(request):
    """Template context: ``care_mode`` (bool) and ``care_mode_query``, the page's other query parameters that the
    switch's form carries along (a search keeps its words)."""
    query = [(key, value) for key, values in request.GET.lists() if key != PARAMETER for value in values]
    return {"care_mode": getattr(request, "care_mode", care_mode_on(request)), "care_mode_query": query}

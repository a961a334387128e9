"""The site's URLs plus a hello-world view and Wagtail's own page view, for bench/http_bench.py only
(huicai.settings.bench). ``_bench/wagtail/<path>`` serves the site's pages with ``wagtail.views.serve`` as Wagtail
ships it (no remembered routes): the empty-Wagtail peer is measured the way an empty Wagtail site serves it."""

from django.http import HttpResponse
from django.urls import path, re_path
from wagtail import views as wagtail_views

from huicai.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [
    path("_bench/hello/", hello),
    re_path(r"^_bench/wagtail/((?:[\w\-]+/)*)$", wagtail_views.serve),
    *site_urlpatterns,
]

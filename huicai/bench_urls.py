"""The site's URLs plus a hello-world view, for bench/http_bench.py only (huicai.settings.bench)."""

from django.http import HttpResponse
from django.urls import path

from huicai.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("_bench/hello/", hello), *site_urlpatterns]

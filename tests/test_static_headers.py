"""Static files as production serves them: collectstatic with the production storage (hashed names, compressed
copies) into a temporary STATIC_ROOT, then WhiteNoise's answers for a hashed and an unhashed name."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware

pytestmark = pytest.mark.smoke

ONE_YEAR = 365 * 24 * 60 * 60
PRODUCTION_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture
def collected(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STORAGE}
    # The project's own files only: the production storage is under test, not Wagtail's 20 MB of admin assets.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    call_command("collectstatic", interactive=False, verbosity=0)
    return WhiteNoiseMiddleware(lambda request: HttpResponse("not static", status=404))


def max_age(cache_control):
    return next(int(part.split("=", 1)[1]) for part in cache_control.split(", ") if part.startswith("max-age="))


def test_production_settings_use_hashed_compressed_static_files():
    # A fresh process: the test settings replace the storage in the settings module they share with production.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "huicai.settings.production", "SECRET_KEY": "static-test"}
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['staticfiles']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == PRODUCTION_STORAGE


def test_hashed_names_are_cached_for_a_year_and_immutable(collected):
    url = staticfiles_storage.url("css/huicai.css")
    assert url.startswith("/static/css/huicai.") and url != "/static/css/huicai.css"  # a hash in the name
    # Templates link the hashed name.
    assert engines["django"].from_string("{% load static %}{% static 'css/huicai.css' %}").render({}) == url

    response = collected(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    assert max_age(cache_control) >= ONE_YEAR
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"\x1f\x8b"  # the precompressed copy


def test_unhashed_names_are_revalidated_soon(collected):
    response = collected(RequestFactory().get("/static/css/huicai.css"))
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert max_age(response["Cache-Control"]) < ONE_YEAR

"""Fixtures shared by the public-page tests."""

import pytest
from django.core.cache import caches

from policypages import routing
from policypages.models import PolicyPage
from policypages.testing import published_policy


@pytest.fixture
def policy():
    """通化's policy, imported and published under its section (as a PolicyPage, fresh from the database)."""
    _section, result = published_policy("tonghua")
    return PolicyPage.objects.get(pk=result.page.pk)


@pytest.fixture
def local_caches(settings):
    """Both caches in this process and empty (the pages cache also holds the version token of remembered routes)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-page-cache"},
    }
    for alias in ("default", "pages"):
        caches[alias].clear()
    routing.clear()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()
    routing.clear()

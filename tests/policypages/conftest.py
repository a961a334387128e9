"""Fixtures shared by the public-page tests."""

import pytest
from django.core.cache import caches

from policypages import routing
from policypages.models import PolicyPage
from policypages.testing import published_policy


@pytest.fixture(scope="module")
def policy_once(django_db_setup, django_db_blocker):
    """通化's policy imported and published under its section once for the module, in a transaction rolled back at
    the module's end (each test runs in a savepoint inside it): the page's primary key."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        _section, result = published_policy("tonghua")
        yield result.page.pk


@pytest.fixture
def policy(policy_once, db):
    """通化's policy, imported and published under its section (as a PolicyPage, fresh from the database)."""
    return PolicyPage.objects.get(pk=policy_once)


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

"""``demo_once`` (tests/conftest.py): the demo data loaded once for a module, each test in a savepoint inside it.
The first test changes the data; the second, in the same module, must see the data as loaded."""

import pytest
from django.contrib.auth import get_user_model

from casefiles.models import Dossier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]

LOADED = {}


def test_a_test_sees_the_demo_data_and_changes_it():
    LOADED["dossiers"] = Dossier.objects.count()
    LOADED["active"] = get_user_model().objects.filter(is_active=True).count()
    assert LOADED["dossiers"] > 0 and LOADED["active"] > 0
    get_user_model().objects.update(is_active=False)
    assert not get_user_model().objects.filter(is_active=True).exists()


def test_the_next_test_sees_it_as_loaded():
    assert "dossiers" in LOADED, "runs after the first test of the module"
    assert Dossier.objects.count() == LOADED["dossiers"]
    assert get_user_model().objects.filter(is_active=True).count() == LOADED["active"]

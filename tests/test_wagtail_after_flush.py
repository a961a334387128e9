"""After a transactional test has flushed the database, the next test still finds what Wagtail's migrations made
(tests/conftest.py ``wagtail_initial_data_after_flush``). pytest-django runs transactional tests last in one
process, but on a pytest-xdist worker the files come in the scheduler's order, and a file's tests may follow a flush:
a CI run failed in the admin's home page (no root page: NoReverseMatch for ``wagtailadmin_explore``)."""

import pytest
from django.core.management import call_command
from django.urls import reverse


@pytest.mark.django_db(transaction=True)
def test_after_the_flush_that_ends_a_transactional_test_wagtails_initial_data_is_there(client, django_user_model):
    from wagtail.models import Collection, Locale, Page, Site

    # What TransactionTestCase._fixture_teardown does at the end of every transactional test.
    call_command("flush", verbosity=0, interactive=False)
    assert Locale.objects.exists()
    assert Page.get_first_root_node() is not None
    assert Collection.get_first_root_node() is not None
    assert Site.objects.get(is_default_site=True).root_page.depth == 2
    assert client.get("/").status_code == 200  # the default site's home page answers, as after migrate
    admin = django_user_model.objects.create_superuser("after-flush", password="pw-after-flush-1")
    client.force_login(admin)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200

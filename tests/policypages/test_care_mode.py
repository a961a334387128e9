"""长辈模式 (huicai/care_mode.py) on a published page: the switch stores the choice in a cookie and comes back to the
same address; the page renders in the mode; the page cache keeps the two looks apart. The browser side (sizes,
contrast, axe) is tests/browser/test_accessibility.py."""

import pytest
from django.test import Client, RequestFactory

from huicai import care_mode

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def cache_on(settings, local_caches):
    settings.HUICAI_PAGE_CACHE_ENABLED = True


def test_the_switch_remembers_the_choice_and_returns_to_the_page(policy):
    client = Client()
    response = client.get(policy.url, {"care": "1", "lang": "en"})
    assert response.status_code == 302 and response["Location"] == policy.url + "?lang=en"
    cookie = response.cookies[care_mode.COOKIE]
    assert cookie.value == "1" and cookie["httponly"] and cookie["max-age"] == care_mode.MAX_AGE

    html = client.get(policy.url).content.decode()
    assert '<html lang="en" class="care">' in html  # the language chosen with it is kept too
    assert 'aria-pressed="true"' in html and 'name="care" value="0"' in html

    response = client.get(policy.url, {"care": "0"})
    assert response.status_code == 302 and response["Location"] == policy.url
    assert response.cookies[care_mode.COOKIE]["max-age"] == 0
    html = client.get(policy.url).content.decode()
    assert 'class="care"' not in html and 'aria-pressed="false"' in html and 'name="care" value="1"' in html


def test_the_switch_carries_the_pages_other_parameters():
    html = Client().get("/search/", {"q": "人才"}).content.decode()
    assert '<input type="hidden" name="q" value="人才">' in html


def test_the_page_cache_keeps_each_look_apart(policy):
    plain, care = Client(), Client()
    care.cookies[care_mode.COOKIE] = "1"
    assert plain.get(policy.url)["X-Page-Cache"] == "miss"
    response = care.get(policy.url)
    assert response["X-Page-Cache"] == "miss" and 'class="care"' in response.content.decode()
    response = care.get(policy.url)
    assert response["X-Page-Cache"] == "hit" and 'class="care"' in response.content.decode()
    response = plain.get(policy.url)
    assert response["X-Page-Cache"] == "hit" and 'class="care"' not in response.content.decode()


def test_the_switch_never_leaves_the_site():
    request = RequestFactory().get("/", {"care": "1"})
    request.path = "//elsewhere.example/"
    response = care_mode.CareModeMiddleware(lambda request: None)(request)
    assert response["Location"] == "/elsewhere.example/"

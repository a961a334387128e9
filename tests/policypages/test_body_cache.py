"""The rendered policy body is kept per live revision (policypages.selectors.body_cache_key) when the page cache is
off: a second visit renders no block templates; a newly published body shows at once; previews never use it."""

import pytest
from django.test import Client
from django.test.utils import override_settings

from policypages.models import PolicyPage
from policypages.testing import with_first_article_text

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture(autouse=True)
def fragment_cache_on(settings, local_caches):
    settings.HUICAI_FRAGMENT_CACHE_ENABLED = True
    settings.HUICAI_PAGE_CACHE_ENABLED = False


def block_templates_rendered(url):
    from django.test.signals import template_rendered

    names = []

    def record(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    try:
        response = Client().get(url)
    finally:
        template_rendered.disconnect(record)
    assert response.status_code == 200
    return response, [name for name in names if name and "blocks" in name]


def test_second_visit_renders_no_block_templates(policy):
    first, blocks_first = block_templates_rendered(policy.url)
    second, blocks_second = block_templates_rendered(policy.url)
    assert len(blocks_first) > 20  # articles and items, one template each
    assert blocks_second == []
    assert body_of(second) == body_of(first)


def body_of(response):
    html = response.content.decode()
    start = html.index('<div class="policy-body">')
    return html[start : html.index("</article>", start)]


def test_a_new_published_body_shows_at_once(policy):
    block_templates_rendered(policy.url)
    with_first_article_text(policy, "本条已修订：缓存测试文本。").save_revision().publish()
    response, blocks = block_templates_rendered(PolicyPage.objects.get(pk=policy.pk).url)
    assert blocks, "the new revision must render afresh"
    assert "本条已修订：缓存测试文本。" in response.content.decode()


def test_languages_are_kept_apart(policy):
    zh, _ = block_templates_rendered(policy.url)
    en, blocks = block_templates_rendered(policy.url + "?lang=en")
    assert blocks, "English labels are rendered, not the Chinese body from the cache"


@override_settings(HUICAI_FRAGMENT_CACHE_ENABLED=False)
def test_off_means_every_visit_renders(policy):
    block_templates_rendered(policy.url)
    _, blocks = block_templates_rendered(policy.url)
    assert blocks

"""Remembered routes (policypages/routing.py): a repeat visit routes with one query, and every change to the page
tree, a page or its view restrictions is seen by the next request. The page cache is off here (test settings), so
every response below is rendered from the database."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from policypages import routing, services
from policypages.models import PolicyPage, ServiceGuidePage

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture(autouse=True)
def fresh_memo(local_caches):
    yield


def queries_for(url, client=None):
    client = client or Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries]


def test_a_repeat_visit_to_a_policy_makes_one_query(policy):
    first, first_sql = queries_for(policy.url)
    second, second_sql = queries_for(policy.url)
    assert first.status_code == second.status_code == 200
    assert len(first_sql) >= 7  # site, root, one child per path segment with its specific row, restrictions
    # the page's own row with its jurisdiction, then (fragments are off here) the body it defers, to render it
    assert len(second_sql) == 2, second_sql
    assert "wagtailcore_site" not in second_sql[0] and '"body"' not in second_sql[0]
    assert second_sql[1].startswith('SELECT "policypages_policypage"."page_ptr_id", "policypages_policypage"."body"')
    assert first.content.decode().count('id="art-') == second.content.decode().count('id="art-') > 0


def test_every_public_page_type_is_served_from_a_remembered_route(policy):
    section = policy.get_parent().specific
    table = services.tier_table_ensure(section=section)
    services.service_guides_generate(section=section, policy=policy)
    guide = section.get_children().live().type(ServiceGuidePage).first().specific
    for page, limit in [(policy, 2), (guide, 1), (section, 4), (table, 8), (section.get_parent().specific, 2)]:
        first, _ = queries_for(page.url)
        second, sql = queries_for(page.url)
        assert first.status_code == second.status_code == 200, page.url
        assert first.content == second.content, page.url
        assert len(sql) <= limit, (page.url, sql)


def test_a_changed_page_is_read_fresh_and_a_new_slug_is_routed_anew(policy):
    Client().get(policy.url)
    policy.title = "通化市英才卡管理服务办法（路由测试）"
    policy.save_revision().publish()
    assert "（路由测试）" in Client().get(policy.url).content.decode()

    old_url = policy.url
    policy.slug = "policy-renamed"
    policy.save_revision().publish()
    policy.refresh_from_db()
    assert Client().get(old_url).status_code == 404
    assert Client().get(policy.url).status_code == 200


def test_an_unpublished_page_is_not_found_at_once(policy):
    assert Client().get(policy.url).status_code == 200
    policy.unpublish()
    assert Client().get(policy.url).status_code == 404


def test_sub_routes_bind_to_the_page_read_for_this_request(policy):
    print_url = policy.url + policy.reverse_subpage("print")
    assert Client().get(print_url).status_code == 200
    PolicyPage.objects.filter(pk=policy.pk).update(title="直接改了标题")  # no signal: only the row changes
    response, sql = queries_for(print_url)
    assert response.status_code == 200 and len(sql) <= 2
    assert "直接改了标题" in response.content.decode()


def test_a_view_restriction_added_later_is_enforced(policy):
    assert Client().get(policy.url).status_code == 200
    PageViewRestriction.objects.create(page=policy, restriction_type=PageViewRestriction.LOGIN)
    response = Client().get(policy.url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_restricted_page_is_asked_about_its_restrictions_every_time(policy):
    restriction = PageViewRestriction.objects.create(
        page=policy.get_parent(), restriction_type=PageViewRestriction.PASSWORD, password="s3cret-pass"
    )
    for _ in range(2):
        response = Client().get(policy.url)
        assert response.status_code == 200 and "s3cret-pass" not in response.content.decode()
        assert f"/_util/authenticate_with_password/{restriction.pk}/" in response.content.decode()


def test_turned_off_routes_like_wagtail(policy, settings):
    settings.HUICAI_ROUTE_MEMO_ENABLED = False
    Client().get(policy.url)
    _response, sql = queries_for(policy.url)
    assert len(sql) >= 7


def _field_values(page):
    return {field.attname: getattr(page, field.attname) for field in type(page)._meta.concrete_fields}


@pytest.fixture
def every_page_type(policy):
    section = policy.get_parent().specific
    services.tier_table_ensure(section=section)
    services.service_guides_generate(section=section, policy=policy)
    pages = [page.specific for page in Page.objects.live().filter(depth__gt=1)]
    assert {type(page).__name__ for page in pages} >= {
        "HomePage", "SchemeSectionPage", "PolicyPage", "TierTablePage", "ServiceGuidePage"
    }
    return pages


def test_the_prepared_row_query_reads_what_the_orm_reads(every_page_type):
    for page in every_page_type:
        model = type(page)
        related = getattr(model, "serve_select_related", ())
        expected = routing._serve_queryset(model.objects.filter(pk=page.pk)).get()
        with CaptureQueriesContext(connection) as queries:
            read = routing.live_page(model, page.pk)
            related_values = [getattr(read, name) for name in related]  # already there: no query
        assert len(queries) == 1, (model, [q["sql"] for q in queries])
        assert type(read) is model and not read._state.adding and read._state.db == "default"
        assert _field_values(read) == _field_values(expected), model
        assert related_values == [getattr(expected, name) for name in related], model
    # a guide reads its source policy's URL, not the policy's text
    guide = next(page for page in every_page_type if type(page).__name__ == "ServiceGuidePage")
    read = routing.live_page(type(guide), guide.pk)
    assert read.source_policy.get_deferred_fields() >= {"body", "import_problems"}
    # converted from the database the ORM's way: a StreamField value, not its JSON text
    policy = next(page for page in every_page_type if type(page).__name__ == "PolicyPage")
    read = routing.live_page(type(policy), policy.pk)
    assert list(read.body.raw_data) == list(policy.body.raw_data) and read.body[0].block_type == policy.body[0].block_type


def test_the_prepared_row_query_finds_no_page_that_is_gone_or_not_live(policy):
    assert routing.live_page(PolicyPage, policy.pk + 10_000) is None
    policy.unpublish()
    assert routing.live_page(PolicyPage, policy.pk) is None


def test_pages_are_read_the_orm_way_if_the_query_cannot_be_prepared(policy, monkeypatch, caplog):
    def refuse(self, model, using="default"):
        raise AttributeError("an ORM internal moved")

    monkeypatch.setattr(routing.PreparedRowQuery, "__init__", refuse)
    monkeypatch.setattr(routing.PreparedRowQuery, "_local", __import__("threading").local())
    assert routing.live_page(PolicyPage, policy.pk).title == policy.title
    assert "Could not prepare the page query for PolicyPage" in caplog.text
    first, _ = queries_for(policy.url)
    second, sql = queries_for(policy.url)
    assert first.status_code == second.status_code == 200 and len(sql) == 2  # the row, then its deferred body

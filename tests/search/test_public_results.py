"""What a visitor sees of every public search result, on every backend (contract style: the embedded one always,
Elasticsearch when ELASTICSEARCH_URL is set): a URL they can open, and facets whose buckets add up to the total."""

import datetime

import pytest
from django.test import Client
from wagtail.models import Site

from search import service
from search.backends.base import CONTENT, FACETS

QUERIES = ["落户", "体检", "服务", "公告", "住房公积金", "子女"]


@pytest.fixture
def published_site(pages_once, search_backend):
    """The demo's pages (five schemes: policies, guides, tier tables, notice indexes) plus a notice and an exit
    announcement, indexed from documents built while no Site maps the home page (as during the demo's first
    publish, before the default site points at it); the Site is back when the test reads."""
    from casefiles.models import Scheme
    from policypages.announcements import ExitAnnouncementPage
    from policypages.models import NoticeIndexPage, NoticePage, SchemeSectionPage
    from search.documents import page_content_documents

    home = type(pages_once).objects.get(pk=pages_once.pk)  # fresh; the demo pages are loaded once (pages_once)
    scheme = Scheme.objects.order_by("pk").first()
    index = NoticeIndexPage.objects.child_of(SchemeSectionPage.objects.get(scheme=scheme)).get()
    notice = NoticePage(title="关于调整服务事项的公告", slug="关于调整服务事项的公告", date=datetime.date(2026, 3, 2),
                        body="<p>现将调整后的服务事项公告如下。</p>")
    index.add_child(instance=notice)
    notice.save_revision().publish()
    exits = ExitAnnouncementPage(title="2026年度退出情况公告", slug="2026年度退出情况公告", scheme=scheme, year=2026,
                                 issuing_body="人才工作领导小组办公室", document_number="〔2026〕1号",
                                 issued_on=datetime.date(2026, 12, 1), intro="现将本年度退出情况公告如下。")
    index.add_child(instance=exits)
    exits.save_revision().publish()

    site = Site.objects.get(is_default_site=True)
    values = {"hostname": site.hostname, "port": site.port, "site_name": site.site_name, "is_default_site": True}
    site.delete()
    docs = page_content_documents()
    Site.objects.create(root_page=home, **values)
    service.index_content(docs)
    return home, docs


def test_every_result_links_to_its_public_url_and_counts_in_every_facet(published_site):
    home, docs = published_site
    kinds = {d["kind"] for d in docs}
    assert {"policy", "guide", "announcement"} <= kinds
    client, seen = Client(), {}
    for query in QUERIES:
        result = service.search_public(query, page_size=1000)
        assert result.total > 0, query
        for hit in result.hits:
            path = hit.url.split("#")[0]
            assert path.startswith("/") and not path.startswith(home.url_path), (query, hit.url)
            if path not in seen:
                seen[path] = client.get(path).status_code
            assert seen[path] == 200, (query, hit.url)
    assert len(seen) > 20
    # the search page shows that URL under each title
    html = Client().get("/search/", {"q": "落户"}).content.decode()
    assert 'class="hit-url"' in html and home.url_path not in html

    # facets count every result
    assert all(d["year"] for d in docs)  # guides are dated by publication, policies by issue, notices by their date
    for query in QUERIES:
        result = service.search_public(query, page_size=20, facets=True)
        for name in FACETS[CONTENT]:
            buckets = result.facets[name]
            assert sum(b.count for b in buckets) == result.total, (query, name, result.total, buckets)
        # a year's bucket finds exactly what it counted
        for bucket in result.facets["year"]:
            assert service.search_public(query, filters={"year": bucket.value}, page_size=1).total == bucket.count

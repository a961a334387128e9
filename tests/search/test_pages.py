"""The public search page, the JSON API and the staff search in the admin."""

import pytest
from django.contrib.auth import get_user_model

from search import service


@pytest.mark.parametrize("path", ["/search/", "/api/v1/search/"])
def test_empty_query(client, search_backend, path):
    response = client.get(path)
    assert response.status_code == 200


def test_api_shape_and_scheme_filter(client, seed_content):
    body = client.get("/api/v1/search/", {"q": "住房公积金"}).json()
    assert body["total"] == len(body["results"]) > 0
    for row in body["results"]:
        assert set(row) == {"title", "scheme", "citation", "snippet", "url"}
        assert "<mark>住房公积金</mark>" in row["snippet"]
    only = client.get("/api/v1/search/", {"q": "落户", "scheme": "liaocheng"}).json()
    assert only["total"] > 0 and all("聊城" in r["citation"] for r in only["results"])
    assert client.get("/api/v1/search/", {"q": "落户", "year": "abc"}).status_code == 400


def test_public_page_renders_hits_and_facets(client, seed_content):
    response = client.get("/search/", {"q": "体检"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>体检</mark>" in html and "第" in html
    assert 'name="viewport"' in html


def test_public_results_mask_personal_numbers(client, search_backend):
    text = "联系人李娜，电话13812345678，身份证号110101199003071234。"
    unit = {"key": "n-1", "title": "公告", "citation": "", "text": text, "anchor": "", "url": "/n/", "chapter": ""}
    from search.documents import content_document

    service.index_content([content_document(unit, kind="announcement")])
    body = service.search_public("李娜").hits[0].snippet
    assert "13812345678" not in body and "138****5678" in body
    assert "110101199003071234" not in body
    assert service.search_public("13812345678").total == 0


def test_staff_search_in_admin(client, search_backend):
    from casefiles.demo import load_schemes_and_users

    load_schemes_and_users(password="demo-pass-123")
    admin = get_user_model().objects.get(username="admin")
    client.force_login(admin)
    response = client.get("/admin/search-dossiers/", {"q": "落户"})
    assert response.status_code == 200
    reviewer = get_user_model().objects.filter(is_staff=True, is_superuser=False).order_by("username").first()
    from django.contrib.auth.models import Permission

    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    reviewer.user_permissions.add(access)
    client.force_login(reviewer)
    response = client.get("/admin/search-dossiers/")
    assert response.status_code == 200
    assert "搜索档案" in response.content.decode() or "Search dossiers" in response.content.decode()

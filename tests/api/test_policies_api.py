"""Published policies by citation (issue #23 item 1): every article and item of the five seeds, by citation and by
numeric id, the older published revisions by id, never a draft."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

from policypages.importer.numerals import int_to_cn
from policypages.models import PolicyPage
from policypages.paragraphs import paragraph_anchors
from policypages.selectors import policy_anchors, public_path, raw_values
from policypages.testing import SEED_TITLES, published_policy, with_first_article_text

pytestmark = [pytest.mark.django_db]

SCHEMES = sorted(SEED_TITLES)
DRAFT_TEXT = "草稿条文：尚未发布，不得出现在接口中。"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def five_policies(db):
    pages = {}
    for slug in SCHEMES:
        _section, result = published_policy(slug)
        pages[slug] = PolicyPage.objects.get(pk=result.page.pk)
    return pages


def _get(api, url):
    response = api.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response.json()


def test_every_article_and_item_of_the_five_seeds(api, five_policies):
    listed = _get(api, "/api/v1/policies/?page_size=200")
    assert sorted(p["scheme"] for p in listed["results"]) == SCHEMES
    units = 0
    for slug, page in five_policies.items():
        data = _get(api, f"/api/v1/policies/{slug}/")
        assert data["title"] == page.title and data["revision"]["id"] == page.live_revision_id
        assert data["effective_date"] == (page.effective_date.isoformat() if page.effective_date else None)
        anchors = {a["anchor"] for a in data["articles"]}
        anchors |= {i["anchor"] for a in data["articles"] for i in a["items"]}
        # the same units as the policy page, each with its public URL
        assert anchors == policy_anchors(page)
        base = public_path(page)
        for article in data["articles"]:
            assert article["url"] == f"{base}#{article['anchor']}"
            assert all(item["url"] == f"{base}#{item['anchor']}" for item in article["items"])
        # each article by its citation in Chinese numerals and by its numeric id, and each item by id and citation
        for article in data["articles"]:
            by_cn = _get(api, f"/api/v1/policies/{slug}/articles/第{int_to_cn(article['number'])}条/")
            by_id = _get(api, f"/api/v1/policies/{slug}/articles/{article['number']}/")
            assert by_cn == by_id
            assert by_cn["unit"]["anchor"] == article["anchor"] and by_cn["article"] is None
            assert by_cn["policy"]["revision"]["id"] == page.live_revision_id
            units += 1
            for item in article["items"]:
                by_ref = _get(api, f"/api/v1/policies/{slug}/articles/{item['id']}/")
                by_citation = _get(api, f"/api/v1/policies/{slug}/articles/{item['citation']}/")
                assert by_ref == by_citation
                assert by_ref["unit"]["anchor"] == item["anchor"]
                assert by_ref["article"]["anchor"] == article["anchor"]
                units += 1
    assert units == sum(len(policy_anchors(page)) for page in five_policies.values())
    print(f"policies API: {units} articles and items of {len(SCHEMES)} seeds, each by id and by citation")


def _letters(text):
    """Text without punctuation or spaces, to compare a scheme file's quotation with the policy."""
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]", "", text or "")


def test_every_paragraph_of_the_five_seeds_by_citation_id_and_anchor(api, five_policies):
    """Every 款 of every article: listed in the structure with its anchor and URL, and answered by its citation
    (Chinese numerals, Arabic numerals, with the title in 《》), numeric id and anchor, with its article; then every
    款 citation of the scheme files."""
    paragraphs = 0
    for slug, page in five_policies.items():
        data = _get(api, f"/api/v1/policies/{slug}/")
        base = public_path(page)
        assert [p["anchor"] for a in data["articles"] for p in a["paragraphs"]] == paragraph_anchors(
            raw_values(page, "article")
        )
        for article in data["articles"]:
            n = article["number"]
            assert [p["number"] for p in article["paragraphs"]] == list(range(1, len(article["paragraphs"]) + 1))
            # every top-level item hangs on exactly one paragraph
            tops = [i["id"] for i in article["items"] if i["id"].count(".") == 1]
            assert [ref for p in article["paragraphs"] for ref in p["item_ids"]] == tops
            for paragraph in article["paragraphs"]:
                k = paragraph["number"]
                assert paragraph["id"] == f"{n}.k{k}" and paragraph["anchor"] == f"art-{n}-k{k}"
                assert paragraph["citation"] == f"《{page.title}》第{int_to_cn(n)}条第{int_to_cn(k)}款"
                assert paragraph["url"] == f"{base}#art-{n}-k{k}"
                forms = [
                    f"第{int_to_cn(n)}条第{int_to_cn(k)}款",
                    f"第{n}条第{k}款",
                    paragraph["citation"],
                    paragraph["id"],
                    paragraph["anchor"],
                ]
                answers = [_get(api, f"/api/v1/policies/{slug}/articles/{form}/") for form in forms]
                assert all(answer == answers[0] for answer in answers), (slug, forms)
                unit = answers[0]["unit"]
                assert unit["kind"] == "paragraph" and unit["anchor"] == paragraph["anchor"]
                assert unit["text"] == paragraph["text"] and unit["parent"] == str(n)
                assert [i["id"] for i in unit["items"]] == [
                    i["id"] for i in article["items"] if ".".join(i["id"].split(".")[:2]) in paragraph["item_ids"]
                ]
                assert answers[0]["article"]["anchor"] == article["anchor"]
                assert answers[0]["policy"]["revision"]["id"] == page.live_revision_id
                paragraphs += 1
            # the last paragraph is also 末款, and there is none after it
            last = article["paragraphs"][-1]
            assert _get(api, f"/api/v1/policies/{slug}/articles/第{int_to_cn(n)}条末款/")["unit"]["id"] == last["id"]
            after = len(article["paragraphs"]) + 1
            assert api.get(f"/api/v1/policies/{slug}/articles/第{n}条第{after}款/").status_code == 404
    assert paragraphs == sum(len(paragraph_anchors(raw_values(p, "article"))) for p in five_policies.values())
    print(f"policies API: {paragraphs} paragraphs of {len(SCHEMES)} seeds, each by five forms")
    # the same five policies answer the scheme files' citations (one load of the five for both sweeps)
    _check_scheme_file_citations(api, five_policies)


@pytest.fixture
def baiyun_and_chuxiong(db):
    for slug in ("baiyun", "chuxiong"):
        published_policy(slug)


def test_baiyun_article_3_has_the_three_paragraphs_the_scheme_cites(api, baiyun_and_chuxiong):
    """白云 第三条 as its scheme file reads it: 第一款 the employer (with its enumeration after the colon), 第二款 the
    six months and items 1–9, 第三款 一事一议."""
    url = "/api/v1/policies/baiyun/articles/"
    k1, k2, k3 = (_get(api, f"{url}第三条第{k}款/")["unit"] for k in "一二三")
    assert k1["text"].startswith("申领条件。申领人所在单位应符合以下条件之一：\n在本区注册") and not k1["items"]
    assert k2["text"] == "申领人每年在我区工作时间应不少于6个月，且符合以下条件之一："
    assert [i["id"] for i in k2["items"]] == [f"3.{n}" for n in range(1, 10)]
    assert "一事一议" in k3["text"] and not k3["items"]
    assert api.get(f"{url}第三条第四款/").status_code == 404


def test_an_item_cited_through_its_paragraph(api, baiyun_and_chuxiong):
    """第三条第二款第8项 is item 3.8 (the body hangs items on the article; the paragraph must be the one that
    introduces it); through another paragraph it is not found."""
    url = "/api/v1/policies/baiyun/articles/"
    item = _get(api, f"{url}第三条第8项/")
    assert item["unit"]["id"] == "3.8"
    for form in ("第三条第二款第8项", "第3条第2款第8项", "《白云区云聚英才卡实施细则（试行）》第三条第二款第8项"):
        assert _get(api, f"{url}{form}/") == item, form
    for form in ("第三条第一款第8项", "第三条第三款第8项", "第三条第二款第10项"):
        assert api.get(f"{url}{form}/").status_code == 404, form
    # a 项 with a 目 through the paragraph (楚雄 第三条: the items in 第一款, then its closing paragraph), and an
    # article in Arabic numerals
    chuxiong = "/api/v1/policies/chuxiong/articles/"
    sub = _get(api, f"{chuxiong}第三条第（一）项第4目/")
    assert sub["unit"]["id"] == "3.1.4"
    assert _get(api, f"{chuxiong}第三条第一款第（一）项第4目/") == sub == _get(api, f"{chuxiong}第3条第（一）项第4目/")
    assert _get(api, "/api/v1/policies/chuxiong/articles/第五条第一款第（二）项/")["unit"]["id"] == "5.2"
    # 楚雄 第三条末款 is the closing paragraph after the list, not part of its last item
    closing = _get(api, f"{chuxiong}第三条末款/")["unit"]
    assert closing["id"] == "3.k2" and closing["text"].startswith("楚雄州柔性引进的") and closing["items"] == []
    assert "楚雄州柔性引进" not in _get(api, f"{chuxiong}3.2.4/")["unit"]["text"]
    assert api.get(f"{chuxiong}第三条第二款第（一）项/").status_code == 404


ANCHOR_ID = re.compile(r'\sid="((?:art|ch)-[^"]+)"')


def test_every_anchor_of_the_api_is_on_the_published_page(client, api, five_policies):
    """The structure's chapters, articles, paragraphs (款) and items name exactly the anchors the public policy page
    renders (its ids), so every URL the API gives lands on its unit."""
    for slug, page in five_policies.items():
        data = _get(api, f"/api/v1/policies/{slug}/")
        response = client.get(public_path(page))
        assert response.status_code == 200
        on_page = ANCHOR_ID.findall(response.content.decode())
        assert len(on_page) == len(set(on_page)), (slug, "an anchor appears twice on the page")
        from_api = [c["anchor"] for c in data["chapters"]]
        for article in data["articles"]:
            from_api += [article["anchor"]] + [p["anchor"] for p in article["paragraphs"]]
            from_api += [i["anchor"] for i in article["items"]]
        assert len(from_api) == len(set(from_api)), slug
        assert set(from_api) == set(on_page), (slug, set(from_api) ^ set(on_page))
        urls = [c["url"] for c in data["chapters"]] + [a["url"] for a in data["articles"]]
        assert all(url.startswith(public_path(page) + "#") for url in urls), slug


SCHEME_FILES = sorted((Path(settings.BASE_DIR) / "casefiles" / "schemes").glob("*.yaml"))
NUMERAL = "[0-9零〇一二两三四五六七八九十百千]+"
PARAGRAPH_CITATION = re.compile(rf"第{NUMERAL}条(?:第{NUMERAL}款|末款)(?:第[^第\s，。；）)]+?(?:项|目))*")
ANY_PARAGRAPH = re.compile(r"第[^第\s]{1,6}款|末款")
# the one 第…款 in the scheme files that names no article: the 白云 text's own 申领条件第（二）款 (its 第三条第二款,
# cited as such next to it)
NOT_CITATIONS = re.compile(r"申领条件第（二）款")


def _scheme_citations():
    found = []
    for path in SCHEME_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            rest = PARAGRAPH_CITATION.sub("", NOT_CITATIONS.sub("", line))
            assert not ANY_PARAGRAPH.search(rest), f"{path.name}:{number}: a 款 the test does not read: {line.strip()}"
            found += [(path.stem, number, m.group(0)) for m in PARAGRAPH_CITATION.finditer(line)]
    return found


def _quoted(data, found):
    if isinstance(data, dict):
        if isinstance(data.get("article"), str) and "款" in data["article"] and isinstance(data.get("text"), str):
            found.append((data["article"], data["text"]))
        for value in data.values():
            _quoted(value, found)
    elif isinstance(data, list):
        for value in data:
            _quoted(value, found)
    return found


def _check_scheme_file_citations(api, five_policies):
    """Each 第…款 in casefiles/schemes/*.yaml (comments and guard messages too) answers 200 from its scheme's
    policy; where the file quotes the text it cites, the answer holds that text."""
    citations = _scheme_citations()
    assert len([c for c in citations if c[0] == "baiyun"]) >= 27
    for slug, line, citation in citations:
        response = api.get(f"/api/v1/policies/{slug}/articles/{citation}/")
        assert response.status_code == 200, (slug, line, citation, response.content[:200])
        unit = response.json()["unit"]
        assert unit["kind"] == ("item" if citation.endswith(("项", "目")) else "paragraph"), (slug, citation)
    quoted = 0
    for path in SCHEME_FILES:
        if path.stem not in five_policies:
            continue
        for citation, text in _quoted(yaml.safe_load(path.read_text(encoding="utf-8")), []):
            unit = _get(api, f"/api/v1/policies/{path.stem}/articles/{citation}/")["unit"]
            held = unit["text"] + "".join(i["text"] + i["tail"] for i in unit["items"]) + unit["tail"]
            assert _letters(text) in _letters(held), (path.stem, citation, text)
            quoted += 1
    assert quoted >= 14
    print(f"scheme files: {len(citations)} 款 citations resolved, {quoted} quoted texts found in the answer")


def test_unknown_citations_are_404_with_the_error_body(api, five_policies):
    for url in (
        "/api/v1/policies/tonghua/articles/第九百九十九条/",
        "/api/v1/policies/tonghua/articles/999.1/",
        "/api/v1/policies/tonghua/articles/第十十条/",
        "/api/v1/policies/tonghua/articles/%00/",
        "/api/v1/policies/no-such-scheme/",
        "/api/v1/policies/tonghua/revisions/999999/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert set(response.json()["error"]) >= {"code", "message"}


def test_a_draft_never_appears_and_older_revisions_are_read_by_id(api, five_policies):
    page = five_policies["tonghua"]
    first_live = page.live_revision_id
    before = _get(api, "/api/v1/policies/tonghua/")
    # a new published version, then a draft on top of it
    with_first_article_text(page, "第二版条文。").save_revision().publish()
    page = PolicyPage.objects.get(pk=page.pk)
    second_live = page.live_revision_id
    draft = with_first_article_text(page, DRAFT_TEXT).save_revision()
    urls = [
        "/api/v1/policies/",
        "/api/v1/policies/tonghua/",
        "/api/v1/policies/tonghua/articles/1/",
        "/api/v1/policies/tonghua/articles/第一条/",
        "/api/v1/policies/tonghua/revisions/",
        f"/api/v1/policies/tonghua/revisions/{first_live}/",
        f"/api/v1/policies/tonghua/revisions/{second_live}/",
        f"/api/v1/policies/tonghua/revisions/{first_live}/articles/1/",
    ]
    for url in urls:
        assert DRAFT_TEXT not in api.get(url).content.decode(), url
    assert api.get(f"/api/v1/policies/tonghua/revisions/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/policies/tonghua/revisions/{draft.pk}/articles/1/").status_code == 404
    revisions = _get(api, "/api/v1/policies/tonghua/revisions/")["results"]
    assert [r["id"] for r in revisions] == [second_live, first_live]
    assert [r["is_live"] for r in revisions] == [True, False]
    assert _get(api, "/api/v1/policies/tonghua/articles/1/")["unit"]["text"] == "第二版条文。"
    old = _get(api, f"/api/v1/policies/tonghua/revisions/{first_live}/")
    assert old["articles"] == before["articles"] and old["revision"]["id"] == first_live
    old_unit = _get(api, f"/api/v1/policies/tonghua/revisions/{first_live}/articles/第一条/")
    assert old_unit["unit"]["text"] == before["articles"][0]["text"]
    # a revision of another policy is not this policy's
    other = five_policies["jilin"].live_revision_id
    assert api.get(f"/api/v1/policies/tonghua/revisions/{other}/").status_code == 404


def test_unpublished_policy_disappears(api, five_policies):
    five_policies["baiyun"].unpublish()
    assert api.get("/api/v1/policies/baiyun/").status_code == 404
    assert api.get("/api/v1/policies/baiyun/articles/1/").status_code == 404
    assert "baiyun" not in {p["scheme"] for p in _get(api, "/api/v1/policies/")["results"]}


def test_answers_are_kept_until_a_publish(api, settings, django_assert_num_queries):
    """Cached like the pages: a repeated answer makes no database query; a publish orphans every kept answer."""
    from django.core.cache import caches

    settings.HUICAI_FRAGMENT_CACHE_ENABLED = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-pages"},
    }
    for alias in ("default", "pages"):
        caches[alias].clear()
    _section, result = published_policy("liaocheng")
    page = PolicyPage.objects.get(pk=result.page.pk)
    url = "/api/v1/policies/liaocheng/articles/第三十一条/"
    first = _get(api, url)
    with django_assert_num_queries(0):
        assert _get(api, url) == first
    with_first_article_text(page, "修订后的第一条。").save_revision().publish()
    assert _get(api, "/api/v1/policies/liaocheng/articles/1/")["unit"]["text"] == "修订后的第一条。"
    assert _get(api, url)["policy"]["revision"]["id"] == PolicyPage.objects.get(pk=page.pk).live_revision_id


def test_a_malformed_scheme_filter_is_a_400_never_a_query(api):
    for url in ("/api/v1/policies/", "/api/v1/notices/", "/api/v1/notices/catalogue-changes/"):
        for bad in ("%00", "a b", "通化", "x%27--"):
            response = api.get(f"{url}?scheme={bad}")
            assert response.status_code == 400, (url, bad)
            assert response.json()["error"]["code"] == "invalid"


HOSTILE_CITATIONS = [
    "%00",
    "%ED%A0%80",
    "%FF",
    "第",
    "第条",
    "第一百零条",
    "第十十条",
    "第9999999999999999999条",
    "5..2",
    ".5",
    "5.",
    "《》",
    "《",
    "（",
    "第一条第（）项",
    "art-",
    "art-1-",
    "-1",
    "1e3",
    "0",
    "00001",
    "１",
    "第１条",
    "%F0%9F%98%80",
    "%E2%80%AE1",
    "x" * 2000,
    "第" + "一" * 300 + "条",
    "%20",
    "..",
    "%2E%2E",
]


def test_hostile_citations_are_answered_never_a_server_error(api):
    """Every citation form against a published policy: a 200 for a unit that exists, else a 404 with the body."""
    published_policy("tonghua")
    answers = {}
    for citation in HOSTILE_CITATIONS:
        for prefix in ("", "revisions/999999/"):
            response = api.get(f"/api/v1/policies/tonghua/{prefix}articles/{citation}/")
            assert response.status_code in (200, 404), (citation, response.status_code)
            if response.status_code == 404:
                assert set(response.json()["error"]) >= {"code", "message"}
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
    # 第１条 and １ (full-width digits) and 00001 name the first article
    assert _get(api, "/api/v1/policies/tonghua/articles/第１条/")["unit"]["id"] == "1"
    print(f"hostile citations: {sum(answers.values())} requests, answers {answers}")

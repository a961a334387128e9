"""The search contract, run against every backend: the embedded SQLite FTS5 default always, the real
Elasticsearch node when ELASTICSEARCH_URL is set (CI starts one)."""

import random

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_dossiers import dossier_in_state
from casefiles.models import Department, Dossier, Scheme, StateKind
from casefiles.selectors import dossiers_visible_to
from casefiles.testing import fire, identity, path_to
from search import service
from search.models import OutboxEntry
from search.tokens import char_tokens
from tests.casefiles.factories import setup_schemes

# The five schemes and their users are loaded once for the module (each test in a savepoint); the search
# collections are emptied for every test by ``search_backend``.
pytestmark = pytest.mark.usefixtures("schemes_once")

POLICY_QUERIES = ["年满65岁", "住房公积金", "贵宾室", "博士后", "R字签证", "落户"]


def contains_phrase(text, query):
    """Does ``text`` contain the query's tokens consecutively (punctuation between them ignored)?"""
    tokens, needle = char_tokens(text), char_tokens(query)
    return any(tokens[i : i + len(needle)] == needle for i in range(len(tokens) - len(needle) + 1))


# --------------------------------------------------------------------------- policies


@pytest.mark.parametrize("query", POLICY_QUERIES)
def test_policy_queries_hit_articles_with_their_citations(seed_content, query):
    expected = {key for key, doc in seed_content.items() if contains_phrase(doc["text"], query)}
    assert expected, f"the seeds contain {query}"
    result = service.search_public(query, page_size=200)
    keys = [hit.key for hit in result.hits]
    assert expected <= set(keys), f"every article or item containing {query} is found"
    assert result.total == len(keys)
    # Exact phrases rank first: the hits that contain the query precede any that only share its words.
    exact_flags = [key in expected for key in keys]
    assert exact_flags == sorted(exact_flags, reverse=True)
    for hit in result.hits:
        unit = seed_content[hit.key]
        assert hit.citation == unit["citation"] and hit.citation.startswith("《")
        assert "第" in hit.citation and "条" in hit.citation
        if hit.key in expected:
            assert "<mark>" in hit.snippet
        public = hit.as_public_dict()
        assert set(public) == {"title", "scheme", "citation", "snippet", "url"}
        assert public["url"].endswith("#" + unit["anchor"])


def test_known_citations(seed_content):
    """Spot checks against the seed text, as a reader would cite them."""
    citations = {hit.citation for hit in service.search_public("年满65岁").hits}
    assert "《通化市“英才卡”管理服务办法》第十六条第（六）项" in citations
    assert all("通化" in h.citation for h in service.search_public("贵宾室").hits)
    assert any("白云" in h.citation for h in service.search_public("博士后").hits)
    assert any("聊城" in h.citation for h in service.search_public("R字签证").hits)


def test_public_filters_and_facets(seed_content):
    everything = service.search_public("落户", page_size=200)
    schemes = {b.value: b.count for b in everything.facets["scheme"]}
    assert sum(schemes.values()) == everything.total and len(schemes) >= 2
    labels = {b.value: b.label for b in everything.facets["scheme"]}
    assert labels["tonghua"] == Scheme.objects.get(slug="tonghua").name
    only = service.search_public("落户", scheme="tonghua", page_size=200)
    assert only.total == schemes["tonghua"]
    assert {h.scheme for h in only.hits} == {"tonghua"}
    assert service.search_public("", scheme="tonghua").total == 0
    assert service.search_public("不存在的词组合量子猫").total == 0


def test_paging_is_stable(seed_content):
    first = service.search_public("人才", page=1, page_size=5)
    second = service.search_public("人才", page=2, page_size=5)
    assert first.total == second.total > 10
    assert not {h.key for h in first.hits} & {h.key for h in second.hits}


def test_two_character_word_not_split_across(seed_content):
    """落户 is a phrase: a unit with 落 and 户 apart is not a phrase hit."""
    for hit in service.search_public("落户", page_size=200).hits:
        assert contains_phrase(seed_content[hit.key]["search_text"], "落户") or hit.score < 10


# --------------------------------------------------------------------------- dossiers


@pytest.fixture
def people(search_backend):
    setup_schemes()
    return get_user_model().objects.all()


def _authority_for(scheme):
    if not scheme.authority_kind:
        return None
    candidates = Department.objects.filter(kind=scheme.authority_kind, schemes=scheme).order_by("pk")
    with_members = candidates.filter(group__user__isnull=False).distinct()
    return with_members.first() or candidates.first()


def make_dossier(scheme, applicant=None, rng=None, **identity_overrides):
    from casefiles.services.dossiers import dossier_create

    rng = rng or random.Random(len(identity_overrides) + Dossier.objects.count())
    User = get_user_model()
    applicant = applicant or User.objects.get(username=f"{scheme.slug}.applicant")
    employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind="employer").order_by("pk").first()
    return dossier_create(
        applicant=applicant,
        scheme=scheme,
        requested_tier=scheme.tiers.order_by("-rank").first(),
        employer=employer,
        authority=_authority_for(scheme),
        **identity(rng, **identity_overrides),
    )


def walk(dossier, code):
    path = path_to(dossier.scheme, code)
    assert path is not None, code
    for transition in path:
        dossier = fire(Dossier.objects.get(pk=dossier.pk), transition)
    return Dossier.objects.get(pk=dossier.pk)


def _state_with_comment_transition(scheme):
    for state in scheme.states.order_by("order"):
        transition = next((t for t in state.outgoing.order_by("order") if t.requires_comment), None)
        if transition is not None and path_to(scheme, state.code) is not None:
            return state, transition
    raise AssertionError(f"{scheme.slug} has no transition that takes a comment")


def test_names_inside_text(people):
    tonghua = Scheme.objects.get(slug="tonghua")
    named = make_dossier(tonghua, applicant_name="李娜")
    near = make_dossier(tonghua, applicant_name="李小娜")
    # A name inside a longer text: an opinion on someone else's dossier that mentions her.
    state, transition = _state_with_comment_transition(tonghua)
    other = walk(make_dossier(tonghua, applicant_name="王小明"), state.code)
    fire(other, transition, comment="经与李娜本人电话核实，劳动合同尚未提交。")
    admin = get_user_model().objects.get(username="admin")
    result = service.search_staff(admin, "李娜")
    found = {h.key for h in result.hits}
    assert {str(named.pk), str(other.pk)} <= found
    assert str(near.pk) not in found, "李 and 娜 apart are not the name 李娜"
    snippet = next(h.snippet for h in result.hits if h.key == str(other.pk))
    assert "<mark>李娜</mark>本人" in snippet


def test_name_inside_public_text(search_backend):
    from search.documents import content_document

    unit = {"key": "a-1", "title": "公告", "text": "经研究，同意向张伟、李娜、王芳等12名同志颁发A卡。", "url": "/a/"}
    service.index_content([content_document(unit, kind="announcement")])
    assert [h.key for h in service.search_public("李娜").hits] == ["a-1"]


def _dossier_matrix():
    """One dossier per reachable workflow state of every scheme, plus one of another applicant."""
    dossiers = []
    rng = random.Random(7)
    User = get_user_model()
    stranger = User.objects.create_user("stranger.applicant", password="x-demo-pass-123")
    for scheme in Scheme.objects.order_by("slug"):
        applicant = User.objects.get(username=f"{scheme.slug}.applicant")
        for state in scheme.states.order_by("order"):
            dossier = dossier_in_state(scheme, applicant, rng, state.code)
            if dossier is not None:
                dossiers.append(dossier)
        dossiers.append(make_dossier(scheme, applicant=stranger, rng=rng))
    return dossiers


def test_staff_never_see_dossiers_outside_their_grants(people):
    dossiers = _dossier_matrix()
    assert len(dossiers) > 20
    assert Dossier.objects.filter(state__kind=StateKind.END).exists()
    for user in get_user_model().objects.all():
        expected = {str(pk) for pk in dossiers_visible_to(user).values_list("pk", flat=True)}
        listed = service.search_staff(user, "", page_size=1000)
        assert {h.key for h in listed.hits} == expected, user.username
        assert listed.total == len(expected)
        # With a query too: the filter is the same whatever is searched.
        by_scheme = service.search_staff(user, "英才卡", page_size=1000)
        assert {h.key for h in by_scheme.hits} <= expected, user.username


def test_search_agrees_with_grants_right_after_a_transition(people):
    scheme = Scheme.objects.get(slug="jilin")
    dossier = make_dossier(scheme, applicant_name="赵思远")
    first = path_to(scheme, scheme.states.exclude(kind=StateKind.START).order_by("order").first().code)[0]
    users = list(get_user_model().objects.all())

    def finders():
        return {u.pk for u in users if any(h.key == str(dossier.pk) for h in service.search_staff(u, "赵思远").hits)}

    def viewers():
        return {u.pk for u in users if dossiers_visible_to(u).filter(pk=dossier.pk).exists()}

    before = finders()
    assert before == viewers()
    dossier = fire(dossier, first)  # no drain, no refresh: the next search must already agree
    after = finders()
    assert after == viewers()
    assert before != after


def test_index_right_after_commit(people, django_capture_on_commit_callbacks):
    scheme = Scheme.objects.get(slug="baiyun")
    with django_capture_on_commit_callbacks(execute=True):
        dossier = make_dossier(scheme, applicant_name="欧阳嘉怡")
    assert not OutboxEntry.objects.exists(), "the commit hook indexed the row and removed it"
    admin = get_user_model().objects.get(username="admin")
    assert [h.key for h in service.search_staff(admin, "欧阳嘉怡").hits] == [str(dossier.pk)]


def test_staff_results_shape_and_facets(people):
    scheme = Scheme.objects.get(slug="chuxiong")
    dossier = make_dossier(scheme, applicant_name="孙浩然")
    admin = get_user_model().objects.get(username="admin")
    result = service.search_staff(admin, dossier.reference)
    assert [h.key for h in result.hits] == [str(dossier.pk)]
    hit = result.hits[0]
    assert hit.fields["reference"] == dossier.reference and hit.fields["scheme"] == "chuxiong"
    assert dossier.id_number not in str(hit.fields) and dossier.phone not in str(hit.fields)
    assert {b.value for b in result.facets["scheme"]} == {"chuxiong"}
    assert result.facets["year"][0].count == 1
    filtered = service.search_staff(admin, "孙浩然", filters={"scheme": "tonghua"})
    assert filtered.total == 0


def test_drain_and_reindex(people):
    scheme = Scheme.objects.get(slug="liaocheng")
    dossiers = [make_dossier(scheme, applicant_name=name) for name in ("钱子涵", "孔梓萱", "邵博文")]
    assert OutboxEntry.objects.count() >= 3
    stats = service.drain_outbox()
    assert stats["indexed"] >= 3 and stats["failed"] == 0 and not OutboxEntry.objects.exists()
    backend = service.get_backend()
    backend.drop()
    assert service.search_staff(get_user_model().objects.get(username="admin"), "钱子涵").total == 0
    progress = []
    service.reindex_all(progress=lambda done, total, label: progress.append((label, done, total)), content_docs=[])
    assert ("dossiers", Dossier.objects.count(), Dossier.objects.count()) in progress
    admin = get_user_model().objects.get(username="admin")
    for dossier in dossiers:
        assert [h.key for h in service.search_staff(admin, dossier.applicant_name).hits] == [str(dossier.pk)]
    # A deleted dossier leaves the index through the outbox.
    assert backend.count("dossier") == Dossier.objects.count()


def test_policy_pages_are_indexed_per_article_and_item(search_backend):
    """With the policy pages published, content comes from PolicyPage.search_units()."""
    from policypages.demo import load_pages
    from search.documents import page_content_documents

    setup_schemes()
    load_pages()
    docs = page_content_documents()
    assert docs and all(d["url"] for d in docs)
    service.index_content(docs)
    hits = service.search_public("年满65岁").hits
    cited = {h.citation: h for h in hits}
    hit = cited["《通化市“英才卡”管理服务办法》第十六条第（六）项"]
    assert hit.url.endswith("#" + hit.fields["anchor"]) and "<mark>年满65岁</mark>" in hit.snippet
    assert service.search_public("住房公积金", scheme="chuxiong").total > 0

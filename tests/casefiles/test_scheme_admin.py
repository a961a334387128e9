"""Scheme rules in the Wagtail admin: listing and edit pages, and the validation of the forms."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from casefiles.models import Criterion, Tier
from casefiles.schemes.loader import schemes_load
from casefiles.schemes.citations import cited_article, policy_article_numbers, scheme_validate

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


class FakePolicyPage:
    """Stands in for the policy pages app's PolicyPage: units with anchors such as art-6-1."""

    def __init__(self, articles):
        self.articles = articles

    def search_units(self):
        return [{"anchor": f"art-{n}", "text": "…"} for n in self.articles] + [{"anchor": "art-6-1"}]


@pytest.fixture
def tonghua(db):
    (scheme,) = schemes_load(["tonghua"])
    return scheme


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("rules-admin", "rules@example.org", "pw-123-secure")
    # These tests read the admin's English messages: this admin prefers English (zh-Hans is the default).
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return client


@pytest.fixture
def published_policy(monkeypatch, tonghua):
    """The scheme has a published policy page with articles 1–24 (as 通化's has)."""
    monkeypatch.setattr("casefiles.schemes.citations.scheme_policy_page", lambda scheme: FakePolicyPage(range(1, 25)))


def criterion_post(criterion, **changes):
    data = {
        "scheme": criterion.scheme_id,
        "tier": criterion.tier_id,
        "ref": criterion.ref,
        "article": criterion.article,
        "order": criterion.order,
        "text": criterion.text,
        "talent_category": criterion.talent_category,
    }
    if criterion.direct_recognition:
        data["direct_recognition"] = "on"
    data.update(changes)
    return data


VIEWSETS = [
    "schemes", "tiers", "criteria", "preconditions", "service_items", "revocation_reasons", "workflow_states",
    "workflow_transitions",
]


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_listing_and_edit_pages_open(admin_client, tonghua, viewset):
    response = admin_client.get(reverse(f"{viewset}:index"))
    assert response.status_code == 200
    rows = list(response.context["object_list"])
    assert rows, viewset
    assert admin_client.get(reverse(f"{viewset}:edit", args=[rows[0].pk])).status_code == 200


def test_recognised_cards_listing_opens(admin_client, db):
    schemes_load(["chuxiong"])
    response = admin_client.get(reverse("recognised_cards:index"))
    assert response.status_code == 200 and "兴滇惠才卡" in response.content.decode()


def test_scheme_listing_names_the_scheme_and_menu_has_the_group(admin_client, tonghua):
    assert tonghua.name in admin_client.get(reverse("schemes:index")).content.decode()
    home = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    # Wagtail renders its menu from JSON props, where non-ASCII text may be \u-escaped.
    import json

    labels = ("Scheme rules", "卡种规则", json.dumps("卡种规则")[1:-1])
    assert any(label in home for label in labels)


def test_anonymous_cannot_open_the_admin(client, tonghua):
    assert client.get(reverse("schemes:index")).status_code in (302, 403)


def test_new_tier_without_a_criterion_is_refused(admin_client, tonghua):
    response = admin_client.post(
        reverse("tiers:add"), {"scheme": tonghua.pk, "code": "D", "name": "D卡", "rank": 0, "article": "第八条"}
    )
    assert response.status_code == 200
    assert "A tier must have at least one criterion" in response.content.decode()
    assert not Tier.objects.filter(scheme=tonghua, code="D").exists()


def test_new_tier_with_its_first_criterion_is_saved(admin_client, tonghua):
    response = admin_client.post(
        reverse("tiers:add"),
        {
            "scheme": tonghua.pk,
            "code": "D",
            "name": "D卡",
            "rank": 0,
            "article": "第八条",
            "first_criterion_ref": "8.9",
            "first_criterion_article": "第八条第⑨项",
            "first_criterion_text": "测试条件",
        },
    )
    assert response.status_code == 302
    tier = Tier.objects.get(scheme=tonghua, code="D")
    assert list(tier.criteria.values_list("ref", flat=True)) == ["8.9"]
    assert scheme_validate(tonghua) == []


def test_existing_tier_that_lost_its_criteria_cannot_be_saved(admin_client, tonghua):
    tier = Tier.objects.create(scheme=tonghua, code="E", name="E卡", rank=0)
    assert any("E卡" in p for p in scheme_validate(tonghua))
    response = admin_client.post(
        reverse("tiers:edit", args=[tier.pk]), {"scheme": tonghua.pk, "code": "E", "name": "E卡", "rank": 0}
    )
    assert response.status_code == 200
    assert "A tier must have at least one criterion" in response.content.decode()


def test_moving_the_last_criterion_away_is_refused(admin_client, tonghua):
    tier = Tier.objects.create(scheme=tonghua, code="E", name="E卡", rank=0)
    only = Criterion.objects.create(scheme=tonghua, tier=tier, ref="8.8", article="第八条", text="x")
    response = admin_client.post(
        reverse("criteria:edit", args=[only.pk]), criterion_post(only, tier=tonghua.tiers.get(code="C").pk)
    )
    assert response.status_code == 200
    assert "only criterion" in response.content.decode()
    only.refresh_from_db()
    assert only.tier_id == tier.pk


def test_duplicate_id_gets_a_friendly_error(admin_client, tonghua):
    criterion = tonghua.criteria.get(ref="6.1")
    response = admin_client.post(reverse("criteria:edit", args=[criterion.pk]), criterion_post(criterion, ref="6.2"))
    assert response.status_code == 200
    assert "ids are unique per scheme" in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.ref == "6.1"


def test_citation_must_name_an_article_of_the_published_policy(admin_client, published_policy, tonghua):
    criterion = tonghua.criteria.get(ref="6.1")
    response = admin_client.post(
        reverse("criteria:edit", args=[criterion.pk]), criterion_post(criterion, article="第九十九条第①项")
    )
    assert response.status_code == 200
    assert "The published policy has no article 99" in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.article == "第六条第①项"
    # a citation of an existing article saves
    response = admin_client.post(
        reverse("criteria:edit", args=[criterion.pk]), criterion_post(criterion, article="第六条第（一）项")
    )
    assert response.status_code == 302


def test_without_a_policy_page_the_citation_check_is_skipped(admin_client, tonghua):
    assert policy_article_numbers(tonghua) is None
    criterion = tonghua.criteria.get(ref="6.1")
    response = admin_client.post(
        reverse("criteria:edit", args=[criterion.pk]), criterion_post(criterion, article="第九十九条第①项")
    )
    assert response.status_code == 302


def test_scheme_validate_and_load_schemes_report_citation_problems(published_policy, tonghua):
    assert policy_article_numbers(tonghua) == set(range(1, 25))
    assert scheme_validate(tonghua) == []
    tonghua.revocation_reasons.filter(ref="16.9").update(article="第三十条第（九）项")
    problems = scheme_validate(tonghua)
    assert len(problems) == 1 and "16.9" in problems[0] and "30" in problems[0]
    out = StringIO()
    call_command("load_schemes", "tonghua", stdout=out)  # reloading restores the file's citation
    assert "tonghua" in out.getvalue() and "OK" in out.getvalue()
    assert cited_article(tonghua.revocation_reasons.get(ref="16.9").article) == 16


def test_scheme_edit_page_warns_about_problems(admin_client, tonghua):
    Tier.objects.create(scheme=tonghua, code="E", name="E卡", rank=0)
    response = admin_client.get(reverse("schemes:edit", args=[tonghua.pk]), follow=True)
    assert "E卡" in response.content.decode()

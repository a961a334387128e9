"""A scheme whose policy has expired takes no new applications (issue #17 item 6).

The period is data: the scheme file's ``cards.applications`` (opens, closes, article or setting), and, where the
scheme has a published policy page that states dates, the page's (a revision that extends them reopens the scheme).
Every shipped scheme is swept: inside its period it is open; after its end the self-check, the portal, the API's
create and the first submission say so in Chinese with the dates and the article, and nothing is stored; a dossier
submitted before the end runs on to its card; a card issued before keeps its status and term.

These tests run the files as shipped (marker ``real_scheme_periods``: tests/conftest.py lifts an ended file period
for every other test).
"""

import datetime
import random
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from rest_framework.test import APIClient

from casefiles.demo_cards import issue_card
from casefiles.demo_dossiers import make_dossier
from casefiles.models import Card, Dossier, Opinion, SequenceCounter, StateKind
from casefiles.schemes.loader import SCHEME_DIR, scheme_file_problems, scheme_files_load, shipped_slugs
from casefiles.schemes.validate import card_rules_of, load_scheme_file
from casefiles.selectors_schemes import scheme_open_for_applications, scheme_period
from casefiles.testing import demo_facts, fire, identity, path_to, route_choice

from .factories import setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.real_scheme_periods, pytest.mark.usefixtures("schemes_once")]

SLUGS = shipped_slugs()

#: Read off the seeds' final provisions (/work/shared/seeds), not from the data files:
#: (opens, closes, article) — closes is the first day applications are no longer taken.
SEED_PERIODS = {
    # 白云 第七条: 本细则自发布之日起正式实施，有效期5年; “20l9年6月5日印发” → 2019-06-05 to 2024-06-04.
    "baiyun": (datetime.date(2019, 6, 5), datetime.date(2024, 6, 5), "第七条"),
    # 吉林 第十四条: 本办法自印发之日起实施; the notice is dated 2023年8月7日; no end.
    "jilin": (datetime.date(2023, 8, 7), None, "第十四条"),
    # 通化 第二十四条: 本办法自印发之日起施行; the seed carries no date of issue; no end.
    "tonghua": (None, None, "第二十四条"),
    # 楚雄: the text ends inside 第九条, no 施行 article (the administration's setting).
    "chuxiong": (None, None, ""),
    # 聊城: no 施行 or 有效期 article (ends with 第四十一条 解释 and the 印发 line): a setting.
    "liaocheng": (None, None, ""),
}


def verdict(html):
    """The self-check's verdict line (“您可以申领 …” or “您勾选的情形对应 …”)."""
    return re.search(r'<p class="sc-verdict">(.*?)</p>', html, re.S).group(1)


def self_check(slug, criterion):
    response = Client().get(reverse("scheme-self-check", args=[slug]), {"check": "1", "criteria": criterion.ref})
    assert response.status_code == 200
    return response.content.decode()


def zh_date(value):
    return formats.date_format(value, "DATE_FORMAT")


def api(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


def create_body(scheme, seed):
    tier, criterion = route_choice(scheme, _issued_code(scheme), demo_facts(scheme))
    return {
        "scheme": scheme.slug, "tier": tier.code, "criteria": [criterion.ref] if criterion else [],
        "facts": demo_facts(scheme), **identity(random.Random(seed), contract_end=None),
    }


def _issued_code(scheme):
    return scheme.transitions.filter(issues_card=True).select_related("target").order_by("order").first().target.code


def _applications_line(lines):
    return next(i for i, line in enumerate(lines) if line.startswith("  applications:"))


def load_with_period(slug, tmp_path, opens, closes):
    """The shipped file with its period's dates changed (as a bureau edits and reloads it), loaded."""
    text = (SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = _applications_line(lines)
    declared = card_rules_of(load_scheme_file(SCHEME_DIR / f"{slug}.yaml"))["applications"]
    cite = f"article: {declared['article']}" if declared.get("article") else "setting: true"
    lines[at] = f"  applications: {{opens: {opens or 'null'}, closes: {closes or 'null'}, {cite}}}"
    path = tmp_path / f"{slug}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (scheme,) = scheme_files_load([path])
    return scheme


def test_every_shipped_scheme_is_in_the_table():
    assert set(SLUGS) == set(SEED_PERIODS)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_file_states_the_period_its_policy_sets(slug):
    data = load_scheme_file(SCHEME_DIR / f"{slug}.yaml")
    declared = card_rules_of(data)["applications"]
    opens, closes, article = SEED_PERIODS[slug]
    assert declared["opens"] == (opens.isoformat() if opens else None)
    assert declared["closes"] == (closes.isoformat() if closes else None)
    assert declared.get("article", "") == article
    assert declared.get("setting") is (None if article else True)  # silent policy: an administrative setting
    assert scheme_file_problems(SCHEME_DIR / f"{slug}.yaml")[1] == []


@pytest.mark.parametrize("slug", SLUGS)
def test_a_bad_period_is_refused_with_its_line_in_chinese(slug, tmp_path):
    lines = (SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8").splitlines()
    at = _applications_line(lines)
    for line, wanted in (
        ("  applications: {opens: 2024-06-05, closes: 2019-06-05, article: 第七条}", "须晚于 opens"),
        ("  applications: {opens: 六月, closes: null, article: 第七条}", "须为日期"),
        ("  applications: {opens: 2019-06-05, closes: null}", "须注明政策条款"),
        ("  applications: {opens: 2019-06-05, until: 2024-06-05, article: 第七条}", "未知字段：until"),
    ):
        lines[at] = line
        path = tmp_path / f"{slug}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        problems = scheme_file_problems(path)[1]
        assert any(p.startswith(f"{slug}.yaml:{at + 1}: ") and wanted in p for p in problems), (line, problems)


def test_baiyun_as_shipped_is_closed_today_with_its_dates_and_article():
    """The issue's case: 白云's policy expired on 2024-06-05; today the self-check no longer says 您可以申领."""
    schemes = setup_schemes()
    baiyun = schemes["baiyun"]
    period = scheme_period(baiyun)
    assert (period.opens, period.closes, period.article, period.source) == (*SEED_PERIODS["baiyun"], "file")
    assert not period.open
    assert scheme_open_for_applications(baiyun, datetime.date(2024, 6, 4))  # its last day
    assert not scheme_open_for_applications(baiyun, datetime.date(2024, 6, 5))
    assert not scheme_open_for_applications(baiyun, datetime.date(2019, 6, 4))  # not yet in force
    for text in ("白云区云聚英才卡", "第七条", "2019年6月5日", "2024年6月4日", "2024年6月5日"):
        assert text in period.message
    criterion = baiyun.criteria.order_by("order").first()
    page = Client().get(reverse("scheme-self-check", args=["baiyun"]), {"check": "1", "criteria": criterion.ref})
    html = page.content.decode()
    assert page.status_code == 200 and "您可以申领" not in verdict(html) and "在线申领" not in html
    assert "已停止受理申请" in html and "2024年6月4日" in html and "第七条" in html


@pytest.mark.parametrize("slug", SLUGS)
def test_after_its_end_no_new_application_anywhere(slug, tmp_path):
    """Every scheme: open inside its period, then (its file's period ended) closed in the self-check, the portal,
    the API's create and the first submission, with the dates and the article; what was submitted or issued before
    the end goes on."""
    setup_schemes()
    today = timezone.localdate()
    opens = SEED_PERIODS[slug][0]
    # Inside the period: the shipped start, and an end a year from now.
    scheme = load_with_period(slug, tmp_path, opens, today + datetime.timedelta(days=365))
    assert scheme_open_for_applications(scheme)
    applicant = user(f"{slug}.applicant")
    criterion = route_choice(scheme, _issued_code(scheme), demo_facts(scheme))[1]
    html = self_check(slug, criterion)
    assert "您可以申领" in verdict(html) and "已停止受理申请" not in html
    draft = make_dossier(scheme, applicant, random.Random(1), tier=criterion.tier, criterion=criterion)
    submitted = make_dossier(scheme, applicant, random.Random(2), tier=criterion.tier, criterion=criterion)
    path = path_to(scheme, _issued_code(scheme), dossier=submitted)
    submitted = fire(submitted, path[0])
    assert submitted.submitted_at is not None
    card = issue_card(scheme, rng=random.Random(3))
    card_before = (card.status, card.valid_from, card.valid_until)

    # After the end: the period closed yesterday.
    closes = today - datetime.timedelta(days=1)
    scheme = load_with_period(slug, tmp_path, opens, closes)
    period = scheme_period(scheme)
    assert not period.open and period.source == "file"
    wanted = [scheme.name, "已停止受理申请", zh_date(closes - datetime.timedelta(days=1)), zh_date(closes)]
    wanted += [zh_date(opens)] if opens else []
    wanted += [SEED_PERIODS[slug][2] or "管理设置"]
    assert all(text in period.message for text in wanted), (wanted, period.message)

    # The self-check: the tier the criteria lead to, not 您可以申领, no way to apply; the message instead.
    html = self_check(slug, criterion)
    assert "您可以申领" not in verdict(html) and "?scheme=" not in html
    assert period.message in html
    index = Client().get(reverse("self-check-index")).content.decode()
    assert "不受理申请" in index

    counts = (Dossier.objects.count(), SequenceCounter.objects.filter(scheme=scheme, kind="dossier").get().last)
    # The portal: the programme list shows it closed (no link to its form); the form is refused, nothing stored.
    browser = Client()
    browser.force_login(applicant)
    listing = browser.get(reverse("portal_application_new")).content.decode()
    assert f"?scheme={slug}" not in listing and period.message in listing
    form = browser.get(reverse("portal_application_new"), {"scheme": slug})
    assert form.status_code == 200 and period.message in form.content.decode()
    assert 'name="applicant_name"' not in form.content.decode()
    posted = browser.post(reverse("portal_application_new"), {"scheme": slug, "applicant_name": "王海燕"})
    assert posted.status_code == 400 and period.message in posted.content.decode()

    # The API: 400 with the Chinese message; nothing stored (no dossier, no number handed out).
    answer = api(applicant).post("/api/v1/dossiers/", create_body(scheme, 5), format="json")
    assert answer.status_code == 400, answer.content
    assert period.message in answer.content.decode()
    assert (Dossier.objects.count(), SequenceCounter.objects.get(scheme=scheme, kind="dossier").last) == counts

    # The first submission of a draft made before the end: refused the same way, the draft stays where it was.
    detail = browser.get(reverse("portal_application_detail", args=[draft.pk])).content.decode()
    assert period.message in detail
    submit = next(t for t in draft.state.outgoing.select_related("target") if t.target.kind != StateKind.END)
    opinions = Opinion.objects.filter(dossier=draft).count()
    answer = api(applicant).post(f"/api/v1/dossiers/{draft.pk}/transitions/", {"transition": submit.code},
                                 format="json")
    assert answer.status_code == 400, answer.content
    assert period.message in answer.content.decode()
    draft.refresh_from_db()
    assert draft.state.kind == StateKind.START and draft.submitted_at is None
    assert Opinion.objects.filter(dossier=draft).count() == opinions
    offered = api(applicant).get(f"/api/v1/dossiers/{draft.pk}/").json()["transitions"]
    assert submit.code not in [t["code"] for t in offered]

    # Submitted before the end: it runs on to its card. Issued before the end: the card keeps its status and term.
    for transition in path[1:]:
        submitted = fire(submitted, transition)
    assert submitted.state.code == _issued_code(scheme)
    assert Card.objects.filter(dossier=submitted).exists()
    card.refresh_from_db()
    assert (card.status, card.valid_from, card.valid_until) == card_before


@pytest.mark.parametrize("slug", SLUGS)
def test_the_published_policy_page_wins_and_a_revision_that_extends_it_reopens_the_scheme(slug):
    """Every scheme: its published policy page's dates decide over the file's; an editor publishes a revision with
    an expiry already past (closed, the page's dates in the message), then one that extends it (open again)."""
    from policypages.models import PolicyPage
    from policypages.testing import published_policy

    setup_schemes()
    _section, result = published_policy(slug)
    page = PolicyPage.objects.get(pk=result.page.pk)
    today = timezone.localdate()
    scheme = page.scheme
    applicant = user(f"{slug}.applicant")
    if slug == "baiyun":  # as imported, 白云's page says 已过期 (2024-06-05): closed, the page's 第七条 cited
        period = scheme_period(scheme)
        assert (period.source, period.opens, period.closes, period.article) == ("policy", *SEED_PERIODS["baiyun"])
        assert not period.open

    page.effective_date, page.expiry_date = datetime.date(2020, 1, 1), today - datetime.timedelta(days=10)
    page.save_revision().publish()
    period = scheme_period(scheme)
    assert period.source == "policy" and not period.open
    assert all(text in period.message for text in (zh_date(datetime.date(2020, 1, 1)), zh_date(page.expiry_date)))
    answer = api(applicant).post("/api/v1/dossiers/", create_body(scheme, 6), format="json")
    assert answer.status_code == 400 and period.message in answer.content.decode()

    page = PolicyPage.objects.get(pk=page.pk)
    page.expiry_date = today + datetime.timedelta(days=365)
    page.save_revision().publish()
    assert scheme_open_for_applications(scheme)
    answer = api(applicant).post("/api/v1/dossiers/", create_body(scheme, 7), format="json")
    assert answer.status_code == 201, answer.content


def test_baiyun_reopens_when_a_revision_of_its_text_extends_article_seven():
    """The way the demo does it: a revision of the policy whose 第七条 says 有效期10年, imported and published."""
    from policypages import services
    from policypages.testing import published_policy, seed_text

    setup_schemes()
    section, result = published_policy("baiyun")
    scheme = result.page.scheme
    assert not scheme_open_for_applications(scheme)
    services.policy_import(section=section, text=seed_text("baiyun").replace("有效期5年", "有效期10年"), publish=True)
    period = scheme_period(scheme)
    assert period.open and period.closes == datetime.date(2029, 6, 5) and period.article == "第七条"

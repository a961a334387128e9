"""Public notice (公示) as data: the minimum period, the public list, objections from the public, and the hold.

Every scheme whose data has a notice state (a state with ``notice``) is swept; today that is 楚雄 only, but nothing
here names it. Candidates are put at the notice stage directly (the steps before it need materials, expert and
department opinions, which other tests walk); from there on everything goes through the services and the pages.
"""

import datetime
import random

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_dossiers import make_dossier
from casefiles.exceptions import CaseFileError, StateConflict
from casefiles.models import Dossier, JournalEntry, NoticeObjection, Notification, ObjectionStatus, Scheme, StateKind
from casefiles.services import notices
from casefiles.workflow.states import notice_minimum

from .factories import setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

HOW = "对公示对象如有异议，请于公示期内以书面形式向州委人才工作领导小组办公室反映。"
OBJECTOR, PHONE = "赵异议", "13912345678"


def notice_schemes():
    schemes = [s for s in Scheme.objects.order_by("slug") if notices.notice_states(s)]
    assert schemes, "no scheme's data has a notice state"
    return schemes


def officer_of(scheme):
    """A member of the notice department of the scheme's notice state (from the data)."""
    department = notices.notice_department(notices.notice_states(scheme)[0])
    return get_user_model().objects.filter(groups=department.group).order_by("pk").first()


def candidates(scheme, count, seed=7):
    """Dossiers of ``scheme`` placed at its notice stage."""
    state = notices.notice_states(scheme)[0]
    applicant = user(f"{scheme.slug}.applicant")
    made = [make_dossier(scheme, applicant, random.Random(seed + i), with_attachment=False) for i in range(count)]
    Dossier.objects.filter(pk__in=[d.pk for d in made]).update(state=state)
    return [Dossier.objects.select_related("state", "scheme").get(pk=d.pk) for d in made]


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def test_every_notice_scheme_minimum_period_hold_and_release(django_capture_on_commit_callbacks):
    setup_schemes()
    swept = 0
    for scheme in notice_schemes():
        state = notices.notice_states(scheme)[0]
        minimum = notice_minimum(state)
        assert minimum and minimum >= 1, scheme.slug
        office = officer_of(scheme)
        first, second = candidates(scheme, 2)

        # Not at a notice stage: refused, whatever the state is called.
        draft = make_dossier(scheme, user(f"{scheme.slug}.applicant"), random.Random(99), with_attachment=False)
        assert draft.state.kind == StateKind.START
        with pytest.raises(StateConflict):
            notices.public_notice_open(scheme=scheme, user=office, dossiers=[draft], how_to_object=HOW)

        # Below the state's minimum: refused, citing the article or saying it is an administrative setting.
        if minimum > 1:
            with pytest.raises(CaseFileError) as caught:
                notices.public_notice_open(
                    scheme=scheme, user=office, dossiers=[first], how_to_object=HOW, working_days=minimum - 1
                )
            assert caught.value.code == "working_days"
            assert str(minimum) in caught.value.message
            assert notices.notice_period_basis(state.notice) in caught.value.message

        # The default period is the minimum.
        notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=[first, second], how_to_object=HOW)
        assert notice.working_days == minimum and notice.closes_on >= notice.opens_on
        later = notice.closes_on + datetime.timedelta(days=1)
        close = notices.closing_transition(state)
        assert close is not None and "notice" in close.guard

        # Closing early is refused with the date the notice runs until.
        with pytest.raises(StateConflict) as caught:
            notices.public_notice_close_for(dossier=first, user=office)
        assert chinese_date(notice.closes_on) in caught.value.message
        assert any(chinese_date(notice.closes_on) in r for r in notices.notice_blockers(first))

        # A public objection holds the candidate after the period, until decided with a reason.
        with django_capture_on_commit_callbacks(execute=True):
            objection = notices.objection_submit(
                notice=notice, dossier=first, objector=OBJECTOR, phone=PHONE, content="该人选业绩材料与事实不符。"
            )
        assert objection.source == "public" and objection.recorded_by is None and objection.phone == PHONE
        with pytest.raises(StateConflict):
            notices.public_notice_close_for(dossier=first, user=office, today=later)
        assert notices.notice_blockers(first, later)
        with pytest.raises(CaseFileError) as caught:
            notices.objection_resolve(objection=objection, user=office, upheld=False, resolution="  ")
        assert caught.value.code == "resolution"
        outsider = get_user_model().objects.get(username=f"{scheme.slug}.applicant")
        with pytest.raises(Exception) as caught:
            notices.objection_resolve(objection=objection, user=outsider, upheld=False, resolution="不成立。")
        assert getattr(caught.value, "code", "") != "resolution"
        assert NoticeObjection.objects.get(pk=objection.pk).status == ObjectionStatus.OPEN
        notices.objection_resolve(objection=objection, user=office, upheld=False, resolution="经核实，异议不成立。")
        assert notices.notice_blockers(first, later) == []
        moved = notices.public_notice_close_for(dossier=first, user=office, today=later)
        assert moved.state_id == close.target_id

        # An upheld objection keeps holding.
        objection = notices.objection_record(notice=notice, dossier=second, user=office, content="存在学术不端。")
        notices.objection_resolve(objection=objection, user=office, upheld=True, resolution="经核实，异议成立。")
        with pytest.raises(StateConflict):
            notices.public_notice_close_for(dossier=second, user=office, today=later)
        swept += 1
    assert swept == len(notice_schemes())


def test_public_list_masks_and_takes_objections(client, settings, django_capture_on_commit_callbacks):
    setup_schemes()
    settings.HUICAI_PAGE_CACHE_ENABLED = True  # the list must bypass it: a new notice shows at once
    settings.HUICAI_OBJECTION_LIMIT = 2
    scheme = notice_schemes()[0]
    state = notices.notice_states(scheme)[0]
    office = officer_of(scheme)
    first, second, third = candidates(scheme, 3, seed=21)
    assert client.get("/public-notices/").status_code == 200
    notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=[first, second], how_to_object=HOW)
    # A notice that has already closed drops off and takes no objection.
    old = notices.public_notice_open(
        scheme=scheme,
        user=office,
        dossiers=[third],
        how_to_object=HOW,
        opens_on=notice.opens_on - datetime.timedelta(days=60),
    )

    response = client.get("/public-notices/")
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.get("X-Page-Cache") != "hit"
    from casefiles.masking import mask_name

    for dossier in (first, second):
        assert mask_name(dossier.applicant_name) in html
        assert dossier.applicant_name not in html
        assert dossier.id_number not in html and dossier.phone not in html
        assert f"/public-notices/{notice.pk}/candidates/{dossier.pk}/objection/" in html
    assert third.applicant_name not in html and mask_name(third.applicant_name) not in html
    assert f"/public-notices/{old.pk}/" not in html
    assert HOW in html and str(notice.working_days) in html
    assert notice.opens_on.strftime("%Y-%m-%d") in html and notice.closes_on.strftime("%Y-%m-%d") in html
    assert ('data-testid="pn-setting"' in html) == bool(state.notice.get("setting"))

    url = f"/public-notices/{notice.pk}/candidates/{first.pk}/objection/"
    form = {"objector": OBJECTOR, "phone": PHONE, "content": "该人选的获奖证书系伪造。"}
    page = client.get(url)
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert first.applicant_name not in page.content.decode()
    # Checking first: nothing is stored until "send".
    confirm = client.post(url, form, REMOTE_ADDR="10.77.0.1")
    assert confirm.status_code == 200 and 'name="send"' in confirm.content.decode()
    assert not NoticeObjection.objects.exists()
    members = set(
        get_user_model().objects.filter(groups=notices.notice_department(state).group).values_list("pk", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {**form, "send": "1"}, REMOTE_ADDR="10.77.0.1")
    assert sent.status_code == 302 and sent["Location"] == "/public-notices/objection-sent/"
    assert PHONE not in sent["Location"] and OBJECTOR not in sent["Location"]
    objection = NoticeObjection.objects.get()
    assert (objection.source, objection.recorded_by, objection.objector, objection.phone) == (
        "public",
        None,
        OBJECTOR,
        PHONE,
    )
    assert objection.dossier_id == first.pk and objection.status == ObjectionStatus.OPEN
    notified = Notification.objects.filter(event="notice_objection")
    assert members and set(notified.values_list("recipient_id", flat=True)) == members
    assert all(OBJECTOR not in n.body + n.subject and PHONE not in n.body + n.subject for n in notified)
    entry = JournalEntry.objects.filter(action="casefiles.notice.objection").get()
    assert entry.actor_id is None and OBJECTOR not in str(entry.data) and PHONE not in str(entry.data)
    after = client.get("/public-notices/").content.decode()
    assert OBJECTOR not in after and PHONE not in after and "伪造" not in after
    # The open objection holds the candidate (the guard of the closing transition reads it).
    assert any(notices.notice_blockers(first, notice.closes_on + datetime.timedelta(days=1)))

    # The closed notice: the form is gone, a post is refused in Chinese terms, nothing stored.
    closed_url = f"/public-notices/{old.pk}/candidates/{third.pk}/objection/"
    refused = client.post(closed_url, {**form, "send": "1"}, REMOTE_ADDR="10.77.0.2")
    assert refused.status_code == 410 and NoticeObjection.objects.count() == 1
    with pytest.raises(CaseFileError):
        notices.objection_submit(notice=old, dossier=third, objector=OBJECTOR, phone=PHONE, content="异议")
    # A dossier that is not on the notice is not found.
    assert client.get(f"/public-notices/{notice.pk}/candidates/{third.pk}/objection/").status_code == 404

    # Rate limit per address: 2 sends, then a 429 page.
    second_url = f"/public-notices/{notice.pk}/candidates/{second.pk}/objection/"
    for _ in range(1):
        assert client.post(second_url, {**form, "send": "1"}, REMOTE_ADDR="10.77.0.1").status_code == 302
    throttled = client.post(second_url, {**form, "send": "1"}, REMOTE_ADDR="10.77.0.1")
    assert throttled.status_code == 429 and throttled.has_header("Retry-After")
    assert 'data-testid="pn-throttled"' in throttled.content.decode()
    assert NoticeObjection.objects.count() == 2
    assert client.post(second_url, {**form, "send": "1"}, REMOTE_ADDR="10.77.0.3").status_code == 302


def test_admin_opens_with_the_minimum_and_decides_objections_with_a_reason(client):
    setup_schemes()
    scheme = notice_schemes()[0]
    state = notices.notice_states(scheme)[0]
    office = officer_of(scheme)
    first, second = candidates(scheme, 2, seed=41)
    outsider = (
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False)
        .exclude(groups=notices.notice_department(state).group)
        .order_by("pk")
        .first()
    )

    client.force_login(outsider)
    assert client.get("/admin/public-notices/").status_code == 403
    assert client.get("/admin/public-notices/objections/").status_code == 403

    client.force_login(office)
    page = client.get("/admin/public-notices/")
    html = page.content.decode()
    prefix = f"s{scheme.pk}"
    assert page.status_code == 200 and f'name="{prefix}-working_days" value="{notice_minimum(state)}"' in html
    assert notices.notice_period_basis(state.notice) in html
    form = {"scheme": scheme.pk, f"{prefix}-dossiers": [first.pk, second.pk], f"{prefix}-how_to_object": HOW}
    short = client.post("/admin/public-notices/", {**form, f"{prefix}-working_days": notice_minimum(state) - 1})
    assert short.status_code == 400 and not scheme.public_notices.exists()
    opened = client.post("/admin/public-notices/", {**form, f"{prefix}-working_days": notice_minimum(state)})
    assert opened.status_code == 302
    notice = scheme.public_notices.get()
    assert notice.working_days == notice_minimum(state)

    objection = notices.objection_submit(
        notice=notice, dossier=first, objector=OBJECTOR, phone=PHONE, content="材料不实。"
    )
    listing = client.get("/admin/public-notices/objections/").content.decode()
    assert f'data-objection="{objection.pk}"' in listing and PHONE in listing and first.reference in listing
    no_reason = client.post(
        "/admin/public-notices/objections/",
        {"objection": objection.pk, f"o{objection.pk}-decision": "dismiss", f"o{objection.pk}-resolution": ""},
    )
    assert no_reason.status_code == 400
    assert NoticeObjection.objects.get(pk=objection.pk).status == ObjectionStatus.OPEN
    decided = client.post(
        "/admin/public-notices/objections/",
        {
            "objection": objection.pk,
            f"o{objection.pk}-decision": "dismiss",
            f"o{objection.pk}-resolution": "经核实，异议不成立。",
        },
    )
    assert decided.status_code == 302
    done = NoticeObjection.objects.get(pk=objection.pk)
    assert done.status == ObjectionStatus.DISMISSED and done.resolved_by_id == office.pk
    assert notices.notice_blockers(first, notice.closes_on + datetime.timedelta(days=1)) == []


def test_notice_index_links_an_open_notice_to_the_public_page(client):
    """The site's notice index (通知公告) links a 公示 to its place on the public notice page while it is open."""
    from policypages import services as page_services
    from policypages.demo import ensure_home_page
    from policypages.testing import ensure_wagtail_root

    setup_schemes()
    ensure_wagtail_root()
    index = page_services.notice_index_ensure(section=ensure_home_page())
    scheme = notice_schemes()[0]
    office = officer_of(scheme)
    (first,) = candidates(scheme, 1, seed=61)
    notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=[first], how_to_object=HOW)
    html = client.get(index.url).content.decode()
    assert f'href="/public-notices/#notice-{notice.pk}"' in html
    public = client.get("/public-notices/").content.decode()
    assert f'id="notice-{notice.pk}"' in public

"""One 楚雄 dossier walked in the browser through the controls of 第四条 (issue #16): the applicant confirms a complete
application; the talent office names an expert; the sector authority, the HR bureau and the expert give their
opinions, without which 评审认定 is not offered; integrity opinions from two departments; the 公示 refuses to close
early and holds on a public objection until it is dismissed with a reason; then the bank makes and issues the card.

Steps with a page are taken on the page. Two go through the services, said where: opening the notice with a start
date in the past (the admin form opens it today, and the period must be seen to end), and dismissing the objection.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from casefiles.demo_cards import prepare_schemes
from casefiles.demo_dossiers import demo_facts, make_dossier
from casefiles.masking import mask_name
from casefiles.models import Card, NoticeObjection, OpinionRequest
from casefiles.services import notices
from casefiles.testing import attach_required_materials, demo_expert, demo_user_for, route_choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _as(browser, live_server, user):
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    return context.new_page()


def _admin_page(browser, live_server, user, dossier):
    page = _as(browser, live_server, user)
    page.goto(live_server.url + reverse("casefiles_dossiers:detail", args=[dossier.pk]))
    return page


def _offered(page, code):
    return page.locator(f'form:has(input[name="transition"][value="{code}"])').count() > 0


def _fire(page, code, comment="同意。"):
    form = page.locator(f'form:has(input[name="transition"][value="{code}"])')
    form.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _answer(page, request_pk):
    form = page.locator(f'form[action$="/answer/{request_pk}/"]')
    form.locator('input[name="answer"][value="agree"]').check()
    form.locator('textarea[name="comment"]').fill("同意。")
    form.locator('input[name="confirm"]').check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_chuxiong_dossier_through_every_control(live_server, browser, artifacts_dir):
    (scheme,) = prepare_schemes(["chuxiong"])
    issued = scheme.transitions.get(issues_card=True).target
    tier, criterion = route_choice(scheme, issued.code, demo_facts(scheme))
    applicant = get_user_model().objects.create_user("walk-applicant", first_name="")
    dossier = make_dossier(scheme, applicant, __import__("random").Random(7), tier=tier, criterion=criterion, with_attachment=False)

    # 1. The applicant: submit is confirmed on its own page, refused while materials are missing.
    page = _as(browser, live_server, applicant)
    page.goto(live_server.url + f"/applications/{dossier.pk}/confirm/submit/")
    assert page.locator('button[name="confirm"]').is_disabled()
    attach_required_materials(dossier)  # the upload form is walked by tests/browser/test_portal.py
    page.goto(live_server.url + f"/applications/{dossier.pk}/confirm/submit/")
    with page.expect_navigation():
        page.locator('button[name="confirm"]').click()
    dossier.refresh_from_db()
    assert dossier.state.code == "assessment"
    page.screenshot(path=f"{artifacts_dir}/walk-1-submitted.png", full_page=True)

    # 2. 评审认定 (第四条（二）): not offered until the authority, the HR bureau and an expert agree.
    office = demo_user_for(dossier, dossier.state.actor)
    expert = demo_expert(scheme)  # an external reviewer's account (no department)
    page = _admin_page(browser, live_server, office, dossier)
    assert not _offered(page, "approve_assessment")
    experts = page.locator('form[action$="/experts/"]')
    experts.locator(f'input[name="experts"][value="{expert.pk}"]').check()
    experts.locator('input[name="confirm"]').check()
    with page.expect_navigation():
        experts.locator("button[type=submit]").click()
    asked = list(OpinionRequest.objects.filter(dossier=dossier, state=dossier.state, status="open").select_related("department"))
    departments = [r for r in asked if r.department_id]
    assert len(departments) >= 2 and any(r.expert_id == expert.pk for r in asked)
    for request in departments:
        code = "authority" if request.department_id == dossier.authority_id else request.department.code
        answerer = demo_user_for(dossier, code)
        _answer(_admin_page(browser, live_server, answerer, dossier), request.pk)
    expert_request = next(r for r in asked if r.expert_id)
    expert_page = _as(browser, live_server, expert)
    expert_page.goto(live_server.url + f"/expert/{expert_request.pk}/")
    assert dossier.applicant_name not in expert_page.content()
    expert_page.locator('input[name="answer"][value="agree"]').check()
    expert_page.locator('textarea[name="comment"]').fill("材料真实，同意认定。")
    expert_page.locator('input[name="confirm"]').check()
    with expert_page.expect_navigation():
        expert_page.locator("form:has(input[name=answer]) button[type=submit]").click()
    page = _admin_page(browser, live_server, office, dossier)
    assert _offered(page, "approve_assessment")
    _fire(page, "approve_assessment")
    dossier.refresh_from_db()
    assert dossier.state.code == "integrity_review"

    # 3. 征求意见 (第四条（三）): two departments' integrity opinions, then a colleague opens the notice stage.
    colleague = demo_user_for(dossier, dossier.state.actor)
    assert colleague != office  # four eyes: the officer of the last decision hands on
    page = _admin_page(browser, live_server, colleague, dossier)
    assert not _offered(page, "open_public_notice")
    integrity = list(OpinionRequest.objects.filter(dossier=dossier, state=dossier.state, status="open").select_related("department"))
    assert len(integrity) == 2
    for request in integrity:
        _answer(_admin_page(browser, live_server, demo_user_for(dossier, request.department.code), dossier), request.pk)
    page = _admin_page(browser, live_server, colleague, dossier)
    _fire(page, "open_public_notice")
    dossier.refresh_from_db()
    assert dossier.state.code == "public_notice"

    # 4. 公示: opened (through the service, with a start date in the past), still running today → close refused.
    state = dossier.state
    minimum = state.notice["working_days"]
    notice_office = demo_user_for(dossier, notices.notice_department(state, dossier).code)
    notice = notices.public_notice_open(scheme=scheme, user=notice_office, dossiers=[dossier], working_days=minimum,
                                        how_to_object="对公示对象如有异议，请于公示期内书面反映。",
                                        opens_on=timezone.localdate() - datetime.timedelta(days=1))
    closer = demo_user_for(dossier, state.actor)
    page = _admin_page(browser, live_server, closer, dossier)
    assert not _offered(page, "close_public_notice")
    # A member of the public objects on the public page; the masked name only.
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(live_server.url + "/public-notices/")
    assert mask_name(dossier.applicant_name) in public.content() and dossier.applicant_name not in public.content()
    public.goto(live_server.url + f"/public-notices/{notice.pk}/candidates/{dossier.pk}/objection/")
    public.fill("#id_objector", "赵群众")
    public.fill("#id_phone", "13900002222")
    public.fill("#id_content", "所报项目入选凭证存疑，请核实。")
    with public.expect_navigation():
        public.locator('button[name="check"]').click()
    with public.expect_navigation():
        public.locator('button[name="send"]').click()
    objection = NoticeObjection.objects.get(dossier=dossier)
    # The period ends: the notice is moved back so that it closed yesterday (the service's own date check is the
    # guard; the calendar makes the dates).
    notice.opens_on = timezone.localdate() - datetime.timedelta(days=minimum * 2 + 14)
    from casefiles.services.calendar import WorkingCalendar

    notice.closes_on = WorkingCalendar().add_working_days(notice.opens_on, minimum - 1)
    notice.save(update_fields=["opens_on", "closes_on"])
    page = _admin_page(browser, live_server, closer, dossier)
    assert not _offered(page, "close_public_notice")  # held by the open objection
    notices.objection_resolve(objection=objection, user=notice_office, upheld=False, resolution="经核实，凭证真实，异议不成立。")
    page = _admin_page(browser, live_server, closer, dossier)
    assert _offered(page, "close_public_notice")
    _fire(page, "close_public_notice")
    dossier.refresh_from_db()
    page.screenshot(path=f"{artifacts_dir}/walk-4-notice-closed.png", full_page=True)

    # 5. The bank makes and issues the card.
    while dossier.state != issued:
        step = dossier.state.outgoing.exclude(code__in=["withdraw", "reject", "return"]).order_by("order").first()
        page = _admin_page(browser, live_server, demo_user_for(dossier, dossier.state.actor), dossier)
        assert _offered(page, step.code), step.code
        _fire(page, step.code)
        dossier.refresh_from_db()
    assert Card.objects.filter(dossier=dossier, status="active").exists()

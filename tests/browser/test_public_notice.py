"""The public notice page (公示) on a 390×844 phone: candidates listed with masked names, the notice period and how to
object; an objection filled in, checked on the confirmation step and sent; it reaches the case file (source public),
and nothing the objector typed appears on the public list."""

import os
import random

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_cards import prepare_schemes
from casefiles.demo_dossiers import make_dossier
from casefiles.masking import mask_name
from casefiles.models import Dossier, NoticeObjection
from casefiles.services import notices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OBJECTOR, PHONE, CONTENT = "周异议", "13800001111", "该人选所报获奖证书与公开信息不符，请核实。"


@pytest.fixture
def on_notice():
    """Two candidates of the first scheme with a notice state, on an open notice (the steps before it are tested
    elsewhere: the candidates are put at the notice stage directly)."""
    slug = "chuxiong"  # the one scheme whose data has a notice state today; checked below, not assumed
    (scheme,) = prepare_schemes([slug])
    states = notices.notice_states(scheme)
    assert states, "the scheme's data has no notice state"
    department = notices.notice_department(states[0])
    office = get_user_model().objects.filter(groups=department.group).order_by("pk").first()
    applicant = get_user_model().objects.create_user("notice-applicant")
    made = [make_dossier(scheme, applicant, random.Random(300 + i), with_attachment=False) for i in range(2)]
    Dossier.objects.filter(pk__in=[d.pk for d in made]).update(state=states[0])
    dossiers = list(Dossier.objects.filter(pk__in=[d.pk for d in made]).order_by("pk"))
    notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=dossiers,
                                        how_to_object="对公示对象如有异议，请于公示期内书面反映。")
    return {"notice": notice, "dossiers": dossiers}


def test_public_notice_on_a_phone_takes_an_objection(live_server, mobile, artifacts_dir, on_notice, axe_violations):
    notice, dossiers = on_notice["notice"], on_notice["dossiers"]
    mobile.goto(live_server.url + "/public-notices/")
    html = mobile.content()
    for dossier in dossiers:
        assert mask_name(dossier.applicant_name) in html and dossier.applicant_name not in html
        assert dossier.id_number not in html and dossier.phone not in html
    assert mobile.locator('[data-testid="pn-row"]').count() == 2
    period = mobile.locator('[data-testid="pn-period"]').first.inner_text()
    assert notice.closes_on.strftime("%Y-%m-%d") in period and str(notice.working_days) in period
    assert "书面反映" in mobile.locator('[data-testid="pn-how"]').first.inner_text()
    # Nothing wider than the phone.
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(mobile) == []
    mobile.screenshot(path=os.path.join(artifacts_dir, "public-notice-phone.png"), full_page=True)

    target = dossiers[0]
    with mobile.expect_navigation():
        mobile.locator(f'a[href="/public-notices/{notice.pk}/candidates/{target.pk}/objection/"]').click()
    assert mask_name(target.applicant_name) in mobile.locator('[data-testid="pn-candidate"]').inner_text()
    mobile.fill("#id_objector", OBJECTOR)
    mobile.fill("#id_phone", PHONE)
    mobile.fill("#id_content", CONTENT)
    with mobile.expect_navigation():
        mobile.locator('button[name="check"]').click()
    confirm = mobile.locator('[data-testid="pn-confirm"]')
    assert CONTENT in confirm.inner_text() and not NoticeObjection.objects.exists()
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    mobile.screenshot(path=os.path.join(artifacts_dir, "public-notice-objection-confirm-phone.png"), full_page=True)
    with mobile.expect_navigation():
        mobile.locator('button[name="send"]').click()
    assert mobile.url == live_server.url + "/public-notices/objection-sent/"
    assert mobile.locator('[data-testid="pn-sent"]').is_visible()
    assert PHONE not in mobile.url and OBJECTOR not in mobile.url

    objection = NoticeObjection.objects.get()
    assert (objection.source, objection.recorded_by_id, objection.dossier_id) == ("public", None, target.pk)
    assert (objection.objector, objection.phone, objection.content) == (OBJECTOR, PHONE, CONTENT)
    mobile.goto(live_server.url + "/public-notices/")
    after = mobile.content()
    assert OBJECTOR not in after and PHONE not in after and CONTENT not in after

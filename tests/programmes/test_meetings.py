"""Joint meetings (通化 第十七–十八条): members with liaisons, a meeting deciding a case-by-case dossier, minutes
as a PDF with Chinese text that links the dossier, served only to the programme office."""

import datetime
import io
import subprocess
import tempfile

import pytest
from pypdf import PdfReader

from casefiles.models import Opinion
from programmes.models import AgendaKind, DecisionOutcome
from programmes.services import (
    NotAllowed,
    agenda_item_add,
    agenda_item_decide,
    joint_meeting_ensure,
    meeting_minutes_record,
    meeting_schedule,
    member_save,
)

from .conftest import PASSWORD, dossier_in, user


def _pdf_text(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        out = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def _links(content):
    uris = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action and action.get("/URI"):
                uris.append(str(action["/URI"]))
    return uris


def test_meeting_decides_a_case_by_case_dossier_and_minutes_pdf_links_it(schemes, client, settings):
    tonghua = schemes["tonghua"]
    departments = {d.code: d for d in tonghua.departments.all()}
    office = user("tonghua.leading-group")  # leading group members run the meeting and decide 一事一议
    body = joint_meeting_ensure(scheme=tonghua, name="通化市“英才卡”联席会议", article="第十七条",
                                lead_department=departments["org-dept"], convener="市人社局主要负责同志")
    org = member_save(joint_meeting=body, department=departments["org-dept"], liaison_name="王建国",
                      liaison_office_phone="0435-3201234", user=office)
    member_save(joint_meeting=body, department=departments["hr-bureau"], liaison_name="李红梅", user=office)
    with pytest.raises(Exception):
        member_save(joint_meeting=body, department=departments["finance-bureau"], liaison_name=" ", user=office)

    dossier = dossier_in("tonghua", "case_by_case")
    meeting = meeting_schedule(joint_meeting=body, title="2026年第一次联席会议", date=dossier.created_at.date(), user=office)
    item = agenda_item_add(meeting=meeting, user=office, kind=AgendaKind.CASE_BY_CASE, dossier=dossier)
    agenda_item_decide(item=item, user=office, outcome=DecisionOutcome.APPROVED, decision_text="同意按A卡发放。",
                       transition="decide_case_by_case_approve")
    dossier.refresh_from_db()
    assert dossier.state.code == "card_production"
    opinion = Opinion.objects.filter(dossier=dossier).latest("pk")
    assert opinion.transition == "decide_case_by_case_approve" and "2026年第一次联席会议" in opinion.minutes

    meeting = meeting_minutes_record(meeting=meeting, user=office, attendees=[org],
                                     minutes="会议研究了一事一议申请。\n会议同意按A卡发放。")
    assert meeting.minutes_pdf
    with meeting.minutes_pdf.open("rb") as handle:
        content = handle.read()
    text = _pdf_text(content)
    assert "2026年第一次联席会议纪要" in text
    assert dossier.reference in text and "同意按A卡发放" in text and "王建国" in text
    assert f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/dossiers/{dossier.pk}/" in _links(content)

    url = f"/admin/programmes/meetings/{meeting.pk}/minutes.pdf"
    client.login(username="tonghua.org-dept", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert dossier.reference in client.get(f"/admin/programmes/meetings/{meeting.pk}/").content.decode()
    for outsider in ("tonghua.applicant", "liaocheng.talent-office"):
        client.login(username=outsider, password=PASSWORD)
        assert client.get(url).status_code in (302, 404)


def test_outsiders_cannot_run_another_schemes_meeting(schemes):
    tonghua = schemes["tonghua"]
    body = joint_meeting_ensure(scheme=tonghua, name="通化市“英才卡”联席会议")
    with pytest.raises(NotAllowed):
        meeting_schedule(joint_meeting=body, title="会议", date=datetime.date.today(), user=user("liaocheng.talent-office"))


def test_meetings_admin_pages(schemes, client):
    tonghua = schemes["tonghua"]
    body = joint_meeting_ensure(scheme=tonghua, name="通化市“英才卡”联席会议")
    member_save(joint_meeting=body, department=tonghua.departments.get(code="hr-bureau"), liaison_name="李红梅",
                liaison_office_phone="0435-3209876")
    client.login(username="tonghua.org-dept", password=PASSWORD)
    html = client.get("/admin/programmes/meetings/").content.decode()
    assert "李红梅" in html and "0435-3209876" in html
    response = client.post("/admin/programmes/meetings/", {"joint_meeting": body.pk, "title": "第二次联席会议",
                                                            "date": "2026-12-01", "location": "第一会议室"})
    assert response.status_code == 302
    detail = response["Location"]
    assert client.post(detail, {"action": "add_item", "kind": "other", "title": "通报落实情况"}).status_code == 302
    assert client.post(detail, {"action": "minutes", "minutes": "会议通报了服务落实情况。",
                                "attendees": list(body.members.values_list("pk", flat=True))}).status_code == 302
    page = client.get(detail).content.decode()
    assert "通报落实情况" in page and "minutes.pdf" in page


def test_the_meeting_page_lists_and_takes_only_dossiers_the_user_may_see(schemes, client):
    from casefiles.models import DossierGroupObjectPermission, DossierUserObjectPermission

    tonghua = schemes["tonghua"]
    office = user("tonghua.leading-group")
    body = joint_meeting_ensure(scheme=tonghua, name="通化市“英才卡”联席会议")
    meeting = meeting_schedule(joint_meeting=body, title="第三次联席会议", date=datetime.date.today(), user=office)
    seen, hidden = dossier_in("tonghua", "case_by_case"), dossier_in("tonghua", "case_by_case")
    DossierGroupObjectPermission.objects.filter(content_object=hidden).delete()
    DossierUserObjectPermission.objects.filter(content_object=hidden).delete()

    client.login(username="tonghua.leading-group", password=PASSWORD)
    page = client.get(f"/admin/programmes/meetings/{meeting.pk}/").content.decode()
    assert seen.reference in page and hidden.reference not in page
    response = client.post(f"/admin/programmes/meetings/{meeting.pk}/",
                           {"action": "add_item", "kind": AgendaKind.CASE_BY_CASE, "dossier": hidden.pk})
    assert not meeting.items.filter(dossier=hidden).exists() and response.status_code in (302, 400)
    with pytest.raises(NotAllowed):
        agenda_item_add(meeting=meeting, user=office, kind=AgendaKind.CASE_BY_CASE, dossier=hidden)
    assert agenda_item_add(meeting=meeting, user=office, kind=AgendaKind.CASE_BY_CASE, dossier=seen).dossier == seen

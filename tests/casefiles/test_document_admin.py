"""Documents in the Wagtail admin (issue #24): staff who act on a dossier add a document, upload a new version and
withdraw one after a confirmation, through the forms of casefiles/adminviews/documents.py (the actions decide).

Real components: the upload checks and private storage of the actions, the scheme data for who acts, the admin's
own pages rendered in Chinese.
"""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casefiles.demo_dossiers import drive_to
from casefiles.models import Attachment, Document, DocumentSide, JournalEntry, StateKind
from casefiles.selectors import dossiers_visible_to
from casefiles.testing import demo_user_for
from tests.casefiles.factories import decided_dossier, new_dossier, other_scheme_officer, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

DECIDED = "该申请已办结"


def png(text="会议纪要"):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(image).text((10, 30), text.encode("ascii", "replace").decode(), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name="评审会议纪要.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else png(), content_type=content_type)


def first_stage(dossier):
    stage = dossier.scheme.states.filter(kind=StateKind.STAGE).order_by("order").first()
    return drive_to(dossier, stage.code)


def acting_officer():
    """A dossier handed to its first review stage and the officer of the department acting on it there, one who works
    in the admin (not an employer's contact), from the first scheme where there is one."""
    schemes = setup_schemes()
    for seed, slug in enumerate(sorted(schemes), start=301):
        dossier = first_stage(new_dossier(slug, seed=seed))
        officer = demo_user_for(dossier, dossier.state.actor)
        if officer is not None and officer.has_perm("wagtailadmin.access_admin"):
            return dossier, officer
    raise AssertionError("no scheme whose first stage is acted on by a department in the admin")




def urls(dossier, document=None):
    result = {"detail": reverse("casefiles_dossiers:detail", args=[dossier.pk]),
              "add": reverse("casefiles_documents:add", args=[dossier.pk])}
    if document is not None:
        result["version"] = reverse("casefiles_documents:version", args=[dossier.pk, document.pk])
        result["withdraw"] = reverse("casefiles_documents:withdraw", args=[dossier.pk, document.pk])
    return result


def page_text(response):
    return response.content.decode()


def no_raw_values(body, section=None):
    """The page's own content (or one section of it) shows no Python values (None, True, False) where a name, a
    sentence or a date belongs."""
    main = body.split("<main", 1)[-1].split("</main>", 1)[0]
    if section:
        main = main.split(f'aria-labelledby="{section}"', 1)[1].split("</section>", 1)[0]
    text = re.sub(r"<[^>]*>", " ", re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", main))
    return re.search(r"\b(None|True|False)\b", text) is None


def test_an_acting_officer_adds_a_document_a_version_and_withdraws_it_after_confirming(client):
    dossier, officer = acting_officer()
    client.force_login(officer)
    url = urls(dossier)
    detail = page_text(client.get(url["detail"]))
    assert url["add"] in detail and "添加文件" in detail

    form = client.get(url["add"])
    assert form.status_code == 200
    body = page_text(form)
    for code, name in [(m.code, m.name) for m in dossier.scheme.materials.all()][:3]:
        assert f'value="{code}"' in body and name in body  # the scheme's material kinds, by name
    assert "其他材料" in body and 'type="date"' in body and 'enctype="multipart/form-data"' in body
    assert no_raw_values(body)

    response = client.post(url["add"], {"file": upload(), "kind": "other", "title": "专家评审会议纪要",
                                        "issuing_body": "专家评审委员会", "issue_date": "2026-11-30",
                                        "note": "会后扫描"})
    assert response.status_code == 302, page_text(response)
    document = Document.objects.get(dossier=dossier, title="专家评审会议纪要")
    assert document.side == DocumentSide.DEPARTMENT and document.added_by == officer
    assert document.issuing_body == "专家评审委员会" and str(document.issue_date) == "2026-11-30"
    assert document.versions.get().note == "会后扫描"
    detail = page_text(client.get(url["detail"]))
    assert "“专家评审会议纪要”已添加" in detail and no_raw_values(detail, "cf-attachments")
    url = urls(dossier, document)
    assert url["version"] in detail and url["withdraw"] in detail
    name = officer.last_name + officer.first_name if not (officer.last_name + officer.first_name).isascii() else None
    if name:
        assert name in detail
    assert f"{officer.get_username()} · " not in detail  # names, never logins

    # a new version needs its reason; with it, version 2 and version 1 stays
    refused = client.post(url["version"], {"file": upload("纪要（修订）.png")})
    assert refused.status_code == 400 and "请说明上传新版本的原因" in page_text(refused)
    assert document.versions.count() == 1
    response = client.post(url["version"], {"file": upload("纪要（修订）.png"), "note": "补充签名页"})
    assert response.status_code == 302
    assert [(v.version, v.note) for v in document.versions.order_by("version")] == [(1, "会后扫描"), (2, "补充签名页")]
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.document.version").exists()

    # the withdrawal: a confirmation page, and nothing happens without the tick and the reason
    confirm = client.get(url["withdraw"])
    assert confirm.status_code == 200
    body = page_text(confirm)
    assert "专家评审会议纪要" in body and "不能撤销" in body and 'name="confirm"' in body
    for data in ({"reason": "误传"}, {"confirm": "on", "reason": " "}):
        refused = client.post(url["withdraw"], data)
        assert refused.status_code == 400
        document.refresh_from_db()
        assert document.withdrawn_at is None
    assert "请确认撤回" in page_text(client.post(url["withdraw"], {"reason": "误传"}))
    assert "请填写撤回该文件的理由" in page_text(client.post(url["withdraw"], {"confirm": "on"}))
    response = client.post(url["withdraw"], {"confirm": "on", "reason": "误传，应为另一次会议的纪要"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.withdrawn_by == officer and document.withdrawal_reason == "误传，应为另一次会议的纪要"
    assert document.versions.count() == 2  # on record, never deleted
    detail = page_text(client.get(url["detail"]))
    assert "误传，应为另一次会议的纪要" in detail and url["withdraw"] not in detail
    # a withdrawn document takes no further version or withdrawal
    again = client.post(url["withdraw"], {"confirm": "on", "reason": "再撤一次"})
    assert again.status_code == 400 and "该文件已撤回" in page_text(again)


def test_an_officer_of_another_scheme_gets_404_and_changes_nothing(client):
    dossier, officer = acting_officer()
    client.force_login(officer)
    client.post(urls(dossier)["add"], {"file": upload(), "kind": "other", "title": "评审纪要"})
    document = Document.objects.get(dossier=dossier, title="评审纪要")
    url = urls(dossier, document)
    other, _officer = acting_officer()
    before = Attachment.objects.count(), Document.objects.filter(withdrawn_at__isnull=False).count()

    stranger = other_scheme_officer(dossier.scheme, admin=True)
    client.force_login(stranger)
    for name in ("add", "version", "withdraw"):
        assert client.get(url[name]).status_code == 404
    assert client.post(url["add"], {"file": upload(), "kind": "other"}).status_code == 404
    assert client.post(url["version"], {"file": upload(), "note": "x"}).status_code == 404
    assert client.post(url["withdraw"], {"confirm": "on", "reason": "x"}).status_code == 404

    # a document of another dossier, under this dossier's URL: 404
    client.force_login(officer)
    assert client.get(reverse("casefiles_documents:withdraw", args=[other.pk, document.pk])).status_code == 404

    assert (Attachment.objects.count(), Document.objects.filter(withdrawn_at__isnull=False).count()) == before


def test_a_withdrawal_after_the_decision_is_refused_in_chinese(client):
    setup_schemes()
    dossier, document = decided_dossier(seed=311)
    staff = [u for u in get_user_model().objects.filter(groups__isnull=False).distinct().order_by("pk")
             if u.has_perm("wagtailadmin.access_admin") and dossiers_visible_to(u).filter(pk=dossier.pk).exists()]
    assert staff, "no officer sees the decided dossier"
    client.force_login(staff[0])
    url = urls(dossier, document)
    assert url["withdraw"] not in page_text(client.get(url["detail"]))
    assert urls(dossier)["add"] not in page_text(client.get(url["detail"]))
    # the pages say so at once, without a form that cannot succeed
    for name, field in (("withdraw", 'name="confirm"'), ("version", 'name="file"')):
        page = client.get(url[name])
        assert page.status_code == 400 and DECIDED in page_text(page) and field not in page_text(page)
    page = client.get(urls(dossier)["add"])
    assert page.status_code == 400 and DECIDED in page_text(page) and 'name="file"' not in page_text(page)
    response = client.post(url["withdraw"], {"confirm": "on", "reason": "撤回"})
    assert response.status_code == 400
    assert f"{DECIDED}（“{dossier.state.name}”），其文件不能再更改。" in page_text(response)
    document.refresh_from_db()
    assert document.withdrawn_at is None
    response = client.post(urls(dossier)["add"], {"file": upload(), "kind": "other"})
    assert response.status_code == 400 and DECIDED in page_text(response)


def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(client, settings, tmp_path):
    settings.HUICAI_PRIVATE_ROOT = tmp_path
    dossier, officer = acting_officer()
    client.force_login(officer)
    url = urls(dossier)
    before = Attachment.objects.count(), Document.objects.count()
    stored = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    cases = [
        ({"file": upload("纪要.pdf", b"not a pdf at all", "application/pdf"), "kind": "other"},
         "仅接受 PDF、JPEG、PNG 和 OFD 格式的文件。"),
        ({"file": upload("空.png", b"", "image/png"), "kind": "other"}, "提交的是空文件"),
        ({"kind": "other", "title": "无文件"}, "请选择要上传的文件"),
        ({"file": upload(), "kind": "other", "issue_date": "2999-01-01"}, "成文日期晚于今天"),
        ({"file": upload(), "kind": "other", "issue_date": "去年"}, "成文日期不是有效日期"),
        ({"file": upload(), "kind": "no-such-kind"}, "选择一个有效的选项"),
        ({"file": upload(), "kind": "other", "title": "题" * 201}, "200"),
    ]
    for data, message in cases:
        response = client.post(url["add"], data)
        assert response.status_code == 400, (data, response.status_code)
        body = page_text(response)
        assert message in body, (message, data)
        assert no_raw_values(body)
    assert (Attachment.objects.count(), Document.objects.count()) == before
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == stored


@pytest.mark.parametrize("reason", [["材料有误"], {"text": "材料有误"}, True])
def test_a_withdrawal_reason_that_is_not_text_is_a_400_through_the_api(client, reason):
    """The API fuzz test sent ``{"reason": [...]}`` to api/v1/documents/<pk>/withdraw/ and got a 500 (the action
    stripped a list). Now the reason is read as text first: a 400 naming the field, and nothing withdrawn."""
    dossier = new_dossier(sorted(setup_schemes())[0], seed=331)
    document = dossier.documents.order_by("pk").first()
    client.force_login(dossier.applicant)
    response = client.post(f"/api/v1/documents/{document.pk}/withdraw/", {"reason": reason},
                           content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["fields"]["reason"] == ["不是有效的字符串。"]
    document.refresh_from_db()
    assert document.withdrawn_at is None

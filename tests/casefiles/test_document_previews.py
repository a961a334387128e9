"""Previews and the reader of document versions (issue #24 item 2).

Real components: the upload checks (AddDocument / AddDocumentVersion), private storage, pdftoppm and pdfinfo
(poppler-utils), Pillow, WeasyPrint for the PDF. The previews go through the download's own permission check
(``attachment_for``): whoever may not see the dossier gets 404 for the preview, the reader and the API preview.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from casefiles.actions.documents import AddDocument, AddDocumentVersion
from casefiles.models import JournalEntry
from casefiles.services import previews
from casefiles.testing import demo_user_for
from tests.casefiles.factories import new_dossier, other_scheme_officer, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]


def two_page_pdf(first, second):
    from weasyprint import HTML

    html = (f'<html lang="zh"><body style="font-family: \'Noto Sans CJK SC\'"><h1>{first}</h1>'
            f'<p style="break-before: page">{second}</p></body></html>')
    return HTML(string=html).write_pdf()


def photo(width=1600, height=900, orientation=None):
    """A red/blue JPEG, left half red; with EXIF ``orientation`` 6 (rotate 90° clockwise to show upright)."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, format="JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "image/png"
    body = response.content
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(body))




@pytest.fixture
def dossier_with_documents(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {**settings.STORAGES["private"],
                                                          "OPTIONS": {"location": tmp_path, "base_url": None}}}
    schemes = setup_schemes()
    slug = sorted(schemes)[0]
    dossier = new_dossier(slug, seed=2401)
    applicant = dossier.applicant
    pdf1 = two_page_pdf("聘用合同（第一版）", "第二页：聘期五年")
    first = AddDocument(dossier, applicant, SimpleUploadedFile("合同.pdf", pdf1, "application/pdf"),
                        title="聘用合同").execute()
    pdf2 = two_page_pdf("聘用合同（补正版）", "第二页：聘期六年")
    second = AddDocumentVersion(first.document, applicant,
                                SimpleUploadedFile("合同（补正）.pdf", pdf2, "application/pdf"), note="补正聘期").execute()
    image = AddDocument(dossier, applicant, SimpleUploadedFile("证书.jpg", photo(orientation=6), "image/jpeg"),
                        title="获奖证书").execute()
    # passes the upload's type check (PNG signature) but is no image: the preview cannot be drawn
    broken = AddDocument(dossier, applicant, SimpleUploadedFile("坏.png", b"\x89PNG\r\n\x1a\n" + b"\x00broken" * 50,
                                                                "image/png"), title="损坏的文件").execute()
    return dossier, first, second, image, broken


def test_first_page_of_a_weasyprint_pdf_and_of_a_photo(dossier_with_documents, client):
    dossier, first, second, image, _broken = dossier_with_documents
    client.force_login(dossier.applicant)
    thumb = png_of(client.get(reverse("attachment_preview", args=[second.pk])))
    assert max(thumb.size) == previews.SIZES["thumb"] and thumb.height > thumb.width  # an A4 page, upright
    assert thumb.mode == "RGB"
    # the page is drawn: dark text on white, not an empty canvas
    assert thumb.convert("L").getextrema()[0] < 100 and thumb.convert("L").getpixel((2, 2)) > 240
    page2 = png_of(client.get(reverse("attachment_preview", args=[second.pk]), {"page": 2, "size": "page"}))
    assert max(page2.size) == previews.SIZES["page"]
    assert previews.page_count(second) == 2
    # the photo: EXIF orientation 6 turned upright (taller than wide, red on top), shrunk, RGB PNG
    shown = png_of(client.get(reverse("attachment_preview", args=[image.pk])))
    assert shown.size[1] == previews.SIZES["thumb"] and shown.size[0] < shown.size[1]
    top, bottom = shown.getpixel((shown.width // 2, 5)), shown.getpixel((shown.width // 2, shown.height - 5))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    # cached in private storage under the content's digest: the second request reads it back
    storage = second.file.storage
    cached = f"previews/{second.sha256[:2]}/{second.sha256}/thumb-1.png"
    assert storage.exists(cached)
    assert client.get(reverse("attachment_preview", args=[second.pk])).content == storage.open(cached).read()


def test_a_broken_file_gives_the_placeholder_never_an_error(dossier_with_documents, client):
    dossier, _first, _second, _image, broken = dossier_with_documents
    client.force_login(dossier.applicant)
    response = client.get(reverse("attachment_preview", args=[broken.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert response["X-Preview"] == "unavailable"
    assert "无法预览" in response.content.decode() and "图片无法读取" in response.content.decode()
    reader = client.get(reverse("attachment_reader", args=[broken.pk]))
    assert reader.status_code == 200
    assert "图片无法读取" in reader.content.decode()
    api = APIClient()
    api.force_authenticate(dossier.applicant)
    response = api.get(reverse("api-attachment-preview", args=[broken.pk]))
    assert response.status_code == 422 and response.json()["error"]["code"] == "preview_unavailable"
    # remembered: the next request does not try again
    storage = broken.file.storage
    assert storage.exists(f"previews/{broken.sha256[:2]}/{broken.sha256}/thumb-1.failed")


def test_a_decompression_bomb_is_refused():
    big = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    big.save(out, format="PNG")
    with pytest.raises(previews.PreviewUnavailable) as refused:
        previews.image_png(out.getvalue(), 320)
    assert refused.value.reason == previews.REASON_TOO_LARGE


def test_the_reader_shows_the_pages_and_reaches_every_earlier_version(dossier_with_documents, client):
    dossier, first, second, image, _broken = dossier_with_documents
    client.force_login(dossier.applicant)
    detail = client.get(reverse("portal_application_detail", args=[dossier.pk])).content.decode()
    # the current version's thumbnail opens the reader; every version has its reader link
    assert reverse("attachment_preview", args=[second.pk]) in detail
    assert reverse("attachment_preview", args=[first.pk]) not in detail
    for version in (first, second, image):
        assert reverse("attachment_reader", args=[version.pk]) in detail
    page = client.get(reverse("attachment_reader", args=[second.pk])).content.decode()
    preview = reverse("attachment_preview", args=[second.pk])
    assert f"{preview}?page=1&amp;size=page" in page and f"{preview}?page=2&amp;size=page" in page
    assert reverse("attachment_reader", args=[first.pk]) in page  # the earlier version
    assert reverse("portal_attachment_download", args=[first.pk]) in page
    earlier = client.get(reverse("attachment_reader", args=[first.pk])).content.decode()
    assert "这是较早的版本" in earlier and reverse("attachment_reader", args=[second.pk]) in earlier
    first_page = png_of(client.get(reverse("attachment_preview", args=[first.pk]), {"page": 1, "size": "page"}))
    assert max(first_page.size) == previews.SIZES["page"]
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.attachment.read", actor=dossier.applicant,
                                       object_id=str(first.pk)).exists()
    # page images journaled once per user, version and day
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.attachment.preview",
                                       object_id=str(first.pk)).count() == 1


def test_another_schemes_officer_and_another_applicant_get_404(dossier_with_documents, client):
    dossier, first, second, image, _broken = dossier_with_documents
    stranger = other_scheme_officer(dossier.scheme)
    other_applicant = new_dossier(dossier.scheme.slug, seed=2402).applicant
    if other_applicant.pk == dossier.applicant_id:
        from django.contrib.auth import get_user_model

        other_applicant = get_user_model().objects.create_user("preview.other", email="other@example.org")
    for person in (stranger, other_applicant):
        client.force_login(person)
        for version in (first, second, image):
            assert client.get(reverse("attachment_preview", args=[version.pk])).status_code == 404
            assert client.get(reverse("attachment_reader", args=[version.pk])).status_code == 404
            assert client.get(reverse("portal_attachment_download", args=[version.pk])).status_code == 404
            api = APIClient()
            api.force_authenticate(person)
            assert api.get(reverse("api-attachment-preview", args=[version.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("attachment_preview", args=[second.pk]))
    assert response.status_code == 302  # to the login page
    # nothing was drawn for them, nothing journaled in their name
    assert not JournalEntry.objects.filter(actor__in=[stranger, other_applicant],
                                           action__startswith="casefiles.attachment.").exists()


def test_the_officer_sees_the_thumbnail_in_the_admin_and_the_api_preview(dossier_with_documents, client):
    from casefiles.demo_dossiers import drive_to
    from casefiles.models import StateKind

    dossier, first, second, image, _broken = dossier_with_documents
    stage = dossier.scheme.states.filter(kind=StateKind.STAGE).order_by("order").first()
    dossier = drive_to(dossier, stage.code)
    officer = demo_user_for(dossier, dossier.state.actor)
    client.force_login(officer)
    page = client.get(reverse("casefiles_dossiers:detail", args=[dossier.pk])).content.decode()
    assert reverse("attachment_preview", args=[second.pk]) in page
    assert reverse("attachment_reader", args=[first.pk]) in page
    reader = client.get(reverse("attachment_reader", args=[second.pk])).content.decode()
    assert reverse("casefiles_dossiers:detail", args=[dossier.pk]) in reader  # back to the admin
    api = APIClient()
    api.force_authenticate(officer)
    shown = png_of(api.get(reverse("api-attachment-preview", args=[image.pk]), {"size": "page"}))
    assert max(shown.size) == previews.SIZES["page"]
    assert api.get(reverse("api-attachment-preview", args=[image.pk]), {"page": "x"}).status_code == 400
    # the API's document list names each version's preview
    listing = api.get(reverse("api-dossier-documents", args=[dossier.pk])).json()["results"]
    contract = next(d for d in listing if d["id"] == second.document_id)
    assert [v["preview"] for v in contract["versions"]] == [
        reverse("api-attachment-preview", args=[v.pk]) for v in (first, second)]
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.attachment.preview", actor=officer).exists()

"""The document reader on a phone (issue #24 item 2): from the dossier page's thumbnail to the reader, the pages
drawn as images, the earlier version one tap away; nothing wider than the screen, no serious axe violations, and
the thumbnail still readable with the text zoomed to 200%."""

import os
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def two_page_pdf(title):
    from weasyprint import HTML

    html = (f'<html lang="zh"><body style="font-family: \'Noto Sans CJK SC\'"><h1>{title}</h1><p>第一页</p>'
            '<p style="break-before: page">第二页</p></body></html>')
    return HTML(string=html).write_pdf()


def wait_until(page, script):
    """Poll ``script`` in the page (the site's CSP forbids the eval behind Playwright's wait_for_function)."""
    for _ in range(300):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def loaded_images(page, selector):
    return page.evaluate(f"""Array.from(document.querySelectorAll({selector!r}))
        .map(img => img.complete && img.naturalWidth > 0)""")


def test_the_reader_on_a_phone(live_server, mobile, login_as, axe_violations, artifacts_dir):
    from django.contrib.auth import get_user_model

    from casefiles.actions.documents import AddDocument, AddDocumentVersion
    from casefiles.demo import load_schemes_and_users
    from casefiles.demo_dossiers import make_dossier
    from casefiles.models import Scheme

    load_schemes_and_users(password="browser-pass-123")
    scheme = Scheme.objects.get(slug="jilin")
    applicant = get_user_model().objects.get(username="jilin.applicant")
    dossier = make_dossier(scheme, applicant, random.Random(24))
    first = AddDocument(dossier, applicant, SimpleUploadedFile("合同.pdf", two_page_pdf("聘用合同"), "application/pdf"),
                        title="聘用合同").execute()
    second = AddDocumentVersion(first.document, applicant,
                                SimpleUploadedFile("合同2.pdf", two_page_pdf("聘用合同（补正）"), "application/pdf"),
                                note="补正").execute()
    page = login_as(mobile, applicant)
    page.goto(f"{live_server.url}/applications/{dossier.pk}/#documents")
    thumb = page.locator(f'a.doc-thumb[href="/attachments/{second.pk}/reader/"]')
    assert thumb.count() == 1
    thumb.scroll_into_view_if_needed()
    for image in page.locator("a.doc-thumb img").all():  # lazy images load once on screen
        image.scroll_into_view_if_needed()
    wait_until(page, "Array.from(document.querySelectorAll('a.doc-thumb img')).every(i => i.complete)")
    states = page.evaluate(
        "Array.from(document.querySelectorAll('a.doc-thumb img')).map(i => [i.src, i.complete, i.naturalWidth])")
    assert all(loaded_images(page, "a.doc-thumb img")), states
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=os.path.join(artifacts_dir, "document-thumbnails-phone.png"), full_page=True)

    thumb.click()  # a plain link: a tap, no hover
    page.wait_for_url(f"**/attachments/{second.pk}/reader/")
    assert page.locator(".reader-page img").count() == 2
    for image in page.locator(".reader-page img").all():
        image.scroll_into_view_if_needed()
    wait_until(page, "Array.from(document.querySelectorAll('.reader-page img')).every(i => i.complete)")
    assert loaded_images(page, ".reader-page img") == [True, True]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    # large text: the base font at 200% still fits the screen and the links stay tappable (44 px)
    page.add_style_tag(content="html{font-size:200%}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    heights = page.evaluate("Array.from(document.querySelectorAll('.reader-version-links a')).map(a => a.offsetHeight)")
    assert heights and min(heights) >= 44
    page.screenshot(path=os.path.join(artifacts_dir, "document-reader-phone.png"), full_page=True)

    page.click(f'a[href="/attachments/{first.pk}/reader/"]')  # the earlier version
    page.wait_for_url(f"**/attachments/{first.pk}/reader/")
    assert "这是较早的版本" in page.inner_text("main")

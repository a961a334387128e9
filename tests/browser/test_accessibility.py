"""Older and phone users (issue #19 item 5): every public page type passes axe-core (no serious or critical
violation) in the normal look and in 长辈模式 (large text, high contrast; huicai/care_mode.py); the mode makes the
text larger and is remembered on the next page; the officer's landing, a dossier and a card page in the admin pass
axe too.

The page types are not a hand-picked list: the Wagtail page models and the named public routes of the URLconf are
read here, and a model or route this test neither visits nor names as "not a page" (a PDF, a download, a POST
endpoint) fails it, so a new page type is checked from the day it is added.

One test on purpose: the demo data is loaded once (a live server needs committed rows, which a transactional test
flushes at its end), and every page is visited in it; the failures of all pages are reported together."""

import datetime
import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Parts of the URLconf that are not public pages: the admins (checked separately below), the API, Wagtail's own
# document and password-form routes, the language view, the sitemap.
NOT_PUBLIC_PREFIXES = ("admin/", "django-admin/", "api/", "documents/", "i18n/", "sitemap.xml", "_util/")

# Named public routes that answer something other than an HTML page of their own, with why.
NOT_PAGES = {
    "logout": "POST only (signs out)",
    "card-ecard-sw": "the e-card's service worker (JavaScript)",
    "card-certificate": "a PDF",
    "card-batch-certificates": "an officer's batch of certificate PDFs (a waiting page only while they render)",
    "card-batch-export": "an Excel file",
    "card-notice-pdf": "a PDF",
    "portal_application_transition": "POST only (the confirm page is visited)",
    "portal_attachment_upload": "POST only (the form is on the application page)",
    "portal_material_waive": "POST only (the form is on the application page)",
    "portal_attachment_download": "a file download",
    "attachment_preview": "a page image (PNG)",
    "programmes-inbox-read": "POST only (marks messages read)",
    "programmes-inbox-open": "a redirect to the message's target",
    "public-notice-objection-sent": "the page after an objection is sent (the objection form is visited)",
    "wagtail_serve": "the Wagtail pages, visited one per page model",
    "twofactor_verify": "asks for the code of an account with an authenticator; the demo's officers have none, so it "
    "redirects to twofactor_enrol (visited), a page of the same form",
    "twofactor_recovery_codes": "POST only (new recovery codes, from a verified session)",
    "delivery-report-export": "the delivery report's Excel file for the programme office",
    "delivery-supply": "POST only (the holder's answer to a request for material, on the card's services page)",
    "oidc_authentication_init": "a redirect to the identity provider (404 where none is configured, as here)",
    "oidc_authentication_callback": "the identity provider's redirect back: signs in, then redirects",
}


def public_route_names():
    """Every named route of the URLconf outside NOT_PUBLIC_PREFIXES, as ``namespace:name``."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(NOT_PUBLIC_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def _demo_extras():
    """What the demo may not make: a notice, an exit announcement, a 公示 list, an open request to an expert."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from casefiles.models import Card, Dossier, OpinionRequest, OpinionRequestStatus, PublicNotice
    from policypages.announcements import ExitAnnouncementPage
    from policypages.models import NoticeIndexPage, NoticePage

    users = get_user_model().objects
    today = datetime.date.today()
    index = NoticeIndexPage.objects.live().exclude(depth__lte=3).first() or NoticeIndexPage.objects.live().first()
    scheme_index = NoticeIndexPage.objects.live().order_by("-depth").first()
    if not NoticePage.objects.live().exists():
        notice = NoticePage(
            title="关于调整服务事项的公告", slug="a11y-notice", date=today, body="<p>现将调整事项公告如下。</p>"
        )
        index.add_child(instance=notice)
        notice.save_revision().publish()
    card = Card.objects.select_related("scheme").order_by("pk").first()
    if not ExitAnnouncementPage.objects.live().exists():
        year = today.year
        page = ExitAnnouncementPage(
            title=f"{year}年度退出情况公告",
            slug=f"{year}-exits",
            scheme=card.scheme,
            year=year,
            issuing_body="人才工作领导小组办公室",
            document_number=f"人才办〔{year}〕2号",
            issued_on=today,
            intro="根据有关规定，现将本年度退出情况予以公告。",
        )
        scheme_index.add_child(instance=page)
        page.save_revision().publish()
    if not PublicNotice.objects.exists():
        office = users.filter(is_superuser=True).first()
        PublicNotice.objects.create(
            scheme=card.scheme,
            number=f"公示〔{today.year}〕1号",
            title="拟发放人选公示",
            opens_on=today,
            working_days=5,
            closes_on=today + datetime.timedelta(days=7),
            how_to_object="书面反映。",
            created_by=office,
        )
    answered = OpinionRequest.objects.filter(expert__isnull=False).order_by("pk").first()
    if not OpinionRequest.objects.filter(expert=answered.expert, status=OpinionRequestStatus.OPEN).exists():
        # the demo's experts have answered: ask one again, in a stage a dossier of the scheme is in now
        scheme = answered.dossier.scheme
        dossier = Dossier.objects.filter(scheme=scheme, state=answered.state).first() or answered.dossier
        OpinionRequest.objects.create(
            dossier=dossier,
            state=dossier.state,
            expert=answered.expert,
            topic=answered.topic,
            article=answered.article,
            requested_at=timezone.now(),
            requested_by=answered.requested_by,
            due_date=today + datetime.timedelta(days=7),
        )
    return {"card": card, "service_request": _completed_service_request(card)}


def _completed_service_request(card):
    """A completed, unrated service request of the card, for the 好差评 page (the demo may make none)."""
    from django.utils import timezone

    from delivery.models import ServiceRequest, ServiceRequestState

    item = card.scheme.services.filter(responsible_units__isnull=False).order_by("pk").first()
    now = timezone.now()
    return ServiceRequest.objects.create(
        scheme=card.scheme, card=card, service=item, unit=item.responsible_units.order_by("pk").first(),
        requested_by=card.holder, state=ServiceRequestState.COMPLETED, requested_at=now, accepted_at=now,
        completed_at=now, working_days_taken=0,
    )


FONT_SIZE = "parseFloat(getComputedStyle(document.querySelector('main') || document.body).fontSize)"


def _path(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _public_visits(data):
    """``[(key, username or None, path)]``: one page of every Wagtail page model and every public route."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from wagtail.models import Page, get_page_models

    from casefiles.models import Attachment, Dossier, OpinionRequest, OpinionRequestStatus, PublicNotice
    from casefiles.pdf import verification_url
    from programmes.models import Feedback

    visits, missing = [], []
    for model in get_page_models():
        if model is Page:
            continue
        page = model.objects.live().order_by("path").first()
        if page is None:
            missing.append(f"{model._meta.label}: no live page in the demo to check")
            continue
        visits.append((model._meta.label, None, page.url))
        if model._meta.label == "policypages.PolicyPage":
            visits.append(("policypages.PolicyPage:history", None, page.url + "history/"))

    card, users = data["card"], get_user_model().objects
    draft = Dossier.objects.filter(applicant__isnull=False, state__code="draft").order_by("pk").first()
    applicant, slug = draft.applicant, draft.scheme.slug
    attachment = Attachment.objects.filter(dossier__applicant=applicant).order_by("pk").first()
    notice = PublicNotice.objects.filter(dossiers__isnull=False).order_by("pk").first()
    candidate = notice.dossiers.order_by("pk").first()
    feedback = Feedback.objects.order_by("pk").first()
    expert_request = OpinionRequest.objects.filter(expert__isnull=False, status=OpinionRequestStatus.OPEN).first()
    employer = users.get(username=f"{slug}.employer")
    holder = card.holder
    officer = users.filter(is_staff=True, is_superuser=False).order_by("username").first()
    visits += [
        ("login", None, reverse("login")),
        ("portal_register", None, reverse("portal_register")),
        ("phone_login", None, reverse("phone_login")),
        ("phone_register", None, reverse("phone_register")),
        ("twofactor_enrol", officer.username, reverse("twofactor_enrol")),
        ("search:results", None, reverse("search:results") + "?q=人才"),
        ("card-verify-number", None, reverse("card-verify-number")),
        ("card-verify", None, _path(verification_url(card))),
        ("card-verify-document", None, reverse("card-verify-document")),
        ("public-notice-list", None, reverse("public-notice-list")),
        ("public-notice-objection", None, reverse("public-notice-objection", args=[notice.pk, candidate.pk])),
        ("self-check-index", None, reverse("self-check-index")),
        ("scheme-self-check", None, reverse("scheme-self-check", args=[slug])),
        ("portal_scheme_materials", None, reverse("portal_scheme_materials", args=[slug])),
        ("programmes-commissioners", None, reverse("programmes-commissioners", args=["liaocheng"])),
        ("programmes-catalogue-changes", None, reverse("programmes-catalogue-changes", args=["liaocheng"])),
        ("portal_applications", applicant.username, reverse("portal_applications")),
        ("portal_application_new", applicant.username, reverse("portal_application_new")),
        ("portal_application_detail", applicant.username, reverse("portal_application_detail", args=[draft.pk])),
        ("portal_application_edit", applicant.username, reverse("portal_application_edit", args=[draft.pk])),
        ("portal_application_confirm", applicant.username, None),  # the detail page's own confirm form says where
        ("attachment_reader", applicant.username, reverse("attachment_reader", args=[attachment.pk])),
        ("programmes-inbox", applicant.username, reverse("programmes-inbox")),
        ("programmes-preferences", applicant.username, reverse("programmes-preferences")),
        ("card-list", holder.username, reverse("card-list")),
        ("card-ecard", holder.username, reverse("card-ecard", args=[card.pk])),
        ("delivery-card-services", holder.username, reverse("delivery-card-services", args=[card.pk])),
        ("delivery-rate", holder.username, reverse("delivery-rate", args=[data["service_request"].pk])),
        ("delivery-report", None, reverse("delivery-report")),
        ("programmes-feedback", feedback.submitter.username, reverse("programmes-feedback")),
        ("programmes-feedback-new", feedback.submitter.username, reverse("programmes-feedback-new")),
        (
            "programmes-feedback-detail",
            feedback.submitter.username,
            reverse("programmes-feedback-detail", args=[feedback.pk]),
        ),
        ("portal_employer_applications", employer.username, reverse("portal_employer_applications")),
        ("expert_requests", expert_request.expert.username, reverse("expert_requests")),
        ("expert_request", expert_request.expert.username, reverse("expert_request", args=[expert_request.pk])),
    ]
    return visits, missing, draft


def _officer_pages(data):
    """An officer (case staff, no superuser) who may open the demo dossier and card, and the admin pages to check."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    card = data["card"]
    dossier = card.dossier
    pages = [
        ("admin home (待办)", "/admin/"),
        ("workbench", "/admin/workbench/"),
        ("dossier", reverse("casefiles_dossiers:detail", args=[dossier.pk])),
        ("card registry", reverse("cards:index")),
        ("card page", reverse("casefiles_card_actions:card", args=[card.pk])),
    ]
    candidates = (
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False, username__startswith=f"{card.scheme.slug}.")
        .order_by("username")
    )
    for user in candidates:
        client = Client()
        client.force_login(user)
        if all(client.get(path).status_code == 200 for _label, path in pages):
            return user, pages
    raise AssertionError(f"no officer of {card.scheme.slug} may open every page of {pages}")


def _check(page, key, mode, axe_violations, problems):
    found = axe_violations(page)
    if found:
        problems.append(f"{key} ({mode}) {page.url}: {found}")


def test_every_public_page_type_and_the_officers_pages(
    live_server, demo_committed, browser, artifacts_dir, axe_violations, login_as
):
    sweep(live_server.url, browser, artifacts_dir, axe_violations, login_as)


def sweep(base, browser, artifacts_dir, axe_violations, login_as):
    """Every page of ``_public_visits`` in both modes, then the officer's pages; fails with every problem found."""
    from django.contrib.auth import get_user_model

    data = _demo_extras()
    visits, problems, draft = _public_visits(data)

    expected = {label for label, _user, _path in visits}
    routes = public_route_names() - set(NOT_PAGES)
    unknown = routes - expected
    assert not unknown, f"public routes neither visited here nor listed in NOT_PAGES: {sorted(unknown)}"

    users = get_user_model().objects
    by_user = {}
    for key, username, path in visits:
        by_user.setdefault(username, []).append((key, path))
    visited = set()
    for username, entries in by_user.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        if username:
            login_as(page, users.get(username=username))
        normal = {}
        for mode in ("normal", "care"):
            for number, (key, path) in enumerate(entries):
                if path is None:  # the confirm page: follow the draft's own confirm form
                    page.goto(base + f"/applications/{draft.pk}/")
                    with page.expect_navigation():
                        page.locator("form[action*='/confirm/']").first.locator("button").click()
                else:
                    response = page.goto(base + path)
                    if response.status != 200:
                        problems.append(f"{key} ({mode}) {path}: HTTP {response.status}")
                        continue
                if mode == "care" and number == 0:
                    toggle = page.locator("button.care-toggle")
                    if toggle.get_attribute("aria-pressed") != "false":
                        problems.append(f"{key}: the 长辈模式 switch is not a button with aria-pressed=false")
                    toggle.focus()
                    with page.expect_navigation():
                        page.keyboard.press("Enter")  # operable from the keyboard
                    assert page.url.rstrip("/").endswith(path.rstrip("/")) if path else True, page.url
                html_class = page.locator("html").get_attribute("class") or ""
                pressed = page.locator("button.care-toggle").get_attribute("aria-pressed")
                size = page.evaluate(FONT_SIZE)
                if mode == "normal":
                    normal[key] = size
                    if "care" in html_class or pressed != "false":
                        problems.append(f"{key}: in 长辈模式 before it was switched on")
                else:
                    if "care" not in html_class or pressed != "true":
                        problems.append(f"{key} ({username or 'visitor'}): 长辈模式 not remembered on this page")
                    if key in normal and size < 1.25 * normal[key] - 0.01:
                        problems.append(f"{key}: text {size}px in 长辈模式, {normal[key]}px otherwise")
                _check(page, key, mode, axe_violations, problems)
                name = key.replace(":", "-").replace(".", "-")
                page.screenshot(path=os.path.join(artifacts_dir, f"a11y-{name}-{mode}.png"), full_page=True)
                visited.add(key)
        # and off again: the switch says so and the text is back to its size
        with page.expect_navigation():
            page.locator("button.care-toggle").click()
        if page.locator("html").get_attribute("class") or page.evaluate(FONT_SIZE) != normal.get(entries[-1][0]):
            problems.append(f"{username or 'visitor'}: 长辈模式 could not be switched off")
        context.close()
    if visited != expected:
        problems.append(f"not checked: {sorted(expected - visited)}")

    officer, pages = _officer_pages(data)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login_as(page, officer)
    for label, path in pages:
        response = page.goto(base + path)
        assert response.status == 200, (label, path, response.status)
        _check(page, label, f"admin as {officer.username}", axe_violations, problems)
        name = label.split(" (")[0].replace(" ", "-")
        page.screenshot(path=os.path.join(artifacts_dir, f"a11y-admin-{name}.png"), full_page=True)
    context.close()

    assert not problems, "\n".join(problems)

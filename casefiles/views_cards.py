"""Card pages: public verification, the holder's e-card, certificate and batch downloads.

Views stay thin: they look cards up through ``selectors_cards`` and leave every change to the services.
Downloads of personal documents are journalled.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from . import pdf
from .exceptions import TransitionDenied
from .models import Card, ProductionBatch, PublicNotice, ServiceCategory
from .seals.keys import SigningUnavailable
from .selectors_cards import (
    card_for,
    card_for_number,
    card_for_token,
    card_status,
    verification_payload,
)
from .services.cards import _bank_or_department, acting_as
from .services.journal import journal_write


class VerifyPageThrottle(SimpleRateThrottle):
    """The "verify" rate (settings), per client address, for everyone: the HTML page and the API (casefiles/api/cards.py)
    use this one class, so they count together."""

    scope = "verify"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class VerifyNumberThrottle(VerifyPageThrottle):
    """Checks by number and name are guesses a scraper could repeat: their own, tighter scope ("verify_number",
    10 a minute per address unless the settings say otherwise), shared by the page and the API."""

    scope = "verify_number"
    default_rate = "10/min"

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope) or self.default_rate


def _throttled(request, throttle, context=None):
    response = render(request, "casefiles/verify.html", {**(context or {}), "throttled": True}, status=429)
    response["Retry-After"] = str(int(throttle.wait() or 60))
    return response


@never_cache
@require_GET
def verify(request, token):
    throttle = VerifyPageThrottle()
    if not throttle.allow_request(request, None):
        return _throttled(request, throttle)
    card = card_for_token(token)
    if card is None:
        return render(request, "casefiles/verify.html", {"not_found": True}, status=404)
    return render(request, "casefiles/verify.html", {"result": verification_payload(card)})


class VerifyNumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Card number"), max_length=40)
    holder = forms.CharField(
        label=gettext_lazy("Holder's name, or the last four characters of the ID number"), max_length=100,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify_number(request):
    """The public form: a card number and its holder's name (or the ID number's last four characters). Posted, so
    that neither reaches a URL or an access log."""
    if request.method == "GET":
        context = {"form": VerifyNumberForm(), "document_form": VerifyDocumentForm()}
        return render(request, "casefiles/verify.html", context)
    form = VerifyNumberForm(request.POST)
    throttle = VerifyNumberThrottle()
    if not throttle.allow_request(request, None):
        return _throttled(request, throttle, {"form": form})
    if not form.is_valid():
        return render(request, "casefiles/verify.html", {"form": form}, status=400)
    card = card_for_number(form.cleaned_data["number"], form.cleaned_data["holder"])
    if card is None:
        context = {"form": form, "not_found": True, "by_number": True}
        return render(request, "casefiles/verify.html", context, status=404)
    return render(request, "casefiles/verify.html", {"form": VerifyNumberForm(), "result": verification_payload(card)})


class VerifyDocumentForm(forms.Form):
    document = forms.FileField(label=gettext_lazy("Signed PDF: a certificate, public notice or announcement"))

    def clean_document(self):
        from django.conf import settings

        upload = self.cleaned_data["document"]
        limit = settings.HUICAI_VERIFY_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB. Upload the PDF as you received it.") % {"size": limit // 2**20},
                code="size",
            )
        head = upload.read(1024)
        upload.seek(0)
        if b"%PDF-" not in head:
            raise forms.ValidationError(_("The file is not a PDF."), code="type")
        return upload


def _document_result(verdict):
    """What the page says about an uploaded document: the verdict, who signed it and when, and — for a valid
    certificate whose card exists — the card's current status as the card check shows it (nothing more)."""
    from .seals import verification

    messages_by_outcome = {
        verification.VALID: _("The signature is valid: the document is unchanged since it was signed."),
        verification.TAMPERED: _("The signature is not valid: the document was changed after it was signed, or the "
                                 "signature is damaged."),
        verification.UNTRUSTED: _("The signature is intact, but it was not made with a certificate of an issuing "
                                  "department this service trusts."),
        verification.MODIFIED: _("The signature is intact, but content was added to the document after it was "
                                 "signed."),
        verification.UNSIGNED: _("The document carries no electronic signature."),
        verification.UNREADABLE: _("The file cannot be read as a PDF."),
    }
    card = None
    if verdict.valid and verdict.licence is not None:
        card = card_for_number(verdict.licence.licence_number, verdict.licence.holder)
    return {
        "outcome": verdict.outcome, "valid": verdict.valid, "message": messages_by_outcome[verdict.outcome],
        "signers": [{"name": name, "at": timezone.localtime(at) if at else None} for name, at in verdict.signers],
        "reason": verdict.reason if verdict.valid else "",
        "card": verification_payload(card) if card is not None else None,
        "licence_unknown": verdict.valid and verdict.licence is not None and card is None,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def verify_document(request):
    """The public form: upload a signed PDF; the page says whether its signature holds and, for a certificate, the
    card's current status. The file is checked in memory and not kept."""
    from .seals.verification import verify_pdf

    if request.method == "GET":
        return render(request, "casefiles/verify.html", {"document_form": VerifyDocumentForm()})
    throttle = VerifyPageThrottle()
    if not throttle.allow_request(request, None):
        return _throttled(request, throttle, {"document_form": VerifyDocumentForm()})
    form = VerifyDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "casefiles/verify.html", {"document_form": form}, status=400)
    verdict = verify_pdf(form.cleaned_data["document"].read())
    return render(request, "casefiles/verify.html", {
        "document_form": VerifyDocumentForm(), "document": _document_result(verdict),
    })


def _card_or_404(request, pk):
    try:
        return card_for(request.user, pk)
    except Card.DoesNotExist:
        raise Http404 from None


@login_required
def ecard(request, pk):
    """The e-card (楚雄 电子虚拟卡): what the holder shows from a phone — all services but banking."""
    card = _card_or_404(request, pk)
    if card.holder_id != request.user.pk:
        raise Http404
    state = card_status(card)
    services = []
    if state["services_usable"]:  # listed only while they may be used
        tiers = [card.tier, *card.tier.includes.all()]
        services = (
            card.scheme.services.filter(tiers__in=tiers).exclude(category=ServiceCategory.FINANCE).distinct().order_by("order")
        )
    url = pdf.verification_url(card)
    return render(request, "casefiles/card_ecard.html", {
        "card": card, "state": state, "qr": pdf.qr_svg(url, scale=5, label=_("QR code to verify this card")),
        "verify_url": url, "services": services, "usable": state["services_usable"], "checked_at": timezone.localtime(),
    })


@require_GET
def ecard_service_worker(request):
    """The service worker that keeps each opened e-card for offline use (scope /cards/). Served from here, not
    /static/, because a worker only controls pages under its own path."""
    response = HttpResponse(render_to_string("casefiles/card_sw.js", request=request), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def my_cards(request):
    cards = Card.objects.filter(holder=request.user).select_related("scheme", "tier")
    return render(request, "casefiles/card_list.html", {"cards": cards})


def _signing_unavailable(request):
    """Production signs every document (``HUICAI_SIGNING_REQUIRED``): without the department's key the document is
    refused, never handed out unsigned (the reason, without key material, is in the log)."""
    import logging

    logging.getLogger(__name__).error("Document refused: its department has no usable signing key.", exc_info=True)
    message = _("This document cannot be issued now: the issuing department's electronic seal is not set up. "
                "Please try again later or contact the department.")
    return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")


def _pdf_response(content, filename, inline=False):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def certificate(request, pk):
    """The certificate of one card, for its holder and for the staff who manage the scheme's cards."""
    card = _card_or_404(request, pk)
    if acting_as(request.user, card, ["holder", "department"]) is None:
        raise PermissionDenied(_("You may not download this certificate."))
    try:
        content = pdf.certificate_pdf(card)
    except SigningUnavailable:
        return _signing_unavailable(request)
    journal_write(action="casefiles.card.certificate_download", actor=request.user, dossier=card.dossier, obj=card,
                  data={"number": card.number})
    return _pdf_response(content, f"certificate-{card.number}.pdf")


def _batch(request, pk):
    """A batch for its scheme's bank and card departments; 404 for anyone else, as for an id that does not exist."""
    batch = get_object_or_404(ProductionBatch.objects.select_related("scheme"), pk=pk)
    try:
        _bank_or_department(request.user, batch.scheme)
    except TransitionDenied:
        raise Http404 from None
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def batch_certificates(request, pk):
    """The print file with the certificates of every card of a production batch. Rendering a batch takes seconds
    to minutes, so the worker makes it: POST asks for a new file and answers at once; GET shows the requester's
    files of this batch (queued, being made, finished, failed), and ``?job=<id>`` downloads a finished one."""
    from .models import BackgroundJob, JobKind, JobStatus
    from .selectors_cards import batch_certificate_cards
    from .services.jobs import job_enqueue

    batch = _batch(request, pk)
    jobs = BackgroundJob.objects.filter(kind=JobKind.BATCH_CERTIFICATES, object_id=batch.pk, requested_by=request.user)
    if request.method == "POST":
        if not batch_certificate_cards(request.user, batch).exists():
            raise Http404(_("No card of this batch has been issued yet."))
        job_enqueue(kind=JobKind.BATCH_CERTIFICATES, user=request.user, scheme=batch.scheme, object_id=batch.pk,
                    label=batch.number)
        messages.info(request, _("The print file is being made. When it is finished you can download it on this page."))
        return redirect(request.path)
    if "job" in request.GET:
        job_id = request.GET["job"] if request.GET["job"].isdigit() else 0
        job = get_object_or_404(jobs, pk=job_id, status=JobStatus.DONE)
        journal_write(action="casefiles.card.batch_certificates_download", actor=request.user, obj=batch,
                      data={"number": batch.number, "cards": job.result.get("cards"), "job": job.pk})
        with job.file.open("rb") as handle:
            return _pdf_response(handle.read(), f"certificates-{batch.number}.pdf")
    jobs = list(jobs[:10])
    return render(request, "casefiles/batch_certificates.html", {
        "batch": batch, "jobs": jobs, "pending": any(j.pending for j in jobs),
    })


@login_required
def batch_export(request, pk):
    """The batch as an Excel list for the partner bank."""
    from .registry import batch_workbook
    from .services.cards import production_batch_mark_exported

    batch = _batch(request, pk)
    content = batch_workbook(batch)
    production_batch_mark_exported(batch=batch, user=request.user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="production-{batch.number}.xlsx"'
    return response


@login_required
def notice_pdf(request, pk):
    notice = get_object_or_404(PublicNotice.objects.select_related("scheme"), pk=pk)
    from .services.notices import notice_department_of

    try:
        notice_department_of(request.user, notice.scheme)
    except TransitionDenied:
        raise Http404 from None  # like an id that does not exist
    if not notice.pdf:
        from django.core.files.base import ContentFile

        try:
            content = pdf.public_notice_pdf(notice)
        except SigningUnavailable:
            return _signing_unavailable(request)
        notice.pdf.save(f"notice-{notice.pk}.pdf", ContentFile(content), save=True)
    journal_write(action="casefiles.notice.pdf_download", actor=request.user, obj=notice, data={"number": notice.number})
    with notice.pdf.open("rb") as handle:
        return _pdf_response(handle.read(), f"notice-{notice.pk}.pdf")

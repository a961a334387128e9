"""The public notice page (公示): what is on notice now, and objections from the public.

No login. The list is never cached (``never_cache``; its prefix is also skipped by the page cache,
policypages/cache.py), so a notice appears when it opens and drops off the day after it closes without waiting for
a cache to expire. An objection is a POST form with CSRF, shown back for confirmation before it is sent; the
objector's name and phone travel only in POST bodies (never in a URL) and are stored on the objection, which the
notice department sees in the admin. Sending is limited per client address (huicai.ratelimit) with a Chinese 429
page.
"""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from huicai.ratelimit import client_address, hit

from .exceptions import CaseFileError
from .selectors_notices import candidate_row, notice_candidate, public_notice_rows
from .services.notices import OBJECTION_CONTENT_MAX, notice_is_open, objection_submit

RATE_SCOPE = "public-objection-address"


def objection_limit():
    """(limit, window seconds) of objections sent from one client address."""
    return getattr(settings, "HUICAI_OBJECTION_LIMIT", 5), getattr(settings, "HUICAI_OBJECTION_WINDOW", 3600)


class PublicObjectionForm(forms.Form):
    objector = forms.CharField(label=gettext_lazy("Your name"), max_length=100)
    phone = forms.CharField(
        label=gettext_lazy("Your phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    content = forms.CharField(
        label=gettext_lazy("Your objection"),
        max_length=OBJECTION_CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("State the facts and, where you can, how they can be checked."),
    )


@never_cache
@require_GET
def public_notice_list(request):
    return render(request, "casefiles/public_notices.html", {"schemes": public_notice_rows()})


def _candidate_or_404(notice_pk, dossier_pk):
    found = notice_candidate(notice_pk, dossier_pk)
    if found is None:
        raise Http404
    return found


def _page(request, notice, dossier, form, *, step, status=200, error=None):
    context = {
        "notice": notice,
        "row": candidate_row(dossier),
        "form": form,
        "step": step,
        "error": error,
        "open": notice_is_open(notice) and bool(dossier.state.notice),
    }
    return render(request, "casefiles/public_notice_objection.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def public_objection(request, notice_pk, dossier_pk):
    """GET: the form. POST: check and show it back (step "confirm"); POST with ``send``: store, then redirect."""
    notice, dossier = _candidate_or_404(notice_pk, dossier_pk)
    if not (notice_is_open(notice) and dossier.state.notice):
        message = _("This candidate is not on an open public notice; objections are no longer taken here.")
        return _page(
            request,
            notice,
            dossier,
            None,
            step="closed",
            status=410 if request.method == "POST" else 200,
            error=message,
        )
    if request.method == "GET":
        return _page(request, notice, dossier, PublicObjectionForm(), step="form")
    form = PublicObjectionForm(request.POST)
    if not form.is_valid() or "edit" in request.POST:
        return _page(request, notice, dossier, form, step="form", status=200 if "edit" in request.POST else 400)
    if "send" not in request.POST:
        return _page(request, notice, dossier, form, step="confirm")
    limit, window = objection_limit()
    if not hit(RATE_SCOPE, client_address(request), limit, window):
        response = render(
            request, "casefiles/public_notice_throttled.html", {"window_minutes": max(window // 60, 1)}, status=429
        )
        response["Retry-After"] = str(window)
        return response
    data = form.cleaned_data
    try:
        objection_submit(
            notice=notice, dossier=dossier, objector=data["objector"], phone=data["phone"], content=data["content"]
        )
    except CaseFileError as exc:
        return _page(request, notice, dossier, form, step="form", status=400, error=exc.message)
    return redirect("public-notice-objection-sent")


@never_cache
@require_GET
def public_objection_sent(request):
    return render(request, "casefiles/public_notice_sent.html")

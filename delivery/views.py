"""Portal pages of service delivery: a card's services, requested and followed by its holder (申请服务)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casefiles.errors import CASE_FILE_ERRORS, user_message
from casefiles.models import Card, ServiceRequester

from . import selectors
from .forms import RequestForm, StepForm
from .limits import time_limit_for
from .ratings import RateServiceAction
from .services import RequestService, StepAction, card_services, steps_available


def _own_card(request, pk):
    card = Card.objects.select_related("scheme", "tier", "dossier", "end_reason").filter(pk=pk).first()
    if card is None or card.holder_id != request.user.pk:
        raise Http404
    return card


@login_required
def card_services_page(request, pk):
    card = _own_card(request, pk)
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            service = get_object_or_404(card.scheme.services, pk=form.cleaned_data["service"])
            try:
                RequestService(card, service, request.user, detail=form.cleaned_data["detail"]).execute()
            except CASE_FILE_ERRORS as exc:
                messages.error(request, user_message(exc))
            else:
                messages.success(request, _("Your request has been sent to the responsible unit."))
            return redirect("delivery-card-services", pk=card.pk)
    refusal = None
    try:
        RequestService(card, card_services(card).first() or card.scheme.services.first(), request.user).check()
    except CASE_FILE_ERRORS as exc:
        refusal = user_message(exc) if getattr(exc, "code", "") == "service_refused" else None
    services = []
    for service in card_services(card).prefetch_related("responsible_units"):
        services.append(
            {
                "service": service,
                "limit": time_limit_for(service),
                "by_holder": service.requested_by != ServiceRequester.EMPLOYER,
            }
        )
    requests = list(selectors.holder_card_requests(card))
    for one in requests:
        one.may_supply = "supply" in steps_available(one, request.user)
        one.may_rate = RateServiceAction(one, request.user).may_rate()
    return render(
        request,
        "delivery/card_services.html",
        {
            "card": card,
            "services": services if refusal is None else [],
            "refusal": refusal,
            "requests": requests,
            "form": RequestForm(),
        },
    )


@login_required
@require_POST
def supply_material(request, pk):
    service_request = selectors.request_for(request.user, pk)
    if service_request is None or service_request.card.holder_id != request.user.pk:
        raise Http404
    form = StepForm(request.POST)
    form.is_valid()
    try:
        StepAction(service_request, "supply", request.user, note=form.cleaned_data.get("note", "")).execute()
    except CASE_FILE_ERRORS as exc:
        messages.error(request, user_message(exc))
    else:
        messages.success(request, _("The unit has been told that you supplied the material."))
    return redirect("delivery-card-services", pk=service_request.card_id)

"""二次验证 pages: enrol an authenticator (QR code), verify a sign-in, renew recovery codes. Thin: services decide."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from .forms import CodeForm
from .policy import authenticator_of, is_verified
from .services import (
    SecondFactorRefused,
    authenticator_enrolment_confirm,
    authenticator_enrolment_start,
    recovery_codes_renew,
    second_factor_check,
)


def _next(request):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("wagtailadmin_home")


@login_required
def enrol(request):
    """An account with an authenticator enrols a new one only from a verified session."""
    if authenticator_of(request.user) and not is_verified(request.user):
        return redirect(f"{reverse('twofactor_verify')}?next={reverse('twofactor_enrol')}")
    device = authenticator_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = authenticator_enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
        except SecondFactorRefused as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            return render(request, "twofactor/recovery_codes.html", {"codes": codes, "next": _next(request)})
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_data_uri(scale=5, border=2),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "renew_allowed": authenticator_of(request.user) is not None,  # here only from a verified session
    }
    return render(request, "twofactor/enrol.html", context, status=400 if form.errors else 200)


@login_required
def verify(request):
    if authenticator_of(request.user) is None:
        return redirect(f"{reverse('twofactor_enrol')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_check(user=request.user, code=form.cleaned_data["code"])
        except SecondFactorRefused as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            return redirect(_next(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "twofactor/verify.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def renew_recovery_codes(request):
    if not (authenticator_of(request.user) and is_verified(request.user)):
        messages.error(request, _("Confirm your sign-in with your second factor first."))
        return redirect("twofactor_verify")
    return render(
        request,
        "twofactor/recovery_codes.html",
        {"codes": recovery_codes_renew(user=request.user), "next": _next(request)},
    )

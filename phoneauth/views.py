"""Portal pages 手机验证码登录 and 手机号注册: ask for a code, then sign in (or up) with it. Thin: the services
decide, their refusals become form errors (429 when rate-limited)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from casefiles.masking import mask_phone
from huicai.ratelimit import client_address

from .exceptions import PhoneSignInError
from .forms import PhoneCodeForm, PhoneSignUpForm
from .models import Purpose
from .services import phone_sign_in, phone_sign_up, sms_code_send

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal_applications")


def _page(request, form_class, purpose, template):
    if request.user.is_authenticated:
        return redirect(_next(request))
    form = form_class(request.POST or None)
    status, sent = 200, False
    if request.method == "POST" and form.is_valid():
        data, address = form.cleaned_data, client_address(request)
        try:
            if request.POST.get("action") == "send":
                phone = sms_code_send(phone=data["phone"], purpose=purpose, address=address)
                sent = True
                messages.info(
                    request,
                    _("If the number can receive it, a code was sent to %(phone)s.") % {"phone": mask_phone(phone)},
                )
            elif not data["code"]:
                form.add_error("code", _("Enter the code from the text message."))
            elif purpose == Purpose.SIGN_UP:
                user, created = phone_sign_up(
                    phone=data["phone"], code=data["code"], name=data["name"], address=address
                )
                login(request, user, backend=BACKEND)
                messages.success(
                    request,
                    _("Welcome! Your account has been created.")
                    if created
                    else _("This number already has an account: you are signed in."),
                )
                return redirect(_next(request))
            else:
                login(request, phone_sign_in(phone=data["phone"], code=data["code"], address=address), backend=BACKEND)
                return redirect(_next(request))
        except PhoneSignInError as exc:
            form.add_error(exc.field, exc.message)
            status = exc.status
    context = {"form": form, "sent": sent, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, template, context, status=status)


def phone_login(request):
    return _page(request, PhoneCodeForm, Purpose.SIGN_IN, "phoneauth/login.html")


def phone_register(request):
    return _page(request, PhoneSignUpForm, Purpose.SIGN_UP, "phoneauth/register.html")

"""Public and portal pages: commissioners and catalogue changes of a scheme (published as the policy requires),
feedback for holders and employers, the notification inbox and its preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casefiles.exceptions import CaseFileError, StateConflict
from casefiles.models import Scheme

from . import selectors, services
from .forms import FeedbackForm
from .models import CommissionerScope
from .preferences import preferences_for


def commissioners(request, slug):
    """聊城 第三十八条: commissioners published with name, unit and office phone — never a personal phone."""
    scheme = get_object_or_404(Scheme, slug=slug)
    rows = selectors.commissioners_public(scheme)
    return render(request, "programmes/commissioners.html", {
        "scheme": scheme, "by_department": [c for c in rows if c.scope == CommissionerScope.DEPARTMENT],
        "for_holders": [c for c in rows if c.scope == CommissionerScope.HOLDER],
    })


def catalogue_changes(request, slug):
    """聊城 第三十九条: services newly added to the catalogue, announced to the public."""
    scheme = get_object_or_404(Scheme, slug=slug)
    return render(request, "programmes/catalogue_changes.html",
                  {"scheme": scheme, "changes": selectors.catalogue_changes_public(scheme)})


@login_required
def feedback_list(request):
    return render(request, "programmes/feedback_list.html", {"items": selectors.feedback_of_submitter(request.user)})


@login_required
def feedback_new(request):
    scheme = Scheme.objects.filter(slug=request.GET.get("scheme", "")).first()
    initial = {"service_item": request.GET.get("service")} if request.GET.get("service") else None
    if request.method == "POST":
        form = FeedbackForm(request.POST, scheme=scheme)
        if form.is_valid():
            data = form.cleaned_data
            try:
                feedback = services.feedback_submit(user=request.user, service_item=data["service_item"], kind=data["kind"],
                                                    text=data["text"], contact_phone=data["contact_phone"])
            except CaseFileError as exc:
                form.add_error(None, exc.message)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you. %(unit)s will answer by %(due)s.")
                                 % {"unit": feedback.unit.name, "due": feedback.due_date or "—"})
                return redirect("programmes-feedback-detail", feedback.pk)
    else:
        form = FeedbackForm(scheme=scheme, initial=initial)
    return render(request, "programmes/feedback_form.html", {"form": form, "scheme": scheme},
                  status=400 if request.method == "POST" else 200)


@login_required
def feedback_detail(request, pk):
    feedback = get_object_or_404(selectors.feedback_of_submitter(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.feedback_close(feedback=feedback, user=request.user)
        except StateConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Feedback closed."))
        return redirect("programmes-feedback-detail", pk)
    return render(request, "programmes/feedback_detail.html", {"feedback": feedback})


@login_required
def inbox(request):
    paginator = Paginator(selectors.inbox_for(request.user), 30)
    page = paginator.get_page(request.GET.get("page"))
    unread = selectors.inbox_for(request.user).filter(read_at__isnull=True).count()
    return render(request, "programmes/inbox.html", {"page": page, "unread": unread})


@login_required
@require_POST
def inbox_read(request):
    ids = request.POST.getlist("id")
    count = services.notification_mark_read(user=request.user, notification_ids=ids or None)
    messages.success(request, _("%(n)d marked as read.") % {"n": count})
    return redirect("programmes-inbox")


@login_required
def inbox_open(request, pk):
    """Mark one message read and follow its link."""
    notification = selectors.inbox_for(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.notification_mark_read(user=request.user, notification_ids=[pk])
    return redirect(notification.url or "programmes-inbox")


@login_required
def preferences(request):
    if request.method == "POST":
        for family, _label, _on in preferences_for(request.user):
            services.preference_set(user=request.user, family=family, email=request.POST.get(family) == "on")
        messages.success(request, _("Your notification settings are saved."))
        return redirect("programmes-preferences")
    return render(request, "programmes/preferences.html", {"families": preferences_for(request.user)})



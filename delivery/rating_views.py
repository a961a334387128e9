"""The portal's 好差评 page: the holder sees the completed service and rates it once (``ratings.RateServiceAction``
checks and writes; the page only shows its answer)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from casefiles.errors import CASE_FILE_ERRORS, user_message

from .rating_forms import RATING_WORDS, RatingForm
from .ratings import RateServiceAction, poor_rating_threshold, rateable_by


@login_required
def rate_request(request, pk):
    service_request = get_object_or_404(
        rateable_by(request.user).select_related("service", "unit", "scheme", "card", "feedback"), pk=pk
    )
    action = RateServiceAction(service_request, request.user)
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            action = RateServiceAction(
                service_request,
                request.user,
                rating=data["rating"],
                comment=data["comment"],
                complaint=data["complaint"],
            )
            try:
                rated = action.execute()
            except CASE_FILE_ERRORS as exc:
                form.add_error(None, user_message(exc))
            else:
                if rated.feedback_id:
                    messages.success(
                        request,
                        _("Thank you for your rating. The programme office will answer you by %(due)s.")
                        % {"due": rated.feedback.due_date or "—"},
                    )
                else:
                    messages.success(request, _("Thank you for your rating."))
                return redirect("delivery-rate", pk=service_request.pk)
        status = 400
    return render(
        request,
        "delivery/report/rate.html",
        {
            "service_request": service_request,
            "form": form,
            "may_rate": action.may_rate(),
            "poor": poor_rating_threshold(),
            "rating_words": RATING_WORDS.get(service_request.rating, ""),
        },
        status=status,
    )

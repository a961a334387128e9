"""好差评: the holder rates a completed service request (1–5 and a comment), once.

In the manner of Wagtail's ``wagtail/actions/``: :meth:`RateServiceAction.check` says whether the user may rate
the request now (the requester or the card's holder, a completed request, not rated before, a rating from 1 to
5) without writing anything; :meth:`RateServiceAction.execute` locks the request, checks again and writes the
rating, the journal entry and — for a poor rating or a complaint — feedback for the programme office in one
transaction, then sends ``service_request_rated``. The portal and the API both call it and show its Chinese
message.

Which rating is poor is an administrative setting, not a policy's word: ``HUICAI_DELIVERY_POOR_RATING`` (2 by
default: 1 and 2 of 5 are 差评). Poor ratings and complaints become ``programmes.Feedback`` of kind complaint,
routed to the programme office (the department that approves the scheme's catalogue), which answers it through
the feedback queue with its due date and reminders (楚雄: the units report holders' opinions to the talent office;
通化 第二十条: complaints are answered).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.exceptions import CaseFileError, StateConflict, TransitionDenied
from casefiles.services.journal import journal_write

from .models import ServiceRequest, ServiceRequestState

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX = 2000

service_request_rated = Signal()  # sender=ServiceRequest, service_request=, feedback= (None unless raised)


def rateable_by(user):
    """The requests ``user`` may open to rate: those they asked for and those for their own card."""
    if not getattr(user, "is_authenticated", False):
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(Q(requested_by=user) | Q(card__holder=user))


def poor_rating_threshold():
    """Ratings at or below this are 差评 (an administrative setting)."""
    return int(getattr(settings, "HUICAI_DELIVERY_POOR_RATING", 2))


class RatingDenied(TransitionDenied):
    """The user may not rate this request (HTTP 403, as every refusal in ``casefiles.errors``); ``message`` is
    shown as it is."""

    code = "rating_denied"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class RateServiceAction:
    """``RateServiceAction(service_request, user, rating=5, comment="…").execute()``; ``.check()`` to ask first."""

    def __init__(self, service_request, user, *, rating=None, comment="", complaint=False):
        self.service_request = service_request
        self.user = user
        self.rating = rating
        self.comment = (comment or "").strip()
        self.complaint = bool(complaint)

    # --- check -------------------------------------------------------------------------------------------
    def check_permission(self):
        """The requester or the card's holder, and only while the request is completed and not yet rated."""
        request = self.service_request
        user = self.user
        if not getattr(user, "is_authenticated", False):
            raise RatingDenied(_("Log in to rate a service."))
        if user.pk not in (request.requested_by_id, request.card.holder_id):
            raise RatingDenied(_("Only the holder who requested this service may rate it."))
        if request.state != ServiceRequestState.COMPLETED:
            raise StateConflict(
                _("Only a completed service can be rated; this request is “%(state)s”.")
                % {"state": request.get_state_display()},
                request.state,
            )
        if request.rated_at is not None:
            raise StateConflict(_("This service has already been rated."), request.state)

    def check(self):
        self.check_permission()
        try:
            rating = int(self.rating)
        except (TypeError, ValueError):
            rating = None
        if rating is None or not RATING_MIN <= rating <= RATING_MAX:
            raise CaseFileError(_("Choose a rating from 1 to 5."), code="rating")
        self.rating = rating
        if len(self.comment) > COMMENT_MAX:
            raise CaseFileError(
                _("The comment is too long (at most %(n)d characters).") % {"n": COMMENT_MAX}, code="comment"
            )
        if self.complaint and not self.comment:
            raise CaseFileError(_("Please describe your complaint."), code="comment")

    def may_rate(self):
        """For the pages: show the rating form?"""
        try:
            self.check_permission()
        except (RatingDenied, StateConflict):
            return False
        return True

    @property
    def raises_feedback(self):
        return self.complaint or self.rating <= poor_rating_threshold()

    # --- execute -----------------------------------------------------------------------------------------
    def execute(self):
        with transaction.atomic():
            self.service_request = (
                ServiceRequest.objects.select_for_update(of=("self",))
                .select_related("card", "service", "scheme", "unit")
                .get(pk=self.service_request.pk)
            )
            self.check()
            request = self.service_request
            request.rating, request.rating_comment, request.rated_at = self.rating, self.comment, timezone.now()
            feedback = self._feedback() if self.raises_feedback else None
            request.feedback = feedback
            request.save(update_fields=["rating", "rating_comment", "rated_at", "feedback"])
            journal_write(
                action="delivery.request.rate",
                actor=self.user,
                obj=request,
                data={
                    "rating": self.rating,
                    "complaint": self.complaint,
                    "feedback": feedback.pk if feedback else None,
                },
            )
        service_request_rated.send(sender=ServiceRequest, service_request=request, feedback=feedback)
        return request

    def _feedback(self):
        from programmes.models import FeedbackKind
        from programmes.selectors import approver_department
        from programmes.services import feedback_submit

        request = self.service_request
        if self.complaint:
            text = _("Complaint about “%(service)s” (rated %(rating)d of 5): %(comment)s")
        else:
            text = _("Poor rating of “%(service)s”: %(rating)d of 5. %(comment)s")
        text = text % {
            "service": request.service.title,
            "rating": self.rating,
            "comment": self.comment or _("No comment given."),
        }
        # The programme office answers ratings and complaints about units (it assesses their delivery).
        return feedback_submit(
            user=self.user,
            service_item=request.service,
            kind=FeedbackKind.COMPLAINT,
            text=text,
            unit=approver_department(request.scheme),
        )

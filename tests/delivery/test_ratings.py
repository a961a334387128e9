"""好差评 (issue #20 item 3): the holder rates a completed service once, 1–5 with a comment; a poor rating or a
complaint becomes feedback the programme office must answer. Rows are made with the model (report_rows)."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from casefiles.exceptions import CaseFileError, StateConflict
from casefiles.models import JournalEntry, Membership, Scheme
from delivery import ratings
from delivery.models import ServiceRequest, ServiceRequestState
from programmes.models import FeedbackKind, FeedbackStatus
from programmes.selectors import approver_department
from programmes.services import feedback_answer

from .report_rows import card_of, served_items, service_request

pytestmark = pytest.mark.usefixtures("schemes_once")

DAY = datetime.date(2026, 11, 2)


def completed_request(slug, **kwargs):
    scheme = Scheme.objects.get(slug=slug)
    card = card_of(slug)
    item, unit = served_items(scheme, 1)[0]
    request = service_request(
        card, item, unit, requested_on=DAY, completed_on=DAY + datetime.timedelta(days=3), days=3, limit=10, **kwargs
    )
    return request


def rate(request, user, **kwargs):
    return ratings.RateServiceAction(request, user, **kwargs).execute()


def office_member(scheme):
    office = approver_department(scheme)
    return Membership.objects.filter(department=office).select_related("user").order_by("pk").first().user


def scheme_slugs():
    return list(Scheme.objects.order_by("slug").values_list("slug", flat=True))


def test_every_scheme_a_holder_rates_well_and_nothing_is_raised(db):
    for slug in scheme_slugs():
        request = completed_request(slug)
        holder = request.card.holder
        assert ratings.RateServiceAction(request, holder).may_rate()
        rate(request, holder, rating=5, comment="  办得很快  ")
        request.refresh_from_db()
        assert (request.rating, request.rating_comment, request.feedback) == (5, "办得很快", None)
        assert request.rated_at is not None
        entry = JournalEntry.objects.get(action="delivery.request.rate", object_id=str(request.pk))
        assert entry.actor == holder and entry.data["rating"] == 5 and entry.data["feedback"] is None
        assert not ratings.RateServiceAction(request, holder).may_rate()


def test_every_scheme_a_poor_rating_becomes_feedback_the_programme_office_answers(db):
    for slug in scheme_slugs():
        request = completed_request(slug)
        office = approver_department(request.scheme)
        assert office is not None, slug
        rate(request, request.card.holder, rating=ratings.poor_rating_threshold(), comment="等了很久")
        request.refresh_from_db()
        feedback = request.feedback
        assert feedback is not None, slug
        assert (feedback.kind, feedback.unit, feedback.status) == (FeedbackKind.COMPLAINT, office, FeedbackStatus.OPEN)
        assert feedback.submitter == request.card.holder and feedback.service_item == request.service
        assert "等了很久" in feedback.text and request.service.title in feedback.text
        assert feedback.due_date is not None or feedback.deadline_problem
        # the office must answer: its member can, and the holder is told
        answered = feedback_answer(feedback=feedback, user=office_member(request.scheme), answer="已督促承办单位整改。")
        assert answered.status == FeedbackStatus.ANSWERED


def test_a_rating_just_above_poor_raises_nothing_but_a_complaint_always_does(db):
    slug = scheme_slugs()[0]
    fair = completed_request(slug)
    rate(fair, fair.card.holder, rating=ratings.poor_rating_threshold() + 1)
    fair.refresh_from_db()
    assert fair.feedback is None
    complaint = completed_request(slug)
    rate(complaint, complaint.card.holder, rating=5, comment="窗口人员态度不好", complaint=True)
    complaint.refresh_from_db()
    assert complaint.feedback is not None and "窗口人员态度不好" in complaint.feedback.text
    with pytest.raises(CaseFileError):
        rate(completed_request(slug), fair.card.holder, rating=4, complaint=True)  # a complaint says what


@pytest.mark.parametrize("value", [0, 6, None, "", "five", -1])
def test_ratings_outside_one_to_five_are_refused(db, value):
    request = completed_request(scheme_slugs()[0])
    with pytest.raises(CaseFileError):
        rate(request, request.card.holder, rating=value)
    request.refresh_from_db()
    assert request.rating is None and request.rated_at is None


def test_only_the_requesting_holder_only_completed_only_once(db):
    slug = scheme_slugs()[0]
    request = completed_request(slug)
    stranger = get_user_model().objects.create_user("rate.stranger", password="x")
    office = office_member(request.scheme)
    for someone in (stranger, office):
        with pytest.raises(ratings.RatingDenied):
            rate(request, someone, rating=1)
        assert not ratings.RateServiceAction(request, someone).may_rate()
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ratings.RatingDenied):
        rate(request, AnonymousUser(), rating=3)
    # every state but completed is refused
    for state in ServiceRequestState.values:
        if state == ServiceRequestState.COMPLETED:
            continue
        ServiceRequest.objects.filter(pk=request.pk).update(state=state)
        request.refresh_from_db()
        with pytest.raises(StateConflict):
            rate(request, request.card.holder, rating=4)
    ServiceRequest.objects.filter(pk=request.pk).update(state=ServiceRequestState.COMPLETED)
    request.refresh_from_db()
    rate(request, request.card.holder, rating=4)
    with pytest.raises(StateConflict):
        rate(request, request.card.holder, rating=1)  # once
    request.refresh_from_db()
    assert request.rating == 4 and request.feedback is None
    assert JournalEntry.objects.filter(action="delivery.request.rate", object_id=str(request.pk)).count() == 1


def test_the_signal_carries_the_feedback(db):
    seen = []

    def receiver(sender, service_request, feedback, **kwargs):
        seen.append((service_request.pk, feedback and feedback.pk))

    ratings.service_request_rated.connect(receiver)
    try:
        request = completed_request(scheme_slugs()[0])
        rate(request, request.card.holder, rating=1)
    finally:
        ratings.service_request_rated.disconnect(receiver)
    request.refresh_from_db()
    assert seen == [(request.pk, request.feedback_id)] and request.feedback_id

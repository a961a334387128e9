"""Read side of opinion requests (会签 / 征求意见 / 专家评审): what waits on a person, what a dossier was asked.

A request "waits on" a user when it is open, asks one of the user's departments (a membership or the
department's group) or names the user as expert, and the dossier is still in the stage it was asked in.
Overdue requests come first, then by due date (undated last).
"""

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils import timezone

from .models import Department, OpinionRequest, OpinionRequestStatus

RELATED = ("dossier", "dossier__scheme", "dossier__state", "state", "department", "expert")


def _departments_of(user):
    return Department.objects.filter(Q(memberships__user=user) | Q(group__user=user)).values("pk")


def requests_waiting_on(user, today=None, queryset=None):
    """Open requests the user is asked to answer, overdue first, then by due date."""
    queryset = OpinionRequest.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    today = today or timezone.localdate()
    return (
        queryset.filter(status=OpinionRequestStatus.OPEN, dossier__state_id=F("state_id"))
        .filter(Q(expert=user) | Q(expert__isnull=True, department__in=_departments_of(user)))
        .select_related(*RELATED)
        .annotate(
            overdue=Case(When(due_date__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("-overdue", F("due_date").asc(nulls_last=True), "requested_at", "pk")
    )


def expert_request_for(user, pk):
    """One open request naming ``user`` as expert, or OpinionRequest.DoesNotExist (a 404)."""
    if not getattr(user, "is_authenticated", False):
        raise OpinionRequest.DoesNotExist
    return (
        OpinionRequest.objects.filter(expert=user, status=OpinionRequestStatus.OPEN, dossier__state_id=F("state_id"))
        .select_related(*RELATED, "dossier__requested_tier", "dossier__employer")
        .get(pk=pk)
    )


def request_waiting_on(user, pk):
    """One open request the user is asked to answer (department or expert), or OpinionRequest.DoesNotExist."""
    return requests_waiting_on(user).get(pk=pk)


def requests_of_dossier(dossier, state=None):
    """The requests of a dossier (of one stage when given), for its page: oldest first."""
    queryset = OpinionRequest.objects.filter(dossier=dossier)
    if state is not None:
        queryset = queryset.filter(state=state)
    return queryset.select_related("state", "department", "expert", "answered_by").order_by("requested_at", "pk")


def expert_candidates(dossier):
    """Accounts that may be named experts on ``dossier``: active, no department, no staff flag, not the applicant."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return (
        User.objects.filter(is_active=True, is_staff=False, is_superuser=False, memberships__isnull=True)
        .exclude(pk=dossier.applicant_id)
        .exclude(groups__department__isnull=False)
        .exclude(dossiers__isnull=False)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def person_name(user):
    """A person's name as shown to staff: 李明远 (family name first) for Chinese names, "John Smith" otherwise."""
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if (first + last).isascii():
        return " ".join(p for p in (first, last) if p)
    return last + first

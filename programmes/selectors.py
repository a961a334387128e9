"""Reads of programme operations: who runs which programme, queues, public listings, the monthly report."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from casefiles.models import Department, DepartmentKind, Membership, Notification, Scheme

from .models import (
    ChangeStatus,
    Feedback,
    FeedbackStatus,
    Meeting,
    ServiceChangeRequest,
    ServiceCommissioner,
)

# Departments that run a programme (talent office, organisation department, leading group, HR bureau).
OFFICE_KINDS = (
    DepartmentKind.TALENT_OFFICE,
    DepartmentKind.ORG_DEPT,
    DepartmentKind.LEADING_GROUP,
    DepartmentKind.HR_BUREAU,
    DepartmentKind.JOINT_MEETING,
)
# Who approves additions to the service catalogue (聊城 第三十九条: the talent office); schemes without a
# talent office fall back to the organisation department, then the leading group.
APPROVER_KINDS = (DepartmentKind.TALENT_OFFICE, DepartmentKind.ORG_DEPT, DepartmentKind.LEADING_GROUP)


def office_schemes(user):
    """Schemes whose programme office the user works in (all of them for a superuser)."""
    if not user.is_authenticated:
        return Scheme.objects.none()
    if user.is_superuser:
        return Scheme.objects.all()
    departments = Membership.objects.filter(user=user, department__kind__in=OFFICE_KINDS).values("department")
    return Scheme.objects.filter(departments__in=departments).distinct()


def is_programme_office(user):
    return office_schemes(user).exists()


def approver_department(scheme):
    for kind in APPROVER_KINDS:
        department = scheme.departments.filter(kind=kind).order_by("code").first()
        if department is not None:
            return department
    return None


def can_approve_changes(user, scheme):
    if user.is_superuser:
        return True
    department = approver_department(scheme)
    return department is not None and Membership.objects.filter(user=user, department=department).exists()


def user_departments(user):
    return Department.objects.filter(memberships__user=user)


def department_members(department):
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(groups=department.group, is_active=True).order_by("pk"))


# --------------------------------------------------------------------------- joint meetings


def meetings_visible_to(user):
    queryset = Meeting.objects.select_related("joint_meeting__scheme")
    if user.is_superuser:
        return queryset
    return queryset.filter(joint_meeting__scheme__in=office_schemes(user))


def meeting_for(user, pk):
    return meetings_visible_to(user).get(pk=pk)


# --------------------------------------------------------------------------- commissioners and catalogue


def commissioners_public(scheme):
    return (
        ServiceCommissioner.objects.filter(scheme=scheme, published=True)
        .select_related("unit", "served_department")
        .order_by("order", "unit__code", "pk")
    )


def catalogue_changes_public(scheme):
    return (
        ServiceChangeRequest.objects.filter(scheme=scheme, status=ChangeStatus.APPROVED)
        .select_related("service_item")
        .prefetch_related("tiers", "responsible_units")
        .order_by("-announced_on", "-pk")
    )


def changes_visible_to(user):
    queryset = ServiceChangeRequest.objects.select_related("scheme", "requested_by")
    if user.is_superuser:
        return queryset
    return queryset.filter(scheme__in=office_schemes(user))


# --------------------------------------------------------------------------- feedback


def feedback_queue_for(user):
    """Feedback routed to the units the user works in (everything for a superuser)."""
    queryset = Feedback.objects.select_related("scheme", "service_item", "unit", "submitter")
    if user.is_superuser:
        return queryset
    return queryset.filter(unit__in=user_departments(user).values("pk"))


def feedback_of_submitter(user):
    return Feedback.objects.filter(submitter=user).select_related("scheme", "service_item", "unit")


def month_bounds(year, month):
    start = datetime.date(year, month, 1)
    end = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def feedback_monthly_report(*, year, month, queryset=None, today=None):
    """Counts of the feedback received in one month by unit × kind × state, plus overdue ones.

    Overdue: still open after its due date (as of ``today``)."""
    today = today or timezone.localdate()
    start, end = month_bounds(year, month)
    tz = timezone.get_current_timezone()
    base = (queryset if queryset is not None else Feedback.objects.all()).filter(
        created_at__gte=datetime.datetime.combine(start, datetime.time.min, tz),
        created_at__lt=datetime.datetime.combine(end, datetime.time.min, tz),
    )
    overdue = Q(status=FeedbackStatus.OPEN, due_date__lt=today)
    rows = (
        base.values("unit__pk", "unit__name")
        .annotate(
            total=Count("pk"),
            questions=Count("pk", filter=Q(kind="question")),
            complaints=Count("pk", filter=Q(kind="complaint")),
            suggestions=Count("pk", filter=Q(kind="suggestion")),
            open=Count("pk", filter=Q(status=FeedbackStatus.OPEN)),
            answered=Count("pk", filter=Q(status=FeedbackStatus.ANSWERED)),
            closed=Count("pk", filter=Q(status=FeedbackStatus.CLOSED)),
            overdue=Count("pk", filter=overdue),
        )
        .order_by("unit__name")
    )
    rows = [dict(r, unit=r["unit__name"]) for r in rows]
    keys = ("total", "questions", "complaints", "suggestions", "open", "answered", "closed", "overdue")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    return {"year": year, "month": month, "rows": rows, "totals": totals,
            "overdue_items": list(base.filter(overdue).select_related("unit", "service_item").order_by("due_date"))}


# --------------------------------------------------------------------------- inbox


def inbox_for(user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")

"""Opinion requests (会签 / 征求意见 / 专家评审): opened when a dossier enters a state whose data asks for them,
withdrawn when it leaves, answered by the department or expert asked.

The transition action calls :func:`requests_open_for_state` and :func:`requests_cancel`; grants follow from the
open requests (casefiles/permissions.py ``desired_grants``).
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, SelfDealing, StateConflict, TransitionDenied
from ..models import Department, Dossier, OpinionRequest, OpinionRequestStatus
from ..notify import notify
from ..permissions import grants_recompute, refuse_own_dossier
from ..workflow.states import opinions_wanted
from .calendar import CalendarDataMissing, WorkingCalendar
from .journal import journal_write
from .locks import lock_dossier
from .refusals import refusals_journaled


def _due(now, working_days):
    if not working_days:
        return None, ""
    try:
        return WorkingCalendar().add_working_days(timezone.localdate(now), working_days), ""
    except CalendarDataMissing as exc:
        return None, str(exc)


def _department(dossier, code, departments):
    if code == "authority":
        return dossier.authority
    if code == "employer":
        return dossier.employer
    return departments.get(code)


def requests_open_for_state(dossier, state, user, departments):
    """Open the department requests the state's data asks for (experts are named by the state's actor)."""
    now = timezone.now()
    created = []
    for wanted in opinions_wanted(state):
        department = _department(dossier, wanted.get("department"), departments)
        if department is None:
            continue
        due, problem = _due(now, wanted.get("working_days"))
        created.append(OpinionRequest(
            dossier=dossier, state=state, department=department, topic=wanted.get("topic") or "",
            article=wanted.get("article") or "", setting=bool(wanted.get("setting")), requested_at=now, requested_by=user,
            due_date=due, deadline_problem=problem,
        ))
    if created:
        OpinionRequest.objects.bulk_create(created)
        journal_write(action="casefiles.opinion.request", actor=user, dossier=dossier,
                      data={"state": state.code, "departments": [r.department.code for r in created],
                            "due": [str(r.due_date) if r.due_date else "" for r in created]})
    return created


def requests_cancel(dossier, state, user):
    """Withdraw the requests still open when the dossier leaves ``state`` (their grants go with them)."""
    open_requests = OpinionRequest.objects.filter(dossier=dossier, state=state, status=OpinionRequestStatus.OPEN)
    count = open_requests.update(status=OpinionRequestStatus.CANCELLED, answered_at=timezone.now())
    if count:
        journal_write(action="casefiles.opinion.cancel", actor=user, dossier=dossier, data={"state": state.code, "count": count})
    return count


# --- answering, naming experts, reminders ----------------------------------------------------------------


def _asked_departments(user):
    """Departments ``user`` works for (a membership or the department's group)."""
    if not getattr(user, "is_authenticated", False):
        return Department.objects.none()
    return Department.objects.filter(Q(memberships__user=user) | Q(group__user=user)).distinct()


def is_asked(user, request):
    """Is ``user`` the one ``request`` asks: the named expert, or someone working for the department asked?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if request.expert_id:
        return request.expert_id == user.pk
    return bool(request.department_id) and _asked_departments(user).filter(pk=request.department_id).exists()


def _actor_recipients(dossier):
    """The people of the department acting on the dossier's current state (told when an answer comes in)."""
    from ..permissions import resolve_principal

    target = resolve_principal(dossier, dossier.state.actor) if dossier.state.actor else None
    if target is None or target[0] != "group":
        return []
    return list(get_user_model().objects.filter(groups__pk=target[1], is_active=True).distinct())


@refusals_journaled
@transaction.atomic
def opinion_answer(*, request, user, agree, comment=""):
    """The department or expert asked answers: agree, or object with a reason. Returns the request."""
    comment = (comment or "").strip()
    locked = OpinionRequest.objects.select_for_update().get(pk=request.pk)
    locked = OpinionRequest.objects.select_related("dossier__scheme", "dossier__state", "dossier__authority",
                                                   "dossier__employer", "state", "department", "expert").get(pk=locked.pk)
    dossier = locked.dossier
    if not is_asked(user, locked):
        raise TransitionDenied(_("Only the department or expert asked may answer this request."))
    refuse_own_dossier(user, dossier, "opinion_answer")
    if locked.status == OpinionRequestStatus.CANCELLED or locked.state_id != dossier.state_id:
        raise StateConflict(_("This request was withdrawn: the dossier has left the stage it was asked in."), dossier.state.code)
    if locked.status != OpinionRequestStatus.OPEN:
        raise StateConflict(_("This request has already been answered."), dossier.state.code)
    if not agree and not comment:
        raise CaseFileError(_("Please give the reason for your objection."), code="comment_required")
    locked.status = OpinionRequestStatus.AGREED if agree else OpinionRequestStatus.OBJECTED
    locked.comment = comment
    locked.answered_by = user
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "comment", "answered_by", "answered_at"])
    journal_write(action="casefiles.opinion.answer", actor=user, dossier=dossier, obj=locked,
                  department=locked.department,
                  data={"request": locked.pk, "state": locked.state.code, "answer": locked.status, "comment": comment})
    grants_recompute(dossier)
    from ..selectors_opinions import person_name

    who = locked.department.name if locked.department_id else (person_name(locked.expert) or _("the expert"))
    notify(
        recipients=_actor_recipients(dossier),
        subject=_("Opinion on %(ref)s: %(answer)s") % {"ref": dossier.reference, "answer": locked.get_status_display()},
        body=_("%(who)s answered the request for an opinion on %(ref)s (%(topic)s): %(answer)s.")
        % {"who": who, "ref": dossier.reference, "topic": locked.topic or locked.state.name, "answer": locked.get_status_display()}
        + (("\n" + _("Comment: %(comment)s") % {"comment": comment}) if comment else ""),
        url=f"/admin/dossiers/{dossier.pk}/",
        event="opinion.answered",
    )
    return locked


def expert_refusal(account, dossier):
    """Why ``account`` cannot be named an expert on ``dossier`` (a Chinese message), or None."""
    from ..permissions import is_staff_account

    if account is None or not account.is_active:
        return _("Only an active user account can be named an expert.")
    if account.pk == dossier.applicant_id:
        return _("The applicant cannot review their own application.")
    if is_staff_account(account):
        return _("An expert is an external reviewer: an account that works for a department or employer cannot be named.")
    return None


@refusals_journaled
@transaction.atomic
def experts_request(*, dossier, experts, user, working_days=None):
    """The state's actor names the experts who review the dossier in its current state (专家评审)."""
    from ..actions.transition import _department_for
    from ..permissions import acting_principal
    from ..selectors_opinions import person_name

    lock_dossier(dossier.pk)
    dossier = Dossier.objects.select_related("scheme", "state", "employer", "authority").get(pk=dossier.pk)
    state = dossier.state
    departments = {d.code: d for d in dossier.scheme.departments.all()}
    principal, refusal = acting_principal(user, dossier, [state.actor] if state.actor else [], departments)
    if refusal is not None:
        raise SelfDealing(refusal[1], code=refusal[0], journal={
            "action": "casefiles.dossier.refused", "actor": user, "dossier": dossier,
            "data": {"attempt": "experts_request", "state": state.code}})
    if principal is None:
        raise TransitionDenied(_("Only the department handling this stage may name experts."))
    wanted = state.experts or {}
    if not wanted:
        raise CaseFileError(_("This stage does not ask for experts."), code="no_experts")
    experts = list(experts)
    if not experts:
        raise CaseFileError(_("Choose at least one expert."), code="experts_required")
    already = set(OpinionRequest.objects.filter(dossier=dossier, state=state, expert__isnull=False)
                  .exclude(status=OpinionRequestStatus.CANCELLED).values_list("expert_id", flat=True))
    problems = []
    for account in experts:
        problem = expert_refusal(account, dossier)
        if problem:
            problems.append(f"{person_name(account) or _('account')}：{problem}" if account else problem)
        elif account.pk in already:
            problems.append(_("%(name)s has already been asked.") % {"name": person_name(account) or _("account")})
    if problems:
        raise CaseFileError("；".join(problems), code="expert_refused")
    minimum = int(wanted.get("min") or 1)
    if len(already) + len({a.pk for a in experts}) < minimum:
        raise CaseFileError(_("This stage needs at least %(n)d experts.") % {"n": minimum}, code="experts_too_few")
    now = timezone.now()
    days = working_days if working_days is not None else wanted.get("working_days")
    due, problem = _due(now, days)
    created = OpinionRequest.objects.bulk_create([
        OpinionRequest(dossier=dossier, state=state, expert=account, topic=wanted.get("topic") or "",
                       article=wanted.get("article") or "", setting=bool(wanted.get("setting")), requested_at=now,
                       requested_by=user, due_date=due, deadline_problem=problem)
        for account in {a.pk: a for a in experts}.values()
    ])
    department = _department_for(dossier, principal, departments)
    journal_write(action="casefiles.opinion.experts", actor=user, dossier=dossier, department=department,
                  data={"state": state.code, "experts": [r.expert_id for r in created], "due": str(due) if due else ""})
    grants_recompute(dossier, departments)
    notify(
        recipients=[r.expert for r in created],
        subject=_("Request for your expert opinion: %(ref)s") % {"ref": dossier.reference},
        body=_("You are asked for your opinion on application %(ref)s (%(stage)s), due %(due)s.")
        % {"ref": dossier.reference, "stage": state.name, "due": due or "—"},
        url="/expert/",
        event="opinion.requested",
    )
    return created


def _recipients(request):
    if request.expert_id:
        return [request.expert] if request.expert.is_active else []
    department = request.department
    return list(get_user_model().objects.filter(Q(memberships__department=department) | Q(groups__pk=department.group_id),
                                                is_active=True).distinct())


def opinion_requests_remind(today=None):
    """Remind those asked of open requests past due or due within one working day, once a day. Returns the count."""
    today = today or timezone.localdate()
    try:
        horizon = WorkingCalendar().add_working_days(today, 1)
    except CalendarDataMissing:
        horizon = today
    now = timezone.now()
    if today != timezone.localdate(now):  # run as of another day (the command's --date): stamp that day
        now = timezone.make_aware(datetime.datetime.combine(today, timezone.localtime(now).time()))
    sent = 0
    candidates = (
        OpinionRequest.objects.filter(status=OpinionRequestStatus.OPEN, due_date__isnull=False, due_date__lte=horizon,
                                      dossier__state_id=F("state_id"))
        .select_related("dossier", "state", "department", "expert")
        .order_by("due_date", "pk")
    )
    for request in candidates:
        if request.reminded_at and timezone.localdate(request.reminded_at) >= today:
            continue
        with transaction.atomic():
            updated = OpinionRequest.objects.filter(pk=request.pk, reminded_at=request.reminded_at).update(reminded_at=now)
            if not updated:
                continue
            overdue = request.due_date < today
            dossier = request.dossier
            notify(
                recipients=_recipients(request),
                subject=(_("Overdue: opinion on %(ref)s") if overdue else _("Due soon: opinion on %(ref)s")) % {"ref": dossier.reference},
                body=_("Your opinion on application %(ref)s (%(topic)s) is due on %(due)s.")
                % {"ref": dossier.reference, "topic": request.topic or request.state.name, "due": request.due_date},
                url="/expert/" if request.expert_id else "/admin/opinion-requests/",
                event="opinion.reminder",
            )
            journal_write(action="casefiles.opinion.remind", dossier=dossier, obj=request,
                          data={"request": request.pk, "due": str(request.due_date), "overdue": overdue})
            sent += 1
    return sent

"""Public notices (公示) and objections (异议): every change to them goes through this module.

What a notice requires is read from the scheme's data, never from a state or transition code: a state whose
``notice`` mapping is set is a notice state (``{working_days, setting, article, department}``; ``working_days`` is
the minimum period, ``setting`` says it is an administrative setting rather than the policy's word), and the
transition that closes the notice is the one leaving that state whose ``guard`` names ``notice``. Whether a
candidate may leave the notice is answered by that guard (casefiles/workflow/guards.py), so the service and the
transition action cannot disagree.

The notice department is the state's ``notice.department`` (else the state's actor): it opens the notice, records
and resolves objections, and is told of every objection sent from the public page (casefiles/views_notices.py).
Objectors' names and phone numbers are stored on the objection only: never in the journal, a notification or a URL.
"""

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, StateConflict, TransitionDenied
from ..masking import scrub_text
from ..models import NoticeObjection, ObjectionStatus, PublicNotice, WorkflowState
from ..notify import notify
from ..permissions import refuse_own_dossier
from ..workflow.guards import guard_failures
from ..workflow.states import notice_minimum
from .journal import journal_write
from .refusals import refusals_journaled

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,28}[0-9]$")
OBJECTION_CONTENT_MAX = 2000


# --- what the data says ---------------------------------------------------------------------------------------


def notice_states(scheme):
    """The scheme's notice states (those whose data carries ``notice``), in workflow order."""
    return [s for s in WorkflowState.objects.filter(scheme=scheme).order_by("order", "pk") if s.notice]


def notice_rule(scheme):
    """The ``notice`` mapping of the scheme's (first) notice state, or None when the scheme has no public notice."""
    states = notice_states(scheme)
    return dict(states[0].notice) if states else None


def notice_period_basis(notice):
    """Chinese: where the minimum period comes from (the article, or 管理设置)."""
    notice = notice or {}
    if notice.get("setting"):
        if notice.get("article"):
            return _("an administrative setting; the notice itself: %(article)s") % {"article": notice["article"]}
        return _("an administrative setting")
    return notice.get("article") or ""


def closing_transition(state):
    """The transition leaving ``state`` whose guard waits for the notice period (None if there is none)."""
    if not state.notice:
        return None
    for transition in state.outgoing.select_related("target").order_by("order", "pk"):
        if "notice" in (transition.guard or {}):
            return transition
    return None


def _department_by_code(scheme, code, dossier=None):
    if code == "authority":
        return dossier.authority if dossier is not None else None
    if code == "employer":
        return dossier.employer if dossier is not None else None
    return scheme.departments.filter(code=code).first() if code else None


def notice_department(state, dossier=None):
    """The department that runs the notice of ``state``: its ``notice.department``, else the state's actor."""
    notice = state.notice or {}
    return _department_by_code(state.scheme, notice.get("department") or state.actor, dossier)


def notice_departments(scheme):
    return [d for d in (notice_department(s) for s in notice_states(scheme)) if d is not None]


def _member_of(user, departments):
    group_ids = {d.group_id for d in departments if d is not None and d.group_id}
    if not group_ids or not getattr(user, "is_authenticated", False):
        return None
    mine = set(user.groups.filter(pk__in=group_ids).values_list("pk", flat=True))
    return next((d for d in departments if d is not None and d.group_id in mine), None)


def notice_department_of(user, scheme, departments=None):
    """The notice department ``user`` works in (None for a superuser outside it); TransitionDenied otherwise."""
    departments = notice_departments(scheme) if departments is None else [d for d in departments if d is not None]
    department = _member_of(user, departments)
    if department is None and not getattr(user, "is_superuser", False):
        names = "、".join(d.name for d in departments) or _("the notice department")
        raise TransitionDenied(_("Only %(department)s handles public notices of this scheme.") % {"department": names})
    return department


def may_handle_notices(user, scheme):
    try:
        notice_department_of(user, scheme)
    except TransitionDenied:
        return False
    return True


def notice_schemes_for(user):
    """The schemes with a notice state whose notice department ``user`` works in (all of them for a superuser). The
    admin menu asks on every page: read from the user's own departments first (one query; none for a user without
    a department), then the notice states of their schemes."""
    from ..models import Department

    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        states = [s for s in WorkflowState.objects.filter(notice__isnull=False).select_related("scheme") if s.notice]
        return sorted({s.scheme for s in states}, key=lambda scheme: scheme.slug)
    mine = {
        (scheme_id, code)
        for scheme_id, code in Department.objects.filter(group__in=user.groups.values("pk")).values_list(
            "schemes", "code")
        if scheme_id is not None
    }
    if not mine:
        return []
    states = WorkflowState.objects.filter(notice__isnull=False, scheme_id__in={m[0] for m in mine})
    states = states.select_related("scheme")
    return sorted(
        {s.scheme for s in states if s.notice and (s.scheme_id, s.notice.get("department") or s.actor) in mine},
        key=lambda scheme: scheme.slug,
    )


def notice_is_open(notice, today=None):
    today = today or timezone.localdate()
    return notice.opens_on <= today <= notice.closes_on


def _refuse_bad_date(value, field):
    from ..validation import event_date_problem

    message = event_date_problem(value)
    if message:
        raise CaseFileError(message, code=field)


# --- opening a notice -----------------------------------------------------------------------------------------


@refusals_journaled
@transaction.atomic
def public_notice_open(*, scheme, user, dossiers, how_to_object, working_days=None, number="", title="", opens_on=None):
    """Publish the candidates of a notice state for objections during at least the state's minimum period."""
    from .calendar import WorkingCalendar

    _refuse_bad_date(opens_on, "opens_on")
    dossiers = list(dossiers)
    if not dossiers:
        raise CaseFileError(_("A public notice needs at least one candidate."), code="empty")
    wrong = [d.reference for d in dossiers if d.scheme_id != scheme.pk or not d.state.notice]
    if wrong:
        raise StateConflict(_("Not at a public notice stage: %(refs)s") % {"refs": ", ".join(wrong)}, "notice")
    states = {d.state_id: d.state for d in dossiers}
    if len(states) > 1:
        raise CaseFileError(_("All candidates of one notice must be at the same stage."), code="dossiers")
    state = next(iter(states.values()))
    department = notice_department_of(user, scheme, [notice_department(state)])
    for dossier in dossiers:
        refuse_own_dossier(user, dossier, "public_notice_open")
    minimum = max(notice_minimum(state) or 1, 1)
    working_days = minimum if working_days in (None, "") else working_days
    if not isinstance(working_days, int) or isinstance(working_days, bool):
        raise CaseFileError(_("The notice period must be a whole number of working days."), code="working_days")
    if working_days < minimum:
        raise CaseFileError(
            _("The notice period must be at least %(days)s working days (%(basis)s).")
            % {"days": minimum, "basis": notice_period_basis(state.notice)},
            code="working_days",
        )
    if not (how_to_object or "").strip():
        raise CaseFileError(_("Say how to object."), code="how_to_object")
    opens_on = opens_on or timezone.localdate()
    closes_on = WorkingCalendar().add_working_days(opens_on, working_days - 1) if working_days > 1 else opens_on
    count = PublicNotice.objects.filter(scheme=scheme).count() + 1
    notice = PublicNotice.objects.create(
        scheme=scheme,
        number=number or f"{scheme.name}公示〔{opens_on.year}〕{count}号",
        title=title or f"{scheme.name}拟发放人选公示",
        opens_on=opens_on,
        working_days=working_days,
        closes_on=closes_on,
        how_to_object=how_to_object.strip(),
        created_by=user,
    )
    notice.dossiers.set(dossiers)
    journal_write(
        action="casefiles.notice.open",
        actor=user,
        obj=notice,
        department=department,
        data={
            "article": (state.notice or {}).get("article") or scheme.public_notice_article,
            "setting": bool((state.notice or {}).get("setting")),
            "minimum": minimum,
            "dossiers": [d.reference for d in dossiers],
            "opens_on": str(opens_on),
            "closes_on": str(closes_on),
        },
    )
    return notice


# --- objections -----------------------------------------------------------------------------------------------


def _objection_department(notice, dossier):
    """The notice department for an objection: of the candidate's notice state, else of the scheme's notice states."""
    if dossier.state.notice:
        department = notice_department(dossier.state, dossier)
        if department is not None:
            return [department]
    return notice_departments(notice.scheme)


def _check_line(field, value, formula=True):
    from ..validation import line_text_problem

    meta = NoticeObjection._meta.get_field(field)
    message = line_text_problem(meta.verbose_name, value, meta.max_length, formula=formula)
    if message:
        raise CaseFileError(message, code=field)


def _create_objection(*, notice, dossier, actor, department, content, source, received_on, **private):
    objection = NoticeObjection.objects.create(
        notice=notice,
        dossier=dossier,
        content=content.strip(),
        source=source,
        received_on=received_on,
        recorded_by=actor,
        **private,
    )
    # No objector name, contact or phone: the journal says that an objection arrived, through which channel.
    journal_write(
        action="casefiles.notice.objection",
        actor=actor,
        dossier=dossier,
        obj=objection,
        department=department,
        data={"article": notice.scheme.public_notice_article, "notice": notice.number, "source": source},
    )
    return objection


@transaction.atomic
def objection_record(*, notice, dossier, user, content, objector="", contact="", phone="", received_on=None):
    """An officer records an objection received by letter, telephone or in person."""
    _refuse_bad_date(received_on, "received_on")
    for field, value, formula in (("objector", objector, True), ("contact", contact, False), ("phone", phone, False)):
        _check_line(field, value, formula)
    department = notice_department_of(user, notice.scheme, _objection_department(notice, dossier))
    if not notice.dossiers.filter(pk=dossier.pk).exists():
        raise CaseFileError(_("This candidate is not on the notice."), code="dossier")
    if not (content or "").strip():
        raise CaseFileError(_("Please record what the objection says."), code="content")
    return _create_objection(
        notice=notice,
        dossier=dossier,
        actor=user,
        department=department,
        content=content,
        source="officer",
        received_on=received_on or timezone.localdate(),
        objector=objector,
        contact=contact,
        phone=phone,
    )


@transaction.atomic
def objection_submit(*, notice, dossier, objector, phone, content, today=None):
    """An objection sent by a member of the public from the notice page: only while the notice is open, only for
    a candidate on it; name and phone are required (the department may need to ask back) and kept private."""
    from ..validation import has_control_characters

    today = today or timezone.localdate()
    if not notice_is_open(notice, today):
        raise CaseFileError(_("This public notice is not open for objections."), code="notice_closed")
    if not notice.dossiers.filter(pk=dossier.pk).exists():
        raise CaseFileError(_("This candidate is not on the notice."), code="dossier")
    if not dossier.state.notice:
        raise CaseFileError(_("This candidate is no longer on public notice."), code="dossier")
    objector, phone, content = (objector or "").strip(), (phone or "").strip(), (content or "").strip()
    if not objector:
        raise CaseFileError(_("Please give your name."), code="objector")
    _check_line("objector", objector)
    if not phone:
        raise CaseFileError(_("Please give a phone number where the department can reach you."), code="phone")
    if not PHONE_RE.match(phone):
        raise CaseFileError(_("Please enter a valid phone number (digits only)."), code="phone")
    if not content:
        raise CaseFileError(_("Please say what your objection is."), code="content")
    if len(content) > OBJECTION_CONTENT_MAX or has_control_characters(content.replace("\n", "").replace("\r", "")):
        raise CaseFileError(
            _("The objection must be plain text of at most %(max)s characters.") % {"max": OBJECTION_CONTENT_MAX},
            code="content",
        )
    departments = _objection_department(notice, dossier)
    department = departments[0] if departments else None
    objection = _create_objection(
        notice=notice,
        dossier=dossier,
        actor=None,
        department=department,
        content=content,
        source="public",
        received_on=today,
        objector=objector,
        phone=phone,
    )
    _notify_department(objection, departments)
    return objection


def _notify_department(objection, departments):
    from django.urls import NoReverseMatch, reverse

    group_ids = [d.group_id for d in departments if d.group_id]
    recipients = (
        list(get_user_model().objects.filter(groups__in=group_ids, is_active=True).distinct()) if group_ids else []
    )
    try:
        url = reverse("casefiles_notices:objections")
    except NoReverseMatch:
        url = ""
    notice = objection.notice
    notify(
        recipients=recipients,
        subject=_("New objection to public notice %(number)s") % {"number": notice.number},
        body=_(
            "An objection to candidate %(reference)s on public notice %(number)s was sent from the public notice page. "
            "It holds the candidate until your department decides on it with a reason."
        )
        % {"reference": objection.dossier.reference, "number": notice.number},
        url=url,
        event="notice_objection",
    )


@refusals_journaled
@transaction.atomic
def objection_resolve(*, objection, user, upheld, resolution):
    """The notice department decides an objection (upheld or dismissed), always with the reason."""
    objection = (
        NoticeObjection.objects.select_for_update(of=("self",))
        .select_related("notice__scheme", "dossier__state")
        .get(pk=objection.pk)
    )
    department = notice_department_of(
        user, objection.notice.scheme, _objection_department(objection.notice, objection.dossier)
    )
    refuse_own_dossier(user, objection.dossier, "objection_resolve")
    if objection.status != ObjectionStatus.OPEN:
        raise StateConflict(_("This objection has already been resolved."), objection.status)
    if not (resolution or "").strip():
        raise CaseFileError(_("Please record how the objection was resolved."), code="resolution")
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution, objection.resolved_by, objection.resolved_at = resolution.strip(), user, timezone.now()
    objection.save()
    journal_write(
        action="casefiles.notice.objection_resolve",
        actor=user,
        dossier=objection.dossier,
        obj=objection,
        department=department,
        data={"status": objection.status, "resolution": scrub_text(objection.resolution)},
    )
    return objection


# --- leaving the notice ---------------------------------------------------------------------------------------


def notice_blockers(dossier, today=None):
    """Why a dossier cannot leave its public notice yet (empty when it can): the closing transition's guard."""
    transition = closing_transition(dossier.state)
    if transition is None:
        return [_("The dossier is not at a public notice stage.")]
    return guard_failures(transition.guard, dossier, today)


@refusals_journaled
@transaction.atomic
def public_notice_close_for(*, dossier, user, today=None, comment=""):
    """Move a candidate on from public notice through the closing transition of its state (the action checks the
    period and the objections by the transition's guard, and refuses with the date the notice runs until)."""
    from .dossiers import dossier_transition

    transition = closing_transition(dossier.state)
    if transition is None:
        raise StateConflict(_("The dossier is not at a public notice stage."), dossier.state.code)
    return dossier_transition(
        dossier=dossier,
        transition=transition.code,
        user=user,
        comment=comment,
        expected_state=dossier.state.code,
        today=today,
    )

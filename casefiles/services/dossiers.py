"""Every change to a dossier goes through this module: it checks permission and state, changes the
dossier, records the opinion, writes the journal, recomputes grants, queues indexing and
notifications — in one transaction."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import CaseFileError, SelfDealing, StateConflict, TransitionDenied
from ..masking import resident_id_checksum_ok
from ..models import (
    Department,
    DepartmentKind,
    Dossier,
    IdType,
    Opinion,
    SequenceCounter,
    StateKind,
    WorkflowState,
)
from ..notify import notify
from ..permissions import acting_principal, applicant_refusal, grants_recompute
from .calendar import CalendarDataMissing, WorkingCalendar
from .journal import journal_write
from .refusals import refusals_journaled

IDENTITY_FIELDS = ("applicant_name", "id_type", "id_number", "nationality", "phone", "email", "sector", "birth_date", "contract_end")


def next_sequence(scheme, kind, year):
    """Hand out the next number of a per-scheme, per-year series, safely under concurrency."""
    counter, _created = SequenceCounter.objects.select_for_update().get_or_create(scheme=scheme, kind=kind, year=year)
    SequenceCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return counter.last


def _check_identity(identity):
    from ..validation import dossier_input_problem

    problem = dossier_input_problem(identity)  # text, dates, facts: casefiles/validation.py
    if problem:
        raise CaseFileError(problem[1], code=problem[0])
    if identity.get("id_type", IdType.RESIDENT_ID) == IdType.RESIDENT_ID:
        if not resident_id_checksum_ok(identity.get("id_number", "")):
            raise CaseFileError(_("The resident ID number is not valid (18 digits with a correct check digit)."), code="id_number")
    if not (identity.get("applicant_name") or "").strip():
        raise CaseFileError(_("Please enter the applicant's name."), code="applicant_name")
    phone = identity.get("phone") or ""
    if not phone.replace("-", "").replace("+", "").replace(" ", "").isdigit() or len(phone) < 7:
        raise CaseFileError(_("Please enter a valid phone number."), code="phone")


def _check_criteria(scheme, tier, criteria):
    for criterion in criteria:
        if criterion.scheme_id != scheme.pk:
            raise CaseFileError(_("Criterion %(id)s does not belong to this scheme.") % {"id": criterion.ref})
    if tier.scheme_id != scheme.pk:
        raise CaseFileError(_("The tier does not belong to this scheme."))


def _departments(scheme):
    return {d.code: d for d in scheme.departments.all()}


def _enter_state(dossier, state, now, calendar=None):
    dossier.state = state
    dossier.state_entered_at = now
    dossier.due_date, dossier.deadline_problem = None, ""
    if state.time_limit_working_days:
        calendar = calendar or WorkingCalendar()
        try:
            dossier.due_date = calendar.add_working_days(timezone.localdate(now), state.time_limit_working_days)
        except CalendarDataMissing as exc:
            # The dossier moves on; the missing deadline is shown in worklists until an administrator
            # enters the year's holidays (never guessed as a plain weekday count).
            dossier.deadline_problem = str(exc)


@refusals_journaled
@transaction.atomic
def dossier_create(*, applicant, scheme, requested_tier, criteria=(), facts=None, employer=None, authority=None, **identity):
    """Start an application (draft) for ``applicant``. Identity fields are keyword arguments.

    A staff account (see ``permissions.is_staff_account``) never applies: SelfDealing (403), journaled."""
    refusal = applicant_refusal(applicant)
    if refusal is not None:
        raise SelfDealing(refusal[1], code=refusal[0], journal={
            "action": "casefiles.dossier.refused", "actor": applicant, "data": {"attempt": "create", "scheme": scheme.slug}})
    unknown = set(identity) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown identity fields {sorted(unknown)}")
    _check_identity({**identity, "facts": facts})
    criteria = list(criteria)
    _check_criteria(scheme, requested_tier, criteria)
    if employer is not None and employer.kind != DepartmentKind.EMPLOYER:
        raise CaseFileError(_("The employer must be an employer."))
    if authority is not None and (not scheme.authority_kind or authority.kind != scheme.authority_kind):
        raise CaseFileError(_("This department cannot review applications of this scheme."))
    start = WorkflowState.objects.get(scheme=scheme, kind=StateKind.START)
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = next_sequence(scheme, "dossier", year)
    dossier = Dossier(
        scheme=scheme,
        year=year,
        sequence=sequence,
        reference=scheme.reference_format.format(year=year, seq=sequence),
        applicant=applicant,
        employer=employer,
        authority=authority,
        requested_tier=requested_tier,
        facts=facts or {},
        state=start,
        state_entered_at=now,
        **identity,
    )
    dossier.save()
    dossier.criteria.set(criteria)
    journal_write(action="casefiles.dossier.create", actor=applicant, dossier=dossier, obj=dossier,
                  data={"scheme": scheme.slug, "tier": requested_tier.code, "criteria": [c.ref for c in criteria]})
    added, _removed = grants_recompute(dossier)
    journal_write(action="casefiles.grants.change", actor=applicant, dossier=dossier,
                  data={"added": [list(g) for g in added], "removed": []})
    outbox.enqueue("dossier", dossier.pk)
    return dossier


EDITABLE_FIELDS = set(IDENTITY_FIELDS) | {"facts", "requested_tier", "employer", "authority"}


@transaction.atomic
def dossier_update(*, dossier, user, criteria=None, **changes):
    """The applicant edits a draft or a returned dossier (补正)."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("state").get(pk=dossier.pk)
    if dossier.applicant_id != user.pk:
        raise TransitionDenied(_("Only the applicant may change this application."))
    if dossier.state.kind not in (StateKind.START,) and dossier.state.code != "returned":
        raise StateConflict(_("The application can only be changed while it is a draft or returned for supplement."), dossier.state.code)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"fields not editable: {sorted(unknown)}")
    before = {}
    for field, value in changes.items():
        old = getattr(dossier, field)
        before[field] = str(old.pk if hasattr(old, "pk") else old)
        setattr(dossier, field, value)
    merged = {f: getattr(dossier, f) for f in (*IDENTITY_FIELDS, "facts")}
    _check_identity(merged)
    if criteria is not None:
        criteria = list(criteria)
        _check_criteria(dossier.scheme, dossier.requested_tier, criteria)
        before["criteria"] = sorted(dossier.criteria.values_list("ref", flat=True))
        dossier.criteria.set(criteria)
    dossier.save()
    after = {f: str(getattr(dossier, f).pk if hasattr(getattr(dossier, f), "pk") else getattr(dossier, f)) for f in changes}
    if criteria is not None:
        after["criteria"] = sorted(c.ref for c in criteria)
    journal_write(action="casefiles.dossier.update", actor=user, dossier=dossier, obj=dossier,
                  data={"before": _mask_changes(before), "after": _mask_changes(after)})
    if {"employer", "authority"} & set(changes):
        grants_recompute(dossier)
    outbox.enqueue("dossier", dossier.pk)
    return dossier


def _mask_changes(values):
    from ..masking import mask_id_number, mask_phone

    masked = dict(values)
    if "id_number" in masked:
        masked["id_number"] = mask_id_number(masked["id_number"])
    if "phone" in masked:
        masked["phone"] = mask_phone(masked["phone"])
    return masked


def _department_for(user, dossier, principal, departments):
    """The department in whose name the user acts (None for the applicant)."""
    if principal == "applicant":
        return None
    if principal == "employer":
        return dossier.employer
    if principal == "authority":
        return dossier.authority
    return departments.get(principal)


@refusals_journaled
@transaction.atomic
def dossier_transition(*, dossier, transition, user, comment="", expected_state=None, minutes="", granted_tier=None):
    """Fire one workflow transition. ``transition`` is its code.

    Raises CaseFileError (400) for an unknown transition or a missing comment, TransitionDenied (403)
    when the user may not fire it (SelfDealing, journaled, when they stand for its principal only on their
    own application or outside their role: ``permissions.self_dealing``), StateConflict (409) when the
    dossier is no longer where the caller saw it (``expected_state``) or the transition does not start
    from its current state.
    """
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    locked = Dossier.objects.select_related("scheme", "state", "employer", "authority", "requested_tier").get(pk=locked.pk)
    scheme, state = locked.scheme, locked.state
    if expected_state and state.code != expected_state:
        raise StateConflict(_("The dossier has moved on to “%(state)s”; reload and try again.") % {"state": state.name}, state.code)
    candidate = scheme.transitions.filter(code=transition).prefetch_related("sources").first()
    if candidate is None:
        raise CaseFileError(_("Unknown action “%(code)s”.") % {"code": transition}, code="unknown_transition")
    if not candidate.sources.filter(pk=state.pk).exists():
        raise StateConflict(
            _("“%(action)s” is not possible while the dossier is in “%(state)s”.") % {"action": candidate.name, "state": state.name},
            state.code,
        )
    departments = _departments(scheme)
    principals = [p.strip() for p in candidate.by.split(",")]
    principals = [state.actor if p == "actor" else p for p in principals]
    acting_as, refusal = acting_principal(user, locked, principals, departments)
    if refusal is not None:
        raise SelfDealing(refusal[1], code=refusal[0], journal={
            "action": "casefiles.dossier.refused", "actor": user, "dossier": locked,
            "data": {"attempt": candidate.code, "state": state.code, "principals": principals}})
    if acting_as is None:
        raise TransitionDenied(_("You may not perform “%(action)s” on this dossier.") % {"action": candidate.name})
    comment = (comment or "").strip()
    if candidate.requires_comment and not comment:
        raise CaseFileError(_("Please give a reason or say what is missing."), code="comment_required")

    if candidate.code == "close_public_notice":
        # 楚雄 第四条（三）: objections are resolved by the talent office before issuance continues.
        from ..models import ObjectionStatus

        if locked.objections.filter(status__in=[ObjectionStatus.OPEN, ObjectionStatus.UPHELD]).exists():
            raise StateConflict(_("Objections to the public notice are still open or were upheld."), state.code)

    now = timezone.now()
    target = candidate.target
    department = _department_for(user, locked, acting_as, departments)
    if state.kind == StateKind.START or state.code == "returned":
        locked.submitted_at = locked.submitted_at or now
    if target.code == "returned":
        locked.missing_items = comment
    _enter_state(locked, target, now)
    if candidate.issues_card or target.code in ("issued",):
        locked.granted_tier = granted_tier or locked.granted_tier or locked.requested_tier
    elif granted_tier is not None:
        locked.granted_tier = granted_tier
    locked.save()
    opinion = Opinion.objects.create(
        dossier=locked,
        transition=candidate.code,
        decision=candidate.name,
        from_state=state,
        to_state=target,
        actor=user,
        department=department,
        comment=comment,
        article=candidate.article,
        minutes=minutes or "",
    )
    journal_write(
        action=f"casefiles.dossier.{candidate.code}",
        actor=user,
        dossier=locked,
        obj=opinion,
        department=department,
        data={"from": state.code, "to": target.code, "comment": comment, "acting_as": acting_as},
    )
    added, removed = grants_recompute(locked, departments)
    if added or removed:
        journal_write(
            action="casefiles.grants.change",
            actor=user,
            dossier=locked,
            department=department,
            data={"added": [list(g) for g in added], "removed": [list(g) for g in removed]},
        )
    card = None
    if candidate.issues_card:
        from .cards import card_issue

        card = card_issue(dossier=locked, user=user, department=department)
    outbox.enqueue("dossier", locked.pk)
    notify(
        recipients=[locked.applicant],
        subject=_("Your application %(ref)s: %(decision)s") % {"ref": locked.reference, "decision": candidate.name},
        body=_("Your application %(ref)s is now “%(state)s”.") % {"ref": locked.reference, "state": target.name}
        + (("\n" + _("Comment: %(comment)s") % {"comment": comment}) if comment else ""),
        url=f"/applications/{locked.pk}/",
        event=f"dossier.{candidate.code}",
    )
    locked.last_opinion = opinion
    locked.issued_card = card
    return locked

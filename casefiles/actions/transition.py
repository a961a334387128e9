"""Fire one workflow transition: the only code that changes a dossier's state.

In the manner of Wagtail's ``wagtail/actions/``: :meth:`TransitionAction.check` says whether the user may fire
the transition now (permission, state, separation of duties, comment, guards: criteria, tier, facts,
opinions, notice period, objections, materials) without writing anything; :meth:`TransitionAction.execute`
locks the dossier, checks again and writes everything in one transaction: state, opinion, journal, grants,
opinion requests of the new state, search outbox, notification and the ``dossier_transitioned`` signal
(on which the card service issues the card).

Every caller goes through it: the API, the admin, the portal, meetings, card production, public notices,
the registry import and ``transitions_available`` (which asks ``check``).
"""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import (
    CaseFileError,
    FourEyes,
    GuardFailed,
    MaterialsMissing,
    SelfDealing,
    StateConflict,
    TransitionDenied,
)
from ..models import Dossier, Opinion, StateKind, TransitionRole, WorkflowTransition
from ..notify import notify
from ..permissions import acting_principal, grants_recompute, user_standing
from ..services.calendar import CalendarDataMissing, WorkingCalendar
from ..services.journal import journal_deferred, journal_write
from ..services.locks import lock_dossier
from ..services.refusals import refusals_journaled
from ..workflow.guards import GuardContext, guard_failures, guard_reads_materials
from ..workflow.signals import dossier_transitioned
from ..workflow.states import APPLICANT, applicant_may_edit, is_returned_to_applicant


def principals_of_transition(transition, state):
    """The principals a transition's ``by`` names, ``actor`` read as the state's actor."""
    principals = [p.strip() for p in transition.by.split(",")]
    return [state.actor if p == "actor" else p for p in principals]


def first_submission(dossier, state, transition):
    """The applicant hands in a draft for the first time (a step from the start state into the review, not to an
    end such as withdrawing); a dossier submitted before, returned and handed in again, is not new."""
    return state.kind == StateKind.START and transition.target.kind != StateKind.END and dossier.submitted_at is None


def four_eyes_applies(transition, scheme):
    return scheme.four_eyes if transition.four_eyes is None else transition.four_eyes


class TransitionAction:
    """``TransitionAction(dossier, "approve", user, comment=...).execute()``; ``.check()`` to ask first."""

    def __init__(self, dossier, transition, user, *, comment="", expected_state=None, minutes="", granted_tier=None,
                 today=None, departments=None, skip_permission_checks=False, acting_as=None, department=None,
                 journal_action=None, standing=None):
        self.dossier = dossier
        self.transition_code = transition if isinstance(transition, str) else transition.code
        self.transition = None if isinstance(transition, str) else transition
        self.user = user
        self.comment = (comment or "").strip()
        self.expected_state = expected_state
        self.minutes = minutes or ""
        self.granted_tier = granted_tier
        self.today = today
        self.departments = departments
        # A caller that has checked the user itself (the registry import, which names its own departments)
        # passes the principal and department it acts for; every other check still runs.
        self.skip_permission_checks = skip_permission_checks
        self.acting_as = acting_as
        self.department = department
        self.journal_action = journal_action
        # transitions_available asks for every step of the state: one reading of the user for all of them
        self.standing = standing

    # --- check -------------------------------------------------------------------------------------------
    def _transition(self):
        scheme, state = self.dossier.scheme, self.dossier.state
        candidate = self.transition
        if candidate is None or candidate.scheme_id != scheme.pk:
            # One query: the step and whether it leaves the dossier's state.
            sources = WorkflowTransition.sources.through.objects.filter(
                workflowtransition_id=OuterRef("pk"), workflowstate_id=state.pk
            )
            candidate = (
                scheme.transitions.filter(code=self.transition_code)
                .select_related("target")
                .annotate(_leaves_state=Exists(sources))
                .first()
            )
            if candidate is not None:
                candidate._source_ids = {state.pk} if candidate._leaves_state else set()
        if candidate is None:
            raise CaseFileError(_("Unknown action “%(code)s”.") % {"code": self.transition_code}, code="unknown_transition")
        sources = getattr(candidate, "_source_ids", None)
        if sources is None:
            sources = {state.pk} if candidate.sources.filter(pk=state.pk).exists() else set()
        if state.pk not in sources:
            raise StateConflict(
                _("“%(action)s” is not possible while the dossier is in “%(state)s”.") % {"action": candidate.name, "state": state.name},
                state.code,
            )
        return candidate

    def check(self, *, comment_required=True, guards=True, context=None):
        """Raise the reason the user may not fire the transition now; return the principal they act as."""
        dossier = self.dossier
        state = dossier.state
        if self.expected_state and state.code != self.expected_state:
            raise StateConflict(_("The dossier has moved on to “%(state)s”; reload and try again.") % {"state": state.name}, state.code)
        candidate = self.transition = self._transition()
        if self.departments is None:
            self.departments = {d.code: d for d in dossier.scheme.departments.all()}
        if self.skip_permission_checks:
            if candidate.requires_comment and comment_required and not self.comment:
                raise CaseFileError(_("Please give a reason or say what is missing."), code="comment_required")
            if guards:
                self._check_guard(candidate, context)
                self._check_production_calendar(candidate)
            return self.acting_as
        principals = principals_of_transition(candidate, state)
        acting_as, refusal = acting_principal(self.user, dossier, principals, self.departments, self.standing)
        if refusal is not None:
            raise SelfDealing(refusal[1], code=refusal[0], journal={
                "action": "casefiles.dossier.refused", "actor": self.user, "dossier": dossier,
                "data": {"attempt": candidate.code, "state": state.code, "principals": principals}})
        if acting_as is None:
            raise TransitionDenied(_("You may not perform “%(action)s” on this dossier.") % {"action": candidate.name})
        self.acting_as = acting_as
        if acting_as == APPLICANT and first_submission(dossier, state, candidate):
            from ..services.dossiers import scheme_closed_refuse

            scheme_closed_refuse(dossier.scheme, self.today)  # issue #17 item 6: no new applications once it ends
        if acting_as != APPLICANT and four_eyes_applies(candidate, dossier.scheme):
            self._check_four_eyes(candidate, context)
        if comment_required and candidate.requires_comment and not self.comment:
            raise CaseFileError(_("Please give a reason or say what is missing."), code="comment_required")
        if guards:
            self._check_guard(candidate, context)
            self._check_production_calendar(candidate)
        return acting_as

    def _check_production_calendar(self, candidate):
        """Where the scheme makes its cards in batches on a calendar (``cards.production``), the step whose role is
        ``card_produced`` waits until the dossier is on a production batch (岱山 第五条-style 集中制卡)."""
        if candidate.role != TransitionRole.CARD_PRODUCED:
            return
        from ..services.cards import production_calendar_refusal

        refusal = production_calendar_refusal(self.dossier)
        if refusal:
            raise GuardFailed(refusal, reasons=[refusal])

    def _check_four_eyes(self, candidate, context=None):
        context = context or GuardContext(self.dossier, self.today)
        last = context.last_opinion
        if last is None or last.actor_id != self.user.pk:
            return
        previous = self.dossier.scheme.transitions.filter(code=last.transition).only("four_eyes", "by").first()
        if previous is None or "applicant" in previous.by or not four_eyes_applies(previous, self.dossier.scheme):
            return
        raise FourEyes(
            _("You made the previous decision on this dossier; “%(action)s” must be decided by a colleague (four eyes).")
            % {"action": candidate.name}
        )

    def _check_guard(self, candidate, context=None):
        guard = candidate.guard or {}
        if not guard:
            return
        context = context or GuardContext(self.dossier, self.today)
        failures = guard_failures(guard, self.dossier, context=context)
        if not failures:
            return
        citation = candidate.article or self.dossier.scheme.policy_title
        reasons = "；".join(failures)
        if guard_reads_materials(guard) and set(guard) == {"materials"}:
            from ..selectors_materials import materials_missing

            missing = materials_missing(self.dossier)
            raise MaterialsMissing(
                _("“%(action)s” is not possible yet (%(article)s): %(reasons)s.") % {"action": candidate.name, "article": citation, "reasons": reasons},
                missing=[{"code": m.code, "name": m.name, "article": m.article} for m in missing],
            )
        message = candidate.guard_message or reasons
        raise GuardFailed(
            _("“%(action)s” is not possible (%(article)s): %(reasons)s.") % {"action": candidate.name, "article": citation, "reasons": message},
            self.dossier.state.code, reasons=failures,
        )

    def is_available(self, context=None):
        """Would ``check`` pass (not asking for the comment, which the form collects)?"""
        try:
            self.check(comment_required=False, context=context)
        except (CaseFileError, TransitionDenied, StateConflict):
            return False
        return True

    # --- execute -----------------------------------------------------------------------------------------
    def execute(self):
        return _execute(self)

    def _write(self):
        lock_dossier(self.dossier.pk)  # lock first, then read with the joins (services/locks.py)
        locked = Dossier.objects.select_related(
            "scheme", "state", "employer", "authority", "requested_tier", "applicant"
        ).get(pk=self.dossier.pk)
        self.dossier = locked
        acting_as = self.check()
        candidate, state, scheme = self.transition, locked.state, locked.scheme
        now = timezone.now()
        target = candidate.target
        department = self.department or _department_for(locked, acting_as, self.departments)
        if applicant_may_edit(state):
            locked.submitted_at = locked.submitted_at or now
        if is_returned_to_applicant(target):
            locked.missing_items = self.comment
        _enter_state(locked, target, now)
        if candidate.issues_card:
            locked.granted_tier = self.granted_tier or locked.granted_tier or locked.requested_tier
        elif self.granted_tier is not None:
            locked.granted_tier = self.granted_tier
        locked.save()
        opinion = Opinion.objects.create(
            dossier=locked, transition=candidate.code, decision=candidate.name, from_state=state, to_state=target,
            actor=self.user, department=department, comment=self.comment, article=candidate.article, minutes=self.minutes,
        )
        journal_write(
            action=self.journal_action or f"casefiles.dossier.{candidate.code}", actor=self.user, dossier=locked, obj=opinion, department=department,
            data={"from": state.code, "to": target.code, "comment": self.comment, "acting_as": acting_as},
        )
        from ..services.opinions import requests_cancel, requests_open_for_state

        if target.pk != state.pk:
            requests_cancel(locked, state, self.user)
            requests_open_for_state(locked, target, self.user, self.departments)
        added, removed = grants_recompute(locked, self.departments)
        if added or removed:
            journal_write(
                action="casefiles.grants.change", actor=self.user, dossier=locked, department=department,
                data={"added": [list(g) for g in added], "removed": [list(g) for g in removed]},
            )
        locked.issued_card = None
        dossier_transitioned.send(
            sender=type(candidate), dossier=locked, transition=candidate, from_state=state, to_state=target,
            user=self.user, opinion=opinion, department=department, scheme=scheme,
        )
        outbox.enqueue("dossier", locked.pk)
        notify(
            recipients=[locked.applicant],
            subject=_("Your application %(ref)s: %(decision)s") % {"ref": locked.reference, "decision": candidate.name},
            body=_("Your application %(ref)s is now “%(state)s”.") % {"ref": locked.reference, "state": target.name}
            + (("\n" + _("Comment: %(comment)s") % {"comment": self.comment}) if self.comment else ""),
            url=f"/applications/{locked.pk}/",
            event=f"dossier.{candidate.code}",
        )
        locked.last_opinion = opinion
        return locked


@refusals_journaled
@transaction.atomic
def _execute(action):
    # The journal entries are appended last: the chain's head stays locked only for the append and the commit.
    with journal_deferred():
        return action._write()


def _department_for(dossier, principal, departments):
    """The department in whose name the user acts (None for the applicant)."""
    if principal == APPLICANT:
        return None
    if principal == "employer":
        return dossier.employer
    if principal == "authority":
        return dossier.authority
    return departments.get(principal)


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


def transitions_available(user, dossier, today=None):
    """Transitions the user may fire now, in order (for buttons; ``execute`` checks again)."""
    state = dossier.state
    departments = {d.code: d for d in dossier.scheme.departments.all()}
    context = GuardContext(dossier, today)
    standing = user_standing(user)
    result = []
    for transition in state.outgoing.order_by("order").select_related("target"):
        transition._source_ids = {state.pk}
        action = TransitionAction(dossier, transition, user, today=today, departments=departments, standing=standing)
        if action.is_available(context):
            result.append(transition)
    return result


__all__ = ["TransitionAction", "transitions_available", "principals_of_transition", "StateKind"]

"""Every change to a card goes through this module.

Each service locks the card, checks who may act (the holder, the employer's contact or the department that
manages the scheme's cards — as the article says), changes the card, records a :class:`CardEvent` with the
article it applies, writes the journal and queues notifications — in one transaction. Nothing here revokes
on its own: the daily job only lists candidates for a reviewer.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, FourEyes, SelfDealing, StateConflict, TransitionDenied
from ..masking import mask_phone, scrub_text
from ..models import (
    Assessment,
    AssessmentResult,
    Card,
    CardEvent,
    CardEventKind,
    CardStatus,
    DepartmentKind,
    Dossier,
    ExitCandidate,
    ExitCandidateStatus,
    ExitEffect,
    ProductionBatch,
    ProductionItem,
    RevocationReason,
    RevocationRequest,
    RevocationRequestStatus,
    Scheme,
    TransitionRole,
    ValidityRule,
    WorkflowState,
)
from ..notify import notify
from ..permissions import refuse_own_dossier
from .journal import journal_write
from .refusals import refusals_journaled

#: Sent inside the transaction after every event on a card is recorded (``card``, ``event``): service delivery lists
#: the holder with the units serving the tier at issuance and tells them when services stop (delivery/services.py).
card_event_recorded = Signal()

EXIT_EFFECT_EVENT = {
    ExitEffect.REVOKE: CardEventKind.REVOKE,
    ExitEffect.RECALL: CardEventKind.RECALL,
    ExitEffect.CONTACT_LIST: CardEventKind.CONTACT_LIST,
    ExitEffect.TERMINATE_ALL: CardEventKind.TERMINATE_ALL,
    ExitEffect.KEEP_UNTIL_END: CardEventKind.KEEP_UNTIL_END,
}
EXIT_EVENTS = (CardEventKind.REVOKE, CardEventKind.RECALL, CardEventKind.CONTACT_LIST, CardEventKind.TERMINATE_ALL)
LIVE_STATUSES = (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.CONTACT_LIST)


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def first_of_next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def validity_for(scheme, dossier, valid_from, contract_end=None):
    """valid_until by the scheme's rule (None where the policy sets no end)."""
    contract_end = contract_end or (dossier.contract_end if dossier is not None else None)
    if scheme.validity_rule == ValidityRule.FIXED_FROM_ISSUANCE and scheme.validity_max_years:
        return add_years(valid_from, scheme.validity_max_years) - datetime.timedelta(days=1)
    if scheme.validity_rule == ValidityRule.CONTRACT_BOUNDED and scheme.validity_max_years:
        limit = add_years(valid_from, scheme.validity_max_years) - datetime.timedelta(days=1)
        if contract_end and contract_end < limit:
            return contract_end
        return limit
    return None


# --- the scheme's card rules (the scheme file's ``cards`` block, docs/SCHEME_DATA.md "Cards") ------------------


def card_rules(scheme):
    """The card rules of a scheme: who manages its cards, whether the holder's authority acts on them, the
    particulars and assessment rules and the certificate's issuing bodies, each with its article — as the scheme
    file declares them, completed with the defaults of a file without a ``cards`` block."""
    from ..schemes.validate import card_rules_of

    return card_rules_of({"cards": scheme.card_rules or {}})


def department_manages_cards(department, scheme):
    """Whether ``department`` is one of those that manage the cards of ``scheme`` (``cards.managed_by``)."""
    managed = card_rules(scheme)["managed_by"] or {}
    if managed.get("departments"):
        return department.code in managed["departments"]
    return department.kind in (managed.get("kinds") or ())


def authority_acting_scheme_ids():
    """Schemes whose holders' own competent authority acts on their cards (``cards.authority_acts``)."""
    from ..models import Scheme

    return [s.pk for s in Scheme.objects.only("pk", "card_rules") if card_rules(s)["authority_acts"]]


def assessment_rule(scheme):
    """The employer's periodic assessment of holders (``cards.assessment``), or None."""
    return card_rules(scheme)["assessment"]


def _principals(value, default):
    value = value or default
    return list(value) if isinstance(value, list) else [value]


def loss_rule(scheme):
    """Loss and reissue (``cards.loss``; the article is ``validity.loss``'s): ``{"article", "reported_by",
    "reissued_by"}``, or None when the scheme has no such rule."""
    rule = card_rules(scheme)["loss"]
    if not scheme.loss_article or not rule:
        return None
    return {"article": scheme.loss_article, "reported_by": _principals(rule.get("reported_by"), ["holder", "department"]),
            "reissued_by": _principals(rule.get("reissued_by"), ["department"])}


def renewal_rule(scheme):
    """Renewal of a card with a fixed period (``cards.renewal``): ``{"by", "window_days"}``, or None."""
    rule = card_rules(scheme)["renewal"]
    if not rule:
        return None
    return {"by": _principals(rule.get("by"), ["department"]), "window_days": int(rule.get("window_days") or 90)}


def exit_approval_rule(scheme):
    """``cards.exit_approval``: where the scheme file asks for it, an exit the managing department decides is
    requested by one officer and takes effect only when a second officer approves it (``{"article"|"setting"}``);
    None where one officer decides."""
    return card_rules(scheme).get("exit_approval")


def reminder_days(scheme):
    """Days before a card's end at which the holder and the employer are reminded (``cards.reminders``)."""
    rule = card_rules(scheme)["reminders"]
    return tuple(sorted((rule or {}).get("days_before") or (), reverse=True))


# --- who may act -------------------------------------------------------------------------------------


def card_departments(card_or_scheme):
    """The departments that manage the cards of a scheme (plus the holder's authority where it acts)."""
    card = card_or_scheme if isinstance(card_or_scheme, Card) else None
    scheme = card.scheme if card else card_or_scheme
    rules = card_rules(scheme)
    managed = rules["managed_by"] or {}
    departments = scheme.departments.all()
    if managed.get("departments"):
        found = list(departments.filter(code__in=managed["departments"]))
    else:
        found = list(departments.filter(kind__in=managed.get("kinds") or ()))
    if card is not None and rules["authority_acts"] and card.dossier.authority_id:
        found.append(card.dossier.authority)
    return found


def _member_of(user, departments):
    group_ids = {d.group_id for d in departments if d is not None}
    if not group_ids or not user.is_authenticated:
        return None
    mine = set(user.groups.filter(pk__in=group_ids).values_list("pk", flat=True))
    return next((d for d in departments if d is not None and d.group_id in mine), None)


def _stands_for(user, card, principal):
    """(principal, department) if ``user`` stands for ``principal`` on ``card``, else None."""
    if principal == "holder" and user.pk == card.holder_id:
        return ("holder", None)
    if principal == "employer":
        employers = [card.employer] if card.employer_id else [card.dossier.employer]
        department = _member_of(user, employers)
        if department:
            return ("employer", department)
    if principal == "department":
        department = _member_of(user, card_departments(card))
        if department:
            return ("department", department)
        if user.is_superuser:
            return ("department", None)
    if principal == "bank":
        department = _member_of(user, list(card.scheme.departments.filter(kind=DepartmentKind.BANK)))
        if department:
            return ("bank", department)
    return None


def _acting(user, card, principals):
    """((principal, department) or None, the first principal refused because the card is the user's own)."""
    if not user.is_authenticated:
        return None, None
    refused = None
    for principal in principals:
        found = _stands_for(user, card, principal)
        if found is None:
            continue
        if found[0] != "holder" and user.pk == card.holder_id:
            refused = refused or found[0]  # nobody decides on their own card as its employer, department or bank
            continue
        return found, None
    return None, refused


def acting_as(user, card, principals):
    """(principal, department) under which ``user`` may act on ``card``, or None.

    Principals: ``holder``, ``employer`` (a contact of the holder's employer), ``department`` (the
    departments that manage the scheme's cards; superusers act as the department), ``bank``. The holder
    acts on their own card only as the holder."""
    return _acting(user, card, principals)[0]


def _own_card_refusal(user, card, acting):
    return SelfDealing(
        _("You cannot decide on your own card %(number)s.") % {"number": card.number},
        code="own_card",
        journal={"action": "casefiles.card.refused", "actor": user, "dossier": card.dossier, "obj": card,
                 "data": {"number": card.number, "acting_as": acting}},
    )


def may_manage_cards(user, scheme):
    return user.is_superuser or _member_of(user, card_departments(scheme)) is not None


def manages_cards_of_any_scheme(user):
    """Whether ``user`` may manage the cards of some scheme (:func:`may_manage_cards` for any of them): the admin menu
    asks on every page. Read from the user's own departments and their schemes' card rules (two queries, a handful
    of rows), not from every scheme's departments."""
    from ..models import Department, Scheme

    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    departments = Department.objects.filter(group__in=user.groups.values("pk")).only("pk", "code", "kind")
    departments = departments.prefetch_related(Prefetch("schemes", queryset=Scheme.objects.only("pk", "card_rules")))
    return any(department_manages_cards(department, scheme)
               for department in departments for scheme in department.schemes.all())


def _require(user, card, principals, action):
    found, refused = _acting(user, card, principals)
    if refused is not None:
        raise _own_card_refusal(user, card, refused)
    if found is None:
        raise TransitionDenied(_("You may not %(action)s card %(number)s.") % {"action": action, "number": card.number})
    return found


def _lock(card):
    return Card.objects.select_for_update().get(pk=card.pk)


def _load(card):
    return Card.objects.select_related("scheme", "tier", "dossier", "employer", "holder").get(pk=card.pk)


def _record(card, kind, *, user=None, acting="", department=None, article="", reason=None, comment="", data=None, effective_on=None):
    """Record the event on the card's history and in the journal (personal data scrubbed)."""
    effective_on = effective_on or timezone.localdate()
    comment = (comment or "").strip()
    event = CardEvent.objects.create(
        card=card,
        kind=kind,
        article=article or "",
        reason=reason,
        actor=user if getattr(user, "is_authenticated", False) else None,
        acting_as=acting,
        department=department,
        comment=comment,
        data=data or {},
        effective_on=effective_on,
    )
    journal_write(
        action=f"casefiles.card.{kind}",
        actor=user,
        dossier=card.dossier,
        obj=card,
        department=department,
        data={
            "number": card.number,
            "status": card.status,
            "article": article or "",
            "reason": reason.ref if reason else "",
            "acting_as": acting,
            "comment": scrub_text(comment),
            "effective_on": str(effective_on),
            **(data or {}),
        },
    )
    card_event_recorded.send(sender=Card, card=card, event=event)
    return event


def _employer_contacts(card):
    employer = card.employer or card.dossier.employer
    if employer is None:
        return []
    return list(get_user_model().objects.filter(groups=employer.group, is_active=True))


def _notify_holder(card, subject, body, event, employer_too=False):
    recipients = [card.holder] + (_employer_contacts(card) if employer_too else [])
    notify(recipients=recipients, subject=subject, body=body, url=f"/cards/{card.pk}/", event=f"card.{event}")


# --- issuance ----------------------------------------------------------------------------------------


def _issue_article(scheme):
    transition = scheme.transitions.filter(issues_card=True).first()
    return transition.article if transition and transition.article else scheme.validity_article


def _new_number(scheme, today):
    from .dossiers import next_sequence

    sequence = next_sequence(scheme, "card", today.year)
    return scheme.card_number_format.format(year=today.year, seq=sequence)


@refusals_journaled
@transaction.atomic
def card_issue(*, dossier, user, department=None, replaces=None):
    """Issue the card of an approved dossier (called by the workflow on the transition that issues cards)."""
    refuse_own_dossier(user, dossier, "card_issue")
    scheme = dossier.scheme
    today = timezone.localdate()
    item = ProductionItem.objects.filter(dossier=dossier, card__isnull=True, produced_at__isnull=False).first()
    card = Card.objects.create(
        scheme=scheme,
        dossier=dossier,
        number=_new_number(scheme, today),
        tier=dossier.granted_tier or dossier.requested_tier,
        holder=dossier.applicant,
        holder_name=dossier.applicant_name,
        employer=dossier.employer,
        contract_end=dossier.contract_end,
        status=CardStatus.ACTIVE,
        valid_from=today,
        valid_until=validity_for(scheme, dossier, today),
        replaces=replaces,
        produced_at=item.produced_at if item else None,
    )
    if item is not None:
        item.card = card
        item.save(update_fields=["card"])
    _record(
        card,
        CardEventKind.ISSUE,
        user=user,
        acting="department",
        department=department,
        article=_issue_article(scheme),
        data={"tier": card.tier.code, "valid_until": str(card.valid_until or ""), "validity_article": scheme.validity_article},
    )
    _notify_holder(card, _("Your card %(number)s has been issued") % {"number": card.number},
                   _("Your %(scheme)s (%(tier)s) is active.") % {"scheme": scheme.name, "tier": card.tier.name}, "issue")
    return card


# --- exits: revocation, recall, contact list, termination, retirement ---------------------------------


def _refuse_bad_date(value, field):
    """Refuse a date an event takes effect on that is not a date or lies implausibly far from today (1900-01-01,
    9999-12-31): the shared check of casefiles/validation.py."""
    from ..validation import event_date_problem

    message = event_date_problem(value)
    if message:
        raise CaseFileError(message, code=field)


def _refuse_bad_contract_end(value):
    """Refuse a contract end the dossier service would refuse (casefiles/validation.py dates_problem)."""
    from ..validation import dates_problem

    problem = dates_problem({"contract_end": value})
    if problem:
        raise CaseFileError(problem[1], code=problem[0])


def _check_reason(card, reason):
    if reason.scheme_id != card.scheme_id:
        raise CaseFileError(_("This reason belongs to another scheme."), code="reason")


def exit_check_status(card, reason):
    """Refuse (StateConflict) an exit the card's status no longer allows: ending all services also ends a card on
    the contact list; every other effect needs an active or suspended card."""
    allowed = LIVE_STATUSES if reason.effect == ExitEffect.TERMINATE_ALL else (CardStatus.ACTIVE, CardStatus.SUSPENDED)
    if card.status not in allowed:
        raise StateConflict(
            _("Card %(number)s is %(status)s; this is not possible now.") % {"number": card.number, "status": card.get_status_display()},
            card.status,
        )


def exit_outcome(card, reason, today=None):
    """What ending ``card`` for ``reason`` on ``today`` changes on it, as the fields it sets — the one reading of a
    reason's effect, for the service that applies it and the page that asks to confirm it. Nothing is saved."""
    today = today or timezone.localdate()
    effect = reason.effect
    if effect in (ExitEffect.REVOKE, ExitEffect.RECALL):
        return {"status": CardStatus.REVOKED, "ended_at": today, "end_reason": reason}
    if effect == ExitEffect.TERMINATE_ALL:
        return {"status": CardStatus.REVOKED, "ended_at": today, "end_reason": reason, "bank_services": False}
    if effect == ExitEffect.CONTACT_LIST:
        ends = first_of_next_month(today)
        return {"status": CardStatus.CONTACT_LIST, "end_reason": reason, "services_end_on": ends, "ended_at": ends,
                "priority_reapplication": True}
    return {"retired_on": today}  # keep until the end of the period


def _apply_exit(card, reason, *, user, acting, department, comment, effective_on=None, request=None):
    today = effective_on or timezone.localdate()
    effect = reason.effect
    exit_check_status(card, reason)
    data = {"effect": effect, "reason_text": reason.text}
    if request is not None:
        data["request"] = request.pk
    for field, value in exit_outcome(card, reason, today).items():
        setattr(card, field, value)
    if effect == ExitEffect.TERMINATE_ALL:
        data["bank_services"] = False
    elif effect == ExitEffect.CONTACT_LIST:
        data.update(services_end_on=str(card.services_end_on), bank_services=card.bank_services)
    elif effect == ExitEffect.KEEP_UNTIL_END:
        data["valid_until"] = str(card.valid_until or "")
    card.save()
    event = _record(card, EXIT_EFFECT_EVENT[effect], user=user, acting=acting, department=department, article=reason.article,
                    reason=reason, comment=comment, data=data, effective_on=today)
    _notify_holder(card, _("Your card %(number)s: %(event)s") % {"number": card.number, "event": event.get_kind_display()},
                   _("Reason: %(article)s %(text)s") % {"article": reason.article, "text": reason.text}, event.kind, employer_too=True)
    return event


def revoke_check(card, reason, user):
    """(acting, department) under which ``user`` ends ``card`` for ``reason`` by the department's own decision, or
    the refusal: another scheme's reason, an article that lets only the holder or employer propose it, a user who does
    not manage the scheme's cards (or whose own card it is), a scheme whose exits need a second officer
    (``cards.exit_approval``: request instead), a card whose status no longer allows it."""
    _check_reason(card, reason)
    if "department" not in (reason.requested_by or []):
        raise TransitionDenied(
            _("Under %(article)s the department cannot end a card on its own: the %(who)s must propose it.")
            % {"article": reason.article, "who": ", ".join(reason.requested_by)}
        )
    acting, department = _require(user, card, ["department"], _("end"))
    if exit_approval_rule(card.scheme):
        raise FourEyes(_("Ending a card of %(scheme)s needs a second officer: request it, and a colleague approves it.")
                       % {"scheme": card.scheme.name})
    exit_check_status(card, reason)
    return acting, department


@refusals_journaled
@transaction.atomic
def card_revoke(*, card, reason, user, comment, effective_on=None):
    """The managing department ends a card directly, where the article lets it (``requested_by`` has
    ``department``). The reason's effect decides what happens: revoke, recall, contact list, terminate all
    (bank services too) or keep until the end of the period."""
    _refuse_bad_date(effective_on, "effective_on")
    _lock(card)
    card = _load(card)
    acting, department = revoke_check(card, reason, user)
    if not (comment or "").strip():
        raise CaseFileError(_("Please give the facts behind the decision."), code="comment_required")
    event = _apply_exit(card, reason, user=user, acting=acting, department=department, comment=comment, effective_on=effective_on)
    ExitCandidate.objects.filter(card=card, status=ExitCandidateStatus.OPEN).update(
        status=ExitCandidateStatus.CONFIRMED, reviewed_by=user, reviewed_at=timezone.now()
    )
    return event


def revocation_requesters(card, reason):
    """Who may ask for ``card`` to end for ``reason``: the holder or the employer the article names, and the managing
    department's officers where the scheme's exits need a second officer (``cards.exit_approval``)."""
    principals = [p for p in reason.requested_by or [] if p in ("holder", "employer")]
    if "department" in (reason.requested_by or []) and exit_approval_rule(card.scheme):
        principals.append("department")
    return principals


def revocation_request_check(card, reason, user):
    """(acting, department) under which ``user`` asks for ``card`` to end for ``reason``, or the refusal."""
    _check_reason(card, reason)
    found, refused = _acting(user, card, revocation_requesters(card, reason))
    if refused is not None:
        raise _own_card_refusal(user, card, refused)
    if found is None:
        raise TransitionDenied(_("Under %(article)s you may not request this.") % {"article": reason.article})
    if card.status not in LIVE_STATUSES:
        raise StateConflict(_("Card %(number)s is no longer in force.") % {"number": card.number}, card.status)
    exit_check_status(card, reason)
    if RevocationRequest.objects.filter(card=card, status=RevocationRequestStatus.PROPOSED).exists():
        raise StateConflict(_("A request to end this card is already waiting for a decision."), card.status)
    return found


@refusals_journaled
@transaction.atomic
def card_request_revocation(*, card, reason, user, comment):
    """The holder or the employer asks for the card to end (聊城 第三十四条: the employer proposes)."""
    _lock(card)
    card = _load(card)
    acting, department = revocation_request_check(card, reason, user)
    if not (comment or "").strip():
        raise CaseFileError(_("Please give the facts behind the request."), code="comment_required")
    request = RevocationRequest.objects.create(card=card, reason=reason, requested_by=user, requested_as=acting, comment=comment.strip())
    _record(card, CardEventKind.REQUEST_REVOCATION, user=user, acting=acting, department=department, article=reason.article,
            reason=reason, comment=comment, data={"request": request.pk})
    managers = get_user_model().objects.filter(groups__in=[d.group_id for d in card_departments(card)]).distinct()
    notify(recipients=list(managers), subject=_("Request to end card %(number)s") % {"number": card.number},
           body=_("%(article)s: %(text)s") % {"article": reason.article, "text": reason.text},
           url=f"/admin/card-registry/{card.pk}/", event="card.request_revocation")  # where agree/decline are
    return request


card_propose_revocation = card_request_revocation


def _open_request_for_decision(request, user):
    """A proposed request to end a card, locked with its card, and who decides it (the managing department)."""
    request = RevocationRequest.objects.select_for_update().get(pk=request.pk)
    _lock(request.card)
    card = _load(request.card)
    acting, department = revocation_decision_check(request, card, user)
    return request, card, acting, department


def revocation_decision_check(request, card, user):
    """(acting, department) under which ``user`` decides a request to end ``card``, or the refusal: a request
    already decided, a user who does not manage the scheme's cards, the officer who made the request (a colleague
    decides: four eyes)."""
    if request.status != RevocationRequestStatus.PROPOSED:
        raise StateConflict(_("This request has already been decided."), request.status)
    acting, department = _require(user, card, ["department"], _("decide on a request to end"))
    if request.requested_by_id == user.pk:
        raise FourEyes(_("You made this request; a colleague decides it."))
    return acting, department


@refusals_journaled
@transaction.atomic
def card_agree_revocation(*, request, user, comment=""):
    """The managing department agrees to a request; the reason's effect is applied (聊城: card recalled)."""
    request, card, acting, department = _open_request_for_decision(request, user)
    request.status, request.decided_by, request.decided_at = RevocationRequestStatus.AGREED, user, timezone.now()
    request.decision_comment = (comment or "").strip()
    request.save()
    text = request.comment + (f"\n{request.decision_comment}" if request.decision_comment else "")
    return _apply_exit(card, request.reason, user=user, acting=acting, department=department, comment=text, request=request)


@refusals_journaled
@transaction.atomic
def card_decline_revocation(*, request, user, comment):
    request, card, acting, department = _open_request_for_decision(request, user)
    if not (comment or "").strip():
        raise CaseFileError(_("Please say why the request is declined."), code="comment_required")
    request.status, request.decided_by, request.decided_at = RevocationRequestStatus.DECLINED, user, timezone.now()
    request.decision_comment = comment.strip()
    request.save()
    _record(card, CardEventKind.DECLINE_REVOCATION, user=user, acting=acting, department=department,
            article=request.reason.article, reason=request.reason, comment=comment, data={"request": request.pk})
    return request


def _reason_with_effect(card, effect):
    reason = RevocationReason.objects.filter(scheme=card.scheme, effect=effect).order_by("order").first()
    if reason is None:
        raise CaseFileError(_("%(scheme)s has no such rule.") % {"scheme": card.scheme.name}, code="no_rule")
    return reason


def card_move_to_contact_list(*, card, user, comment, effective_on=None):
    """白云 第六条第（一）项: no longer qualifies → contact list; talent services end from the first day of the
    next month, bank services continue, priority on re-application."""
    return card_revoke(card=card, reason=_reason_with_effect(card, ExitEffect.CONTACT_LIST), user=user, comment=comment,
                       effective_on=effective_on)


def card_terminate_all(*, card, user, comment, effective_on=None):
    """白云 第六条第（二）项: fraud, crime, ethics → all services end, bank services included."""
    return card_revoke(card=card, reason=_reason_with_effect(card, ExitEffect.TERMINATE_ALL), user=user, comment=comment,
                       effective_on=effective_on)


@refusals_journaled
@transaction.atomic
def card_record_retirement(*, card, user, comment, retired_on=None):
    """白云 第六条第（三）项: a retired holder keeps the card to the end of its management period. The employer
    or the department reports it. In schemes without that rule retirement is an exit reason the daily job
    lists for review instead."""
    _refuse_bad_date(retired_on, "retired_on")
    reason = _reason_with_effect(card, ExitEffect.KEEP_UNTIL_END)
    _lock(card)
    card = _load(card)
    acting, department = _require(user, card, reason.requested_by or ["department"], _("report the retirement of the holder of"))
    if card.retired_on:
        raise StateConflict(_("The retirement has already been recorded."), card.status)
    return _apply_exit(card, reason, user=user, acting=acting, department=department, comment=comment, effective_on=retired_on)


@refusals_journaled
@transaction.atomic
def card_reinstate(*, card, user, comment):
    """白云 第六条第（一）项: a holder on the contact list who qualifies again gets the talent services back
    (priority on re-application)."""
    _lock(card)
    card = _load(card)
    acting, department = _require(user, card, ["department"], _("reinstate"))
    if card.status != CardStatus.CONTACT_LIST:
        raise StateConflict(_("Only a card on the contact list can be reinstated."), card.status)
    if card.valid_until and card.valid_until < timezone.localdate():
        raise StateConflict(_("The card's period has ended; the holder re-applies (with priority)."), card.status)
    article = card.end_reason.article if card.end_reason else ""
    card.status, card.services_end_on, card.ended_at, card.end_reason = CardStatus.ACTIVE, None, None, None
    card.save()
    return _record(card, CardEventKind.REINSTATE, user=user, acting=acting, department=department, article=article,
                   comment=comment, data={"priority": True})


# --- loss and reissue (通化 第十五条, 吉林 第十条) ------------------------------------------------------------


def _loss_rule(card):
    rule = loss_rule(card.scheme)
    if rule is None:
        raise CaseFileError(_("%(scheme)s has no loss and reissue rule.") % {"scheme": card.scheme.name}, code="no_rule")
    return rule


def report_loss_check(card, user):
    """(article, acting, department) under which ``user`` reports ``card`` lost, or the refusal."""
    rule = _loss_rule(card)
    acting, department = _require(user, card, rule["reported_by"], _("report the loss of"))
    if card.status != CardStatus.ACTIVE:
        raise StateConflict(_("Only an active card can be reported lost."), card.status)
    return rule["article"], acting, department


@refusals_journaled
@transaction.atomic
def card_report_loss(*, card, user, comment=""):
    """The holder (or the department on the holder's behalf) reports the card lost: it is suspended at once."""
    _lock(card)
    card = _load(card)
    article, acting, department = report_loss_check(card, user)
    card.status, card.lost_reported_at = CardStatus.SUSPENDED, timezone.now()
    card.save()
    event = _record(card, CardEventKind.REPORT_LOSS, user=user, acting=acting, department=department, article=article, comment=comment)
    _notify_holder(card, _("Card %(number)s reported lost") % {"number": card.number},
                   _("The card is suspended. Apply for a reissue with proof."), "report_loss")
    return event


def reissue_check(card, user):
    """(article, acting, department) under which ``user`` reissues ``card``, or the refusal."""
    rule = _loss_rule(card)
    acting, department = _require(user, card, rule["reissued_by"], _("reissue"))
    if card.status != CardStatus.SUSPENDED or not card.lost_reported_at:
        raise StateConflict(_("A card is reissued only after its loss has been reported."), card.status)
    return rule["article"], acting, department


@refusals_journaled
@transaction.atomic
def card_reissue(*, card, user, comment):
    """Reissue a lost card on proof: the old number is dead (replaced), a new number with the same tier and
    period is issued, with a new verification token."""
    _lock(card)
    card = _load(card)
    article, acting, department = reissue_check(card, user)
    if not (comment or "").strip():
        raise CaseFileError(_("Please name the proof the holder produced."), code="comment_required")
    today = timezone.localdate()
    card.status, card.ended_at = CardStatus.REPLACED, today
    card.save()
    new = Card.objects.create(
        scheme=card.scheme, dossier=card.dossier, number=_new_number(card.scheme, today), tier=card.tier,
        holder=card.holder, holder_name=card.holder_name, employer=card.employer, contract_end=card.contract_end,
        particulars=card.particulars, status=CardStatus.ACTIVE, valid_from=today, valid_until=card.valid_until,
        replaces=card, retired_on=card.retired_on, priority_reapplication=card.priority_reapplication,
        reminders_sent=card.reminders_sent,
    )
    _record(card, CardEventKind.REISSUE, user=user, acting=acting, department=department, article=article, comment=comment,
            data={"new_number": new.number})
    _record(new, CardEventKind.ISSUE, user=user, acting=acting, department=department, article=article,
            comment=comment, data={"replaces": card.number, "valid_until": str(new.valid_until or "")})
    _notify_holder(new, _("Your card has been reissued as %(number)s") % {"number": new.number},
                   _("The old number %(old)s is no longer valid.") % {"old": card.number}, "reissue")
    return new


# --- renewal and reminders -------------------------------------------------------------------------------


@refusals_journaled
@transaction.atomic
def card_renew(*, card, user, comment, contract_end=None):
    """通化 第十五条: a holder who still qualifies when the period ends gets a new period after review
    (bounded by the contract again). 白云 has no renewal: the holder re-applies with priority."""
    if contract_end is not None:
        _refuse_bad_contract_end(contract_end)
    _lock(card)
    card = _load(card)
    scheme = card.scheme
    acting, department = renew_check(card, user)
    if not (comment or "").strip():
        raise CaseFileError(_("Please record the re-check of eligibility."), code="comment_required")
    if contract_end is not None:
        card.contract_end = contract_end
    start, until = renewal_period(card)
    if card.contract_end and card.contract_end < start:
        raise CaseFileError(_("The employment contract has ended; the holder no longer qualifies."), code="contract_end")
    before = str(card.valid_until or "")
    card.valid_from, card.valid_until = start, until
    card.status, card.ended_at, card.reminders_sent = CardStatus.ACTIVE, None, []
    card.save()
    return _record(card, CardEventKind.RENEW, user=user, acting=acting, department=department,
                   article=scheme.renewal_article or scheme.validity_article, comment=comment,
                   data={"valid_until_before": before, "valid_until": str(card.valid_until or "")})


def renewal_period(card, today=None):
    """(first day, last day) of the period a renewal of ``card`` gives: from the day after its end (today, if it has
    ended), bounded by the scheme's rule and the contract as at issuance."""
    today = today or timezone.localdate()
    start = max(today, card.valid_until + datetime.timedelta(days=1)) if card.valid_until else today
    return start, validity_for(card.scheme, None, start, contract_end=card.contract_end)


def renew_check(card, user, today=None):
    """(acting, department) under which ``user`` renews ``card`` now, or the refusal (the scheme renews no cards, the
    user may not, the card's status or retirement, renewal not open yet)."""
    scheme = card.scheme
    if scheme.validity_rule != ValidityRule.CONTRACT_BOUNDED:
        if scheme.validity_rule == ValidityRule.FIXED_FROM_ISSUANCE:
            raise CaseFileError(_("The period cannot be renewed: the holder re-applies, with priority (%(article)s).")
                                % {"article": scheme.renewal_article or scheme.validity_article}, code="reapply")
        raise CaseFileError(_("Cards of this scheme have no fixed period to renew."), code="no_rule")
    rule = renewal_rule(scheme)
    if rule is None:
        raise CaseFileError(_("Cards of this scheme are not renewed."), code="no_rule")
    acting, department = _require(user, card, rule["by"], _("renew"))
    today = today or timezone.localdate()
    if card.status not in (CardStatus.ACTIVE, CardStatus.EXPIRED):
        raise StateConflict(_("Only an active or expired card can be renewed."), card.status)
    if card.retired_on:
        raise StateConflict(_("A retired holder keeps the card only to the end of its period."), card.status)
    if card.valid_until and card.valid_until - today > datetime.timedelta(days=rule["window_days"]):
        raise StateConflict(_("Renewal opens %(days)s days before the card expires.") % {"days": rule["window_days"]}, card.status)
    return acting, department


def cards_send_reminders(*, today=None):
    """Expiry reminders to the holder and the employer, the days ahead the scheme's ``cards.reminders`` names (60
    and 30 by default); each sent once. Returns the number sent."""
    today = today or timezone.localdate()
    sent = 0
    for scheme in Scheme.objects.filter(cards__status=CardStatus.ACTIVE).distinct():
        days_before = reminder_days(scheme)
        if days_before:
            sent += _send_reminders(scheme, days_before, today)
    return sent


def _send_reminders(scheme, days_before, today):
    sent = 0
    horizon = today + datetime.timedelta(days=max(days_before))
    due = Card.objects.filter(scheme=scheme, status=CardStatus.ACTIVE, valid_until__gte=today, valid_until__lte=horizon)
    for card_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            card = Card.objects.select_for_update().get(pk=card_id)
            left = (card.valid_until - today).days
            pending = [d for d in days_before if left <= d and d not in card.reminders_sent]
            if not pending:
                continue
            days = min(pending)
            card.reminders_sent = sorted(set(card.reminders_sent) | set(pending))
            card.save(update_fields=["reminders_sent"])
            card = _load(card)
            article = card.scheme.renewal_article or card.scheme.validity_article
            _record(card, CardEventKind.REMIND, article=article, data={"days_ahead": days, "valid_until": str(card.valid_until)})
            _notify_holder(card, _("Card %(number)s expires on %(date)s") % {"number": card.number, "date": card.valid_until},
                           _("%(name)s's card expires in %(days)s days. %(rule)s")
                           % {"name": card.holder_name, "days": left, "rule": card.scheme.renewal_text}, "remind", employer_too=True)
            sent += 1
    return sent


def cards_expire_due(*, today=None):
    """Cards whose period has ended become expired (通化 第十五条: services lapse unless renewed)."""
    today = today or timezone.localdate()
    expired = 0
    due = Card.objects.filter(status__in=(CardStatus.ACTIVE, CardStatus.SUSPENDED), valid_until__lt=today)
    for card_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            card = Card.objects.select_for_update().get(pk=card_id)
            if card.status not in (CardStatus.ACTIVE, CardStatus.SUSPENDED) or card.valid_until >= today:
                continue
            card.status, card.ended_at = CardStatus.EXPIRED, card.valid_until
            card.save(update_fields=["status", "ended_at"])
            card = _load(card)
            _record(card, CardEventKind.EXPIRE, article=card.scheme.validity_article,
                    data={"valid_until": str(card.valid_until)}, effective_on=card.valid_until + datetime.timedelta(days=1))
            expired += 1
    return expired


# --- automatic exit rules (通化 第十六条（六）（七）（八）, 吉林 第十一条（六）（七）（八）): listed, never applied -------
#
# A reason's ``automatic_when`` (scheme data) names the facts its rule needs: ``age`` (from the birth date, or the
# resident ID), ``talent_category`` (A–E), ``retired``, ``left_region``. They are asked on the application and kept
# current on the card's particulars (the employer reports changes: 聊城 第三十三条, 吉林 第十二条). A holder is
# listed for review only when every fact is known and met; when one is unknown (and none fails) the holder goes on
# the "to confirm" list instead — never on the exit list.

#: Exit facts a card's particulars may carry (besides ``birth_date``); before any report the application's answers
#: stand. ``left_region`` is false at issuance: the card was issued to someone working in the region.
EXIT_FACT_FIELDS = ("talent_category", "retired", "left_region")
EXIT_FACT_AT_ISSUE = {"left_region": False}
TALENT_CATEGORY_NONE = "none"


def _categories(value):
    """The talent categories a declared value allows ("C", "A/B", "none" → empty), or None when it says nothing."""
    if value is None or str(value).strip() == "":
        return None
    if str(value).strip().lower() == TALENT_CATEGORY_NONE:
        return frozenset()
    return frozenset(c.strip().upper() for c in str(value).replace("/", ",").split(",") if c.strip())


def talent_categories(card_or_dossier):
    """The provincial talent categories the holder may be in: the declared fact (the card's particulars first, then
    the application), else those of the claimed criteria when every one names its category; None when unknown.
    An empty set means the holder is in no category."""
    card = card_or_dossier if isinstance(card_or_dossier, Card) else None
    dossier = card.dossier if card is not None else card_or_dossier
    declared = _categories((card.particulars or {}).get("talent_category")) if card is not None else None
    if declared is None:
        declared = _categories((dossier.facts or {}).get("talent_category"))
    if declared is not None:
        return declared
    values = list(dossier.criteria.values_list("talent_category", flat=True))
    if not values or any(not (v or "").strip() for v in values):
        return None  # a criterion that names no category says nothing about the holder's
    return frozenset(c.strip().upper() for v in values for c in v.split("/") if c.strip())


def birth_date_of(dossier, card=None):
    """The holder's birth date: reported on the card, given on the application, or read from the resident ID."""
    from ..masking import birth_date_from_resident_id

    reported = (card.particulars or {}).get("birth_date") if card is not None else None
    if reported:
        try:
            return datetime.date.fromisoformat(str(reported))
        except ValueError:
            pass
    if dossier.birth_date:
        return dossier.birth_date
    if dossier.id_type == "resident_id":
        return birth_date_from_resident_id(dossier.id_number)
    return None


def _age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def card_exit_facts(card, today):
    """The exit facts of a live card as of ``today`` (None: unknown)."""
    dossier = card.dossier
    recorded = {**EXIT_FACT_AT_ISSUE, **{k: v for k, v in (dossier.facts or {}).items() if k in EXIT_FACT_FIELDS}}
    recorded.update({k: v for k, v in (card.particulars or {}).items() if k in EXIT_FACT_FIELDS})
    birth = birth_date_of(dossier, card)
    return {
        "age": _age_on(birth, today) if birth else None,
        "talent_category": talent_categories(card),
        "retired": True if card.retired_on else recorded.get("retired"),
        "left_region": recorded.get("left_region"),
    }


def condition_status(condition, facts):
    """met / failed / unknown of one ``automatic_when`` condition against :func:`card_exit_facts`."""
    from ..eligibility import FAILED, MET, UNKNOWN, fact_passes

    value = facts.get(condition.get("fact"))
    if value is None:
        return UNKNOWN
    if "in" in condition:
        wanted = {str(c).upper() for c in condition["in"]}
        if not value or not (value & wanted):
            return FAILED
        return MET if value <= wanted else UNKNOWN  # "C/D" against C: it depends on which one
    return MET if fact_passes(value, condition.get("test")) else FAILED


def exit_rule_status(reason, card, today, facts=None):
    """(met | failed | unknown, the facts still unknown) of a reason's automatic rule for one card."""
    from ..eligibility import FAILED, MET, UNKNOWN
    from ..schemes.validate import automatic_when_of

    facts = card_exit_facts(card, today) if facts is None else facts
    conditions = automatic_when_of({"automatic_rule": reason.automatic_rule, "automatic_when": reason.automatic_when})
    statuses = [(c, condition_status(c, facts)) for c in conditions]
    if not statuses or any(st == FAILED for _c, st in statuses):
        return FAILED, []
    unknown = [c["fact"] for c, st in statuses if st == UNKNOWN]
    return (UNKNOWN if unknown else MET), unknown


def automatic_reasons(scheme=None):
    """Revocation reasons whose rule the daily job checks (``automatic_when``, or a format-1 rule name)."""
    from ..schemes.validate import automatic_when_of

    reasons = RevocationReason.objects.all() if scheme is None else RevocationReason.objects.filter(scheme=scheme)
    return [r for r in reasons.order_by("scheme_id", "order")
            if automatic_when_of({"automatic_rule": r.automatic_rule, "automatic_when": r.automatic_when})]


def exit_facts_needed(scheme):
    """The exit facts the scheme's automatic rules name, in order (what the application and particulars ask)."""
    from ..schemes.validate import automatic_when_of

    names = []
    for reason in automatic_reasons(scheme):
        for condition in automatic_when_of({"automatic_rule": reason.automatic_rule, "automatic_when": reason.automatic_when}):
            if condition.get("fact") not in names:
                names.append(condition.get("fact"))
    return names


def exit_candidates_detect(*, today=None):
    """List holders who meet an automatic exit rule, for a reviewer to confirm; holders for whom a fact the rule needs
    is unknown go on the "to confirm" list. Returns the rows created or moved to the exit list."""
    from ..eligibility import FAILED, MET

    today = today or timezone.localdate()
    live = (CardStatus.ACTIVE, CardStatus.SUSPENDED)
    # a card that is no longer live has nothing left to confirm
    ExitCandidate.objects.filter(status=ExitCandidateStatus.TO_CONFIRM).exclude(card__status__in=live).delete()
    created = []
    for reason in automatic_reasons():
        known = {c.card_id: c for c in ExitCandidate.objects.filter(reason=reason)}
        cards = Card.objects.filter(scheme=reason.scheme_id, status__in=live).select_related("dossier").order_by("pk")
        for card in cards:
            existing = known.get(card.pk)
            if existing is not None and existing.status != ExitCandidateStatus.TO_CONFIRM:
                continue  # listed, confirmed or dismissed before
            status, unknown = exit_rule_status(reason, card, today)
            data = {"number": card.number, "article": reason.article, "rule": reason.automatic_rule, "unknown": unknown}
            with transaction.atomic():
                if status == FAILED:
                    if existing is not None:  # the missing fact was reported and the rule does not apply
                        journal_write(action="casefiles.card.exit_candidate_cleared", dossier=card.dossier, obj=existing, data=data)
                        existing.delete()
                    continue
                wanted = ExitCandidateStatus.OPEN if status == MET else ExitCandidateStatus.TO_CONFIRM
                if existing is None:
                    candidate = ExitCandidate.objects.create(card=card, reason=reason, detected_on=today, status=wanted)
                elif existing.status != wanted:
                    candidate = existing
                    candidate.status, candidate.detected_on = wanted, today
                    candidate.save(update_fields=["status", "detected_on"])
                else:
                    continue
                action = "exit_candidate" if wanted == ExitCandidateStatus.OPEN else "exit_candidate_to_confirm"
                journal_write(action=f"casefiles.card.{action}", dossier=card.dossier, obj=candidate, data=data)
            created.append(candidate)
    return created


def exit_candidate_confirm(*, candidate, user, comment):
    """A reviewer confirms: the card ends under the candidate's reason (the department's own decision). A holder on
    the "to confirm" list is confirmed only once the missing facts are recorded on the card."""
    if candidate.status == ExitCandidateStatus.TO_CONFIRM:
        raise StateConflict(_("A fact this rule needs is unknown: record it on the card's particulars first."), candidate.status)
    event = card_revoke(card=candidate.card, reason=candidate.reason, user=user, comment=comment)
    candidate.refresh_from_db()
    return event


@refusals_journaled
@transaction.atomic
def exit_candidate_dismiss(*, candidate, user, comment):
    candidate = ExitCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status not in (ExitCandidateStatus.OPEN, ExitCandidateStatus.TO_CONFIRM):
        raise StateConflict(_("This candidate has already been reviewed."), candidate.status)
    card = _load(candidate.card)
    acting, department = _require(user, card, ["department"], _("review"))
    if not (comment or "").strip():
        raise CaseFileError(_("Please say why the rule does not apply."), code="comment_required")
    candidate.status, candidate.reviewed_by, candidate.reviewed_at = ExitCandidateStatus.DISMISSED, user, timezone.now()
    candidate.save()
    journal_write(action="casefiles.card.exit_candidate_dismiss", actor=user, dossier=card.dossier, obj=candidate,
                  department=department, data={"number": card.number, "article": candidate.reason.article, "comment": scrub_text(comment)})
    return candidate


# --- particulars and assessment --------------------------------------------------------------------------

PARTICULAR_FIELDS = ("holder_name", "phone", "email", "position", "sector", "employer", "contract_end",
                     "birth_date", *EXIT_FACT_FIELDS)


def _exit_fact_value(field, value):
    """The stored form of a reported exit fact (a category letter or "none", yes/no, an ISO birth date), or a
    CaseFileError with a Chinese message."""
    if field == "talent_category":
        text = str(value or "").strip()
        if text.lower() == TALENT_CATEGORY_NONE:
            return TALENT_CATEGORY_NONE
        if text.upper() not in ("A", "B", "C", "D", "E"):
            raise CaseFileError(_("The talent category must be one of A to E, or none."), code=field)
        return text.upper()
    if field == "birth_date":
        from ..validation import dates_problem

        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, datetime.date):
            raise CaseFileError(_("Please enter the date of birth as a date."), code=field)
        problem = dates_problem({"birth_date": value})
        if problem:
            raise CaseFileError(problem[1], code=field)
        return value.isoformat()
    if not isinstance(value, bool):
        raise CaseFileError(_("Please answer yes or no."), code=field)
    return value


@refusals_journaled
@transaction.atomic
def card_report_particulars(*, card, user, changes, comment=""):
    """The employer reports a change of the holder's particulars (聊城 第三十三条, 吉林 第十二条: who reports and the
    article are the scheme's ``cards.particulars``), the exit facts included (talent category, retirement, leaving
    the region, a passport holder's birth date). The employer may also be a new employer the holder moved to
    (reported by the managing department)."""
    _lock(card)
    card = _load(card)
    rule = card_rules(card.scheme)["particulars"] or {}
    reporters = rule.get("reported_by") or ["employer", "department"]
    acting, department = _require(user, card, reporters if isinstance(reporters, list) else [reporters], _("report changes to"))
    if card.status not in LIVE_STATUSES:
        raise StateConflict(_("Card %(number)s is no longer in force.") % {"number": card.number}, card.status)
    unknown = set(changes) - set(PARTICULAR_FIELDS)
    if unknown or not changes:
        raise CaseFileError(_("Unknown particulars: %(fields)s") % {"fields": ", ".join(sorted(unknown)) or "-"}, code="fields")
    from ..validation import particulars_problem

    problem = particulars_problem(changes)  # the dossier's checks: dates, identity text (casefiles/validation.py)
    if problem:
        raise CaseFileError(problem[1], code=problem[0])
    before, after = {}, {}
    for field, value in changes.items():
        if field == "holder_name":
            if not (value or "").strip():
                raise CaseFileError(_("Please enter the holder's name."), code="holder_name")
            before[field], card.holder_name = card.holder_name, value.strip()
            after[field] = card.holder_name
        elif field == "employer":
            if value is None or value.kind != DepartmentKind.EMPLOYER:
                raise CaseFileError(_("The employer must be an employer."), code="employer")
            before[field], after[field] = card.employer_id, value.pk
            card.employer = value
        elif field in EXIT_FACT_FIELDS or field == "birth_date":
            value = _exit_fact_value(field, value)
            before[field] = card.particulars.get(field, "")
            card.particulars[field] = after[field] = value
        elif field == "contract_end":
            before[field], after[field] = str(card.contract_end or ""), str(value or "")
            card.contract_end = value
            if card.scheme.validity_rule == ValidityRule.CONTRACT_BOUNDED and value and card.valid_until and value < card.valid_until:
                after["valid_until"], before["valid_until"] = str(value), str(card.valid_until)
                card.valid_until = value
        else:
            before[field] = card.particulars.get(field, "")
            card.particulars[field] = after[field] = value
    card.save()
    masked = {k: (mask_phone(str(v)) if k == "phone" else v) for k, v in before.items()}, {
        k: (mask_phone(str(v)) if k == "phone" else v) for k, v in after.items()
    }
    return _record(card, CardEventKind.PARTICULARS, user=user, acting=acting, department=department,
                   article=rule.get("article") or "", comment=comment,
                   data={"before": masked[0], "after": masked[1]})


@refusals_journaled
@transaction.atomic
def card_record_assessment(*, card, user, result, assessed_on=None, summary=""):
    """白云 第六条: the employer records its biennial assessment of a holder (the scheme's ``cards.assessment``:
    who assesses, how often, to whom it is reported)."""
    rule = assessment_rule(card.scheme)
    if not rule:
        raise CaseFileError(_("%(scheme)s has no employer assessment.") % {"scheme": card.scheme.name}, code="no_rule")
    article = rule.get("article") or ""
    _refuse_bad_date(assessed_on, "assessed_on")
    _lock(card)
    card = _load(card)
    assessors = rule.get("by") or ["employer"]
    acting, department = _require(user, card, assessors if isinstance(assessors, list) else [assessors], _("assess the holder of"))
    if result not in AssessmentResult.values:
        raise CaseFileError(_("Unknown assessment result."), code="result")
    if card.status not in LIVE_STATUSES:
        raise StateConflict(_("Card %(number)s is no longer in force.") % {"number": card.number}, card.status)
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise CaseFileError(_("An assessment cannot be in the future."), code="assessed_on")
    assessment = Assessment.objects.create(card=card, assessed_on=assessed_on, result=result, summary=summary,
                                           employer=department, recorded_by=user)
    _record(card, CardEventKind.ASSESS, user=user, acting=acting, department=department, article=article,
            comment=summary, data={"result": result, "assessed_on": str(assessed_on)}, effective_on=assessed_on)
    report_to = rule.get("report_to")
    reported = card.dossier.authority if report_to == "authority" else card.scheme.departments.filter(code=report_to).first()
    if report_to and reported is not None:
        authority_staff = get_user_model().objects.filter(groups=reported.group)
        notify(recipients=list(authority_staff), subject=_("Assessment of card %(number)s") % {"number": card.number},
               body=_("Result: %(result)s") % {"result": assessment.get_result_display()}, url=f"/admin/cards/{card.pk}/",
               event="card.assess")
    return assessment


# --- bank production ---------------------------------------------------------------------------------------


def _bank_or_department(user, scheme):
    from ..models import Department

    departments = list(Department.objects.filter(schemes=scheme, kind=DepartmentKind.BANK)) + card_departments(scheme)
    department = _member_of(user, departments)
    if department is None and not user.is_superuser:
        raise TransitionDenied(_("You may not handle card production of %(scheme)s.") % {"scheme": scheme.name})
    return department


def production_months(scheme):
    """The months in which the scheme's cards are made in batches (``cards.production.windows``, e.g. 岱山
    第五条: 6月和12月集中制卡), in calendar order; None where the scheme makes cards whenever a batch is
    ready."""
    production = card_rules(scheme).get("production") or {}
    months = sorted({w["month"] for w in production.get("windows") or ()})
    return months or None


def production_next_month(scheme, today=None):
    """The first day of the next month in which the scheme's cards are made (this month's first day when today is
    in one); None where the scheme sets no production calendar."""
    months = production_months(scheme)
    if months is None:
        return None
    today = today or timezone.localdate()
    later = [m for m in months if m >= today.month]
    return datetime.date(today.year, later[0], 1) if later else datetime.date(today.year + 1, months[0], 1)


def _production_calendar_text(scheme):
    from django.utils.dates import MONTHS

    months = "、".join(str(MONTHS[m]) for m in production_months(scheme))
    return months, (card_rules(scheme).get("production") or {}).get("article") or _("administrative setting")


def production_window_refusal(scheme, today=None):
    """Why no production batch of the scheme may be made today (its calendar), or None."""
    today = today or timezone.localdate()
    months = production_months(scheme)
    if months is None or today.month in months:
        return None
    following = production_next_month(scheme, today)
    listed, article = _production_calendar_text(scheme)
    message = _("Cards of %(scheme)s are made in batches in %(months)s only (%(article)s); the next batch is in "
                "%(next)s.")
    return message % {"scheme": scheme.name, "months": listed, "article": article,
                      "next": date_format(following, "YEAR_MONTH_FORMAT")}


@transaction.atomic
def production_batch_create(*, scheme, user, dossiers=None, today=None):
    """A batch of approved holders (dossiers waiting for card production) for the partner bank. Where the scheme
    declares a production calendar (``cards.production``), a batch is made only in one of its months."""
    department = _bank_or_department(user, scheme)
    refusal = production_window_refusal(scheme, today)
    if refusal:
        raise CaseFileError(refusal, code="outside_production_window")
    # dossiers in a stage whose way out records the card's production (a step with role card_produced)
    waiting = Dossier.objects.filter(
        scheme=scheme, state__in=WorkflowState.objects.filter(scheme=scheme, outgoing__role=TransitionRole.CARD_PRODUCED)
    ).exclude(production_items__isnull=False)
    if dossiers is not None:
        waiting = waiting.filter(pk__in=[d.pk for d in dossiers])
    waiting = list(waiting.order_by("pk"))
    if not waiting:
        raise CaseFileError(_("No approved holders are waiting for card production."), code="empty")
    from .dossiers import next_sequence

    today = today or timezone.localdate()
    seq = next_sequence(scheme, "batch", today.year)
    batch = ProductionBatch.objects.create(scheme=scheme, number=f"{scheme.slug.upper()}-{today.year}-{seq:03d}", created_by=user)
    ProductionItem.objects.bulk_create([ProductionItem(batch=batch, dossier=d) for d in waiting])
    journal_write(action="casefiles.card.production_batch", actor=user, obj=batch, department=department,
                  data={"number": batch.number, "dossiers": [d.reference for d in waiting]})
    return batch


@refusals_journaled
@transaction.atomic
def card_mark_produced(*, item, user):
    """The bank records that the card of one batch item is made. For a dossier still waiting in card
    production this fires the step of its stage whose role is ``card_produced``."""
    from .dossiers import dossier_transition

    item = ProductionItem.objects.select_for_update(of=("self",)).select_related("batch__scheme", "dossier__state").get(pk=item.pk)
    department = _bank_or_department(user, item.batch.scheme)
    refuse_own_dossier(user, item.dossier, "card_mark_produced")
    if item.produced_at:
        raise StateConflict(_("This card has already been recorded as produced."), "produced")
    item.produced_at = timezone.now()
    item.save(update_fields=["produced_at"])
    produced = item.dossier.state.outgoing.filter(role=TransitionRole.CARD_PRODUCED).order_by("order").first()
    if produced is not None:
        dossier_transition(dossier=item.dossier, transition=produced, user=user, expected_state=item.dossier.state.code)
    if item.card_id:
        card = _load(item.card)
        card.produced_at = item.produced_at
        card.save(update_fields=["produced_at"])
        _record(card, CardEventKind.PRODUCE, user=user, acting="bank", department=department, data={"batch": item.batch.number})
    else:
        journal_write(action="casefiles.card.produce", actor=user, dossier=item.dossier, obj=item, department=department,
                      data={"batch": item.batch.number})
    return item


@refusals_journaled
@transaction.atomic
def card_mark_handed_out(*, card, user):
    _lock(card)
    card = _load(card)
    department = _bank_or_department(user, card.scheme)
    if user.pk == card.holder_id:
        raise _own_card_refusal(user, card, "bank")
    if card.handed_out_at:
        raise StateConflict(_("This card has already been handed out."), card.status)
    if card.status != CardStatus.ACTIVE:
        raise StateConflict(_("Only an active card is handed out."), card.status)
    card.handed_out_at = timezone.now()
    card.save(update_fields=["handed_out_at"])
    return _record(card, CardEventKind.HAND_OUT, user=user, acting="bank", department=department)


@transaction.atomic
def production_batch_mark_exported(*, batch, user):
    ProductionBatch.objects.filter(pk=batch.pk, exported_at__isnull=True).update(exported_at=timezone.now())
    journal_write(action="casefiles.card.production_export", actor=user, obj=batch, data={"number": batch.number})


def production_calendar_refusal(dossier):
    """Why the dossier's card may not be recorded as produced yet: its scheme makes cards only in the batches of
    its calendar (``cards.production``) and the dossier is on none. None otherwise (read by the transition
    action's check, so the step is neither offered nor fired)."""
    if production_months(dossier.scheme) is None or dossier.production_items.exists():
        return None
    listed, article = _production_calendar_text(dossier.scheme)
    return _("Cards of %(scheme)s are made only in the production batches of %(months)s (%(article)s): put the "
             "dossier on a batch.") % {"scheme": dossier.scheme.name, "months": listed, "article": article}


def card_issue_on_transition(sender, *, dossier, transition, user, department=None, **kwargs):
    """Receiver of ``dossier_transitioned``: the step whose data says ``issues_card`` issues the card."""
    if transition.issues_card:
        dossier.issued_card = card_issue(dossier=dossier, user=user, department=department)

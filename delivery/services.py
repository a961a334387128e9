"""Writes of service delivery: a holder's request, each step of the unit's work order, the overdue reminder and
the units' holder lists. Every mutation is one action with ``check()`` (raises the reason, writes nothing) and
``execute()`` (checks again under a row lock, then changes, journals and notifies in one transaction), used alike
by the portal, the admin and the API.

What a scheme decides comes from its data: the services of a tier (and the tiers it includes), the responsible
units, the time limit and its article. The states are the work order's own lifecycle, the same for every scheme.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casefiles.exceptions import CaseFileError, StateConflict, TransitionDenied
from casefiles.journal_text import when_text
from casefiles.models import CardStatus, Membership, ServiceRequester, TimeLimitUnit
from casefiles.notify import notify
from casefiles.services.calendar import WorkingCalendar
from casefiles.services.journal import journal_write

from .limits import due_on, time_limit_for
from .models import ServiceRequest, ServiceRequestState, UnitHolder

S = ServiceRequestState


class ServiceRefused(CaseFileError):
    """A request the card does not allow: the reason names the article (HTTP 400, nothing stored)."""

    def __init__(self, message, article=""):
        super().__init__(message, code="service_refused")
        self.article = article


# --- who -----------------------------------------------------------------------------------------------------


def unit_members(unit):
    return list(get_user_model().objects.filter(memberships__department=unit, is_active=True).distinct())


def is_unit_member(user, unit_id):
    return (
        getattr(user, "is_authenticated", False)
        and Membership.objects.filter(user=user, department_id=unit_id).exists()
    )


def office_members(scheme):
    """The people of the programme office that supervises the scheme's delivery (督办)."""
    from programmes.selectors import approver_department

    office = approver_department(scheme)
    return unit_members(office) if office is not None else []


# --- the request -----------------------------------------------------------------------------------------------


def card_services(card):
    """The services of the card's tier and of the tiers it includes (吉享卡 ⊃ 吉健卡), as the e-card lists them
    (banking is left to the bank)."""
    from casefiles.models import ServiceCategory

    tiers = [card.tier, *card.tier.includes.all()]
    services = card.scheme.services.filter(tiers__in=tiers).exclude(category=ServiceCategory.FINANCE)
    return services.distinct().order_by("order", "pk")


def requester_refusal(service, through_employer):
    """Raise :class:`ServiceRefused` when the service is not asked for by this side (``requested_by`` of the scheme
    data): a service the policy routes through the employer is not asked for by the holder, and the employer asks
    only for those. Where the policy says nothing the holder asks (an administrative choice, named as such)."""
    who = service.requested_by
    basis = service.article if who != ServiceRequester.HOLDER else _("administrative setting")
    if through_employer and who == ServiceRequester.HOLDER:
        raise ServiceRefused(
            _("“%(service)s” is requested by the card holder in person, not by the employer (%(basis)s).")
            % {"service": service.title, "basis": basis},
            service.article,
        )
    if not through_employer and who == ServiceRequester.EMPLOYER:
        raise ServiceRefused(
            _("“%(service)s” is requested by your employer on your behalf (%(basis)s); please ask your employer.")
            % {"service": service.title, "basis": basis},
            service.article,
        )


def may_request_for(user, card):
    """``(allowed, through_employer)``: the holder, or a member of the employer the card names (the services the
    policy routes through the employer are asked for by the employer's staff)."""
    if not getattr(user, "is_authenticated", False):
        return False, False
    if card.holder_id == user.pk:
        return True, False
    if card.employer_id and Membership.objects.filter(user=user, department_id=card.employer_id).exists():
        return True, True
    return False, False


class RequestService:
    """``RequestService(card, service, user, detail=...).execute()`` makes the request; ``check()`` asks first."""

    def __init__(self, card, service, user, *, detail="", today=None):
        self.card, self.service, self.user = card, service, user
        self.detail = (detail or "").strip()
        self.today = today or timezone.localdate()

    def check(self):
        from casefiles.selectors_cards import card_status

        card, service = self.card, self.service
        allowed, self.through_employer = may_request_for(self.user, card)
        if not allowed:
            raise TransitionDenied(_("Only the holder of this card or its employer may request its services."))
        requester_refusal(service, self.through_employer)
        state = card_status(card, self.today)
        if not state["services_usable"]:
            article = state["article"] or card.scheme.validity_article
            if card.services_end_on and self.today >= card.services_end_on:
                raise ServiceRefused(
                    _("The talent services of this card ended on %(date)s (%(article)s).")
                    % {"date": when_text(card.services_end_on), "article": article},
                    article,
                )
            raise ServiceRefused(
                _("Services can be requested only with a valid card: this card is “%(status)s” (%(article)s).")
                % {"status": card.get_status_display(), "article": article},
                article,
            )
        if service.scheme_id != card.scheme_id or not card_services(card).filter(pk=service.pk).exists():
            article = card.tier.article or service.article
            raise ServiceRefused(
                _("“%(service)s” is not among the services of the %(tier)s (%(article)s).")
                % {"service": service.title, "tier": card.tier.name, "article": article},
                article,
            )
        unit = service.responsible_units.order_by("code").first()
        if unit is None:
            raise ServiceRefused(
                _(
                    "The policy names no unit that delivers “%(service)s” (%(article)s); "
                    "please ask the programme office."
                )
                % {"service": service.title, "article": service.article},
                service.article,
            )
        return unit

    through_employer = False

    @transaction.atomic
    def execute(self):
        from casefiles.models import Card

        self.card = (
            Card.objects.select_for_update(of=("self",))
            .select_related("scheme", "tier", "dossier", "end_reason")
            .get(pk=self.card.pk)
        )
        unit = self.check()
        limit = time_limit_for(self.service)
        request = ServiceRequest.objects.create(
            scheme=self.card.scheme,
            card=self.card,
            service=self.service,
            unit=unit,
            requested_by=self.user,
            through_employer=self.through_employer,
            detail=self.detail,
            time_limit_working_days=limit.amount if limit and limit.unit == TimeLimitUnit.WORKING_DAYS else None,
            time_limit_amount=limit.amount if limit else None,
            time_limit_unit=limit.unit if limit else "",
            limit_is_setting=bool(limit and limit.is_setting),
            limit_article=limit.article if limit else "",
        )
        _journal(request, "request", self.user, {"service": self.service.ref})
        notify(
            recipients=unit_members(unit),
            subject=_("New service request: %(service)s") % {"service": self.service.title},
            body=_("%(holder)s (%(card)s) requests “%(service)s”.")
            % {"holder": self.card.holder_name, "card": self.card.number, "service": self.service.title},
            url=admin_url(request),
            event="delivery.request",
        )
        return request


def admin_url(request):
    return f"/admin/delivery/requests/{request.pk}/"


def portal_url(request):
    return f"/cards/{request.card_id}/services/"


def _journal(request, step, user, data=None):
    return journal_write(
        action=f"delivery.request.{step}",
        actor=user,
        dossier=request.card.dossier,
        obj=request,
        department=request.unit if step not in ("request", "supply") else None,
        data={"state": request.state, "service": request.service.ref, **(data or {})},
    )


# --- the unit's steps (and the holder's answer to a request for material) ----------------------------------------

#: step: (states it leaves, state it enters, who takes it). The work order's lifecycle, not a scheme's rule.
STEPS = {
    "accept": ((S.REQUESTED,), S.ACCEPTED, "unit"),
    "ask_material": ((S.REQUESTED, S.ACCEPTED), S.MATERIAL_REQUESTED, "unit"),
    "supply": ((S.MATERIAL_REQUESTED,), None, "holder"),  # back to where it was: requested, or accepted
    "complete": ((S.ACCEPTED,), S.COMPLETED, "unit"),
    "refuse": ((S.REQUESTED, S.ACCEPTED, S.MATERIAL_REQUESTED), S.REFUSED, "unit"),
}
STEP_LABELS = {
    "accept": gettext_lazy("Accept"),
    "ask_material": gettext_lazy("Ask for material"),
    "supply": gettext_lazy("Material supplied"),
    "complete": gettext_lazy("Complete"),
    "refuse": gettext_lazy("Refuse"),
}


class StepAction:
    """``StepAction(request, "accept", user).execute()``; ``check()`` says whether the user may take the step now."""

    def __init__(self, request, step, user, *, note="", article="", today=None, expected_state=None):
        self.request, self.step, self.user = request, step, user
        self.note = (note or "").strip()
        self.article = (article or "").strip()
        self.today = today or timezone.localdate()
        self.expected_state = expected_state

    def check(self):
        request = self.request
        if self.step not in STEPS:
            raise CaseFileError(_("Unknown action “%(code)s”.") % {"code": self.step}, code="unknown_step")
        sources, _target, actor = STEPS[self.step]
        if actor == "unit":
            allowed = is_unit_member(self.user, request.unit_id)
        else:
            allowed = getattr(self.user, "is_authenticated", False) and self.user.pk in (
                request.card.holder_id,
                request.requested_by_id,
            )
        if not allowed:
            raise TransitionDenied(_("You may not do this on this service request."))
        if self.expected_state and request.state != self.expected_state:
            raise StateConflict(
                _("The request has moved on to “%(state)s”; reload and try again.")
                % {"state": request.get_state_display()},
                request.state,
            )
        if request.state not in sources:
            raise StateConflict(
                _("“%(action)s” is not possible while the request is “%(state)s”.")
                % {"action": STEP_LABELS[self.step], "state": request.get_state_display()},
                request.state,
            )
        if self.step == "ask_material" and not self.note:
            raise CaseFileError(_("Please say which material is needed."), code="note_required")
        if self.step == "refuse":
            if not self.note:
                raise CaseFileError(_("Please give the reason for the refusal."), code="reason_required")
            if not self.article.startswith("第"):
                raise CaseFileError(_("Please cite the article the refusal rests on (第…条)."), code="article_required")
        return actor

    @transaction.atomic
    def execute(self):
        self.request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("card__dossier", "card__holder", "requested_by", "service", "unit", "scheme")
            .get(pk=self.request.pk)
        )
        self.check()
        request, now = self.request, _moment(self.today)
        data = {}
        if self.step == "accept":
            request.state, request.accepted_at = S.ACCEPTED, now
            if request.time_limit:
                request.due_on = due_on(self.today, *request.time_limit)
                data["due_on"] = str(request.due_on)
        elif self.step == "ask_material":
            request.state, request.material_note = S.MATERIAL_REQUESTED, self.note
        elif self.step == "supply":
            request.state = S.ACCEPTED if request.accepted_at else S.REQUESTED
            if self.note:
                request.detail = f"{request.detail}\n{self.note}".strip()
        elif self.step == "complete":
            request.state, request.completed_at, request.closed_at = S.COMPLETED, now, now
            accepted_on = timezone.localdate(request.accepted_at)
            request.working_days_taken = max(WorkingCalendar().working_days_between(accepted_on, self.today), 0)
            if request.due_on:
                request.on_time = self.today <= request.due_on
            data.update(working_days_taken=request.working_days_taken, on_time=request.on_time)
        elif self.step == "refuse":
            request.state, request.closed_at = S.REFUSED, now
            request.refusal_reason, request.refusal_article = self.note, self.article
            data["article"] = self.article
        request.save()
        if self.note:
            data["note"] = self.note
        _journal(request, self.step, self.user, data)
        self._notify()
        return request

    def _notify(self):
        request = self.request
        service = request.service.title
        if self.step == "supply":
            notify(
                recipients=unit_members(request.unit),
                subject=_("Material supplied: %(service)s") % {"service": service},
                body=_("%(holder)s has supplied the material asked for.") % {"holder": request.card.holder_name},
                url=admin_url(request),
                event="delivery.supply",
            )
            return
        bodies = {
            "accept": _("%(unit)s has accepted your request for “%(service)s”.")
            + (_(" It is due by %(due)s.") % {"due": when_text(request.due_on)} if request.due_on else ""),
            "ask_material": _("%(unit)s asks for material for “%(service)s”: %(note)s"),
            "complete": _("%(unit)s has completed “%(service)s”."),
            "refuse": _("%(unit)s refuses “%(service)s”: %(note)s (%(article)s)"),
        }
        holder_side = {request.card.holder_id: request.card.holder, request.requested_by_id: request.requested_by}
        notify(
            recipients=list(holder_side.values()),
            subject=_("Your service request: %(service)s — %(state)s")
            % {"service": service, "state": request.get_state_display()},
            body=bodies[self.step]
            % {"unit": request.unit.name, "service": service, "note": self.note, "article": self.article},
            url=portal_url(request),
            event=f"delivery.{self.step}",
        )


def _moment(day):
    """Now, on ``day`` (the day a step is taken counts its working days; a step dated another day, as the reminder
    job and the tests do, is stamped on that day at the current time)."""
    now = timezone.localtime()
    return now if day == now.date() else now.replace(year=day.year, month=day.month, day=day.day)


def steps_available(request, user):
    """The steps ``user`` may take on ``request`` now (asks each action's ``check``; notes are filled in later)."""
    found = []
    for step in STEPS:
        try:
            StepAction(request, step, user, note="-", article="第").check()
        except (CaseFileError, StateConflict, TransitionDenied):
            continue
        found.append(step)
    return found


# --- overdue: the unit and the programme office are reminded (督办) ---------------------------------------------------


def requests_overdue_remind(*, today=None):
    """On a working day, remind the unit and the programme office once of each accepted request past its due day.
    Returns the number reminded. Nothing is sent on a day off: the first reminder goes out on the first working day
    after the due day (a make-up Saturday counts, a holiday does not)."""
    today = today or timezone.localdate()
    calendar = WorkingCalendar()
    if not calendar.is_working_day(today):
        return 0
    due = ServiceRequest.objects.filter(
        state=S.ACCEPTED, due_on__lt=today, overdue_reminded_on__isnull=True
    ).values_list("pk", flat=True)
    sent = 0
    for pk in due:
        with transaction.atomic():
            request = (
                ServiceRequest.objects.select_for_update(of=("self",))
                .select_related("card__dossier", "service", "unit", "scheme")
                .get(pk=pk)
            )
            if request.state != S.ACCEPTED or request.overdue_reminded_on is not None:
                continue
            request.overdue_reminded_on = today
            request.save(update_fields=["overdue_reminded_on"])
            overdue_by = calendar.working_days_between(request.due_on, today)
            _journal(request, "overdue", None, {"due_on": str(request.due_on), "working_days_overdue": overdue_by})
            recipients = {u.pk: u for u in unit_members(request.unit) + office_members(request.scheme)}
            notify(
                recipients=list(recipients.values()),
                subject=_("Overdue service request: %(service)s") % {"service": request.service.title},
                body=_(
                    "%(unit)s: the request of %(holder)s for “%(service)s” was due on %(due)s "
                    "(%(limit)s, %(article)s) and is not completed."
                )
                % {
                    "unit": request.unit.name,
                    "holder": request.card.holder_name,
                    "service": request.service.title,
                    "due": when_text(request.due_on),
                    "limit": request.time_limit_text,
                    "article": request.limit_article or _("administrative setting"),
                },
                url=admin_url(request),
                event="delivery.overdue",
            )
            sent += 1
    return sent


# --- the units' holder lists (白云 第五条（七）) ----------------------------------------------------------------


def units_serving(card):
    from casefiles.models import Department

    return Department.objects.filter(service_items__in=card_services(card)).distinct().order_by("code")


def holder_list_on_issue(card):
    """The units that serve the card's tier get the holder on their list, and are told. Inside the issuing
    transition: one query for the units, one for their people, one upsert for the lists, one notification each."""
    units = list(units_serving(card))
    if not units:
        return units
    UnitHolder.objects.bulk_create(
        [UnitHolder(card=card, unit=unit, services_stop_on=None) for unit in units],
        update_conflicts=True,
        unique_fields=["unit", "card"],
        update_fields=["services_stop_on"],
    )
    people = {}
    for user in get_user_model().objects.filter(memberships__department__in=units, is_active=True).annotate(
        unit_pk=F("memberships__department_id")
    ):
        people.setdefault(user.unit_pk, {})[user.pk] = user
    for unit in units:
        notify(
            recipients=list(people.get(unit.pk, {}).values()),
            subject=_("New card holder: %(holder)s") % {"holder": card.holder_name},
            body=_("%(holder)s holds %(scheme)s (%(tier)s) %(card)s from %(date)s; your unit serves this card.")
            % {
                "holder": card.holder_name,
                "scheme": card.scheme.name,
                "tier": card.tier.name,
                "card": card.number,
                "date": when_text(card.valid_from),
            },
            url="/admin/delivery/holders/",
            event="delivery.holder_listed",
        )
    return units


def holder_list_on_end(card, stop_on):
    """Tell the units that listed the holder from which date services stop."""
    listings = UnitHolder.objects.filter(card=card).select_related("unit")
    for listing in listings:
        if listing.services_stop_on == stop_on:
            continue
        listing.services_stop_on, listing.stop_notified_at = stop_on, timezone.now()
        listing.save(update_fields=["services_stop_on", "stop_notified_at"])
        notify(
            recipients=unit_members(listing.unit),
            subject=_("Services stop for %(holder)s") % {"holder": card.holder_name},
            body=_("The card %(card)s of %(holder)s is “%(status)s”: services stop from %(date)s.")
            % {
                "card": card.number,
                "holder": card.holder_name,
                "status": card.get_status_display(),
                "date": when_text(stop_on),
            },
            url="/admin/delivery/holders/",
            event="delivery.holder_ended",
        )


def card_event_recorded(sender, card, event, **kwargs):
    """Receiver of ``casefiles.services.cards.card_event_recorded``: list at issuance, tell when services stop."""
    from casefiles.models import CardEventKind

    if event.kind == CardEventKind.ISSUE:
        holder_list_on_issue(card)
    elif event.kind == CardEventKind.REINSTATE:
        UnitHolder.objects.filter(card=card).update(services_stop_on=None, stop_notified_at=None)
    elif card.status != CardStatus.ACTIVE or card.services_end_on:
        stop_on = card.services_end_on or event.effective_on or card.ended_at or timezone.localdate()
        if isinstance(stop_on, datetime.datetime):
            stop_on = stop_on.date()
        holder_list_on_end(card, stop_on)

"""Read side of the card actions officers take from the card list (issue #19 item 3): revoke, recall, report lost,
reissue, renew — which of them a user may take on a card now, the reasons each offers, and what taking it will do.

Nothing here decides a rule: whether an action is open is the answer of the service's own check
(``casefiles.services.cards``: ``revoke_check``, ``revocation_request_check``, ``report_loss_check``,
``reissue_check``, ``renew_check``), and what it does is read from the same places the service reads (the reason's
effect through ``exit_outcome``, the renewal period through ``renewal_period``, the scheme's announcement and
``cards.exit_approval``). The pages only put it in words.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import CaseFileError, StateConflict
from .models import CardStatus, ExitEffect, RevocationReason, RevocationRequest, RevocationRequestStatus
from .schemes.validate import CARD_PRINCIPALS
from .selectors_cards import cards_managed_by
from .services import cards as card_services

#: Refusals a check may raise: the action is simply not offered.
REFUSED = (PermissionDenied, StateConflict, CaseFileError)

#: The exit actions and the reason effects each covers (a reason's effect is scheme data).
EXIT_ACTIONS = {
    "revoke": (ExitEffect.REVOKE, ExitEffect.TERMINATE_ALL, ExitEffect.CONTACT_LIST),
    "recall": (ExitEffect.RECALL,),
}

LABELS = {
    "revoke": gettext_lazy("Revoke"),
    "recall": gettext_lazy("Recall"),
    "report_loss": gettext_lazy("Report lost"),
    "reissue": gettext_lazy("Reissue"),
    "renew": gettext_lazy("Renew"),
}
ACTIONS = tuple(LABELS)

#: Whether the holder of a ended card gets it back: no, except from the contact list (reinstated while its period
#: runs, ``card_reinstate``).
REVERSIBLE_EFFECTS = (ExitEffect.CONTACT_LIST, ExitEffect.KEEP_UNTIL_END)


def day(value):
    """A date as officers read it (2026年12月7日 in zh-Hans)."""
    return date_format(value, "DATE_FORMAT") if value else _("no end date")


@dataclass
class ReasonChoice:
    """One reason an exit action offers: its article and text, whether it takes effect at once (``decide``) or is a
    request someone else approves (``request``), and what it will do."""

    reason: RevocationReason
    mode: str
    consequences: list = field(default_factory=list)
    irreversible: bool = False

    @property
    def label(self):
        return f"{self.reason.article} {self.reason.text}"


@dataclass
class CardAction:
    name: str
    label: str
    reasons: list = field(default_factory=list)  # ReasonChoice, exit actions only
    consequences: list = field(default_factory=list)
    irreversible: bool = False
    comment_required: bool = True


def _exit_route(card, reason, user):
    """``decide`` or ``request`` — the way the services let ``user`` end ``card`` for ``reason`` — or None."""
    try:
        card_services.revoke_check(card, reason, user)
        return "decide"
    except REFUSED:
        pass
    try:
        card_services.revocation_request_check(card, reason, user)
        return "request"
    except REFUSED:
        return None


def announcement_sentence(card, on):
    scheme = card.scheme
    if scheme.announce_exits_yearly:
        return _("The exit is listed in the %(year)s annual exit announcement of %(scheme)s.") % {
            "year": on.year,
            "scheme": scheme.name,
        }
    return _("%(scheme)s publishes no annual exit announcement: the exit is recorded on the card's history only.") % {
        "scheme": scheme.name
    }


def exit_consequences(card, reason, today=None):
    """(sentences, irreversible) of ending ``card`` for ``reason`` on ``today``, read from ``exit_outcome``."""
    today = today or timezone.localdate()
    outcome = card_services.exit_outcome(card, reason, today)
    lines = []
    if outcome.get("status") == CardStatus.REVOKED:
        lines.append(_("The card ends on %(date)s: talent services end that day.") % {"date": day(outcome["ended_at"])})
        lines.append(
            _("Card number %(number)s becomes void for good and is never issued again; verifying it shows it as void.")
            % {"number": card.number}
        )
    elif outcome.get("status") == CardStatus.CONTACT_LIST:
        lines.append(
            _("The holder moves to the contact list: talent services end on %(date)s.")
            % {"date": day(outcome["services_end_on"])}
        )
        lines.append(
            _("The holder has priority when applying again; the card can be reinstated while its period runs.")
        )
    elif "retired_on" in outcome:
        lines.append(
            _("The holder keeps the card until the end of its period (%(date)s).") % {"date": day(card.valid_until)}
        )
    if outcome.get("bank_services") is False:
        lines.append(_("Bank services end too."))
    elif outcome.get("status") is not None:
        lines.append(_("Bank services are not affected."))
    lines.append(announcement_sentence(card, outcome.get("ended_at") or today))
    return lines, reason.effect not in REVERSIBLE_EFFECTS


def request_sentence(card, mode):
    if mode != "request":
        return None
    if card_services.exit_approval_rule(card.scheme):
        return _("This is a request: nothing changes until a second officer of the managing department approves it.")
    return _("This is a request: nothing changes until the managing department approves it.")


def _exit_action(card, user, name, today):
    reasons = RevocationReason.objects.filter(scheme=card.scheme, effect__in=EXIT_ACTIONS[name]).order_by("order")
    routes = {}  # the checks read a reason's requested_by and effect only: asked once per pair
    choices = []
    for reason in reasons:
        key = (tuple(reason.requested_by or ()), reason.effect)
        if key not in routes:
            routes[key] = _exit_route(card, reason, user)
        mode = routes[key]
        if mode is None:
            continue
        lines, irreversible = exit_consequences(card, reason, today)
        note = request_sentence(card, mode)
        choices.append(ReasonChoice(reason, mode, ([note] if note else []) + lines, irreversible))
    if not choices:
        return None
    return CardAction(name, str(LABELS[name]), reasons=choices, irreversible=any(c.irreversible for c in choices))


def _report_loss(card, user, today):
    article, _acting, _department = card_services.report_loss_check(card, user)
    return CardAction(
        "report_loss",
        str(LABELS["report_loss"]),
        comment_required=False,
        consequences=[
            _("The card is suspended from %(date)s: it cannot be used, and verifying it shows it as reported lost.")
            % {"date": day(today)},
            _(
                "A lost card is not reactivated: the holder applies for a reissue with proof (%(article)s), which "
                "gives a new card number."
            )
            % {"article": article},
        ],
        irreversible=True,
    )


def _reissue(card, user, today):
    article, _acting, _department = card_services.reissue_check(card, user)
    return CardAction(
        "reissue",
        str(LABELS["reissue"]),
        irreversible=True,
        consequences=[
            _(
                "Card number %(number)s becomes void for good; a card with a new number is issued on %(date)s "
                "(%(article)s)."
            )
            % {"number": card.number, "date": day(today), "article": article},
            _("The new card keeps the tier %(tier)s and is valid until %(until)s.")
            % {"tier": card.tier.name, "until": day(card.valid_until)},
            _("The holder is notified of the new number."),
        ],
    )


def _renew(card, user, today):
    card_services.renew_check(card, user, today)
    start, until = card_services.renewal_period(card, today)
    article = card.scheme.renewal_article or card.scheme.validity_article
    return CardAction(
        "renew",
        str(LABELS["renew"]),
        consequences=[
            _("The card's new period runs from %(start)s to %(end)s (%(article)s).")
            % {"start": day(start), "end": day(until), "article": article},
            _("The card number stays the same; expiry reminders start again for the new period."),
        ],
    )


SINGLE = {"report_loss": _report_loss, "reissue": _reissue, "renew": _renew}


def card_action(card, user, name, today=None):
    """The action ``name`` on ``card`` as ``user`` may take it now (a :class:`CardAction`), or None."""
    today = today or timezone.localdate()
    if name in EXIT_ACTIONS:
        return _exit_action(card, user, name, today)
    if name in SINGLE:
        try:
            return SINGLE[name](card, user, today)
        except REFUSED:
            return None
    return None


def card_actions_open(card, user, today=None):
    """Every action of :data:`ACTIONS` ``user`` may take on ``card`` now, in order. Someone who stands for none of
    the principals the card rules may name (holder, employer, managing department) is answered at once."""
    today = today or timezone.localdate()
    if card_services.acting_as(user, card, sorted(CARD_PRINCIPALS)) is None:
        return []
    return [a for a in (card_action(card, user, name, today) for name in ACTIONS) if a is not None]


def revocation_requests_pending(user):
    """Requests to end a card waiting for a decision, on the cards whose scheme ``user``'s departments manage,
    oldest first."""
    return (
        RevocationRequest.objects.filter(status=RevocationRequestStatus.PROPOSED, card__in=cards_managed_by(user))
        .select_related("card__scheme", "card__tier", "reason", "requested_by")
        .order_by("created_at", "pk")
    )


def revocation_decision_open(request, user):
    """Whether ``user`` may decide ``request`` now (the service's own check)."""
    try:
        card_services.revocation_decision_check(request, request.card, user)
    except REFUSED:
        return False
    return True

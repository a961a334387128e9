"""Card actions from the card list (issue #19 item 3): every action every scheme defines goes through a confirmation
page that states its consequences and offers the scheme's reasons with their articles; nothing changes without the
confirmation; with it the one service changes the card; where the scheme data asks for a second officer
(``cards.exit_approval``) the first officer's POST is a request a different officer approves; an officer who may not
take the action gets 403 on the page and on the POST.

Expectations are read from the scheme data and the services' own checks (casefiles.selectors_card_actions), never
from a hand-written list per scheme.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.html import escape

from casefiles.demo_cards import issue_card
from casefiles.models import Card, CardEvent, CardStatus, Department, RevocationReason, RevocationRequest
from casefiles.schemes.loader import SCHEME_SLUGS
from casefiles.selectors_card_actions import ACTIONS, EXIT_ACTIONS, card_action
from casefiles.selectors_cards import cards_visible_to
from casefiles.services import cards as svc

from .factories import setup_schemes

pytestmark = [pytest.mark.usefixtures("schemes_once"), pytest.mark.django_db]


def admin_user(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def officers(card):
    """The people of the card's managing departments (first the demo officer, then the colleague)."""
    groups = [d.group_id for d in svc.card_departments(card)]
    users = get_user_model().objects.filter(groups__in=groups, is_superuser=False).exclude(pk=card.holder_id)
    return [admin_user(u) for u in users.distinct().order_by("username")]


def employer_contacts(card):
    users = get_user_model().objects.filter(groups=card.employer.group).order_by("username")
    return [admin_user(u) for u in users]


def probe(card):
    card.refresh_from_db()
    return (
        card.status,
        CardEvent.objects.filter(card=card).count(),
        RevocationRequest.objects.filter(card=card).count(),
    )


def actor_for(card, name):
    """Someone who may take ``name`` on ``card`` (a department officer first, then an employer contact), with the
    action as they see it; (None, None) where nobody may (the scheme does not define it)."""
    for person in officers(card) + employer_contacts(card):
        action = card_action(card, person, name)
        if action is not None:
            return person, action
    return None, None


def prepared(slug, name):
    """A card of ``slug`` on which ``name`` can be taken now: lost already for a reissue, in its renewal window for a
    renewal (the period's end moved near, the contract well after)."""
    card = issue_card(slug)
    if name == "reissue" and svc.loss_rule(card.scheme):
        svc.card_report_loss(card=card, user=card.holder, comment="遗失")
    if name == "renew":
        today = timezone.localdate()
        Card.objects.filter(pk=card.pk).update(
            valid_until=today + datetime.timedelta(days=20), contract_end=today + datetime.timedelta(days=4 * 365)
        )
    return Card.objects.get(pk=card.pk)


def check_page(client, card, action):
    url = f"/admin/card-registry/{card.pk}/{action.name}/"
    response = client.get(url)
    assert response.status_code == 200, (card.scheme.slug, action.name, response.status_code)
    html = response.content.decode()
    words = re.sub(r"<[^>]+>", " ", html[html.index('class="cf-form"') :])
    assert not re.search(r"\b(None|True|False)\b", words), words
    lines = [line for c in action.reasons for line in c.consequences] if action.reasons else action.consequences
    assert lines
    for line in lines:
        assert escape(line) in html, (card.scheme.slug, action.name, line)
    for choice in action.reasons:
        assert choice.reason.article in html and "第" in choice.reason.article
    if action.irreversible:
        assert "无法撤销" in html or "不可撤销" in html, action.name
    return url


def test_every_action_of_every_scheme_is_confirmed_then_done_by_its_service(client):
    setup_schemes()
    done = {}
    for slug in SCHEME_SLUGS:
        spare = issue_card(slug)  # the card of the first action that needs no preparation; first, the undefined ones
        scheme = spare.scheme
        defined = {
            **{
                n: RevocationReason.objects.filter(scheme=scheme, effect__in=e).exists()
                for n, e in EXIT_ACTIONS.items()
            },
            "report_loss": bool(svc.loss_rule(scheme)),
            "reissue": bool(svc.loss_rule(scheme)),
            "renew": bool(svc.renewal_rule(scheme)) and scheme.validity_rule == "contract_bounded",
        }
        for name in ACTIONS:
            if not defined[name]:  # nobody is offered what the scheme does not define
                assert actor_for(spare, name) == (None, None), (slug, name)
        for name in [n for n in ACTIONS if defined[n]]:
            card, spare = (
                (spare, None)
                if spare is not None and name not in ("reissue", "renew")
                else (prepared(slug, name), spare)
            )
            person, action = actor_for(card, name)
            assert action is not None, (slug, name)
            client.force_login(person)
            url = check_page(client, card, action)
            before = probe(card)
            data = {"comment": "经核实，证明材料齐全。"}
            if action.reasons:
                data["reason"] = action.reasons[0].reason.pk
            # without the confirmation: the page again, nothing changed
            assert client.post(url, data).status_code == 400
            assert probe(card) == before, (slug, name)
            response = client.post(url, {**data, "confirm": "on"})
            assert response.status_code == 302, (slug, name, response.content[:500])
            choice = action.reasons[0] if action.reasons else None
            if choice is not None and choice.mode == "request":
                made = RevocationRequest.objects.get(card=card, status="proposed")
                assert made.requested_by == person and probe(card)[0] == before[0]
                _approve_by_a_second_officer(client, card, made, person)
            card.refresh_from_db()
            expected = {
                "report_loss": CardStatus.SUSPENDED,
                "reissue": CardStatus.REPLACED,
                "renew": CardStatus.ACTIVE,
            }.get(name) or svc.exit_outcome(card, choice.reason)["status"]
            assert card.status == expected, (slug, name, card.status)
            if name == "renew":
                assert card.valid_until > timezone.localdate() + datetime.timedelta(days=20)
            done[slug, name] = choice.mode if choice else "decide"
    # the sweep met both routes and every action somewhere
    assert {n for _s, n in done} == set(ACTIONS), done
    assert "request" in done.values() and "decide" in done.values(), done


def _approve_by_a_second_officer(client, card, made, requester):
    """The requester may not decide their own request (403 on page and POST); a managing officer who did not make
    it sees it listed and approves it through the confirmation page."""
    url = f"/admin/card-registry/requests/{made.pk}/approve/"
    status = probe(card)
    client.force_login(requester)
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on", "comment": "同意。"}).status_code == 403
    if requester in officers(card):  # an officer's own request is listed to them, without the decision
        listing = client.get("/admin/card-registry/requests/").content.decode()
        assert card.number in listing and url not in listing
    assert probe(card) == status
    second = next(o for o in officers(card) if o.pk != requester.pk)
    client.force_login(second)
    listing = client.get("/admin/card-registry/requests/").content.decode()
    assert url in listing and card.number in listing
    page = client.get(url)
    assert page.status_code == 200 and made.reason.article in page.content.decode()
    assert client.post(url, {}).status_code == 400 and probe(card) == status
    assert client.post(url, {"confirm": "on", "comment": "同意。"}).status_code == 302
    made.refresh_from_db()
    assert made.status == "agreed" and made.decided_by == second


def test_a_scheme_that_asks_for_a_second_officer_never_ends_a_card_on_one_officers_word():
    setup_schemes()
    for slug in SCHEME_SLUGS:
        card = issue_card(slug)
        reasons = [r for r in RevocationReason.objects.filter(scheme=card.scheme) if "department" in r.requested_by]
        if not reasons:
            continue
        first = officers(card)[0]
        if svc.exit_approval_rule(card.scheme):
            with pytest.raises(svc.FourEyes):
                svc.card_revoke(card=card, reason=reasons[0], user=first, comment="核实。")
            made = svc.card_request_revocation(card=card, reason=reasons[0], user=first, comment="核实。")
            with pytest.raises(svc.FourEyes):
                svc.card_agree_revocation(request=made, user=first)
            assert Card.objects.get(pk=card.pk).status == CardStatus.ACTIVE
        else:
            with pytest.raises(svc.TransitionDenied):  # the department decides itself: no request of its own
                svc.card_request_revocation(card=card, reason=reasons[0], user=first, comment="核实。")


def test_an_officer_who_may_not_take_an_action_gets_403_on_page_and_post(client):
    setup_schemes()
    refused = 0
    for slug in SCHEME_SLUGS:
        card = issue_card(slug)
        viewers = (
            get_user_model()
            .objects.filter(groups__in=Department.objects.filter(schemes=card.scheme).values("group"))
            .distinct()
            .order_by("username")
        )
        for name in ACTIONS:
            person = next(
                (
                    admin_user(u)
                    for u in viewers
                    if u.pk != card.holder_id
                    and cards_visible_to(u, Card.objects.filter(pk=card.pk)).exists()
                    and card_action(card, u, name) is None
                ),
                None,
            )
            if person is None:
                continue
            client.force_login(person)
            url = f"/admin/card-registry/{card.pk}/{name}/"
            before = probe(card)
            assert client.get(url).status_code == 403, (slug, name, person.username)
            reason = RevocationReason.objects.filter(scheme=card.scheme).first()
            assert client.post(url, {"reason": reason.pk, "comment": "无权。", "confirm": "on"}).status_code == 403
            assert probe(card) == before
            refused += 1
    assert refused >= len(SCHEME_SLUGS)


def test_the_card_list_offers_each_row_the_actions_its_user_may_take(client):
    setup_schemes()
    card = issue_card("tonghua")
    officer = officers(card)[0]
    client.force_login(officer)
    html = client.get("/admin/cards/").content.decode()
    offered = [a.name for a in (card_action(card, officer, n) for n in ACTIONS) if a]
    assert offered
    for name in ACTIONS:
        assert (f"/admin/card-registry/{card.pk}/{name}/" in html) == (name in offered), name
    employer = employer_contacts(card)[0]
    client.force_login(employer)
    assert client.get("/admin/card-registry/requests/").status_code == 403

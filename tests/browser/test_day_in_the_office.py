"""A day in the office (issue #19 item 6), in Chromium through the real admin, with a screenshot of each step
(``day-*.png`` in the artifacts directory):

1. an officer signs in through the login form, lands on 待办 and clears three dossiers from it, each by opening it
   from the landing page and pressing the stage's button;
2. a department head sees an overdue dossier under 督办 on their landing page and sends the department a reminder;
3. in a scheme whose data asks for a second officer before a card ends (``cards.exit_approval``), one officer
   requests a revocation from the card list, cannot approve it themself, and a colleague approves it.

Each outcome is checked on the page and in the database. The people, dossiers and card are not hand-picked: they
are read from the demo data with the same selectors the pages use (the workbench, the transitions a user may fire,
the card actions a user may take), so the test follows the demo when it changes.

One test on purpose: the demo data is loaded once (a live server needs committed rows, which a transactional test
flushes at its end), and the three scenarios share it.
"""

import datetime
import os
import re

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = DEMO_PASSWORD  # the demo_committed fixture's users'
TALLEST = "Math.max(...[...document.querySelectorAll('main, #main, body')].map(e => e.scrollHeight))"
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN"}


class Office:
    """The browser side of the day: one browser context per person, signed in through the login form."""

    def __init__(self, browser, live_server, artifacts_dir):
        self.browser, self.url, self.artifacts = browser, live_server.url, artifacts_dir
        self.contexts = []

    def sign_in(self, user):
        context = self.browser.new_context(**DESKTOP)
        self.contexts.append(context)
        page = context.new_page()
        page.goto(f"{self.url}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.url}/admin/")
        return page

    def workbench(self, page):
        """The landing page (the admin home), and the workbench on it: an officer who edits no pages has it as the
        home page; an editor reaches it from the menu item 待办."""
        page.goto(f"{self.url}/admin/")
        if not page.locator("#workbench-todo").count():
            page.locator('a[href="/admin/workbench/"]').first.click()
            page.wait_for_url(f"{self.url}/admin/workbench/")
        return page

    def shot(self, page, name):
        """A picture of the whole page: the admin scrolls inside its own container, so the window is made as tall
        as the content for the picture (as test_statistics does)."""
        size = page.viewport_size
        tall = page.evaluate(
            "Math.max(...[...document.querySelectorAll('main, #main, body')].map(e => e.scrollHeight))"
        )
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(tall), 4000))})
        page.screenshot(path=os.path.join(self.artifacts, f"day-{name}.png"), full_page=True)
        page.set_viewport_size(size)

    def close(self):
        for context in self.contexts:
            context.close()


def _messages(page):
    return page.locator(".messages").inner_text() if page.locator(".messages").count() else ""


def _forward(transition, dossier):
    """A transition that moves the dossier on: to a later review stage, or the end that issues the card (not back
    to the applicant, not a refusal)."""
    later = transition.target.kind == "stage" and transition.target.order > dossier.state.order
    return later or transition.issues_card


def _officer_with_three_dossiers():
    """The first demo officer (by login) whose landing lists three dossiers each with a button moving it on; the
    officer and [(dossier, transition)]."""
    from django.contrib.auth import get_user_model

    from casefiles.adminviews.workbench import edits_pages
    from casefiles.models import Membership, Role
    from casefiles.selectors import transitions_available
    from casefiles.selectors_workbench import workbench_for

    officers = get_user_model().objects.filter(memberships__role=Role.REVIEWER, is_active=True).distinct()
    # officers whose admin home is the workbench (they edit no pages) first
    for officer in sorted(officers.order_by("username"), key=edits_pages):
        assert Membership.objects.filter(user=officer).exists()
        chosen = []
        for item in workbench_for(officer).dossiers:
            forward = [t for t in transitions_available(officer, item.dossier) if _forward(t, item.dossier)]
            if forward:
                chosen.append((item.dossier, forward[0]))
            if len(chosen) == 3:
                return officer, chosen
    pytest.fail("no demo officer has three dossiers to move on from the landing page")


def clear_three_dossiers(office):
    from casefiles.models import Dossier, JournalEntry
    from casefiles.selectors import transitions_available

    officer, chosen = _officer_with_three_dossiers()
    page = office.workbench(office.sign_in(officer))
    assert officer.username not in page.locator("#workbench-todo").inner_text()  # people, not logins
    office.shot(page, "1-officer-landing")
    for number, (dossier, transition) in enumerate(chosen, start=1):
        before = dossier.state
        office.workbench(page)  # back to the landing page, as after every case
        page.locator(f'#workbench-todo tr[data-dossier="{dossier.pk}"] a').first.click()
        page.wait_for_url(f"**/{dossier.pk}/**")
        form = page.locator(f'form.cf-action:has(input[name=transition][value="{transition.code}"])')
        form.locator("textarea[name=comment]").fill("材料齐全，符合条件，同意。")
        if form.locator("textarea[name=minutes]").count():
            form.locator("textarea[name=minutes]").fill("经集体研究，同意。")
        office.shot(page, f"1-officer-dossier-{number}")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        moved = Dossier.objects.select_related("state").get(pk=dossier.pk)
        assert moved.state_id == transition.target_id and moved.state_id != before.pk, (
            dossier.reference,
            _messages(page),
        )
        assert dossier.reference in _messages(page) and moved.state.name in _messages(page)
        office.shot(page, f"1-officer-moved-{number}")
        entry = JournalEntry.objects.filter(dossier=dossier, action=f"casefiles.dossier.{transition.code}").latest("pk")
        assert entry.actor_id == officer.pk
    office.workbench(page)
    done = page.locator('[data-workbench="decisions"]').inner_text()
    todo = page.locator("#workbench-todo").inner_text()
    for dossier, _transition in chosen:
        assert dossier.reference in done, f"{dossier.reference} is under 已办"
        listed = page.locator(f'#workbench-todo tr[data-dossier="{dossier.pk}"]').count()
        # still listed only where the officer may act on it again now (the next stage being theirs too)
        assert not listed or transitions_available(officer, Dossier.objects.get(pk=dossier.pk)), todo
    office.shot(page, "1-officer-landing-after")


def _overdue_for_a_head():
    """A demo head and an open dossier waiting on a department they supervise, made overdue (12 days) if the demo
    has none."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from casefiles.adminviews.workbench import edits_pages
    from casefiles.models import Dossier, Role
    from casefiles.selectors_workbench import responsible_department, supervised_by, workbench_for

    today = timezone.localdate()
    heads = get_user_model().objects.filter(memberships__role=Role.HEAD).distinct().order_by("username")
    heads = sorted(heads, key=edits_pages)  # a head whose admin home is the workbench first
    for head in heads:
        bench = workbench_for(head, today=today)
        if bench.overdue_dossiers:
            item = bench.overdue_dossiers[0]
            return head, item.dossier, item.department
    for head in heads:
        for scope in supervised_by(head):
            open_dossiers = Dossier.objects.filter(scheme_id=scope.scheme_id, state__kind="stage").order_by("pk")
            for dossier in open_dossiers.select_related("scheme", "state"):
                department = responsible_department(dossier, scope)
                if department is not None:
                    Dossier.objects.filter(pk=dossier.pk).update(due_date=today - datetime.timedelta(days=12))
                    return head, Dossier.objects.get(pk=dossier.pk), department
    pytest.fail("no demo head supervises a department an open dossier waits on")


def remind_an_overdue_dossier(office):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from casefiles.models import Dossier, JournalEntry, Notification, Role
    from casefiles.selectors import dossiers_visible_to
    from casefiles.services.supervision import REMIND

    head, dossier, department = _overdue_for_a_head()
    page = office.workbench(office.sign_in(head))
    supervision = page.locator("#workbench-supervision")
    assert supervision.is_visible(), "a head lands on 督办"
    row = supervision.locator(f'tr[data-dossier="{dossier.pk}"]')
    assert row.count() == 1 and department.name in row.inner_text() and "逾期" in row.inner_text(), (
        supervision.inner_text()
    )
    row.scroll_into_view_if_needed()
    office.shot(page, "2-head-supervision")
    with page.expect_navigation():
        row.get_by_role("button").click()
    assert dossier.reference in _messages(page), _messages(page)
    office.shot(page, "2-head-reminded")
    entry = JournalEntry.objects.get(dossier=dossier, action=REMIND)
    assert entry.actor_id == head.pk and entry.data["department"] == department.code
    notices = Notification.objects.filter(event="supervision.reminder", recipient__groups=department.group)
    assert notices.exists() and all(dossier.reference in n.subject + n.body for n in notices)
    # The dossier's journal says so, in a sentence naming the head: read by the head where they may open the case
    # file (the 督办 row links it only then), else by an officer of the reminded department.
    viewable = dossiers_visible_to(head, Dossier.objects.filter(pk=dossier.pk)).exists()
    link = page.locator(f'#workbench-supervision tr[data-dossier="{dossier.pk}"] a')
    assert link.count() == int(viewable), "the reference links the case file only where the head may open it"
    if viewable:
        reader = page
        link.first.click()
        page.wait_for_url(f"**/{dossier.pk}/**")
    else:
        officer = get_user_model().objects.filter(groups=department.group, memberships__role=Role.REVIEWER)
        reader = office.sign_in(officer.order_by("username").first())
        reader.goto(f"{office.url}{reverse('casefiles_dossiers:detail', args=[dossier.pk])}")
    journal = reader.locator("main").inner_text()
    assert head.last_name + head.first_name in journal and "催办" in journal, "the reminder is in the journal"
    office.shot(reader, "2-dossier-journal")
    # A second reminder the same day is refused, with a message saying why.
    office.workbench(page)
    with page.expect_navigation():
        page.locator(f'#workbench-supervision tr[data-dossier="{dossier.pk}"]').get_by_role("button").click()
    assert "今天" in _messages(page) or "明天" in _messages(page), _messages(page)
    assert JournalEntry.objects.filter(dossier=dossier, action=REMIND).count() == 1


def _card_needing_a_second_officer():
    """An active card and two officers of its managing department, the first of whom may revoke it only by a
    request a colleague approves (``cards.exit_approval`` in the scheme data); the card, the two, the reason."""
    from django.contrib.auth import get_user_model

    from casefiles.models import Card, CardStatus
    from casefiles.selectors_card_actions import card_action
    from casefiles.services import cards as svc

    for card in Card.objects.filter(status=CardStatus.ACTIVE).select_related("scheme").order_by("pk"):
        groups = [d.group_id for d in svc.card_departments(card)]
        people = (
            get_user_model()
            .objects.filter(groups__in=groups, is_superuser=False, is_active=True)
            .exclude(pk=card.holder_id)
            .distinct()
            .order_by("username")
        )
        for first in people:
            action = card_action(card, first, "revoke")
            choice = next((c for c in (action.reasons if action else []) if c.mode == "request"), None)
            second = next((p for p in people if p.pk != first.pk and card_action(card, p, "revoke")), None)
            if choice is not None and second is not None:
                return card, first, second, choice.reason
    pytest.fail("no demo card is revoked on a request a second officer approves")


def revoke_with_a_second_officer(office):
    from casefiles.models import Card, CardStatus, RevocationRequest

    card, first, second, reason = _card_needing_a_second_officer()
    page = office.sign_in(first)
    # The card list, found by its number; the row's menu offers the action.
    page.goto(f"{office.url}/admin/cards/?q={card.number}")
    row = page.locator("table.listing tbody tr", has_text=card.number)
    assert row.count() == 1, page.locator("main").inner_text()
    row.get_by_role("button").last.click()
    revoke = row.locator(f'a[href$="/card-registry/{card.pk}/revoke/"]')
    revoke.wait_for(state="visible")
    office.shot(page, "3-officer1-card-list")
    revoke.click()
    page.wait_for_url(f"**/card-registry/{card.pk}/revoke/")
    page.locator(f'input[name=reason][value="{reason.pk}"]').check()
    page.locator("textarea[name=comment]").fill("经核实，持卡人已不符合条件。")
    page.locator("input[name=confirm]").check()
    office.shot(page, "3-officer1-confirm")
    with page.expect_navigation():
        page.locator(".cf-form-buttons button[type=submit]").click()
    made = RevocationRequest.objects.get(card=card, status="proposed")
    assert made.requested_by_id == first.pk and made.reason_id == reason.pk
    assert Card.objects.get(pk=card.pk).status == CardStatus.ACTIVE, "a request alone ends nothing"
    # Officer 1 sees their request listed without the decision, and the decision page refuses them.
    page.goto(f"{office.url}/admin/card-registry/requests/")
    listing = page.locator("main").inner_text()
    approve_path = f"/admin/card-registry/requests/{made.pk}/approve/"
    assert card.number in listing and not page.locator(f'a[href="{approve_path}"]').count(), listing
    office.shot(page, "3-officer1-own-request")
    response = page.goto(f"{office.url}{approve_path}")
    assert response.status == 403 and re.search(r"[\u4e00-\u9fff]", page.inner_text("body")), "says why, in Chinese"
    office.shot(page, "3-officer1-may-not-approve")
    assert RevocationRequest.objects.get(pk=made.pk).status == "proposed"

    page = office.sign_in(second)
    page.goto(f"{office.url}/admin/card-registry/requests/")
    requester = first.last_name + first.first_name
    row = page.locator("table.listing tbody tr", has_text=card.number)
    assert requester in row.inner_text() and first.username not in row.inner_text(), row.inner_text()
    office.shot(page, "3-officer2-requests")
    row.locator(f'a[href="{approve_path}"]').click()
    page.wait_for_url(f"**{approve_path}")
    page.locator("textarea[name=comment]").fill("同意。")
    page.locator("input[name=confirm]").check()
    office.shot(page, "3-officer2-approve")
    page.locator(".cf-form-buttons button[type=submit]").click()
    page.wait_for_url("**/card-registry/requests/")
    office.shot(page, "3-officer2-approved")
    decided = RevocationRequest.objects.get(pk=made.pk)
    assert decided.status != "proposed" and decided.decided_by_id == second.pk, decided.status
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED, card.status
    page.goto(f"{office.url}/admin/card-registry/{card.pk}/")
    status = page.locator("#cf-card").locator("xpath=..").inner_text()
    assert card.get_status_display() in status, status
    assert re.search(r"\b(None|True|False)\b", status) is None
    office.shot(page, "3-card-revoked")


def test_a_day_in_the_office(live_server, demo_committed, browser, artifacts_dir):
    office = Office(browser, live_server, artifacts_dir)
    try:
        clear_three_dossiers(office)
        remind_an_overdue_dossier(office)
        revoke_with_a_second_officer(office)
    finally:
        office.close()

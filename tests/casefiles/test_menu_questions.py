"""The questions the admin menu asks on every page, answered from the user's own departments, agree for every demo
user with the rule they summarise: ``manages_cards_of_any_scheme`` with ``may_manage_cards`` of some scheme."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from casefiles.models import Scheme
from casefiles.services.cards import manages_cards_of_any_scheme, may_manage_cards

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]


def test_manages_cards_of_any_scheme_for_every_demo_user():
    schemes = list(Scheme.objects.all())
    users = list(get_user_model().objects.order_by("username"))
    assert len(schemes) == 5 and len(users) > 50
    answers = {}
    for user in users:
        expected = any(may_manage_cards(user, scheme) for scheme in schemes)
        assert manages_cards_of_any_scheme(user) is expected, user.username
        answers[user.username] = expected
    assert any(answers.values()) and not all(answers.values()), "both answers occur: the sweep can fail either way"
    assert manages_cards_of_any_scheme(AnonymousUser()) is False


def test_notice_schemes_for_every_demo_user():
    """A scheme is listed for a user when one of its notice states names (``notice.department``, else the state's
    actor) a department of that scheme whose group the user is in."""
    from casefiles.models import Department, WorkflowState
    from casefiles.services.notices import notice_schemes_for

    states = [s for s in WorkflowState.objects.filter(notice__isnull=False).select_related("scheme") if s.notice]
    assert states
    listed_somewhere = 0
    for user in get_user_model().objects.order_by("username"):
        groups = set(user.groups.values_list("pk", flat=True))
        if user.is_superuser:
            expected = {s.scheme.slug for s in states}
        else:
            expected = {
                s.scheme.slug for s in states
                if Department.objects.filter(schemes=s.scheme, code=s.notice.get("department") or s.actor,
                                             group__in=groups).exists()
            }
        answered = [scheme.slug for scheme in notice_schemes_for(user)]
        assert answered == sorted(expected), user.username
        listed_somewhere += bool(answered)
    assert 0 < listed_somewhere < get_user_model().objects.count()
    assert notice_schemes_for(AnonymousUser()) == []

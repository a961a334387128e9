"""Separation of duties on dossiers (issue #16, item 6): where the data says so (by default for every decision),
the officer who made the previous decision on a dossier may not make the next one; a colleague may. Steps the
data marks ``four_eyes: false`` (operational: making and handing out the card) are exempt, and the applicant's
own steps are never counted.

Every scheme is walked to issuance; at each step the officer of the previous decision tries first.
"""

import pytest

from casefiles.actions.transition import TransitionAction, four_eyes_applies
from casefiles.demo_dossiers import demo_facts
from casefiles.exceptions import FourEyes, TransitionDenied
from casefiles.models import JournalEntry, Opinion
from casefiles.schemes.loader import SCHEME_SLUGS
from casefiles.testing import attach_required_materials, fire, path_to, route_choice, satisfy_controls
from casefiles.workflow.states import APPLICANT

from .factories import new_dossier, setup_schemes

pytestmark = [pytest.mark.usefixtures("schemes_once")]


def _walk(scheme):
    """Walk one dossier to issuance; at each step the previous decider tries first. Returns (refused, exempt)."""
    issuing = scheme.transitions.filter(issues_card=True).first()
    tier, criterion = route_choice(scheme, issuing.target.code, demo_facts(scheme))
    dossier = new_dossier(scheme.slug, tier=tier.code)
    dossier.criteria.set([criterion])
    attach_required_materials(dossier)
    refused = exempt = 0
    for transition in path_to(scheme, issuing.target.code, dossier=dossier):
        dossier = satisfy_controls(dossier, transition)
        last = Opinion.objects.filter(dossier=dossier).order_by("-created_at", "-pk").first()
        previous = scheme.transitions.filter(code=last.transition).first() if last else None
        if previous is not None and APPLICANT not in previous.by:
            both = four_eyes_applies(transition, scheme) and four_eyes_applies(previous, scheme)
            attempt = TransitionAction(dossier, transition.code, last.actor, comment="同意", today=getattr(dossier, "_walk_today", None))
            try:
                attempt.check()
            except FourEyes as exc:
                assert both, (scheme.slug, transition.code, "refused although the data exempts it")
                assert "同事" in str(exc) or "colleague" in str(exc)
                refused += 1
            except TransitionDenied:
                pass  # the previous decider is not entitled to this step at all (another department)
            else:
                assert not both, (scheme.slug, transition.code, "the same officer decided twice in a row")
                exempt += 1
        dossier = fire(dossier, transition, comment="同意")
    assert dossier.state == issuing.target
    return refused, exempt


def test_the_previous_decider_may_not_decide_again_in_any_scheme(db):
    schemes = setup_schemes()
    results = {slug: _walk(schemes[slug]) for slug in SCHEME_SLUGS}
    # The sweep met both sides of the rule: someone refused, and an exempt step taken by the same officer.
    assert sum(r for r, _e in results.values()) > 0, results
    assert sum(e for _r, e in results.values()) > 0, results


def test_a_refusal_changes_nothing(db):
    schemes = setup_schemes()
    scheme = schemes[SCHEME_SLUGS[0]]
    issuing = scheme.transitions.filter(issues_card=True).first()
    tier, criterion = route_choice(scheme, issuing.target.code, demo_facts(scheme))
    dossier = new_dossier(scheme.slug, tier=tier.code)
    dossier.criteria.set([criterion])
    attach_required_materials(dossier)
    path = path_to(scheme, issuing.target.code, dossier=dossier)
    for index, transition in enumerate(path):
        previous = Opinion.objects.filter(dossier=dossier).order_by("-created_at", "-pk").first()
        dossier = satisfy_controls(dossier, transition)
        if previous is not None and index and four_eyes_applies(transition, scheme) and four_eyes_applies(path[index - 1], scheme):
            state, journal = dossier.state_id, JournalEntry.objects.count()
            with pytest.raises((FourEyes, TransitionDenied)):
                TransitionAction(dossier, transition.code, previous.actor, comment="同意").execute()
            dossier.refresh_from_db()
            assert dossier.state_id == state and JournalEntry.objects.count() == journal
            return
        dossier = fire(dossier, transition, comment="同意")
    pytest.fail("no two decisions in a row on the route")

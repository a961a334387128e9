"""The queries of a committed workflow transition, pinned per scheme (issue #21 item 2).

Every shipped scheme walks one dossier to issuance, step by step as the demo users entitled to each step; only the
transition itself (``dossier_transition``, i.e. ``TransitionAction.execute``) is counted, not the test's own
preparation. The ceilings are the counts after the cuts of issue #21 (the guardian rows of a dossier read in one
query and removed without a SELECT first, the two dossier permissions remembered per process, the working calendar
read in one query): a change that adds a query to every step fails here with the counts of every step. If a new
rule needs a query, raise the ceiling in the same commit and say why.

The count is of the steady state a server is in after its first request and its first card, whatever tests ran
earlier in the same process (the CI run counted 5 more queries on the issuing step than this module alone did):
the URL configuration is loaded first (it registers the Wagtail snippets, and a saved card then updates Wagtail's
reference index: 5 queries of the issuing step), and a first dossier is walked to issuance before the counted one
(content types cached, the year's card number counter created).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from casefiles.demo_dossiers import demo_facts
from casefiles.schemes.loader import SCHEME_SLUGS
from casefiles.services.dossiers import dossier_transition
from casefiles.testing import attach_required_materials, demo_user_for, path_to, route_choice, satisfy_controls

from .factories import new_dossier, setup_schemes

pytestmark = [pytest.mark.usefixtures("schemes_once")]

#: Queries of the whole walk to issuance (sum over its steps), per scheme; the same on SQLite and PostgreSQL
#: (after the warm-up of the module docstring; 7dc1c4d pinned 5 fewer, counted without the URL configuration).
#: Before the cuts (8f3f52b): tonghua 136, jilin 158, chuxiong 172, baiyun 190, liaocheng 116.
#: Issuance lists the holder with the units serving the tier (issue #20 item 4, delivery.services.holder_list_on_issue):
#: four queries (the card's services, the units, their people, one upsert of the lists), +4 on each scheme.
CEILING = {"tonghua": 120, "jilin": 139, "chuxiong": 148, "baiyun": 163, "liaocheng": 104}


def _walk(scheme):
    """[(transition code, queries)] of one dossier walked to the issuing step's target."""
    issuing = scheme.transitions.filter(issues_card=True).first()
    tier, criterion = route_choice(scheme, issuing.target.code, demo_facts(scheme))
    dossier = new_dossier(scheme.slug, tier=tier.code)
    dossier.criteria.set([criterion])
    attach_required_materials(dossier)
    counts = []
    for transition in path_to(scheme, issuing.target.code, dossier=dossier):
        dossier = satisfy_controls(dossier, transition)
        today = getattr(dossier, "_walk_today", None)
        principals = [p.strip() for p in transition.by.split(",")]
        principals = [dossier.state.actor if p == "actor" else p for p in principals]
        user = next(u for u in (demo_user_for(dossier, p) for p in principals) if u is not None)
        with CaptureQueriesContext(connection) as captured:
            dossier = dossier_transition(
                dossier=dossier, transition=transition.code, user=user, comment="同意", today=today
            )
        counts.append((transition.code, len(captured.captured_queries)))
        dossier._walk_today = today
    assert dossier.state == issuing.target
    return counts


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_a_transition_costs_no_more_queries_than_pinned(db, slug):
    schemes = setup_schemes()
    get_resolver().url_patterns  # noqa: B018 - as a server after its first request: see the module docstring
    _walk(schemes[slug])  # a first card: see the module docstring
    counts = _walk(schemes[slug])
    total = sum(n for _code, n in counts)
    assert slug in CEILING, f"pin the new scheme's count: {slug}: {total} queries over {len(counts)} steps: {counts}"
    assert total <= CEILING[slug], f"{slug}: {total} queries over {len(counts)} steps: {counts}"

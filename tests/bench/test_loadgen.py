import pytest

from casefiles.models import Dossier
from casefiles.permissions import current_grants, desired_grants

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_generated_dossiers_carry_the_grants_the_workflow_would_give(db):
    from bench.loadgen import generate
    from casefiles.demo import load_schemes_and_users

    load_schemes_and_users(password="bench-pass-123")
    made = generate(300, applicants=50, employers_per_scheme=3, progress=False, batch=120)
    assert made == 300
    dossiers = list(Dossier.objects.select_related("state", "scheme", "employer", "authority"))
    assert len(dossiers) == 300
    assert len({d.scheme.slug for d in dossiers}) == 5
    assert len({d.state.code for d in dossiers}) > 10
    for dossier in dossiers:
        assert current_grants(dossier) == desired_grants(dossier), dossier.reference

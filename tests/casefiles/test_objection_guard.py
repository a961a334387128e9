import datetime
import random

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_dossiers import make_dossier
from casefiles.exceptions import StateConflict
from casefiles.models import Dossier, Scheme
from casefiles.services.dossiers import dossier_transition
from casefiles.services.notices import (
    closing_transition,
    notice_department,
    notice_states,
    objection_record,
    objection_resolve,
    public_notice_open,
)

from .factories import setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]


def test_open_objection_blocks_leaving_public_notice():
    """The closing step, fired as any caller fires it (dossier_transition), is held by an open objection."""
    setup_schemes()
    scheme = next(s for s in Scheme.objects.order_by("slug") if notice_states(s))
    state = notice_states(scheme)[0]
    dossier = make_dossier(scheme, user(f"{scheme.slug}.applicant"), random.Random(1), with_attachment=False)
    Dossier.objects.filter(pk=dossier.pk).update(state=state)  # the steps before need opinions; tested elsewhere
    dossier = Dossier.objects.get(pk=dossier.pk)
    department = notice_department(state)
    office = get_user_model().objects.filter(groups=department.group).order_by("pk").first()
    notice = public_notice_open(scheme=scheme, user=office, dossiers=[dossier], how_to_object="书面向州人才办反映")
    later = notice.closes_on + datetime.timedelta(days=1)
    close = closing_transition(state)
    objection = objection_record(notice=notice, dossier=dossier, user=office, content="该候选人业绩材料存疑")
    with pytest.raises(StateConflict):
        dossier_transition(dossier=dossier, transition=close.code, user=office, today=later)
    objection_resolve(objection=objection, user=office, upheld=False, resolution="经核实，材料真实")
    dossier = dossier_transition(dossier=dossier, transition=close.code, user=office, today=later)
    assert dossier.state_id == close.target_id

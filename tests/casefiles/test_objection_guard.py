import pytest

from casefiles.exceptions import StateConflict
from casefiles.services.cards import objection_record, objection_resolve, public_notice_open
from casefiles.services.dossiers import dossier_transition

from .factories import new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_open_objection_blocks_leaving_public_notice():
    setup_schemes()
    dossier = new_dossier("chuxiong")
    for transition, username in (("submit", "chuxiong.applicant"), ("approve_assessment", "chuxiong.talent-office"),
                                 ("open_public_notice", "chuxiong.talent-office")):
        dossier = dossier_transition(dossier=dossier, transition=transition, user=user(username))
    talent_office = user("chuxiong.talent-office")
    notice = public_notice_open(scheme=dossier.scheme, user=talent_office, dossiers=[dossier], working_days=5,
                                how_to_object="书面向州人才办反映")
    objection = objection_record(notice=notice, dossier=dossier, user=talent_office, content="该候选人业绩材料存疑")
    with pytest.raises(StateConflict):
        dossier_transition(dossier=dossier, transition="close_public_notice", user=user("chuxiong.talent-office"))
    objection_resolve(objection=objection, user=talent_office, upheld=False, resolution="经核实，材料真实")
    dossier = dossier_transition(dossier=dossier, transition="close_public_notice", user=user("chuxiong.talent-office"))
    assert dossier.state.code == "card_production"

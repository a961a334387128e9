"""Every card service that takes a date or a name runs the shared checks of casefiles/validation.py (the ones the
dossier service runs): an implausible date, a control character, a lone surrogate or a formula-like name is refused
with a CaseFileError naming the field, and nothing is stored."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.utils import timezone

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.exceptions import CaseFileError
from casefiles.models import (
    Assessment,
    Card,
    CardEvent,
    Dossier,
    JournalEntry,
    NoticeObjection,
    PublicNotice,
    RevocationReason,
)
from casefiles.services import cards as svc
from casefiles.services import notices as notice_svc

from .factories import new_dossier, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
TODAY = timezone.localdate()

BAD_DATES = [datetime.date(1900, 1, 1), datetime.date(9999, 12, 31), "2030-01-01"]
BAD_TEXTS = ["张\x00三", "张\x1b[31m三", "张\u202e三", "张\ud800三", "\ud83d", "=HYPERLINK(\"http://x\")", "＝1+1",
             "@SUM(1+1)", "\t=1+1"]
#: Text that must stay accepted where it is a particular (a phone number starts with +86).
GOOD_PHONE = "+8613912345678"
#: Bad contacts: everything above but the formula-like (a phone number is no formula), and one too long.
BAD_CONTACTS = [v for v in BAD_TEXTS if not v.lstrip("\t").startswith(("=", "＝", "@"))] + ["1" * 101]


def user(username):
    return get_user_model().objects.get(username=username)


def state(card):
    """Everything a refused service must leave as it was."""
    card = Card.objects.get(pk=card.pk)
    return (model_to_dict(card), CardEvent.objects.count(), JournalEntry.objects.count(), Assessment.objects.count())


def report(card, employer, changes):
    return lambda: svc.card_report_particulars(card=card, user=user(employer), changes=changes)


def refused(call, card, field):
    before = state(card)
    with pytest.raises(CaseFileError) as caught:
        call()
    assert caught.value.code == field, (field, caught.value.code, str(caught.value))
    assert state(card) == before
    return str(caught.value)


@pytest.fixture
def cards(db):
    prepare_schemes(("tonghua", "baiyun", "liaocheng"))
    tonghua = issue_card("tonghua", contract_end=TODAY + datetime.timedelta(days=1000))
    return {"tonghua": tonghua, "baiyun": issue_card("baiyun"), "liaocheng": issue_card("liaocheng")}


def test_particulars_refuse_bad_names_contacts_and_contract_ends(cards):
    cells = 0
    for slug, employer in (("tonghua", "tonghua.employer"), ("liaocheng", "liaocheng.employer")):
        card = cards[slug]
        for field in ("holder_name", "sector", "position", "email"):
            for value in BAD_TEXTS:
                refused(report(card, employer, {field: value}), card, field)
                cells += 1
        for value in BAD_CONTACTS:
            refused(report(card, employer, {"phone": value}), card, "phone")
            cells += 1
        refused(report(card, employer, {"holder_name": "李" * 101}), card, "holder_name")
        for value in BAD_DATES:
            message = refused(report(card, employer, {"contract_end": value}), card, "contract_end")
            assert "1900" not in message and "9999" not in message
            cells += 1
        # a good change passes (the phone may start with +86)
        good = {"holder_name": "李四", "phone": GOOD_PHONE, "contract_end": TODAY + datetime.timedelta(days=300)}
        svc.card_report_particulars(card=card, user=user(employer), changes=good)
        card.refresh_from_db()
        assert card.holder_name == "李四" and card.particulars["phone"] == GOOD_PHONE
    assert cells == 2 * (4 * len(BAD_TEXTS) + len(BAD_CONTACTS) + len(BAD_DATES))


def test_tonghua_1900_contract_end_does_not_become_valid_until(cards):
    card = cards["tonghua"]
    until = Card.objects.get(pk=card.pk).valid_until
    for value in (datetime.date(1900, 1, 1), datetime.date(9999, 12, 31)):
        refused(lambda v=value: svc.card_report_particulars(card=card, user=user("tonghua.employer"),
                                                            changes={"contract_end": v}), card, "contract_end")
    assert Card.objects.get(pk=card.pk).valid_until == until


def test_renewal_refuses_implausible_contract_end(cards):
    card = cards["tonghua"]
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY + datetime.timedelta(days=20))
    renew = svc.card_renew
    for value in BAD_DATES:
        refused(lambda v=value: renew(card=card, user=user("tonghua.service-center"), comment="经审核仍符合条件。",
                                      contract_end=v), card, "contract_end")
    svc.card_renew(card=card, user=user("tonghua.service-center"), comment="经审核仍符合条件。",
                   contract_end=TODAY + datetime.timedelta(days=900))
    assert Card.objects.get(pk=card.pk).valid_until == TODAY + datetime.timedelta(days=900)


def test_exit_retirement_and_assessment_dates_are_checked(cards):
    tonghua, baiyun = cards["tonghua"], cards["baiyun"]
    revoke = RevocationReason.objects.get(scheme__slug="tonghua", ref="16.2")
    calls = {
        "effective_on": [
            (tonghua, lambda v: svc.card_revoke(card=tonghua, reason=revoke, user=user("tonghua.service-center"),
                                                comment="经核查提供虚假材料。", effective_on=v)),
            (baiyun, lambda v: svc.card_move_to_contact_list(card=baiyun, user=user("baiyun.hr-bureau"),
                                                             comment="不再符合条件。", effective_on=v)),
            (baiyun, lambda v: svc.card_terminate_all(card=baiyun, user=user("baiyun.hr-bureau"), comment="弄虚作假。",
                                                      effective_on=v)),
        ],
        "retired_on": [(baiyun, lambda v: svc.card_record_retirement(card=baiyun, user=user("baiyun.employer"),
                                                                     comment="已退休。", retired_on=v))],
        "assessed_on": [(baiyun, lambda v: svc.card_record_assessment(card=baiyun, user=user("baiyun.employer"),
                                                                      result="competent", assessed_on=v))],
    }
    for field, services in calls.items():
        for card, call in services:
            for value in BAD_DATES:
                refused(lambda c=call, v=value: c(v), card, field)
    # a plausible date still works
    svc.card_record_assessment(card=baiyun, user=user("baiyun.employer"), result="competent",
                               assessed_on=TODAY - datetime.timedelta(days=30))


def test_public_notice_and_objection_dates_and_names_are_checked():
    setup_schemes()
    dossier = new_dossier("chuxiong")
    # at the notice stage directly: the steps before it need materials and opinions (tests/casefiles/test_public_notice.py)
    Dossier.objects.filter(pk=dossier.pk).update(state=dossier.scheme.states.get(code="public_notice"))
    dossier = Dossier.objects.get(pk=dossier.pk)
    office = user("chuxiong.talent-office")
    notices = PublicNotice.objects.count()
    for value in BAD_DATES:
        with pytest.raises(CaseFileError) as caught:
            notice_svc.public_notice_open(scheme=dossier.scheme, user=office, dossiers=[dossier], working_days=5,
                                   how_to_object="书面反映。", opens_on=value)
        assert caught.value.code == "opens_on"
    assert PublicNotice.objects.count() == notices
    notice = notice_svc.public_notice_open(scheme=dossier.scheme, user=office, dossiers=[dossier], working_days=5,
                                    how_to_object="书面反映。")
    bad = [("received_on", {"received_on": v}) for v in BAD_DATES]
    bad += [("objector", {"objector": v}) for v in BAD_TEXTS] + [("objector", {"objector": "王" * 101})]
    bad += [("contact", {"contact": v}) for v in BAD_CONTACTS]
    for field, kwargs in bad:
        with pytest.raises(CaseFileError) as caught:
            notice_svc.objection_record(notice=notice, dossier=dossier, user=office, content="材料存疑。", **kwargs)
        assert caught.value.code == field, (field, kwargs)
    assert not NoticeObjection.objects.exists()
    notice_svc.objection_record(notice=notice, dossier=dossier, user=office, content="材料存疑。", objector="王五",
                         contact=GOOD_PHONE)
    assert NoticeObjection.objects.count() == 1

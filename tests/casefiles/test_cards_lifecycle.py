"""Card lifecycle services, per scheme, each with the article it applies recorded."""

import datetime
import random

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.exceptions import CaseFileError, StateConflict, TransitionDenied
from casefiles.models import (
    Card,
    CardEvent,
    CardStatus,
    Department,
    ExitCandidate,
    ExitCandidateStatus,
    JournalEntry,
    Notification,
    RevocationReason,
    RevocationRequestStatus,
    Scheme,
)
from casefiles.selectors_cards import assessments_overdue, cards_visible_to, exit_rows
from casefiles.services import cards as svc
from casefiles.services.journal import journal_verify

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
TODAY = timezone.localdate()


def user(username):
    return get_user_model().objects.get(username=username)


def stranger():
    return get_user_model().objects.create_user("stranger", password="x")


def reason(slug, ref):
    return RevocationReason.objects.get(scheme__slug=slug, ref=ref)


def last_event(card):
    return CardEvent.objects.filter(card=card).latest("pk")


def last_journal(action):
    return JournalEntry.objects.filter(action=action).latest("pk")


@pytest.fixture(scope="module")
def prepared_once(django_db_setup, django_db_blocker):
    """Every shipped scheme with its demo employers and users (prepare_schemes), loaded once for the module."""
    from casefiles.schemes.loader import SCHEME_SLUGS
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        prepare_schemes(SCHEME_SLUGS)
        yield


@pytest.fixture
def schemes(prepared_once, db):
    """``schemes(*slugs)``: those schemes, fresh from the database (loaded once for the module; each test in a
    savepoint)."""
    from casefiles.models import Scheme

    def make(*slugs):
        return {s.slug: s for s in Scheme.objects.filter(slug__in=slugs)}

    return make


# --- issuance ------------------------------------------------------------------------------------------


def test_issue_tonghua_validity_is_five_years_bounded_by_contract(schemes):
    schemes("tonghua")
    rng = random.Random(1)
    short = issue_card("tonghua", rng=rng, contract_end=TODAY + datetime.timedelta(days=700))
    long = issue_card("tonghua", rng=rng, contract_end=TODAY + datetime.timedelta(days=4000))
    assert short.valid_until == TODAY + datetime.timedelta(days=700)
    assert long.valid_until == svc.add_years(TODAY, 5) - datetime.timedelta(days=1)
    assert short.number.startswith(f"THYC{TODAY.year}") and short.number != long.number
    event = CardEvent.objects.get(card=short, kind="issue")
    assert event.article  # the article of the issuing transition
    entry = JournalEntry.objects.filter(action="casefiles.card.issue", object_id=str(short.pk)).get()
    assert entry.data["validity_article"] == "第十五条"
    assert journal_verify() is None


def test_issue_validity_per_scheme(schemes):
    schemes("baiyun", "jilin", "chuxiong", "liaocheng")
    baiyun = issue_card("baiyun", contract_end=TODAY + datetime.timedelta(days=100))
    assert baiyun.valid_until == svc.add_years(TODAY, 5) - datetime.timedelta(days=1)  # not bounded by the contract
    for slug in ("jilin", "chuxiong", "liaocheng"):
        card = issue_card(slug)
        assert card.valid_until is None and card.status == CardStatus.ACTIVE
        assert card.employer is not None and len(card.verification_token) >= 40


# --- revocation: who may request, per scheme -----------------------------------------------------------


def test_tonghua_department_revokes_directly_with_the_article(schemes):
    schemes("tonghua")
    card = issue_card("tonghua")
    with pytest.raises(TransitionDenied):
        svc.card_revoke(card=card, reason=reason("tonghua", "16.2"), user=stranger(), comment="虚假材料")
    with pytest.raises(TransitionDenied):  # the holder requests, never revokes
        svc.card_revoke(card=card, reason=reason("tonghua", "16.2"), user=card.holder, comment="虚假材料")
    svc.card_revoke(card=card, reason=reason("tonghua", "16.2"), user=user("tonghua.service-center"), comment="经核查提供虚假材料。")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.end_reason.ref == "16.2" and card.ended_at == TODAY
    event = last_event(card)
    assert (event.kind, event.article, event.acting_as) == ("revoke", "第十六条第（二）项", "department")
    assert last_journal("casefiles.card.revoke").data["article"] == "第十六条第（二）项"
    with pytest.raises(StateConflict):
        svc.card_revoke(card=card, reason=reason("tonghua", "16.1"), user=user("tonghua.service-center"), comment="再次")


def test_tonghua_holder_and_employer_may_request(schemes):
    schemes("tonghua")
    card = issue_card("tonghua")
    request = svc.card_request_revocation(card=card, reason=reason("tonghua", "16.8"), user=card.holder, comment="已调离通化市工作。")
    assert request.requested_as == "holder"
    with pytest.raises(StateConflict):  # one open request at a time
        svc.card_request_revocation(card=card, reason=reason("tonghua", "16.8"), user=user("tonghua.employer"), comment="同上")
    with pytest.raises(TransitionDenied):
        svc.card_agree_revocation(request=request, user=card.holder)
    svc.card_agree_revocation(request=request, user=user("tonghua.hr-bureau"), comment="同意。")
    request.refresh_from_db()
    card.refresh_from_db()
    assert request.status == RevocationRequestStatus.AGREED and card.status == CardStatus.REVOKED
    assert last_event(card).article == "第十六条第（八）项"
    assert last_event(card).data["request"] == request.pk


def test_jilin_holder_may_not_request_but_employer_may(schemes):
    schemes("jilin")
    card = issue_card("jilin")
    with pytest.raises(TransitionDenied):
        svc.card_request_revocation(card=card, reason=reason("jilin", "11.8"), user=card.holder, comment="调离")
    with pytest.raises(TransitionDenied):  # a contact of another employer
        svc.card_request_revocation(card=card, reason=reason("jilin", "11.8"), user=user("jilin.employer2"), comment="调离")
    request = svc.card_request_revocation(card=card, reason=reason("jilin", "11.8"), user=user("jilin.employer"), comment="已调离吉林省工作。")
    assert request.requested_as == "employer"
    svc.card_agree_revocation(request=request, user=user("jilin.hr-bureau"))
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and last_event(card).article == "第十一条第（八）项"


def test_chuxiong_reasons_limit_who_may_request(schemes):
    schemes("chuxiong")
    card = issue_card("chuxiong")
    with pytest.raises(TransitionDenied):  # 9.1 only the talent office
        svc.card_request_revocation(card=card, reason=reason("chuxiong", "9.1"), user=user("chuxiong.employer"), comment="弄虚作假")
    request = svc.card_request_revocation(card=card, reason=reason("chuxiong", "9.4"), user=user("chuxiong.employer"), comment="终止合作关系。")
    svc.card_decline_revocation(request=request, user=user("chuxiong.talent-office"), comment="合同仍在履行。")
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and last_event(card).kind == "decline_revocation"
    svc.card_revoke(card=card, reason=reason("chuxiong", "9.3"), user=user("chuxiong.talent-office"), comment="触犯法律法规。")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and last_event(card).article == "第九条第（三）项"
    rows = exit_rows(card.scheme, TODAY.year)
    assert len(rows) == 1 and rows[0]["article"] == "第九条第（三）项" and rows[0]["card"] == card.number
    assert "*" in rows[0]["name"] and rows[0]["name"] != card.holder_name


def test_liaocheng_employer_proposes_hr_bureau_agrees_card_recalled(schemes):
    schemes("liaocheng")
    card = issue_card("liaocheng")
    why = reason("liaocheng", "34")
    with pytest.raises(TransitionDenied):  # the HR bureau does not act on its own
        svc.card_revoke(card=card, reason=why, user=user("liaocheng.hr-bureau"), comment="违纪")
    with pytest.raises(TransitionDenied):
        svc.card_propose_revocation(card=card, reason=why, user=card.holder, comment="违纪")
    request = svc.card_propose_revocation(card=card, reason=why, user=user("liaocheng.employer"), comment="持卡人违反单位纪律，受到处分。")
    with pytest.raises(TransitionDenied):  # the employer cannot agree to its own proposal
        svc.card_agree_revocation(request=request, user=user("liaocheng.employer"))
    svc.card_agree_revocation(request=request, user=user("liaocheng.hr-bureau"), comment="同意收回。")
    card.refresh_from_db()
    event = last_event(card)
    assert card.status == CardStatus.REVOKED
    assert (event.kind, event.article, event.data["effect"]) == ("recall", "第三十四条", "recall")
    assert [e.kind for e in card.events.order_by("pk")] == ["issue", "request_revocation", "recall"]


# --- 白云: contact list, termination, retirement, assessment --------------------------------------------


def test_baiyun_contact_list_then_reinstate(schemes):
    schemes("baiyun")
    card = issue_card("baiyun")
    with pytest.raises(TransitionDenied):
        svc.card_move_to_contact_list(card=card, user=user("baiyun.employer"), comment="职务调整")
    on = datetime.date(TODAY.year, 3, 17)
    svc.card_move_to_contact_list(card=card, user=user("baiyun.hr-bureau"), comment="职务调整，不再符合发放条件。", effective_on=on)
    card.refresh_from_db()
    assert card.status == CardStatus.CONTACT_LIST
    assert card.services_end_on == datetime.date(TODAY.year, 4, 1)
    assert card.bank_services is True and card.priority_reapplication is True
    assert last_event(card).article == "第六条第（一）项"
    svc.card_reinstate(card=card, user=user("baiyun.hr-bureau"), comment="重新符合认定条件。")
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and card.services_end_on is None
    assert last_event(card).kind == "reinstate" and last_event(card).article == "第六条第（一）项"


def test_baiyun_december_contact_list_ends_in_january():
    assert svc.first_of_next_month(datetime.date(2026, 12, 31)) == datetime.date(2027, 1, 1)
    assert svc.first_of_next_month(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 1)


def test_baiyun_competent_authority_may_propose_contact_list(schemes):
    schemes("baiyun")
    card = issue_card("baiyun")
    authority_staff = get_user_model().objects.filter(groups=card.dossier.authority.group).first()
    svc.card_move_to_contact_list(card=card, user=authority_staff, comment="工作变动。")
    card.refresh_from_db()
    assert card.status == CardStatus.CONTACT_LIST and last_event(card).department == card.dossier.authority


def test_baiyun_terminate_all_ends_bank_services_even_from_contact_list(schemes):
    schemes("baiyun")
    card = issue_card("baiyun")
    svc.card_move_to_contact_list(card=card, user=user("baiyun.hr-bureau"), comment="调整")
    svc.card_terminate_all(card=card, user=user("baiyun.hr-bureau"), comment="弄虚作假骗取资格。")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.bank_services is False
    assert last_event(card).kind == "terminate_all" and last_event(card).article == "第六条第（二）项"


def test_baiyun_retiree_keeps_card_until_end_of_period(schemes):
    schemes("baiyun")
    card = issue_card("baiyun")
    until = card.valid_until
    svc.card_record_retirement(card=card, user=user("baiyun.employer"), comment="已办理退休手续。")
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and card.valid_until == until and card.retired_on == TODAY
    assert last_event(card).kind == "keep_until_end" and last_event(card).article == "第六条第（三）项"
    with pytest.raises(CaseFileError):  # no renewal in 白云: re-apply
        svc.card_renew(card=card, user=user("baiyun.hr-bureau"), comment="续")
    # expires at the end of the period like any card
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY - datetime.timedelta(days=1))
    assert svc.cards_expire_due() == 1
    card.refresh_from_db()
    assert card.status == CardStatus.EXPIRED


def test_retirement_rule_does_not_exist_in_tonghua(schemes):
    schemes("tonghua")
    card = issue_card("tonghua")
    with pytest.raises(CaseFileError):
        svc.card_record_retirement(card=card, user=user("tonghua.service-center"), comment="退休")


def test_baiyun_biennial_assessment_and_overdue_list(schemes):
    schemes("baiyun")
    rng = random.Random(3)
    fresh, old, assessed = (issue_card("baiyun", rng=rng) for _ in range(3))
    two_years_ago = svc.add_years(TODAY, -2) - datetime.timedelta(days=3)
    Card.objects.filter(pk__in=[old.pk, assessed.pk]).update(valid_from=two_years_ago)
    with pytest.raises(TransitionDenied):  # the employer assesses, not the bureau
        svc.card_record_assessment(card=assessed, user=user("baiyun.hr-bureau"), result="competent")
    assessment = svc.card_record_assessment(card=assessed, user=user("baiyun.employer"), result="excellent", summary="业绩突出")
    assert assessment.employer == assessed.employer
    assert last_event(assessed).article == "第六条" and last_event(assessed).data["result"] == "excellent"
    overdue = list(assessments_overdue(fresh.scheme, TODAY))
    assert overdue == [Card.objects.get(pk=old.pk)]
    with pytest.raises(CaseFileError):
        svc.card_record_assessment(card=old, user=user("baiyun.employer"), result="great")


def test_assessment_is_baiyun_only(schemes):
    schemes("jilin")
    card = issue_card("jilin")
    with pytest.raises(CaseFileError):
        svc.card_record_assessment(card=card, user=user("jilin.employer"), result="competent")


# --- loss and reissue (通化 第十五条, 吉林 第十条) ----------------------------------------------------------


@pytest.mark.parametrize(("slug", "manager", "article"), [("tonghua", "tonghua.service-center", "第十五条"), ("jilin", "jilin.hr-bureau", "第十条")])
def test_loss_report_and_reissue(schemes, slug, manager, article):
    schemes(slug)
    card = issue_card(slug)
    with pytest.raises(StateConflict):  # reissue needs a loss report first
        svc.card_reissue(card=card, user=user(manager), comment="证明")
    svc.card_report_loss(card=card, user=card.holder)
    card.refresh_from_db()
    assert card.status == CardStatus.SUSPENDED and last_event(card).article == article
    with pytest.raises(TransitionDenied):
        svc.card_reissue(card=card, user=card.holder, comment="证明")
    new = svc.card_reissue(card=card, user=user(manager), comment="持卡人提交了遗失登报证明。")
    card.refresh_from_db()
    assert card.status == CardStatus.REPLACED and new.replaces == card
    assert new.number != card.number and new.verification_token != card.verification_token
    assert (new.tier, new.valid_until, new.holder) == (card.tier, card.valid_until, card.holder)
    assert last_event(card).kind == "reissue" and last_event(card).data["new_number"] == new.number
    assert last_event(new).article == article
    with pytest.raises(StateConflict):  # the old number is dead
        svc.card_report_loss(card=card, user=card.holder)


def _card_rules(slug, **changes):
    scheme = Scheme.objects.get(slug=slug)
    Scheme.objects.filter(pk=scheme.pk).update(card_rules={**scheme.card_rules, **changes})


def test_loss_renewal_and_reminders_follow_the_scheme_file(schemes, django_capture_on_commit_callbacks):
    """Who reports a loss, who reissues, who renews, when renewal opens and when reminders go are the scheme file's
    ``cards.loss`` / ``cards.renewal`` / ``cards.reminders`` (issue #17 item 1): changed in the data, the engine
    follows; null = no such rule."""
    schemes("tonghua")
    _card_rules("tonghua", loss={"reported_by": ["department"], "reissued_by": ["department"], "setting": True},
                renewal={"by": ["department"], "window_days": 10, "setting": True},
                reminders={"days_before": [7], "setting": True})
    card = issue_card("tonghua", contract_end=TODAY + datetime.timedelta(days=4000))
    with pytest.raises(TransitionDenied):  # the holder no longer reports a loss here
        svc.card_report_loss(card=card, user=card.holder)
    svc.card_report_loss(card=card, user=user("tonghua.service-center"))
    new = svc.card_reissue(card=card, user=user("tonghua.hr-bureau"), comment="登报遗失声明。")
    Card.objects.filter(pk=new.pk).update(valid_until=TODAY + datetime.timedelta(days=20))
    with pytest.raises(StateConflict, match="10"):  # 20 days left: the window is 10
        svc.card_renew(card=new, user=user("tonghua.service-center"), comment="仍符合条件。")
    assert svc.cards_send_reminders() == 0  # 20 days left: the reminder is at 7
    Card.objects.filter(pk=new.pk).update(valid_until=TODAY + datetime.timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.cards_send_reminders() == 1
    assert [e.data["days_ahead"] for e in new.events.filter(kind="remind")] == [7]
    svc.card_renew(card=new, user=user("tonghua.service-center"), comment="经审核仍符合条件。")
    new.refresh_from_db()
    assert new.valid_from == TODAY + datetime.timedelta(days=7)

    _card_rules("tonghua", loss=None, renewal=None, reminders=None)
    Card.objects.filter(pk=new.pk).update(valid_until=TODAY + datetime.timedelta(days=5), reminders_sent=[])
    with pytest.raises(CaseFileError) as lost:
        svc.card_report_loss(card=new, user=new.holder)
    assert lost.value.code == "no_rule"
    with pytest.raises(CaseFileError) as renewed:
        svc.card_renew(card=new, user=user("tonghua.service-center"), comment="仍符合条件。")
    assert renewed.value.code == "no_rule"
    assert svc.cards_send_reminders() == 0


def test_no_loss_rule_in_chuxiong(schemes):
    schemes("chuxiong")
    card = issue_card("chuxiong")
    with pytest.raises(CaseFileError):
        svc.card_report_loss(card=card, user=card.holder)


# --- renewal, particulars -------------------------------------------------------------------------------


def test_tonghua_renewal_rechecks_eligibility_in_the_window(schemes):
    schemes("tonghua")
    card = issue_card("tonghua", contract_end=TODAY + datetime.timedelta(days=4000))
    with pytest.raises(StateConflict):  # too early
        svc.card_renew(card=card, user=user("tonghua.service-center"), comment="仍符合条件")
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY + datetime.timedelta(days=20))
    with pytest.raises(CaseFileError):  # the re-check must be recorded
        svc.card_renew(card=card, user=user("tonghua.service-center"), comment="")
    with pytest.raises(TransitionDenied):
        svc.card_renew(card=card, user=card.holder, comment="仍符合条件")
    svc.card_renew(card=card, user=user("tonghua.service-center"), comment="经审核仍符合第六条条件。",
                   contract_end=TODAY + datetime.timedelta(days=900))
    card.refresh_from_db()
    assert card.valid_from == TODAY + datetime.timedelta(days=21)
    assert card.valid_until == TODAY + datetime.timedelta(days=900)  # bounded by the new contract
    event = last_event(card)
    assert event.kind == "renew" and event.article == "第十五条"
    assert event.data["valid_until_before"] == str(TODAY + datetime.timedelta(days=20))


def test_tonghua_expired_card_can_be_renewed(schemes):
    schemes("tonghua")
    card = issue_card("tonghua")
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY - datetime.timedelta(days=2))
    svc.cards_expire_due()
    svc.card_renew(card=card, user=user("tonghua.hr-bureau"), comment="复核通过。")
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and card.valid_from == TODAY


def test_open_ended_cards_have_nothing_to_renew(schemes):
    schemes("liaocheng")
    card = issue_card("liaocheng")
    with pytest.raises(CaseFileError):
        svc.card_renew(card=card, user=user("liaocheng.hr-bureau"), comment="续")


def test_liaocheng_employer_reports_particulars(schemes):
    schemes("liaocheng")
    card = issue_card("liaocheng")
    with pytest.raises(TransitionDenied):
        svc.card_report_particulars(card=card, user=card.holder, changes={"phone": "13912345678"})
    with pytest.raises(TransitionDenied):
        svc.card_report_particulars(card=card, user=user("liaocheng.employer2"), changes={"phone": "13912345678"})
    svc.card_report_particulars(card=card, user=user("liaocheng.employer"), changes={"phone": "13912345678", "position": "总工程师"},
                                comment="职务晋升")
    card.refresh_from_db()
    assert card.particulars == {"phone": "13912345678", "position": "总工程师"}
    event = last_event(card)
    assert event.kind == "particulars" and event.article == "第三十三条"
    entry = last_journal("casefiles.card.particulars")
    assert entry.data["after"]["phone"] == "139****5678" and "13912345678" not in str(entry.data)
    new_employer = Department.objects.get(code="liaocheng-university-demo")
    svc.card_report_particulars(card=card, user=user("liaocheng.hr-bureau"), changes={"employer": new_employer})
    card.refresh_from_db()
    assert card.employer == new_employer
    # the new employer's contact now sees the card; the old one does not
    assert cards_visible_to(user("liaocheng.employer2")).filter(pk=card.pk).exists()
    assert not cards_visible_to(user("liaocheng.employer")).filter(pk=card.pk).exists()


def test_tonghua_shorter_contract_shortens_validity(schemes):
    schemes("tonghua")
    card = issue_card("tonghua", contract_end=TODAY + datetime.timedelta(days=1000))
    end = TODAY + datetime.timedelta(days=300)
    svc.card_report_particulars(card=card, user=user("tonghua.employer"), changes={"contract_end": end})
    card.refresh_from_db()
    assert card.valid_until == end


# --- the daily job ----------------------------------------------------------------------------------------


def test_reminders_60_and_30_days_ahead_once_each(schemes, mailoutbox, django_capture_on_commit_callbacks):
    schemes("tonghua")
    card = issue_card("tonghua")
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY + datetime.timedelta(days=59))
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.cards_send_reminders() == 1
    assert svc.cards_send_reminders() == 0
    assert svc.cards_send_reminders(today=TODAY + datetime.timedelta(days=10)) == 0  # 49 days left
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.cards_send_reminders(today=TODAY + datetime.timedelta(days=30)) == 1  # 29 days left
    reminders = card.events.filter(kind="remind").order_by("pk")
    assert [e.data["days_ahead"] for e in reminders] == [60, 30]
    assert all(e.article == "第十五条" for e in reminders)
    recipients = {n.recipient.username for n in Notification.objects.filter(event="card.remind")}
    assert recipients == {card.holder.username, "tonghua.employer"}


def test_exit_candidates_are_listed_never_revoked(schemes):
    schemes("tonghua", "jilin")
    rng = random.Random(7)
    old_c = issue_card("tonghua", rng=rng, facts={"talent_category": "C"}, birth_date=svc.add_years(TODAY, -66))
    young_c = issue_card("tonghua", rng=rng, facts={"talent_category": "C"}, birth_date=svc.add_years(TODAY, -50))
    retired_d = issue_card("jilin", rng=rng, facts={"talent_category": "D", "retired": True})
    retired_a = issue_card("jilin", rng=rng, facts={"talent_category": "A", "retired": True})
    call_command("card_daily", stdout=open("/dev/null", "w"))
    found = {(c.card_id, c.reason.ref) for c in ExitCandidate.objects.all()}
    assert found == {(old_c.pk, "16.6"), (retired_d.pk, "11.7")}
    assert Card.objects.filter(status=CardStatus.ACTIVE).count() == 4  # nothing revoked
    call_command("card_daily", stdout=open("/dev/null", "w"))
    assert ExitCandidate.objects.count() == 2  # no duplicates
    candidate = ExitCandidate.objects.get(card=old_c)
    svc.exit_candidate_confirm(candidate=candidate, user=user("tonghua.service-center"), comment="年满65岁的C类人才，经复核确认。")
    candidate.refresh_from_db()
    old_c.refresh_from_db()
    assert candidate.status == ExitCandidateStatus.CONFIRMED and old_c.status == CardStatus.REVOKED
    assert last_event(old_c).article == "第十六条第（六）项"
    other = ExitCandidate.objects.get(card=retired_d)
    svc.exit_candidate_dismiss(candidate=other, user=user("jilin.hr-bureau"), comment="返聘，未办理退休。")
    other.refresh_from_db()
    assert other.status == ExitCandidateStatus.DISMISSED
    assert young_c.pk and retired_a.pk


def test_card_daily_expires_and_reports(schemes):
    schemes("tonghua")
    card = issue_card("tonghua")
    Card.objects.filter(pk=card.pk).update(valid_until=TODAY - datetime.timedelta(days=1))
    import io

    out = io.StringIO()
    call_command("card_daily", stdout=out)
    card.refresh_from_db()
    assert card.status == CardStatus.EXPIRED and card.ended_at == TODAY - datetime.timedelta(days=1)
    assert last_event(card).kind == "expire" and last_event(card).article == "第十五条"
    assert "expired: 1" in out.getvalue()
    assert journal_verify() is None


@pytest.mark.django_db
def test_demo_cards_step_is_idempotent():
    from casefiles.demo import load_schemes_and_users
    from casefiles.demo_cards import CARDS_PER_SCHEME, load_cards

    load_schemes_and_users(password="demo-pass-123")
    load_cards(password="demo-pass-123")
    assert Card.objects.count() == 5 * CARDS_PER_SCHEME
    assert Card.objects.filter(scheme__slug="tonghua", status=CardStatus.EXPIRED).count() == 1
    assert Card.objects.filter(scheme__slug="chuxiong", status=CardStatus.REVOKED).count() == 1
    load_cards(password="demo-pass-123")
    assert Card.objects.count() == 5 * CARDS_PER_SCHEME

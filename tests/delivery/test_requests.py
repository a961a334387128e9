"""Service requests and the responsible units' work orders (issue #20 items 1, 2): for every scheme a service with
a time limit runs request → accepted → completed; refusals say why with the article; an overdue request is
reminded on the right working day across the 2026 National Day holiday; a unit sees only its own requests and
of the holder only name, phone and masked ID."""

import datetime

import pytest
from django.utils.translation import gettext

from casefiles.exceptions import CaseFileError, TransitionDenied
from casefiles.models import CardStatus, JournalEntry, Notification
from casefiles.services.calendar import WorkingCalendar
from delivery import selectors
from delivery.models import ServiceRequest, ServiceRequestState
from delivery.services import (
    RequestService,
    ServiceRefused,
    StepAction,
    card_services,
    requests_overdue_remind,
    steps_available,
)
from programmes.selectors import approver_department, office_schemes

from .delivery_world import SCHEMES, card_for, limited_service, office_staff, scheme, unit_staff

pytestmark = pytest.mark.usefixtures("schemes_once")
S = ServiceRequestState


def _events(event):
    return {n.recipient.username for n in Notification.objects.filter(event=event)}


@pytest.mark.parametrize("slug", SCHEMES)
def test_each_scheme_runs_a_limited_service_from_request_to_completion(db, slug, django_capture_on_commit_callbacks):
    service, card, from_policy = limited_service(slug)
    unit = service.responsible_units.order_by("code").first()
    staff = unit_staff(unit)
    with django_capture_on_commit_callbacks(execute=True):
        request = RequestService(card, service, card.holder, detail="请尽快办理").execute()
    assert (request.state, request.unit, request.scheme) == (S.REQUESTED, unit, card.scheme)
    assert request.time_limit_working_days and request.limit_is_setting is not from_policy
    assert request.limit_article == (service.article if from_policy else "")
    assert staff.username in _events("delivery.request")

    accepted_on = datetime.date(2026, 9, 16)
    assert steps_available(request, staff) == ["accept", "ask_material", "refuse"]
    assert steps_available(request, card.holder) == []
    with django_capture_on_commit_callbacks(execute=True):
        request = StepAction(request, "accept", staff, today=accepted_on).execute()
    assert request.state == S.ACCEPTED
    assert request.due_on == WorkingCalendar().add_working_days(accepted_on, request.time_limit_working_days)
    with django_capture_on_commit_callbacks(execute=True):
        request = StepAction(request, "complete", staff, today=accepted_on + datetime.timedelta(days=1)).execute()
    assert request.state == S.COMPLETED and request.on_time is True and request.working_days_taken == 1
    assert card.holder.username in _events("delivery.accept") & _events("delivery.complete")
    steps = list(
        JournalEntry.objects.filter(object_id=str(request.pk), action__startswith="delivery.request.")
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert steps == [
        ("delivery.request.request", card.holder.username),
        ("delivery.request.accept", staff.username),
        ("delivery.request.complete", staff.username),
    ]


def test_the_policy_limits_are_read_from_the_scheme_data(db):
    """通化 落户 10 working days (第九条), 白云 company registration 2 (第五条): the seeds' own limits are copied."""
    days = {
        slug: sorted({s.time_limit_working_days for s in scheme(slug).services.exclude(time_limit_working_days=None)})
        for slug in SCHEMES
    }
    assert days["tonghua"] == [10] and days["baiyun"] == [2]
    for slug in ("tonghua", "baiyun"):
        service, card, from_policy = limited_service(slug)
        request = RequestService(card, service, card.holder).execute()
        assert from_policy and request.time_limit_working_days == days[slug][0] and not request.limit_is_setting


def test_material_asked_and_supplied_and_a_refusal_citing_its_article(db, django_capture_on_commit_callbacks):
    service, card, _policy = limited_service("tonghua")
    staff = unit_staff(service.responsible_units.first())
    request = RequestService(card, service, card.holder).execute()
    with pytest.raises(Exception, match="哪些材料|which material"):
        StepAction(request, "ask_material", staff).execute()
    request = StepAction(request, "ask_material", staff, note="户口簿复印件").execute()
    assert request.state == S.MATERIAL_REQUESTED and request.material_note == "户口簿复印件"
    assert steps_available(request, card.holder) == ["supply"]
    with django_capture_on_commit_callbacks(execute=True):
        request = StepAction(request, "supply", card.holder, note="已上传").execute()
    assert request.state == S.REQUESTED and staff.username in _events("delivery.supply")
    with pytest.raises(CaseFileError, match="第…条|article"):
        StepAction(request, "refuse", staff, note="不符合条件", article="见政策").execute()  # no article cited
    with django_capture_on_commit_callbacks(execute=True):
        request = StepAction(request, "refuse", staff, note="非本市户籍迁入范围", article="第九条第2项第①目").execute()
    assert (request.state, request.refusal_article) == (S.REFUSED, "第九条第2项第①目")
    assert request.closed_at is not None and card.holder.username in _events("delivery.refuse")
    assert steps_available(request, staff) == []


def test_a_request_is_refused_with_reason_and_article(db):
    # a card that is not valid
    service, card, _policy = limited_service("jilin")
    card.status = CardStatus.REVOKED
    card.save()
    with pytest.raises(ServiceRefused) as refused:
        RequestService(card, service, card.holder).execute()
    assert "已撤销" in str(refused.value.message) or "撤销" in str(refused.value)
    assert refused.value.article
    # 白云 contact list: talent services end on a date; before it still usable, from it refused
    service, card, _policy = limited_service("baiyun")
    card.status, card.services_end_on = CardStatus.CONTACT_LIST, datetime.date(2026, 11, 1)
    card.save()
    assert RequestService(card, service, card.holder, today=datetime.date(2026, 10, 31)).check()
    with pytest.raises(ServiceRefused) as refused:
        RequestService(card, service, card.holder, today=datetime.date(2026, 11, 1)).execute()
    assert "2026年11月1日" in str(refused.value) and refused.value.article in str(refused.value)
    assert not ServiceRequest.objects.filter(card=card).exists()
    # someone else than the holder or the employer
    stranger = unit_staff(service.responsible_units.first())
    with pytest.raises(Exception, match="持卡人|holder"):
        RequestService(card, service, stranger).check()


def test_only_the_services_of_the_tier_and_of_the_tiers_it_includes(db):
    """Every scheme: a card may request the services of its tier and the included tiers, and nothing else."""
    checked_outside = checked_included = 0
    for slug in SCHEMES:
        for tier in scheme(slug).tiers.prefetch_related("includes"):
            card = card_for(slug, tier)
            mine = set(card_services(card).values_list("pk", flat=True))
            included = (
                set(
                    scheme(slug)
                    .services.filter(tiers__in=tier.includes.all())
                    .exclude(tiers=tier)
                    .values_list("pk", flat=True)
                )
                & mine
            )
            for service in scheme(slug).services.exclude(pk__in=mine).exclude(responsible_units=None)[:1]:
                with pytest.raises(ServiceRefused) as refused:
                    RequestService(card, service, card.holder).check()
                assert tier.name in str(refused.value) and "第" in refused.value.article
                checked_outside += 1
            for service in scheme(slug).services.filter(pk__in=included).exclude(responsible_units=None)[:1]:
                assert RequestService(card, service, card.holder).check()
                checked_included += 1
    assert checked_outside >= 3 and checked_included >= 1  # 吉享卡 ⊃ 吉健卡 at least


def test_the_employer_may_request_for_its_employee(db):
    """For a service the policy routes through the employer (通化 配偶就业 ①, ``requested_by: either``)."""
    from casefiles.models import Membership

    service = scheme("tonghua").services.get(ref="9.7.1")
    card = card_for("tonghua", service.tiers.order_by("rank").first())

    employer_contact = Membership.objects.filter(
        department__kind="employer",
        department__jurisdiction=card.scheme.jurisdiction,
        user__username="tonghua.employer",
    ).first()
    card.employer = employer_contact.department
    card.save()
    request = RequestService(card, service, employer_contact.user).execute()
    assert request.through_employer and request.requested_by == employer_contact.user
    other = card_for("tonghua", card.tier, seed=2)
    with pytest.raises(Exception, match="持卡人|holder"):
        RequestService(other, service, employer_contact.user).check()


def test_an_overdue_request_is_reminded_on_the_first_working_day_after_the_national_day_holiday(
    db, django_capture_on_commit_callbacks
):
    """2026 (chinese_calendar 1.11): 中秋 9月25日, 国庆 10月1日–7日, make-up working days Sunday 9月20日 and Saturday
    10月10日. 通化 落户 (10 working days) accepted Wednesday 9月16日 is due Wednesday 9月30日 (the make-up Sunday
    counts, 中秋 does not); nothing is sent during the holiday; the reminder goes out on Thursday 10月8日, once, to
    the unit and the programme office. 白云 (2 working days) accepted 9月30日 is due 10月9日 and reminded on the
    make-up Saturday 10月10日."""
    service, card, _policy = limited_service("tonghua")
    unit = service.responsible_units.first()
    staff, office = unit_staff(unit), office_staff(card.scheme)
    request = RequestService(card, service, card.holder).execute()
    request = StepAction(request, "accept", staff, today=datetime.date(2026, 9, 16)).execute()
    assert request.due_on == datetime.date(2026, 9, 30)

    b_service, b_card, _policy = limited_service("baiyun")
    b_staff = unit_staff(b_service.responsible_units.first())
    b_request = StepAction(
        RequestService(b_card, b_service, b_card.holder).execute(), "accept", b_staff, today=datetime.date(2026, 9, 30)
    ).execute()
    assert b_request.due_on == datetime.date(2026, 10, 9)

    reminded = {}
    day = datetime.date(2026, 9, 30)
    while day <= datetime.date(2026, 10, 12):
        with django_capture_on_commit_callbacks(execute=True):
            if requests_overdue_remind(today=day):
                reminded[day] = sorted(
                    ServiceRequest.objects.filter(overdue_reminded_on=day).values_list("pk", flat=True)
                )
        day += datetime.timedelta(days=1)
    assert reminded == {datetime.date(2026, 10, 8): [request.pk], datetime.date(2026, 10, 10): [b_request.pk]}
    recipients = _events("delivery.overdue")
    office_people = set(approver_department(card.scheme).memberships.values_list("user__username", flat=True))
    assert {staff.username, office.username, b_staff.username} | office_people <= recipients
    note = Notification.objects.filter(event="delivery.overdue", recipient=staff).first()
    assert "2026年9月30日" in note.body and "第九条" in note.body
    assert JournalEntry.objects.filter(action="delivery.request.overdue", object_id=str(request.pk)).count() == 1
    # the unit's queue and the office's supervision list show it
    assert selectors.overdue_count(unit, today=datetime.date(2026, 10, 8)) == 1
    assert [r.pk for r in selectors.overdue_for_office(office, today=datetime.date(2026, 10, 8))] == [request.pk]
    # completed late: not on time, working days counted with the calendar
    late = StepAction(request, "complete", staff, today=datetime.date(2026, 10, 9)).execute()
    assert late.on_time is False and late.working_days_taken == 12


def test_a_unit_sees_only_its_own_requests_and_only_what_delivery_needs(db, client):
    service, card, _policy = limited_service("tonghua")
    mine = service.responsible_units.first()
    other_service = (
        card.scheme.services.exclude(responsible_units=mine)
        .exclude(responsible_units=None)
        .filter(pk__in=card_services(card))
        .first()
    )
    other_unit = other_service.responsible_units.first()
    staff, other_staff = unit_staff(mine), unit_staff(other_unit)
    request = RequestService(card, service, card.holder).execute()
    other = RequestService(card, other_service, card.holder).execute()
    assert [r.pk for r in selectors.queue(mine)[0]] == [request.pk]
    assert [r.pk for r in selectors.queue(other_unit)[0]] == [other.pk]
    assert selectors.request_for(other_staff, request.pk) is None and selectors.request_for(staff, request.pk)
    assert steps_available(request, other_staff) == []
    with pytest.raises(TransitionDenied):
        StepAction(request, "accept", other_staff).execute()

    holder = selectors.holder_view(request)
    assert set(holder) == {"name", "phone", "id_number"}
    dossier = card.dossier
    assert holder["id_number"] != dossier.id_number and holder["id_number"][-4:] == dossier.id_number[-4:]

    client.force_login(staff)
    page = client.get("/admin/delivery/requests/").content.decode()
    assert card.holder_name in page and holder["id_number"] in page and dossier.id_number not in page
    assert f'data-request="{request.pk}"' in page and f'data-request="{other.pk}"' not in page
    assert client.get(f"/admin/delivery/requests/{other.pk}/").status_code == 404
    detail = client.get(f"/admin/delivery/requests/{request.pk}/").content.decode()
    assert 'data-step="accept"' in detail and dossier.id_number not in detail
    # the step asks for confirmation first: nothing changes until it is confirmed
    confirm = client.post(f"/admin/delivery/requests/{request.pk}/", {"step": "accept", "expected_state": "requested"})
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.content.decode()
    request.refresh_from_db()
    assert request.state == S.REQUESTED
    response = client.post(
        f"/admin/delivery/requests/{request.pk}/", {"step": "accept", "expected_state": "requested", "confirmed": "1"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == S.ACCEPTED
    # a second post from the page that still shows "requested" is refused, nothing changes
    client.post(
        f"/admin/delivery/requests/{request.pk}/", {"step": "accept", "expected_state": "requested", "confirmed": "1"}
    )
    assert JournalEntry.objects.filter(action="delivery.request.accept", object_id=str(request.pk)).count() == 1


def test_the_holder_requests_and_follows_from_the_portal(db, client):
    service, card, _policy = limited_service("liaocheng")
    client.force_login(card.holder)
    page = client.get(f"/cards/{card.pk}/services/").content.decode()
    assert service.title in page and gettext("administrative setting") in page  # the limit is labelled as such
    response = client.post(f"/cards/{card.pk}/services/", {"service": service.pk, "detail": "谢谢"})
    assert response.status_code == 302
    request = ServiceRequest.objects.get(card=card)
    page = client.get(f"/cards/{card.pk}/services/").content.decode()
    assert f'data-request="{request.pk}"' in page and "/supply/" not in page
    StepAction(request, "ask_material", unit_staff(request.unit), note="社保缴纳证明").execute()
    page = client.get(f"/cards/{card.pk}/services/").content.decode()
    assert "社保缴纳证明" in page and f"/service-requests/{request.pk}/supply/" in page
    client.post(f"/service-requests/{request.pk}/supply/", {"step": "supply", "note": "已上传"})
    request.refresh_from_db()
    assert request.state == S.REQUESTED and "已上传" in request.detail
    # someone else's card is not found
    other = card_for("liaocheng", card.tier, seed=3)
    other.holder = unit_staff(service.responsible_units.first())
    other.save()
    assert client.get(f"/cards/{other.pk}/services/").status_code == 404


def test_the_daily_job_sends_the_overdue_reminders(db, django_capture_on_commit_callbacks):
    """``manage.py run_daily`` (the one command the scheduler calls) runs the reminder among the daily jobs."""
    import io

    from django.core.management import call_command

    service, card, _policy = limited_service("tonghua")
    staff = unit_staff(service.responsible_units.first())
    request = StepAction(
        RequestService(card, service, card.holder).execute(), "accept", staff, today=datetime.date(2026, 9, 16)
    ).execute()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_daily", "--now", "--date", "2026-10-07", stdout=out)  # a holiday: nothing
        request.refresh_from_db()
        assert request.overdue_reminded_on is None
        call_command("run_daily", "--now", "--date", "2026-10-08", stdout=out)
    assert "remind_overdue_service_requests: {'reminders': 1}" in out.getvalue()
    request.refresh_from_db()
    assert request.overdue_reminded_on == datetime.date(2026, 10, 8)
    assert staff.username in _events("delivery.overdue")


def test_every_unit_of_every_scheme_sees_exactly_its_own_requests(db):
    """The permission sweep of delivery: one request per (service, unit) pair a card of each scheme can reach; every
    unit's member finds in the queue, the detail and the steps exactly its own unit's requests, and the programme
    office sees them all (read-only); nobody else sees any."""
    made, staff = {}, {}
    for slug in SCHEMES:
        tier = scheme(slug).tiers.order_by("-rank").first()
        card = card_for(slug, tier, seed=7)
        for service in card_services(card).exclude(responsible_units=None):
            request = RequestService(card, service, card.holder).execute()
            made.setdefault(request.unit_id, set()).add(request.pk)
            staff.setdefault(request.unit_id, unit_staff(request.unit))
    every = set().union(*made.values())
    assert len(made) >= 15 and len(every) >= 30
    for unit_id, person in staff.items():
        rows = {r.pk for r in selectors.queue(person.memberships.get(department_id=unit_id).department)[0]}
        assert rows == made[unit_id]
        visible = {pk for pk in every if selectors.request_for(person, pk) is not None}
        supervised = set(ServiceRequest.objects.filter(scheme__in=office_schemes(person)).values_list("pk", flat=True))
        assert visible == made[unit_id] | supervised  # a unit that is also the programme office sees its schemes'
        actionable = {pk for pk in every if steps_available(ServiceRequest.objects.get(pk=pk), person)}
        assert actionable == made[unit_id]
    office = office_staff(scheme("tonghua"))
    seen = {pk for pk in every if selectors.request_for(office, pk) is not None}
    tonghua = set(ServiceRequest.objects.filter(scheme__slug="tonghua").values_list("pk", flat=True))
    own_units = set().union(*(made.get(m.department_id, set()) for m in office.memberships.all()))
    assert seen == tonghua | own_units
    assert not any(steps_available(ServiceRequest.objects.get(pk=pk), office) for pk in tonghua - own_units)

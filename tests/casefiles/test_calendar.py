import datetime

import pytest

from casefiles.models import CalendarDay, CalendarYear
from casefiles.services.calendar import CalendarDataMissing, WorkingCalendar

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]
D = datetime.date


def test_spring_festival_2026_make_up_days():
    cal = WorkingCalendar()
    # 2026-02-14 is a Saturday worked in exchange for the holiday (调休上班).
    assert cal.is_working_day(D(2026, 2, 14))
    assert not cal.is_working_day(D(2026, 2, 16))  # 除夕
    assert cal.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    # From the make-up Saturday, the next working day is after the holiday (15–23 Feb).
    assert cal.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # 10 working days from acceptance on Thursday 12 Feb: 13, 14, 24, 25, 26, 27, 28(Sat, worked), 2, 3, 4 Mar.
    assert cal.add_working_days(D(2026, 2, 12), 10) == D(2026, 3, 4)


def test_a_plain_weekday_count_would_differ():
    cal = WorkingCalendar()
    start = D(2026, 2, 12)
    naive, current = 0, start
    while naive < 10:
        current += datetime.timedelta(days=1)
        naive += current.weekday() < 5
    assert naive == 10 and current != cal.add_working_days(start, 10)


def test_year_without_data_is_an_explicit_error():
    cal = WorkingCalendar()
    with pytest.raises(CalendarDataMissing) as exc:
        cal.add_working_days(D(2026, 12, 28), 10)
    assert exc.value.year == 2027
    assert "2027" in str(exc.value)


def test_admin_entered_year_is_used():
    CalendarYear.objects.create(year=2027)
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, note="元旦")
    cal = WorkingCalendar()
    # 2026-12-31 Thu → 1 Jan 2027 is a holiday → Mon 4 Jan.
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_override_of_a_known_year():
    CalendarDay.objects.create(date=D(2026, 11, 23), is_working_day=False, note="临时调整")
    assert WorkingCalendar().add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 24)


def test_transition_past_calendar_data_still_moves_and_reports(monkeypatch):
    from django.utils import timezone

    from casefiles.services.dossiers import dossier_transition

    from .factories import new_dossier, setup_schemes, user

    setup_schemes()
    dossier = new_dossier("liaocheng")
    late = timezone.make_aware(datetime.datetime(2026, 12, 28, 10, 0))
    monkeypatch.setattr(timezone, "now", lambda: late)
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user("liaocheng.applicant"))
    assert dossier.state.code == "hr_review"
    assert dossier.due_date is None
    assert "2027" in dossier.deadline_problem

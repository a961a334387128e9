"""Working days on the Chinese calendar, with make-up working days (调休).

``chinese_calendar`` knows the State Council's arrangements for the years it ships; administrators enter
later years (and corrections) as ``CalendarDay`` rows and mark the year complete with ``CalendarYear``.
A date no data covers raises :class:`CalendarDataMissing`: a deadline is never silently counted as if
every weekday were a working day.
"""

import datetime
import functools

import chinese_calendar
from django.db.models import BooleanField, DateField, IntegerField, Value

from casefiles.models import CalendarDay, CalendarYear


class CalendarDataMissing(Exception):
    def __init__(self, year):
        self.year = year
        super().__init__(f"没有{year}年的节假日安排数据，请管理员先在“工作日历”中录入该年的放假和调休安排。")


@functools.lru_cache(maxsize=8192)
def _shipped_workday(day):
    # The library checks its supported years on every call (min and max over all its holidays, ≈ 50 µs): a list of
    # overdue dossiers asks it for every day of their delays. Its data is fixed for the process, so remembered here.
    return chinese_calendar.is_workday(day)


class WorkingCalendar:
    """Loads overrides once per computation; cheap to create."""

    def __init__(self):
        # The days and the completed years in one query (a transition into a state with a time limit asks).
        days = CalendarDay.objects.order_by().annotate(year_=Value(None, output_field=IntegerField())).values_list(
            "date", "is_working_day", "year_")
        years = CalendarYear.objects.filter(published=True).order_by().annotate(
            date_=Value(None, output_field=DateField()), working_=Value(None, output_field=BooleanField())
        ).values_list("date_", "working_", "year")
        self.overrides, self.admin_years = {}, set()
        for date, is_working_day, year in days.union(years, all=True):
            if year is None:
                self.overrides[date] = is_working_day
            else:
                self.admin_years.add(year)

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.admin_years:
            return day.weekday() < 5
        try:
            return _shipped_workday(day)
        except NotImplementedError:
            raise CalendarDataMissing(day.year) from None

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The date on which ``days`` working days after ``start`` have passed (start itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, counted = start, 0
        while counted < days:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += datetime.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def add_working_days(start, days):
    return WorkingCalendar().add_working_days(start, days)

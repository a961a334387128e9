"""Time limits of service delivery: which limit a service has (the policy's own, in its own unit, or the programme
office's administrative setting), the day a request is due, and how the limit reads ("1个月", "10个工作日").

A limit is counted from the day the unit accepts the request (the day itself not counted), as the working-day
limits always were:

- working days: on the working calendar (make-up days count, holidays do not);
- calendar days: that many days later;
- months: the same day of the month ``amount`` months later, or that month's last day when it has no such day
  (accepted 31 January, due 28 February; 聊城 第十三条 “1个月内办理随调手续”).

A due day in calendar units that is not a working day (a weekend or a public holiday) moves to the next working
day. Chosen because the units can only act on a working day, and because it is how Chinese law ends a period
(民法典 第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日). The policies say nothing
of it; docs/SCHEME_DATA.md says so too. The overdue reminder then goes out on the first working day after the due
day, whatever the unit.
"""

import calendar as month_calendar
import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casefiles.models import TimeLimitUnit
from casefiles.services.calendar import WorkingCalendar

from .models import DeliveryLimitSetting

U = TimeLimitUnit


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str
    is_setting: bool = False
    article: str = ""

    @property
    def text(self):
        return limit_text(self.amount, self.unit)


def time_limit_for(service):
    """The service's :class:`Limit`: the policy's own where the scheme data names one (with its article), else the
    programme office's setting for the scheme in working days (labelled as such), else None."""
    own = service.time_limit
    if own is not None:
        amount, unit, article = own
        return Limit(amount, unit, False, article)
    setting = DeliveryLimitSetting.objects.filter(scheme_id=service.scheme_id).first()
    if setting is not None:
        return Limit(setting.working_days, U.WORKING_DAYS, True, "")
    return None


def add_months(day, months):
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def due_on(start, amount, unit, calendar=None):
    """The day a limit of ``amount`` ``unit`` counted from ``start`` ends (see the module's docstring)."""
    calendar = calendar or WorkingCalendar()
    if unit == U.WORKING_DAYS:
        return calendar.add_working_days(start, amount)
    day = add_months(start, amount) if unit == U.MONTHS else start + datetime.timedelta(days=amount)
    while not calendar.is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def limit_text(amount, unit):
    """The limit as shown: "10个工作日", "1个月", "30个自然日"."""
    if not amount:
        return ""
    if unit == U.MONTHS:
        return ngettext("%(count)s month", "%(count)s months", amount) % {"count": amount}
    if unit == U.CALENDAR_DAYS:
        return ngettext("%(count)s calendar day", "%(count)s calendar days", amount) % {"count": amount}
    return ngettext("%(days)s working day", "%(days)s working days", amount) % {"days": amount}


def no_limit_text():
    return _("No time limit in the policy")

"""The public delivery report (issue #20 item 5; 通化 第十八条: the delivery of services is assessed and
reported): per scheme, responsible unit and month, how many services were requested, how many were completed
and how many of those on time, the average working days taken and the holders' satisfaction (好差评).

Two aggregate queries (GROUP BY scheme, unit, month), never a loop over requests, so the report costs the same
few queries at a million requests: one counts requests by the month they were made, the other sums what
completion records (on time, working days taken, rating) by the month of completion, over the index
``servicerequest_report`` (scheme, unit, completed_at). The rows carry sums and counts, not averages, so that
a unit's year or a scheme's month adds up exactly from the months (:func:`combined`).

Nothing personal goes in: no holder, no card, no note, no comment — counts, days and ratings only.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casefiles.models import Department, Scheme

from .models import ServiceRequest


@dataclass
class ReportRow:
    """One scheme × unit × month (or a roll-up of several: ``month`` is then None)."""

    scheme_id: int
    scheme_name: str
    unit_id: int | None
    unit_name: str
    month: datetime.date | None
    requests: int = 0
    completed: int = 0
    with_limit: int = 0  # completed requests that had a time limit: the base of the on-time share
    on_time: int = 0
    days_total: int = 0
    days_counted: int = 0
    ratings: int = 0
    rating_total: int = 0

    @property
    def on_time_share(self):
        """Completed on time among completed requests that had a limit (0–1), None when none had one."""
        return self.on_time / self.with_limit if self.with_limit else None

    @property
    def average_working_days(self):
        return self.days_total / self.days_counted if self.days_counted else None

    @property
    def average_rating(self):
        return self.rating_total / self.ratings if self.ratings else None

    @property
    def month_label(self):
        return f"{self.month:%Y-%m}" if self.month else ""

    def add(self, other):
        for name in (
            "requests",
            "completed",
            "with_limit",
            "on_time",
            "days_total",
            "days_counted",
            "ratings",
            "rating_total",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def month_start(day):
    return datetime.date(day.year, day.month, 1)


def months_back(count, *, today=None):
    """The first days of the last ``count`` calendar months, oldest first, the current month last."""
    first = month_start(today or timezone.localdate())
    months = [first]
    for _i in range(count - 1):
        first = month_start(first - datetime.timedelta(days=1))
        months.append(first)
    return months[::-1]


def next_month(day):
    return month_start(day + datetime.timedelta(days=32))


def _aware(day):
    return datetime.datetime.combine(day, datetime.time.min, timezone.get_current_timezone())


def _month(value):
    return month_start(timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value)


def monthly_rows(*, schemes, first_month, last_month, units=None):
    """Rows per (scheme, unit, month) from ``first_month`` to ``last_month`` inclusive (first days of months), for
    the unit-months that had a request made or completed; ordered by scheme, unit, month."""
    since, until = _aware(first_month), _aware(next_month(last_month))
    base = ServiceRequest.objects.filter(scheme__in=schemes)
    if units is not None:
        base = base.filter(unit__in=units)
    keys = ("scheme_id", "unit_id", "month")
    # order_by(): the model's default ordering would otherwise join the GROUP BY.
    received = (
        base.filter(requested_at__gte=since, requested_at__lt=until)
        .annotate(month=TruncMonth("requested_at"))
        .values(*keys)
        .annotate(n=Count("id"))
        .order_by()
    )
    completed = (
        base.filter(completed_at__gte=since, completed_at__lt=until)
        .annotate(month=TruncMonth("completed_at"))
        .values(*keys)
        .annotate(
            completed=Count("id"),
            with_limit=Count("id", filter=Q(on_time__isnull=False)),
            on_time=Count("id", filter=Q(on_time=True)),
            days_total=Sum("working_days_taken"),
            days_counted=Count("working_days_taken"),
            ratings=Count("rating"),
            rating_total=Sum("rating"),
        )
        .order_by()
    )
    rows = {}

    def row_for(record):
        key = (record["scheme_id"], record["unit_id"], _month(record["month"]))
        if key not in rows:
            rows[key] = ReportRow(scheme_id=key[0], scheme_name="", unit_id=key[1], unit_name="", month=key[2])
        return rows[key]

    for record in received:
        row_for(record).requests += record["n"]
    for record in completed:
        row = row_for(record)
        for name in ("completed", "with_limit", "on_time", "days_total", "days_counted", "ratings", "rating_total"):
            setattr(row, name, getattr(row, name) + (record[name] or 0))
    scheme_names = dict(Scheme.objects.filter(pk__in={k[0] for k in rows}).values_list("pk", "name"))
    unit_names = dict(Department.objects.filter(pk__in={k[1] for k in rows}).values_list("pk", "name"))
    for (scheme_id, unit_id, _m), row in rows.items():
        row.scheme_name, row.unit_name = scheme_names.get(scheme_id, ""), unit_names.get(unit_id, "")
    return sorted(rows.values(), key=lambda r: (r.scheme_name, r.unit_name, r.month))


def combined(rows, *, by_month=False, by_unit=False):
    """Add rows up per scheme, and per unit and/or month when asked (sums of the months: exact averages)."""
    totals = {}
    for row in rows:
        key = (row.scheme_id, row.unit_id if by_unit else None, row.month if by_month else None)
        if key not in totals:
            totals[key] = ReportRow(
                scheme_id=row.scheme_id,
                scheme_name=row.scheme_name,
                unit_id=key[1],
                unit_name=row.unit_name if by_unit else "",
                month=key[2],
            )
        totals[key].add(row)
    return sorted(totals.values(), key=lambda r: (r.scheme_name, r.unit_name, r.month or datetime.date.min))


def month_series(rows, months):
    """One roll-up row per month of ``months`` (empty months as zero rows), for the monthly chart."""
    by_month = {}
    for row in rows:
        by_month.setdefault(
            row.month,
            ReportRow(
                scheme_id=row.scheme_id, scheme_name=row.scheme_name, unit_id=None, unit_name="", month=row.month
            ),
        ).add(row)
    return [
        by_month.get(m) or ReportRow(scheme_id=0, scheme_name="", unit_id=None, unit_name="", month=m) for m in months
    ]


def percent(share):
    """A share (0–1) as a percentage with one decimal, None when there is no base."""
    return None if share is None else round(share * 100, 1)


def one_decimal(value):
    return None if value is None else round(value, 1)


def figures(row):
    """The published figures of a row, in the order of :func:`figure_headers`."""
    return [
        row.requests,
        row.completed,
        percent(row.on_time_share),
        one_decimal(row.average_working_days),
        one_decimal(row.average_rating),
        row.ratings,
    ]


def figure_headers():
    from django.utils.translation import gettext as _

    return [
        _("Requests"),
        _("Completed"),
        _("Completed on time (%)"),
        _("Average working days"),
        _("Satisfaction (of 5)"),
        _("Ratings"),
    ]


def report_workbook(rows, *, title):
    """The staff's Excel: every scheme × unit × month row, then each unit's and each scheme's totals, the figures
    as on the public page plus the counts behind them (cells through the formula-safe ``xlsx_row``)."""
    import io

    from django.utils.translation import gettext as _
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from casefiles.exports import xlsx_row

    workbook = Workbook()
    workbook.remove(workbook.active)
    extra = [_("Completed with a time limit"), _("Completed on time"), _("Working days (sum)"), _("Rating (sum)")]

    def sheet_of(name, heading, first_columns, table, key):
        sheet = workbook.create_sheet(title=name)
        xlsx_row(sheet, [str(title), str(heading)], font=Font(bold=True, size=13))
        xlsx_row(sheet, [str(h) for h in first_columns + figure_headers() + extra], font=Font(bold=True))
        for row in table:
            xlsx_row(sheet, key(row) + figures(row) + [row.with_limit, row.on_time, row.days_total, row.rating_total])
        for column, width in zip("ABCDEFGHIJKLM", (26, 30, 10, 10, 10, 14, 14, 14, 10, 14, 14, 14, 12), strict=False):
            sheet.column_dimensions[column].width = width

    sheet_of(
        "monthly",
        _("By unit and month"),
        [_("Programme"), _("Responsible unit"), _("Month")],
        rows,
        lambda r: [r.scheme_name, r.unit_name, r.month_label],
    )
    sheet_of(
        "units",
        _("By unit, whole period"),
        [_("Programme"), _("Responsible unit")],
        combined(rows, by_unit=True),
        lambda r: [r.scheme_name, r.unit_name],
    )
    sheet_of("programmes", _("By programme, whole period"), [_("Programme")], combined(rows), lambda r: [r.scheme_name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

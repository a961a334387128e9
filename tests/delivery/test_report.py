"""The delivery report (issue #20 item 5): figures from a handful of requests with known outcomes, computed
again here row by row, against the report's aggregate queries."""

import datetime
from collections import defaultdict

import pytest
from django.utils import timezone

from delivery import report
from delivery.models import ServiceRequest

from .report_rows import card_of, scheme, served_items, service_request

pytestmark = pytest.mark.usefixtures("schemes_once")

SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def made(db):
    tonghua, liaocheng = scheme("tonghua"), scheme("liaocheng")
    card = card_of("tonghua")
    (first, unit_a), (second, unit_b) = served_items(tonghua)
    d = datetime.date
    rows = [
        service_request(
            card, first, unit_a, requested_on=d(2026, 9, 2), completed_on=d(2026, 9, 9), days=5, limit=10, rating=5
        ),
        service_request(
            card, first, unit_a, requested_on=d(2026, 9, 20), completed_on=d(2026, 10, 12), days=14, limit=10, rating=2
        ),
        service_request(card, first, unit_a, requested_on=d(2026, 10, 5)),
        service_request(
            card, second, unit_b, requested_on=d(2026, 10, 1), completed_on=d(2026, 10, 15), days=8, rating=4
        ),
        service_request(
            card, second, unit_b, requested_on=d(2026, 10, 3), completed_on=d(2026, 10, 16), days=9, limit=10
        ),
        # before the period: counted nowhere
        service_request(
            card, first, unit_a, requested_on=d(2026, 8, 20), completed_on=d(2026, 8, 25), days=3, limit=10, rating=1
        ),
    ]
    other_card = card_of("liaocheng")
    (item, unit) = served_items(liaocheng, 1)[0]
    rows.append(
        service_request(
            other_card, item, unit, requested_on=d(2026, 10, 2), completed_on=d(2026, 10, 9), days=5, limit=5, rating=3
        )
    )
    return {"tonghua": tonghua, "liaocheng": liaocheng, "units": (unit_a, unit_b), "rows": rows}


def expected_by_hand(requests, months):
    """The report's figures computed one request at a time, in Python."""
    out = defaultdict(lambda: defaultdict(int))

    def month(value):
        local = timezone.localtime(value).date()
        return datetime.date(local.year, local.month, 1)

    for r in requests:
        if month(r.requested_at) in months:
            out[(r.scheme_id, r.unit_id, month(r.requested_at))]["requests"] += 1
        if r.completed_at and month(r.completed_at) in months:
            o = out[(r.scheme_id, r.unit_id, month(r.completed_at))]
            o["completed"] += 1
            if r.on_time is not None:
                o["with_limit"] += 1
                o["on_time"] += r.on_time
            o["days_total"] += r.working_days_taken
            o["days_counted"] += 1
            if r.rating:
                o["ratings"] += 1
                o["rating_total"] += r.rating
    return {key: {f: v for f, v in values.items() if v} for key, values in out.items()}


FIGURES = ("requests", "completed", "with_limit", "on_time", "days_total", "days_counted", "ratings", "rating_total")


def as_dict(rows):
    return {(r.scheme_id, r.unit_id, r.month): {f: getattr(r, f) for f in FIGURES if getattr(r, f)} for r in rows}


def test_monthly_figures_equal_a_count_by_hand(made):
    tonghua = made["tonghua"]
    rows = report.monthly_rows(schemes=[tonghua], first_month=SEP, last_month=OCT)
    mine = ServiceRequest.objects.filter(scheme=tonghua)
    assert as_dict(rows) == expected_by_hand(mine, {SEP, OCT})
    # the shares and averages of one unit-month, from the made rows: unit A in October completed one request
    # of two made in September/October, late (14 > 10), rated 2
    unit_a, unit_b = made["units"]
    october_a = next(r for r in rows if r.unit_id == unit_a.pk and r.month == OCT)
    late = made["rows"][1]
    assert (october_a.requests, october_a.completed) == (1, 1)
    assert october_a.on_time_share == 0 and october_a.average_working_days == late.working_days_taken
    assert october_a.average_rating == late.rating
    assert october_a.unit_name == unit_a.name and october_a.scheme_name == tonghua.name
    # unit B: one of its two completed requests had no limit: the share counts only the one with a limit
    october_b = next(r for r in rows if r.unit_id == unit_b.pk and r.month == OCT)
    with_limit = [r for r in made["rows"] if r.unit_id == unit_b.pk and r.on_time is not None]
    assert october_b.with_limit == len(with_limit) and october_b.on_time_share == sum(
        r.on_time for r in with_limit
    ) / len(with_limit)
    days = [r.working_days_taken for r in made["rows"] if r.unit_id == unit_b.pk]
    assert october_b.average_working_days == sum(days) / len(days)


def test_roll_ups_add_the_months_up_exactly(made):
    tonghua, liaocheng = made["tonghua"], made["liaocheng"]
    rows = report.monthly_rows(schemes=[tonghua, liaocheng], first_month=SEP, last_month=OCT)
    per_scheme = {r.scheme_id: r for r in report.combined(rows)}
    assert set(per_scheme) == {tonghua.pk, liaocheng.pk}
    in_period = [r for r in made["rows"] if r.scheme_id == tonghua.pk and r.requested_at.date() >= SEP]
    total = per_scheme[tonghua.pk]
    assert total.requests == len(in_period)
    completed = [
        r for r in made["rows"] if r.scheme_id == tonghua.pk and r.completed_at and r.completed_at.date() >= SEP
    ]
    assert total.completed == len(completed)
    rated = [r.rating for r in completed if r.rating]
    assert total.average_rating == sum(rated) / len(rated)
    assert total.average_working_days == sum(r.working_days_taken for r in completed) / len(completed)
    limited = [r for r in completed if r.on_time is not None]
    assert total.on_time_share == sum(r.on_time for r in limited) / len(limited)
    # per unit over both months
    per_unit = {r.unit_id: r for r in report.combined(rows, by_unit=True) if r.scheme_id == tonghua.pk}
    assert sum(r.requests for r in per_unit.values()) == total.requests
    # the monthly series has every month, empty ones as zero
    series = report.month_series([r for r in rows if r.scheme_id == tonghua.pk], [datetime.date(2026, 8, 1), SEP, OCT])
    assert [s.month for s in series] == [datetime.date(2026, 8, 1), SEP, OCT]
    assert series[0].requests == 0 and series[1].requests + series[2].requests == total.requests


def test_the_report_is_two_queries_plus_names(made, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        report.monthly_rows(schemes=[made["tonghua"]], first_month=SEP, last_month=OCT)

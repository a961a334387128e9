"""The public delivery report (通化 第十八条: delivery is assessed and reported publicly) and its Excel for staff.

Thin: figures from ``delivery.report`` (aggregate queries), charts from ``delivery.report_charts``. The public page
names schemes, units and months only — no person, card or comment.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.models import Scheme
from casefiles.services.journal import journal_write

from . import report, report_charts

MONTHS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period():
    months = report.months_back(MONTHS)
    return months, months[0], months[-1]


def public_report(request):
    schemes = list(Scheme.objects.order_by("name"))
    chosen = next((s for s in schemes if s.slug == request.GET.get("scheme")), None)
    scope = [chosen] if chosen else schemes
    months, first, last = _period()
    rows = report.monthly_rows(schemes=scope, first_month=first, last_month=last)
    series = report.month_series(rows, months)
    units = report.combined(rows, by_unit=True)
    totals = report.ReportRow(scheme_id=0, scheme_name="", unit_id=None, unit_name="", month=None)
    for row in rows:
        totals.add(row)
    place = chosen.name if chosen else _("all programmes")
    period = _("%(first)s to %(last)s") % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}

    def unit_name(row):
        return row.unit_name if chosen else f"{row.unit_name}（{row.scheme_name}）"

    charts = {
        "monthly": report_charts.month_columns(
            "chart-monthly",
            [(f"{s.month:%Y-%m}", [s.requests, s.completed]) for s in series],
            title=_("Requests and completions by month, %(place)s") % {"place": place},
            desc=_(
                "Columns per month from %(period)s: requests received and requests completed. "
                "Total %(requests)d requests, %(completed)d completed. The table below gives each month's figures."
            )
            % {"period": period, "requests": totals.requests, "completed": totals.completed},
            series=[(_("Requests"), report_charts.BLUE), (_("Completed"), report_charts.GREEN)],
        ),
        "on_time": report_charts.unit_bars(
            "chart-on-time",
            [(unit_name(u), report.percent(u.on_time_share)) for u in units],
            title=_("Completed on time by responsible unit (%%), %(place)s") % {"place": place},
            desc=_(
                "One bar per responsible unit: the share of its completed requests with a time limit that were "
                "completed within it, %(period)s. Overall: %(share)s."
            )
            % {"period": period, "share": _share_words(totals.on_time_share)},
            maximum=100,
            suffix="%",
        ),
        "satisfaction": report_charts.unit_bars(
            "chart-satisfaction",
            [(unit_name(u), report.one_decimal(u.average_rating)) for u in units],
            title=_("Satisfaction by responsible unit (of 5), %(place)s") % {"place": place},
            desc=_(
                "One bar per responsible unit: the average of the holders' ratings from 1 to 5, %(period)s. "
                "Overall: %(rating)s from %(ratings)d ratings."
            )
            % {"period": period, "rating": _number_words(totals.average_rating), "ratings": totals.ratings},
            maximum=5,
            colour=report_charts.GREEN,
        ),
    }
    return render(
        request,
        "delivery/report/public.html",
        {
            "schemes": schemes,
            "chosen": chosen,
            "place": place,
            "period": period,
            "headers": report.figure_headers(),
            "totals": list(zip(report.figure_headers(), report.figures(totals), strict=True)),
            "monthly": [(f"{s.month:%Y-%m}", report.figures(s)) for s in series],
            "units": [(u.scheme_name, u.unit_name, report.figures(u)) for u in units],
            "unit_months": [(r.scheme_name, r.unit_name, r.month_label, report.figures(r)) for r in rows],
            "charts": charts,
            "may_export": bool(request.user.is_authenticated and _export_schemes(request.user).exists()),
        },
    )


def _share_words(share):
    return "—" if share is None else f"{share * 100:.1f}%"


def _number_words(value):
    return "—" if value is None else f"{value:.1f}"


def _export_schemes(user):
    from programmes.selectors import office_schemes

    return office_schemes(user)


@login_required
def report_export(request):
    """The Excel for the programme office: its own schemes (all for a superuser), every unit-month."""
    schemes = _export_schemes(request.user).order_by("name")
    chosen = request.GET.get("scheme")
    if chosen:
        schemes = schemes.filter(slug=chosen)
    if not schemes.exists():
        raise Http404
    months, first, last = _period()
    rows = report.monthly_rows(schemes=list(schemes), first_month=first, last_month=last)
    journal_write(
        action="delivery.report.export",
        actor=request.user,
        data={"schemes": list(schemes.values_list("slug", flat=True)), "from": str(first), "to": str(last)},
    )
    content = report.report_workbook(rows, title=_("Service delivery report"))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="delivery-report-{timezone.localdate():%Y%m%d}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response

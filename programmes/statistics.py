"""Statistics for the talent office and leaders: aggregate queries over dossiers, opinions and cards.

Each function returns a table ``{"key", "title", "headers", "rows"}`` whose rows are plain lists, so the same
numbers feed the SVG charts on the page and the Excel download.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.models import Card, CardStatus, Dossier, Opinion, StateKind
from casefiles.services.calendar import CalendarDataMissing, WorkingCalendar


def _submitted(schemes):
    return Dossier.objects.filter(scheme__in=schemes, submitted_at__isnull=False)


def applications_by_scheme(schemes):
    rows = _submitted(schemes).values("scheme__slug", "scheme__name").annotate(n=Count("pk")).order_by("scheme__slug")
    return {"key": "by_scheme", "title": _("Applications by programme"), "headers": [_("Programme"), _("Applications")],
            "rows": [[r["scheme__name"], r["n"]] for r in rows]}


def applications_by_tier(schemes):
    rows = (
        _submitted(schemes)
        .values("scheme__slug", "scheme__name", "requested_tier__rank", "requested_tier__name")
        .annotate(n=Count("pk"))
        .order_by("scheme__slug", "-requested_tier__rank")
    )
    return {"key": "by_tier", "title": _("Applications by requested tier"),
            "headers": [_("Programme"), _("Tier"), _("Applications")],
            "rows": [[r["scheme__name"], r["requested_tier__name"], r["n"]] for r in rows]}


def applications_by_stage(schemes):
    rows = (
        _submitted(schemes)
        .values("scheme__slug", "scheme__name", "state__order", "state__name")
        .annotate(n=Count("pk"))
        .order_by("scheme__slug", "state__order")
    )
    return {"key": "by_stage", "title": _("Applications by current stage"),
            "headers": [_("Programme"), _("Stage"), _("Applications")],
            "rows": [[r["scheme__name"], r["state__name"], r["n"]] for r in rows]}


def applications_by_month(schemes, *, months=12, today=None):
    """Submitted applications per calendar month over the last ``months`` months (empty months as 0)."""
    today = today or timezone.localdate()
    first = datetime.date(today.year, today.month, 1)
    for _i in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time.min, timezone.get_current_timezone())
    counts = {}
    for row in (
        _submitted(schemes).filter(submitted_at__gte=start)
        .annotate(month=TruncMonth("submitted_at")).values("month").annotate(n=Count("pk"))
    ):
        month = row["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        counts[month.strftime("%Y-%m")] = counts.get(month.strftime("%Y-%m"), 0) + row["n"]
    rows, month = [], first
    for _i in range(months):
        label = month.strftime("%Y-%m")
        rows.append([label, counts.get(label, 0)])
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return {"key": "by_month", "title": _("Applications by month"), "headers": [_("Month"), _("Applications")], "rows": rows}


def stage_processing_times(schemes):
    """Working days spent per review stage (from entering it to the opinion that left it), against the stage's
    time limit. A stage is entered at the previous opinion, or at submission for the first one."""
    calendar = WorkingCalendar()
    created = dict(Dossier.objects.filter(scheme__in=schemes).values_list("pk", "submitted_at"))
    opinions = (
        Opinion.objects.filter(dossier__scheme__in=schemes)
        .order_by("dossier_id", "created_at", "pk")
        .values_list("dossier_id", "from_state_id", "from_state__kind", "created_at")
    )
    spent = defaultdict(list)
    previous_dossier, entered = None, None
    for dossier_id, state_id, kind, at in opinions.iterator(chunk_size=2000):
        if dossier_id != previous_dossier:
            previous_dossier, entered = dossier_id, created.get(dossier_id)
        if kind == StateKind.STAGE and entered is not None:
            try:
                days = calendar.working_days_between(timezone.localdate(entered), timezone.localdate(at))
            except CalendarDataMissing:
                days = None
            if days is not None:
                spent[state_id].append(days)
        entered = at
    from casefiles.models import WorkflowState

    rows = []
    states = WorkflowState.objects.filter(scheme__in=schemes, kind=StateKind.STAGE).select_related("scheme")
    for state in states.order_by("scheme__slug", "order"):
        values = spent.get(state.pk, [])
        limit = state.time_limit_working_days
        average = round(sum(values) / len(values), 1) if values else 0
        over = sum(1 for v in values if limit and v > limit)
        rows.append([state.scheme.name, state.name, len(values), average, limit or "", over])
    return {"key": "stage_times", "title": _("Processing time per stage (working days)"),
            "headers": [_("Programme"), _("Stage"), _("Steps completed"), _("Average working days"), _("Time limit"),
                        _("Over the limit")],
            "rows": rows}


def overdue_by_department(schemes, *, today=None):
    """Open dossiers past their due date, by the department that acts on them now."""
    today = today or timezone.localdate()
    rows = (
        Dossier.objects.filter(scheme__in=schemes, due_date__lt=today)
        .exclude(state__kind=StateKind.END)
        .values("scheme__pk", "scheme__name", "state__actor", "authority__name", "employer__name")
        .annotate(n=Count("pk"))
    )
    names = {}
    from casefiles.models import Scheme

    for scheme in Scheme.objects.filter(pk__in={r["scheme__pk"] for r in rows}).prefetch_related("departments"):
        names[scheme.pk] = {d.code: d.name for d in scheme.departments.all()}
    totals = defaultdict(int)
    for r in rows:
        actor = r["state__actor"]
        if actor == "authority":
            name = r["authority__name"] or _("Competent authority")
        elif actor == "employer":
            name = r["employer__name"] or _("Employer")
        elif actor == "applicant":
            name = _("Applicant")
        else:
            name = names.get(r["scheme__pk"], {}).get(actor, actor)
        totals[(r["scheme__name"], name)] += r["n"]
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"key": "overdue", "title": _("Overdue dossiers by department"),
            "headers": [_("Programme"), _("Department"), _("Overdue")],
            "rows": [[scheme, name, n] for (scheme, name), n in ordered]}


def active_cards_by_tier(schemes):
    rows = (
        Card.objects.filter(scheme__in=schemes, status=CardStatus.ACTIVE)
        .values("scheme__slug", "scheme__name", "tier__rank", "tier__name")
        .annotate(n=Count("pk"))
        .order_by("scheme__slug", "-tier__rank")
    )
    return {"key": "active_cards", "title": _("Active cards by tier"), "headers": [_("Programme"), _("Tier"), _("Active cards")],
            "rows": [[r["scheme__name"], r["tier__name"], r["n"]] for r in rows]}


def exits_by_reason(schemes):
    """Cards that ended, by the policy's exit reason; expired cards without a reason count as expiry."""
    ended = Card.objects.filter(scheme__in=schemes).filter(Q(end_reason__isnull=False) | Q(status=CardStatus.EXPIRED))
    rows = (
        ended.values("scheme__slug", "scheme__name", "end_reason__article", "end_reason__text", "status")
        .annotate(n=Count("pk"))
        .order_by("scheme__slug", "end_reason__article")
    )
    totals = defaultdict(int)
    for r in rows:
        if r["end_reason__article"]:
            reason = f"{r['end_reason__article']} {r['end_reason__text'][:24]}"
        else:
            reason = _("Validity period ended")
        totals[(r["scheme__name"], reason)] += r["n"]
    return {"key": "exits", "title": _("Exits by reason"), "headers": [_("Programme"), _("Reason"), _("Cards")],
            "rows": [[scheme, reason, n] for (scheme, reason), n in totals.items()]}


def service_delivery_by_unit(schemes, *, today=None, months=12):
    """The public delivery report's figures per scheme and responsible unit over the last ``months`` months
    (``delivery.report``: the same aggregate queries, so the roll-up and the public page agree)."""
    from delivery import report

    month_list = report.months_back(months, today=today)
    rows = report.monthly_rows(schemes=schemes, first_month=month_list[0], last_month=month_list[-1])
    title = _("Service delivery by responsible unit (last %(months)d months)") % {"months": months}
    return {"key": "delivery", "title": title,
            "headers": [_("Programme"), _("Responsible unit"), *report.figure_headers()],
            "rows": [[r.scheme_name, r.unit_name, *("" if v is None else v for v in report.figures(r))]
                     for r in report.combined(rows, by_unit=True)]}


def all_tables(schemes, *, today=None):
    return [
        applications_by_scheme(schemes),
        applications_by_tier(schemes),
        applications_by_stage(schemes),
        applications_by_month(schemes, today=today),
        stage_processing_times(schemes),
        overdue_by_department(schemes, today=today),
        active_cards_by_tier(schemes),
        exits_by_reason(schemes),
        service_delivery_by_unit(schemes, today=today),
    ]


def statistics_workbook(tables):
    """One sheet per table, the same numbers as on the page."""
    import io

    from django.utils.functional import Promise
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from casefiles.exports import xlsx_row

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(title=table["key"][:31])
        # names of schemes, tiers, stages and units are typed by people: every cell goes through the sanitiser
        xlsx_row(sheet, [str(table["title"])], font=Font(bold=True, size=13))
        xlsx_row(sheet, [str(h) for h in table["headers"]], font=Font(bold=True))
        for row in table["rows"]:
            xlsx_row(sheet, [str(value) if isinstance(value, Promise) else value for value in row])
        for column, width in zip("ABCDEF", (26, 30, 14, 14, 12, 12)):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

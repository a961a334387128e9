"""Server-rendered SVG charts: no JavaScript, readable on a phone, labels in whatever language the data is.

Horizontal bars suit long Chinese labels (stage and department names); the monthly series is drawn as
columns with a line through their tops. Every chart scales to its container (``viewBox``, width 100 %).
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 54
ROW = 26
GROUP = 24
COLORS = ("#1f6fb2", "#c8161d", "#2e8b57", "#d98c1f", "#6a4c93")
LIMIT_COLOR = "#c9cdd3"


def _short(text, limit=15):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value):
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def grouped(rows, *, group_index=0, label_index=1, value_indexes=(2,)):
    """Table rows → [(group, [(label, [values])])], keeping order."""
    groups = []
    for row in rows:
        group = row[group_index] if group_index is not None else None
        if not groups or groups[-1][0] != group:
            groups.append((group, []))
        groups[-1][1].append((row[label_index], [row[i] if row[i] != "" else 0 for i in value_indexes]))
    return groups


def hbar_chart(groups, *, title, series=None, colors=COLORS):
    """Horizontal bars. ``groups``: [(group label or None, [(label, [value, …])])]; one bar per value, the
    first value of a two-value series drawn behind (e.g. the time limit behind the average)."""
    series = series or []
    values = [v for _g, items in groups for _label, vs in items for v in vs if isinstance(v, (int, float))]
    top = max(values) if values else 0
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / top if top else 0
    legend_h = 22 if len(series) > 1 else 0
    y = 8 + legend_h
    parts = []
    for i, name in enumerate(series if len(series) > 1 else []):
        # two series: the limit (grey, behind) and the actual value (blue; red where over the limit)
        color = (LIMIT_COLOR if i == 0 else colors[0]) if len(series) == 2 else colors[i % len(colors)]
        x = LABEL_WIDTH + i * 150
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 18}" y="18" class="legend">{escape(name)}</text>')
    for group, items in groups:
        if group is not None and len(groups) > 1:
            parts.append(f'<text x="4" y="{y + 16}" class="group">{escape(_short(group, 30))}</text>')
            y += GROUP
        for label, vs in items:
            parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" class="label">'
                         f'<title>{escape(label)}</title>{escape(_short(label))}</text>')
            if len(vs) == 2:  # background bar (limit) and foreground bar (actual)
                limit, actual = vs
                lw = max(float(limit or 0) * scale, 0)
                aw = max(float(actual or 0) * scale, 0)
                parts.append(f'<rect class="bar limit" x="{LABEL_WIDTH}" y="{y + 3}" width="{lw:.1f}" height="{ROW - 6}" fill="{LIMIT_COLOR}">'
                             f'<title>{escape(series[0] if series else "")}: {_number(limit)}</title></rect>')
                fill = colors[1] if limit and actual > limit else colors[0]
                parts.append(f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 8}" width="{aw:.1f}" height="{ROW - 16}" fill="{fill}">'
                             f'<title>{escape(series[1] if len(series) > 1 else "")}: {_number(actual)}</title></rect>')
                text = f"{_number(actual)} / {_number(limit)}" if limit else _number(actual)
                parts.append(f'<text x="{LABEL_WIDTH + max(lw, aw) + 6:.1f}" y="{y + 17}" class="value">{text}</text>')
            else:
                value = vs[0] or 0
                width = max(float(value) * scale, 1 if value else 0)
                parts.append(f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" rx="2" fill="{colors[0]}">'
                             f'<title>{escape(label)}: {_number(value)}</title></rect>')
                parts.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 17}" class="value">{_number(value)}</text>')
            y += ROW
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{y + 18}" text-anchor="middle" class="empty">—</text>')
        y += ROW
    height = y + 8
    axis = f'<line x1="{LABEL_WIDTH}" y1="{8 + legend_h}" x2="{LABEL_WIDTH}" y2="{height - 8}" class="axis"/>'
    return _svg(title, height, axis + "".join(parts))


def column_chart(rows, *, title, color=COLORS[0]):
    """Columns for a series of (label, value), e.g. months, with a line joining their tops."""
    height, bottom, top_pad, left = 240, 200, 24, 36
    n = len(rows) or 1
    step = (WIDTH - left - 10) / n
    top = max((v for _l, v in rows), default=0)
    scale = (bottom - top_pad) / top if top else 0
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" class="axis"/>']
    points = []
    for i, (label, value) in enumerate(rows):
        x = left + i * step
        h = value * scale
        parts.append(f'<rect class="bar" x="{x + step * 0.18:.1f}" y="{bottom - h:.1f}" width="{step * 0.64:.1f}" height="{h:.1f}" fill="{color}" opacity="0.85">'
                     f'<title>{escape(label)}: {_number(value)}</title></rect>')
        if value:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{bottom - h - 5:.1f}" text-anchor="middle" class="value">{_number(value)}</text>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{bottom + 16}" text-anchor="middle" class="tick">{escape(str(label)[2:])}</text>')
        points.append(f"{x + step / 2:.1f},{bottom - h:.1f}")
    if points:
        parts.append(f'<path class="trend" d="M{" L".join(points)}" fill="none" stroke="{COLORS[1]}" stroke-width="2"/>')
    return _svg(title, height, "".join(parts))


def _svg(title, height, body):
    style = (
        "<style>.label,.value,.tick,.legend,.group,.empty{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;"
        "font-size:13px;fill:#222}.group{font-weight:700;fill:#0b3d6b}.value{fill:#444;font-size:12px}.tick{font-size:11px;fill:#555}"
        ".axis{stroke:#888;stroke-width:1}</style>"
    )
    return mark_safe(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{style}{body}</svg>"
    )


def chart_for(table):
    """The chart that suits a statistics table (see ``programmes.statistics``)."""
    key, rows, title = table["key"], table["rows"], str(table["title"])
    if key == "by_month":
        return column_chart([(r[0], r[1]) for r in rows], title=title)
    if key == "by_scheme":
        return hbar_chart(grouped(rows, group_index=None, label_index=0, value_indexes=(1,)), title=title)
    if key == "stage_times":
        headers = table["headers"]
        return hbar_chart(grouped(rows, value_indexes=(4, 3)), title=title, series=[str(headers[4]), str(headers[3])])
    return hbar_chart(grouped(rows), title=title)

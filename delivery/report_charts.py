"""SVG charts of the public delivery report: drawn on the server, no script, scaled to a phone's width.

Each chart is an image with a name and a description (``role="img"`` labelled by its ``<title>`` and ``<desc>``,
which say in words what the bars show); the page prints the same figures in a table beside it, so nothing is
known only from a picture.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 400  # narrow on purpose: on a 360-pixel phone the 13-pixel text stays about 12 pixels high
FONT_SIZE = 13
BLUE, GREEN = "#1f5f9e", "#2b7a4b"
FONTS = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif"


def _number(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


def _svg(chart_id, title, desc, height, body):
    return mark_safe(
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f'<g font-family="{FONTS}" font-size="{FONT_SIZE}" fill="#222">'
        f"{body}</g></svg>"
    )


def month_columns(chart_id, months, *, title, desc, series):
    """Pairs of columns per month. ``months``: [(label, [value per series])]; ``series``: [(name, colour)]."""
    height, bottom, top_pad, left = 250, 206, 34, 36
    n = len(months) or 1
    step = (WIDTH - left - 10) / n
    top = max((v for _label, values in months for v in values), default=0)
    scale = (bottom - top_pad) / top if top else 0
    width = step * 0.76 / max(len(series), 1)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#888"/>']
    for i, (name, colour) in enumerate(series):
        x = left + i * 130
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="17">{escape(name)}</text>'
        )
    for i, (label, values) in enumerate(months):
        x0 = left + i * step + step * 0.12
        for j, value in enumerate(values):
            h = value * scale
            x = x0 + j * width
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{series[j][1]}"/>'
            )
        parts.append(
            f'<text x="{left + i * step + step / 2:.1f}" y="{bottom + 16}" text-anchor="middle" '
            f'font-size="11" fill="#444">{escape(label[5:] if len(label) > 5 else label)}</text>'
        )
    if top:  # the scale: the highest month's count at the top of the axis (the table has every figure)
        parts.append(f'<line x1="{left - 4}" y1="{top_pad}" x2="{WIDTH - 10}" y2="{top_pad}" stroke="#d0d4da"/>')
        parts.append(f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11">{top}</text>')
    else:
        parts.append(f'<text x="{WIDTH / 2}" y="{bottom - 60}" text-anchor="middle">—</text>')
    return _svg(chart_id, title, desc, height, "".join(parts))


def unit_bars(chart_id, rows, *, title, desc, maximum, colour=BLUE, suffix=""):
    """One horizontal bar per unit on a fixed scale (a share out of 100, a rating out of 5), the unit's name on
    its own line above the bar (long Chinese names fit a phone). ``rows``: [(unit name, value or None)]; a unit
    without a figure is written "—" with no bar."""
    row, span = 46, WIDTH - 64
    y = 4
    parts = []
    for name, value in rows:
        short = name if len(name) <= 28 else name[:27] + "…"
        parts.append(f'<text x="0" y="{y + 14}">{escape(short)}</text>')
        parts.append(f'<rect x="0" y="{y + 21}" width="{span}" height="16" fill="#eef1f4"/>')
        if value is not None:
            w = span * min(float(value), maximum) / maximum if maximum else 0
            parts.append(f'<rect x="0" y="{y + 21}" width="{w:.1f}" height="16" fill="{colour}"/>')
        value_text = "—" if value is None else f"{_number(value)}{suffix}"
        parts.append(f'<text x="{span + 6}" y="{y + 34}">{value_text}</text>')
        y += row
    if not rows:
        parts.append(f'<text x="{WIDTH / 2}" y="{y + 18}" text-anchor="middle">—</text>')
        y += row
    return _svg(chart_id, title, desc, y + 4, "".join(parts))

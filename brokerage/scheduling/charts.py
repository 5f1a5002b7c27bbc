"""Server-side SVG charts for the timetable review (no JavaScript, prints and screenshots as is)."""
from __future__ import annotations

from collections import Counter
from xml.sax.saxutils import escape

from markupsafe import Markup

from brokerage.regions import REGION_NAMES, REGIONS
from brokerage.timeutil import UTC

COLOURS = {"EU": "#1f5fa8", "US": "#c0392b", "JP": "#e67e22", "KR": "#2e8b57", "OTHER": "#7f8c8d"}
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 34, 42


def hour_region_counts(meetings) -> Counter:
    """(UTC hour, region) -> participant-meetings: a meeting counts once for each side's region."""
    counts: Counter = Counter()
    for meeting in meetings:
        hour = meeting.slot.start.astimezone(UTC).hour
        for person in meeting.participants:
            counts[hour, person.region] += 1
    return counts


def meetings_per_hour_svg(counts: Counter) -> Markup:
    """Stacked bars per UTC hour (0-23), one colour per region, with legend and axis labels."""
    regions = [code for code, _ in REGIONS]
    totals = [sum(counts[h, r] for r in regions) for h in range(24)]
    top = max(max(totals), 1)
    step = max(1, -(-top // 5))  # about five gridlines whatever the event's size
    top = -(-top // step) * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
           f'aria-labelledby="hours-chart-title" id="meetings-per-hour-chart" font-family="sans-serif" font-size="11">',
           '<title id="hours-chart-title">Meetings per UTC hour by participant region</title>']
    for value in range(0, top + 1, step):
        y = TOP + plot_h - value / top * plot_h
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for hour in range(24):
        x = LEFT + hour * bar_w
        base = TOP + plot_h
        for region in regions:
            n = counts[hour, region]
            if not n:
                continue
            h = n / top * plot_h
            base -= h
            out.append(f'<rect class="bar" data-hour="{hour}" data-region="{region}" x="{x + 2:.1f}" y="{base:.1f}" '
                       f'width="{bar_w - 4:.1f}" height="{h:.1f}" fill="{COLOURS[region]}">'
                       f'<title>{hour:02d}:00 UTC, {escape(REGION_NAMES[region])}: {n}</title></rect>')
        if hour % 2 == 0:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{hour:02d}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333"/>')
    out.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle">Hour of the day (UTC)</text>')
    out.append(f'<text transform="translate(12 {TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
               'Meetings attended</text>')
    x = LEFT
    for region in regions:
        out.append(f'<rect class="legend" x="{x}" y="8" width="12" height="12" fill="{COLOURS[region]}"/>')
        label = escape(REGION_NAMES[region])
        out.append(f'<text x="{x + 16}" y="18">{label}</text>')
        x += 24 + 7 * len(label)
    out.append("</svg>")
    return Markup("".join(out))

"""Horizontal bar charts as inline SVG: drawn on the server, readable without JavaScript, printable."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037")


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int | float]]], *,
              chart_id: str, width: int = 720, label_width: int = 190, bar: int = 16) -> Markup:
    """One group of bars per label, one bar per series; a legend when there is more than one series."""
    legend_h = 22 if len(series) > 1 else 0
    group_h = bar * len(series) + 10
    top = 8 + legend_h
    height = top + group_h * max(len(labels), 1) + 4
    plot = width - label_width - 56  # room on the right for the value
    peak = max((v for _, values in series for v in values), default=0) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" role="img" '
           f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width: {width}px" '
           f'font-family="system-ui, sans-serif" font-size="12">',
           f'<title id="{escape(chart_id)}-title">{escape(title)}</title>']
    if legend_h:
        x = label_width
        for j, (name, _) in enumerate(series):
            out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                       f'<text x="{x + 16}" y="14">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    if not labels:
        out.append(f'<text x="{label_width}" y="{top + 14}" fill="#666">No data yet</text>')
    for i, label in enumerate(labels):
        y = top + i * group_h
        out.append(f'<text x="{label_width - 8}" y="{y + group_h / 2 + 2:.1f}" text-anchor="end">{escape(label)}</text>')
        for j, (name, values) in enumerate(series):
            value = values[i]
            w = plot * value / peak
            by = y + j * bar
            out.append(f'<rect x="{label_width}" y="{by}" width="{w:.1f}" height="{bar - 2}" fill="{PALETTE[j % len(PALETTE)]}">'
                       f'<title>{escape(label)} – {escape(name)}: {value}</title></rect>'
                       f'<text x="{label_width + w + 4:.1f}" y="{by + bar - 5}">{value}</text>')
    out.append("</svg>")
    return Markup("".join(out))

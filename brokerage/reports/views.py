"""The organisers' impact report, as a page with charts and as CSV.

Organisers only: co-organisers (overseas partners) manage participants but do not see the
outcome ratings and comments the report is built from.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import login_required

from brokerage.access import get_event, require_organiser
from brokerage.organiser.csv_io import write_csv
from brokerage.regions import REGION_NAMES
from brokerage.reports.charts import bar_chart
from brokerage.reports.impact import STAGES, build_report, csv_rows

bp = Blueprint("reports", __name__, url_prefix="/organise")


@bp.get("/<slug>/impact")
@login_required
def impact(slug: str):
    event = get_event(slug)
    require_organiser(event)
    report = build_report(event)
    stage = dict(STAGES)
    pair_series = ["requested", "accepted", "held", "agreement"]
    charts = {
        "regions": bar_chart("Approved participants by region", [r.label for r in report.by_region],
                             [("Participants", [r.counts["participants"] for r in report.by_region])],
                             chart_id="chart-regions"),
        "funnel": bar_chart("From request to agreement", [label for _, label in STAGES],
                            [("Meetings", [report.totals[key] for key, _ in STAGES])], chart_id="chart-funnel"),
        "pairs": bar_chart("Meetings by region pair", [r.key for r in report.by_pair],
                           [(stage[key], [r.counts[key] for r in report.by_pair]) for key in pair_series],
                           chart_id="chart-pairs"),
        "overseas": bar_chart("European SMEs meeting US, Japanese and Korean partners",
                              [REGION_NAMES[r.key] for r in report.eu_smes_by_partner_region],
                              [(label, [r.counts[key] for r in report.eu_smes_by_partner_region]) for key, label in
                               [("smes", "SMEs that met"), ("held", "Meetings held"),
                                ("cooperation", "Cooperation possible"), ("agreement", "Agreement reached")]],
                              chart_id="chart-overseas"),
        "ratings": bar_chart("Participants' ratings", [r.label for r in report.ratings],
                             [("Ratings", [r.counts["count"] for r in report.ratings])], chart_id="chart-ratings"),
    }
    return render_template("reports/impact.html", event=event, report=report, charts=charts, stages=STAGES)


@bp.get("/<slug>/impact.csv")
@login_required
def impact_csv(slug: str):
    event = get_event(slug)
    require_organiser(event)
    header, *rows = csv_rows(build_report(event))
    # The BOM makes Excel read country names such as "Türkiye" as UTF-8; write_csv keeps formulas from running.
    return Response("\ufeff" + write_csv(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{event.slug}-impact.csv"'})

"""Jinja filters: every displayed time goes through these and names its zone; names of opportunity kinds."""
from flask import Flask

from brokerage import timeutil
from brokerage.events.models import LABELS
from brokerage.regions import REGION_NAMES, region_of


def init_app(app: Flask) -> None:
    app.add_template_filter(timeutil.fmt_time, "local_time")
    app.add_template_filter(timeutil.fmt_datetime, "local_datetime")
    app.add_template_filter(timeutil.fmt_day, "local_day")
    app.add_template_filter(timeutil.fmt_their_time, "their_time")
    app.add_template_filter(timeutil.utc_offset, "utc_offset")
    app.add_template_filter(timeutil.zone_label, "zone_label")
    app.add_template_filter(lambda country: REGION_NAMES[region_of(country)], "region_name")
    app.add_template_filter(kind_name, "kind_name")
    app.add_template_filter(full_stop, "full_stop")
    app.add_template_filter(lambda sector: LABELS["sector"].get(sector, sector), "sector_name")
    app.add_template_global(timeutil.now_utc, "now_utc")
    app.add_template_global(timeutil.event_span, "event_span")
    app.add_template_global("{:%H:%M}–{:%H:%M}".format(*timeutil.WORKING_DAY), "working_day")


def full_stop(text: str) -> str:
    """A sentence that ends in a name: "sent to Hayate Energy Co., Ltd." takes no second full stop."""
    return text if text.endswith((".", "?", "!")) else text + "."


def kind_name(kind: str) -> str:
    """An opportunity kind inside a sentence: "technology offer", but "R&D cooperation"."""
    label = LABELS["kind"].get(kind, kind)
    return label if label[:2].isupper() else label[0].lower() + label[1:]

"""The timetable review: counts, reasons, per-participant figures, region pairs and the hourly chart."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from brokerage.extensions import db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def reviewed(app, make_event, people, meeting):
    event_id = make_event()
    p = people(event_id, [
        ("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
        ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", "all"),
        ("kr@example.kr", "Seoul Chips", "KR", "Asia/Seoul", "all"),
        ("us@example.com", "Boston Bio", "US", "America/New_York", "all"),
        ("idle@example.de", "Berlin Late", "DE", "Europe/Berlin", []),
    ])
    eu, jp, kr, us, idle = p.values()
    meeting(event_id, eu, jp, slot=0)   # 07:00 UTC
    meeting(event_id, eu, kr, slot=3)   # 08:15 UTC
    meeting(event_id, jp, kr, slot=4)   # 08:40 UTC
    meeting(event_id, eu, us, slot=7)   # 14:00 UTC
    unscheduled = meeting(event_id, us, idle)
    with app.app_context():
        from brokerage.meetings.models import Meeting
        db.session.get(Meeting, unscheduled).unscheduled_reason = "Berlin Late (#5) has no slot marked available"
        db.session.commit()
    return event_id


def test_review_page_counts_reasons_and_pairs(client, auth, reviewed):
    auth.login("organiser@een.example")
    page = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    assert 'id="scheduled-count">4<' in page and 'id="unscheduled-count">1<' in page
    assert "has no slot marked available" in page
    # Lyon 3, Osaka 2, Seoul 2, Boston 1, Berlin 0 scheduled meetings.
    assert "min 0 · avg 1.6 · max 3" in page
    assert 'data-pair="EU-JP">1<' in page and 'data-pair="JP-EU">1<' in page and 'data-pair="JP-KR">1<' in page
    assert 'data-pair="EU-EU">0<' in page
    assert "Slot (UTC)" in page and "Asia/Tokyo (UTC+09:00)" in page


def test_hour_chart_is_valid_svg_with_a_bar_per_hour_and_region(app, reviewed):
    from brokerage.scheduling import charts, timetable
    from brokerage.events.models import Event
    with app.app_context():
        review = timetable.review(db.session.get(Event, reviewed))
        counts = charts.hour_region_counts(review.scheduled)
        svg = charts.meetings_per_hour_svg(counts)
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    # 07h EU+JP; 08h EU+KR+JP (KR twice); 14h EU+US.
    assert Counter((b.get("data-hour"), b.get("data-region")) for b in bars) == Counter({
        ("7", "EU"): 1, ("7", "JP"): 1, ("8", "EU"): 1, ("8", "JP"): 1, ("8", "KR"): 1, ("14", "EU"): 1, ("14", "US"): 1})
    assert counts[8, "KR"] == 2
    heights = {(b.get("data-hour"), b.get("data-region")): float(b.get("height")) for b in bars}
    assert heights["8", "KR"] == pytest.approx(2 * heights["8", "JP"])
    legend = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "legend"]
    assert len(legend) == 5
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Hour of the day (UTC)" in texts and "Japan" in texts


def test_empty_event_chart_has_no_bars(app):
    from brokerage.scheduling import charts
    root = ET.fromstring(str(charts.meetings_per_hour_svg(Counter())))
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_review_and_exports_do_not_query_once_per_meeting(app, client, auth, make_event, people, meeting):
    """The demo has 174 meetings: the pages listing them load people and slots in a few queries, not per row."""
    import sqlalchemy as sa

    event_id = make_event()
    specs = [(f"p{n}@example.eu", f"Org {n}", "FR", "Europe/Paris", "all") for n in range(12)]
    p = list(people(event_id, specs).values())

    def queries(path: str) -> int:
        count = [0]

        def seen(*_):
            count[0] += 1
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", seen)
            try:
                assert client.get(path).status_code == 200
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", seen)
        return count[0]

    auth.login("organiser@een.example")
    pages = ("/organise/march-2027/timetable", "/organise/march-2027/export/meetings.csv",
             "/organise/march-2027/export/requests.csv", "/organise/march-2027/participants")
    for n in range(2):
        meeting(event_id, p[2 * n], p[2 * n + 1], slot=n, published=n)
    few = {path: queries(path) for path in pages}
    for n in range(2, 6):
        meeting(event_id, p[2 * n], p[2 * n + 1], slot=n, published=n)
    assert {path: queries(path) for path in pages} == few


def test_a_participant_on_another_day_than_the_utc_slot_sees_their_date(client, auth, reviewed, people, meeting):
    """Rows are UTC slots; a partner's clock beside them carries its date where it is another day."""
    nz = people(reviewed, [("nz@example.nz", "Kiwi Labs", "NZ", "Pacific/Auckland", "all")])["nz@example.nz"]
    us = people(reviewed, [("sf@example.com", "Bay Bio", "US", "America/Los_Angeles", "all")])["sf@example.com"]
    meeting(reviewed, nz, us, slot=8)  # 14:25 UTC: 03:25 on Wednesday in Auckland, 07:25 on Tuesday in LA
    auth.login("organiser@een.example")
    page = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    row = page.split("Kiwi Labs (NZ)")[1].split("</tr>")[0]
    assert "Wed 17 Mar 2027, 03:25 Pacific/Auckland" in row and "<small class=\"tz-caption\">07:25 America/Los_Angeles" in row

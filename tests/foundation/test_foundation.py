from datetime import date, datetime, time, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from brokerage import timeutil
from brokerage.extensions import db
from brokerage.models import include_in_autogenerate


# Alembic cannot reflect expression indexes, so it skips them (with this warning); checked by name below.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_in_autogenerate}  # as `flask db migrate`
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            query = ("SELECT indexname FROM pg_indexes" if conn.dialect.name == "postgresql"
                     else "SELECT name FROM sqlite_master WHERE type = 'index'")
            indexes = set(conn.execute(sa.text(query)).scalars())
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
    assert "uq_meeting_request_open_pair" in indexes


def test_utc_column_round_trips_aware_utc(app, make_event):
    from brokerage.events.models import Slot
    event_id = make_event()
    with app.app_context():
        slot = db.session.scalars(db.select(Slot).filter_by(event_id=event_id).order_by(Slot.start)).first()
        assert slot.start == datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc)
        assert slot.start.tzinfo is not None and slot.start.utcoffset().total_seconds() == 0


def test_naive_datetimes_are_refused(app, make_event):
    from brokerage.events.models import Event
    event_id = make_event()
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.booking_deadline = datetime(2027, 3, 1, 12, 0)
        with pytest.raises(Exception):
            db.session.commit()
        db.session.rollback()


def test_local_times_on_week_when_us_changed_clocks_and_europe_not():
    moment = datetime(2027, 3, 16, 13, 0, tzinfo=timezone.utc)  # US on EDT, Paris still on CET
    assert timeutil.fmt_time(moment, "Europe/Paris") == "14:00"
    assert timeutil.fmt_time(moment, "America/New_York") == "09:00"
    assert timeutil.fmt_time(moment, "Asia/Tokyo") == "22:00"
    assert timeutil.fmt_time(moment, "Asia/Seoul") == "22:00"
    assert timeutil.zone_label("America/New_York", moment) == "America/New_York (UTC-04:00)"
    # Two weeks later Europe has changed too: the gap to New York is back to six hours.
    later = datetime(2027, 3, 30, 13, 0, tzinfo=timezone.utc)
    assert timeutil.fmt_time(later, "Europe/Paris") == "15:00"
    assert timeutil.local_to_utc(date(2027, 3, 16), time(9), "America/New_York") == datetime(2027, 3, 16, 13, 0, tzinfo=timezone.utc)


def test_the_two_half_past_twos_of_the_night_europe_goes_back_are_told_apart():
    """31 Oct 2027, Berlin: 00:30 and 01:30 UTC are both 02:30; every page and mail names the offset then."""
    first, second = (datetime(2027, 10, 31, h, 30, tzinfo=timezone.utc) for h in (0, 1))
    assert timeutil.fmt_time(first, "Europe/Berlin") == "02:30 (UTC+02:00)"
    assert timeutil.fmt_datetime(second, "Europe/Berlin") == "Sun 31 Oct 2027, 02:30 (UTC+01:00)"
    assert timeutil.fmt_time(datetime(2027, 10, 31, 2, 30, tzinfo=timezone.utc), "Europe/Berlin") == "03:30"
    assert timeutil.fmt_time(first, "Asia/Tokyo") == "09:30"


def test_timezone_choices_offer_the_countrys_zones_first():
    choices = [value for value, _ in timeutil.timezone_choices("JP")]
    assert choices[0] == "Asia/Tokyo"
    us = [value for value, _ in timeutil.timezone_choices("US")]
    assert us[0].startswith("America/") and "Europe/Paris" in us
    assert len(set(us)) == len(us)


def test_a_zone_must_be_an_iana_name():
    assert timeutil.is_valid_timezone("Asia/Seoul") and timeutil.is_valid_timezone("UTC")
    # The server's own zone means nothing to a participant, and the solver refuses it.
    assert not timeutil.is_valid_timezone("localtime") and not timeutil.is_valid_timezone("Mars/Olympus")


def test_slots_follow_windows(app, make_event):
    from brokerage.events.models import Event
    event_id = make_event(slot_minutes=20, pause_minutes=10)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert len(event.slots) == 12  # 3 h windows, 30 min steps, two windows
        assert event.slots[0].end == datetime(2027, 3, 16, 7, 20, tzinfo=timezone.utc)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_ids_beyond_the_database_range_are_not_found(client, auth, make_event):
    make_event()
    auth.signup("organiser2@een.example")
    for url in ("/organise/march-2027/participants/" + "9" * 30, "/events/march-2027/outcomes/" + "9" * 30):
        assert client.get(url).status_code == 404


def test_nul_in_a_url_is_not_found(client, make_event):
    make_event()
    assert client.get("/feed/abc%00.ics").status_code == 404
    assert client.get("/events/march%00-2027").status_code == 404


def test_a_zone_label_over_an_event_names_the_clock_change_inside_it():
    # 25-29 March 2027: Europe changes clocks on the 28th, New York did on the 14th.
    span = timeutil.Span(datetime(2027, 3, 25, 14, tzinfo=timezone.utc), datetime(2027, 3, 29, 15, tzinfo=timezone.utc))
    assert timeutil.zone_label("Europe/Brussels", span) == "Europe/Brussels (UTC+01:00; UTC+02:00 from Sun 28 Mar)"
    assert timeutil.zone_label("America/New_York", span) == "America/New_York (UTC-04:00)"
    assert timeutil.zone_label("Asia/Tokyo", span) == "Asia/Tokyo (UTC+09:00)"


def test_event_page_headings_name_both_offsets_when_the_event_crosses_a_change(app, client, make_event):
    make_event(start_date=date(2027, 3, 25), end_date=date(2027, 3, 29), windows=[
        ("Thursday", datetime(2027, 3, 25, 14, tzinfo=timezone.utc), datetime(2027, 3, 25, 15, tzinfo=timezone.utc)),
        ("Monday", datetime(2027, 3, 29, 14, tzinfo=timezone.utc), datetime(2027, 3, 29, 15, tzinfo=timezone.utc))])
    page = client.get("/events/march-2027").get_data(as_text=True)
    assert "Europe/Brussels (UTC+01:00; UTC+02:00 from Sun 28 Mar)" in page
    assert "Europe/Brussels (UTC+01:00)<" not in page


def test_their_time_carries_the_day_only_when_it_differs():
    moment = datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc)
    assert timeutil.fmt_their_time(moment, "Pacific/Honolulu", "Asia/Tokyo") == "Mon 15 Mar 2027, 21:00"
    assert timeutil.fmt_their_time(moment, "Europe/Paris", "Asia/Tokyo") == "08:00"

"""Limits lowered after scheduling: the timetable is held from publishing until it fits them again, and a
run's page says what applying it does to the meetings participants were told of."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from brokerage.extensions import db
from tests.support import post_form
from tests.scheduling.conftest import wait_for_run

ORGANISER = "organiser@een.example"
TIMETABLE = "/organise/march-2027/timetable"


def published_per_slot(app, event_id):
    from collections import Counter
    from brokerage.meetings.models import Meeting
    with app.app_context():
        return Counter(db.session.scalars(db.select(Meeting.published_slot_id).filter_by(event_id=event_id)
                                          .where(Meeting.published_slot_id.is_not(None))))


def test_fewer_rooms_hold_publishing_until_a_run_fits_the_timetable_to_them(app, client, auth, outbox, make_event,
                                                                            people, meeting):
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs, timetable
    from brokerage.scheduling.models import ScheduleRun
    event_id = make_event()
    p = list(people(event_id, [(f"p{i}@x.eu", f"Org {i}", "FR", "Europe/Paris", "all") for i in range(6)]).values())
    for a, b in ((0, 1), (2, 3), (4, 5)):  # three meetings at 07:00, as two rooms were never asked for
        meeting(event_id, p[a], p[b], slot=0)
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    sent = len(outbox())
    with app.app_context():
        db.session.get(Event, event_id).room_capacity = 2
        db.session.commit()

    page = client.get(TIMETABLE).get_data(as_text=True)
    assert "1 slot(s) hold more than 2 meetings (most: 3 on Tue 16 Mar 07:00 UTC)" in page
    assert 'id="publish-changes" disabled' in page
    # A post from an older page is refused too, with the reason and what to do.
    with app.app_context():
        meeting(event_id, p[0], p[3])  # a change to publish, so only the limits stand in the way
    page = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True).get_data(
        as_text=True)
    assert "Not published: see the problem named below." in page
    assert page.count("1 slot(s) hold more than 2") == 1 and "run the scheduler and apply its run" in page
    assert len(outbox()) == sent and published_per_slot(app, event_id).most_common(1)[0][1] == 3

    # The organiser's way out: a run under the new limit, applied, then published.
    with app.app_context():
        run_id = jobs.start_run(db.session.get(Event, event_id), 1, 3).id
    assert wait_for_run(app, run_id) == "succeeded"
    with app.app_context():
        timetable.apply_run(db.session.get(Event, event_id), db.session.get(ScheduleRun, run_id))
    assert 'id="over-limits"' not in client.get(TIMETABLE).get_data(as_text=True)
    page = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True).get_data(
        as_text=True)
    assert "Changes published" in page
    assert max(published_per_slot(app, event_id).values()) == 2


def test_a_lowered_meeting_limit_counts_meetings_ahead_not_those_held(app, make_event, people, meeting):
    from brokerage.events.models import Event
    from brokerage.scheduling.timetable import limit_problems
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    event_id = make_event(start_date=today.date() - timedelta(days=1), end_date=today.date() + timedelta(days=1),
                          windows=[("Yesterday", today - timedelta(hours=20), today - timedelta(hours=18)),
                                   ("Tomorrow", today + timedelta(hours=30), today + timedelta(hours=32))])
    p = list(people(event_id, [(f"p{i}@x.eu", f"Org {i}", "FR", "Europe/Paris", "all") for i in range(5)]).values())
    for other, slot in ((1, 0), (2, 1), (3, 2)):  # Org 0 held three meetings yesterday, ...
        meeting(event_id, p[0], p[other], slot=slot, published=slot)
    meeting(event_id, p[3], p[4], slot=0, published=0)  # ... and two took place at once in the first slot
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.room_capacity, event.max_meetings = 1, 2
        db.session.commit()
        # What took place cannot be undone: it must not hold publishing forever.
        assert limit_problems(event) == []
    meeting(event_id, p[0], p[4], slot=6)  # tomorrow: one more for Org 0 still can be taken out
    with app.app_context():
        assert limit_problems(db.session.get(Event, event_id)) == [
            "1 participant(s) have more than 2 meetings (most: Org 0, 4)"]


def test_the_run_page_says_how_many_published_meetings_applying_moves_or_leaves_out(app, client, auth, make_event,
                                                                                  people, meeting):
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs
    event_id = make_event()
    p = people(event_id, [("a@x.eu", "A", "FR", "Europe/Paris", "all"), ("b@x.eu", "B", "IT", "Europe/Rome", "all"),
                          ("c@x.eu", "C", "DE", "Europe/Berlin", [5]), ("d@x.eu", "D", "ES", "Europe/Madrid", []),
                          ("e@x.eu", "E", "AT", "Europe/Vienna", "all")])
    a, b, c, d, e = p.values()
    meeting(event_id, a, b, slot=0, published=0)  # stays
    meeting(event_id, a, c, slot=1, published=1)  # C can only make slot 5 now: moved
    meeting(event_id, b, d, slot=2, published=2)  # D marked no slot at all: left out
    meeting(event_id, e, b, slot=7, published=3, locked=True)  # moved by hand, not yet told: not the run's move
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.timetable_published = True
        db.session.commit()
        run_id = jobs.start_run(event, 1, 3).id
    assert wait_for_run(app, run_id) == "succeeded"
    auth.login(ORGANISER)
    page = client.get(f"/organise/march-2027/runs/{run_id}").get_data(as_text=True)
    assert 'Of the 4 published\n    meeting(s), this run moves <strong id="published-moved">1</strong>' in page
    assert '<strong id="published-left-out">1</strong> out (unscheduled)' in page
    # Said again beside the button, before it is pressed.
    assert page.index('id="published-impact"') < page.index('id="apply-run"')
    assert "moving\n      1 and leaving out 1 published meeting(s)" in page

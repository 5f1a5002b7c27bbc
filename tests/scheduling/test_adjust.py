"""Manual adjustments: moves only to slots that work for both, locks, unscheduling; published slots untouched."""
from __future__ import annotations

import re

import pytest

from brokerage.extensions import db
from tests.support import post_form

ORGANISER = "organiser@een.example"
TIMETABLE = "/organise/march-2027/timetable"


@pytest.fixture
def placed(app, make_event, people, meeting):
    event_id = make_event(room_capacity=2)
    p = people(event_id, [
        ("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
        ("us@example.com", "Boston Bio", "US", "America/New_York", range(7, 14)),
        ("de@example.de", "Berlin Optics", "DE", "Europe/Berlin", "all"),
        ("it@example.it", "Turin Motors", "IT", "Europe/Rome", "all"),
        ("nl@example.nl", "Delft Water", "NL", "Europe/Amsterdam", "all"),
    ])
    eu, us, de, it, nl = p.values()
    ids = {
        "eu-us": meeting(event_id, eu, us, slot=8, published=8),
        "eu-de": meeting(event_id, eu, de, slot=9),
        "it-nl": meeting(event_id, it, nl, slot=10),
        "de-it": meeting(event_id, de, it, slot=10),
    }
    with app.app_context():
        from brokerage.events.models import Event
        slots = [s.id for s in db.session.get(Event, event_id).slots]
    return event_id, ids, slots


def state(app, meeting_id):
    from brokerage.meetings.models import Meeting
    with app.app_context():
        m = db.session.get(Meeting, meeting_id)
        return m.slot_id, m.published_slot_id, m.locked, m.unscheduled_reason


def test_move_form_offers_only_slots_that_work_for_both(app, client, auth, placed):
    event_id, ids, slots = placed
    auth.login(ORGANISER)
    page = client.get(f"/organise/march-2027/meetings/{ids['eu-us']}/move").get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'name="slot_id" value="(\d+)"', page)}
    # Boston is available in the afternoon (7-13); Lyon meets Berlin at 9; 10 is full (capacity 2); 8 is current.
    assert offered == {slots[i] for i in (7, 11, 12, 13)}
    # Each choice names UTC and both local times: 14:00 UTC is 15:00 in Lyon and 10:00 in Boston (EDT).
    assert "14:00 UTC" in page and "15:00, Europe/Paris (UTC+01:00)" in page
    assert "10:00, America/New_York (UTC-04:00)" in page


@pytest.mark.parametrize("target, why", [(0, "not available"), (9, "busy"), (10, "full")])
def test_moves_that_do_not_work_are_refused_and_change_nothing(app, client, auth, placed, target, why):
    event_id, ids, slots = placed
    before = state(app, ids["eu-us"])
    auth.login(ORGANISER)
    url = f"/organise/march-2027/meetings/{ids['eu-us']}/move"
    response = post_form(client, url, {"slot_id": slots[target]})
    assert response.status_code == 400
    assert "That slot does not work for this meeting" in response.get_data(as_text=True)
    assert state(app, ids["eu-us"]) == before


def test_move_locks_and_leaves_published_slot(app, client, auth, placed):
    event_id, ids, slots = placed
    auth.login(ORGANISER)
    url = f"/organise/march-2027/meetings/{ids['eu-us']}/move"
    response = post_form(client, url, {"slot_id": slots[12]}, follow_redirects=True)
    assert "Meeting moved and locked" in response.get_data(as_text=True)
    assert state(app, ids["eu-us"]) == (slots[12], slots[8], True, "")


def test_lock_unlock_and_unschedule(app, client, auth, placed):
    event_id, ids, slots = placed
    auth.login(ORGANISER)
    timetable = "/organise/march-2027/timetable"
    lock = f"/organise/march-2027/meetings/{ids['eu-de']}/lock"
    post_form(client, lock, {"locked": "1"}, form_url=timetable)
    assert state(app, ids["eu-de"])[2] is True
    post_form(client, lock, {"locked": "0"}, form_url=timetable)
    assert state(app, ids["eu-de"])[2] is False
    post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/unschedule", {}, form_url=timetable)
    slot, published, locked, reason = state(app, ids["eu-us"])
    assert slot is None and published == slots[8] and "organiser" in reason
    response = post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/lock", {"locked": "1"},
                         form_url=timetable, follow_redirects=True)
    assert "Only a scheduled meeting can be locked" in response.get_data(as_text=True)

    # Taken out, it stays out: runs do not see it until the organisers release it (or place it).
    def in_next_run() -> bool:
        from brokerage.events.models import Event
        from brokerage.scheduling.solver_bridge import build_instance
        with app.app_context():
            return any(m["db_id"] == ids["eu-us"] for m in build_instance(db.session.get(Event, event_id))["meetings"])
    assert state(app, ids["eu-us"])[2] is True and not in_next_run()
    assert f'id="release-{ids["eu-us"]}"' in client.get(timetable).get_data(as_text=True)
    response = post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/lock", {"locked": "0"},
                         form_url=timetable, follow_redirects=True)
    assert "Meeting released: the next run may place it." in response.get_data(as_text=True)
    assert state(app, ids["eu-us"])[2:] == (False, "released by an organiser: the next run may place it")
    assert in_next_run()


def test_empty_move_post_gets_a_message(app, client, auth, placed):
    _, ids, _ = placed
    auth.login(ORGANISER)
    url = f"/organise/march-2027/meetings/{ids['eu-us']}/move"
    for bad in ("soon", "99999999999999999999", "-1"):  # a 20-digit id would overflow SQLite's integers
        response = post_form(client, url, {"slot_id": bad})
        assert response.status_code == 400 and "Choose a slot" in response.get_data(as_text=True)


def test_a_window_removed_under_a_locked_meeting_frees_it_and_counts_only_live_meetings(
        app, client, auth, placed, people, meeting):
    from brokerage.events.models import MeetingWindow
    from brokerage.meetings.models import Meeting
    event_id, ids, slots = placed
    auth.login(ORGANISER)
    post_form(client, f"/organise/march-2027/meetings/{ids['it-nl']}/move", {"slot_id": slots[1]})
    assert state(app, ids["it-nl"])[2] is True  # placed by hand: locked
    with app.app_context():
        cancelled = db.session.get(Meeting, ids["eu-de"])
        cancelled.slot_id, cancelled.cancelled = slots[2], True  # a participant cancelled it there
        db.session.commit()
        morning = db.session.scalar(db.select(MeetingWindow.id).filter_by(event_id=event_id, label="Asia-Europe"))
    response = post_form(client, f"/organise/march-2027/windows/{morning}/delete", {},
                         form_url="/organise/march-2027/windows", follow_redirects=True)
    assert "1 meeting(s) lost their slot" in response.get_data(as_text=True)
    slot, _, locked, _ = state(app, ids["it-nl"])
    assert slot is None and locked is False  # the lock was on a slot that is gone


def test_dashboard_counts_follow_the_timetable(app, client, auth, placed):
    from brokerage.events.models import Event, Participant
    event_id, ids, slots = placed
    auth.login(ORGANISER)
    with app.app_context():
        from brokerage.timeutil import now_utc
        event = db.session.get(Event, event_id)
        event.timetable_published, event.published_at = True, now_utc()
        boston = db.session.scalar(db.select(Participant).filter_by(organisation="Boston Bio"))
        boston.status = "rejected"  # their published meeting must now be cancelled: a pending change
        db.session.commit()
    page = client.get("/organise/march-2027/").get_data(as_text=True)
    timetable = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    pending = re.search(r'id="pending-changes">(\d+)<', timetable).group(1)
    assert re.search(r'data-count="changed">(\d+)<', page).group(1) == pending == "4"
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    # Boston's meeting no longer counts as agreed, but participants were told of it; the rest are new.
    assert counts == {"total": "3", "scheduled": "3", "unscheduled": "0", "published": "1", "changed": "4"}


def test_meetings_that_no_longer_count_neither_block_nor_fill_a_slot(app, client, auth, placed):
    from brokerage.events.models import Participant
    from brokerage.meetings.models import Meeting
    event_id, ids, slots = placed
    with app.app_context():
        db.session.get(Meeting, ids["eu-de"]).cancelled = True  # Lyon's meeting at 9
        db.session.scalar(db.select(Participant).filter_by(organisation="Delft Water")).status = "rejected"
        db.session.commit()  # slot 10 keeps one live meeting of its two places
    auth.login(ORGANISER)
    page = client.get(f"/organise/march-2027/meetings/{ids['eu-us']}/move").get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'name="slot_id" value="(\d+)"', page)}
    assert offered == {slots[i] for i in (7, 9, 10, 11, 12, 13)}


def test_placing_says_which_participant_is_at_the_meeting_limit(app, client, auth, placed):
    """Lyon has two other meetings; with a limit of 2 the page must name the limit, not availability."""
    event_id, ids, slots = placed
    from brokerage.events.models import Event
    auth.login(ORGANISER)
    post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/unschedule", {},
              form_url="/organise/march-2027/timetable")
    with app.app_context():
        db.session.get(Event, event_id).max_meetings = 1
        db.session.commit()
    page = client.get(f"/organise/march-2027/meetings/{ids['eu-us']}/move").get_data(as_text=True)
    assert "Lyon Robotics already has 1 meetings, the event&#39;s limit per participant" in page
    assert "widen their availability" not in page


def test_placing_without_common_availability_says_so(app, client, auth, make_event, people, meeting):
    event_id = make_event()
    a, b = people(event_id, [("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", [0, 1]),
                             ("jp@example.jp", "Osaka Bio", "JP", "Asia/Tokyo", [2, 3])]).values()
    meeting_id = meeting(event_id, a, b)
    auth.login(ORGANISER)
    page = client.get(f"/organise/march-2027/meetings/{meeting_id}/move").get_data(as_text=True)
    assert "no other slot both participants marked as available" in page


def test_timetable_marks_a_meeting_whose_end_changed_since_publishing(app, client, auth, placed):
    event_id, ids, slots = placed
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.timetable_published, event.published_at = True, event.created_at
        m = db.session.get(Meeting, ids["eu-us"])
        m.published_end = m.published_slot.end.replace(minute=(m.published_slot.end.minute + 5) % 60)
        m.published_link = "https://meet.jit.si/old"
        db.session.commit()
    auth.login(ORGANISER)
    page = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    row = page.split(f'id="meeting-{ids["eu-us"]}"')[1].split("</tr>")[0]
    assert "unpublished change" in row


def _clock(monkeypatch, app, event_id, slot_index):
    """Sets every clock the timetable reads to the start of that slot (plus a minute)."""
    from datetime import timedelta

    from brokerage.events.models import Event
    from brokerage.meetings import services
    from brokerage.scheduling import solver_bridge, timetable
    with app.app_context():
        moment = db.session.get(Event, event_id).slots[slot_index].start + timedelta(minutes=1)
    for module in (services, timetable, solver_bridge):
        monkeypatch.setattr(module, "now_utc", lambda: moment)


def test_a_meeting_that_took_place_cannot_be_moved_or_unscheduled(app, client, auth, placed, monkeypatch):
    """Lyon-Boston was published in slot 8; once that slot has begun, it happened (and may be rated)."""
    event_id, ids, slots = placed
    with app.app_context():
        from brokerage.events.models import Event
        db.session.get(Event, event_id).timetable_published = True
        db.session.commit()
    _clock(monkeypatch, app, event_id, 8)
    before = state(app, ids["eu-us"])
    auth.login(ORGANISER)
    moved = post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/move", {"slot_id": slots[12]})
    assert moved.status_code == 400 and "it took place" in moved.get_data(as_text=True)
    gone = post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/unschedule", {},
                     form_url="/organise/march-2027/timetable", follow_redirects=True)
    assert "it took place" in gone.get_data(as_text=True)
    assert state(app, ids["eu-us"]) == before


def test_slots_that_have_begun_are_not_offered_and_a_rerun_keeps_started_meetings(app, client, auth, placed,
                                                                                   monkeypatch):
    event_id, ids, slots = placed
    from brokerage.events.models import Event
    from brokerage.scheduling.solver_bridge import build_instance
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.timetable_published, event.room_capacity = True, 5
        db.session.commit()
    _clock(monkeypatch, app, event_id, 11)  # Lyon-Boston (slot 8) took place; slots 0-11 have begun
    auth.login(ORGANISER)
    page = client.get(f"/organise/march-2027/meetings/{ids['eu-de']}/move").get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'name="slot_id" value="(\d+)"', page)}
    assert offered and min(offered) >= slots[12]
    with app.app_context():
        instance = build_instance(db.session.get(Event, event_id))
    rows = {m["db_id"]: m for m in instance["meetings"]}
    ahead = {s["id"] for s in instance["slots"] if s["db_id"] in slots[12:]}
    assert rows[ids["eu-us"]]["fixed_slot"] == next(s["id"] for s in instance["slots"] if s["db_id"] == slots[8])
    assert set(rows[ids["eu-de"]]["allowed_slots"]) == ahead
    # What took place stays whatever the limits are now: required, in a slot without a room limit.
    assert rows[ids["eu-us"]]["required"] and not rows[ids["eu-de"]]["required"]
    capacity = {s["db_id"]: s["capacity"] for s in instance["slots"]}
    assert capacity[slots[8]] is None and capacity[slots[12]] == 5


def test_timetable_table_pages_and_finds_an_organisation(app, client, auth, placed, monkeypatch):
    from brokerage.scheduling import views
    event_id, ids, slots = placed
    monkeypatch.setattr(views, "TABLE_PAGE", 3)  # four scheduled meetings: two pages
    auth.login(ORGANISER)
    first = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    second = client.get("/organise/march-2027/timetable?page=2").get_data(as_text=True)
    rows = lambda page: set(re.findall(r'<tr id="meeting-(\d+)">', page.split('id="scheduled-table"')[1]))
    assert len(rows(first)) == 3 and len(rows(second)) == 1 and not rows(first) & rows(second)
    assert "page 1 of 2" in first and 'class="next-page"' in first
    assert 'id="scheduled-count">4<' in second  # the figures stay for the whole event
    found = client.get("/organise/march-2027/timetable?q=boston").get_data(as_text=True)
    assert rows(found) == {str(ids["eu-us"])} and "1 of 4 meetings match" in found
    # Locking from a search result comes back to it.
    response = post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/lock",
                         {"locked": "1", "q": "boston", "page": "1"}, form_url="/organise/march-2027/timetable")
    assert response.headers["Location"].endswith(f"/organise/march-2027/timetable?q=boston#meeting-{ids['eu-us']}")


def test_a_started_meeting_stays_schedulable_when_a_slot_is_unticked_and_old_locks_do_not_pin_the_past(
        app, placed, monkeypatch):
    event_id, ids, slots = placed
    from brokerage.events.models import Availability, Event
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling.solver_bridge import build_instance
    with app.app_context():
        db.session.get(Event, event_id).timetable_published = True
        db.session.get(Meeting, ids["eu-de"]).locked = True  # locked in slot 9, never published
        boston = db.session.get(Meeting, ids["eu-us"]).request.recipient_id
        db.session.execute(db.delete(Availability).filter_by(participant_id=boston, slot_id=slots[8]))
        db.session.commit()
    _clock(monkeypatch, app, event_id, 11)  # Lyon-Boston took place in slot 8; slots up to 11 have begun
    with app.app_context():
        instance = build_instance(db.session.get(Event, event_id))
    key = {s["db_id"]: s["id"] for s in instance["slots"]}
    rows = {m["db_id"]: m for m in instance["meetings"]}
    people = {p["db_id"]: p for p in instance["participants"]}
    assert rows[ids["eu-us"]]["fixed_slot"] == key[slots[8]] and key[slots[8]] in people[boston]["available"]
    assert rows[ids["eu-de"]]["fixed_slot"] is None and key[slots[9]] not in rows[ids["eu-de"]]["allowed_slots"]
    from solver import instance_from_dict, solve
    assert solve(instance_from_dict(instance), time_limit=5).status in ("OPTIMAL", "FEASIBLE")


def test_a_run_still_applies_after_a_slot_began_in_the_meantime(app, placed, monkeypatch):
    """Time passing is no change of the organisers' data; a meeting placed in a slot that began since
    is left unscheduled with the reason."""
    event_id, ids, slots = placed
    from brokerage.events.models import Event
    from brokerage.scheduling import jobs, timetable
    from brokerage.scheduling.models import ScheduleRun
    with app.app_context():
        run_id = jobs.create_run(db.session.get(Event, event_id), 1, 5).id
        jobs.execute_run(run_id)
    _clock(monkeypatch, app, event_id, 0)  # the first slot began after the run was started
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.status == "succeeded", run.error
        monkeypatch.setitem(run.solution, "assignments", [
            {**a, "slot": run.instance["slots"][0]["id"]} if a["meeting"] == run.solution["assignments"][0]["meeting"]
            else a for a in run.solution["assignments"]])
        first = run.solution["assignments"][0]["meeting"]
        timetable.apply_run(db.session.get(Event, event_id), run)  # was refused: "changed since this run started"
        meeting_id = next(m["db_id"] for m in run.instance["meetings"] if m["id"] == first)
    assert state(app, meeting_id)[0] is None and "began before the run was applied" in state(app, meeting_id)[3]


def test_the_hour_chart_has_its_figures_as_a_table(app, client, auth, placed):
    """Slots 8-10 are 14:25-15:45 UTC: Lyon-Boston at 14:xx counts once for Europe and once for the US."""
    auth.login(ORGANISER)
    page = client.get("/organise/march-2027/timetable").get_data(as_text=True)
    table = page.split('id="hours-table"')[1].split("</table>")[0]
    rows = {m[0]: [int(n) for n in re.findall(r"<td>(\d+)</td>", m[1])]
            for m in re.findall(r'<th scope="row">(\d\d:00)</th>(.*?)</tr>', table, re.S)}
    assert sum(sum(v) for v in rows.values()) == 8  # four meetings, two people each
    assert any(v[1] == 1 for v in rows.values())  # Boston's one meeting in the US column


def test_applying_a_run_puts_a_meeting_held_elsewhere_back_where_it_was_held(app, placed, monkeypatch):
    """Published at slot 8, moved by hand to 12 without publishing, then slot 8 began: it took place at 8."""
    event_id, ids, slots = placed
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling import jobs, timetable
    from brokerage.scheduling.models import ScheduleRun
    with app.app_context():
        db.session.get(Event, event_id).timetable_published = True
        db.session.get(Meeting, ids["eu-us"]).slot_id = slots[12]
        db.session.commit()
    with app.app_context():
        run_id = jobs.create_run(db.session.get(Event, event_id), 1, 5).id
        jobs.execute_run(run_id)
    _clock(monkeypatch, app, event_id, 8)  # the meeting began at slot 8 before the run was applied
    with app.app_context():
        run = db.session.get(ScheduleRun, run_id)
        assert run.status == "succeeded", run.error
        timetable.apply_run(db.session.get(Event, event_id), run)
    assert state(app, ids["eu-us"])[:2] == (slots[8], slots[8])


def test_publishing_waits_while_a_meeting_sits_in_a_slot_that_has_begun(app, client, auth, placed, monkeypatch,
                                                                        outbox):
    """Lyon-Berlin was put in slot 9 but never announced; once slot 9 has begun, an invite for it would be
    for the past, so publishing waits until it is moved or taken out."""
    event_id, ids, slots = placed
    with app.app_context():
        from brokerage.events.models import Event
        event = db.session.get(Event, event_id)
        event.timetable_published, event.published_at = True, event.slots[0].start
        # Lyon-Boston took place where it was published (slot 8), whatever the working timetable says since.
        from brokerage.meetings.models import Meeting
        db.session.get(Meeting, ids["eu-us"]).slot_id = slots[9]
        db.session.commit()
    _clock(monkeypatch, app, event_id, 9)
    auth.login(ORGANISER)
    page = client.get(TIMETABLE).get_data(as_text=True)
    assert "1 meeting(s) are in a slot that has already begun" in page and "Lyon Robotics – Berlin Optics" in page
    assert 'id="publish-changes" disabled' in page
    refused = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Not published" in refused.get_data(as_text=True) and not outbox()
    assert state(app, ids["eu-de"])[1] is None
    post_form(client, f"/organise/march-2027/meetings/{ids['eu-de']}/unschedule", {}, form_url=TIMETABLE)
    page = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Changes published" in page.get_data(as_text=True)
    assert state(app, ids["it-nl"])[1] == slots[10] and state(app, ids["eu-de"])[:2] == (None, None)

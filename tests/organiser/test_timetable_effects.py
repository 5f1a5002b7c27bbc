"""What organisers' changes do to the timetable: lowered limits are saved with a warning, and rejecting
someone says how many of their published meetings are called off."""
from __future__ import annotations

from brokerage.extensions import db
from tests.support import Auth

SETTINGS = {
    "name": "EU-Japan-Korea-US tech brokerage", "description": "", "timezone": "Europe/Brussels",
    "start_date": "2027-03-16", "end_date": "2027-03-17", "slot_minutes": "20", "pause_minutes": "5",
    "room_capacity": "", "registration_deadline": "", "booking_deadline": "", "participant_approval": "y",
    "request_mode": "approval", "max_pending_requests": "", "max_meetings": "", "video_mode": "template",
    "video_link_template": "https://meet.jit.si/{event}-{meeting}",
}


def _timetable(app, console, add_participant, pairs, published=False):
    """A morning window and approved participants A, B, ... meeting as pairs says: (a, b, slot index)."""
    from brokerage.events.models import Event, Slot
    from brokerage.meetings.models import Meeting, MeetingRequest
    from brokerage.timeutil import now_utc
    console.post("windows", {"label": "Asia-Europe", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "10:00"})
    names = sorted({name for a, b, _ in pairs for name in (a, b)})
    ids = {name: add_participant(f"{name.lower()}@x.example", organisation=f"Org {name}", status="approved")
           for name in names}
    with app.app_context():
        slots = db.session.scalars(db.select(Slot).order_by(Slot.start)).all()
        for a, b, slot in pairs:
            request = MeetingRequest(event_id=slots[0].event_id, requester_id=ids[a], recipient_id=ids[b],
                                     status="accepted")
            db.session.add_all([request, Meeting(event_id=slots[0].event_id, request=request, slot=slots[slot],
                                                 published_slot=slots[slot] if published else None)])
        event = db.session.scalar(db.select(Event))
        event.timetable_published = published
        event.published_at = now_utc() if published else None
        db.session.commit()
    return ids


def test_lowered_limits_are_saved_with_a_warning_naming_what_no_longer_fits(app, console, add_participant):
    from brokerage.events.models import Event
    _timetable(app, console, add_participant, [("A", "B", 0), ("C", "D", 0), ("E", "F", 0), ("A", "C", 1),
                                                ("A", "E", 2)])
    page = console.post("settings", {**SETTINGS, "room_capacity": "2", "max_meetings": "2"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Settings saved." in page
    assert ("The timetable no longer fits these limits: 1 slot(s) hold more than 2 meetings (most: 3 on "
            "Tue 16 Mar 07:00 UTC); 1 participant(s) have more than 2 meetings (most: Org A, 3). To fix it, run "
            "the scheduler and apply its run, or move or unschedule meetings; publishing waits until it fits.") in page
    with app.app_context():  # fewer rooms is the organiser's call: the scheduler works to the new figures
        event = db.session.scalar(db.select(Event))
        assert (event.room_capacity, event.max_meetings) == (2, 2)
    page = console.post("settings", {**SETTINGS, "room_capacity": "3", "max_meetings": "3"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Settings saved." in page and "no longer fits" not in page


def test_rejecting_someone_says_how_many_published_meetings_are_called_off(app, console, add_participant, outbox):
    from brokerage.meetings.models import Meeting
    ids = _timetable(app, console, add_participant, [("K", "A", 0), ("K", "B", 1), ("K", "C", 2)], published=True)
    with app.app_context():  # K-C only in the working timetable: nobody was told of it
        db.session.scalar(db.select(Meeting).filter_by(request_id=3)).published_slot_id = None
        db.session.commit()
    response = console.post(f"participants/{ids['K']}/status", {"status": "rejected"}, form_path="participants",
                            follow_redirects=True)
    assert ("Org K is rejected. Their 2 published meeting(s) still to come are called off; 3 participant(s), they and "
            "their partners, are being mailed the cancellation.") in response.get_data(as_text=True)
    told = next(m for m in outbox() if m["To"] == "k@x.example" and "registration" in m["Subject"])
    assert "Your 2 meeting(s) still to come in the published timetable are called off" in told.get_content()
    # At once, with the calendar cancellation: not when someone next publishes.
    cancelled = {m["To"]: m for m in outbox() if "CANCELLED" in m.get_body(("plain",)).get_content()}
    assert set(cancelled) == {"k@x.example", "a@x.example", "b@x.example"}
    assert [part.get_param("method") for part in cancelled["a@x.example"].walk()
            if part.get_content_type() == "text/calendar"] == ["CANCEL"]
    before = len(outbox())
    assert "Nobody would be mailed" in console.client.get(console.url("timetable/publish")).get_data(as_text=True)
    # Approved again: the next publish brings their meetings back, to calendars that cancelled them before.
    page = console.post(f"participants/{ids['K']}/status", {"status": "approved"}, form_path="participants",
                        follow_redirects=True).get_data(as_text=True)
    assert ("Their 3 agreed meeting(s) in the working timetable are announced to them and their partners at the "
            "next publish.") in page  # K-C too, never announced
    console.post("timetable/publish", {}, form_path="timetable", follow_redirects=True)
    back = [m for m in outbox()[before:] if m["To"] == "a@x.example" and "NEW:" in m.get_body(("plain",)).get_content()]
    invite = next(part for part in back[0].walk() if part.get_content_type() == "text/calendar")
    assert len(back) == 1 and b"SEQUENCE:2" in invite.get_payload(decode=True)  # 0 published, 1 cancelled, 2 again
    # Someone without published meetings gets the plain message.
    newcomer = add_participant("new@x.example", organisation="Org N", status="approved")
    response = console.post(f"participants/{newcomer}/status", {"status": "rejected"}, form_path="participants",
                            follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Org N is rejected." in page and "called off" not in page


def test_a_co_organiser_rejecting_someone_cancels_their_meetings_too(app, console, add_participant):
    """Co-organisers manage participants but cannot publish: the cancellations go out all the same."""
    from brokerage.accounts.models import User
    from brokerage.events.models import Event, EventOrganiser
    ids = _timetable(app, console, add_participant, [("K", "A", 0)], published=True)
    with app.app_context():
        co = User(email="co@jetro.example", name="Co")
        co.set_password("correct horse")
        db.session.add(co)
        db.session.flush()
        db.session.add(EventOrganiser(event_id=db.session.scalar(db.select(Event.id)), user_id=co.id,
                                      role="co_organiser", organisation="JETRO"))
        db.session.commit()
    Auth(console.client).logout()
    Auth(console.client).login("co@jetro.example")
    response = console.post(f"participants/{ids['K']}/status", {"status": "rejected"}, form_path="participants",
                            follow_redirects=True)
    assert "Org K is rejected. Their 1 published meeting(s) still to come are called off; 2 participant(s)" \
        in response.get_data(as_text=True)


def test_a_rejection_at_the_same_moment_as_a_publish_loses_neither(app, console, add_participant, outbox,
                                                                   monkeypatch):
    """A co-organiser rejects K while the organiser's publish is on its way: the publish still goes out (it
    was once taken for a double click and dropped), and K's cancellations are mailed once."""
    import threading
    from brokerage.events.models import Event, Slot
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling import publish as publishing
    from brokerage.scheduling.timetable import pending_change_ids
    from tests.organiser.conftest import post_form
    ids = _timetable(app, console, add_participant, [("K", "A", 0), ("B", "C", 1)], published=True)
    with app.app_context():  # the organiser moved B-C and publishes it
        db.session.scalar(db.select(Meeting).filter_by(request_id=2)).slot_id = \
            db.session.scalars(db.select(Slot).order_by(Slot.start)).all()[5].id
        db.session.commit()
    other = app.test_client()
    Auth(other).login("olga@een-brussels.example")  # a second tab
    real, answers = publishing.publish_problems, []

    def meanwhile(event):
        if not answers:  # once: the rejection lands between the publish's first look and its compare-and-set
            thread = threading.Thread(target=lambda: answers.append(post_form(
                other, f"/organise/{console.slug}/participants/{ids['K']}/status", {"status": "rejected"},
                form_url=f"/organise/{console.slug}/participants", follow_redirects=True)))
            thread.start()
            thread.join()
        return real(event)
    monkeypatch.setattr(publishing, "publish_problems", meanwhile)
    page = console.post("timetable/publish", {}, form_path="timetable", follow_redirects=True).get_data(as_text=True)
    assert "Changes published" in page
    assert "2 participant(s), they and their partners, are being mailed" in answers[0].get_data(as_text=True)
    with app.app_context():
        assert pending_change_ids(db.session.scalar(db.select(Event))) == set()
    cancels = sorted(m["To"] for m in outbox() if "CANCELLED" in m.get_body(("plain",)).get_content())
    assert cancels == ["a@x.example", "k@x.example"]


def test_mails_of_an_earlier_publish_going_out_do_not_make_a_preview_out_of_date(app, console, add_participant,
                                                                                  outbox, monkeypatch):
    import re
    from brokerage.events.models import Event, Slot
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling import jobs, publish as publishing
    _timetable(app, console, add_participant, [("K", "A", 0), ("K", "B", 1)])
    monkeypatch.setattr(jobs, "in_background", lambda *args: None)  # the first publish's mails wait
    console.post("timetable/publish", {}, form_path="timetable")
    monkeypatch.undo()
    with app.app_context():
        db.session.scalar(db.select(Meeting).filter_by(request_id=1)).slot_id = \
            db.session.scalars(db.select(Slot).order_by(Slot.start)).all()[4].id
        db.session.commit()
    page = console.client.get(console.url("timetable/publish")).get_data(as_text=True)
    plan = re.search(r'name="plan" value="([0-9a-f]+)"', page).group(1)
    with app.app_context():
        publishing.deliver(db.session.scalar(db.select(Event.id)))  # they go out meanwhile
    done = console.post("timetable/publish", {"plan": plan}, form_path="timetable/publish", follow_redirects=True)
    assert "Changes published" in done.get_data(as_text=True)

"""Publishing: one mail per affected participant, with iTIP calendar data that imports at the right time."""
from __future__ import annotations

from datetime import timezone

import icalendar
import pytest

from brokerage.extensions import db
from tests.support import post_form

ORGANISER = "organiser@een.example"
TIMETABLE = "/organise/march-2027/timetable"


@pytest.fixture
def placed(app, make_event, people, meeting):
    """Five participants; four meetings already in the working timetable (slot indices 0, 2, 8, 4)."""
    event_id = make_event()
    p = people(event_id, [
        ("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
        ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", range(0, 7)),
        ("us@example.com", "Boston Bio", "US", "America/New_York", range(7, 14)),
        ("kr@example.kr", "Seoul Chips", "KR", "Asia/Seoul", range(0, 5)),
        ("de@example.de", "Berlin Optics", "DE", "Europe/Berlin", "all"),
    ])
    ids = {
        "eu-jp": meeting(event_id, p["eu@example.eu"], p["jp@example.jp"], slot=0),
        "jp-kr": meeting(event_id, p["jp@example.jp"], p["kr@example.kr"], slot=2),
        "eu-us": meeting(event_id, p["eu@example.eu"], p["us@example.com"], slot=8),
        "de-kr": meeting(event_id, p["de@example.de"], p["kr@example.kr"], slot=4),
    }
    return event_id, p, ids


def slot_starts(app, event_id):
    from brokerage.events.models import Event
    with app.app_context():
        return [(s.id, s.start) for s in db.session.get(Event, event_id).slots]


def calendars(message) -> dict[str, list[icalendar.Calendar]]:
    """The mail's iTIP objects (its text/calendar parts; the application/ics copy is skipped) by METHOD.
    Each names its method and charset on the part and holds one meeting (RFC 5546: one UID)."""
    found = {}
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            method = str(calendar["method"])
            assert part.get_param("method") == method and part.get_param("charset").lower() == "utf-8"
            assert len({str(v["uid"]) for v in calendar.walk("VEVENT")}) == 1
            found.setdefault(method, []).append(calendar)
    return found


def vevents(found, method):
    return [v for calendar in found.get(method, []) for v in calendar.walk("VEVENT")]


def by_recipient(outbox):
    return {m["To"]: m for m in outbox()}


def check_event(vevent, meeting, slot, tz_name, sequence, emails):
    assert str(vevent["uid"]) == meeting.uid
    assert int(vevent["sequence"]) == sequence
    assert str(vevent["organizer"]).startswith("mailto:")
    assert {str(a).removeprefix("mailto:") for a in vevent.get("attendee")} == set(emails)
    assert vevent["dtstart"].params["tzid"] == tz_name
    assert vevent.decoded("dtstart").astimezone(timezone.utc) == slot.start
    assert vevent.decoded("dtend").astimezone(timezone.utc) == slot.end


def test_publish_mails_each_participant_once_with_request_invites(app, client, auth, outbox, placed):
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    response = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Timetable published" in response.get_data(as_text=True)
    mails = by_recipient(outbox)
    assert set(mails) == {"eu@example.eu", "jp@example.jp", "us@example.com", "kr@example.kr", "de@example.de"}
    with app.app_context():
        assert db.session.get(Event, event_id).timetable_published
        jp_mail = calendars(mails["jp@example.jp"])
        assert set(jp_mail) == {"REQUEST"}
        events = {str(v["uid"]): v for v in vevents(jp_mail, "REQUEST")}
        assert len(events) == 2  # two invites, one per meeting
        assert all(any(tz["tzid"] == "Asia/Tokyo" for tz in c.walk("VTIMEZONE")) for c in jp_mail["REQUEST"])
        for name in ("eu-jp", "jp-kr"):
            m = db.session.get(Meeting, ids[name])
            emails = [x.user.email for x in m.participants]
            check_event(events[m.uid], m, m.slot, "Asia/Tokyo", 0, emails)
            assert m.published_slot_id == m.slot_id
        text = mails["jp@example.jp"].get_body(("plain",)).get_content()
        assert "Asia/Tokyo" in text and "Lyon Robotics" in text and "16:00" in text  # 07:00 UTC in Tokyo

    # Nothing changed: publishing again mails nobody.
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    assert len(outbox()) == 5


def test_the_first_mail_names_agreed_meetings_left_without_a_slot(app, client, auth, outbox, placed, meeting,
                                                                  people):
    event_id, p, ids = placed
    meeting(event_id, p["us@example.com"], p["de@example.de"])  # agreed, no slot found
    late = people(event_id, [("sota@hayate.example", "Hayate Energy Co., Ltd.", "JP", "Asia/Tokyo", [])])
    meeting(event_id, late["sota@hayate.example"], p["eu@example.eu"])  # Hayate's only meeting: no slot either
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    mails = {to: m.get_body(("plain",)).get_content() for to, m in by_recipient(outbox).items()}
    assert "Agreed, but not in the timetable yet: Berlin Optics." in mails["us@example.com"]
    assert "/events/march-2027/availability" in mails["us@example.com"]
    assert "Boston Bio." in mails["de@example.de"] and "not in the timetable" not in mails["jp@example.jp"]
    assert "Agreed, but not in the timetable yet: Hayate Energy Co., Ltd.\n" in mails["eu@example.eu"]
    # Someone with no slot at all hears of the timetable too, without an invite.
    hayate = by_recipient(outbox)["sota@hayate.example"]
    assert "none of your agreed meetings has a slot in it yet" in mails["sota@hayate.example"]
    assert "Lyon Robotics." in mails["sota@hayate.example"] and not calendars(hayate)


def test_a_meeting_held_out_by_the_organisers_is_not_blamed_on_availability(app, client, auth, outbox, placed,
                                                                            meeting):
    event_id, p, ids = placed
    meeting(event_id, p["us@example.com"], p["de@example.de"], locked=True)  # taken out by an organiser
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    text = {to: m.get_body(("plain",)).get_content() for to, m in by_recipient(outbox).items()}["us@example.com"]
    assert "held out of the timetable by the organisers for now: Berlin Optics. You will hear" in text
    assert "not in the timetable yet" not in text and "/availability" not in text
    auth.logout()
    auth.login("us@example.com")
    html = client.get("/events/march-2027/agenda").get_data(as_text=True)
    assert "Berlin Optics" in html.split('id="unscheduled-held-out"')[1] and 'id="unscheduled-waiting"' not in html


def test_publish_changes_mails_only_those_affected(app, client, auth, outbox, placed):
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    first_batch = len(outbox())
    with app.app_context():
        slot_ids = [s.id for s in db.session.get(Meeting, ids["eu-jp"]).request.requester.event.slots]
    for name, target in (("eu-jp", 1), ("eu-us", 9)):
        url = f"/organise/march-2027/meetings/{ids[name]}/move"
        assert post_form(client, url, {"slot_id": slot_ids[target]}).status_code == 302
    url = f"/organise/march-2027/meetings/{ids['jp-kr']}/unschedule"
    post_form(client, url, {}, form_url=TIMETABLE)
    page = client.get(TIMETABLE).get_data(as_text=True)
    assert 'id="pending-changes">3<' in page

    response = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Changes published: 3 meeting(s) changed; mails to 4 participant(s) are being sent" in response.get_data(as_text=True)
    mails = by_recipient(lambda: outbox()[first_batch:])
    assert set(mails) == {"eu@example.eu", "jp@example.jp", "us@example.com", "kr@example.kr"}  # not Berlin
    with app.app_context():
        moved, removed, kept = (db.session.get(Meeting, ids[n]) for n in ("eu-jp", "jp-kr", "de-kr"))
        assert (moved.sequence, removed.sequence, kept.sequence) == (1, 1, 0)
        assert removed.published_slot_id is None and moved.published_slot_id == slot_ids[1]

        # Osaka has one moved and one removed meeting: one mail, inline REQUEST plus an attached CANCEL.
        jp = calendars(mails["jp@example.jp"])
        assert set(jp) == {"REQUEST", "CANCEL"}
        [request] = vevents(jp, "REQUEST")
        check_event(request, moved, moved.slot, "Asia/Tokyo", 1, ["eu@example.eu", "jp@example.jp"])
        [cancel] = vevents(jp, "CANCEL")
        assert str(cancel["status"]) == "CANCELLED"
        # Two objects, so each is a part of its own, named after its meeting (RFC 6047 2.4).
        names = {p.get_filename() for p in mails["jp@example.jp"].walk() if p.get_content_type() == "text/calendar"}
        assert names == {f"meeting-{ids['eu-jp']}.ics", f"meeting-{ids['jp-kr']}-cancelled.ics"}
        old_slot = db.session.get(Meeting, ids["jp-kr"]).request.requester.event.slots[2]
        check_event(cancel, removed, old_slot, "Asia/Tokyo", 1, ["jp@example.jp", "kr@example.kr"])
        text = mails["jp@example.jp"].get_body(("plain",)).get_content()
        assert "MOVED" in text and "CANCELLED" not in text  # taken out of the timetable, still agreed:
        assert "NO SLOT FOR NOW" in text and "still agreed, but out of the timetable for now" in text

        # Seoul only lost a meeting: the invite itself is the CANCEL, in Seoul time.
        kr = calendars(mails["kr@example.kr"])
        assert set(kr) == {"CANCEL"}
        [cancel] = vevents(kr, "CANCEL")
        check_event(cancel, removed, old_slot, "Asia/Seoul", 1, ["jp@example.jp", "kr@example.kr"])
        assert mails["kr@example.kr"].get_body(("plain",)) is not None

        # New York sees its moved meeting at 10:50 EDT (14:50 UTC), the week the US changed clocks.
        [us_event] = vevents(calendars(mails["us@example.com"]), "REQUEST")
        assert us_event.decoded("dtstart").strftime("%H:%M") == "10:50"
        assert us_event["dtstart"].params["tzid"] == "America/New_York"


def test_unpublish_hides_and_republish_mails_only_changes(app, client, auth, outbox, placed):
    from brokerage.events.models import Event
    event_id, p, ids = placed
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    post_form(client, f"{TIMETABLE}/unpublish", {}, form_url=TIMETABLE)
    with app.app_context():
        assert not db.session.get(Event, event_id).timetable_published
    assert 'id="publish"' in client.get(TIMETABLE).get_data(as_text=True)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    with app.app_context():
        assert db.session.get(Event, event_id).timetable_published
    assert len(outbox()) == 5  # nothing changed while hidden: no second round of invites


def test_a_change_that_would_drop_published_meetings_is_refused(app, client, auth, outbox, placed):
    """Calendars hold the published time: a slot change may not silently take it away."""
    from brokerage.events.models import Event, MeetingWindow
    from brokerage.events.slots import PublishedMeetingsInTheWay, rebuild_slots
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.pause_minutes = 10  # 07:50 UTC, where jp-kr was published, would be no slot start any more
        with pytest.raises(PublishedMeetingsInTheWay):
            rebuild_slots(event)
        db.session.rollback()
        meeting = db.session.get(Meeting, ids["jp-kr"])
        before = (meeting.published_slot_id, meeting.sequence)
        window_id = meeting.published_slot.window_id
    page = post_form(client, f"/organise/march-2027/windows/{window_id}/delete", {},
                     form_url="/organise/march-2027/windows", follow_redirects=True).get_data(as_text=True)
    assert "Window not deleted" in page and "published meeting(s)" in page
    with app.app_context():
        meeting = db.session.get(Meeting, ids["jp-kr"])
        assert (meeting.published_slot_id, meeting.sequence) == before
        assert db.session.get(MeetingWindow, window_id) is not None


def test_a_new_slot_length_or_video_link_is_announced_as_an_update(app, client, auth, outbox, placed):
    """Same slots, other end times, then another video room: calendars must hear of both."""
    from brokerage.events.models import Event
    from brokerage.events.slots import rebuild_slots
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    sent = len(outbox())
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.slot_minutes, event.pause_minutes = event.slot_minutes + event.pause_minutes, 0  # starts stay
        rebuild_slots(event)
        db.session.commit()
    assert 'id="pending-changes">4<' in client.get(TIMETABLE).get_data(as_text=True)
    response = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "4 meeting(s) changed; mails to 5 participant(s) are being sent" in response.get_data(as_text=True)
    mails = by_recipient(lambda: outbox()[sent:])
    with app.app_context():
        meeting = db.session.get(Meeting, ids["eu-jp"])
        [vevent] = [v for v in vevents(calendars(mails["jp@example.jp"]), "REQUEST") if str(v["uid"]) == meeting.uid]
        check_event(vevent, meeting, meeting.slot, "Asia/Tokyo", 1, ["eu@example.eu", "jp@example.jp"])
        assert "UPDATED" in mails["jp@example.jp"].get_body(("plain",)).get_content()

        sent = len(outbox())
        db.session.get(Event, event_id).video_link_template = "https://rooms.example/{event}/{meeting}"
        db.session.commit()
    assert 'id="pending-changes">4<' in client.get(TIMETABLE).get_data(as_text=True)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    mails = by_recipient(lambda: outbox()[sent:])
    [vevent] = vevents(calendars(mails["de@example.de"]), "REQUEST")
    assert int(vevent["sequence"]) == 2 and f"https://rooms.example/march-2027/{ids['de-kr']}" in str(vevent["location"])
    assert 'id="pending-changes">0<' in client.get(TIMETABLE).get_data(as_text=True)


def test_mails_give_the_partners_day_when_it_is_not_the_readers(app, client, auth, outbox, make_event, people,
                                                                 meeting):
    """07:00 UTC on Tue 16 March is Tuesday afternoon in Osaka and still Monday evening in Honolulu."""
    event_id = make_event()
    jp, hi = people(event_id, [("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", [0]),
                               ("hi@example.com", "Aloha Ocean", "US", "Pacific/Honolulu", [0])]).values()
    meeting(event_id, jp, hi, slot=0)
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    mails = by_recipient(outbox)
    assert "(Mon 15 Mar 2027, 21:00 their time, Pacific/Honolulu)" in mails["jp@example.jp"].get_body().get_content()
    assert "(Tue 16 Mar 2027, 16:00 their time, Asia/Tokyo)" in mails["hi@example.com"].get_body().get_content()


def test_a_participant_rejected_after_publishing_gets_the_cancel_without_an_agenda_link(
        app, client, auth, outbox, placed):
    from brokerage.events.models import Participant
    event_id, p, ids = placed
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    assert len(outbox()) == 5  # the first mails are out
    with app.app_context():
        db.session.get(Participant, p["us@example.com"].id).status = "rejected"
        db.session.commit()
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    mails = by_recipient(outbox)
    text = mails["us@example.com"].get_body().get_content()
    assert "CANCELLED" in text and "/agenda" not in text  # the agenda would only answer 403
    assert "/agenda" in mails["eu@example.eu"].get_body().get_content()


def test_a_refused_mail_is_listed_and_sent_again_on_request(app, client, auth, outbox, placed, monkeypatch):
    """The timetable is published whatever the mail server says; nobody is left without their mail."""
    import smtplib

    from brokerage import mail as mail_module
    from tests.conftest import settled
    real_send = mail_module.send

    def refuse_boston(mail):
        if mail.to == "us@example.com":
            raise smtplib.SMTPRecipientsRefused({mail.to: (550, b"mailbox full")})
        return real_send(mail)

    monkeypatch.setattr(mail_module, "send", refuse_boston)
    auth.login(ORGANISER)
    response = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "mails to 5 participant(s) are being sent" in response.get_data(as_text=True)
    settled(app)
    page = client.get(TIMETABLE).get_data(as_text=True)
    assert 'id="mails-sent">4<' in page and 'id="mails-failed">1<' in page
    assert "us@example.com: " in page and "mailbox full" in page
    assert "us@example.com" not in by_recipient(outbox)

    monkeypatch.setattr(mail_module, "send", real_send)  # the mailbox has room again
    response = post_form(client, f"{TIMETABLE}/mails/retry", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Sending 1 mail(s) again." in response.get_data(as_text=True)
    mails = outbox()
    assert [m["To"] for m in mails].count("us@example.com") == 1 and len(mails) == 5
    assert 'id="mails-sent">5<' in client.get(TIMETABLE).get_data(as_text=True)


def test_a_second_publish_at_the_same_moment_mails_nobody_twice(app, client, auth, outbox, placed):
    """Two tabs: both pages were loaded before either publish; the second finds the first done."""
    auth.login(ORGANISER)
    from tests.support import csrf_token
    token = csrf_token(client, TIMETABLE)
    first = client.post(f"{TIMETABLE}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "Timetable published" in first.get_data(as_text=True)
    from brokerage.events.models import Event
    from brokerage.scheduling import publish as publishing
    with app.test_request_context():
        event = db.session.get(Event, placed[0])
        from sqlalchemy.orm.attributes import set_committed_value
        set_committed_value(event, "published_at", None)  # what the second request read before the first committed
        with pytest.raises(publishing.PublishedMeanwhile):
            publishing.publish(event)
    assert len(outbox()) == 5


def _refusing(monkeypatch, address):
    import smtplib

    from brokerage import mail as mail_module
    real_send = mail_module.send

    def send(mail):
        if mail.to == address:
            raise smtplib.SMTPRecipientsRefused({mail.to: (450, b"try later")})
        return real_send(mail)

    monkeypatch.setattr(mail_module, "send", send)
    return lambda: monkeypatch.setattr(mail_module, "send", real_send)


def test_a_refused_mail_never_arrives_late_with_old_times(app, client, auth, outbox, placed, monkeypatch):
    """Boston's first mail is refused; the meeting moves; Boston then gets one mail with the new time."""
    from tests.conftest import settled
    event_id, p, ids = placed
    restore = _refusing(monkeypatch, "us@example.com")
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    settled(app)
    restore()
    slots = slot_starts(app, event_id)
    post_form(client, f"/organise/march-2027/meetings/{ids['eu-us']}/move", {"slot_id": slots[12][0]})
    response = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "mails to 2 participant(s)" in response.get_data(as_text=True)
    post_form(client, f"{TIMETABLE}/mails/retry", {}, form_url=TIMETABLE)
    boston = [m for m in outbox() if m["To"] == "us@example.com"]
    assert len(boston) == 1
    (vevent,) = vevents(calendars(boston[0]), "REQUEST")
    assert vevent.decoded("dtstart").astimezone(timezone.utc) == slots[12][1]
    assert "NEW:" in boston[0].get_body().get_content()  # it is news to Boston
    assert "mails-failed" not in client.get(TIMETABLE).get_data(as_text=True)


def test_refused_mails_stay_listed_after_a_later_publish(app, client, auth, outbox, placed, monkeypatch):
    from tests.conftest import settled
    event_id, p, ids = placed
    _refusing(monkeypatch, "us@example.com")
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    settled(app)
    post_form(client, f"/organise/march-2027/meetings/{ids['jp-kr']}/unschedule", {}, form_url=TIMETABLE)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)  # Osaka and Seoul only
    settled(app)
    page = client.get(TIMETABLE).get_data(as_text=True)
    assert 'id="mails-failed">1<' in page and "us@example.com: " in page


def test_each_mail_is_recorded_as_sent_before_the_next_is_written(app, client, auth, outbox, placed, monkeypatch):
    """A slow mail server must not make "send again" take sent mails for stuck ones."""
    from brokerage import mail as mail_module
    from brokerage.scheduling.models import PublishNotice
    real_send, seen = mail_module.send, []

    def send(mail):
        with db.engine.connect() as other:  # what another process (a "send again") would see
            seen.append(other.scalar(db.select(db.func.count(PublishNotice.id)).filter_by(status="sent")))
        return real_send(mail)

    monkeypatch.setattr(mail_module, "send", send)
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    assert len(outbox()) == 5 and seen == [0, 1, 2, 3, 4]


def test_mails_written_by_a_worker_link_to_the_address_published_from(app, placed, monkeypatch):
    """An RQ worker may have no BASE_URL: the links follow the organiser's address, not the worker's."""
    from brokerage.events.models import Event
    from brokerage.scheduling import publish as publishing
    app.config["BASE_URL"] = None
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    with app.test_request_context(base_url="http://localhost"):
        monkeypatch.setattr(publishing.jobs, "in_background", lambda *args: None)  # the worker delivers below
        publishing.publish(db.session.get(Event, placed[0]))
    with app.app_context():
        publishing.deliver(placed[0], "https://events.example.org")
    from pathlib import Path
    texts = [p.read_text(errors="replace") for p in Path(app.config["MAIL_OUTBOX"]).glob("*.eml")]
    assert len(texts) == 5 and all("https://events.example.org/events/march-2027/agenda" in t for t in texts)


def test_agreed_meetings_without_a_slot_are_listed_in_a_few_queries(app, placed, meeting, people):
    """The first publish mails thousands of people their agreed meetings without a slot, saying which the
    organisers hold out: reading that must not cost a query per meeting."""
    import sqlalchemy as sa

    from brokerage.events.models import Participant
    from brokerage.meetings.services import agreed_without_slot
    event_id, p, ids = placed
    extra = list(people(event_id, [(f"x{n}@example.eu", f"Extra {n}", "FR", "Europe/Paris", "all")
                                   for n in range(4)]).values())

    def queries(held_out: set[str]) -> int:
        count = [0]

        def seen(*_):
            count[0] += 1
        with app.app_context():
            person = db.session.get(Participant, p["eu@example.eu"].id)
            sa.event.listen(db.engine, "before_cursor_execute", seen)
            try:
                found = agreed_without_slot([person])[person.id]
                assert {r.other(person).organisation for r in found if r.meeting.held_out} == held_out
                assert all(r.other(person).organisation for r in found)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", seen)
        return count[0]

    meeting(event_id, p["eu@example.eu"], extra[0], locked=True)  # held out
    meeting(event_id, extra[1], p["eu@example.eu"])
    few = queries({"Extra 0"})
    meeting(event_id, p["eu@example.eu"], extra[2], locked=True)
    meeting(event_id, extra[3], p["eu@example.eu"])
    assert queries({"Extra 0", "Extra 2"}) == few


def test_an_empty_timetable_cannot_be_published(app, client, auth, make_event, outbox):
    """A first publish mails everyone: with no meeting scheduled there is nothing to announce yet."""
    from brokerage.events.models import Event
    make_event()
    auth.login(ORGANISER)
    page = client.get(TIMETABLE).get_data(as_text=True)
    assert 'id="publish" disabled' in page and "Nothing to announce yet" in page
    refused = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Not published: no meeting is scheduled yet" in refused.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(db.select(Event.timetable_published))
    assert outbox() == []


def test_after_an_unpublish_an_emptied_timetable_can_still_announce_its_cancellations(app, client, auth, placed):
    from brokerage.meetings.models import Meeting
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE)
    post_form(client, f"{TIMETABLE}/unpublish", {}, form_url=TIMETABLE)
    with app.app_context():
        db.session.execute(db.update(Meeting).values(slot_id=None))
        db.session.commit()
    assert 'id="publish" disabled' not in client.get(TIMETABLE).get_data(as_text=True)
    done = post_form(client, f"{TIMETABLE}/publish", {}, form_url=TIMETABLE, follow_redirects=True)
    assert "Timetable published" in done.get_data(as_text=True)


def _preview_text(page: str) -> str:
    import html
    return html.unescape(page.split('<pre id="preview-text" style="white-space: pre-wrap">', 1)[1].split("</pre>", 1)[0])


def test_publishing_shows_who_is_mailed_and_their_mail_before_anyone_is(app, client, auth, outbox, placed):
    """The organiser sees the count, the kinds of change and any one participant's mail; confirming sends
    exactly that mail, and looking changes nothing."""
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    assert f'action="{TIMETABLE}/publish"' in client.get(TIMETABLE).get_data(as_text=True)  # a GET form: no CSRF
    page = client.get(f"{TIMETABLE}/publish").get_data(as_text=True)
    assert '<strong id="recipients">5</strong> participant(s) will get one mail each' in page
    assert '<li id="kind-new">4 meeting(s) new</li>' in page and 'id="kind-moved"' not in page
    assert "Publish and mail 5 participant(s)" in page
    assert 'id="preview-to">de@example.de<' in page  # the first by organisation: Berlin Optics
    tokyo = client.get(f"{TIMETABLE}/publish?participant={p['jp@example.jp'].id}").get_data(as_text=True)
    assert 'id="preview-to">jp@example.jp<' in tokyo and "With 2 calendar files: meeting-" in tokyo
    assert f'<option value="{p["jp@example.jp"].id}" selected>' in tokyo
    previewed = _preview_text(tokyo)
    assert "Times are in your time zone, Asia/Tokyo." in previewed and previewed.count("* NEW:") == 2
    assert outbox() == []
    with app.app_context():
        assert db.session.scalar(db.select(Event.published_at)) is None
        assert set(db.session.scalars(db.select(Meeting.sequence))) == {0}
        assert set(db.session.scalars(db.select(Meeting.published_slot_id))) == {None}

    post_form(client, f"{TIMETABLE}/publish", {}, form_url=f"{TIMETABLE}/publish")
    sent = by_recipient(outbox)["jp@example.jp"]
    body = next(part for part in sent.walk() if part.get_content_type() == "text/plain").get_content()
    assert body.replace("\r\n", "\n").strip() == previewed.strip()

    # The next publish previews only what changed since, and its receivers.
    slots = slot_starts(app, event_id)
    with app.app_context():
        db.session.get(Meeting, ids["eu-us"]).slot_id = slots[9][0]
        db.session.commit()
    page = client.get(f"{TIMETABLE}/publish").get_data(as_text=True)
    assert '<strong id="recipients">2</strong> participant(s)' in page and '<li id="kind-moved">1 meeting(s) moved</li>' in page
    assert "Publish the changes and mail 2 participant(s)" in page and "* MOVED: with Lyon Robotics" in _preview_text(page)  # to Boston Bio, first by name


def test_the_preview_says_why_publishing_waits(app, client, auth, make_event):
    make_event()
    auth.login(ORGANISER)
    page = client.get(f"{TIMETABLE}/publish").get_data(as_text=True)
    assert "Nothing to announce yet" in page and 'id="confirm-publish"' not in page and 'id="mail-preview"' not in page


def _confirm(client, page):
    """Confirm from the preview page, with the plan it showed."""
    import re
    plan = re.search(r'name="plan" value="([^"]+)"', page).group(1)
    return post_form(client, f"{TIMETABLE}/publish", {"plan": plan}, form_url=f"{TIMETABLE}/publish",
                     follow_redirects=True)


def test_the_preview_shows_earlier_mails_still_waiting_folded_in_as_they_will_be_sent(app, client, auth, outbox,
                                                                                       placed, monkeypatch):
    """The first publish's mails have not gone out (a mail server down): the next mail carries both, as a first
    timetable, and the preview says so too."""
    from brokerage.meetings.models import Meeting
    from brokerage.scheduling import jobs
    event_id, p, ids = placed
    auth.login(ORGANISER)
    real = jobs.in_background
    monkeypatch.setattr(jobs, "in_background", lambda *args: None)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=f"{TIMETABLE}/publish")
    monkeypatch.setattr(jobs, "in_background", real)
    with app.app_context():
        db.session.get(Meeting, ids["eu-jp"]).slot_id = slot_starts(app, event_id)[1][0]
        db.session.commit()
    page = client.get(f"{TIMETABLE}/publish?participant={p['jp@example.jp'].id}").get_data(as_text=True)
    assert 'id="preview-subject">EU-Japan-Korea-US tech brokerage: your meeting timetable<' in page
    previewed = _preview_text(page)
    assert previewed.count("* NEW:") == 2 and "MOVED" not in previewed
    _confirm(client, page)
    sent = [m for m in outbox() if m["To"] == "jp@example.jp"]
    assert len(sent) == 1
    body = next(part for part in sent[0].walk() if part.get_content_type() == "text/plain").get_content()
    assert body.replace("\r\n", "\n").strip() == previewed.strip()


def test_confirming_a_preview_that_is_out_of_date_publishes_nothing(app, client, auth, outbox, placed):
    from brokerage.events.models import Event
    from brokerage.meetings.models import Meeting
    event_id, p, ids = placed
    auth.login(ORGANISER)
    page = client.get(f"{TIMETABLE}/publish").get_data(as_text=True)
    with app.app_context():  # meanwhile another organiser takes a meeting out
        db.session.get(Meeting, ids["de-kr"]).slot_id = None
        db.session.commit()
    done = _confirm(client, page).get_data(as_text=True)
    assert "Not published: the timetable changed since you looked" in done
    assert '<li id="kind-new">3 meeting(s) new</li>' in done  # the preview again, as it is now
    assert '<li id="no-slot-only">1 participant(s) hear that none' in done  # Berlin Optics
    assert outbox() == []
    with app.app_context():
        assert db.session.get(Event, event_id).published_at is None
    assert "Timetable published" in _confirm(client, done).get_data(as_text=True)
    assert len(outbox()) == 5


def test_after_an_unpublish_the_preview_says_publishing_shows_the_agendas_again(client, auth, placed):
    auth.login(ORGANISER)
    post_form(client, f"{TIMETABLE}/publish", {}, form_url=f"{TIMETABLE}/publish")
    post_form(client, f"{TIMETABLE}/unpublish", {}, form_url=TIMETABLE)
    page = client.get(f"{TIMETABLE}/publish").get_data(as_text=True)
    assert "Nobody would be mailed" in page and "shows participants their agendas again" in page
    assert "Publish again, mailing nobody" in page

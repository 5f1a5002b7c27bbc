"""Meeting requests: send, accept, decline, cancel, with the organisers' limits and the booking deadline."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.timeutil import now_utc
from meetings_support import add_participant, agreed_meeting, logged_in, post_action, publish, slot_at, token_from

SLUG = "march-2027"
REQUESTS = f"/events/{SLUG}/requests"


def new_url(participant_id):
    return f"/events/{SLUG}/requests/new/{participant_id}"


@pytest.fixture
def people(app, make_event):
    """Paris SME (A), Tokyo developer (B), Seoul developer (C) in one event."""
    event_id = make_event()
    return {
        "event": event_id,
        "a": add_participant(app, event_id, "anne@paris.example", "Paris Photonics", "Europe/Paris", "FR"),
        "b": add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP"),
        "c": add_participant(app, event_id, "minji@seoul.example", "Seoul Semis", "Asia/Seoul", "KR"),
    }


def send(client, recipient_id, message="We make lidar optics and look for robot makers."):
    return client.post(new_url(recipient_id), data={"csrf_token": token_from(client, REQUESTS), "message": message})


def all_requests(app):
    with app.app_context():
        return [(r.requester_id, r.recipient_id, r.status, r.meeting is not None and r.meeting.cancelled)
                for r in db.session.scalars(db.select(MeetingRequest).order_by(MeetingRequest.id))]


def only_request(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(MeetingRequest.id))


def set_event(app, event_id, **fields):
    from brokerage.events.models import Event
    with app.app_context():
        event = db.session.get(Event, event_id)
        for name, value in fields.items():
            setattr(event, name, value)
        db.session.commit()


def test_a_name_ending_in_a_full_stop_takes_no_second_one(app, people):
    hayate = add_participant(app, people["event"], "sota@hayate.example", "Hayate Energy Co., Ltd.", "Asia/Tokyo", "JP")
    anne = logged_in(app, "anne@paris.example")
    page = send(anne, hayate).headers["Location"]
    assert "sent to Hayate Energy Co., Ltd.<" in anne.get(page).get_data(as_text=True)


def test_request_accept_flow_with_mails(app, people, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    form = anne.get(new_url(people["b"]))
    assert form.status_code == 200 and "Request a meeting with Tokyo Robotics" in form.get_data(as_text=True)

    response = send(anne, people["b"])
    assert response.status_code == 302 and response.headers["Location"].endswith(REQUESTS)
    assert all_requests(app) == [(people["a"], people["b"], "pending", False)]
    received = outbox()[-1]
    assert received["To"] == "kenji@tokyo.example"
    assert "Paris Photonics" in received["Subject"] and "EU-Japan-Korea-US tech brokerage" in received["Subject"]
    body = received.get_content()
    assert "look for robot makers" in body and f"http://localhost{REQUESTS}" in body

    page = kenji.get(REQUESTS).get_data(as_text=True)
    assert "Requests to you" in page and "Paris Photonics" in page and "look for robot makers" in page
    assert "Tokyo Robotics" in anne.get(REQUESTS).get_data(as_text=True).split("Your requests waiting")[1]

    request_id = only_request(app)
    response = post_action(kenji, f"{REQUESTS}/{request_id}/accept", REQUESTS)
    assert response.status_code == 302
    with app.app_context():
        meeting_request = db.session.get(MeetingRequest, request_id)
        assert meeting_request.status == "accepted" and meeting_request.responded_at is not None
        assert meeting_request.meeting.slot_id is None and not meeting_request.meeting.cancelled
    accepted = outbox()[-1]
    assert accepted["To"] == "anne@paris.example" and "Tokyo Robotics accepted" in accepted["Subject"]
    assert "EU-Japan-Korea-US tech brokerage" in accepted.get_content()
    assert f"http://localhost/events/{SLUG}/availability" in accepted.get_content()
    agreed = anne.get(REQUESTS).get_data(as_text=True)
    assert "Agreed meetings" in agreed and 'id="cancel-%d"' % request_id in agreed
    # Screen readers list the page's buttons: each names its partner, under the page's one h1.
    assert 'aria-label="Cancel meeting: Tokyo Robotics"' in agreed and "<h1>Meeting requests</h1>" in agreed


def test_decline_mails_the_requester(app, people, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    response = post_action(kenji, f"{REQUESTS}/{only_request(app)}/decline", REQUESTS)
    assert response.status_code == 302
    assert all_requests(app) == [(people["a"], people["b"], "declined", False)]
    declined = outbox()[-1]
    assert declined["To"] == "anne@paris.example"
    assert "Tokyo Robotics declined" in declined["Subject"]
    assert "EU-Japan-Korea-US tech brokerage" in declined.get_content()
    assert f"http://localhost/events/{SLUG}/marketplace" in declined.get_content()
    # A declined request can be answered no more; asking again is refused (no mail), but Kenji may still ask Anne.
    post_action(kenji, f"{REQUESTS}/{only_request(app)}/accept", REQUESTS)
    assert all_requests(app)[0][2] == "declined"
    mails = len(outbox())
    again = send(anne, people["b"])
    assert again.status_code == 400 and "declined your earlier request" in again.get_data(as_text=True)
    assert len(outbox()) == mails and len(all_requests(app)) == 1
    assert send(kenji, people["a"]).status_code == 302


def test_requester_withdraws_pending_and_cancels_agreed(app, people, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    first = only_request(app)
    assert post_action(anne, f"{REQUESTS}/{first}/cancel", REQUESTS).status_code == 302
    assert all_requests(app) == [(people["a"], people["b"], "cancelled", False)]

    send(anne, people["b"])
    with app.app_context():
        second = db.session.scalar(db.select(MeetingRequest.id).filter_by(status="pending"))
    post_action(kenji, f"{REQUESTS}/{second}/accept", REQUESTS)
    post_action(anne, f"{REQUESTS}/{second}/cancel", REQUESTS)
    with app.app_context():
        meeting = db.session.scalar(db.select(Meeting).filter_by(request_id=second))
        assert meeting.cancelled and meeting.sequence == 1
        assert meeting.request.status == "cancelled"
    cancelled = outbox()[-1]
    assert cancelled["To"] == "kenji@tokyo.example" and "cancelled" in cancelled["Subject"]
    assert "Tokyo Robotics" not in anne.get(REQUESTS).get_data(as_text=True).split("Agreed meetings")[1].split("Declined")[0]


def test_automatic_mode_agrees_at_once(app, people, outbox):
    set_event(app, people["event"], request_mode="automatic")
    anne = logged_in(app, "anne@paris.example")
    assert "accepted at once" in anne.get(new_url(people["b"])).get_data(as_text=True)
    send(anne, people["b"])
    with app.app_context():
        meeting_request = db.session.scalar(db.select(MeetingRequest))
        assert meeting_request.status == "accepted" and meeting_request.meeting is not None
    assert "booked a meeting" in outbox()[-1].get_content()


def test_no_request_to_oneself_and_no_duplicates(app, people):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    response = send(anne, people["a"])
    assert response.status_code == 400 and "cannot request a meeting with yourself" in response.get_data(as_text=True)
    send(anne, people["b"])
    for client, other in ((anne, people["b"]), (kenji, people["a"])):
        response = send(client, other)
        assert response.status_code == 400
        assert "already have a pending or agreed meeting request" in response.get_data(as_text=True)
    assert len(all_requests(app)) == 1


def test_pending_request_limit_names_the_limit(app, people):
    set_event(app, people["event"], max_pending_requests=1)
    anne = logged_in(app, "anne@paris.example")
    send(anne, people["b"])
    response = send(anne, people["c"], message="Our lidar fits your wafer inspection line.")
    assert response.status_code == 400
    assert "at most 1 pending requests" in response.get_data(as_text=True)
    assert "Our lidar fits your wafer inspection line." in response.get_data(as_text=True)  # not lost
    assert len(all_requests(app)) == 1


def test_meeting_limit_refuses_request_and_accept(app, people):
    set_event(app, people["event"], max_meetings=1)
    anne, kenji, minji = (logged_in(app, e) for e in ("anne@paris.example", "kenji@tokyo.example", "minji@seoul.example"))
    send(minji, people["a"])  # pending before Anne reaches her limit
    send(anne, people["b"])
    with app.app_context():
        to_kenji = db.session.scalar(db.select(MeetingRequest.id).filter_by(recipient_id=people["b"]))
        from_minji = db.session.scalar(db.select(MeetingRequest.id).filter_by(requester_id=people["c"]))
    post_action(kenji, f"{REQUESTS}/{to_kenji}/accept", REQUESTS)

    # Anne is full: accepting Minji's request would exceed the limit.
    response = post_action(anne, f"{REQUESTS}/{from_minji}/accept", REQUESTS)
    page = anne.get(response.headers["Location"]).get_data(as_text=True)
    assert "limit: 1" in page and "You already have 1 agreed meetings" in page
    with app.app_context():
        assert db.session.get(MeetingRequest, from_minji).status == "pending"

    # Minji may not ask Kenji's side either: Kenji is full too.
    post_action(minji, f"{REQUESTS}/{from_minji}/cancel", REQUESTS)
    response = send(minji, people["b"])
    assert response.status_code == 400 and "Tokyo Robotics already has 1 agreed meetings" in response.get_data(as_text=True)


def test_booking_deadline_closes_requests_and_accepts(app, people):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    set_event(app, people["event"], booking_deadline=now_utc() - timedelta(hours=1))
    response = send(anne, people["c"])
    assert response.status_code == 400 and "Booking closed on" in response.get_data(as_text=True)
    post_action(kenji, f"{REQUESTS}/{only_request(app)}/accept", REQUESTS)
    assert all_requests(app) == [(people["a"], people["b"], "pending", False)]
    assert "Booking closed on" in kenji.get(REQUESTS).get_data(as_text=True)


def test_only_approved_participants_on_both_sides(app, people, make_event):
    pending = add_participant(app, people["event"], "pat@boston.example", "Boston Bio", "America/New_York", "US",
                              status="pending")
    anne = logged_in(app, "anne@paris.example")
    assert anne.get(new_url(pending)).status_code == 404
    assert send(anne, pending).status_code == 404
    pat = logged_in(app, "pat@boston.example")
    assert pat.get(new_url(people["a"])).status_code == 403
    other_event = make_event(slug="other-event")
    stranger = add_participant(app, other_event, "sam@elsewhere.example", "Elsewhere Ltd")
    assert anne.get(new_url(stranger)).status_code == 404
    assert anne.get(new_url(99999)).status_code == 404
    assert anne.get(new_url(10**30)).status_code == 404
    assert all_requests(app) == []


def test_empty_message_is_explained_and_nothing_sent(app, people, outbox):
    anne = logged_in(app, "anne@paris.example")
    response = send(anne, people["b"], message="   ")
    assert response.status_code == 400
    assert "Tell them briefly why you would like to meet." in response.get_data(as_text=True)
    long_text = "x" * 2001
    response = send(anne, people["b"], message=long_text)
    assert response.status_code == 400 and long_text in response.get_data(as_text=True)
    assert all_requests(app) == [] and outbox() == []


def test_others_cannot_touch_a_request(app, people, make_event):
    anne, kenji, minji = (logged_in(app, e) for e in ("anne@paris.example", "kenji@tokyo.example", "minji@seoul.example"))
    send(anne, people["b"])
    request_id = only_request(app)
    for action in ("accept", "decline", "cancel"):
        assert post_action(minji, f"{REQUESTS}/{request_id}/{action}", REQUESTS).status_code == 403
    assert post_action(anne, f"{REQUESTS}/{request_id}/accept", REQUESTS).status_code == 403  # own request
    assert post_action(kenji, f"{REQUESTS}/{request_id}/cancel", REQUESTS).status_code == 403  # declines instead
    assert post_action(kenji, f"{REQUESTS}/99999/accept", REQUESTS).status_code == 404
    assert post_action(kenji, f"{REQUESTS}/{10**30}/accept", REQUESTS).status_code == 404
    make_event(slug="other-event")
    assert post_action(kenji, f"/events/other-event/requests/{request_id}/accept", REQUESTS).status_code == 403
    assert kenji.get(f"{REQUESTS}/{request_id}/accept").status_code == 405  # state changes are POST only
    assert kenji.post(f"{REQUESTS}/{request_id}/accept").status_code == 400  # no CSRF token
    assert all_requests(app) == [(people["a"], people["b"], "pending", False)]
    assert "Paris Photonics" not in minji.get(REQUESTS).get_data(as_text=True)


def test_request_from_other_event_id_is_not_found(app, people, make_event):
    other = make_event(slug="other-event")
    add_participant(app, other, "anne2@paris.example", "Paris Photonics 2")
    x = add_participant(app, other, "x@paris.example", "X GmbH")
    anne2 = logged_in(app, "anne2@paris.example")
    send_url = f"/events/other-event/requests/new/{x}"
    anne2.post(send_url, data={"csrf_token": token_from(anne2, "/events/other-event/requests"), "message": "hi"})
    with app.app_context():
        foreign = db.session.scalar(db.select(MeetingRequest.id))
    kenji = logged_in(app, "kenji@tokyo.example")
    assert post_action(kenji, f"{REQUESTS}/{foreign}/accept", REQUESTS).status_code == 404


@pytest.fixture
def anne(app, people):
    return logged_in(app, "anne@paris.example")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=st.text(max_size=2100))
@example(message="\x00 hello \x00")
def test_any_message_is_stored_or_explained(app, people, anne, message):
    response = send(anne, people["b"], message=message)
    with app.app_context():
        stored = db.session.scalars(db.select(MeetingRequest)).all()
        if response.status_code == 302:
            assert [r.message for r in stored] == [message.replace("\x00", "").strip()]
            # The form kept the message as typed; clean up so the next example starts afresh.
            for r in stored:
                db.session.delete(r)
            db.session.commit()
        else:
            assert response.status_code == 400 and stored == []
            assert "field-error" in response.get_data(as_text=True)


def test_cancelling_a_published_meeting_sends_both_sides_a_calendar_cancel(app, people, outbox):
    meeting_id = agreed_meeting(app, people["event"], people["a"], people["b"],
                                datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc))
    publish(app, people["event"])
    with app.app_context():
        request_id = db.session.get(Meeting, meeting_id).request_id
    post_action(logged_in(app, "anne@paris.example"), f"{REQUESTS}/{request_id}/cancel", REQUESTS)
    mails = {m["To"]: m for m in outbox()[-2:]}
    # Anne's own calendar holds the published invite too: she gets the CANCEL, on her clock.
    own = mails["anne@paris.example"]
    assert "You cancelled your agreed meeting with Tokyo Robotics" in own.get_body(("plain",)).get_content()
    own_part = next(p for p in own.walk() if p.get_content_type() == "text/calendar")
    assert b"DTSTART;TZID=Europe/Paris:20270316T080000" in own_part.get_payload(decode=True)
    message = mails["kenji@tokyo.example"]
    assert "attached cancellation" in message.get_body(("plain",)).get_content()
    # Both were told: the organisers' next publish has nothing to announce about it.
    from brokerage.events.models import Event
    from brokerage.scheduling.publish import publish as publish_timetable
    sent = len(outbox())
    with app.test_request_context():
        assert publish_timetable(db.session.get(Event, people["event"])).meetings_changed == 0
    assert len(outbox()) == sent
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == meeting.sequence == 1
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert b"DTSTART;TZID=Asia/Tokyo:20270316T160000" in part.get_payload(decode=True)


def test_request_from_a_participant_rejected_later_cannot_be_accepted(app, people):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    from brokerage.events.models import Participant
    with app.app_context():
        db.session.get(Participant, people["a"]).status = "rejected"
        db.session.commit()
    response = post_action(kenji, f"{REQUESTS}/{only_request(app)}/accept", REQUESTS)
    assert response.status_code == 302
    assert all_requests(app) == [(people["a"], people["b"], "pending", False)]
    assert "no longer taking part" in kenji.get(REQUESTS).get_data(as_text=True)


def test_a_meeting_that_has_started_cannot_be_cancelled(app, people, outbox, monkeypatch):
    """Cancelling would erase a held meeting and both sides' outcomes."""
    import brokerage.meetings.views as views
    meeting_id = agreed_meeting(app, people["event"], people["a"], people["b"],
                                datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc))
    publish(app, people["event"])
    with app.app_context():
        request_id = db.session.get(Meeting, meeting_id).request_id
    monkeypatch.setattr(views, "now_utc", lambda: datetime(2027, 3, 16, 7, 5, tzinfo=timezone.utc))
    anne = logged_in(app, "anne@paris.example")
    mails = len(outbox())
    response = post_action(anne, f"{REQUESTS}/{request_id}/cancel", REQUESTS)
    assert response.status_code == 302
    assert "started on Tue 16 Mar 2027, 08:00" in anne.get(REQUESTS).get_data(as_text=True)
    assert all_requests(app) == [(people["a"], people["b"], "accepted", False)] and len(outbox()) == mails


def test_limits_ignore_partners_rejected_later(app, people):
    from brokerage.events.models import Event, Participant
    with app.app_context():
        event = db.session.get(Event, people["event"])
        event.max_pending_requests, event.max_meetings = 1, 1
        db.session.commit()
    anne = logged_in(app, "anne@paris.example")
    assert send(anne, people["c"]).status_code == 302  # pending with Seoul
    with app.app_context():
        db.session.get(Participant, people["c"]).status = "rejected"  # Seoul can never answer now
        db.session.commit()
    assert send(anne, people["b"]).status_code == 302


def test_the_booking_deadline_is_shown_before_it_passes(app, people):
    from brokerage.events.models import Event
    with app.app_context():
        db.session.get(Event, people["event"]).booking_deadline = datetime(2027, 3, 12, 17, 0, tzinfo=timezone.utc)
        db.session.commit()
    kenji = logged_in(app, "kenji@tokyo.example")
    for page in (REQUESTS, new_url(people["a"])):
        html = kenji.get(page).get_data(as_text=True)
        assert "until Sat 13 Mar 2027, 02:00, your time, Asia/Tokyo (UTC+09:00)." in html, page


def test_request_dates_caption_names_the_zone_without_one_offset_for_all(app, people):
    # Requests sent in November and read in March straddle a clock change: one offset would be wrong for some.
    html = logged_in(app, "kenji@tokyo.example").get(REQUESTS).get_data(as_text=True)
    assert "dates in your time zone, Asia/Tokyo (each at the UTC offset of its own date)" in html


def test_two_requests_sent_at_the_same_moment_make_one(app, people, monkeypatch):
    """Two tabs or a network retry: both pass the checks before either is saved; the database keeps one."""
    from brokerage.meetings import views
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    monkeypatch.setattr(views, "request_problem", lambda *args: None)  # as if both checked at once
    assert send(anne, people["b"]).status_code == 302
    assert send(kenji, people["a"]).status_code == 302  # the same pair, asked the other way round
    assert all_requests(app) == [(people["a"], people["b"], "pending", False)]
    assert "You already have a meeting request with Paris Photonics" in kenji.get(REQUESTS).get_data(as_text=True)


def test_accepting_twice_at_the_same_moment_makes_one_meeting(app, people, monkeypatch):
    from brokerage.meetings import views
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    url = f"{REQUESTS}/{only_request(app)}/accept"
    token = token_from(kenji, REQUESTS)
    assert kenji.post(url, data={"csrf_token": token}).status_code == 302
    real = views.answerable_request

    def still_pending(*args):  # the second click read the request before the first was saved
        participant, meeting_request, _ = real(*args)
        return participant, meeting_request, True

    monkeypatch.setattr(views, "answerable_request", still_pending)
    assert kenji.post(url, data={"csrf_token": token}).status_code == 302  # was a 500
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 1
    assert "This request is already accepted." in kenji.get(REQUESTS).get_data(as_text=True)


def test_a_partner_rejected_after_agreeing_leaves_no_live_meeting_behind(app, people, outbox):
    from brokerage.events.models import Participant
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    send(anne, people["b"])
    post_action(kenji, f"{REQUESTS}/{only_request(app)}/accept", REQUESTS)
    with app.app_context():
        db.session.get(Participant, people["b"]).status = "rejected"
        db.session.commit()
    page = anne.get(REQUESTS).get_data(as_text=True)
    agreed, closed = page.split('id="agreed"')[1].split('id="closed"')
    assert "Tokyo Robotics" not in agreed and "No agreed meetings yet" in agreed
    assert "closed: Tokyo Robotics no longer takes part" in closed
    assert "Tokyo Robotics" not in anne.get(f"/events/{SLUG}/availability").get_data(as_text=True)
    refused = kenji.get(f"/events/{SLUG}/agenda")
    assert refused.status_code == 403 and "was not accepted" in refused.get_data(as_text=True)


def test_leaving_the_event_calls_off_what_has_not_happened(app, people, outbox, monkeypatch):
    """Anne leaves at 07:05: her meeting that began at 07:00 stays with its outcomes; the 07:50 one is called
    off with a CANCEL for both calendars; her open requests, sent and received, are withdrawn."""
    import brokerage.meetings.views as views
    from brokerage.events.models import Participant
    event_id, a, b, c = people["event"], people["a"], people["b"], people["c"]
    held_at, later = datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc), datetime(2027, 3, 16, 7, 50, tzinfo=timezone.utc)
    assert slot_at(app, event_id, later) is not None
    held = agreed_meeting(app, event_id, a, b, held_at)
    upcoming = agreed_meeting(app, event_id, c, a, later)
    publish(app, event_id)
    d = add_participant(app, event_id, "sam@boston.example", "Boston Bio", "America/New_York", "US")
    e = add_participant(app, event_id, "ji@busan.example", "Busan Marine", "Asia/Seoul", "KR")
    anne = logged_in(app, "anne@paris.example")
    send(anne, d)
    send(logged_in(app, "ji@busan.example"), a)
    monkeypatch.setattr(views, "now_utc", lambda: datetime(2027, 3, 16, 7, 5, tzinfo=timezone.utc))
    mails = len(outbox())
    unconfirmed = post_action(anne, f"/events/{SLUG}/leave", f"/events/{SLUG}")  # the box left unticked
    assert unconfirmed.status_code == 302 and len(outbox()) == mails
    with app.app_context():
        assert db.session.get(Participant, a).status == "approved"
    response = anne.post(f"/events/{SLUG}/leave", data={"csrf_token": token_from(anne, f"/events/{SLUG}"),
                                                        "confirm": "yes"})
    assert response.status_code == 302
    page = anne.get(f"/events/{SLUG}").get_data(as_text=True)
    assert "You left EU-Japan-Korea-US tech brokerage. 1 meeting(s) called off" in page and "You left this event" in page
    with app.app_context():
        assert db.session.get(Participant, a).status == "withdrawn"
        meetings = {m.id: (m.request.status, m.cancelled, m.published_slot_id is None) for m in db.session.scalars(db.select(Meeting))}
        assert meetings[held] == ("accepted", False, False)  # it took place
        assert meetings[upcoming] == ("cancelled", True, True)  # both calendars were told at once
        open_ones = {(r.requester_id, r.recipient_id): r.status for r in db.session.scalars(
            db.select(MeetingRequest).where(MeetingRequest.meeting == None))}  # noqa: E711
        assert open_ones == {(a, d): "cancelled", (e, a): "cancelled"}
    sent = outbox()[mails:]
    assert sorted(m["To"] for m in sent) == ["anne@paris.example", "minji@seoul.example"]
    assert all(any(p.get_content_type() == "text/calendar" for p in m.walk()) for m in sent)
    # Minji's mail links her requests; Anne's does not: that page is closed to her now.
    text = {m["To"]: next(p for p in m.walk() if p.get_content_type() == "text/plain").get_content() for m in sent}
    assert f"/events/{SLUG}/requests" in text["minji@seoul.example"]
    assert "/requests" not in text["anne@paris.example"] and "You cancelled" in text["anne@paris.example"]
    # Gone from the marketplace; her own pages say why.
    kenji = logged_in(app, "kenji@tokyo.example")
    assert "Paris Photonics" not in kenji.get(f"/events/{SLUG}/marketplace").get_data(as_text=True)
    refused = anne.get(f"/events/{SLUG}/marketplace")
    assert refused.status_code == 403 and "You left this event" in refused.get_data(as_text=True)
    organiser = logged_in(app, "organiser@een.example")
    assert 'data-status="withdrawn">1<' in organiser.get(f"/organise/{SLUG}/").get_data(as_text=True)
    # The next publish leaves the held meeting alone: no CANCEL for a meeting that took place; it stays in
    # Kenji's agenda and counts in the impact report, with his rating.
    import brokerage.meetings.services as services
    import brokerage.organiser.views as organiser_views
    import brokerage.scheduling.timetable as timetable
    from brokerage.events.models import Event
    from brokerage.meetings.models import MeetingOutcome
    from brokerage.reports.impact import build_report
    from brokerage.scheduling.publish import publish as publish_timetable
    for module in (services, timetable, organiser_views):
        monkeypatch.setattr(module, "now_utc", lambda: datetime(2027, 3, 16, 7, 5, tzinfo=timezone.utc))
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        db.session.add(MeetingOutcome(meeting_id=held, participant_id=b, rating="cooperation_possible",
                                      follow_up="agreement", comment="Signed an NDA"))
        db.session.commit()
        assert held not in timetable.pending_change_ids(event)
        publish_timetable(event)
        assert db.session.get(Meeting, held).published_slot_id == slot_at(app, event_id, held_at)
        report = build_report(event)
        assert report.totals["agreement"] == 1 and any(c["comment"] == "Signed an NDA" for c in report.comments)
    assert "Paris Photonics" in kenji.get(f"/events/{SLUG}/agenda").get_data(as_text=True)
    # On his requests page it is an agreed meeting that was held (to rate, not to cancel), not a closed request.
    page = kenji.get(REQUESTS).get_data(as_text=True)
    agreed = page.split('id="agreed"')[1].split('id="closed"')[0]
    with app.app_context():
        held_request = db.session.get(Meeting, held).request_id
    assert "Paris Photonics" in agreed and f'id="rate-{held_request}"' in agreed
    assert f'id="cancel-{held_request}"' not in agreed and "no longer takes part" not in page
    # The organisers' timetable and counts keep it too.
    assert 'data-count="total">1<' in organiser.get(f"/organise/{SLUG}/").get_data(as_text=True)
    assert f'id="meeting-{held}"' in organiser.get(f"/organise/{SLUG}/timetable").get_data(as_text=True)
    # Leaving is final unless the organisers re-admit: rejecting someone who left is refused.
    participants = f"/organise/{SLUG}/participants"
    row = organiser.get(participants).get_data(as_text=True).split(f'data-participant="{a}"')[1].split("</tr>")[0]
    assert '<small class="held-count">1 held</small>' in row and "none" not in row
    response = organiser.post(f"{participants}/{a}/status", data={
        "csrf_token": token_from(organiser, participants), "status": "rejected"}, follow_redirects=True)
    assert "Paris Photonics left the event; you can only re-admit them." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Participant, a).status == "withdrawn"


def test_a_participant_the_organisers_rejected_cannot_leave_to_count_again(app, people):
    from brokerage.events.models import Participant
    with app.app_context():
        db.session.get(Participant, people["b"]).status = "rejected"
        db.session.commit()
    kenji = logged_in(app, "kenji@tokyo.example")
    kenji.post(f"/events/{SLUG}/leave", data={"csrf_token": token_from(kenji, f"/events/{SLUG}")})
    with app.app_context():
        assert db.session.get(Participant, people["b"]).status == "rejected"
    assert 'id="leave-button"' not in kenji.get(f"/events/{SLUG}").get_data(as_text=True)


def test_a_meeting_never_published_is_not_taken_for_held(app, people, monkeypatch):
    """Placed by the organisers in a slot that has begun, but never announced: nobody was told to meet, so it
    is no meeting to rate (the outcomes page and the reports count only published ones)."""
    import brokerage.meetings.services as services
    import brokerage.meetings.views as views
    agreed_meeting(app, people["event"], people["a"], people["b"], datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc),
                   published=False)
    for module in (services, views):
        monkeypatch.setattr(module, "now_utc", lambda: datetime(2027, 3, 16, 7, 5, tzinfo=timezone.utc))
    page = logged_in(app, "anne@paris.example").get(REQUESTS).get_data(as_text=True)
    assert "Tokyo Robotics" in page.split('id="agreed"')[1] and "Held: how did it go?" not in page


def test_the_request_form_warns_when_the_two_working_days_never_meet(app, people):
    """US West Coast and Tokyo share no working hour in these windows: the requester is told before sending,
    with the slot that asks least of the one further out, on both clocks; the request can still be sent."""
    la = add_participant(app, people["event"], "lee@la.example", "LA Lidar", "America/Los_Angeles", "US")
    kenji = logged_in(app, "kenji@tokyo.example")
    page = " ".join(kenji.get(new_url(la)).get_data(as_text=True).split())
    assert 'id="no-shared-hours"' in page and 'id="shared-hours"' not in page
    assert "No slot of this event is within both your working days" in page
    assert "09:00–18:00 on your clock, Asia/Tokyo (UTC+09:00), and on theirs, America/Los_Angeles (UTC-07:00)" in page
    # 14:00 UTC: 23:00 in Tokyo (5 h 20 past its working day), 07:00 in Los Angeles (2 h before it).
    assert "The closest: Tue 16 Mar 2027, 23:00–23:20 your time, Tue 16 Mar 2027, 07:00–07:20 theirs." in page
    assert send(kenji, la).status_code == 302
    assert all_requests(app) == [(people["b"], la, "pending", False)]
    # The profile says the same.
    profile = " ".join(kenji.get(f"/events/{SLUG}/marketplace/{la}").get_data(as_text=True).split())
    assert "The closest: Tue 16 Mar 2027, 23:00–23:20 your time, Tue 16 Mar 2027, 07:00–07:20 theirs." in profile


def test_the_request_form_counts_the_shared_working_slots(app, people):
    anne = logged_in(app, "anne@paris.example")
    page = " ".join(anne.get(new_url(people["b"])).get_data(as_text=True).split())
    # Paris 09:00-10:00 is Tokyo 17:00-18:00: two 20-minute slots with 5-minute pauses from 07:00 UTC.
    assert 'id="no-shared-hours"' not in page
    assert "2 slots of this event are within both your working days" in page
    assert ("within both your working days, 09:00–18:00 on your clock, Europe/Paris (UTC+01:00), and on theirs, "
            "Asia/Tokyo (UTC+09:00); the first is Tue 16 Mar 2027, 09:15 your time, 17:15 theirs.") in page


def test_the_requests_page_reads_a_few_rows_at_a_time_however_many_requests(app, people):
    """A popular participant has dozens of requests: each row's partner, account and meeting are loaded
    together, not with queries of their own."""
    import sqlalchemy as sa
    anne = logged_in(app, "anne@paris.example")

    def count():
        seen = []

        def hear(*args):
            seen.append(1)
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", hear)
            try:
                assert anne.get(REQUESTS).status_code == 200
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", hear)
        return len(seen)

    def more(n, first):
        for k in range(first, first + n):
            other = add_participant(app, people["event"], f"p{k}@x.example", f"Org {k}", "Asia/Tokyo", "JP")
            with app.app_context():
                request = MeetingRequest(event_id=people["event"], requester_id=other, recipient_id=people["a"],
                                         status="accepted" if k % 2 else "pending", message="Hi")
                db.session.add(request)
                if k % 2:
                    db.session.add(Meeting(event_id=people["event"], request=request))
                db.session.commit()
    more(3, 0)
    few = count()
    more(12, 3)
    assert count() == few

"""`flask reminders`: agendas the day before, booking-deadline nudges, never twice, bad input exits 2."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from brokerage.extensions import db


@pytest.fixture
def published(app, make_event, people, meeting):
    event_id = make_event(booking_deadline=datetime(2027, 3, 10, 17, 0, tzinfo=timezone.utc), timetable_published=True)
    p = people(event_id, [
        ("eu@example.eu", "Lyon Robotics", "FR", "Europe/Paris", "all"),
        ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", range(0, 7)),
        ("us@example.com", "Boston Bio", "US", "America/New_York", range(7, 14)),
        ("idle@example.de", "Berlin Late", "DE", "Europe/Berlin", []),
    ])
    eu, jp, us, idle = p.values()
    meeting(event_id, eu, jp, slot=0, published=0)   # 07:00 UTC: 08:00 Lyon, 16:00 Osaka
    meeting(event_id, eu, us, slot=7, published=7)   # 14:00 UTC: 15:00 Lyon, 10:00 Boston
    meeting(event_id, us, jp, status="pending")      # Osaka has not answered Boston yet
    return event_id


def reminders(app, *args):
    return app.test_cli_runner().invoke(args=["reminders", *args])


def test_agenda_reminders_the_day_before_and_only_once(app, outbox, published):
    assert "0 reminder(s) sent" in reminders(app, "--now", "2027-03-14T12:00Z").output  # 43 h ahead: too early
    dry = reminders(app, "--now", "2027-03-15T08:00Z", "--dry-run")
    assert dry.exit_code == 0 and "3 reminder(s) due" in dry.output and outbox() == []

    result = reminders(app, "--now", "2027-03-15T08:00Z")
    assert result.exit_code == 0, result.output
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {"eu@example.eu", "jp@example.jp", "us@example.com"}
    lyon = mails["eu@example.eu"].get_body(("plain",)).get_content()
    assert "Europe/Paris (UTC+01:00)" in lyon and "08:00" in lyon and "15:00" in lyon
    assert "Osaka Sensors" in lyon and "Boston Bio" in lyon
    boston = mails["us@example.com"].get_body(("plain",)).get_content()
    assert "10:00" in boston and "America/New_York (UTC-04:00)" in boston
    assert "Tue 16 Mar" in mails["jp@example.jp"]["Subject"]

    again = reminders(app, "--now", "2027-03-15T20:00Z")
    assert "0 reminder(s) sent" in again.output and len(outbox()) == 3


def test_unpublished_timetable_sends_no_agenda(app, outbox, published):
    from brokerage.events.models import Event
    with app.app_context():
        db.session.get(Event, published).timetable_published = False
        db.session.commit()
    assert "0 reminder(s) sent" in reminders(app, "--now", "2027-03-15T08:00Z").output


def test_booking_deadline_nudges_those_with_work_left(app, outbox, published):
    assert "0 reminder(s) sent" in reminders(app, "--now", "2027-03-08T12:00Z").output  # 53 h before
    result = reminders(app, "--now", "2027-03-09T12:00Z")
    mails = {m["To"]: m.get_body(("plain",)).get_content() for m in outbox()}
    assert set(mails) == {"jp@example.jp", "idle@example.de"}
    assert "1 meeting request(s)" in mails["jp@example.jp"] and "Boston Bio" in mails["jp@example.jp"]
    assert "Thu 11 Mar 2027, 02:00" in mails["jp@example.jp"]  # 17:00 UTC in Tokyo
    assert "not marked when you can meet" in mails["idle@example.de"]
    assert "2 reminder(s) sent" in result.output
    assert "0 reminder(s) sent" in reminders(app, "--now", "2027-03-10T09:00Z").output


@pytest.mark.parametrize("value", ["yesterday", "2027-13-01T00:00Z", "", "9999-12-31T23:00Z",
                                   "9999-12-31T23:59:59-05:00", "0001-01-01T00:00+01:00"])
def test_bad_now_is_one_line_and_exit_2(app, outbox, published, value):
    result = reminders(app, "--now", value)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "--now" in result.output
    assert outbox() == []


@pytest.mark.parametrize("command", [["reminders", "--bogus"], ["reminders", "--now"], ["demo", "--bogus"]])
def test_a_wrong_option_is_one_line_and_exit_2(app, command):
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and result.output.startswith("Error: ")
    help_text = app.test_cli_runner().invoke(args=[command[0], "--help"])  # asking for usage still shows it
    assert help_text.exit_code == 0 and help_text.output.startswith("Usage: ") and "--help" in help_text.output


def test_links_in_cron_mails_warn_without_base_url(app, outbox, published):
    app.config["BASE_URL"] = None
    result = reminders(app, "--now", "2027-03-15T08:00Z", "--dry-run")
    assert result.exit_code == 0 and "Warning: BASE_URL is not set" in result.output
    app.config["BASE_URL"] = "https://events.example"
    assert "BASE_URL" not in reminders(app, "--now", "2027-03-15T08:00Z", "--dry-run").output


def test_no_deadline_nudge_or_agenda_for_what_a_rejected_participant_left_behind(app, outbox, published):
    """Boston is rejected: its request to Osaka cannot be answered and its meeting with Lyon is off."""
    from brokerage.events.models import Participant
    with app.app_context():
        boston = db.session.scalar(db.select(Participant).filter_by(organisation="Boston Bio"))
        boston.status = "rejected"
        db.session.commit()
    reminders(app, "--now", "2027-03-09T12:00Z")
    assert {m["To"] for m in outbox()} == {"idle@example.de"}  # Osaka has availability and nothing to answer
    reminders(app, "--now", "2027-03-15T08:00Z")
    lyon = [m for m in outbox() if m["To"] == "eu@example.eu"][0].get_body(("plain",)).get_content()
    assert "Osaka Sensors" in lyon and "Boston Bio" not in lyon


def test_agenda_on_a_clock_change_day_names_both_offsets(app, outbox, make_event, people, meeting):
    """Sun 28 March 2027: London goes from UTC+00:00 to UTC+01:00 at 01:00 UTC, between its two meetings."""
    utc = timezone.utc
    windows = [("Night", datetime(2027, 3, 28, 0, 0, tzinfo=utc), datetime(2027, 3, 28, 0, 30, tzinfo=utc)),
               ("Morning", datetime(2027, 3, 28, 8, 0, tzinfo=utc), datetime(2027, 3, 28, 8, 30, tzinfo=utc))]
    day = datetime(2027, 3, 28).date()
    event_id = make_event(windows=windows, start_date=day, end_date=day, timetable_published=True)
    uk, us, jp = people(event_id, [("uk@example.uk", "London Labs", "GB", "Europe/London", "all"),
                                   ("us@example.com", "Boston Bio", "US", "America/New_York", "all"),
                                   ("jp@example.jp", "Osaka Sensors", "JP", "Asia/Tokyo", "all")]).values()
    meeting(event_id, uk, us, slot=0, published=0)  # 00:00 in London (GMT)
    meeting(event_id, uk, jp, slot=1, published=1)  # 09:00 in London (BST)
    reminders(app, "--now", "2027-03-27T06:00Z")
    text = [m for m in outbox() if m["To"] == "uk@example.uk"][0].get_body(("plain",)).get_content()
    assert "Europe/London (UTC+00:00; UTC+01:00 from Sun 28 Mar)" in text


def test_two_overlapping_cron_runs_mail_each_reminder_once(app, outbox, published, monkeypatch):
    """The second run worked out what was due before the first recorded anything."""
    from brokerage.scheduling import reminders as module
    now = module.parse_now("2027-03-15T08:00Z")
    with app.app_context():
        due_early = module.due_reminders(now)  # what the second run saw
        assert len(due_early) == 3
        module.send_reminders(now)  # the first run
        monkeypatch.setattr(module, "due_reminders", lambda now: due_early)
        tried, failed = module.send_reminders(now)  # the second run, with its stale list
    assert tried == [] and failed == []
    assert len(outbox()) == 3


def test_a_refused_reminder_is_tried_again_next_hour(app, outbox, published, monkeypatch):
    from brokerage import mail as mail_module
    real_send = mail_module.send

    def down(mail):
        raise OSError("connection refused")

    monkeypatch.setattr(mail_module, "send", down)
    first = reminders(app, "--now", "2027-03-15T08:00Z")
    assert first.exit_code == 1 and "3 failed" in first.output
    monkeypatch.setattr(mail_module, "send", real_send)
    again = reminders(app, "--now", "2027-03-15T09:00Z")
    assert again.exit_code == 0 and "3 reminder(s) sent" in again.output and len(outbox()) == 3


def test_an_unreachable_database_is_one_line(tmp_path):
    from brokerage import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "MAIL_OUTBOX": str(tmp_path), "BASE_URL": "http://localhost"})
    result = app.test_cli_runner().invoke(args=["reminders", "--now", "2027-03-15T08:00Z"])
    assert result.exit_code == 2 and "database cannot be used" in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_deadline_nudge_suggests_partners_to_those_without_meetings(app, outbox, published, people):
    """Hamburg marked its hours but asked no one: the nudge names who fits, Lyon (with meetings) hears nothing."""
    from brokerage.events.models import Opportunity, Participant
    hamburg, = people(published, [("hh@example.de", "Hamburg Grippers", "DE", "Europe/Berlin", "all")]).values()
    with app.app_context():
        by_name = {p.organisation: p for p in db.session.scalars(db.select(Participant))}
        by_name["Hamburg Grippers"].opportunities.append(Opportunity(kind="tech_request", title="Grippers for fish"))
        by_name["Boston Bio"].opportunities.append(Opportunity(kind="tech_offer", title="Soft grippers for fish"))
        by_name["Lyon Robotics"].opportunities.append(Opportunity(kind="tech_offer", title="Grippers"))
        db.session.commit()
    reminders(app, "--now", "2027-03-09T12:00Z")
    mails = {m["To"]: m.get_body(("plain",)).get_content() for m in outbox()}
    assert set(mails) == {"jp@example.jp", "idle@example.de", "hh@example.de"}
    text = mails["hh@example.de"]
    assert "You have no meeting agreed or requested yet" in text and "not marked when you can meet" not in text
    assert "* Boston Bio (US): their technology offer “Soft grippers for fish”" in text
    assert "* Lyon Robotics (FR): their technology offer “Grippers”" in text
    assert "/events/march-2027/marketplace" in text
    assert "no meeting agreed" not in mails["jp@example.jp"]  # Osaka has meetings: only its request to answer


def test_after_the_event_each_participant_is_asked_once_to_rate_the_meetings_they_held(app, outbox, published):
    from datetime import timedelta

    from brokerage.events.models import Participant, Slot
    from brokerage.meetings.models import Meeting, MeetingOutcome
    with app.app_context():
        last_end = db.session.scalar(db.select(db.func.max(Slot.end)).filter_by(event_id=published))
        jp = db.session.scalar(db.select(Participant.id).filter_by(organisation="Osaka Sensors"))
        for m in db.session.scalars(db.select(Meeting).filter_by(event_id=published)):
            if jp in (m.request.requester_id, m.request.recipient_id):
                db.session.add(MeetingOutcome(meeting=m, participant_id=jp, rating="informative"))  # Osaka rated
        db.session.commit()

    def at(delta):
        return (last_end + delta).strftime("%Y-%m-%dT%H:%MZ")

    with app.app_context():  # Boston deleted its account after its meeting (as personal_data.erase leaves it then)
        from brokerage.accounts.models import ERASED_DOMAIN, User
        user = db.session.scalar(db.select(User).filter_by(email="us@example.com"))
        user.email = f"deleted-{user.id}@{ERASED_DOMAIN}"
        db.session.scalar(db.select(Participant).filter_by(user_id=user.id)).status = "withdrawn"
        db.session.commit()
    assert "0 reminder(s) sent" in reminders(app, "--now", at(timedelta(hours=1))).output  # the event just ended
    assert "0 reminder(s) due" in reminders(app, "--now", at(timedelta(days=15)), "--dry-run").output  # long over
    result = reminders(app, "--now", at(timedelta(hours=3)))
    assert "1 reminder(s) sent" in result.output, result.output
    mails = {m["To"]: m for m in outbox() if m["Subject"].endswith("how did your meetings go?")}
    assert set(mails) == {"eu@example.eu"}  # Osaka rated its only meeting; Boston's account is gone
    lyon = mails["eu@example.eu"].get_body(("plain",)).get_content()
    assert mails["eu@example.eu"]["Subject"].endswith("how did your meetings go?")
    assert "Tue 16 Mar 2027, 08:00 with Osaka Sensors, JP" in lyon and "15:00 with Boston Bio, US" in lyon
    assert "Europe/Paris (UTC+01:00)" in lyon and "/events/march-2027/outcomes" in lyon
    assert "0 reminder(s) sent" in reminders(app, "--now", at(timedelta(days=1))).output  # once

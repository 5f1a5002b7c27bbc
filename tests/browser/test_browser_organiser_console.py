"""Flow 2 (issue 4): the organiser console in a real browser, from a new event to mailed invites and the report.

Event on Tue 2027-03-16 (New York UTC-4, Los Angeles UTC-7, Paris/Brussels UTC+1, Tokyo/Seoul UTC+9),
30-minute slots without pause. Windows entered in UTC:
  Asia-Europe      07:00-10:00
  Europe-Americas  13:00-16:00
  Americas-Asia    22:00-01:00 (crosses midnight UTC)
Availability (UTC) seeded for four approved participants, so that:
  Lyon Robotics (Paris) - Hudson Photonics (New York): 13:00, 13:30 or 14:00
  Osaka Materials (Tokyo) - Lyon Robotics (Paris):     08:00 or 08:30
  Seoul Mobility (Seoul) - Hudson Photonics (NY):      00:00 on 17 March (20:00 NY on the 16th)
  Osaka Materials - Hudson Photonics:                  no common slot -> unscheduled, with a reason
"""
from __future__ import annotations

from datetime import datetime, timezone

import icalendar
import pytest
from playwright.sync_api import expect

from e2e_helpers import PASSWORD, label, sign_up, table_rows

pytestmark = pytest.mark.browser

UTC = timezone.utc
SLUG = "eu-asia-us-brokerage-2027"
EVENT_NAME = "EU-Asia-US brokerage 2027"
ORGANISER = "olga@een-brussels.example"


def at(hour, minute=0, day=16):
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


PEOPLE = {  # key: (email, name, organisation, country, zone, available UTC slot starts)
    "paris": ("anne@lyon-robotics.example", "Anne Martin", "Lyon Robotics", "FR", "Europe/Paris",
              [at(8), at(8, 30), at(13), at(13, 30), at(14)]),
    "ny": ("ben@hudson-photonics.example", "Ben Carter", "Hudson Photonics", "US", "America/New_York",
           [at(13), at(13, 30), at(14), at(0, 0, 17)]),
    "tokyo": ("kenji@osaka-materials.example", "Kenji Tanaka", "Osaka Materials", "JP", "Asia/Tokyo",
              [at(8), at(8, 30)]),
    "seoul": ("minji@seoul-mobility.example", "Min-ji Kim", "Seoul Mobility", "KR", "Asia/Seoul", [at(0, 0, 17)]),
}
MEETINGS = [("paris", "ny"), ("tokyo", "paris"), ("seoul", "ny"), ("tokyo", "ny")]
# Local wall times of the slots used, worked out by hand.
LOCAL = {
    at(13): {"Europe/Paris": "2027-03-16 14:00", "America/New_York": "2027-03-16 09:00"},
    at(13, 30): {"Europe/Paris": "2027-03-16 14:30", "America/New_York": "2027-03-16 09:30"},
    at(14): {"Europe/Paris": "2027-03-16 15:00", "America/New_York": "2027-03-16 10:00"},
    at(8): {"Europe/Paris": "2027-03-16 09:00", "Asia/Tokyo": "2027-03-16 17:00"},
    at(8, 30): {"Europe/Paris": "2027-03-16 09:30", "Asia/Tokyo": "2027-03-16 17:30"},
    at(0, 0, 17): {"America/New_York": "2027-03-16 20:00", "Asia/Seoul": "2027-03-17 09:00"},
}
MOVE_LABELS = {  # the move page's option for the Lyon Robotics - Hudson Photonics meeting
    at(13): "Tue 16 Mar 2027, 13:00 UTC · Lyon Robotics: Tue 16 Mar 2027, 14:00, Europe/Paris (UTC+01:00) · "
            "Hudson Photonics: Tue 16 Mar 2027, 09:00, America/New_York (UTC-04:00)",
    at(13, 30): "Tue 16 Mar 2027, 13:30 UTC · Lyon Robotics: Tue 16 Mar 2027, 14:30, Europe/Paris (UTC+01:00) · "
                "Hudson Photonics: Tue 16 Mar 2027, 09:30, America/New_York (UTC-04:00)",
    at(14): "Tue 16 Mar 2027, 14:00 UTC · Lyon Robotics: Tue 16 Mar 2027, 15:00, Europe/Paris (UTC+01:00) · "
            "Hudson Photonics: Tue 16 Mar 2027, 10:00, America/New_York (UTC-04:00)",
}


def seed_registrations(db_do):
    """Four registrations waiting for approval (registering through the UI is Flow 1's business)."""
    def build():
        from brokerage.accounts.models import User
        from brokerage.events.models import Event, Participant
        from brokerage.extensions import db

        event = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
        for email, name, org, country, zone_name, _ in PEOPLE.values():
            user = User(email=email, name=name)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            db.session.add(Participant(event_id=event.id, user_id=user.id, status="pending", organisation=org,
                                       country=country, organisation_type="sme", sectors="robotics",
                                       timezone=zone_name))
    db_do(build)


def seed_meetings_and_availability(db_do) -> dict[tuple[str, str], int]:
    """What approved participants would do next: agree meetings and mark availability."""
    def build():
        from brokerage.events.models import Availability, Event, Participant, Slot
        from brokerage.extensions import db
        from brokerage.meetings.models import Meeting, MeetingRequest

        event = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
        people = {}
        for key, (email, *_rest) in PEOPLE.items():
            people[key] = db.session.scalar(db.select(Participant).join(Participant.user).where(
                Participant.event_id == event.id, Participant.user.has(email=email)))
            assert people[key].status == "approved"
        slots = {s.start: s for s in db.session.scalars(db.select(Slot).filter_by(event_id=event.id))}
        for key, person in people.items():
            for start in PEOPLE[key][5]:
                db.session.add(Availability(participant_id=person.id, slot_id=slots[start].id))
        ids = {}
        for requester, recipient in MEETINGS:
            request = MeetingRequest(event_id=event.id, requester_id=people[requester].id,
                                     recipient_id=people[recipient].id, message="Let us meet", status="accepted",
                                     responded_at=at(9, day=1))
            meeting = Meeting(event_id=event.id, request=request)
            db.session.add_all([request, meeting])
            db.session.flush()
            ids[(requester, recipient)] = meeting.id
        return ids
    return db_do(build)


def meeting_slots(db_do) -> dict[int, tuple[datetime | None, datetime | None, int]]:
    """meeting id -> (working slot start, published slot start, sequence)."""
    def read():
        from brokerage.extensions import db
        from brokerage.meetings.models import Meeting
        return {m.id: (m.slot.start if m.slot else None, m.published_slot.start if m.published_slot else None,
                       m.sequence) for m in db.session.scalars(db.select(Meeting))}
    return db_do(read)


def slot_id(db_do, start):
    def read():
        from brokerage.events.models import Slot
        from brokerage.extensions import db
        return db.session.scalar(db.select(Slot.id).filter_by(start=start))
    return db_do(read)


def calendars(message, method="REQUEST"):
    """The text/calendar parts (inline or attached) of a mail with the given iTIP method, parsed."""
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar" and part.get_param("method") == method:
            found.append(icalendar.Calendar.from_ical(part.get_payload(decode=True)))
    return found


def wall(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")


def move(page, meeting_id: int, target_id: int, expected_label: str, allowed_labels: set[str]):
    page.locator(f"#move-{meeting_id}").click()
    options = {" ".join(o.inner_text().split()) for o in page.locator("#move-form label").all()}
    assert expected_label in options, options
    assert options <= allowed_labels, options - allowed_labels
    page.locator(f"#slot-{target_id}").check()
    page.locator("#move-submit").click()
    expect(page.get_by_role("status").first).to_contain_text("Meeting moved and locked")


def test_organiser_console_from_new_event_to_published_invites(new_page, live_server, db_do, mails):
    page = new_page("Europe/Brussels")
    sign_up(page, live_server, ORGANISER, "Olga Organiser")
    from tests.support import allow_organising
    allow_organising(live_server.app, ORGANISER)  # the site administrator lets her create events

    # --- create the event ------------------------------------------------------------------------------------
    page.goto("/organise/new")
    page.get_by_label(label("Event name")).fill(EVENT_NAME)
    page.get_by_label(label("Web address (optional)")).fill(SLUG)
    page.get_by_label(label("Your organisation (support office)")).fill("EEN Brussels")
    page.get_by_label(label("Event time zone")).select_option("Europe/Brussels")
    page.get_by_label(label("First day")).fill("2027-03-16")
    page.get_by_label(label("Last day")).fill("2027-03-16")
    page.locator("#create-event").click()
    expect(page.get_by_role("heading", name="Meeting windows")).to_be_visible()

    # --- settings: 30-minute meetings, no pause, organisers approve registrations ----------------------------
    page.goto(f"/organise/{SLUG}/settings")
    expect(page.locator("#event-zone")).to_contain_text("Europe/Brussels")
    page.get_by_label(label("Meeting length")).select_option("30")
    page.get_by_label(label("Pause between meetings (minutes)")).fill("0")
    page.get_by_label("Organisers approve each registration").check()
    page.locator("#save-settings").click()
    expect(page.get_by_role("status").first).to_contain_text("Settings saved.")
    expect(page.get_by_label(label("Meeting length"))).to_have_value("30")

    # --- three windows, one on the event's clock, two in UTC, one crossing midnight --------------------------
    page.goto(f"/organise/{SLUG}/windows")
    for name, clock, start, end, next_day in (("Asia-Europe", None, "08:00", "11:00", False),
                                              ("Europe-Americas", "UTC", "13:00", "16:00", False),
                                              ("Americas-Asia", "UTC", "22:00", "01:00", True)):
        form = page.locator("#window-form")
        form.get_by_label(label("Label")).fill(name)
        if clock:
            form.get_by_label("Times on the clock of").select_option(clock)
        else:  # the event's own, preselected
            expect(form.get_by_label("Times on the clock of")).to_have_value("Europe/Brussels")
        form.get_by_label(label("Day")).fill("2027-03-16")
        form.get_by_label(label("Start")).fill(start)
        form.get_by_label(label("End")).fill(end)
        form.get_by_label("Ends on the next day, after midnight").set_checked(next_day)
        form.locator("#save-window").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Window '{name}' added: ")
    expect(page.locator("#slot-count")).to_have_text("18")

    def window_rows(name):
        article = page.locator("article[id^=window-]", has_text=name).first
        return {row[0]: row[1:] for row in table_rows(article)}

    assert window_rows("Asia-Europe") == {
        "UTC": ["Tue 16 Mar 07:00", "Tue 16 Mar 10:00"],
        "America/Los_Angeles (UTC-07:00)": ["Tue 16 Mar 00:00", "Tue 16 Mar 03:00"],
        "America/New_York (UTC-04:00)": ["Tue 16 Mar 03:00", "Tue 16 Mar 06:00"],
        "Europe/Brussels (UTC+01:00)": ["Tue 16 Mar 08:00", "Tue 16 Mar 11:00"],
        "Asia/Seoul (UTC+09:00)": ["Tue 16 Mar 16:00", "Tue 16 Mar 19:00"],
        "Asia/Tokyo (UTC+09:00)": ["Tue 16 Mar 16:00", "Tue 16 Mar 19:00"],
    }
    assert window_rows("Europe-Americas") == {
        "UTC": ["Tue 16 Mar 13:00", "Tue 16 Mar 16:00"],
        "America/Los_Angeles (UTC-07:00)": ["Tue 16 Mar 06:00", "Tue 16 Mar 09:00"],
        "America/New_York (UTC-04:00)": ["Tue 16 Mar 09:00", "Tue 16 Mar 12:00"],
        "Europe/Brussels (UTC+01:00)": ["Tue 16 Mar 14:00", "Tue 16 Mar 17:00"],
        "Asia/Seoul (UTC+09:00)": ["Tue 16 Mar 22:00", "Wed 17 Mar 01:00 +1 day"],
        "Asia/Tokyo (UTC+09:00)": ["Tue 16 Mar 22:00", "Wed 17 Mar 01:00 +1 day"],
    }
    assert window_rows("Americas-Asia") == {
        "UTC": ["Tue 16 Mar 22:00", "Wed 17 Mar 01:00"],
        "America/Los_Angeles (UTC-07:00)": ["Tue 16 Mar 15:00", "Tue 16 Mar 18:00"],
        "America/New_York (UTC-04:00)": ["Tue 16 Mar 18:00", "Tue 16 Mar 21:00"],
        "Europe/Brussels (UTC+01:00)": ["Tue 16 Mar 23:00", "Wed 17 Mar 02:00 +1 day"],
        "Asia/Seoul (UTC+09:00)": ["Wed 17 Mar 07:00 +1 day", "Wed 17 Mar 10:00 +1 day"],
        "Asia/Tokyo (UTC+09:00)": ["Wed 17 Mar 07:00 +1 day", "Wed 17 Mar 10:00 +1 day"],
    }
    expect(page.locator("article[id^=window-]", has_text="Americas-Asia").first.locator("header")).to_contain_text(
        "Tue 16 Mar 2027 22:00 – Wed 17 Mar 01:00 +1 day UTC · 6 slots")

    # --- registrations arrive; the organiser approves them ---------------------------------------------------
    seed_registrations(db_do)
    page.goto(f"/organise/{SLUG}/participants?status=pending")
    expect(page.locator("#participants-table tbody tr")).to_have_count(4)
    for email, name, org, *_ in PEOPLE.values():
        page.get_by_role("button", name=f"Approve {org}").click()
        expect(page.get_by_role("status").first).to_contain_text(f"{org} is approved.")
    expect(page.locator("[data-count=approved]")).to_have_text("4")
    expect(page.locator("[data-count=pending]")).to_have_text("0")
    decisions = [m for m in mails() if m["Subject"] == f"Your registration for {EVENT_NAME}"]
    assert sorted(m["To"] for m in decisions) == sorted(p[0] for p in PEOPLE.values())

    ids = seed_meetings_and_availability(db_do)
    paris_ny, tokyo_paris, seoul_ny, tokyo_ny = (ids[k] for k in MEETINGS)

    # --- a solver run (in-process job) and its review ---------------------------------------------------------
    page.goto(f"/organise/{SLUG}/runs")
    page.get_by_label(label("Time limit (seconds)")).fill("5")
    page.locator("#start-run").click()
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=90_000)  # the page refreshes itself
    expect(page.locator("main")).to_contain_text("3 meetings scheduled, 1 unscheduled.")
    unscheduled = table_rows(page.locator("#run-unscheduled"))
    assert len(unscheduled) == 1 and unscheduled[0][0] == "Osaka Materials – Hudson Photonics", unscheduled
    assert len(unscheduled[0][1]) > 10, f"no reason given: {unscheduled}"
    reason = unscheduled[0][1]

    page.locator("#apply-run").click()
    expect(page.locator("#scheduled-count")).to_have_text("3")
    expect(page.locator("#unscheduled-count")).to_have_text("1")
    expect(page.locator("#unscheduled-table")).to_contain_text(reason)
    expect(page.locator("#published-state")).to_have_text("Not published")
    slots = meeting_slots(db_do)
    assert slots[tokyo_ny][0] is None
    assert slots[seoul_ny][0] == at(0, 0, 17)
    assert slots[paris_ny][0] in (at(13), at(13, 30), at(14))
    assert slots[tokyo_paris][0] in (at(8), at(8, 30))
    seoul_row = " ".join(page.locator(f"#meeting-{seoul_ny}").inner_text().split())
    assert "Tue 16 Mar 2027, 00:00" not in seoul_row and "Wed 17 Mar 2027, 00:00–00:30" in seoul_row, seoul_row
    assert "20:00 America/New_York (UTC-04:00)" in seoul_row and "09:00 Asia/Seoul (UTC+09:00)" in seoul_row

    # --- move one meeting by hand to another allowed slot, then publish ---------------------------------------
    first_target = at(13) if slots[paris_ny][0] == at(14) else at(14)
    move(page, paris_ny, slot_id(db_do, first_target), MOVE_LABELS[first_target], set(MOVE_LABELS.values()))
    expect(page.locator(f"#meeting-{paris_ny}")).to_contain_text("locked")
    assert meeting_slots(db_do)[paris_ny][0] == first_target
    before_publish = len(mails())
    page.locator("#publish").click()
    expect(page.locator("#recipients")).not_to_be_empty()
    page.locator("#confirm-publish").click()
    expect(page.locator("#published-state")).to_have_text("Published")
    expect(page.get_by_role("status").first).to_contain_text("Timetable published: 3 meeting(s) changed; mails to 4 participant(s) are being sent")

    invites = mails()[before_publish:]
    by_recipient = {m["To"]: m for m in invites}
    assert len(invites) == 4 and set(by_recipient) == {p[0] for p in PEOPLE.values()}
    first_uids = {}
    expected_meetings = {  # recipient -> meeting id -> (partner key, UTC slot)
        "paris": {paris_ny: ("ny", first_target), tokyo_paris: ("tokyo", slots[tokyo_paris][0])},
        "ny": {paris_ny: ("paris", first_target), seoul_ny: ("seoul", at(0, 0, 17))},
        "tokyo": {tokyo_paris: ("paris", slots[tokyo_paris][0])},
        "seoul": {seoul_ny: ("ny", at(0, 0, 17))},
    }
    uid_of = {mid: uid for mid, uid in db_do(lambda: _uids())}
    for key, wanted in expected_meetings.items():
        email, name, org, country, zone_name, _ = PEOPLE[key]
        message = by_recipient[email]
        assert message["Subject"] == f"{EVENT_NAME}: your meeting timetable"
        found = calendars(message)  # one iTIP object per meeting (RFC 5546: one UID each)
        assert all(str(c["METHOD"]) == "REQUEST" and len(c.walk("VEVENT")) == 1 for c in found)
        events = {str(e["UID"]): e for c in found for e in c.walk("VEVENT")}
        assert set(events) == {uid_of[mid] for mid in wanted}, (key, set(events))
        for mid, (partner_key, start) in wanted.items():
            vevent = events[uid_of[mid]]
            partner_email = PEOPLE[partner_key][0]
            assert int(vevent["SEQUENCE"]) == 0
            assert str(vevent["ORGANIZER"]).startswith("mailto:")
            attendees = vevent["ATTENDEE"] if isinstance(vevent["ATTENDEE"], list) else [vevent["ATTENDEE"]]
            assert sorted(str(a).lower() for a in attendees) == sorted(
                [f"mailto:{email}", f"mailto:{partner_email}"])
            assert vevent["DTSTART"].params["TZID"] == zone_name
            local_start = vevent.decoded("DTSTART")
            assert wall(local_start) == LOCAL[start][zone_name], (key, mid, wall(local_start))
            assert local_start.astimezone(UTC) == start
            first_uids[(key, mid)] = uid_of[mid]
        assert "Times are in your time zone, " + zone_name in message.get_body(("plain",)).get_content()
    paris_text = by_recipient[PEOPLE["paris"][0]].get_body(("plain",)).get_content()
    assert f"* NEW: Tue 16 Mar 2027, {LOCAL[first_target]['Europe/Paris'][-5:]}" in paris_text
    assert f"({LOCAL[first_target]['America/New_York'][-5:]} their time, America/New_York)" in paris_text

    # --- a further move: "publish changes" mails only the two affected participants, SEQUENCE raised ---------
    move(page, paris_ny, slot_id(db_do, at(13, 30)), MOVE_LABELS[at(13, 30)], set(MOVE_LABELS.values()))
    expect(page.locator("#pending-changes")).to_have_text("1")
    before_changes = len(mails())
    page.locator("#publish-changes").click()
    page.locator("#confirm-publish").click()
    expect(page.get_by_role("status").first).to_contain_text("Changes published: 1 meeting(s) changed; mails to 2 participant(s) are being sent")
    updates = mails()[before_changes:]
    assert sorted(m["To"] for m in updates) == sorted([PEOPLE["paris"][0], PEOPLE["ny"][0]])
    for message in updates:
        key = "paris" if message["To"] == PEOPLE["paris"][0] else "ny"
        zone_name = PEOPLE[key][4]
        assert message["Subject"] == f"{EVENT_NAME}: changes to your meetings"
        (calendar,) = calendars(message)
        (vevent,) = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == first_uids[(key, paris_ny)]
        assert int(vevent["SEQUENCE"]) == 1
        assert vevent["DTSTART"].params["TZID"] == zone_name
        assert wall(vevent.decoded("DTSTART")) == LOCAL[at(13, 30)][zone_name]
        assert "MOVED" in message.get_body(("plain",)).get_content()
    assert meeting_slots(db_do)[paris_ny] == (at(13, 30), at(13, 30), 1)
    expect(page.locator("#pending-changes")).to_have_text("0")

    # --- a mail to every approved participant: previewed, then sent --------------------------------------------
    before = len(mails())
    page.locator("#onav-mail-participants").click()
    page.get_by_label(label("Subject")).fill("Your agenda is ready")
    page.get_by_label(label("Message")).fill("Please check your agenda and join 5 minutes early.")
    page.locator("#preview-mail").click()
    expect(page.locator("#mail-preview")).to_contain_text("4 participant(s) will get it")
    expect(page.locator("#preview-text")).to_contain_text("Please check your agenda and join 5 minutes early.")
    page.locator("#send-mail").click()
    expect(page.get_by_role("status").first).to_contain_text("is being sent to 4 participant(s)")
    expect(page.locator("#sent")).to_contain_text("Your agenda is ready")
    assert sorted(m["Subject"] for m in mails()[before:]) == [f"{EVENT_NAME}: Your agenda is ready"] * 4

    # --- the impact report with its charts -------------------------------------------------------------------
    page.goto(f"/organise/{SLUG}/impact")
    expect(page.get_by_role("heading", name="Impact report")).to_be_visible()
    expect(page.locator("#total-participants")).to_have_text("4")
    assert page.locator("main svg").count() >= 5
    for chart in ("chart-regions", "chart-funnel", "chart-pairs", "chart-overseas", "chart-ratings"):
        expect(page.locator(f"#{chart}")).to_have_count(1)
    with page.expect_download() as info:
        page.locator("#download-csv").click()
    assert open(info.value.path(), encoding="utf-8-sig").read().strip()
    assert not new_page.page_errors, new_page.page_errors


def _uids():
    from brokerage.extensions import db
    from brokerage.meetings.models import Meeting
    return [(m.id, m.uid) for m in db.session.scalars(db.select(Meeting))]

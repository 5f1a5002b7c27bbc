"""Flow 1 (issue 3): the participant journey across four time zones, in a real browser.

Event on Tue 2027-03-16, the week the US is on summer time and Europe not yet:
  New York UTC-4, Paris UTC+1, Tokyo and Seoul UTC+9.
Windows (UTC), 30-minute slots without pauses:
  Asia-Europe      07:00-10:00  = Paris 08:00-11:00, Tokyo/Seoul 16:00-19:00
  Europe-Americas  13:00-16:00  = New York 09:00-12:00, Paris 14:00-17:00, Tokyo 22:00-01:00
  Americas-Asia    22:00-01:00  = New York 18:00-21:00, Tokyo/Seoul 07:00-10:00 on Wed 17 March
Every time checked below is written out literally, computed by hand from this table.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from e2e_helpers import PASSWORD, add_opportunity, download, label, log_in, register, sign_up, table_rows

pytestmark = pytest.mark.browser

UTC = timezone.utc
SLUG = "tech-brokerage-march-2027"
WINDOWS = [
    ("Asia-Europe", datetime(2027, 3, 16, 7, 0, tzinfo=UTC), datetime(2027, 3, 16, 10, 0, tzinfo=UTC)),
    ("Europe-Americas", datetime(2027, 3, 16, 13, 0, tzinfo=UTC), datetime(2027, 3, 16, 16, 0, tzinfo=UTC)),
    ("Americas-Asia", datetime(2027, 3, 16, 22, 0, tzinfo=UTC), datetime(2027, 3, 17, 1, 0, tzinfo=UTC)),
]
ORGANISER = "olga@een-brussels.example"
PEOPLE = {
    "paris": ("anne@lyon-robotics.example", "Anne Martin", "Lyon Robotics", "FR", "Europe/Paris", "Europe/Paris"),
    "ny": ("ben@hudson-photonics.example", "Ben Carter", "Hudson Photonics", "US", "America/New_York",
           "America/New_York"),
    "tokyo": ("kenji@osaka-materials.example", "Kenji Tanaka", "Osaka Materials", "JP", "Asia/Tokyo", "Asia/Tokyo"),
    "seoul": ("minji@seoul-mobility.example", "Min-ji Kim", "Seoul Mobility", "KR", "Asia/Seoul", "Asia/Seoul"),
}


def make_event(db_do):
    """The organiser's event, set up directly (the organiser console has its own flow): no approval step."""
    def build():
        from brokerage.accounts.models import User
        from brokerage.events.models import Event, EventOrganiser, MeetingWindow
        from brokerage.events.slots import rebuild_slots
        from brokerage.extensions import db

        organiser = User(email=ORGANISER, name="Olga Organiser")
        organiser.set_password(PASSWORD)
        db.session.add(organiser)
        db.session.flush()
        event = Event(slug=SLUG, name="EU-Japan-Korea-US tech brokerage", timezone="Europe/Brussels",
                      start_date=date(2027, 3, 16), end_date=date(2027, 3, 16), slot_minutes=30, pause_minutes=0,
                      participant_approval=False, created_by_id=organiser.id, opened_at=datetime.now(timezone.utc),
                      description="Meet technology partners across four regions.")
        db.session.add(event)
        db.session.add(EventOrganiser(event=event, user_id=organiser.id, role="organiser"))
        for name, start, end in WINDOWS:
            event.windows.append(MeetingWindow(label=name, start=start, end=end))
        db.session.flush()
        rebuild_slots(event)
        return len(event.slots)

    assert db_do(build) == 18


def slot_id_at(db_do, moment: datetime) -> int:
    def find():
        from brokerage.events.models import Slot
        from brokerage.extensions import db
        return db.session.scalar(db.select(Slot.id).filter_by(start=moment))
    return db_do(find)


def availability_labels(page) -> dict[str, list[str]]:
    """Section heading (day · window, in the viewer's zone) -> the 'your time' label of each slot."""
    groups = {}
    for section in page.locator("#availability-form section").all():
        heading = " ".join(section.locator("h3").inner_text().split())
        groups[heading] = [" ".join(c.inner_text().split()) for c in section.locator("tbody tr td:nth-child(2)").all()]
    return groups


def checked_labels(page) -> list[str]:
    return [" ".join(row.locator("td:nth-child(2)").inner_text().split())
            for row in page.locator("#availability-form tbody tr").all()
            if row.locator("input[type=checkbox]").is_checked()]


def test_participant_journey_across_four_time_zones(new_page, live_server, db_do, mails):
    make_event(db_do)
    pages = {key: new_page(person[5]) for key, person in PEOPLE.items()}

    # --- sign up and register: the country's zones come first; the browser's own zone is preselected ------
    for key, (email, name, org, country, tz, _) in PEOPLE.items():
        page = pages[key]
        sign_up(page, live_server, email, name)
        page.goto(f"/events/{SLUG}/register")
        # Nothing chosen yet: the form preselects the zone the browser reports (the person's clock).
        expect(page.get_by_label(label("Your time zone"))).to_have_value(tz)
        register(page, SLUG, org, country, tz, expect_first_zone=tz,
                 description=f"{org} develops technology for partners abroad.")
        # The event page now shows the windows in the participant's own time.
        windows = table_rows(page.locator("#meeting-windows table"))
        expected_own = {
            "paris": ["Tue 16 Mar 2027 08:00–11:00", "Tue 16 Mar 2027 14:00–17:00",
                      "Tue 16 Mar 2027 23:00–02:00 (+1 day)"],
            "ny": ["Tue 16 Mar 2027 03:00–06:00", "Tue 16 Mar 2027 09:00–12:00", "Tue 16 Mar 2027 18:00–21:00"],
            "tokyo": ["Tue 16 Mar 2027 16:00–19:00", "Tue 16 Mar 2027 22:00–01:00 (+1 day)",
                      "Wed 17 Mar 2027 07:00–10:00"],
            "seoul": ["Tue 16 Mar 2027 16:00–19:00", "Tue 16 Mar 2027 22:00–01:00 (+1 day)",
                      "Wed 17 Mar 2027 07:00–10:00"],
        }[key]
        assert [row[1] for row in windows] == expected_own, windows  # their own clock first
        assert [row[-1] for row in windows] == [
            "Tue 16 Mar 2027 07:00–10:00", "Tue 16 Mar 2027 13:00–16:00", "Tue 16 Mar 2027 22:00–01:00 (+1 day)"]

    paris, ny, tokyo, seoul = pages["paris"], pages["ny"], pages["tokyo"], pages["seoul"]

    # --- opportunities ----------------------------------------------------------------------------------------
    add_opportunity(paris, SLUG, "Technology request", "Photonic sensors for cobot safety",
                    "We integrate safety sensors into collaborative robots.", "photonics, safety, cobots")
    add_opportunity(ny, SLUG, "Technology offer", "Miniature LiDAR for industrial robots",
                    "Solid-state photonic LiDAR modules.", "lidar, photonics")
    add_opportunity(seoul, SLUG, "Business offer", "EV battery recycling partners",
                    "Looking for US distributors.", "batteries")

    # --- marketplace: suggested partners, then region and text filters -----------------------------------------
    paris.goto(f"/events/{SLUG}/marketplace")
    suggestion = paris.locator("#suggestions article.suggestion", has_text="Hudson Photonics")
    expect(suggestion).to_contain_text("Their technology offer “Miniature LiDAR for industrial robots” answers your "
                                       "technology request “Photonic sensors for cobot safety”")
    expect(suggestion).to_contain_text("America/New_York (UTC-04:00)")
    expect(suggestion).to_contain_text("6 slots within both working days.")
    expect(paris.locator("#result-count")).to_have_text("4 participants found.")
    paris.get_by_label(label("Region")).select_option("US")
    paris.locator("#search-button").click()
    expect(paris.locator("#result-count")).to_have_text("1 participant found.")
    expect(paris.locator("#results article.result")).to_have_count(1)
    expect(paris.locator("#results")).to_contain_text("Hudson Photonics")
    paris.get_by_label(label("Region")).select_option("")
    paris.get_by_label(label("Search text")).fill("lidar")
    paris.locator("#search-button").click()
    expect(paris.locator("#result-count")).to_have_text("1 participant found.")
    expect(paris.locator("#results")).to_contain_text("Miniature LiDAR for industrial robots")
    paris.get_by_label(label("Search text")).fill("photonic")
    paris.get_by_label(label("Region")).select_option("JP")
    paris.locator("#search-button").click()
    expect(paris.locator("#result-count")).to_have_text("0 participants found.")
    paris.get_by_label(label("Search text")).fill("")
    paris.locator("#search-button").click()
    expect(paris.locator("#results")).to_contain_text("Osaka Materials")
    expect(paris.locator("#results article.result")).to_have_count(1)

    # --- the New York profile: their local time now, and the shared working hours in both clocks ---------------
    paris.get_by_label(label("Region")).select_option("US")
    paris.locator("#search-button").click()
    paris.get_by_role("link", name="Hudson Photonics").click()
    expect(paris.get_by_role("heading", name="Hudson Photonics")).to_be_visible()
    local_now = paris.locator("#their-local-time").inner_text()
    ny_zone = ZoneInfo("America/New_York")
    now = datetime.now(UTC)
    offset = now.astimezone(ny_zone).utcoffset()
    sign = "-" if offset < timedelta(0) else "+"
    hours = abs(int(offset.total_seconds())) // 3600
    assert f"America/New_York (UTC{sign}{hours:02d}:00)" in local_now, local_now
    candidates = {(now + timedelta(minutes=d)).astimezone(ny_zone).strftime("%a %d %b %Y, %H:%M") for d in (-1, 0, 1)}
    assert any(c in local_now for c in candidates), (local_now, candidates)
    shared = paris.locator("#shared-working-hours")
    expect(shared.locator("article.shared-block header")).to_have_text(["Tue 16 Mar 2027 · Europe-Americas"])
    assert table_rows(shared) == [
        ["14:00–14:30", "Tue 16 Mar 2027, 09:00–09:30"],
        ["14:30–15:00", "Tue 16 Mar 2027, 09:30–10:00"],
        ["15:00–15:30", "Tue 16 Mar 2027, 10:00–10:30"],
        ["15:30–16:00", "Tue 16 Mar 2027, 10:30–11:00"],
        ["16:00–16:30", "Tue 16 Mar 2027, 11:00–11:30"],
        ["16:30–17:00", "Tue 16 Mar 2027, 11:30–12:00"],
    ]
    headers = " ".join(shared.locator("thead").first.inner_text().split())
    assert "Europe/Paris (UTC+01:00)" in headers and "America/New_York (UTC-04:00)" in headers, headers

    # --- meeting requests: Paris -> New York, Seoul -> New York; New York accepts both ---------------------------
    paris.locator("#request-meeting").click()
    paris.get_by_label(label("Message")).fill("Your LiDAR could make our cobots safer. Shall we talk?")
    paris.locator("#send-request").click()
    expect(paris.locator("#outgoing")).to_contain_text("Hudson Photonics")
    expect(paris.get_by_role("status")).to_contain_text("Your meeting request was sent to Hudson Photonics.")
    paris.goto(f"/events/{SLUG}/marketplace")  # asked: no longer suggested
    expect(paris.locator("#results")).to_contain_text("Hudson Photonics")
    expect(paris.locator("#suggestions", has_text="Hudson Photonics")).to_have_count(0)

    seoul.goto(f"/events/{SLUG}/marketplace?region=US")
    seoul.get_by_role("link", name="Hudson Photonics").click()
    # Seoul's clock (UTC+9) and New York's share no 09:00-18:00 working hours on the event day.
    expect(seoul.locator("#no-shared-hours")).to_be_visible()
    seoul.locator("#request-meeting").click()
    seoul.get_by_label(label("Message")).fill("We recycle EV batteries and look for US partners.")
    seoul.locator("#send-request").click()
    expect(seoul.locator("#outgoing")).to_contain_text("Hudson Photonics")

    ny.goto(f"/events/{SLUG}/requests")
    incoming = ny.locator("#incoming")
    expect(incoming).to_contain_text("Your LiDAR could make our cobots safer. Shall we talk?")
    expect(incoming).to_contain_text("local time zone Europe/Paris")
    expect(incoming).to_contain_text("local time zone Asia/Seoul")
    for org in ("Lyon Robotics", "Seoul Mobility"):
        ny.locator("#incoming tr", has_text=org).get_by_role("button", name="Accept").click()
        expect(ny.get_by_role("status")).to_contain_text(f"Meeting with {org} agreed.")
    expect(ny.locator("#agreed tbody tr")).to_have_count(2)
    # New York asks Seoul something before they meet; Seoul sees it as new and answers.
    ny.locator("#agreed tr", has_text="Seoul Mobility").get_by_role("link", name="Messages with Seoul Mobility").click()
    ny.get_by_label(label("Your message")).fill("Which cell chemistries do you recycle?")
    ny.locator("#send-message").click()
    expect(ny.locator("#messages")).to_contain_text("Which cell chemistries do you recycle?")
    seoul.goto(f"/events/{SLUG}/requests")
    seoul.get_by_role("link", name="Messages with Hudson Photonics, 1 new").click()
    expect(seoul.locator("#messages")).to_contain_text("Which cell chemistries do you recycle?")
    seoul.get_by_label(label("Your message")).fill("NMC and LFP.")
    seoul.locator("#send-message").click()
    expect(seoul.locator("#messages li.mine")).to_contain_text("NMC and LFP.")
    # The requesters were told by mail.
    subjects = [m["Subject"] for m in mails()]
    assert subjects.count("EU-Japan-Korea-US tech brokerage: meeting request from Lyon Robotics") == 1, subjects
    assert "EU-Japan-Korea-US tech brokerage: Hudson Photonics accepted your meeting request" in subjects

    # --- availability: one click "working hours" (09:00-18:00 on each person's own clock) ----------------------
    paris.goto(f"/events/{SLUG}/availability")
    expect(paris.locator("#zone-caption")).to_contain_text("Europe/Paris (UTC+01:00)")
    assert availability_labels(paris) == {
        "Tue 16 Mar 2027 · Asia-Europe": ["08:00–08:30", "08:30–09:00", "09:00–09:30", "09:30–10:00",
                                          "10:00–10:30", "10:30–11:00"],
        "Tue 16 Mar 2027 · Europe-Americas": ["14:00–14:30", "14:30–15:00", "15:00–15:30", "15:30–16:00",
                                              "16:00–16:30", "16:30–17:00"],
        "Tue 16 Mar 2027 · Americas-Asia": ["23:00–23:30", "23:30–00:00"],
        "Wed 17 Mar 2027 · Americas-Asia": ["00:00–00:30", "00:30–01:00", "01:00–01:30", "01:30–02:00"],
    }
    paris.locator("#use-working-hours").click()
    expect(paris.get_by_role("status")).to_contain_text(
        "Marked the 10 slots between 09:00 and 18:00 in Europe/Paris.")
    assert checked_labels(paris) == ["09:00–09:30", "09:30–10:00", "10:00–10:30", "10:30–11:00",
                                     "14:00–14:30", "14:30–15:00", "15:00–15:30", "15:30–16:00",
                                     "16:00–16:30", "16:30–17:00"]

    tokyo.goto(f"/events/{SLUG}/availability")
    expect(tokyo.locator("#zone-caption")).to_contain_text("Asia/Tokyo (UTC+09:00)")
    tokyo_groups = availability_labels(tokyo)
    # The 23:00 UTC slot of 16 March is 08:00 on Wednesday 17 March in Tokyo.
    assert tokyo_groups["Wed 17 Mar 2027 · Americas-Asia"] == [
        "07:00–07:30", "07:30–08:00", "08:00–08:30", "08:30–09:00", "09:00–09:30", "09:30–10:00"]
    assert tokyo_groups["Tue 16 Mar 2027 · Asia-Europe"][0] == "16:00–16:30"
    assert tokyo_groups["Tue 16 Mar 2027 · Europe-Americas"] == ["22:00–22:30", "22:30–23:00", "23:00–23:30",
                                                                 "23:30–00:00"]
    assert tokyo_groups["Wed 17 Mar 2027 · Europe-Americas"] == ["00:00–00:30", "00:30–01:00"]
    slot_2300 = slot_id_at(db_do, datetime(2027, 3, 16, 23, 0, tzinfo=UTC))
    expect(tokyo.locator(f"#slot-{slot_2300}")).to_have_attribute("aria-label", "08:00–08:30, Wed 17 Mar 2027: available")
    tokyo.locator("#use-working-hours").click()
    expect(tokyo.get_by_role("status")).to_contain_text("Marked the 6 slots between 09:00 and 18:00 in Asia/Tokyo.")
    assert checked_labels(tokyo) == ["16:00–16:30", "16:30–17:00", "17:00–17:30", "17:30–18:00",
                                     "09:00–09:30", "09:30–10:00"]

    seoul.goto(f"/events/{SLUG}/availability")
    seoul.locator("#use-working-hours").click()
    expect(seoul.get_by_role("status")).to_contain_text("Marked the 6 slots between 09:00 and 18:00 in Asia/Seoul.")

    ny.goto(f"/events/{SLUG}/availability")
    expect(ny.locator("#zone-caption")).to_contain_text("America/New_York (UTC-04:00)")
    ny.locator("#use-working-hours").click()
    expect(ny.get_by_role("status")).to_contain_text(
        "Marked the 6 slots between 09:00 and 18:00 in America/New_York.")
    assert checked_labels(ny) == ["09:00–09:30", "09:30–10:00", "10:00–10:30", "10:30–11:00", "11:00–11:30",
                                  "11:30–12:00"]
    # Keep only 09:00 for Paris and add an evening slot (20:00 New York = 09:00 Seoul next day) for Seoul.
    slot_1300 = slot_id_at(db_do, datetime(2027, 3, 16, 13, 0, tzinfo=UTC))
    slot_0000 = slot_id_at(db_do, datetime(2027, 3, 17, 0, 0, tzinfo=UTC))
    for box in ny.locator("#availability-form input[type=checkbox]").all():
        box.set_checked(box.get_attribute("value") in (str(slot_1300), str(slot_0000)))
    expect(ny.locator(f"#slot-{slot_0000}")).to_have_attribute("aria-label", "20:00–20:30, Tue 16 Mar 2027: available")
    ny.locator("#save-availability").click()
    expect(ny.get_by_role("status")).to_contain_text("Availability saved: 2 slots.")
    assert checked_labels(ny) == ["09:00–09:30", "20:00–20:30"]
    common = ny.locator("#common-slots")
    paris_block = common.locator("article", has_text="Lyon Robotics")
    assert table_rows(paris_block) == [["Tue 16 Mar 2027, 09:00–09:30", "Tue 16 Mar 2027, 14:00–14:30"]]
    seoul_block = common.locator("article", has_text="Seoul Mobility")
    assert table_rows(seoul_block) == [["Tue 16 Mar 2027, 20:00–20:30", "Wed 17 Mar 2027, 09:00–09:30"]]

    # --- the organiser schedules through the solver and publishes ---------------------------------------------
    organiser = new_page("Europe/Brussels")
    log_in(organiser, ORGANISER)
    organiser.goto(f"/organise/{SLUG}/runs")
    organiser.get_by_label(label("Time limit (seconds)")).fill("5")
    organiser.locator("#start-run").click()
    expect(organiser.locator("#run-status")).to_have_text("succeeded", timeout=90_000)  # the page refreshes itself
    expect(organiser.locator("main")).to_contain_text("2 meetings scheduled, 0 unscheduled.")
    organiser.locator("#apply-run").click()
    expect(organiser.locator("#scheduled-count")).to_have_text("2")
    organiser.locator("#publish").click()
    organiser.locator("#confirm-publish").click()
    expect(organiser.locator("#published-state")).to_have_text("Published")

    # --- agendas in each person's local time, naming the partner's local time and zone -------------------------
    paris.goto(f"/events/{SLUG}/agenda")
    expect(paris.locator("#zone-caption")).to_contain_text("times in your time zone, Europe/Paris (UTC+01:00)")
    rows = table_rows(paris.locator("#agenda"))
    assert [r[:3] for r in rows] == [[
        "Tue 16 Mar 2027 14:00–14:30", "Hudson Photonics Ben Carter · US",
        "Tue 16 Mar 2027, 09:00–09:30 America/New_York (UTC-04:00)"]], rows

    ny.goto(f"/events/{SLUG}/agenda")
    rows = table_rows(ny.locator("#agenda"))
    assert [r[:3] for r in rows] == [
        ["Tue 16 Mar 2027 09:00–09:30", "Lyon Robotics Anne Martin · FR",
         "Tue 16 Mar 2027, 14:00–14:30 Europe/Paris (UTC+01:00)"],
        ["Tue 16 Mar 2027 20:00–20:30", "Seoul Mobility Min-ji Kim · KR",
         "Wed 17 Mar 2027, 09:00–09:30 Asia/Seoul (UTC+09:00)"],
    ], rows

    seoul.goto(f"/events/{SLUG}/agenda")
    rows = table_rows(seoul.locator("#agenda"))
    assert [r[:3] for r in rows] == [[
        "Wed 17 Mar 2027 09:00–09:30", "Hudson Photonics Ben Carter · US",
        "Tue 16 Mar 2027, 20:00–20:30 America/New_York (UTC-04:00)"]], rows

    tokyo.goto(f"/events/{SLUG}/agenda")
    expect(tokyo.locator("#no-meetings")).to_be_visible()

    # --- .ics downloads: the local wall time with its TZID, a stable UID, a SEQUENCE ---------------------------
    meeting_link = paris.locator("#agenda a[id^=ics-]")
    first = icalendar.Calendar.from_ical(download(paris, meeting_link))
    second = icalendar.Calendar.from_ical(download(paris, meeting_link))
    event_1, event_2 = first.walk("VEVENT")[0], second.walk("VEVENT")[0]
    start = event_1.decoded("DTSTART")
    assert start == datetime(2027, 3, 16, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert (start.hour, start.minute) == (14, 0)
    assert event_1["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event_1.decoded("DTEND") == datetime(2027, 3, 16, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert [tz["TZID"] for tz in first.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(event_1["UID"]) == str(event_2["UID"]) and str(event_1["UID"])
    assert "SEQUENCE" in event_1 and int(event_1["SEQUENCE"]) >= 0
    assert str(event_1["SUMMARY"]) == "B2B meeting: Hudson Photonics"
    assert "America/New_York (UTC-04:00)" in str(event_1["DESCRIPTION"])

    agenda = icalendar.Calendar.from_ical(download(seoul, seoul.locator("#download-agenda")))
    (seoul_event,) = agenda.walk("VEVENT")
    assert seoul_event["DTSTART"].params["TZID"] == "Asia/Seoul"
    local = seoul_event.decoded("DTSTART")
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2027, 3, 17, 9, 0)
    assert local.astimezone(UTC) == datetime(2027, 3, 17, 0, 0, tzinfo=UTC)

    ny_agenda = icalendar.Calendar.from_ical(download(ny, ny.locator("#download-agenda")))
    starts = sorted((e.decoded("DTSTART"), e["DTSTART"].params["TZID"]) for e in ny_agenda.walk("VEVENT"))
    assert [(s.strftime("%Y-%m-%d %H:%M"), z) for s, z in starts] == [
        ("2027-03-16 09:00", "America/New_York"), ("2027-03-16 20:00", "America/New_York")]
    # The same meeting has the same UID in both participants' calendars.
    ny_uids = {str(e["UID"]) for e in ny_agenda.walk("VEVENT")}
    assert str(event_1["UID"]) in ny_uids and str(seoul_event["UID"]) in ny_uids
    assert not new_page.page_errors, new_page.page_errors


def test_a_table_too_wide_for_a_phone_can_be_scrolled_from_the_keyboard(new_page, live_server, db_do):
    """The event page's meeting windows (UTC, event time, the viewer's time) do not fit 375 px: the box
    they scroll in takes focus, named after its heading, so arrow keys reach the hidden columns."""
    make_event(db_do)
    page = new_page("Asia/Tokyo")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/events/{SLUG}")
    box = page.locator(".overflow-auto", has=page.locator("table")).first
    expect(box).to_have_attribute("tabindex", "0")
    assert box.get_attribute("role") == "region" and box.get_attribute("aria-label")
    page.set_viewport_size({"width": 1280, "height": 800})  # wide enough: no extra tab stop
    expect(box).not_to_have_attribute("tabindex", "0")
    assert not new_page.page_errors

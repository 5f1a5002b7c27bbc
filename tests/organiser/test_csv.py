"""Participants imported from CSV with a preview, and participants, requests and meetings exported as CSV."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from brokerage.extensions import db
from tests.support import post_form

UTC = timezone.utc
SLUG = "eu-asia-us-2027"

CSV_TEXT = """email;name;organisation;country;organisation_type;timezone;sectors;support_office
kenji@osaka-robotics.example;Kenji Sato;Osaka Robotics;jp;SME;;"robotics; AI & data";JETRO Osaka
minji@seoul-bio.example;Minji Park;Seoul Bio;KR;research;Asia/Seoul;biotech;
sam@boston-med.example;Sam Lee;Boston Med;US;large;;medtech;
not-an-email;X;X Corp;DE;sme;;;
anna@berlin.example;Anna;Berlin Tech;ZZ;sme;;;
piet@delft.example;Piet;Delft Labs;NL;startup;;;
kenji@osaka-robotics.example;Kenji again;Osaka Robotics;JP;sme;;;
olga@een-brussels.example;Olga;EEN Brussels;BE;cluster;Mars/Olympus;;
already@registered.example;Al;Already Ltd;FR;sme;;;
;;No Email GmbH;AT;sme;;;
"""


def _preview(console, text):
    return console.post("import", {"csv_text": text})


def _preview_rows(console, text):
    """The preview's row of a CSV line, by line number."""
    page = _preview(console, text).get_data(as_text=True)
    return lambda line: page.split(f'data-row="{line}"')[1].split("</tr>")[0]


def test_fixed_offset_zones_are_refused_and_older_place_names_kept(console):
    """EST is UTC-5 all year: a New York participant given it would see every time an hour off from
    March to November. Asia/Calcutta is Asia/Kolkata's older name, a real place."""
    text = ("email;organisation;country;organisation_type;timezone\n"
            "sam@nyc.example;NYC Med;US;sme;EST\n"
            "kim@gmt.example;Offset Ltd;GB;sme;Etc/GMT-1\n"
            "raj@pune.example;Pune Sensors;IN;sme;Asia/Calcutta\n")
    row = _preview_rows(console, text)
    assert "Time zone &#39;EST&#39; is a fixed UTC offset that ignores summer time" in row(2)
    assert "America/New_York" in row(2)
    assert "Time zone &#39;Etc/GMT-1&#39; is a fixed UTC offset" in row(3) and "Europe/London" in row(3)
    assert 'class="row-ok"' in row(4)


def test_preview_explains_every_row_and_confirm_imports_the_good_ones(app, console, client, add_participant, outbox):
    add_participant("already@registered.example", organisation="Already Ltd", country="FR", timezone="Europe/Paris")
    page = _preview(console, CSV_TEXT).get_data(as_text=True)
    assert '<span id="rows-ok">2</span>' in page and '<span id="rows-with-errors">8</span>' in page
    assert "an empty <code>support_office</code> makes you (EEN Brussels) their support office" in page

    def row(line):
        return page.split(f'data-row="{line}"')[1].split("</tr>")[0]

    assert 'data-row="2" class="row-ok"' in page and 'data-row="3" class="row-ok"' in page
    assert "Give a time zone: US has" in row(4) and "e.g. America/New_York, America/Chicago, America/Los_Angeles" in row(4)
    assert "is not a valid email address" in row(5)
    assert "Unknown country &#39;ZZ&#39;: use its two-letter code (DE, JP, KR, US) or its English name." in row(6)
    assert "Unknown organisation type &#39;startup&#39;" in row(7)
    assert "Duplicate: kenji@osaka-robotics.example is on row 2 already." in row(8)
    assert "Unknown time zone &#39;Mars/Olympus&#39;" in row(9) and "(has an account)" in row(9)
    assert "already@registered.example is registered for this event already." in row(10)
    assert "email is missing." in row(11)
    assert "Import 2 participant(s)" in page
    from brokerage.events.models import Participant
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Participant.id))) == 1  # a preview changes nothing

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    hidden = re.search(r'<input id="csv_text" name="csv_text" type="hidden" value="([^"]*)"', page)
    assert hidden, "the confirm form carries the CSV text"
    response = client.post(console.url("import/confirm"), data={"csrf_token": token.group(1),
                                                                "csv_text": html.unescape(hidden.group(1))},
                           follow_redirects=True)
    assert ("Imported 2 participant(s), approved; 2 new account(s) invited to set a password; "
            "8 row(s) skipped with errors.") in response.get_data(as_text=True)
    with app.app_context():
        people = {p.user.email: p for p in db.session.scalars(db.select(Participant))}
        kenji = people["kenji@osaka-robotics.example"]
        assert (kenji.status, kenji.country, kenji.organisation_type, kenji.timezone, kenji.sectors,
                kenji.support_office, kenji.user.name) == ("approved", "JP", "sme", "Asia/Tokyo", "robotics,ai",
                                                           "JETRO Osaka", "Kenji Sato")
        minji = people["minji@seoul-bio.example"]  # no support office given: the importing organiser's office
        assert (minji.timezone, minji.support_office) == ("Asia/Seoul", "EEN Brussels")
    mails = {m["To"]: m.get_content() for m in outbox()}
    assert "/accounts/reset/" in mails["kenji@osaka-robotics.example"]
    assert "Asia/Tokyo" in mails["kenji@osaka-robotics.example"]
    # The invitation's link sets a password and leads on to the event, not to the home page.
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mails["kenji@osaka-robotics.example"]).group(1)
    kenji_browser = app.test_client()
    done = post_form(kenji_browser, link, {"password": "kenji's secret", "confirm": "kenji's secret"})
    assert done.location == f"/events/{SLUG}"
    assert "Your password is set: welcome." in kenji_browser.get(done.location).get_data(as_text=True)

    # Confirming the same text again imports nobody twice.
    response = client.post(console.url("import/confirm"), data={"csrf_token": token.group(1),
                                                                "csv_text": html.unescape(hidden.group(1))},
                           follow_redirects=True)
    assert ("Nothing imported: 3 participant(s) of this CSV are registered already (sent twice?); "
            "7 row(s) have other errors.") in response.get_data(as_text=True)


def test_countries_may_be_named_as_spreadsheets_hold_them(console):
    text = ("email,organisation,country,organisation_type,timezone\n"
            "a@x.example,A,Germany,sme,\n" "b@x.example,B,south korea,sme,\n" "c@x.example,C,Türkiye,sme,\n"
            "d@x.example,D,USA,sme,America/Chicago\n" "e@x.example,E,Japan ,sme,\n")
    page = _preview(console, text).get_data(as_text=True)
    assert '<span id="rows-ok">5</span>' in page, page
    for line, (code, zone) in enumerate((("DE", "Europe/Berlin"), ("KR", "Asia/Seoul"), ("TR", "Europe/Istanbul"),
                                         ("US", "America/Chicago"), ("JP", "Asia/Tokyo")), start=2):
        row = page.split(f'data-row="{line}"')[1].split("</tr>")[0]
        assert f">{code}<" in row.replace(" ", "") and zone in row, row


def test_an_import_sent_twice_at_once_registers_each_person_once(app, console, client, outbox, monkeypatch):
    """The second click's rows were checked before the first click registered them: they are skipped, not a 500."""
    from brokerage.events.models import Participant
    from brokerage.organiser import csv_io, views
    text = ("email,name,organisation,country,organisation_type,timezone,sectors\n"
            "kenji@osaka-robotics.example,Kenji,Osaka Robotics,JP,sme,Asia/Tokyo,robotics\n")
    real = csv_io.parse_participants

    def checked_then_registered_by_the_other_click(*args):
        rows = real(*args)
        with app.app_context():  # what the first click did meanwhile
            user = views._invite_new_user("kenji@osaka-robotics.example", "Kenji")
            db.session.add(Participant(event_id=db.session.scalar(db.select(views.Event.id)), user_id=user.id,
                                       status="approved", organisation="Osaka Robotics", country="JP",
                                       organisation_type="sme", timezone="Asia/Tokyo", sectors="robotics"))
            db.session.commit()
        return rows

    monkeypatch.setattr(views.csv_io, "parse_participants", checked_then_registered_by_the_other_click)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(console.url("import")).get_data(as_text=True)).group(1)
    response = client.post(console.url("import/confirm"), data={"csrf_token": token, "csv_text": text},
                           follow_redirects=True)
    assert response.status_code == 200 and "registered already (sent twice?)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Participant.id))) == 1


def test_existing_users_are_registered_without_a_password_link(app, console, client, outbox, auth):
    auth.logout()
    auth.signup("kenji@osaka-robotics.example", name="Kenji")
    auth.logout()
    auth.login("olga@een-brussels.example")
    text = "Email,Organisation,Country,Organisation Type,Website\nkenji@osaka-robotics.example,Osaka Robotics,JP,sme,osaka-robotics.example\n"
    page = _preview(console, text).get_data(as_text=True)
    assert "<td>Kenji</td>" in page  # the account's own name, which the import keeps
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(console.url("import/confirm"), data={"csrf_token": token, "csv_text": text})
    mail = outbox()[-1]
    assert mail["To"] == "kenji@osaka-robotics.example" and "/accounts/reset/" not in mail.get_content()
    from brokerage.events.models import Participant
    with app.app_context():
        person = db.session.scalar(db.select(Participant))
        assert (person.status, person.website, person.timezone) == ("approved", "https://osaka-robotics.example", "Asia/Tokyo")


def test_a_website_too_long_once_https_is_added_is_refused_in_the_preview(console):
    website = "a" * 287 + ".example"  # 295 characters, 303 with https://
    text = f"Email,Organisation,Country,Organisation Type,Website\nkenji@osaka.example,Osaka Robotics,JP,sme,{website}\n"
    page = _preview(console, text).get_data(as_text=True)
    assert "website is longer than 300 characters." in page


def test_line_breaks_in_cells_stay_only_in_the_description(app, console, client, outbox):
    # Excel writes Alt+Enter as a line break inside a quoted cell.
    text = ('email,name,organisation,country,organisation_type,description\n'
            'kenji@osaka-robotics.example,"Kenji\nSato","Osaka\r\nRobotics",JP,sme,"Arms.\nGrippers."\n')
    page = _preview(console, text).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(console.url("import/confirm"), data={"csrf_token": token, "csv_text": text})
    from brokerage.events.models import Participant
    with app.app_context():
        person = db.session.scalar(db.select(Participant))
        assert (person.organisation, person.user.name, person.description) == (
            "Osaka Robotics", "Kenji Sato", "Arms.\nGrippers.")
    assert outbox()[-1]["To"] == "kenji@osaka-robotics.example"


def test_file_upload_and_problems_with_the_whole_file(console, client, post):
    good = "email,organisation,country,organisation_type\nminji@seoul-bio.example,Seoul Bio,KR,research\n"
    response = post(client, console.url("import"), {"csv_file": (io.BytesIO(("\ufeff" + good).encode()), "people.csv")},
                    content_type="multipart/form-data")
    assert '<span id="rows-ok">1</span>' in response.get_data(as_text=True)
    for text, message in [("", "The CSV is empty"), ("name,country\nX,JP\n", "Missing column(s): email, organisation, organisation_type"),
                          ("email,organisation,country,organisation_type\n", "header line but no participants"),
                          ("a\x00b", "NUL characters")]:
        assert message in _preview(console, text).get_data(as_text=True), message
    latin1 = post(client, console.url("import"), {"csv_file": (io.BytesIO("email\nJosé".encode("latin-1")), "x.csv")},
                  content_type="multipart/form-data")
    assert "save it as &#39;CSV UTF-8&#39;" in latin1.get_data(as_text=True)
    # A tampered confirmation is re-checked, never trusted.
    page = _preview(console, good).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(console.url("import/confirm"), data={"csrf_token": token, "csv_text": "nonsense"}).status_code == 400
    assert client.post(console.url("import/confirm"), data={"csv_text": good}).status_code == 400  # no CSRF token


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=6),
                  max_size=5).map(lambda rows: "email,organisation,country,organisation_type,timezone\n"
                                  + "\n".join(",".join(r) for r in rows)))
def test_arbitrary_csv_text_never_fails(console, client, text):
    page = _preview(console, text)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(console.url("import/confirm"), data={"csrf_token": token, "csv_text": text}).status_code in (302, 400)


def _rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_exports_name_their_time_zones_and_defuse_formulas(app, console, client, add_participant, monkeypatch):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="=HYPERLINK(\"http://evil\")", status="approved",
                            organiser_notes="+call him")
    minji = add_participant("minji@seoul-bio.example", organisation="Seoul Bio", country="KR", timezone="Asia/Seoul",
                            status="approved", organiser_notes="Corvina;=HYPERLINK(1)")
    console.post("windows", {"label": "Asia-Europe", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "10:00"})
    from brokerage.events.models import Slot
    from brokerage.meetings.models import Meeting, MeetingRequest
    with app.app_context():
        slot = db.session.scalars(db.select(Slot).order_by(Slot.start)).first()
        request = MeetingRequest(event_id=slot.event_id, requester_id=kenji, recipient_id=minji, status="accepted",
                                 message="@SUM(A1)", created_at=datetime(2027, 3, 1, 9, 30, tzinfo=UTC))
        db.session.add(request)
        db.session.add(Meeting(event_id=slot.event_id, request=request, slot=slot))
        db.session.commit()

    response = client.get(console.url("export/participants.csv"))
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-participants.csv"'
    people = _rows(response)
    # Excel set to ";" (French, German) splits cells there: no piece may start a formula.
    pieces = [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter=";") for cell in row]
    assert "Corvina" in " ".join(pieces) and not any(cell.lstrip().startswith(("=", "+", "@")) for cell in pieces)
    assert people[0]["organisation"] == "'=HYPERLINK(\"http://evil\")" and people[0]["organiser_notes"] == "'+call him"
    assert people[1]["timezone"] == "Asia/Seoul" and people[1]["region"] == "KR"

    requests = _rows(client.get(console.url("export/requests.csv")))
    assert requests[0]["message"] == "'@SUM(A1)" and requests[0]["created_utc"] == "2027-03-01T09:30:00Z"
    assert requests[0]["created_event_time (Europe/Brussels)"] == "2027-03-01T10:30:00+01:00"

    meetings = _rows(client.get(console.url("export/meetings.csv")))
    assert meetings[0]["state"] == "scheduled" and meetings[0]["start_utc"] == "2027-03-16T07:00:00Z"
    assert meetings[0]["start_event_time (Europe/Brussels)"] == "2027-03-16T08:00:00+01:00"
    assert meetings[0]["participant_b"] == "Seoul Bio" and meetings[0]["video_link"].startswith("https://meet.jit.si/")
    assert client.get(console.url("export/passwords.csv")).status_code == 404
    # Held as announced (07:00-07:20), then the slots grew to 25 minutes: the export keeps the end it had.
    with app.app_context():
        meeting = db.session.scalar(db.select(Meeting))
        meeting.published_slot_id, meeting.published_end = meeting.slot_id, datetime(2027, 3, 16, 7, 20, tzinfo=UTC)
        meeting.slot.end = datetime(2027, 3, 16, 7, 25, tzinfo=UTC)
        db.session.commit()
    import brokerage.organiser.csv_io as csv_io
    for now, end in ((datetime(2027, 3, 16, 6, 0, tzinfo=UTC), "2027-03-16T07:25:00Z"),  # not yet held: the new end
                     (datetime(2027, 3, 16, 9, 0, tzinfo=UTC), "2027-03-16T07:20:00Z")):
        monkeypatch.setattr(csv_io, "now_utc", lambda: now)
        assert _rows(client.get(console.url("export/meetings.csv")))[0]["end_utc"] == end


def test_an_exported_participant_list_imports_into_another_event(app, console, client, add_participant, create_event):
    # Quotes and a comma in a value: the export doubles the quotes, as spreadsheets do, and the import reads them.
    add_participant("kenji@osaka-robotics.example", organisation='Müller "Präzision" GmbH, Werk 2', status="approved")
    exported = client.get(console.url("export/participants.csv")).get_data(as_text=True)
    create_event(slug="autumn-2027", start_date="2027-10-05", end_date="2027-10-06")
    page = client.post("/organise/autumn-2027/import", data={
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                client.get("/organise/autumn-2027/import").get_data(as_text=True)).group(1),
        "csv_text": exported}).get_data(as_text=True)
    assert '<span id="rows-ok">1</span>' in page and "Müller &#34;Präzision&#34; GmbH, Werk 2" in page


def test_rows_the_profile_form_would_refuse_are_refused(console):
    text = ("email;organisation;country;organisation_type;timezone;website\n"
            "a@acme.example;Acme\x07 GmbH;DE;sme;Europe/Berlin;\n"
            "b@acme.example;Acme Two;DE;sme;Europe/Berlin;www.acme example.com\n")
    row = _preview_rows(console, text)
    assert "organisation contains invisible control characters." in row(2)
    assert "is not a full web address" in row(3)


def test_a_big_upload_is_called_big_even_when_cut_inside_a_character(console):
    """1 MB + 1 byte read from a file of Japanese names ends inside a character: size first, not 'not UTF-8'."""
    line = "x@y.example;株式会社" + "あ" * 100 + ";JP;sme;Asia/Tokyo\n"
    text = "email;organisation;country;organisation_type;timezone\n" + "a" + line * 3300
    try:
        text.encode()[:1_000_001].decode()
        raise AssertionError("the test's cut must fall inside a character")
    except UnicodeDecodeError:
        pass
    response = console.post("import", {"csv_file": (io.BytesIO(text.encode()), "big.csv"), "csv_text": ""},
                            content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "larger than 1 MB" in page and "not UTF-8" not in page


def test_a_pasted_csv_near_the_limit_gets_a_preview(console):
    """Werkzeug takes 500 kB of form text by default; the importer takes 1 MB."""
    rows = "".join(f"u{i}@ex.example;Org {i} {'D' * 400};FR;sme;Europe/Paris\n" for i in range(1500))
    text = "email;organisation;country;organisation_type;timezone\n" + rows
    response = console.post("import", {"csv_text": text, "csv_file": (io.BytesIO(b""), "")},
                            content_type="multipart/form-data")
    assert response.status_code == 200 and "organisation is longer than 200 characters." in response.get_data(as_text=True)


def test_meetings_export_rows_column_by_column(app, console, client, add_participant, create_event):
    """Every column of the meetings export: working and published slots (which may differ), locked, cancelled
    meetings (also those of someone who left: Boston Med) with their reason, both video modes, and each side's
    outcome. Only this event's meetings, by id."""
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics", status="approved",
                            video_link="https://zoom.example/kenji")
    minji = add_participant("minji@seoul-bio.example", organisation="Seoul Bio", country="KR", timezone="Asia/Seoul",
                            status="approved")
    sam = add_participant("sam@boston-med.example", organisation="Boston Med", country="US",
                          timezone="America/New_York", status="withdrawn", video_link="https://zoom.example/sam")
    console.post("windows", {"label": "Asia-Europe", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "10:00"})
    create_event(slug="autumn-2027", start_date="2027-10-05", end_date="2027-10-06")
    elsewhere = [add_participant(email, slug="autumn-2027", status="approved")
                 for email in ("kenji@osaka-robotics.example", "minji@seoul-bio.example")]
    from brokerage.events.models import Event, Slot
    from brokerage.meetings.models import Meeting, MeetingRequest
    with app.app_context():
        first, second, third = db.session.scalars(db.select(Slot).order_by(Slot.start)).all()[:3]
        event_id, other_id = first.event_id, db.session.scalar(db.select(Event.id).filter_by(slug="autumn-2027"))

        def meeting(event, requester, recipient, status="accepted", **fields):
            request = MeetingRequest(event_id=event, requester_id=requester, recipient_id=recipient, status=status)
            db.session.add(Meeting(event_id=event, request=request, **fields))
            db.session.flush()
            return request.id

        requests = [meeting(event_id, kenji, minji, slot=second, published_slot=first, locked=True),
                    meeting(event_id, minji, sam, unscheduled_reason="-no common free slot"),
                    meeting(other_id, *elsewhere),
                    meeting(event_id, sam, kenji, status="cancelled", slot=third, published_slot=third, cancelled=True)]
        db.session.commit()
        ids = [m.id for m in db.session.scalars(db.select(Meeting).order_by(Meeting.id))]
        from brokerage.meetings.models import MeetingOutcome
        db.session.add(MeetingOutcome(meeting_id=ids[0], participant_id=minji, rating="cooperation_possible",
                                      follow_up="negotiation"))  # Seoul Bio's account; Osaka's is not in yet
        db.session.commit()

    def export():
        text = client.get(console.url("export/meetings.csv")).get_data(as_text=True)
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))

    def room(meeting_id):
        from brokerage.meetings.services import meeting_room
        with app.app_context():
            return f"https://meet.jit.si/{SLUG}-{meeting_room(meeting_id, db.session.get(Meeting, meeting_id).uid)}"

    header, *rows = export()
    assert header == [
        "id", "request_id", "participant_a", "participant_a_email", "participant_b", "participant_b_email", "state",
        "start_utc", "end_utc", "start_event_time (Europe/Brussels)", "end_event_time (Europe/Brussels)",
        "published_start_utc", "published_start_event_time (Europe/Brussels)", "locked", "video_link",
        "unscheduled_reason", "rating_a", "follow_up_a", "rating_b", "follow_up_b", "entered_by_a", "entered_by_b"]
    assert rows == [
        [str(ids[0]), str(requests[0]), "Osaka Robotics", "kenji@osaka-robotics.example", "Seoul Bio",
         "minji@seoul-bio.example", "scheduled", "2027-03-16T07:25:00Z", "2027-03-16T07:45:00Z",
         "2027-03-16T08:25:00+01:00", "2027-03-16T08:45:00+01:00", "2027-03-16T07:00:00Z",
         "2027-03-16T08:00:00+01:00", "yes", room(ids[0]), "", "", "",
         "cooperation_possible", "negotiation", "", "participant"],
        [str(ids[1]), str(requests[1]), "Seoul Bio", "minji@seoul-bio.example", "Boston Med",
         "sam@boston-med.example", "cancelled", "", "", "", "", "", "", "no", room(ids[1]),
         "'-no common free slot", "", "", "", "", "", ""],
        [str(ids[3]), str(requests[3]), "Boston Med", "sam@boston-med.example", "Osaka Robotics",
         "kenji@osaka-robotics.example", "cancelled", "2027-03-16T07:50:00Z", "2027-03-16T08:10:00Z",
         "2027-03-16T08:50:00+01:00", "2027-03-16T09:10:00+01:00", "2027-03-16T07:50:00Z",
         "2027-03-16T08:50:00+01:00", "no", room(ids[3]), "", "", "", "", "", "", ""],
    ]
    # Participants' own rooms: the requester's link, else the recipient's.
    with app.app_context():
        db.session.get(Event, event_id).video_mode = "participant"
        db.session.commit()
    assert [row[14] for row in export()[1:]] == ["https://zoom.example/kenji", "https://zoom.example/sam",
                                                 "https://zoom.example/sam"]

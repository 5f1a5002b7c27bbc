"""Organisers mail a group of participants: they see who gets it and how it reads first, each gets one mail
with replies to the organiser, and refused mails can be sent again."""
from __future__ import annotations

import re

from brokerage.extensions import db

MAIL = {"audience": "approved", "office": "", "subject": "Book your meetings by Friday",
        "body": "Dear all,\n\nthe booking closes on Friday at 17:00 Brussels time."}


def _group(app, console, add_participant):
    """Five people: two approved in an agreed meeting (one with availability), one approved and idle, one
    pending, one rejected; Kenji came through JETRO."""
    from brokerage.events.models import Availability, Event, MeetingWindow, Slot
    from brokerage.events.slots import rebuild_slots
    from brokerage.meetings.models import Meeting, MeetingRequest
    ids = {
        "anne": add_participant("anne@paris.example", status="approved", organisation="Paris Photonics", country="FR",
                                timezone="Europe/Paris"),
        "kenji": add_participant("kenji@tokyo.example", status="approved", organisation="Tokyo Robotics",
                                 support_office="JETRO"),
        "idle": add_participant("ida@idle.example", status="approved", organisation="Idle Industries"),
        "pending": add_participant("pia@wait.example", status="pending", organisation="Pending Pumps"),
        "rejected": add_participant("rob@no.example", status="rejected", organisation="Rejected Robots"),
    }
    with app.app_context():
        from datetime import datetime, timezone
        event = db.session.scalar(db.select(Event))
        event.windows.append(MeetingWindow(label="Asia-Europe", start=datetime(2027, 3, 16, 7, tzinfo=timezone.utc),
                                           end=datetime(2027, 3, 16, 8, tzinfo=timezone.utc)))
        db.session.flush()
        rebuild_slots(event)
        request = MeetingRequest(event_id=event.id, requester_id=ids["anne"], recipient_id=ids["kenji"],
                                 status="accepted", message="Hi")
        db.session.add_all([request, Meeting(event_id=event.id, request=request)])
        db.session.add(Availability(participant_id=ids["anne"], slot_id=db.session.scalar(db.select(Slot.id))))
        db.session.commit()
    return ids


def _sent_from(page) -> dict:
    """The preview's hidden fields: who it showed, and its one-time key."""
    return {name: re.search(rf'name="{name}" type="hidden" value="([0-9a-f]+)"', page).group(1)
            for name in ("expected", "token")}


def _names(page):
    return page.split('id="recipient-names">', 1)[1].split("</p>", 1)[0]


def test_each_group_is_who_it_says(app, console, add_participant):
    _group(app, console, add_participant)
    expected = {
        "approved": "Idle Industries, Paris Photonics, Tokyo Robotics.",
        "no-requests": "Idle Industries.",
        "no-availability": "Tokyo Robotics.",
        "agreed": "Paris Photonics, Tokyo Robotics.",
        "pending": "Pending Pumps.",
    }
    for audience, names in expected.items():
        page = console.post("mail", {**MAIL, "audience": audience, "preview": "1"}).get_data(as_text=True)
        assert _names(page) == names, audience
    page = console.post("mail", {**MAIL, "office": "JETRO", "preview": "1"}).get_data(as_text=True)
    assert _names(page) == "Tokyo Robotics."
    page = console.post("mail", {**MAIL, "office": "(none)", "preview": "1"}).get_data(as_text=True)
    assert _names(page) == "Idle Industries, Paris Photonics."


def test_preview_first_then_one_mail_each_with_replies_to_the_organiser(app, console, add_participant, outbox):
    _group(app, console, add_participant)
    page = console.post("mail", {**MAIL, "preview": "1"}).get_data(as_text=True)
    assert outbox() == [] and "3 participant(s) will get it" in page
    assert 'id="preview-to">ida@idle.example<' in page and "Reply-To: olga@een-brussels.example" in page
    assert "Hello Ida,\n\nDear all,\n\nthe booking closes on Friday at 17:00 Brussels time." in page
    assert "— Olga Organiser, EEN Brussels, for the organisers of EU-Japan-Korea-US tech brokerage" in page
    shown = _sent_from(page)
    sent = console.post("mail", {**MAIL, "send": "1", **shown}, form_path="mail", follow_redirects=True)
    assert "is being sent to 3 participant(s)" in sent.get_data(as_text=True)
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {"anne@paris.example", "kenji@tokyo.example", "ida@idle.example"}
    kenji = mails["kenji@tokyo.example"]
    assert kenji["Subject"] == "EU-Japan-Korea-US tech brokerage: Book your meetings by Friday"
    assert kenji["Reply-To"] == "olga@een-brussels.example" and kenji.get_content().startswith("Hello Kenji,")
    # The same preview sent again (a double click, a second tab) goes out once; the history says how it went.
    console.post("mail", {**MAIL, "send": "1", **shown}, form_path="mail")
    assert len(outbox()) == 3
    history = console.client.get(console.url("mail")).get_data(as_text=True)
    assert "Book your meetings by Friday" in history and 'id="sent-1">3</span> sent' in history


def test_nothing_is_sent_without_a_preview_of_the_group_as_it_is(app, console, add_participant, outbox):
    ids = _group(app, console, add_participant)
    shown = _sent_from(console.post("mail", {**MAIL, "preview": "1"}).get_data(as_text=True))
    # Same size, other people: Ida leaves the group, Pia joins it.
    console.post(f"participants/{ids['idle']}/status", {"status": "rejected"}, form_path="participants")
    console.post(f"participants/{ids['pending']}/status", {"status": "approved"}, form_path="participants")
    before = len(outbox())  # the decision mails
    page = console.post("mail", {**MAIL, "send": "1", **shown}).get_data(as_text=True)
    assert len(outbox()) == before and "The group changed since your preview: it has 3 participant(s) now" in page
    assert "Pending Pumps" in _names(page) and 'id="send-mail"' in page
    page = console.post("mail", {**MAIL, "send": "1"}).get_data(as_text=True)  # no preview at all
    assert len(outbox()) == before and "3 participant(s) will get it" in page


def test_bad_input_is_explained_and_kept(app, console, add_participant, outbox):
    _group(app, console, add_participant)
    response = console.post("mail", {**MAIL, "subject": "  ", "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Give the mail a subject." in page and "the booking closes on Friday" in page
    page = console.post("mail", {**MAIL, "audience": "everyone-on-earth", "preview": "1"}).get_data(as_text=True)
    assert "Choose a group from the list." in page
    page = console.post("mail", {**MAIL, "office": "EEN Atlantis", "preview": "1"}).get_data(as_text=True)
    assert "Choose a support office from the list." in page
    empty = console.post("mail", {**MAIL, "office": "JETRO", "audience": "no-requests", "preview": "1"})
    assert "Nobody is in this group today" in empty.get_data(as_text=True)
    assert outbox() == []


def test_refused_mails_are_listed_and_sent_again(app, console, add_participant, outbox, monkeypatch):
    from brokerage import mail as mail_module
    _group(app, console, add_participant)
    real = mail_module.send

    def refuse_kenji(message):
        if message.to == "kenji@tokyo.example":
            raise OSError("mailbox full")
        return real(message)
    monkeypatch.setattr(mail_module, "send", refuse_kenji)
    page = console.post("mail", {**MAIL, "preview": "1"}).get_data(as_text=True)
    console.post("mail", {**MAIL, "send": "1", **_sent_from(page)}, form_path="mail")
    assert len(outbox()) == 2  # once the background job is done
    history = console.client.get(console.url("mail")).get_data(as_text=True)
    assert "1 refused" in history and "kenji@tokyo.example: mailbox full" in history
    monkeypatch.setattr(mail_module, "send", real)
    done = console.post("mail/1/retry", {}, form_path="mail", follow_redirects=True).get_data(as_text=True)
    assert "Sending 1 mail(s) again." in done
    assert sorted(m["To"] for m in outbox()) == ["anne@paris.example", "ida@idle.example", "kenji@tokyo.example"]


def test_someone_who_leaves_the_group_before_their_turn_gets_nothing(app, console, add_participant, outbox,
                                                                     monkeypatch):
    """2,000 mails take a while: a participant rejected meanwhile is skipped, and a process that stopped
    leaves its mails to "send again"."""
    from brokerage import mail_queue
    from brokerage.organiser import announcements
    from brokerage.scheduling import jobs
    ids = _group(app, console, add_participant)
    shown = _sent_from(console.post("mail", {**MAIL, "preview": "1"}).get_data(as_text=True))
    monkeypatch.setattr(jobs, "in_background", lambda *args: None)  # the process stops before sending
    console.post("mail", {**MAIL, "send": "1", **shown}, form_path="mail")
    monkeypatch.undo()
    console.post(f"participants/{ids['idle']}/status", {"status": "rejected"}, form_path="participants")
    history = console.client.get(console.url("mail")).get_data(as_text=True)
    assert "3 being sent" in history
    done = console.post("mail/1/retry", {}, form_path="mail", follow_redirects=True).get_data(as_text=True)
    assert "No mail of it was refused or stuck." in done  # nothing refused, but the waiting ones go out now
    sent = [m["To"] for m in outbox() if m["Subject"].endswith("Book your meetings by Friday")]
    assert sorted(sent) == ["anne@paris.example", "kenji@tokyo.example"]
    assert "1 not sent: no longer in the group" in console.client.get(console.url("mail")).get_data(as_text=True)
    assert mail_queue.RENEW_SECONDS * 5 < announcements.STALE_SENDING.total_seconds()


def test_a_slow_mail_server_does_not_make_the_rest_of_a_batch_look_stuck(app, console, add_participant, outbox,
                                                                         monkeypatch):
    """Claimed mails not yet sent renew their claim while earlier ones crawl out, so "send again" never takes
    them for abandoned and mails them twice."""
    import time
    from brokerage import mail as mail_module
    from brokerage import mail_queue
    from brokerage.organiser import announcements
    _group(app, console, add_participant)
    claims, real = [], mail_module.send

    def slow(message):
        with db.engine.connect() as connection:  # what another process sees of the last mail's claim
            claims.append(connection.execute(db.select(announcements.AnnouncementMail.sent_at).order_by(
                announcements.AnnouncementMail.id.desc()).limit(1)).scalar())
        time.sleep(0.05)
        return real(message)
    monkeypatch.setattr(mail_module, "send", slow)
    monkeypatch.setattr(mail_queue, "RENEW_SECONDS", 0.01)
    shown = _sent_from(console.post("mail", {**MAIL, "preview": "1"}).get_data(as_text=True))
    console.post("mail", {**MAIL, "send": "1", **shown}, form_path="mail")
    assert len(outbox()) == 3
    assert claims[0] < claims[1] < claims[2]  # renewed before each mail


def test_the_dashboard_leads_to_a_mail_for_those_without_availability(app, console, add_participant):
    _group(app, console, add_participant)
    dashboard = console.client.get(console.url("")).get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="mail-unmarked"', dashboard).group(1)
    page = console.client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert '<option selected value="no-availability">' in page
    assert 'id="mail-idle"' in dashboard

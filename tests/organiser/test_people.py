"""People: approving registrations, the organising team, support offices and private notes."""
from __future__ import annotations

import re

from brokerage.extensions import db

SLUG = "eu-asia-us-2027"


def _status(app, participant_id):
    from brokerage.events.models import Participant
    with app.app_context():
        return db.session.get(Participant, participant_id).status


def test_participant_list_filters_and_counts(console, client, add_participant):
    add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics")
    add_participant("minji@seoul-bio.example", organisation="Seoul Bio", country="KR", timezone="Asia/Seoul",
                    status="approved")
    add_participant("sam@boston-med.example", organisation="Boston Med", country="US",
                    timezone="America/New_York", status="rejected")
    page = client.get(console.url("participants")).get_data(as_text=True)
    assert all(name in page for name in ("Osaka Robotics", "Seoul Bio", "Boston Med"))
    assert "All (3)" in page and '<span data-count="pending">1</span>' in page
    assert "event time, Europe/Brussels" in page
    pending = client.get(console.url("participants?status=pending")).get_data(as_text=True)
    assert "Osaka Robotics" in pending and "Seoul Bio" not in pending and "Boston Med" not in pending
    dashboard = client.get(console.url()).get_data(as_text=True)
    for status, count in (("pending", 1), ("approved", 1), ("rejected", 1)):
        assert f'<td data-status="{status}">{count}</td>' in dashboard
    assert '<td data-region="KR">1</td>' in dashboard and '<td data-region="JP">0</td>' in dashboard  # approved only
    # An unknown filter shows everyone rather than failing.
    assert "Boston Med" in client.get(console.url("participants?status=<script>")).get_data(as_text=True)


def test_participant_list_search_and_support_office(app, console, client, add_participant):
    add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics", support_office="JETRO Osaka")
    add_participant("minji@seoul-bio.example", organisation="Seoul Bio", country="KR", timezone="Asia/Seoul",
                    status="approved", support_office="KIAT Seoul")
    add_participant("sam@boston-med.example", organisation="Boston Med 100%", country="US",
                    timezone="America/New_York")

    def found(query: str) -> list[str]:
        page = client.get(console.url(f"participants?{query}")).get_data(as_text=True)
        return re.findall(r'/participants/\d+">([^<]+)</a></td>', page)

    assert found("q=osaka") == ["Osaka Robotics"]
    assert found("q=SEOUL-BIO.example") == ["Seoul Bio"]  # the contact's e-mail, any case
    assert found("q=us") == found("q=United+States") == ["Boston Med 100%"]  # the country, by code or name
    assert found("q=100%25") == ["Boston Med 100%"] and found("q=_") == []  # % and _ are plain characters
    assert found("office=KIAT+Seoul") == ["Seoul Bio"]
    assert found("office=(none)") == ["Boston Med 100%"]
    assert found("office=KIAT+Seoul&status=pending") == []
    page = client.get(console.url("participants?q=nobody")).get_data(as_text=True)
    assert "No participant matches this search." in page and ">JETRO Osaka</option>" in page


def test_approval_opens_the_marketplace_and_rejection_closes_it(app, console, client, auth, add_participant, outbox):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics")
    auth.logout()
    auth.login("kenji@osaka-robotics.example")
    assert client.get(f"/events/{SLUG}/marketplace").status_code == 403
    auth.logout()
    auth.login("olga@een-brussels.example")

    response = console.post(f"participants/{kenji}/status", {"status": "approved"}, form_path="participants",
                            follow_redirects=True)
    assert "Osaka Robotics is approved." in response.get_data(as_text=True)
    assert _status(app, kenji) == "approved"
    message = outbox()[-1]
    assert message["To"] == "kenji@osaka-robotics.example" and "is approved" in message.get_content()

    auth.logout()
    auth.login("kenji@osaka-robotics.example")
    assert client.get(f"/events/{SLUG}/marketplace").status_code == 200
    auth.logout()
    auth.login("olga@een-brussels.example")
    console.post(f"participants/{kenji}/status", {"status": "rejected"}, form_path="participants")
    assert _status(app, kenji) == "rejected"
    message = outbox()[-1]  # a reply reaches the organiser who decided
    assert message["Reply-To"] == "olga@een-brussels.example" and "reply to this mail" in message.get_content()
    auth.logout()
    auth.login("kenji@osaka-robotics.example")
    assert client.get(f"/events/{SLUG}/marketplace").status_code == 403


def test_approve_all_pending(app, console, client, add_participant, outbox):
    ids = [add_participant(f"p{n}@sme.example") for n in range(3)]
    rejected = add_participant("no@sme.example", status="rejected")
    page = client.get(console.url("participants")).get_data(as_text=True)
    assert "Approve all 3 pending" in page
    response = console.post("participants/approve-pending", {}, form_path="participants", follow_redirects=True)
    assert "3 pending participant(s) approved." in response.get_data(as_text=True)
    assert [_status(app, i) for i in ids] == ["approved"] * 3 and _status(app, rejected) == "rejected"
    assert sorted(m["To"] for m in outbox()) == [f"p{n}@sme.example" for n in range(3)]


def test_bad_decisions_and_other_events_ids(app, console, client, make_event, add_participant):
    kenji = add_participant("kenji@osaka-robotics.example")
    assert console.post(f"participants/{kenji}/status", {"status": "promoted"}, form_path="participants").status_code == 400
    make_event(slug="someone-elses")
    stranger = add_participant("eve@elsewhere.example", slug="someone-elses")
    # Another event's participant is not found through this event's console.
    assert console.post(f"participants/{stranger}/status", {"status": "approved"},
                        form_path="participants").status_code == 404
    assert client.get(console.url(f"participants/{stranger}")).status_code == 404
    assert client.get(console.url("participants/999999")).status_code == 404
    assert _status(app, stranger) == "pending"
    # A crafted redirect target is ignored.
    response = console.post(f"participants/{kenji}/status", {"status": "approved", "back": "https://evil.example/"},
                            form_path="participants")
    assert response.headers["Location"].endswith(console.url("participants"))


def test_organiser_notes_and_support_office_stay_with_the_organisers(app, console, client, auth, add_participant):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics", status="approved")
    add_participant("minji@seoul-bio.example", organisation="Seoul Bio", country="KR", timezone="Asia/Seoul",
                    status="approved")
    form = client.get(console.url(f"participants/{kenji}")).get_data(as_text=True)
    assert '<option value="EEN Brussels">' in form  # the team's organisations are offered
    response = console.post(f"participants/{kenji}", {"support_office": "JETRO Osaka",
                                                      "organiser_notes": "Prefers mornings; CONFIDENTIAL-NOTE-42"},
                            follow_redirects=True)
    assert "Support office and notes saved." in response.get_data(as_text=True)
    from brokerage.events.models import Participant
    with app.app_context():
        person = db.session.get(Participant, kenji)
        assert (person.support_office, person.organiser_notes) == ("JETRO Osaka", "Prefers mornings; CONFIDENTIAL-NOTE-42")
    long = console.post(f"participants/{kenji}", {"support_office": "x" * 201, "organiser_notes": "kept text"})
    page = long.get_data(as_text=True)
    assert "Field cannot be longer than 200 characters." in page and "kept text" in page

    # Neither the participant nor another participant sees the notes anywhere.
    for email in ("kenji@osaka-robotics.example", "minji@seoul-bio.example"):
        auth.logout()
        auth.login(email)
        for url in (f"/events/{SLUG}", f"/events/{SLUG}/profile", f"/events/{SLUG}/marketplace",
                    f"/events/{SLUG}/marketplace/{kenji}", f"/events/{SLUG}/agenda"):
            response = client.get(url)
            assert response.status_code in (200, 302), url
            assert "CONFIDENTIAL-NOTE-42" not in response.get_data(as_text=True), url
        assert client.get(console.url(f"participants/{kenji}")).status_code == 403


def _invite_link(message) -> str:
    return re.search(r"http://localhost(/accounts/reset/\S+)", message.get_content()).group(1)


def test_co_organiser_with_a_new_account_is_invited_and_manages_participants_only(
        app, console, client, auth, add_participant, outbox, post):
    kenji = add_participant("kenji@osaka-robotics.example", organisation="Osaka Robotics")
    response = console.post("team", {"email": "Yuki@JETRO.example", "name": "Yuki Tanaka",
                                     "organisation": "JETRO Osaka", "role": "co_organiser"}, follow_redirects=True)
    assert "yuki@jetro.example joined the team as co-organiser and got an invitation" in response.get_data(as_text=True)
    message = outbox()[-1]
    assert message["To"] == "yuki@jetro.example" and "co-organiser" in message.get_content()
    link = _invite_link(message)
    auth.logout()

    # The invitation link sets a password, logs in and leads to the event's console.
    response = post(client, link, {"password": "sakura blossom", "confirm": "sakura blossom"})
    assert response.status_code == 302 and response.location == console.url()
    auth.logout()
    auth.login("yuki@jetro.example", "sakura blossom")

    assert client.get(console.url()).headers["Location"].endswith(console.url("participants"))
    nav = client.get(console.url("participants")).get_data(as_text=True)
    assert "/settings" not in nav and console.url("import") in nav
    assert console.post(f"participants/{kenji}/status", {"status": "approved"},
                        form_path="participants").status_code == 302
    assert _status(app, kenji) == "approved"
    assert console.post(f"participants/{kenji}", {"support_office": "JETRO Osaka", "organiser_notes": "met at fair"},
                        form_path=f"participants/{kenji}").status_code == 302
    assert client.get(console.url("export/participants.csv")).status_code == 200
    assert client.get(console.url("import")).status_code == 200
    for path in ("settings", "windows", "team", "export/meetings.csv", "export/requests.csv"):
        assert client.get(console.url(path)).status_code == 403, path
    settings = console.post("settings", {"name": "Hijacked"}, form_path="participants")
    assert settings.status_code == 403
    window = console.post("windows", {"label": "X", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "08:00"},
                          form_path="participants")
    assert window.status_code == 403
    from brokerage.events.models import Event
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
        assert event.name != "Hijacked" and not event.windows


def test_existing_user_joins_the_team_without_a_new_password(app, console, client, auth, outbox):
    auth.logout()
    auth.signup("maria@een-madrid.example", name="Maria")
    auth.logout()
    auth.login("olga@een-brussels.example")
    console.post("team", {"email": "maria@een-madrid.example", "organisation": "EEN Madrid", "role": "organiser"})
    assert "/accounts/reset/" not in outbox()[-1].get_content()
    page = console.post("team", {"email": "maria@een-madrid.example", "organisation": "EEN Madrid",
                                 "role": "co_organiser"}).get_data(as_text=True)
    assert "maria@een-madrid.example is in this event&#39;s team already." in page
    page = console.post("team", {"email": "not-an-email", "organisation": "X", "role": "co_organiser"}).get_data(as_text=True)
    assert "Invalid email address." in page and 'value="not-an-email"' in page
    from brokerage.events.models import EventOrganiser
    with app.app_context():
        members = db.session.scalars(db.select(EventOrganiser).order_by(EventOrganiser.id)).all()
        assert [(m.user.email, m.role) for m in members] == [
            ("olga@een-brussels.example", "organiser"), ("maria@een-madrid.example", "organiser")]
        olga_id, maria_id = members[0].id, members[1].id
    # The second organiser can work on the set-up; then Olga can leave, but not the last organiser.
    auth.logout()
    auth.login("maria@een-madrid.example")
    assert client.get(console.url("settings")).status_code == 200
    removed = console.post(f"team/{olga_id}/remove", {}, form_path="team", follow_redirects=True)
    assert removed.status_code == 200 and "olga@een-brussels.example is no longer in the team." in removed.get_data(as_text=True)
    page = console.post(f"team/{maria_id}/remove", {}, form_path="team", follow_redirects=True).get_data(as_text=True)
    assert "An event needs at least one organiser" in page
    with app.app_context():
        assert [m.user.email for m in db.session.scalars(db.select(EventOrganiser))] == ["maria@een-madrid.example"]


def test_meeting_counts_and_the_no_meeting_yet_filter(app, console, client, add_participant):
    from brokerage.events.models import Participant
    from brokerage.meetings.models import MeetingRequest
    ids = {name: add_participant(f"{name.lower()}@x.example", organisation=name, status=status)
           for name, status in (("Osaka", "approved"), ("Seoul", "approved"), ("Boston", "approved"),
                                ("Lyon", "approved"), ("Quiet", "approved"), ("Waiting", "pending"),
                                ("Gone", "rejected"))}
    with app.app_context():
        event_id = db.session.get(Participant, ids["Osaka"]).event_id
        for requester, recipient, status in (("Osaka", "Seoul", "accepted"), ("Boston", "Osaka", "pending"),
                                             ("Lyon", "Quiet", "declined"), ("Quiet", "Lyon", "cancelled"),
                                             ("Lyon", "Gone", "accepted")):  # rejected since: it cannot happen
            db.session.add(MeetingRequest(event_id=event_id, requester_id=ids[requester],
                                          recipient_id=ids[recipient], status=status))
        db.session.commit()
    page = client.get(console.url("participants")).get_data(as_text=True)
    counts = dict(re.findall(r'<tr data-participant="(\d+)">.*?<td class="meeting-counts">(.*?)</td>', page, re.S))
    assert counts[str(ids["Osaka"])] == "1 agreed<br><small>1 pending</small>" and counts[str(ids["Seoul"])] == "1 agreed"
    assert counts[str(ids["Boston"])] == "0 agreed<br><small>1 pending</small>" and "none" in counts[str(ids["Lyon"])]
    assert '<span data-count="idle">2</span>' in page  # Lyon and Quiet: declined and withdrawn do not count
    idle = client.get(console.url("participants?status=idle")).get_data(as_text=True)
    shown = re.findall(r'<tr data-participant="(\d+)">', idle)
    assert sorted(map(int, shown)) == sorted([ids["Lyon"], ids["Quiet"]])  # never the pending registration
    assert '<span id="idle-count">2</span>' in client.get(console.url()).get_data(as_text=True)  # the dashboard
    # Osaka, Seoul and Boston have meetings agreed or asked for, and marked no slot: none of those can be placed.
    from brokerage.events.models import Availability, Slot
    console.post("windows", {"label": "Asia-Europe", "clock": "UTC", "day": "2027-03-16", "start": "07:00", "end": "10:00"})
    with app.app_context():
        db.session.add(Availability(participant_id=ids["Seoul"], slot_id=db.session.scalar(
            db.select(Slot.id).filter_by(event_id=event_id).limit(1))))
        db.session.commit()
    unmarked = client.get(console.url("participants?status=no-availability")).get_data(as_text=True)
    assert sorted(map(int, re.findall(r'<tr data-participant="(\d+)">', unmarked))) == sorted([ids["Osaka"], ids["Boston"]])
    assert '<span data-count="no-availability">2</span>' in unmarked and "the scheduler can place none" in unmarked
    assert '<span id="unmarked-count">2</span>' in client.get(console.url()).get_data(as_text=True)
    # Osaka's own page says so, next to the meeting it holds up (a request only agreed counts there).
    from brokerage.meetings.models import Meeting
    with app.app_context():
        agreed = db.session.scalar(db.select(MeetingRequest).filter_by(requester_id=ids["Osaka"], status="accepted"))
        db.session.add(Meeting(event_id=event_id, request=agreed, unscheduled_reason="no common available slot"))
        db.session.commit()
    page = client.get(console.url(f"participants/{ids['Osaka']}")).get_data(as_text=True)
    section = page.split('id="agreed"')[1].split("</section>")[0]
    assert "No slot\n    marked as available" in section and "Seoul (" in section and "no common available slot" in section
    assert "Boston" not in section
    with app.app_context():  # a partner rejected since: that meeting cannot happen
        db.session.get(Participant, ids["Seoul"]).status = "rejected"
        db.session.commit()
    page = client.get(console.url(f"participants/{ids['Osaka']}")).get_data(as_text=True)
    assert "Seoul (" not in page.split('id="agreed"')[1].split("</section>")[0]

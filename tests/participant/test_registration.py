"""Registering for an event with an organisation profile, editing it, and the event page."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.support import csrf_token, post_form
from participant_support import PROFILE, make_participant, logged_in, register, signed_up

from brokerage import timeutil
from brokerage.events.models import Participant
from brokerage.extensions import db


def _participant(app, email: str) -> Participant | None:
    from brokerage.accounts.models import User
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        participant = db.session.scalar(db.select(Participant).filter_by(user_id=user.id))
        if participant is not None:
            db.session.expunge(participant)
        return participant


def _zone_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*id="timezone"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [value for value in re.findall(r'<option[^>]*value="([^"]*)"', select) if value]


def test_event_page_shows_windows_in_utc_event_time_and_the_four_regions(client, make_event):
    from datetime import datetime, timezone
    late = ("Americas-Asia", datetime(2027, 3, 16, 22, tzinfo=timezone.utc), datetime(2027, 3, 17, 1, tzinfo=timezone.utc))
    make_event(description="Meet partners from four regions.",
               windows=[("Asia-Europe", datetime(2027, 3, 16, 7, tzinfo=timezone.utc),
                         datetime(2027, 3, 16, 10, tzinfo=timezone.utc)), late])
    html = client.get("/events/march-2027").get_data(as_text=True)
    assert "EU-Japan-Korea-US tech brokerage" in html and "Meet partners from four regions." in html
    assert "Europe/Brussels (UTC+01:00)" in html
    # The Asia-Europe window, 07:00-10:00 UTC, on the week the US is on summer time and Europe not.
    assert "07:00–10:00" in html and "08:00–11:00" in html  # UTC, then Brussels
    assert html.count("<small>Europe/Brussels (UTC+01:00)</small>") == 1  # not repeated as a region's clock
    assert "America/New_York (UTC-04:00)" in html and "03:00–06:00" in html
    assert "America/Los_Angeles (UTC-07:00)" in html and "00:00–03:00" in html  # the West Coast's clock too
    # A window past midnight says where it ends the next day: 22:00-01:00 UTC, 23:00-02:00 in Brussels.
    assert "22:00–01:00 <small>(+1 day)</small>" in html and "23:00–02:00 <small>(+1 day)</small>" in html
    assert "15:00–18:00 <small>" not in html  # Los Angeles: within its day
    assert "Asia/Tokyo (UTC+09:00)" in html and "Asia/Seoul (UTC+09:00)" in html and "16:00–19:00" in html
    assert "20 minutes" in html
    assert 'id="register-button"' in html


def test_event_page_uses_the_participants_own_zone(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "tokyo@example.jp", "Sakura Sensors", tz="Asia/Tokyo", country="JP")
    client = logged_in(app, "tokyo@example.jp")
    html = client.get("/events/march-2027").get_data(as_text=True)
    assert "Your time" in html and "Asia/Tokyo (UTC+09:00)" in html
    assert "America/New_York" not in html  # only the participant's own zone beside UTC and event time
    assert 'id="register-button"' not in html
    for endpoint in ("events-profile", "events-opportunities", "marketplace-search"):
        assert f'id="home-{endpoint}"' in html


def test_event_page_offsets_are_those_of_the_event_days_not_of_today(app, make_event, monkeypatch):
    # Today is in November (New York on UTC-05:00); the event is on 2027-03-16, when New York is on UTC-04:00.
    from datetime import datetime, timezone
    monkeypatch.setattr(timeutil, "now_utc", lambda: datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
    event_id = make_event()
    make_participant(app, event_id, "pat@boston.example", "Boston Bio", tz="America/New_York", country="US")
    html = logged_in(app, "pat@boston.example").get("/events/march-2027").get_data(as_text=True)
    assert "Times are shown in your time zone, America/New_York (UTC-04:00)." in html
    assert "UTC-05:00" not in html


def test_unknown_event_is_a_friendly_404(client):
    response = client.get("/events/no-such-event")
    assert response.status_code == 404 and b"Not found" in response.data


def test_registration_needs_an_account(client, make_event):
    make_event()
    response = client.get("/events/march-2027/register")
    assert response.status_code == 302 and "/accounts/login" in response.location


def test_registration_waits_for_approval_when_the_organisers_approve(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    response = register(client, "march-2027")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "organisers will review your registration" in page
    assert "waiting for the organisers' approval" in page
    participant = _participant(app, "anna@nordlicht.example")
    assert participant.status == "pending"
    assert (participant.organisation, participant.country, participant.timezone) == (
        "Nordlicht Robotics GmbH", "DE", "Europe/Berlin")
    assert participant.sector_list == ["robotics", "ai"] and participant.languages == "German, English"
    # Pending: no marketplace yet, with a clear reason.
    response = client.get("/events/march-2027/marketplace")
    assert response.status_code == 403 and b"waiting for the organisers" in response.data


def test_registration_is_approved_at_once_without_approval(app, make_event):
    make_event(participant_approval=False)
    client = signed_up(app, "anna@nordlicht.example")
    page = register(client, "march-2027", follow_redirects=True).get_data(as_text=True)
    assert "You are registered." in page and "approved" in page
    assert _participant(app, "anna@nordlicht.example").status == "approved"
    assert client.get("/events/march-2027/marketplace").status_code == 200


def test_registering_twice_leads_to_the_profile(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    register(client, "march-2027")
    response = client.get("/events/march-2027/register")
    assert response.status_code == 302 and response.location.endswith("/events/march-2027/profile")


def test_missing_organisation_name_is_reported_and_the_rest_kept(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    response = register(client, "march-2027", organisation="  ", description="Grippers & <sensors>")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter your organisation&#39;s name." in html
    assert 'value="https://nordlicht.example"' in html and "Grippers &amp; &lt;sensors&gt;" in html
    assert re.search(r'<option selected value="Europe/Berlin">|<option value="Europe/Berlin" selected>', html)
    assert re.search(r'checked[^>]*value="robotics"|value="robotics"[^>]*checked', html)
    assert _participant(app, "anna@nordlicht.example") is None


def test_hostile_values_get_messages_not_errors(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    response = register(client, "march-2027", country="XX", organisation_type="bank", timezone="Mars/Olympus",
                        sectors=["ai", "<script>"], website="javascript:alert(1)", organisation="Nul\x00Ltd",
                        video_link="https://meet.example.com/a\r\nATTENDEE:mailto:evil@x.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("Choose your country from the list.", "Choose an organisation type from the list.",
                    "Choose your time zone from the list.", "Choose only sectors from the list.",
                    "Enter a full web address", "Remove the invisible control characters",
                    "A web address has no spaces or line breaks."):
        assert message in html, message
    assert _participant(app, "anna@nordlicht.example") is None


def test_missing_sector_country_and_zone_are_reported(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    data = {k: v for k, v in PROFILE.items() if k not in ("sectors", "country", "timezone")}
    html = post_form(client, "/events/march-2027/register", data).get_data(as_text=True)
    for message in ("Choose at least one sector.", "Choose your country.", "Choose your time zone."):
        assert message in html


def test_time_zone_list_offers_the_countrys_zones_first(app, make_event):
    make_event()
    client = signed_up(app, "kenji@example.jp")
    # Without JavaScript: the "list my country's zones first" button re-shows the form for the chosen country.
    response = register(client, "march-2027", country="JP", timezone="", refresh_zones="1", organisation="Sakura")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "field-error" not in html
    assert _zone_options(html)[0] == "Asia/Tokyo"
    assert 'value="Sakura"' in html
    us = _zone_options(register(client, "march-2027", country="US", refresh_zones="1").get_data(as_text=True))
    assert us[0] == "America/New_York" and "Asia/Tokyo" in us
    assert _participant(app, "kenji@example.jp") is None
    # The country-to-zones table for the inline script that reorders the list as the country changes.
    assert '"JP": ["Asia/Tokyo"]' in client.get("/events/march-2027/register").get_data(as_text=True)


def test_registration_closes_after_the_deadline(app, make_event):
    make_event(registration_deadline=timeutil.now_utc() - timedelta(hours=1))
    client = signed_up(app, "late@example.com")
    assert b"Registration closed on" in client.get("/events/march-2027").data
    response = client.get("/events/march-2027/register")
    assert response.status_code == 403 and b"Registration closed on" in response.data
    token = csrf_token(client, "/accounts/login")
    response = client.post("/events/march-2027/register", data={"csrf_token": token, **PROFILE})
    assert response.status_code == 403
    assert _participant(app, "late@example.com") is None


def test_registration_before_the_deadline_is_accepted(app, make_event):
    make_event(registration_deadline=timeutil.now_utc() + timedelta(days=1))
    client = signed_up(app, "early@example.com")
    assert register(client, "march-2027").status_code == 302


def test_profile_can_be_edited_later(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    register(client, "march-2027")
    html = client.get("/events/march-2027/profile").get_data(as_text=True)
    assert 'value="Nordlicht Robotics GmbH"' in html and 'id="participant-status">pending' in html
    ticked = re.findall(r'<input checked id="sectors-\d+" name="sectors" type="checkbox" value="(\w+)">', html)
    assert sorted(ticked) == sorted(PROFILE["sectors"])  # the saved sectors stay ticked: saving keeps them
    # One choice is required, not each box (screen readers announced all twelve as required).
    assert 'name="sectors" required' not in html and "<legend>Sectors *</legend>" in html
    response = post_form(client, "/events/march-2027/profile",
                         {**PROFILE, "organisation": "Nordlicht Automation", "sectors": ["manufacturing"],
                          "country": "AT", "timezone": "Europe/Vienna"})
    assert response.status_code == 302
    participant = _participant(app, "anna@nordlicht.example")
    assert (participant.organisation, participant.sectors, participant.timezone) == (
        "Nordlicht Automation", "manufacturing", "Europe/Vienna")
    assert participant.status == "pending"  # editing does not approve oneself


def test_a_sector_sent_many_times_is_stored_once(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    response = post_form(client, "/events/march-2027/register", {**PROFILE, "sectors": ["semiconductors"] * 30})
    assert response.status_code == 302  # thirty copies overflowed the column: a 500 on PostgreSQL
    assert _participant(app, "anna@nordlicht.example").sectors == "semiconductors"


def test_an_older_zone_name_from_an_import_stays_selected_and_saves(app, make_event):
    make_event()
    client = signed_up(app, "ravi@pune.example")
    register(client, "march-2027", country="IN", timezone="Asia/Kolkata")
    with app.app_context():  # as a CSV import may store it: a valid IANA alias the list does not offer
        db.session.execute(db.update(Participant).values(timezone="Asia/Calcutta"))
        db.session.commit()
    html = client.get("/events/march-2027/profile").get_data(as_text=True)
    assert re.search(r'<option selected value="Asia/Calcutta">|<option value="Asia/Calcutta" selected>', html), html
    response = post_form(client, "/events/march-2027/profile",
                         {**PROFILE, "organisation": "Pune Sensors", "country": "IN", "timezone": "Asia/Calcutta"})
    assert response.status_code == 302
    assert _participant(app, "ravi@pune.example").organisation == "Pune Sensors"


def test_profile_bad_website_keeps_what_was_typed(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    register(client, "march-2027")
    response = post_form(client, "/events/march-2027/profile", {**PROFILE, "website": "nordlicht dot example",
                                                                "organisation": "Renamed GmbH"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter a full web address" in html
    assert 'value="nordlicht dot example"' in html and 'value="Renamed GmbH"' in html
    assert _participant(app, "anna@nordlicht.example").organisation == "Nordlicht Robotics GmbH"


def test_profile_is_only_for_registered_users(app, make_event):
    make_event()
    client = signed_up(app, "stranger@example.com")
    response = client.get("/events/march-2027/profile")
    assert response.status_code == 403 and b"not registered" in response.data


def test_rejected_participant_sees_the_status_and_no_marketplace(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "no@example.com", "Refused Ltd", status="rejected")
    client = logged_in(app, "no@example.com")
    assert b"did not accept your registration" in client.get("/events/march-2027").data
    response = client.get("/events/march-2027/marketplace")
    assert response.status_code == 403 and b"not accepted" in response.data


def test_countries_are_listed_in_the_order_a_reader_expects(client, make_event):
    """Accented names sort with their letter (Åland Islands among the A's, not after Zimbabwe)."""
    make_event()
    from brokerage.timeutil import country_choices
    names = [name for _, name in country_choices()]
    assert names[:3] == ["Afghanistan", "Åland Islands", "Albania"] and names[-1] == "Zimbabwe"
    assert names.index("Costa Rica") < names.index("Côte d’Ivoire") < names.index("Croatia")
    assert names.index("Qatar") < names.index("Réunion") < names.index("Romania")


def _offices(app, event_id, *offices):
    """Co-organisers, each running a support office."""
    from brokerage.accounts.models import User
    from brokerage.events.models import EventOrganiser
    with app.app_context():
        for n, office in enumerate(offices):
            user = User(email=f"office{n}@een.example", name=office, password_hash="!")
            db.session.add(user)
            db.session.flush()
            db.session.add(EventOrganiser(event_id=event_id, user_id=user.id, role="co_organiser", organisation=office))
        db.session.commit()


def test_a_participant_names_their_support_office_when_registering(app, make_event):
    event_id = make_event()
    _offices(app, event_id, "EEN Bavaria", "EEN Japan (JETRO)")
    client = signed_up(app, "anna@nordlicht.example")
    page = client.get("/events/march-2027/register").get_data(as_text=True)
    assert '<option selected value="">None, or I do not know</option>' in page
    assert '<option value="EEN Bavaria">EEN Bavaria</option>' in page and "EEN Japan (JETRO)" in page
    # A made-up office is refused, and what was typed stays.
    page = register(client, "march-2027", support_office="EEN Atlantis").get_data(as_text=True)
    assert "Choose a support office from the list." in page and 'value="Nordlicht Robotics GmbH"' in page
    assert _participant(app, "anna@nordlicht.example") is None
    assert register(client, "march-2027", support_office="EEN Bavaria").status_code == 302
    assert _participant(app, "anna@nordlicht.example").support_office == "EEN Bavaria"
    # The organisers' participant list filters by it.
    from tests.support import Auth
    organiser = app.test_client()
    Auth(organiser).login("organiser@een.example")
    listed = organiser.get("/organise/march-2027/participants?office=EEN+Bavaria").get_data(as_text=True)
    assert "Nordlicht Robotics GmbH" in listed


def test_a_support_office_an_organiser_typed_stays_and_a_form_without_the_field_keeps_it(app, make_event):
    event_id = make_event()
    _offices(app, event_id, "EEN Bavaria")
    make_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", tz="Asia/Tokyo", country="JP",
                     support_office="JETRO Tokyo")  # from an import
    client = logged_in(app, "kenji@tokyo.example")
    page = client.get("/events/march-2027/profile").get_data(as_text=True)
    assert '<option selected value="JETRO Tokyo">JETRO Tokyo</option>' in page
    post_form(client, "/events/march-2027/profile", {**PROFILE, "organisation": "Tokyo Robotics"})  # no such field sent
    assert _participant(app, "kenji@tokyo.example").support_office == "JETRO Tokyo"
    post_form(client, "/events/march-2027/profile", {**PROFILE, "support_office": ""})
    assert _participant(app, "kenji@tokyo.example").support_office == ""


def test_an_event_whose_organisers_name_no_office_does_not_ask(app, make_event):
    make_event()
    client = signed_up(app, "anna@nordlicht.example")
    assert 'id="support_office"' not in client.get("/events/march-2027/register").get_data(as_text=True)


def test_a_time_zone_on_another_clock_than_the_country_is_pointed_out(app, make_event):
    """A laptop set to UTC registers a Japanese company: kept (they may be travelling), but said, since every
    time they see follows it. An older name of the country's zone, or a zone keeping the same time, is not."""
    make_event()
    client = signed_up(app, "aiko@tokyo.example")
    page = register(client, "march-2027", country="JP", timezone="UTC",
                    follow_redirects=True).get_data(as_text=True)
    assert "Your time zone, UTC, is not one of Japan&#39;s (Asia/Tokyo): your meeting times and working hours" in page
    assert _participant(app, "aiko@tokyo.example").timezone == "UTC"
    page = post_form(client, "/events/march-2027/profile", {**PROFILE, "country": "JP", "timezone": "Asia/Tokyo"},
                     follow_redirects=True).get_data(as_text=True)
    assert "is not one of" not in page
    other = signed_up(app, "ravi@pune.example")
    page = register(other, "march-2027", country="IN", timezone="Asia/Kolkata", follow_redirects=True).get_data(
        as_text=True)
    assert "is not one of" not in page


def test_every_office_the_event_knows_is_offered(app, make_event):
    """Offices typed by organisers for imported participants (EEN Korea) are on offer too, not only the
    organisers' own."""
    event_id = make_event()
    _offices(app, event_id, "EEN Bavaria")
    make_participant(app, event_id, "minji@seoul.example", "Seoul Semis", tz="Asia/Seoul", country="KR",
                     support_office="EEN Korea (KIAT)")
    client = signed_up(app, "jun@busan.example")
    page = client.get("/events/march-2027/register").get_data(as_text=True)
    assert '<option value="EEN Korea (KIAT)">EEN Korea (KIAT)</option>' in page and "EEN Bavaria" in page


def test_a_visitor_sent_to_log_in_is_told_they_can_create_an_account(client, make_event):
    make_event()
    page = client.get("/events/march-2027/register", follow_redirects=True).get_data(as_text=True)
    assert "Log in to go on. New here? Create an account with the link below the form." in page
    assert "Create an account</a>" in page

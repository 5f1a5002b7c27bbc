"""Marketplace search and profiles, with the working hours two participants share during the event."""
from __future__ import annotations

import re
from datetime import timezone

import pytest
from participant_support import at, logged_in, make_participant

from brokerage.events.models import Slot
from brokerage.extensions import db
from brokerage.marketplace.working_hours import shared_working_slots
from brokerage.meetings.models import MeetingRequest

SEARCH = "/events/march-2027/marketplace"


@pytest.fixture
def market(app, make_event):
    """Approved participants from the four regions and beyond, plus a pending and a rejected one."""
    event_id = make_event()
    ids = {
        "nordlicht": make_participant(
            app, event_id, "anna@nordlicht.example", "Nordlicht Robotics", country="DE", tz="Europe/Berlin",
            sectors="robotics,ai", description="Automation for small factories.",
            opportunities=[{"kind": "tech_offer", "title": "Soft grippers", "keywords": "food, handling"}]),
        "sakura": make_participant(
            app, event_id, "kenji@sakura.example", "Sakura Sensors", country="JP", tz="Asia/Tokyo",
            organisation_type="large", sectors="semiconductors",
            opportunities=[{"kind": "tech_request", "title": "MEMS packaging partner", "keywords": "100% yield"}]),
        "hudson": make_participant(
            app, event_id, "lee@hudson.example", "Hudson Bio", country="US", tz="America/New_York",
            organisation_type="research", sectors="biotech", description="CRISPR screening platform."),
        "seoul": make_participant(app, event_id, "min@seoul.example", "Seoul Mobility", country="KR",
                                  tz="Asia/Seoul", sectors="automotive"),
        "maple": make_participant(app, event_id, "sam@maple.example", "Maple Cleantech", country="CA",
                                  tz="America/Toronto", organisation_type="other", sectors="agrifood,cleantech"),
        "pending": make_participant(app, event_id, "wait@pending.example", "Pending Grippers Ltd", status="pending",
                                    sectors="robotics,ai"),
        "rejected": make_participant(
            app, event_id, "no@rejected.example", "Rejected Ltd", status="rejected", sectors="ai",
            opportunities=[{"kind": "tech_offer", "title": "Grippers", "keywords": "grippers"}]),
    }
    return {"event_id": event_id, "ids": ids, "client": logged_in(app, "anna@nordlicht.example")}


def _found(client, **params) -> list[str]:
    response = client.get(SEARCH, query_string=params)
    assert response.status_code == 200
    return re.findall(r'<article class="result"[^>]*>\s*<header>\s*<a [^>]*><strong>([^<]+)</strong>',
                      response.get_data(as_text=True))


def test_search_by_text_is_case_insensitive_and_covers_opportunities(market):
    client = market["client"]
    assert _found(client) == ["Hudson Bio", "Maple Cleantech", "Nordlicht Robotics", "Sakura Sensors",
                              "Seoul Mobility"]
    assert _found(client, q="GRIPPERS") == ["Nordlicht Robotics"]  # opportunity title
    assert _found(client, q="crispr") == ["Hudson Bio"]  # description
    assert _found(client, q="sakura") == ["Sakura Sensors"]  # organisation
    assert _found(client, q="Handling") == ["Nordlicht Robotics"]  # keywords
    assert _found(client, q="mems partner") == ["Sakura Sensors"]  # every word must match somewhere
    assert _found(client, q="100%") == ["Sakura Sensors"] and _found(client, q="%") == ["Sakura Sensors"]
    assert _found(client, q="_") == []  # LIKE wildcards are taken literally
    assert _found(client, q="nothing like this") == []
    assert "No participant matches this search" in client.get(SEARCH, query_string={"q": "zzz"}).get_data(True)


def test_search_reads_words_as_people_type_them(app, market):
    """Pasted punctuation, accents, full- and half-width forms and plurals do not hide a match."""
    from brokerage.events.models import Opportunity, Participant
    client = market["client"]
    with app.app_context():
        hudson = db.session.scalar(db.select(Participant).filter_by(organisation="Hudson Bio"))
        hudson.description += " Offices in Kraków and Wrocław."
        hudson.opportunities.append(Opportunity(kind="tech_offer", title="ＡＩ制御のリサイクル装置",
                                                description="Joint R&D on C++ control switches for l’énergie.",
                                                keywords="synthetic-aperture radar, battery"))
        db.session.commit()
    for q in ("radar,", "(radar)", '"synthetic-aperture radar"', "radar.", "krakow", "KRAKOW", "wroclaw",
              "AI制御", "ﾘｻｲｸﾙ", "batteries", "Battery", "battery's", "R&D", "C++", "switches", "l'energie"):
        assert _found(client, q=q) == ["Hudson Bio"], q
    # Terms with symbols are terms: "R&D" is not the letters r and d found anywhere.
    assert _found(client, q="C#") == [] and _found(client, q="D&R") == []
    with app.app_context():  # the folded copy follows edits and deletions
        hudson = db.session.scalar(db.select(Participant).filter_by(organisation="Hudson Bio"))
        hudson.opportunities.clear()
        db.session.commit()
    assert _found(client, q="radar") == [] and _found(client, q="krakow") == ["Hudson Bio"]


def test_search_filters(market):
    client = market["client"]
    assert _found(client, region="EU") == ["Nordlicht Robotics"]
    assert _found(client, region="JP") == ["Sakura Sensors"]
    assert _found(client, region="US") == ["Hudson Bio"]
    assert _found(client, region="KR") == ["Seoul Mobility"]
    assert _found(client, region="OTHER") == ["Maple Cleantech"]
    assert _found(client, country="CA") == ["Maple Cleantech"]
    assert _found(client, organisation_type="research") == ["Hudson Bio"]
    assert _found(client, sector="ai") == ["Nordlicht Robotics"]  # not "agrifood"
    assert _found(client, sector="cleantech") == ["Maple Cleantech"]
    assert _found(client, kind="tech_request") == ["Sakura Sensors"]
    assert _found(client, kind="tech_request", region="EU") == []


def test_pending_and_rejected_participants_never_appear(market):
    client = market["client"]
    for query in ({}, {"q": "grippers"}, {"sector": "ai"}, {"q": "Ltd"}):
        names = _found(client, **query)
        assert "Pending Grippers Ltd" not in names and "Rejected Ltd" not in names
    for key in ("pending", "rejected"):
        assert client.get(f"{SEARCH}/{market['ids'][key]}").status_code == 404


def test_results_keep_the_filters(market):
    html = market["client"].get(SEARCH, query_string={"q": "Grippers", "region": "EU", "sector": "ai"}).get_data(True)
    assert 'value="Grippers"' in html
    assert re.search(r'<option selected value="EU">|<option value="EU" selected>', html)
    assert re.search(r'<option selected value="ai">|<option value="ai" selected>', html)


def test_hostile_filter_values_get_a_message(market):
    client = market["client"]
    for params in ({"region": "MARS"}, {"country": "<b>"}, {"sector": "x' OR 1=1 --"}, {"kind": "nope"},
                   {"organisation_type": "bank"}, {"q": "a\x00b"}, {"q": "x" * 300}):
        response = client.get(SEARCH, query_string=params)
        assert response.status_code == 200, params
        assert "Please correct the search above." in response.get_data(as_text=True), params
    assert client.get(SEARCH, query_string={"page": "abc"}).status_code == 200
    assert client.get(SEARCH, query_string={"page": "-3"}).status_code == 200
    assert client.get(SEARCH, query_string={"page": str(10**30)}, follow_redirects=True).status_code == 200


def test_pagination_keeps_the_filters(app, market):
    for n in range(23):
        make_participant(app, market["event_id"], f"fi{n}@example.fi", f"Finnish SME {n:02d}", country="FI",
                         tz="Europe/Helsinki", sectors="ict")
    client = market["client"]
    html = client.get(SEARCH, query_string={"country": "FI"}).get_data(as_text=True)
    assert "23 participants found." in html and "Page 1 of 2" in html
    assert len(_found(client, country="FI")) == 20
    next_link = re.search(r'href="([^"]+)" id="next-page"', html).group(1).replace("&amp;", "&")
    assert "country=FI" in next_link and "page=2" in next_link
    assert _found(client, country="FI", page=2) == [f"Finnish SME {n}" for n in range(20, 23)]
    # A page past the end (an old bookmark) leads to the last one, filters kept.
    response = client.get(SEARCH, query_string={"country": "FI", "page": "9"})
    assert response.status_code == 302 and "country=FI" in response.location and "page=2" in response.location
    # Parameters that are no filter stay out of the page links (a 'slug' one broke them).
    html = client.get(SEARCH, query_string={"country": "FI", "slug": "x", "_external": "1"}).get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" id="next-page"', html).group(1)
    assert "slug=" not in next_link and "_external" not in next_link


def test_search_folds_case_beyond_ascii(app, market):
    make_participant(app, market["event_id"], "ute@ubersee.example", "Zürich Übersee GmbH", country="CH",
                     tz="Europe/Zurich", sectors="ict")
    assert _found(market["client"], q="übersee") == ["Zürich Übersee GmbH"]
    assert _found(market["client"], q="ZÜRICH") == ["Zürich Übersee GmbH"]


def test_only_approved_participants_and_organisers_browse(app, market):
    for email in ("wait@pending.example", "no@rejected.example"):
        client = logged_in(app, email)
        assert client.get(SEARCH).status_code == 403
        assert client.get(f"{SEARCH}/{market['ids']['sakura']}").status_code == 403
    from tests.support import Auth
    stranger = app.test_client()
    Auth(stranger).signup("stranger@example.com")
    response = stranger.get(SEARCH)
    assert response.status_code == 403 and b"Register for this event" in response.data
    anonymous = app.test_client().get(SEARCH)
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous.location
    organiser = logged_in(app, "organiser@een.example")
    assert len(_found(organiser)) == 5
    html = organiser.get(f"{SEARCH}/{market['ids']['sakura']}").get_data(as_text=True)
    assert "Event time" in html and 'id="request-meeting"' not in html


def test_profile_page_shows_local_time_and_the_request_button(app, market):
    client, ids = market["client"], market["ids"]
    html = client.get(f"{SEARCH}/{ids['sakura']}").get_data(as_text=True)
    assert "Sakura Sensors" in html and "MEMS packaging partner" in html and "100% yield" in html
    assert "Their local time now" in html and "Asia/Tokyo (UTC+09:00)" in html
    assert f'href="/events/march-2027/requests/new/{ids["sakura"]}" role="button" id="request-meeting"' in html
    own = client.get(f"{SEARCH}/{ids['nordlicht']}").get_data(as_text=True)
    assert 'id="request-meeting"' not in own and "This is your own profile" in own
    with app.app_context():
        db.session.add(MeetingRequest(event_id=market["event_id"], requester_id=ids["nordlicht"],
                                      recipient_id=ids["sakura"]))
        db.session.commit()
    html = client.get(f"{SEARCH}/{ids['sakura']}").get_data(as_text=True)
    assert 'id="request-meeting"' not in html and "You have asked Sakura Sensors for a meeting" in html


def test_profile_says_why_no_request_can_be_sent_before_the_click(app, market):
    from datetime import timedelta

    from brokerage.events.models import Event
    from brokerage.timeutil import now_utc
    client, ids = market["client"], market["ids"]
    with app.app_context():
        db.session.get(Event, market["event_id"]).booking_deadline = now_utc() - timedelta(hours=1)
        db.session.commit()
    html = client.get(f"{SEARCH}/{ids['sakura']}").get_data(as_text=True)
    assert 'id="request-meeting"' not in html
    assert 'id="request-blocked"' in html and "Booking closed on" in html


def test_profile_of_another_event_or_unknown_id_is_not_found(app, market, make_event):
    elsewhere = make_participant(app, make_event(slug="june-2027"), "x@else.example", "Elsewhere")
    client = market["client"]
    assert client.get(f"{SEARCH}/{elsewhere}").status_code == 404
    assert client.get(f"{SEARCH}/987654").status_code == 404
    assert client.get(f"{SEARCH}/not-a-number").status_code == 404


def _shared_slot_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="shared-slot" data-slot-id="(\d+)"', html)]


def _slot_ids(app, event_id, *starts) -> list[int]:
    with app.app_context():
        return [db.session.scalar(db.select(Slot.id).filter_by(event_id=event_id, start=s)) for s in starts]


def test_paris_and_tokyo_share_the_european_morning(app, make_event):
    # 08:00 UTC = 09:00 in Paris (CET) = 17:00 in Tokyo: only slots ending by 18:00 in Tokyo are shared.
    event_id = make_event(windows=[("Asia-Europe", at(8), at(9, 30))])
    paris = make_participant(app, event_id, "paris@example.fr", "Paris Photonics")
    tokyo = make_participant(app, event_id, "tokyo@example.jp", "Tokyo Tech", country="JP", tz="Asia/Tokyo")
    html = logged_in(app, "paris@example.fr").get(f"{SEARCH}/{tokyo}").get_data(as_text=True)
    assert _shared_slot_ids(html) == _slot_ids(app, event_id, at(8), at(8, 25))
    assert "09:00–09:20" in html and "17:00–17:20" in html and "09:25–09:45" in html and "17:25–17:45" in html
    assert "Europe/Paris (UTC+01:00)" in html and "Asia/Tokyo (UTC+09:00)" in html
    assert "Asia-Europe" in html and "Tue 16 Mar 2027" in html
    # The same slots seen from Tokyo.
    html = logged_in(app, "tokyo@example.jp").get(f"{SEARCH}/{paris}").get_data(as_text=True)
    assert _shared_slot_ids(html) == _slot_ids(app, event_id, at(8), at(8, 25))


def test_paris_and_tokyo_on_the_default_windows(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "paris@example.fr", "Paris Photonics")
    tokyo = make_participant(app, event_id, "tokyo@example.jp", "Tokyo Tech", country="JP", tz="Asia/Tokyo")
    html = logged_in(app, "paris@example.fr").get(f"{SEARCH}/{tokyo}").get_data(as_text=True)
    # Slots start every 25 minutes from 07:00 UTC; from 08:00 UTC (09:00 Paris) to 09:00 UTC (18:00 Tokyo).
    assert _shared_slot_ids(html) == _slot_ids(app, event_id, at(8, 15), at(8, 40))


def test_new_york_and_paris_in_the_week_the_clocks_differ(app, make_event):
    # 16 March 2027: New York is on EDT (UTC-4), Paris still on CET: 09:00 in New York = 13:00 UTC = 14:00 Paris.
    event_id = make_event(slot_minutes=30, pause_minutes=0, windows=[("Europe-Americas", at(12), at(14, 30))])
    make_participant(app, event_id, "ny@example.com", "Hudson Bio", country="US", tz="America/New_York")
    paris = make_participant(app, event_id, "paris@example.fr", "Paris Photonics")
    html = logged_in(app, "ny@example.com").get(f"{SEARCH}/{paris}").get_data(as_text=True)
    assert _shared_slot_ids(html) == _slot_ids(app, event_id, at(13), at(13, 30), at(14))
    assert "09:00–09:30" in html and "14:00–14:30" in html  # New York and Paris for the 13:00 UTC slot
    assert "America/New_York (UTC-04:00)" in html and "Europe/Paris (UTC+01:00)" in html


def test_no_shared_working_hours_is_said_plainly(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "ny@example.com", "Hudson Bio", country="US", tz="America/New_York")
    tokyo = make_participant(app, event_id, "tokyo@example.jp", "Tokyo Tech", country="JP", tz="Asia/Tokyo")
    html = logged_in(app, "ny@example.com").get(f"{SEARCH}/{tokyo}").get_data(as_text=True)
    assert _shared_slot_ids(html) == []
    assert "No slot of this event is within both your working hours." in html


def test_shared_working_slots_respects_the_end_of_the_working_day(app, make_event):
    event_id = make_event(slot_minutes=30, pause_minutes=0, windows=[("Late", at(16), at(18))])
    with app.app_context():
        slots = db.session.scalars(db.select(Slot).filter_by(event_id=event_id)).all()
        blocks = shared_working_slots(slots, "Europe/Paris", "Europe/Paris")
        # 16:00-17:00 UTC = 17:00-18:00 Paris; a slot ending at 18:00 counts, one ending after it does not.
        assert [(s.start.astimezone(timezone.utc).hour, s.start.minute) for b in blocks for s in b.slots] == [
            (16, 0), (16, 30)]

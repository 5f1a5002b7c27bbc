"""Suggested partners on the marketplace and on the organisers' participant page: who fits, why, and in what order."""
from __future__ import annotations

import html
import re

import pytest
from participant_support import logged_in, make_participant

from brokerage.extensions import db
from brokerage.meetings.models import MeetingRequest

SEARCH = "/events/march-2027/marketplace"
GRIPPERS = {"kind": "tech_request", "title": "Soft grippers for food handling", "keywords": "grippers, food",
            "description": "We need grippers for delicate bakery products."}


@pytest.fixture
def market(app, make_event):
    """Nordlicht (Berlin) seeks grippers. The event's slots: 07:00-10:00 and 14:00-17:00 UTC on 16 March 2027."""
    event_id = make_event()

    def person(key, organisation, **fields):
        return make_participant(app, event_id, f"{key}@{key}.example", organisation, **fields)

    ids = {
        "nordlicht": person("nordlicht", "Nordlicht Robotics", country="DE", tz="Europe/Berlin", sectors="robotics",
                            opportunities=[GRIPPERS]),
        # An offer that answers the request, in other words ("gripper", "bakery"), from Tokyo: 2 shared slots.
        "sakura": person("sakura", "Sakura Handling", country="JP", tz="Asia/Tokyo", sectors="manufacturing",
                         opportunities=[{"kind": "tech_offer", "title": "Vacuum gripper",
                                         "description": "A gripper for bakery lines."}]),
        # The same sector and no opportunity: a weaker reason, but the whole New York afternoon in common.
        "hudson": person("hudson", "Hudson Automation", country="US", tz="America/New_York", sectors="robotics"),
        # The best fit of all, but Honolulu's working day misses every slot of the event.
        "aloha": person("aloha", "Aloha Grippers", country="US", tz="Pacific/Honolulu", sectors="robotics",
                        opportunities=[{"kind": "tech_offer", "title": "Soft grippers for food handling",
                                        "keywords": "grippers, food, bakery"}]),
        # Another request for grippers: two requests do not answer each other, and no sector is shared.
        "rival": person("rival", "Rival Grippers", country="FR", sectors="agrifood",
                        opportunities=[{**GRIPPERS, "title": "Grippers wanted"}]),
        "unrelated": person("unrelated", "Quiet Semiconductors", country="KR", tz="Asia/Seoul", sectors="semiconductors",
                            description="Wafer inspection."),
        "pending": person("pending", "Pending Grippers", status="pending", sectors="robotics",
                          opportunities=[{"kind": "tech_offer", "title": "Soft grippers"}]),
        "left": person("left", "Departed Grippers", status="withdrawn", sectors="robotics",
                       opportunities=[{"kind": "tech_offer", "title": "Soft grippers"}]),
    }
    return {"event_id": event_id, "ids": ids, "client": logged_in(app, "nordlicht@nordlicht.example")}


def _suggested(response) -> list[tuple[str, str]]:
    """(organisation, the reasons as one line of text) for each suggestion on the page."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = []
    for block in re.findall(r'<article class="suggestion".*?</article>', page, re.S):
        name = re.search(r"<strong>([^<]+)</strong>", block).group(1)
        reasons = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block.split("</header>")[1])).split())
        found.append((name, reasons))
    return found


def _request(app, market, frm, to, status):
    with app.app_context():
        db.session.add(MeetingRequest(event_id=market["event_id"], requester_id=market["ids"][frm],
                                      recipient_id=market["ids"][to], status=status))
        db.session.commit()


def test_fitting_offer_first_then_sector_then_those_outside_working_hours(market):
    suggested = _suggested(market["client"].get(SEARCH))
    assert [name for name, _ in suggested] == ["Sakura Handling", "Hudson Automation", "Aloha Grippers"]
    sakura, hudson, aloha = (reasons for _, reasons in suggested)
    assert ("Their technology offer “Vacuum gripper” answers the technology request “Soft grippers for food "
            "handling”; both mention bakery, grippers.") in sakura
    assert "2 slots within both working days (Asia/Tokyo (UTC+09:00) on their side)." in sakura
    assert "Both in Robotics." in hudson and "answers" not in hudson
    assert "7 slots within both working days (America/New_York (UTC-04:00) on their side)" in hudson
    assert "No slot of this event is within both working days (Pacific/Honolulu (UTC-10:00) on their side)" in aloha
    page = market["client"].get(SEARCH).get_data(as_text=True)
    assert "Europe/Berlin (UTC+01:00) on this side" in page


def test_slot_counts_agree_with_the_profile_pages(market):
    client = market["client"]
    for name, reasons in _suggested(client.get(SEARCH)):
        key = {"Sakura Handling": "sakura", "Hudson Automation": "hudson", "Aloha Grippers": "aloha"}[name]
        profile = client.get(f"{SEARCH}/{market['ids'][key]}").get_data(as_text=True)
        shared = profile.count('class="shared-slot"')
        assert (f"{shared} slot" in reasons) if shared else ("No slot of this event" in reasons)


def test_no_one_already_asked_and_only_approved_participants(app, market):
    _request(app, market, "nordlicht", "sakura", "pending")
    _request(app, market, "hudson", "nordlicht", "declined")  # Nordlicht said no: do not bring them back
    _request(app, market, "aloha", "nordlicht", "cancelled")  # withdrawn: free to meet again
    assert [name for name, _ in _suggested(market["client"].get(SEARCH))] == ["Aloha Grippers"]
    _request(app, market, "nordlicht", "aloha", "accepted")
    assert _suggested(market["client"].get(SEARCH)) == []
    assert 'id="suggestions"' not in market["client"].get(SEARCH).get_data(as_text=True)


def test_suggestions_only_on_the_unfiltered_first_page(market):
    client = market["client"]
    assert _suggested(client.get(SEARCH))
    assert _suggested(client.get(SEARCH, query_string={"q": "grippers"})) == []
    assert _suggested(client.get(SEARCH, query_string={"region": "JP"})) == []
    assert _suggested(client.get(SEARCH, query_string={"page": 2})) == []


def test_without_opportunities_the_page_asks_for_them(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "new@new.example", "Newcomer Robotics", tz="Europe/Berlin", sectors="robotics",
                     description="Cobots for small bakeries.")
    make_participant(app, event_id, "old@old.example", "Veteran Robotics", tz="Europe/Paris", sectors="robotics",
                     description="Automation for the bakery trade.")
    client = logged_in(app, "new@new.example")
    [(name, reasons)] = _suggested(client.get(SEARCH))
    assert name == "Veteran Robotics" and "Both descriptions mention bakeries. Both in Robotics." in reasons
    assert "Publish what you offer and seek</a> for better suggestions" in client.get(SEARCH).get_data(as_text=True)


def test_plural_and_singular_meet(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "a@a.example", "Cell Recyclers", tz="Europe/Berlin",
                     opportunities=[{"kind": "tech_request", "title": "Recycling of used batteries"}])
    make_participant(app, event_id, "b@b.example", "Battery Labs", tz="Europe/Paris",
                     opportunities=[{"kind": "tech_offer", "title": "Battery recycling process"}])
    [(name, reasons)] = _suggested(logged_in(app, "a@a.example").get(SEARCH))
    assert name == "Battery Labs" and "both mention batteries, recycling." in reasons


def test_words_everyone_uses_make_no_fit_in_a_sizeable_event(app, make_event):
    event_id = make_event()
    for n in range(22):  # everyone mentions the cloud
        make_participant(app, event_id, f"p{n}@p.example", f"Cloud Firm {n:02}", description="cloud")
    make_participant(app, event_id, "a@a.example", "Asker", tz="Europe/Berlin",
                     opportunities=[{"kind": "tech_request", "title": "Cloud hosting"}])
    make_participant(app, event_id, "b@b.example", "Offerer", tz="Europe/Berlin",
                     opportunities=[{"kind": "tech_offer", "title": "Cloud storage"},
                                    {"kind": "tech_offer", "title": "Hosting for research data"}])
    [(name, reasons)] = _suggested(logged_in(app, "a@a.example").get(SEARCH))
    assert name == "Offerer" and "both mention hosting." in reasons and "cloud" not in reasons


def test_organisers_see_partners_to_suggest(app, market):
    from tests.support import Auth

    client = app.test_client()
    Auth(client).login("organiser@een.example")
    page = client.get(f"/organise/march-2027/participants/{market['ids']['nordlicht']}")
    assert "Partners to suggest to Nordlicht Robotics" in page.get_data(as_text=True)
    assert [name for name, _ in _suggested(page)] == ["Sakura Handling", "Hudson Automation", "Aloha Grippers"]
    pending = client.get(f"/organise/march-2027/participants/{market['ids']['pending']}")
    assert _suggested(pending) == []  # not in the marketplace yet: nobody to introduce

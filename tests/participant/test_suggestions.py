"""Suggested partners on the marketplace and on the organisers' participant page: who fits, why, and in what order."""
from __future__ import annotations

import html
import re

import pytest
from participant_support import logged_in, make_participant

from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest

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
        # Sakura's offer and Nordlicht's sector, but Honolulu's working day misses every slot of the event.
        "aloha": person("aloha", "Aloha Grippers", country="US", tz="Pacific/Honolulu", sectors="robotics",
                        opportunities=[{"kind": "tech_offer", "title": "Vacuum gripper",
                                        "description": "A gripper for bakery lines."}]),
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


def test_a_fitting_offer_counts_most_and_half_outside_working_hours(market):
    suggested = _suggested(market["client"].get(SEARCH))
    assert [name for name, _ in suggested] == ["Sakura Handling", "Aloha Grippers", "Hudson Automation"]
    sakura, aloha, hudson = (reasons for _, reasons in suggested)
    assert ("Their technology offer “Vacuum gripper” answers your technology request “Soft grippers for food "
            "handling”; both mention bakery and grippers.") in sakura
    assert "2 slots within both working days." in sakura
    assert "Both in Robotics." in hudson and "answers" not in hudson
    assert "7 slots within both working days." in hudson
    assert "No slot of this event is within both working days: one side would meet outside office hours." in aloha
    page = market["client"].get(SEARCH).get_data(as_text=True)
    assert "09:00–18:00 on both clocks; your side: Europe/Berlin (UTC+01:00)." in page
    for zone in ("JP (Japan) · Asia/Tokyo (UTC+09:00)", "US (United States) · America/New_York (UTC-04:00)",
                 "US (United States) · Pacific/Honolulu (UTC-10:00)"):  # each card names the other side's clock
        assert zone in page


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


def test_suggestions_only_on_the_unfiltered_first_page(app, market):
    client = market["client"]
    assert _suggested(client.get(SEARCH))
    assert _suggested(client.get(SEARCH, query_string={"q": "grippers"})) == []
    assert _suggested(client.get(SEARCH, query_string={"region": "JP"})) == []
    for n in range(20):  # a second page of results
        make_participant(app, market["event_id"], f"fi{n}@example.fi", f"Finnish SME {n:02d}", tz="Europe/Helsinki")
    page_two = client.get(SEARCH, query_string={"page": 2})
    assert "Page 2 of 2" in page_two.get_data(as_text=True) and _suggested(page_two) == []


def test_without_opportunities_the_page_asks_for_them(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "new@new.example", "Newcomer Robotics", tz="Europe/Berlin", sectors="robotics",
                     description="Cobots for small bakeries.")
    make_participant(app, event_id, "old@old.example", "Veteran Robotics", tz="Europe/Paris", sectors="robotics",
                     description="Automation for the bakery trade.")
    client = logged_in(app, "new@new.example")
    [(name, reasons)] = _suggested(client.get(SEARCH))
    assert name == "Veteran Robotics" and "Both descriptions mention bakeries. Both in Robotics." in reasons
    assert "Publish what you offer and seek</a>\n    for better suggestions." in client.get(SEARCH).get_data(as_text=True)


def test_plural_and_singular_meet(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "a@a.example", "Cell Recyclers", tz="Europe/Berlin",
                     opportunities=[{"kind": "tech_request", "title": "Recycling of used batteries"}])
    make_participant(app, event_id, "b@b.example", "Battery Labs", tz="Europe/Paris",
                     opportunities=[{"kind": "tech_offer", "title": "Battery recycling process"}])
    [(name, reasons)] = _suggested(logged_in(app, "a@a.example").get(SEARCH))
    assert name == "Battery Labs" and "both mention batteries and recycling." in reasons


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
    text = page.get_data(as_text=True)
    assert "Partners to suggest to Nordlicht Robotics" in text
    assert [name for name, _ in _suggested(page)] == ["Sakura Handling", "Aloha Grippers", "Hudson Automation"]
    assert "answers Nordlicht Robotics’s technology request" in html.unescape(text)
    assert f'href="/organise/march-2027/participants/{market["ids"]["sakura"]}"' in text  # the organisers' view
    pending = client.get(f"/organise/march-2027/participants/{market['ids']['pending']}")
    assert _suggested(pending) == []  # not in the marketplace yet: nobody to introduce


def test_colleagues_money_words_and_chance_words_are_no_match(app, make_event):
    event_id = make_event()
    offer = {"kind": "tech_offer", "title": "Soft grippers for bakeries"}
    make_participant(app, event_id, "a@nordlicht.example", "Nordlicht Robotics", tz="Europe/Berlin",
                     opportunities=[{"kind": "tech_request", "title": "Grippers for bakeries"},
                                    {"kind": "investment", "title": "Series A round of EUR 5 million"}])
    make_participant(app, event_id, "b@other.example", "NORDLICHT  robotics", opportunities=[offer])  # same name
    make_participant(app, event_id, "c@nordlicht.example", "Nordlicht Sales", opportunities=[offer])  # another name
    make_participant(app, event_id, "d@d.example", "Raising Too",  # money words alone make no fit
                     opportunities=[{"kind": "investment", "title": "Raising a Series A round: EUR 3 million"}])
    make_participant(app, event_id, "e@e.example", "Chance Word", opportunities=[{  # one word in a long text
        "kind": "tech_offer", "title": "Hydrogen electrolyser stacks", "description":
        "Alkaline and PEM stacks, balance of plant, power electronics, water treatment, compressors, storage "
        "vessels, safety systems and grid services for industrial bakeries and steel plants."}])
    assert [name for name, _ in _suggested(logged_in(app, "a@nordlicht.example").get(SEARCH))] == ["Nordlicht Sales"]


def test_japanese_and_korean_texts_match(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "jp@jp.example", "Kyoto Cells", country="JP", tz="Asia/Tokyo",
                     opportunities=[{"kind": "tech_request", "title": "リチウムイオン電池のリサイクル技術"}])
    make_participant(app, event_id, "kr@kr.example", "Busan Battery", country="KR", tz="Asia/Seoul",
                     opportunities=[{"kind": "tech_offer", "title": "電池リサイクル",
                                     "description": "폐배터리를 재활용하는 공정"}])
    make_participant(app, event_id, "kr2@kr2.example", "Ulsan Recycling", country="KR", tz="Asia/Seoul",
                     opportunities=[{"kind": "tech_request", "title": "배터리의 재활용 기술"}])
    make_participant(app, event_id, "fw@fw.example", "Full Width", country="JP", tz="Asia/Tokyo",
                     opportunities=[{"kind": "tech_offer", "title": "ＥＣＧ analysis software"}])
    make_participant(app, event_id, "ecg@ecg.example", "Half Width", country="KR", tz="Asia/Seoul",
                     opportunities=[{"kind": "tech_request", "title": "ECG analysis for wearables"}])
    [(name, reasons)] = _suggested(logged_in(app, "jp@jp.example").get(SEARCH))
    assert name == "Busan Battery" and "both mention リサイクル技術 and リチウムイオン電池" in reasons
    assert [name for name, _ in _suggested(logged_in(app, "kr2@kr2.example").get(SEARCH))] == ["Busan Battery"]
    [(name, reasons)] = _suggested(logged_in(app, "ecg@ecg.example").get(SEARCH))
    assert name == "Full Width" and "both mention analysis and ECG" in reasons


def test_no_suggestions_when_no_more_meetings_can_be_booked(app, make_event):
    from datetime import datetime, timezone

    from brokerage.events.models import Event
    event_id = make_event(max_meetings=1)
    ids = [make_participant(app, event_id, f"{n}@{n}.example", f"Grippers {n}", tz="Europe/Berlin", sectors="robotics")
           for n in ("a", "b", "c", "d")]
    client = logged_in(app, "a@a.example")

    def agree(requester, recipient):
        with app.app_context():
            request = MeetingRequest(event_id=event_id, requester_id=requester, recipient_id=recipient,
                                     status="accepted")
            db.session.add(Meeting(event_id=event_id, request=request))
            db.session.commit()
    assert [name for name, _ in _suggested(client.get(SEARCH))] == ["Grippers b", "Grippers c", "Grippers d"]
    agree(ids[1], ids[2])
    assert [name for name, _ in _suggested(client.get(SEARCH))] == ["Grippers d"]  # b and c are full
    agree(ids[0], ids[3])
    assert 'id="suggestions"' not in client.get(SEARCH).get_data(as_text=True)  # a is full itself
    with app.app_context():
        db.session.get(Event, event_id).max_meetings = None
        db.session.get(Event, event_id).max_pending_requests = 1
        db.session.add(MeetingRequest(event_id=event_id, requester_id=ids[0], recipient_id=ids[1]))
        db.session.commit()
    assert 'id="suggestions"' not in client.get(SEARCH).get_data(as_text=True)  # no more requests may be sent
    with app.app_context():
        db.session.get(Event, event_id).max_pending_requests = 2
        db.session.commit()
    assert 'id="suggestions"' in client.get(SEARCH).get_data(as_text=True)
    with app.app_context():
        db.session.get(Event, event_id).booking_deadline = datetime(2020, 1, 1, tzinfo=timezone.utc)
        db.session.commit()
    assert 'id="suggestions"' not in client.get(SEARCH).get_data(as_text=True)  # booking closed


def test_an_empty_profile_is_asked_for_opportunities_and_an_unknown_zone_breaks_nothing(app, make_event):
    from brokerage.events.models import Participant
    event_id = make_event()
    make_participant(app, event_id, "new@new.example", "Blank Slate", tz="Europe/Berlin")
    odd = make_participant(app, event_id, "odd@odd.example", "Odd Zone", sectors="robotics",
                           opportunities=[{"kind": "tech_offer", "title": "Grippers"}])
    make_participant(app, event_id, "g@g.example", "Gripper Seeker", tz="Europe/Berlin", sectors="robotics",
                     opportunities=[{"kind": "tech_request", "title": "Grippers"}])
    page = logged_in(app, "new@new.example").get(SEARCH).get_data(as_text=True)
    assert "Publish what you offer and seek</a>\n    to get suggestions of partners who fit." in page
    with app.app_context():  # e.g. a zone a later tz database dropped
        db.session.get(Participant, odd).timezone = "Mars/Olympus_Mons"
        db.session.commit()
    [(name, reasons)] = _suggested(logged_in(app, "g@g.example").get(SEARCH))
    assert name == "Odd Zone" and "working days" not in reasons  # unknown, so not claimed either way


def test_one_shared_word_fits_only_short_texts(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "a@a.example", "Asker", tz="Europe/Berlin",
                     opportunities=[{"kind": "partnership", "title": "Partners for precision agriculture sensors"}])
    make_participant(app, event_id, "b@b.example", "Battery Sensors", tz="Europe/Berlin",
                     opportunities=[{"kind": "partnership", "title": "Partners for battery sensors recycling"}])
    make_participant(app, event_id, "c@c.example", "Agri Sensors", tz="Europe/Berlin",
                     opportunities=[{"kind": "partnership", "title": "Agriculture sensors"}])
    assert [name for name, _ in _suggested(logged_in(app, "a@a.example").get(SEARCH))] == ["Agri Sensors"]


def test_a_firm_seeking_distributors_meets_distributors_not_its_competitors(app, make_event):
    """As in EEN's partnering database: a business offer (we sell, distributors sought) answers a business
    request (we buy or distribute); two offers of the same product are competitors, whatever words they share."""
    event_id = make_event()
    make_participant(app, event_id, "a@a.example", "Lidar Maker A", tz="Europe/Berlin", opportunities=[
        {"kind": "business_offer", "title": "Distributors in Japan for automotive lidar sensors"}])
    make_participant(app, event_id, "b@b.example", "Lidar Maker B", tz="Europe/Berlin", opportunities=[
        {"kind": "business_offer", "title": "Distributors in Japan for lidar sensors for cars"}])
    make_participant(app, event_id, "c@c.example", "Osaka Trading", tz="Europe/Berlin", opportunities=[
        {"kind": "business_request", "title": "European lidar sensors for our automotive customers"}])
    [(name, reasons)] = [(n, r) for n, r in _suggested(logged_in(app, "a@a.example").get(SEARCH)) if "lidar" in r]
    assert name == "Osaka Trading" and "business request" in reasons and "answers" in reasons


def test_organisers_mail_the_suggestions_once_a_day(app, market, outbox):
    from tests.support import Auth, post_form

    client = app.test_client()
    Auth(client).login("organiser@een.example")
    page = f"/organise/march-2027/participants/{market['ids']['nordlicht']}"
    url = f"{page}/suggestions"
    response = post_form(client, url, {}, form_url=page, follow_redirects=True)
    assert "Nordlicht Robotics was mailed 3 suggested partner(s)." in response.get_data(as_text=True)
    [sent] = outbox()
    assert sent["To"] == "nordlicht@nordlicht.example"
    text = sent.get_body(("plain",)).get_content()
    assert "* Sakura Handling (JP): their technology offer “Vacuum gripper”" in text
    assert "* Hudson Automation (US): also in Robotics" in text
    assert "(no slot within both working days)" in text.split("Aloha Grippers")[1].splitlines()[0]
    assert "/events/march-2027/marketplace" in text and "— Olga Organiser, for the" in text
    again = post_form(client, url, {}, form_url=page, follow_redirects=True)
    assert "already mailed suggestions today" in again.get_data(as_text=True) and len(outbox()) == 1
    pending = f"/organise/march-2027/participants/{market['ids']['pending']}"
    refused = post_form(client, f"{pending}/suggestions", {}, form_url=pending, follow_redirects=True)
    assert "no partners to suggest to Pending Grippers" in refused.get_data(as_text=True) and len(outbox()) == 1


def test_without_slots_no_hours_are_claimed_and_mails_give_every_reason(app, make_event, outbox):
    from brokerage.events.models import MeetingWindow, Slot
    from tests.support import Auth, post_form
    event_id = make_event()
    with app.app_context():  # windows not set up yet
        db.session.execute(db.delete(Slot).where(Slot.event_id == event_id))
        db.session.execute(db.delete(MeetingWindow).where(MeetingWindow.event_id == event_id))
        db.session.commit()
    asker = make_participant(app, event_id, "a@a.example", "Asker", tz="Asia/Tokyo", description="Cobots for bakeries.")
    make_participant(app, event_id, "b@b.example", "Baker Bots", tz="Pacific/Honolulu",
                     description="Robots for the bakery trade.")
    [(name, reasons)] = _suggested(logged_in(app, "a@a.example").get(SEARCH))
    assert reasons == "Both descriptions mention bakeries."
    client = app.test_client()
    Auth(client).login("organiser@een.example")
    page = f"/organise/march-2027/participants/{asker}"
    post_form(client, f"{page}/suggestions", {}, form_url=page)
    text = outbox()[0].get_body(("plain",)).get_content()
    assert "* Baker Bots (FR): both descriptions mention bakeries\n" in text  # no claim about working days


def test_organisers_arrange_a_suggested_meeting(app, market, outbox):
    from brokerage.events.models import Event
    from tests.support import Auth, post_form

    client = app.test_client()
    Auth(client).login("organiser@een.example")
    ids = market["ids"]
    page = f"/organise/march-2027/participants/{ids['nordlicht']}"
    assert f'id="confirm-arrange-{ids["sakura"]}"' in client.get(page).get_data(as_text=True)

    def arrange(partner):
        return post_form(client, f"{page}/arrange", {"partner": partner}, form_url=page,
                         follow_redirects=True).get_data(as_text=True)
    page_after = arrange(ids["sakura"])
    assert "Meeting arranged between Nordlicht Robotics and Sakura Handling; both were told." in page_after
    assert "They share no slot both marked as available yet" in page_after  # neither has marked any
    with app.app_context():
        request = db.session.scalar(db.select(MeetingRequest).filter_by(requester_id=ids["nordlicht"],
                                                                        recipient_id=ids["sakura"]))
        assert request.status == "accepted" and request.meeting is not None and not request.meeting.cancelled
        assert request.message == "Arranged by the organisers (Olga Organiser)."
    assert sorted(m["To"] for m in outbox()) == ["nordlicht@nordlicht.example", "sakura@sakura.example"]
    assert "arranged a meeting between Sakura Handling and Nordlicht Robotics" in [
        m for m in outbox() if m["To"] == "sakura@sakura.example"][0].get_body(("plain",)).get_content()
    requests_page = market["client"].get("/events/march-2027/requests").get_data(as_text=True)
    assert re.search(r'Sakura Handling.*?<td data-label="Requested by">The organisers</td>', requests_page, re.S)
    assert "Sakura Handling" not in [name for name, _ in _suggested(market["client"].get(SEARCH))]

    assert "already have a pending or agreed meeting request" in arrange(ids["sakura"])
    assert "must be two approved participants" in arrange(ids["pending"])
    assert "must be two approved participants" in arrange(ids["nordlicht"])
    with app.app_context():
        db.session.get(Event, market["event_id"]).max_meetings = 1
        db.session.commit()
    assert "Nordlicht Robotics already has 1 agreed meetings, the most the event allows" in arrange(ids["hudson"])
    assert len(outbox()) == 2
    assert post_form(client, f"{page}/arrange", {"partner": "99999999999999999999"}, form_url=page).status_code == 404
    other = client.post(f"{page}/arrange", data={"partner": 999999})
    assert other.status_code in (400, 404)  # no CSRF token or no such participant: nothing happens

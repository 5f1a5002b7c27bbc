import csv
import io
import re

import pytest

from brokerage.extensions import db
from brokerage.organiser.csv_io import safe_cell as _cell  # the impact CSV is written with it

STAGES = ["requested", "accepted", "scheduled", "held", "cooperation", "negotiation", "agreement"]


@pytest.fixture
def small_event(build):
    """Eight requests across regions, with every stage from 'requested' to 'agreement' represented."""
    e = build.past_event()
    paris = build.participant(e, "claire@paris.example", "FR", "Europe/Paris")
    berlin = build.participant(e, "jonas@berlin.example", "DE", "Europe/Berlin")
    fraunhofer = build.participant(e, "lab@aachen.example", "DE", "Europe/Berlin", "research")
    boston = build.participant(e, "amy@boston.example", "US", "America/New_York", "large")
    sf = build.participant(e, "raj@sf.example", "US", "America/Los_Angeles")
    tokyo = build.participant(e, "kenji@tokyo.example", "JP", "Asia/Tokyo", "research")
    seoul = build.participant(e, "minji@seoul.example", "KR", "Asia/Seoul")
    build.participant(e, "luca@milan.example", "IT", "Europe/Rome", status="pending")
    build.request(e, paris, boston, slot=0, ratings=[(paris, "cooperation_possible", "agreement"), (boston, "informative", None)])
    build.request(e, paris, tokyo, slot=1, ratings=[(paris, "not_held", None), (tokyo, "not_held", None)])
    build.request(e, berlin, tokyo, slot=2, ratings=[(tokyo, "cooperation_possible", "negotiation")])
    build.request(e, berlin, seoul, status="pending")
    build.request(e, seoul, paris, status="declined")
    build.request(e, sf, tokyo, slot=3, published=False)
    build.request(e, paris, berlin, slot=4, ratings=[(berlin, "insufficient_interest", None)])
    build.request(e, fraunhofer, boston, slot=5, ratings=[(boston, "informative", None)])
    return e


def _row(html: str, table_id: str, key: str) -> list[int]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    row = re.search(rf'<tr data-key="{key}">(.*?)</tr>', table, re.S).group(1)
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row)]


def test_impact_numbers_by_region_pair_and_country(client, auth, small_event):
    auth.login("organiser@een.example")
    html = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert _row(html, "by-region-pair", "EU-EU") == [1, 1, 1, 1, 0, 0, 0]
    assert _row(html, "by-region-pair", "EU-US") == [2, 2, 2, 2, 1, 1, 1]
    assert _row(html, "by-region-pair", "EU-JP") == [2, 2, 2, 1, 1, 1, 0]
    assert _row(html, "by-region-pair", "EU-KR") == [2, 0, 0, 0, 0, 0, 0]
    assert _row(html, "by-region-pair", "US-JP") == [1, 1, 0, 0, 0, 0, 0]
    # Country rows: participants, SMEs, then the stages; a meeting counts for both sides' countries.
    assert _row(html, "by-country", "FR") == [1, 1, 4, 3, 3, 2, 1, 1, 1]
    assert _row(html, "by-country", "DE") == [2, 1, 4, 3, 3, 3, 1, 1, 0]
    assert _row(html, "by-country", "US") == [2, 1, 3, 3, 2, 2, 1, 1, 1]
    assert _row(html, "by-country", "KR") == [1, 1, 2, 0, 0, 0, 0, 0, 0]
    # European SMEs with overseas partners: SMEs that met, then the stages; the German lab is no SME.
    assert _row(html, "eu-smes-overseas", "FR-US") == [1, 1, 1, 1, 1, 1, 1, 1]
    assert _row(html, "eu-smes-overseas", "FR-JP") == [0, 1, 1, 1, 0, 0, 0, 0]
    assert _row(html, "eu-smes-overseas", "DE-JP") == [1, 1, 1, 1, 1, 1, 1, 0]
    assert "DE-US" not in html
    assert _row(html, "eu-smes-by-partner-region", "US") == [1, 1, 1, 1, 1, 1, 1, 1]
    assert _row(html, "eu-smes-by-partner-region", "JP") == [1, 2, 2, 2, 1, 1, 1, 0]
    assert _row(html, "eu-smes-by-partner-region", "KR") == [0, 2, 0, 0, 0, 0, 0, 0]
    assert _row(html, "participants-by-region", "EU") == [3, 2]  # the pending Italian is not counted
    assert _row(html, "participants-by-type", "research") == [2]
    assert _row(html, "ratings", "not_held") == [2] and _row(html, "ratings", "cooperation_possible") == [2]
    assert _row(html, "follow-ups", "agreement") == [1]
    assert 'id="total-participants">7<' in html and 'id="total-held">4<' in html and 'id="total-agreement">1<' in html
    assert html.count("<svg") == 5 and "<script" not in html.split("</head>")[1]  # charts drawn without scripts
    assert "Europe/Brussels" in html  # the page names its clock


def test_a_rejected_participant_counts_only_with_meetings_that_took_place(app, client, auth, build, small_event):
    """As on the dashboard, a rejected participant's requests leave every figure, in every table; but a
    meeting that took place before the rejection stays in the timetable, its partner may report on it,
    and it counts."""
    rejected = build.participant(small_event, "ghost@seoul.example", "KR", "Asia/Seoul", status="rejected")
    rome = build.participant(small_event, "giulia@rome.example", "IT", "Europe/Rome")
    build.request(small_event, rejected, rome, slot=6, ratings=[(rome, "cooperation_possible", "agreement")])
    with app.app_context():
        from brokerage.accounts.models import User
        from brokerage.events.models import Participant
        paris, berlin = (db.session.scalar(db.select(Participant.id).join(User).filter(User.email == email))
                         for email in ("claire@paris.example", "jonas@berlin.example"))
    build.request(small_event, rejected, paris, status="pending")
    build.request(small_event, berlin, rejected, slot=5, published=False)  # agreed, never in the timetable
    auth.login("organiser@een.example")
    html = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert _row(html, "by-region-pair", "EU-KR") == [3, 1, 1, 1, 1, 1, 1]
    assert _row(html, "by-country", "KR") == [2, 2, 3, 1, 1, 1, 1, 1, 1]
    assert _row(html, "by-country", "IT") == [1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert 'id="total-held">5<' in html and 'id="total-agreement">2<' in html


def test_who_left_counts_with_what_they_did_and_comments_name_both_sides(client, auth, build):
    """Someone who left counts with their meetings (held or not); someone who left without a request
    does not count, nor does a rejected participant's meeting that never took place. Comments: the requests in order,
    each meeting's in the order of their authors' registrations, naming the other side."""
    e = build.past_event()
    paris = build.participant(e, "claire@paris.example", organisation="Paris Optics")
    tokyo = build.participant(e, "kenji@tokyo.example", "JP", "Asia/Tokyo", "research", "Tokyo Lab", status="withdrawn")
    build.participant(e, "minji@seoul.example", "KR", "Asia/Seoul", status="withdrawn")
    berlin = build.participant(e, "jonas@berlin.example", "DE", "Europe/Berlin", organisation="Berlin Sensors")
    ghost = build.participant(e, "ghost@boston.example", "US", "America/New_York", status="rejected")
    build.request(e, berlin, paris, slot=1, ratings=[(berlin, "informative", "no_contact", "Not our field")])
    build.request(e, paris, tokyo, slot=0, ratings=[(tokyo, "cooperation_possible", "negotiation", "=Visit in May"),
                                                    (paris, "informative", None, "Nice people")])
    build.request(e, berlin, tokyo, slot=2, cancelled=True, ratings=[(berlin, "cooperation_possible", "agreement", "x")])
    build.request(e, tokyo, paris, status="declined")
    build.request(e, ghost, berlin, slot=3, published=False,
                  ratings=[(berlin, "cooperation_possible", "agreement", "Ghost talk")])
    auth.login("organiser@een.example")
    html = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert 'id="total-participants">3<' in html
    assert _row(html, "participants-by-region", "EU") == [2, 2] and _row(html, "participants-by-region", "JP") == [1, 0]
    assert _row(html, "participants-by-type", "research") == [1]
    assert _row(html, "by-region-pair", "EU-JP") == [3, 1, 1, 1, 1, 1, 0]
    assert _row(html, "by-region-pair", "EU-EU") == [1, 1, 1, 1, 0, 0, 0]
    assert "EU-US" not in html and "KR" not in re.search(r'id="by-country".*?</table>', html, re.S).group(0)
    assert _row(html, "ratings", "informative") == [2] and _row(html, "ratings", "cooperation_possible") == [1]
    assert _row(html, "follow-ups", "negotiation") == [1] and _row(html, "follow-ups", "agreement") == [0]
    comments = re.search(r'<table class="compact" id="comments">.*?</table>', html, re.S).group(0)
    assert re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", comments) == [
        ("Berlin Sensors", "Paris Optics", "Informative, no cooperation planned", "No further contact", "Not our field"),
        ("Paris Optics", "Tokyo Lab", "Informative, no cooperation planned", "", "Nice people"),
        ("Tokyo Lab", "Paris Optics", "Cooperation possible", "Negotiation started", "=Visit in May"),
    ]
    rows = list(csv.DictReader(io.StringIO(client.get("/organise/past-2026/impact.csv").data.decode("utf-8-sig"))))
    total = next(r for r in rows if r["section"] == "total")
    assert [int(total[s]) for s in STAGES] == [4, 2, 2, 2, 1, 1, 0] and total["participants"] == "3"


def test_funnel_stages_stay_subsets_and_ratings_follow_the_meetings(client, auth, build):
    """'Informative' then an agreement: cooperation was possible after all. A cancelled meeting's old
    rating counts nowhere."""
    e = build.past_event()
    paris = build.participant(e, "claire@paris.example")
    tokyo = build.participant(e, "kenji@tokyo.example", "JP", "Asia/Tokyo")
    seoul = build.participant(e, "minji@seoul.example", "KR", "Asia/Seoul")
    build.request(e, paris, tokyo, slot=0, ratings=[(paris, "informative", "agreement")])
    build.request(e, paris, seoul, slot=1, cancelled=True, ratings=[(seoul, "cooperation_possible", "negotiation")])
    auth.login("organiser@een.example")
    html = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert _row(html, "by-region-pair", "EU-JP") == [1, 1, 1, 1, 1, 1, 1]
    assert _row(html, "ratings", "informative") == [1] and _row(html, "ratings", "cooperation_possible") == [0]
    assert _row(html, "follow-ups", "negotiation") == [0]


def test_impact_by_support_office(app, client, auth, small_event):
    """Each EEN office reports its own clients' results: a meeting counts for the office of each side."""
    from brokerage.accounts.models import User
    from brokerage.events.models import Participant
    offices = {"claire@paris.example": "CCI Paris Île-de-France", "jonas@berlin.example": "EEN Berlin-Brandenburg",
               "lab@aachen.example": "EEN Berlin-Brandenburg"}
    with app.app_context():
        for person in db.session.scalars(db.select(Participant).join(User).where(User.email.in_(offices))):
            person.support_office = offices[person.user.email]
        db.session.commit()
    auth.login("organiser@een.example")
    html = client.get("/organise/past-2026/impact").get_data(as_text=True)
    # Participants, SMEs, then the stages from requested to agreement.
    assert _row(html, "by-office", "CCI Paris Île-de-France") == [1, 1, 4, 3, 3, 2, 1, 1, 1]
    assert _row(html, "by-office", "EEN Berlin-Brandenburg") == [2, 1, 4, 3, 3, 3, 1, 1, 0]
    assert _row(html, "by-office", "") == [4, 2, 7, 5, 4, 3, 2, 2, 1]
    table = re.search(r'<table[^>]*id="by-office".*?</table>', html, re.S).group(0)
    assert re.findall(r'<th scope="row">(.*?)</th>', table) == [
        "CCI Paris Île-de-France", "EEN Berlin-Brandenburg", "(no support office)"]
    rows = list(csv.DictReader(io.StringIO(client.get("/organise/past-2026/impact.csv").data.decode("utf-8-sig"))))
    office = next(r for r in rows if r["section"] == "support_office" and r["key"] == "EEN Berlin-Brandenburg")
    assert office["participants"] == "2" and [int(office[s]) for s in STAGES] == [4, 3, 3, 3, 1, 1, 0]


def test_impact_csv(client, auth, small_event):
    auth.login("organiser@een.example")
    response = client.get("/organise/past-2026/impact.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="past-2026-impact.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    index = {(r["section"], r["key"]): r for r in rows}
    total = index[("total", "all")]
    assert [int(total[s]) for s in STAGES] == [8, 6, 5, 4, 2, 2, 1] and total["participants"] == "7"
    assert [int(index[("region_pair", "EU-US")][s]) for s in STAGES] == [2, 2, 2, 2, 1, 1, 1]
    assert index[("region_pair", "EU-KR")]["label"] == "Europe – Korea"
    assert index[("country", "FR")]["label"] == "France" and index[("country", "FR")]["held"] == "2"
    assert index[("eu_smes_with_overseas", "DE-JP")]["smes"] == "1"
    assert index[("eu_smes_by_partner_region", "JP")]["smes"] == "1" and index[("eu_smes_by_partner_region", "JP")]["requested"] == "2"
    assert index[("participants_by_region", "JP")]["participants"] == "1"
    assert index[("ratings", "informative")]["count"] == "2"
    assert index[("participants_by_region", "JP")]["held"] == ""  # does not apply to that section


def test_csv_cells_cannot_become_formulas():
    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert _cell("+1") == "'+1" and _cell("@SUM(A1)") == "'@SUM(A1)" and _cell("-2") == "'-2"
    assert _cell("Europe – Korea") == "Europe – Korea" and _cell(3) == "3"


def test_report_of_an_event_with_nothing_yet(client, auth, make_event):
    make_event()
    auth.login("organiser@een.example")
    response = client.get("/organise/march-2027/impact")
    assert response.status_code == 200 and "No data yet" in response.get_data(as_text=True)
    assert client.get("/organise/march-2027/impact.csv").status_code == 200


@pytest.mark.parametrize("who", ["participant", "co_organiser", "stranger", "other_organiser"])
def test_reports_are_for_the_events_organisers_only(app, client, auth, build, make_event, who):
    event = build.past_event()
    build.participant(event, "claire@paris.example")
    build.co_organiser(event, "partner@een-japan.example")
    make_event(slug="another", organiser_email="other@een.example")
    build.user("stranger@example.com")
    email = {"participant": "claire@paris.example", "co_organiser": "partner@een-japan.example",
             "stranger": "stranger@example.com", "other_organiser": "other@een.example"}[who]
    auth.login(email)
    assert client.get("/organise/past-2026/impact").status_code == 403
    assert client.get("/organise/past-2026/impact.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, build):
    build.past_event()
    response = client.get("/organise/past-2026/impact.csv")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]

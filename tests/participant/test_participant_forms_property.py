"""Whatever text people (or scripts) type into the participant forms: never a 500, and kept when refused."""
from __future__ import annotations

import pytest
from tests.support import post_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from participant_support import PROFILE, make_participant, logged_in, signed_up

from brokerage.events.forms import one_line  # single-line fields: line breaks become spaces
from brokerage.events.models import Opportunity
from brokerage.extensions import db

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(max_size=250)


@pytest.fixture
def registered(app, make_event):
    event_id = make_event()
    participant_id = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics",
                                      sectors="robotics")
    return participant_id, logged_in(app, "anna@nordlicht.example")


@pytest.fixture
def registrant(app, make_event):
    make_event()
    return signed_up(app, "kenji@sakura.example")


def kept(html: str, value: str) -> bool:
    return str(escape(value)) in html


@FAST
@given(organisation=TEXT, description=TEXT, languages=TEXT, website=TEXT)
def test_registration_keeps_any_text_when_refused(registrant, organisation, description, languages, website):
    data = {**PROFILE, "organisation": organisation, "description": description, "languages": languages,
            "website": website, "country": ""}  # no country: always refused, so the page comes back
    response = post_form(registrant, "/events/march-2027/register", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose your country." in html
    assert kept(html, one_line(organisation)) and kept(html, description)
    assert kept(html, one_line(languages)) and kept(html, website.strip())


@FAST
@given(organisation=TEXT, languages=TEXT)
def test_profile_edit_saves_or_explains_any_text(app, registered, organisation, languages):
    _, client = registered
    response = post_form(client, "/events/march-2027/profile",
                         {**PROFILE, "organisation": organisation, "languages": languages})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        assert "field-error" in html and kept(html, one_line(organisation)) and kept(html, one_line(languages))


@FAST
@given(kind=st.sampled_from(["tech_offer", "rnd", "", "bogus"]), title=TEXT, description=TEXT, keywords=TEXT)
def test_opportunity_saves_or_explains_any_text(app, registered, kind, title, description, keywords):
    participant_id, client = registered
    response = post_form(client, "/events/march-2027/opportunities",
                         {"kind": kind, "title": title, "description": description, "keywords": keywords})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        with app.app_context():
            latest = db.session.scalars(db.select(Opportunity).filter_by(participant_id=participant_id)
                                        .order_by(Opportunity.id.desc())).first()
            assert (latest.kind, latest.title, latest.description, latest.keywords) == (
                kind, one_line(title), description, one_line(keywords))
    else:
        html = response.get_data(as_text=True)
        assert "field-error" in html
        assert kept(html, one_line(title)) and kept(html, description) and kept(html, one_line(keywords))


@FAST
@given(q=TEXT, sector=st.sampled_from(["", "ai", "robotics", "nonsense"]))
def test_search_never_fails_and_keeps_the_query(registered, q, sector):
    _, client = registered
    response = client.get("/events/march-2027/marketplace", query_string={"q": q, "sector": sector})
    assert response.status_code == 200
    assert kept(response.get_data(as_text=True), q.strip())

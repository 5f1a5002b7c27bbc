"""Cooperation offers and requests: add, edit and delete one's own, and only one's own."""
from __future__ import annotations

from tests.support import csrf_token, post_form
from participant_support import make_participant, logged_in

from brokerage.events.models import Opportunity
from brokerage.extensions import db

OFFER = {"kind": "tech_offer", "title": "Soft grippers for food handling",
         "description": "Food-safe silicone grippers.", "keywords": "robotics, food, grippers"}


def _opportunities(app, participant_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(o.kind, o.title, o.keywords) for o in db.session.scalars(
            db.select(Opportunity).filter_by(participant_id=participant_id).order_by(Opportunity.id))]


def _add(app, participant_id: int, **fields) -> int:
    with app.app_context():
        opportunity = Opportunity(participant_id=participant_id, **{**OFFER, **fields})
        db.session.add(opportunity)
        db.session.commit()
        return opportunity.id


def test_add_list_edit_and_delete_an_opportunity(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    client = logged_in(app, "anna@nordlicht.example")
    url = "/events/march-2027/opportunities"
    assert b"You have no opportunities yet" in client.get(url).data

    response = post_form(client, url, OFFER, follow_redirects=True)
    assert "Soft grippers for food handling" in response.get_data(as_text=True)
    assert post_form(client, url, OFFER).status_code == 302  # a double click adds it once
    assert _opportunities(app, me) == [("tech_offer", "Soft grippers for food handling", "robotics, food, grippers")]

    [opportunity_id] = _ids(app, me)
    edit = f"/events/march-2027/opportunities/{opportunity_id}/edit"
    assert 'value="Soft grippers for food handling"' in client.get(edit).get_data(as_text=True)
    response = post_form(client, edit, {**OFFER, "kind": "rnd", "title": "Joint R&D on grippers"})
    assert response.status_code == 302
    assert _opportunities(app, me)[0][:2] == ("rnd", "Joint R&D on grippers")

    response = post_form(client, f"/events/march-2027/opportunities/{opportunity_id}/delete", {}, form_url=url)
    assert response.status_code == 302 and _opportunities(app, me) == []


def _ids(app, participant_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(Opportunity.id).filter_by(participant_id=participant_id)))


def test_title_longer_than_160_characters_is_refused_and_kept(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    client = logged_in(app, "anna@nordlicht.example")
    title = "G" * 161
    response = post_form(client, "/events/march-2027/opportunities", {**OFFER, "title": title})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keep the title to at most 160 characters (it has 161)." in html
    assert f'value="{title}"' in html and "Food-safe silicone grippers." in html
    assert _opportunities(app, me) == []
    # Exactly 160 is fine.
    assert post_form(client, "/events/march-2027/opportunities", {**OFFER, "title": "G" * 160}).status_code == 302


def test_missing_title_and_unknown_kind_get_messages(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    client = logged_in(app, "anna@nordlicht.example")
    html = post_form(client, "/events/march-2027/opportunities",
                     {**OFFER, "title": "", "kind": "pyramid_scheme"}).get_data(as_text=True)
    assert "Give the opportunity a title." in html and "Choose a type from the list." in html
    assert "robotics, food, grippers" in html
    assert _opportunities(app, me) == []


def test_edit_with_bad_input_keeps_typed_text_and_the_stored_one(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    opportunity_id = _add(app, me)
    client = logged_in(app, "anna@nordlicht.example")
    edit = f"/events/march-2027/opportunities/{opportunity_id}/edit"
    html = post_form(client, edit, {**OFFER, "title": "x" * 200, "keywords": "new words"}).get_data(as_text=True)
    assert "at most 160 characters" in html and 'value="new words"' in html
    assert _opportunities(app, me)[0][1] == "Soft grippers for food handling"


def test_someone_elses_opportunity_cannot_be_edited_or_deleted(app, make_event):
    event_id = make_event()
    make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    other = make_participant(app, event_id, "kenji@sakura.example", "Sakura Sensors", tz="Asia/Tokyo", country="JP")
    theirs = _add(app, other)
    client = logged_in(app, "anna@nordlicht.example")
    assert client.get(f"/events/march-2027/opportunities/{theirs}/edit").status_code == 403
    token = csrf_token(client, "/events/march-2027/opportunities")
    response = client.post(f"/events/march-2027/opportunities/{theirs}/edit", data={"csrf_token": token, **OFFER,
                                                                                   "title": "Hijacked"})
    assert response.status_code == 403
    response = client.post(f"/events/march-2027/opportunities/{theirs}/delete", data={"csrf_token": token})
    assert response.status_code == 403 and b"only your own" in response.data
    assert _opportunities(app, other) == [("tech_offer", "Soft grippers for food handling", "robotics, food, grippers")]
    assert client.get("/events/march-2027/opportunities/999999/edit").status_code == 404


def test_opportunity_of_another_event_is_not_found_here(app, make_event):
    first = make_event()
    second = make_event(slug="june-2027")
    make_participant(app, first, "anna@nordlicht.example", "Nordlicht Robotics")
    elsewhere = make_participant(app, second, "kenji@sakura.example", "Sakura Sensors")
    opportunity_id = _add(app, elsewhere)
    client = logged_in(app, "anna@nordlicht.example")
    assert client.get(f"/events/march-2027/opportunities/{opportunity_id}/edit").status_code == 404


def test_delete_needs_post_and_csrf(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    opportunity_id = _add(app, me)
    client = logged_in(app, "anna@nordlicht.example")
    url = f"/events/march-2027/opportunities/{opportunity_id}/delete"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 400 and b"form expired" in response.data
    assert len(_opportunities(app, me)) == 1


def test_pending_participant_prepares_opportunities(app, make_event):
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics", status="pending")
    client = logged_in(app, "anna@nordlicht.example")
    assert post_form(client, "/events/march-2027/opportunities", OFFER).status_code == 302
    assert len(_opportunities(app, me)) == 1


def test_unregistered_user_has_no_opportunities_page(app, make_event):
    make_event()
    make_participant(app, make_event(slug="other"), "anna@nordlicht.example", "Nordlicht Robotics")
    client = logged_in(app, "anna@nordlicht.example")
    assert client.get("/events/march-2027/opportunities").status_code == 403


def test_a_profile_holds_at_most_twenty_opportunities(app, make_event):
    """Every suggestion and search reads all of them: one profile must not slow everyone's marketplace."""
    event_id = make_event()
    me = make_participant(app, event_id, "anna@nordlicht.example", "Nordlicht Robotics")
    for n in range(20):
        _add(app, me, title=f"Offer {n}")
    response = post_form(logged_in(app, "anna@nordlicht.example"), "/events/march-2027/opportunities",
                         {**OFFER, "title": "One more"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "holds 20 opportunities, the most it can" in html
    assert 'value="One more"' in html and len(_ids(app, me)) == 20

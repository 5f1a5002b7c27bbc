"""Participants cannot reach each other's things, and outsiders cannot reach the participant pages.

A is an approved participant (Lyon Robotics, Paris); B (Boston Sensors, New York) has a pending request to
Seoul AI, an opportunity, a published meeting with C (Osaka Materials) and an outcome of it. A tries to act on
each of B's things: 403/404 and nothing changed. Outsiders (a stranger, another event's organiser,
an anonymous visitor) try every participant route of the event: 403 (or a login redirect), never 200 or 500.
"""
from __future__ import annotations

import itertools

import icalendar
import pytest

from access_helpers import diff

PARTICIPANT_BLUEPRINTS = ("events", "marketplace", "meetings", "outcomes")
# Open to anyone (the event page) or any logged-in user (registering is how one becomes a participant);
# the feed is keyed by its secret token, not the login (tested below with a wrong token).
PUBLIC = {"events.detail", "events.register", "meetings.feed"}


def _check_refused(response, before, after, where, allowed=(403, 404)):
    problems = []
    if response.status_code not in allowed:
        problems.append(f"{where} -> {response.status_code} (expected one of {allowed})")
    if before != after:
        problems.append(f"{where} CHANGED THE DATABASE/OUTBOX: {diff(before, after)}")
    return problems


def test_a_cannot_touch_bs_requests_opportunities_meetings_or_outcomes(world, clients, snapshot):
    a = clients["participant_a"]
    slug, i = world.slug, world.ids
    attempts = [
        ("POST", f"/events/{slug}/requests/{i['r_b_pending']}/accept", {}),
        ("POST", f"/events/{slug}/requests/{i['r_b_pending']}/decline", {}),
        ("POST", f"/events/{slug}/requests/{i['r_b_pending']}/cancel", {}),
        # A's own outgoing request to C: only the recipient may accept it.
        ("POST", f"/events/{slug}/requests/{i['r_ac_pending']}/accept", {}),
        # The agreed request between C and B.
        ("POST", f"/events/{slug}/requests/{i['r_cb']}/cancel", {}),
        ("POST", f"/events/{slug}/requests/{i['r_cb']}/decline", {}),
        ("GET", f"/events/{slug}/opportunities/{i['opp_b']}/edit", None),
        ("POST", f"/events/{slug}/opportunities/{i['opp_b']}/edit",
         {"kind": "tech_offer", "title": "Hijacked by A", "description": "x", "keywords": "x"}),
        ("POST", f"/events/{slug}/opportunities/{i['opp_b']}/delete", {}),
        ("GET", f"/events/{slug}/meetings/{i['m_cb']}.ics", None),
        ("GET", f"/events/{slug}/outcomes/{i['m_cb']}", None),
        ("POST", f"/events/{slug}/outcomes/{i['m_cb']}",
         {"rating": "not_held", "follow_up": "no_contact", "comment": "overwritten by A"}),
        ("GET", f"/feed/{i['feed_b']}x.ics", None),
        ("GET", f"/feed/{i['feed_b'][:-1]}.ics", None),
    ]
    problems = []
    for method, url, data in attempts:
        before = snapshot()
        response = a.get(url) if method == "GET" else a.post(url, data=data)
        problems += _check_refused(response, before, snapshot(), f"{method} {url} as A")
    assert not problems, "\n".join(problems)


def test_positive_controls_for_a(world, clients):
    """A's own things work, so the refusals above are about ownership, not broken URLs."""
    a = clients["participant_a"]
    slug, i = world.slug, world.ids
    ics = a.get(f"/events/{slug}/meetings/{i['m_ab']}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert icalendar.Calendar.from_ical(ics.data).walk("VEVENT")[0]["SUMMARY"] == "B2B meeting: Boston Sensors"
    feed = a.get(f"/feed/{i['feed_a']}.ics")
    assert feed.status_code == 200 and b"Boston Sensors" in feed.data
    assert a.get(f"/events/{slug}/opportunities/{i['opp_a']}/edit").status_code == 200
    assert a.get(f"/events/{slug}/requests").status_code == 200


def test_a_sees_nothing_private_of_others(world, clients):
    a = clients["participant_a"]
    slug, i = world.slug, world.ids
    requests_page = a.get(f"/events/{slug}/requests").get_data(as_text=True)
    assert "Pending B-&gt;Seoul AI" not in requests_page and "Pending B->Seoul AI" not in requests_page
    assert "Materials x sensors" not in requests_page
    profile = a.get(f"/events/{slug}/marketplace/{i['b']}")
    assert profile.status_code == 200
    assert "Boston Sensors" in profile.get_data(as_text=True)
    assert "ORGANISER-ONLY" not in profile.get_data(as_text=True), "organiser notes leak into the marketplace"
    search = a.get(f"/events/{slug}/marketplace").get_data(as_text=True)
    assert "ORGANISER-ONLY" not in search
    outcomes = a.get(f"/events/{slug}/outcomes").get_data(as_text=True)
    assert "B&#39;s private comment" not in outcomes and "B's private comment" not in outcomes
    feed = a.get(f"/feed/{i['feed_a']}.ics").data
    assert b"Osaka Materials" not in feed, "A's feed lists the meeting between B and C"


def participant_values(world) -> dict[str, list]:
    i = world.ids
    return {
        "slug": [world.slug], "participant_id": [i["b"]], "request_id": [i["r_b_pending"]],
        "meeting_id": [i["m_cb"]], "opportunity_id": [i["opp_b"]], "token": [i["feed_b"]],
    }


@pytest.mark.parametrize("role", ["stranger", "other_organiser", "anonymous"])
def test_participant_pages_are_closed_to_outsiders(app, world, clients, snapshot, role):
    from flask import url_for

    outsider = clients[role]
    values = participant_values(world)
    rules = sorted((r for r in app.url_map.iter_rules()
                    if r.endpoint.split(".")[0] in PARTICIPANT_BLUEPRINTS and r.endpoint not in PUBLIC
                    and "slug" in r.arguments), key=lambda r: r.rule)
    problems, unfilled, attempts = [], [], 0
    for rule in rules:
        if set(rule.arguments) - set(values):
            unfilled.append(rule.rule)
            continue
        args = sorted(rule.arguments)
        for combo in itertools.product(*(values[a] for a in args)):
            with app.test_request_context():
                url = url_for(rule.endpoint, **dict(zip(args, combo)))
            for method in (m for m in ("GET", "POST") if m in rule.methods):
                before = snapshot()
                response = outsider.get(url) if method == "GET" else outsider.post(url, data={})
                attempts += 1
                where = f"{method} {url} ({rule.endpoint}) as {role}"
                if role == "anonymous" and response.status_code in (302, 303):
                    if "/accounts/login" not in response.headers.get("Location", ""):
                        problems.append(f"{where} -> redirect to {response.headers.get('Location')}")
                    if before != snapshot():
                        problems.append(f"{where} CHANGED THE DATABASE/OUTBOX")
                    continue
                problems += _check_refused(response, before, snapshot(), where, allowed=(401, 403))
    assert attempts >= 15, f"only {attempts} requests tried over {len(rules)} rules"
    assert not unfilled, f"participant rules with URL parameters this test cannot fill: {unfilled}"
    assert not problems, f"{len(problems)} of {attempts} requests let through:\n" + "\n".join(problems)


def test_feed_needs_the_right_token(world, clients):
    anonymous = clients["anonymous"]
    assert anonymous.get(f"/feed/{world.ids['feed_b']}.ics").status_code == 200  # the token is the key
    for token in ("", "x", world.ids["feed_b"].upper(), world.ids["feed_b"] + "%00"):
        response = anonymous.get(f"/feed/{token}.ics")
        assert response.status_code == 404, (token, response.status_code)

"""Cross-role access to the organiser console (organiser, scheduling and reports blueprints).

Every rule of those blueprints is found in app.url_map, its URL filled with this event's slug and real ids,
and tried with GET and POST (valid CSRF token, and the form values the real organiser's pages submit) as:
participant A, the co-organiser (allowed only on participant management), another event's organiser,
a stranger and an anonymous visitor. Expected: 403 (anonymous: a login redirect or 403), never 200 or 500,
and no row of any table (nor the outbox) changed. A route a colleague adds later is covered automatically;
an URL parameter this file does not know fails `test_every_console_rule_can_be_filled`.
"""
from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from brokerage.extensions import db
from access_helpers import diff, harvest_forms

SCOPED_BLUEPRINTS = ("organiser", "scheduling", "reports")
ATTACKERS = ("participant_a", "co_organiser", "other_organiser", "stranger", "anonymous")
# Rules that are not about one event: any logged-in user may list their own events and create one (issue 4).
NOT_EVENT_SCOPED = {"organiser.index", "organiser.new_event"}
# What the organiser engineer lets co-organisers do (require_organiser(..., co_organiser_ok=True)):
# participant management (with mailing suggestions and arranging meetings for their clients), CSV import, the
# participants export; the dashboard redirects them to participants.
CO_ORGANISER_ALLOWED = {
    "organiser.participants", "organiser.participant", "organiser.set_status", "organiser.approve_pending",
    "organiser.mail_suggestions", "organiser.arrange_meeting", "organiser.record_outcome",
    "organiser.import_csv", "organiser.import_confirm", "organiser.dashboard",
    "organiser.mail_participants", "organiser.retry_announcement",
}
CO_ORGANISER_ALLOWED_VALUES = {("organiser.export", "what", "participants")}


def export_kinds() -> list[str]:
    try:
        from brokerage.organiser.csv_io import EXPORTS
        return sorted(EXPORTS)
    except ImportError:  # pragma: no cover - before the organiser console exists
        return ["participants", "requests", "meetings"]


def param_values(world) -> dict[str, list]:
    i = world.ids
    return {
        "slug": [world.slug],
        "participant_id": [i["a"]],
        "run_id": [i["run"]],
        "meeting_id": [i["m_ab"]],
        "window_id": [i["window"]],
        "organiser_id": [i["co_link"]],
        "request_id": [i["r_ab"]],
        "opportunity_id": [i["opp_a"]],
        "slot_id": [i["slot"]],
        "token": [i["feed_a"]],
        "what": export_kinds(),
        "announcement_id": [i["announcement"]],
    }


def scoped_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in SCOPED_BLUEPRINTS]
    return sorted(rules, key=lambda r: (r.endpoint, r.rule))


def filled_urls(app, rule, values: dict[str, list]):
    """[(url, {arg: value})] for every combination of known values; unknown args are left out (see below)."""
    args = sorted(rule.arguments)
    if any(a not in values for a in args):
        return []
    urls = []
    for combo in itertools.product(*(values[a] for a in args)):
        kwargs = dict(zip(args, combo))
        with app.test_request_context():
            from flask import url_for
            urls.append((url_for(rule.endpoint, **kwargs), kwargs))
    return urls


def methods_of(rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def co_organiser_may(endpoint: str, kwargs: dict) -> bool:
    return endpoint in CO_ORGANISER_ALLOWED or any(
        endpoint == e and kwargs.get(arg) == v for e, arg, v in CO_ORGANISER_ALLOWED_VALUES)


@pytest.fixture
def organiser_forms(app, world, clients):
    """path -> the values the organiser's own pages would post there (so attackers send plausible forms)."""
    organiser = clients["organiser"]
    forms: dict[str, dict] = {}
    for rule in scoped_rules(app):
        if "GET" not in rule.methods:
            continue
        for url, _ in filled_urls(app, rule, param_values(world)):
            response = organiser.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                for path, method, data in harvest_forms(response.get_data(as_text=True), url):
                    if method == "post":
                        forms.setdefault(path, data)
    return forms


def test_agreed_console_endpoints_exist(app):
    agreed = {
        "organiser.new_event", "organiser.dashboard", "organiser.settings", "organiser.windows",
        "organiser.participants", "organiser.participant", "organiser.import_csv", "organiser.export",
        "scheduling.runs", "scheduling.run", "scheduling.timetable", "reports.impact", "reports.impact_csv",
    }
    missing = agreed - set(app.view_functions)
    assert not missing, f"agreed endpoints not registered: {sorted(missing)}"


def test_every_console_rule_can_be_filled(app, world):
    values = param_values(world)
    unknown = {r.rule: sorted(set(r.arguments) - set(values)) for r in scoped_rules(app) if set(r.arguments) - set(values)}
    assert not unknown, (f"console rules with URL parameters the access tests cannot fill (add them to "
                         f"param_values in {__file__}): {unknown}")


def test_organiser_reaches_every_console_page(app, world, clients):
    """Positive control: the ids filled in are real, so the 403s below are not 404s in disguise."""
    organiser = clients["organiser"]
    checked, problems = 0, []
    for rule in scoped_rules(app):
        if "GET" not in rule.methods:
            continue
        for url, _ in filled_urls(app, rule, param_values(world)):
            status = organiser.get(url).status_code
            checked += 1
            if status != 200:
                problems.append(f"GET {url} ({rule.endpoint}) -> {status}")
    assert checked >= 10, f"only {checked} console pages were checked"
    assert not problems, "the event's organiser cannot open their own console pages:\n" + "\n".join(problems)


def probe(app, world, attacker, role, snapshot, organiser_forms):
    """Try every console rule as `role`; (attempts, blueprints covered, problems)."""
    values = param_values(world)
    attempts, problems = 0, []
    covered_blueprints = set()
    for rule in scoped_rules(app):
        if rule.endpoint in NOT_EVENT_SCOPED and role != "anonymous":
            continue
        for url, kwargs in filled_urls(app, rule, values):
            if role == "co_organiser" and co_organiser_may(rule.endpoint, kwargs):
                continue
            for method in methods_of(rule):
                before = snapshot()
                if method == "GET":
                    response = attacker.get(url)
                else:
                    response = attacker.post(url, data=organiser_forms.get(urlsplit(url).path, {}))
                after = snapshot()
                attempts += 1
                covered_blueprints.add(rule.endpoint.split(".")[0])
                status = response.status_code
                where = f"{method} {url} ({rule.endpoint}) as {role}"
                if role == "anonymous":
                    location = response.headers.get("Location", "")
                    ok = status in (401, 403) or (status in (302, 303) and "/accounts/login" in location)
                    if not ok:
                        problems.append(f"{where} -> {status} {location} (expected a login redirect or 403)")
                elif status != 403:
                    problems.append(f"{where} -> {status} (expected 403)")
                if before != after:
                    problems.append(f"{where} CHANGED THE DATABASE/OUTBOX: {diff(before, after)}")
    return attempts, covered_blueprints, problems


@pytest.mark.parametrize("role", ATTACKERS)
def test_console_is_closed_to_others(app, world, clients, snapshot, organiser_forms, role):
    attempts, covered_blueprints, problems = probe(app, world, clients[role], role, snapshot, organiser_forms)
    assert attempts > 20, f"only {attempts} requests were tried: the rule iteration is broken"
    assert covered_blueprints == set(SCOPED_BLUEPRINTS), f"blueprints covered: {covered_blueprints}"
    assert not problems, f"{len(problems)} of {attempts} requests were let through:\n" + "\n".join(problems)


def test_probe_catches_an_unprotected_route(app, world, clients, snapshot):
    """The checker itself: a console route added without a role check (and changing data) is reported."""
    from brokerage.events.models import Event

    def rogue(slug):
        event = db.session.scalar(db.select(Event).filter_by(slug=slug))
        event.name = "renamed by anyone"
        db.session.commit()
        return "ok"

    app._got_first_request = False  # the fixtures have served requests already; this test adds one rule on purpose
    app.add_url_rule("/organise/<slug>/rogue", "scheduling.rogue", rogue, methods=["POST"])
    attempts, _, problems = probe(app, world, clients["stranger"], "stranger", snapshot, {})
    rogue_problems = [p for p in problems if "scheduling.rogue" in p]
    assert any("-> 200" in p for p in rogue_problems), problems
    assert any("CHANGED THE DATABASE" in p and "renamed by anyone" in p for p in rogue_problems), problems


def test_co_organiser_manages_participants_only(app, world, clients, snapshot):
    """The co-organiser's allowed part works: participants list and page, import form, participants export."""
    co = clients["co_organiser"]
    slug, a = world.slug, world.ids["a"]
    assert co.get(f"/organise/{slug}/participants").status_code == 200
    page = co.get(f"/organise/{slug}/participants/{a}")
    assert page.status_code == 200 and "Lyon Robotics" in page.get_data(as_text=True)
    assert co.get(f"/organise/{slug}/import").status_code == 200
    export = co.get(f"/organise/{slug}/export/participants.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "Lyon Robotics" in export.get_data(as_text=True)
    dashboard = co.get(f"/organise/{slug}/")
    assert dashboard.status_code in (200, 302)
    if dashboard.status_code == 302:
        assert dashboard.headers["Location"].endswith(f"/organise/{slug}/participants")
    # Approving the pending registrations is participant management too.
    before = snapshot()
    approve = co.post(f"/organise/{slug}/participants/approve-pending")
    assert approve.status_code == 302
    assert "participant" in diff(before, snapshot()), "approve-pending changed nothing"
    # The other exports (requests, meetings) are the organiser's.
    for what in ("requests", "meetings"):
        assert co.get(f"/organise/{slug}/export/{what}.csv").status_code == 403


def test_console_index_lists_only_own_events(world, clients):
    stranger = clients["stranger"].get("/organise/")
    assert stranger.status_code == 200
    assert world.slug not in stranger.get_data(as_text=True)
    other = clients["other_organiser"].get("/organise/").get_data(as_text=True)
    assert "other-event-2027" in other and f"/organise/{world.slug}/" not in other
    mine = clients["organiser"].get("/organise/").get_data(as_text=True)
    assert f"/organise/{world.slug}/" in mine

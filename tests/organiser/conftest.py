"""Organiser console fixtures: an organiser who created an event through the real form, and people around it.

Helpers are fixtures (not imports) so the tests run under both `pytest` and `python -m pytest`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from brokerage.extensions import db
from tests.support import allow_organising

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """POST with the CSRF token of the page that shows the form (as tests/conftest.post_form)."""
    match = _CSRF.search(client.get(form_url or url).get_data(as_text=True))
    assert match, f"no CSRF token on {form_url or url}"
    return client.post(url, data={"csrf_token": match.group(1) or match.group(2), **data}, **kwargs)

ORGANISER = "olga@een-brussels.example"


@dataclass
class Console:
    client: object
    slug: str

    def url(self, path: str = "") -> str:
        return f"/organise/{self.slug}/{path}"

    def post(self, path: str, data: dict, form_path: str | None = None, **kwargs):
        return post_form(self.client, self.url(path), data, form_url=self.url(form_path if form_path is not None else path),
                         **kwargs)


def _create_event(client, **fields):
    data = {"name": "EU-Japan-Korea-US tech brokerage", "slug": "eu-asia-us-2027", "organisation": "EEN Brussels",
            "timezone": "Europe/Brussels", "start_date": "2027-03-16", "end_date": "2027-03-17", **fields}
    return post_form(client, "/organise/new", data)


def _add_participant(app, slug: str, email: str, status: str = "pending", country: str = "JP",
                    timezone: str = "Asia/Tokyo", organisation: str | None = None, **fields) -> int:
    """A registration made directly: the participant engineer's tests cover the registration form."""
    from brokerage.accounts.models import User
    from brokerage.events.models import Event, Participant

    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        if user is None:
            user = User(email=email, name=email.split("@")[0].title())
            user.set_password("correct horse")
            db.session.add(user)
            db.session.flush()
        event = db.session.scalar(db.select(Event).filter_by(slug=slug))
        person = Participant(event_id=event.id, user_id=user.id, status=status, organisation=organisation or f"{email} Ltd",
                             country=country, organisation_type="sme", timezone=timezone, **fields)
        db.session.add(person)
        db.session.commit()
        return person.id


@pytest.fixture
def create_event(client):
    return lambda **fields: _create_event(client, **fields)


@pytest.fixture
def add_participant(app):
    return lambda email, **kwargs: _add_participant(app, kwargs.pop("slug", "eu-asia-us-2027"), email, **kwargs)


@pytest.fixture
def post():
    return post_form


@pytest.fixture
def console(client, auth) -> Console:
    auth.signup(ORGANISER, name="Olga Organiser")
    allow_organising(client.application, ORGANISER)
    response = _create_event(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return Console(client, "eu-asia-us-2027")

"""Helpers for tests that act like a person: real forms, real CSRF tokens. Import as `tests.support`."""
from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


class Auth:
    """Sign up and log in through the real forms, like a person would."""

    def __init__(self, client):
        self.client = client

    def signup(self, email: str, password: str = "correct horse", name: str = "Test User"):
        token = csrf_token(self.client, "/accounts/signup")
        return self.client.post("/accounts/signup", data={
            "csrf_token": token, "name": name, "email": email, "password": password, "confirm": password})

    def login(self, email: str, password: str = "correct horse"):
        token = csrf_token(self.client, "/accounts/login")
        return self.client.post("/accounts/login", data={"csrf_token": token, "email": email, "password": password})

    def logout(self):
        token = csrf_token(self.client, "/accounts/login")
        return self.client.post("/accounts/logout", data={"csrf_token": token})


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """POST with the CSRF token taken from the page that shows the form."""
    return client.post(url, data={"csrf_token": csrf_token(client, form_url or url), **data}, **kwargs)

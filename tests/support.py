"""Helpers for tests that act like a person: real forms, real CSRF tokens. Import as `tests.support`."""
from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

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

    def signup(self, email: str, password: str = "correct horse", name: str = "Test User", next: str | None = None):
        """Sign up and finish by the link mailed to the address, as a person does; logged in after. Where no
        link came (the address has an account, or a mail went out a moment ago), the sign-up form's answer."""
        response = self.start_signup(email, name, next)
        link = mailed_link(self.client.application, email, "Confirm your address")
        if response.status_code != 302 or link is None:
            return response
        return post_form(self.client, link, {"name": name, "password": password, "confirm": password})

    def start_signup(self, email: str, name: str = "Test User", next: str | None = None):
        url = "/accounts/signup" + (f"?next={next}" if next else "")
        return post_form(self.client, url, {"name": name, "email": email})

    def login(self, email: str, password: str = "correct horse"):
        token = csrf_token(self.client, "/accounts/login")
        return self.client.post("/accounts/login", data={"csrf_token": token, "email": email, "password": password})

    def logout(self):
        token = csrf_token(self.client, "/accounts/login")
        return self.client.post("/accounts/logout", data={"csrf_token": token})


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """POST with the CSRF token taken from the page that shows the form."""
    return client.post(url, data={"csrf_token": csrf_token(client, form_url or url), **data}, **kwargs)


def mailed_link(app, to: str, subject_start: str) -> str | None:
    """The path of the first link in the newest mail to this address whose subject starts so; taken from the
    outbox once (a second call finds the next mail only after a new one is written)."""
    folder = Path(app.config["MAIL_OUTBOX"])
    for path in sorted(folder.glob("*.eml"), reverse=True) if folder.exists() else ():
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"].lower() == to.strip().lower() and message["Subject"].startswith(subject_start):
            path.rename(path.with_suffix(".read"))
            match = re.search(r"https?://\S+", message.get_body(("plain",)).get_content())
            return urlsplit(match.group(0)).path if match else None
    return None


def allow_organising(app, email: str) -> None:
    """What the administrator's `flask allow-organising EMAIL` does: the account may create events."""
    result = app.test_cli_runner().invoke(args=["allow-organising", email])
    assert result.exit_code == 0, result.output

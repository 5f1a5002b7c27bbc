"""What keyboard and screen-reader users rely on (found with axe-core and by hand in Chromium)."""
import re

from tests.support import csrf_token, mailed_link


def test_every_page_starts_with_a_skip_link_to_the_content(client):
    page = client.get("/accounts/login").get_data(as_text=True)
    body = page.split("<body>", 1)[1].lstrip()
    assert body.startswith('<a class="skip-link" href="#content">Skip to content</a>')
    assert '<main class="container" id="content"' in page


def test_form_problems_are_announced_and_link_to_their_fields(client):
    token = csrf_token(client, "/accounts/signup")
    page = client.post("/accounts/signup", data={"csrf_token": token, "name": "", "email": "not-an-address"}
                       ).get_data(as_text=True)
    summary = re.search(r'<div class="flash error" role="alert"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "things to correct" in summary
    assert '<a href="#name">Your name</a>' in summary and '<a href="#email">Email</a>' in summary


def test_sign_in_fields_say_what_they_hold_for_password_managers(app, client, auth):
    login = client.get("/accounts/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="email"', login)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*id="password"', login)
    signup = client.get("/accounts/signup").get_data(as_text=True)
    assert 'autocomplete="email"' in signup and 'autocomplete="name"' in signup
    auth.start_signup("anna@nordlicht.example")
    finish = client.get(mailed_link(app, "anna@nordlicht.example", "Confirm your address")).get_data(as_text=True)
    assert finish.count('autocomplete="new-password"') == 2 and 'autocomplete="name"' in finish
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*value="anna@nordlicht.example"', finish)  # saved for it

"""Sign up, log in and out, and reset a forgotten password by a mailed link."""
from __future__ import annotations

import re

from tests.support import Auth, csrf_token, mailed_link, post_form

from brokerage.accounts.models import User
from brokerage.extensions import db


def _user(app, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(db.select(User).filter_by(email=email))


def test_signup_stores_a_hashed_password_and_logs_in(app, client, auth):
    response = auth.signup("Anna@Nordlicht.example ", password="correct horse", name="Anna Berg")
    assert response.status_code == 302
    user = _user(app, "anna@nordlicht.example")
    assert user.name == "Anna Berg" and user.password_hash != "correct horse" and user.check_password("correct horse")
    assert b"anna@nordlicht.example" in client.get("/").data  # logged in: the header names the account


def test_signup_errors_keep_what_was_typed(app, client, auth):
    html = post_form(client, "/accounts/signup", {"name": "", "email": "not-an-email"}).get_data(as_text=True)
    assert "Enter your name." in html and "Invalid email address." in html and 'value="not-an-email"' in html
    auth.start_signup("anna@nordlicht.example", name="Anna Berg")
    link = mailed_link(app, "anna@nordlicht.example", "Confirm your address")
    response = post_form(client, link, {"name": "Anna Berg", "password": "short", "confirm": "other"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use at least 8 characters." in html and "The passwords differ." in html
    assert 'value="Anna Berg"' in html and 'value="short"' not in html  # passwords are never echoed back
    assert _user(app, "anna@nordlicht.example") is None


def test_login_and_logout(app, client, auth):
    auth.signup("anna@nordlicht.example")
    auth.logout()
    assert b"Log in" in client.get("/").data
    response = auth.login("anna@nordlicht.example", "wrong password")
    assert response.status_code == 200 and b"Email or password is not right." in response.data
    assert b'value="anna@nordlicht.example"' in response.data
    assert auth.login("anna@nordlicht.example").status_code == 302
    assert b"anna@nordlicht.example" in client.get("/").data
    assert client.get("/accounts/logout").status_code == 405  # state changes are POST only
    assert auth.logout().status_code == 302
    assert b"anna@nordlicht.example" not in client.get("/").data


def test_an_invited_account_has_no_password_anyone_can_log_in_with(app, client, auth):
    """Imports and team invitations create accounts with an unusable password until the mailed link sets one."""
    auth.signup("anna@nordlicht.example")
    auth.logout()
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="anna@nordlicht.example"))
        user.set_unusable_password()
        stored = user.password_hash
        db.session.commit()
    for guess in ("correct horse", stored, stored[1:], "!"):
        response = auth.login("anna@nordlicht.example", guess)
        assert response.status_code == 200 and b"Email or password is not right." in response.data, guess


def test_login_returns_to_the_page_asked_for_but_never_off_site(app, client, auth, make_event):
    make_event()
    auth.signup("anna@nordlicht.example")
    auth.logout()
    response = client.get("/events/march-2027/register")
    assert response.status_code == 302
    login_url = response.location
    token = csrf_token(client, login_url)
    response = client.post(login_url, data={"csrf_token": token, "email": "anna@nordlicht.example",
                                            "password": "correct horse"})
    assert response.location == "/events/march-2027/register"
    auth.logout()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example"):
        token = csrf_token(client, "/accounts/login")
        response = client.post("/accounts/login", query_string={"next": target},
                               data={"csrf_token": token, "email": "anna@nordlicht.example",
                                     "password": "correct horse"})
        assert response.location == "/", target
        auth.logout()


def test_post_without_csrf_token_is_refused_kindly(client):
    response = client.post("/accounts/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400 and b"form expired" in response.data


def _reset_link(outbox) -> str:
    [message] = [m for m in outbox() if m["Subject"] != "Confirm your address to finish signing up"]
    assert message["To"] == "anna@nordlicht.example" and message["Subject"] == "Reset your password"
    body = message.get_content()
    return re.search(r"http://localhost(/accounts/reset/\S+)", body).group(1)


def test_password_reset_by_mailed_link(app, client, auth, outbox):
    auth.signup("anna@nordlicht.example")
    auth.logout()
    response = post_form(client, "/accounts/reset", {"email": "anna@nordlicht.example"}, follow_redirects=True)
    assert b"A mail is on its way to anna@nordlicht.example" in response.data
    link = _reset_link(outbox)

    response = post_form(client, link, {"password": "new password 1", "confirm": "other"})
    assert b"The passwords differ." in response.data
    response = post_form(client, link, {"password": "new password 1", "confirm": "new password 1"})
    assert response.status_code == 302
    auth.logout()
    assert auth.login("anna@nordlicht.example", "correct horse").status_code == 200  # the old one is gone
    assert auth.login("anna@nordlicht.example", "new password 1").status_code == 302
    auth.logout()

    # The link works once only.
    response = client.get(link, follow_redirects=True)
    assert b"That reset link is not valid (it may have been used already)" in response.data
    response = client.post(link, data={"csrf_token": csrf_token(client, "/accounts/reset"),
                                       "password": "hijacked!!", "confirm": "hijacked!!"}, follow_redirects=True)
    assert b"not valid" in response.data
    assert _user(app, "anna@nordlicht.example").check_password("new password 1")


def _later(monkeypatch, hours: float) -> None:
    import time
    import itsdangerous.timed
    now = int(time.time())
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: now + int(hours * 3600))


def test_a_reset_link_lasts_two_hours_an_invitation_a_week(app, client, auth, outbox, monkeypatch):
    from brokerage.accounts.views import reset_token
    auth.signup("anna@nordlicht.example")
    auth.logout()
    post_form(client, "/accounts/reset", {"email": "anna@nordlicht.example"})
    link = _reset_link(outbox)
    with app.test_request_context():
        invitation = "/accounts/reset/" + reset_token(_user(app, "anna@nordlicht.example"), invitation=True)
    _later(monkeypatch, 1.9)
    assert client.get(link).status_code == 200
    _later(monkeypatch, 2.1)
    assert b"That reset link has expired" in client.get(link, follow_redirects=True).data
    _later(monkeypatch, 24 * 6.9)
    assert client.get(invitation).status_code == 200  # mailed with an import, opened days later
    _later(monkeypatch, 24 * 7.1)
    assert b"That reset link has expired" in client.get(invitation, follow_redirects=True).data


def test_tampered_reset_link_is_refused(app, client, auth, outbox):
    auth.signup("anna@nordlicht.example")
    auth.logout()
    post_form(client, "/accounts/reset", {"email": "anna@nordlicht.example"})
    link = _reset_link(outbox)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    for bad in (tampered, "/accounts/reset/garbage", "/accounts/reset/" + "x" * 500):
        response = client.get(bad, follow_redirects=True)
        assert response.status_code == 200 and b"That reset link is not valid" in response.data, bad
    assert _user(app, "anna@nordlicht.example").check_password("correct horse")


def test_reset_request_does_not_reveal_who_has_an_account(app, client, auth, outbox):
    auth.signup("anna@nordlicht.example")
    auth.logout()
    said = []
    for email in ("nobody@example.com", "anna@nordlicht.example"):
        response = post_form(client, "/accounts/reset", {"email": email}, follow_redirects=True)
        said.append(_page(response.get_data(as_text=True)).replace(email, "X"))
    assert said[0] == said[1] and "A mail is on its way to X" in said[0]
    mails = {m["To"]: m for m in outbox()}
    assert mails["nobody@example.com"]["Subject"] == "No brokerage account with this address"
    assert "http://localhost/accounts/signup" in mails["nobody@example.com"].get_content()
    assert mails["anna@nordlicht.example"]["Subject"] == "Reset your password"
    post_form(client, "/accounts/reset", {"email": "nobody@example.com"})  # within 10 minutes: no second mail
    assert len(outbox()) == 2
    response = post_form(client, "/accounts/reset", {"email": "not an email"})
    assert response.status_code == 200 and b"Invalid email address." in response.data


def test_login_is_as_slow_for_any_address(app, auth, monkeypatch):
    """A wrong password costs one real hash check whether the address has an account, an account without a
    password yet (an invitation), or none: the answer's speed says nothing."""
    from brokerage.accounts import models
    checks = []
    monkeypatch.setattr(models, "check_password_hash", lambda *args: checks.append(args) or False)
    auth.signup("anna@nordlicht.example")
    auth.logout()
    with app.app_context():
        invited = models.User(email="invited@nordlicht.example", name="Invited")
        invited.set_unusable_password()
        db.session.add(invited)
        db.session.commit()
    for email in ("anna@nordlicht.example", "invited@nordlicht.example", "nobody@nordlicht.example"):
        checks.clear()
        assert auth.login(email, "a guess").status_code == 200
        assert len(checks) == 1, email


def test_reset_request_with_mail_server_down_says_so(app, client, auth):
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth.signup("lyon@startup.example")
    auth.logout()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    response = post_form(client, "/accounts/reset", {"email": "lyon@startup.example"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "could not send mail" in page
    assert 'value="lyon@startup.example"' in page


def test_a_password_reset_ends_every_other_session(app, client, auth, outbox):
    """A stolen or forgotten session on another device stops working once the password changes."""
    auth.signup("anna@nordlicht.example")
    other_device = app.test_client()
    post_form(other_device, "/accounts/login", {"email": "anna@nordlicht.example", "password": "correct horse"})
    assert other_device.get("/organise/").status_code == 200
    auth.logout()
    post_form(client, "/accounts/reset", {"email": "anna@nordlicht.example"})
    link = _reset_link(outbox)
    assert post_form(client, link, {"password": "new password 1", "confirm": "new password 1"}).status_code == 302
    assert client.get("/organise/").status_code == 200  # the device that reset is logged in anew
    response = other_device.get("/organise/")
    assert response.status_code == 302 and "/accounts/login" in response.location


def _page(html: str) -> str:
    """A page as a person reads it: CSRF tokens carry their second, so two answers compare without them."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)


def _sent_page(client, response) -> str:
    assert response.status_code == 302 and response.location == "/accounts/signup/sent"
    return _page(client.get(response.location).get_data(as_text=True))


def test_a_signup_makes_the_account_once_the_mailed_link_is_opened(app, client, auth, make_event):
    make_event()
    response = auth.start_signup("anna@nordlicht.example", name="Anna Berg", next="/events/march-2027/register")
    sent = _sent_page(client, response)
    assert "A mail is on its way to <strong>anna@nordlicht.example</strong>" in sent
    assert app.config["MAIL_OUTBOX"] in sent  # a local trial writes mail to files: the page says where
    assert _user(app, "anna@nordlicht.example") is None  # nothing exists before the mailbox answers

    link = mailed_link(app, "anna@nordlicht.example", "Confirm your address")
    page = client.get(link).get_data(as_text=True)
    assert "Finish signing up" in page and "anna@nordlicht.example" in page and 'value="Anna Berg"' in page
    response = post_form(client, link, {"name": "Anna Berg-Lund", "password": "correct horse",
                                        "confirm": "correct horse"})
    assert response.location == "/events/march-2027/register"  # where the sign-up began
    assert b"anna@nordlicht.example" in client.get("/").data
    assert _user(app, "anna@nordlicht.example").name == "Anna Berg-Lund"
    assert client.get(link).location == "/events/march-2027/register"  # opened again while logged in
    auth.logout()
    assert b"has an account now: log in with it" in client.get(link, follow_redirects=True).data
    assert post_form(client, link, {"name": "Eve", "password": "eve's password", "confirm": "eve's password"},
                     form_url="/accounts/login").status_code == 302
    assert _user(app, "anna@nordlicht.example").check_password("correct horse")  # the link made one account only
    assert auth.login("anna@nordlicht.example").status_code == 302


def test_signup_does_not_reveal_who_has_an_account(app, client, auth, outbox):
    auth.signup("anna@nordlicht.example")
    auth.logout()
    _mail_window_passes(app)
    new = _sent_page(client, auth.start_signup("bob@nordlicht.example"))
    taken = _sent_page(client, auth.start_signup("ANNA@nordlicht.example", name="Somebody Else"))
    assert taken.replace("anna@", "bob@") == new
    [notice] = [m for m in outbox() if m["To"] == "anna@nordlicht.example"]
    assert notice["Subject"] == "You have a brokerage account already"
    reset = re.search(r"http://localhost(/accounts/reset/\S+)", notice.get_content()).group(1)
    assert client.get(reset).status_code == 200  # the owner who forgot the password is one step from a new one
    user = _user(app, "anna@nordlicht.example")
    assert user.name == "Test User" and user.check_password("correct horse")  # nothing else changed

    # At most one mail in 10 minutes to an address anyone can type, and still the same answer.
    assert _sent_page(client, auth.start_signup("anna@nordlicht.example")) == taken
    assert len([m for m in outbox() if m["To"] == "anna@nordlicht.example"]) == 1
    login = auth.login("nobody@nordlicht.example", "a guess")
    assert login.status_code == 200 and b"Email or password is not right." in login.data


def _mail_window_passes(app) -> None:
    from datetime import timedelta

    from brokerage.accounts.models import AddressMail
    with app.app_context():
        for row in db.session.scalars(db.select(AddressMail)):
            row.sent_at -= timedelta(minutes=11)
        db.session.commit()


def test_someone_typing_another_persons_address_gets_nothing(app, client, auth, outbox):
    """The link goes to the address's owner, who chooses the password: the person who typed it never gets in,
    and cannot keep the owner out either."""
    intruder = Auth(app.test_client())
    intruder.start_signup("anna@nordlicht.example", name="Call +1 555 0100 to activate")
    [mail] = outbox()
    assert "Call +1 555" not in mail.get_content()  # what a stranger typed does not speak to the owner
    assert _user(app, "anna@nordlicht.example") is None
    _mail_window_passes(app)
    intruder.start_signup("anna@nordlicht.example")  # again and again: every link stays good
    first, second = mailed_link(app, "anna@nordlicht.example", "Confirm your address"), \
        mailed_link(app, "anna@nordlicht.example", "Confirm your address")
    assert first and second
    response = post_form(client, second, {"name": "Anna Berg", "password": "correct horse", "confirm": "correct horse"})
    assert response.status_code == 302 and _user(app, "anna@nordlicht.example").name == "Anna Berg"


def test_a_signup_link_lasts_two_days(app, client, auth, monkeypatch):
    auth.start_signup("anna@nordlicht.example")
    link = mailed_link(app, "anna@nordlicht.example", "Confirm your address")
    _later(monkeypatch, 47.9)
    assert client.get(link).status_code == 200
    _later(monkeypatch, 48.1)
    assert b"That link has expired" in client.get(link, follow_redirects=True).data
    for bad in (link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"), link[:40], "/accounts/signup/garbage"):
        assert b"That link is not valid" in client.get(bad, follow_redirects=True).data


def test_a_signup_sent_twice_sends_one_mail(app, outbox):
    first, second = Auth(app.test_client()), Auth(app.test_client())  # the second click before the first answer
    assert first.start_signup("anna@nordlicht.example").status_code == 302
    assert second.start_signup("anna@nordlicht.example").status_code == 302
    assert len(outbox()) == 1


def test_signup_with_mail_server_down_keeps_the_form_and_lets_you_try_again(app, client, auth, outbox):
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    response = auth.start_signup("anna@nordlicht.example", name="Anna Berg")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "could not send mail" in page and 'value="Anna Berg"' in page
    app.config.update(MAIL_SERVER=None)
    assert auth.start_signup("anna@nordlicht.example").status_code == 302 and len(outbox()) == 1


def test_a_signup_link_does_not_switch_a_logged_in_user_to_a_new_account(app, client, auth):
    auth.signup("anna@nordlicht.example")
    Auth(app.test_client()).start_signup("eve@nordlicht.example", next="/" + "x" * 5000)
    link = mailed_link(app, "eve@nordlicht.example", "Confirm your address")
    assert len(link) < 600  # an overlong `next` is dropped, not mailed
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "you are logged in as anna@nordlicht.example: log out first" in page
    assert _user(app, "eve@nordlicht.example") is None

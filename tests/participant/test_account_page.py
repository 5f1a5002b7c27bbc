"""The user's own account: name, password, a copy of their data, and deleting the account."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.support import csrf_token

from brokerage.accounts.models import User
from brokerage.events.models import Participant
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from meetings_support import add_participant, agreed_meeting, logged_in, publish

ACCOUNT = "/accounts/"
SLUG = "march-2027"


def send(client, form: str, **fields):
    """Submit one of the account page's forms (each has its own prefix) with the page's CSRF token."""
    data = {f"{form}-csrf_token": csrf_token(client, ACCOUNT), **{f"{form}-{k}": v for k, v in fields.items()}}
    return client.post(f"/accounts/{form}", data=data)


def _user(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def _user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).filter_by(email=email))


def test_name_is_changed_and_a_bad_one_is_refused_with_the_input_kept(app, make_event):
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    anne = logged_in(app, "anne@paris.example")
    page = anne.get(ACCOUNT).get_data(as_text=True)
    assert "<h1>Your account</h1>" in page and "anne@paris.example" in page and 'id="account-link"' in page
    assert send(anne, "name", name="Anne Dupont").status_code == 302
    assert _user(app, _user_id(app, "anne@paris.example")).name == "Anne Dupont"
    response = send(anne, "name", name="x" * 121)
    assert response.status_code == 400 and "x" * 121 in response.get_data(as_text=True)
    assert _user(app, _user_id(app, "anne@paris.example")).name == "Anne Dupont"


def test_password_change_needs_the_current_one_and_ends_other_sessions(app, make_event):
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    anne, elsewhere = logged_in(app, "anne@paris.example"), logged_in(app, "anne@paris.example")
    wrong = send(anne, "password", current="not it", password="a new secret", confirm="a new secret")
    assert wrong.status_code == 400 and "That is not your current password." in wrong.get_data(as_text=True)
    differ = send(anne, "password", current="correct horse", password="a new secret", confirm="another")
    assert differ.status_code == 400 and "The passwords differ." in differ.get_data(as_text=True)
    assert _user(app, _user_id(app, "anne@paris.example")).check_password("correct horse")
    assert send(anne, "password", current="correct horse", password="a new secret", confirm="a new secret").status_code == 302
    assert _user(app, _user_id(app, "anne@paris.example")).check_password("a new secret")
    assert anne.get(ACCOUNT).status_code == 200  # this session carries on
    assert elsewhere.get(ACCOUNT).status_code == 302  # the other browser is logged out


def test_account_forms_are_csrf_protected(app, make_event):
    app.config["WTF_CSRF_ENABLED"] = True
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    anne = logged_in(app, "anne@paris.example")
    for form, data in (("name", {"name-name": "Mallory"}),
                       ("delete", {"delete-current": "correct horse", "delete-understood": "y"})):
        assert anne.post(f"/accounts/{form}", data=data).status_code == 400
    assert _user(app, _user_id(app, "anne@paris.example")).name != "Mallory"


def test_my_data_download_holds_mine_and_nobody_elses(app, make_event):
    event_id = make_event()
    a = add_participant(app, event_id, "anne@paris.example", "Paris Photonics", description="Lidar optics")
    b = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP",
                        description="Secret robot plans")
    agreed_meeting(app, event_id, a, b, datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc))
    publish(app, event_id)
    assert logged_in(app, "anne@paris.example").get("/accounts/data.json").status_code == 200
    response = logged_in(app, "anne@paris.example").get("/accounts/data.json")
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == "anne@paris.example"
    (registration,) = data["events"]
    assert registration["profile"]["description"] == "Lidar optics" and registration["event"]["slug"] == SLUG
    (request,) = registration["meeting_requests"]
    assert request["partner"] == "Tokyo Robotics" and request["message"] == "Let us talk"
    assert request["meeting"]["start_utc"] == "2027-03-16T07:00:00Z"
    assert "Secret robot plans" not in response.get_data(as_text=True)
    assert app.test_client().get("/accounts/data.json").status_code == 302  # log in first


def test_deleting_the_account_erases_the_person_and_tells_partners(app, make_event, outbox):
    event_id = make_event()
    a = add_participant(app, event_id, "anne@paris.example", "Paris Photonics", description="Lidar optics",
                        website="https://paris-photonics.example")
    b = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    meeting_id = agreed_meeting(app, event_id, a, b, datetime(2027, 3, 16, 7, 0, tzinfo=timezone.utc))
    publish(app, event_id)
    user_id = _user_id(app, "anne@paris.example")
    with app.app_context():
        db.session.get(Participant, a).support_office = "Enterprise Europe Network – France"
        db.session.commit()
    anne = logged_in(app, "anne@paris.example")
    unticked = send(anne, "delete", current="correct horse")
    assert unticked.status_code == 400 and "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert send(anne, "delete", current="wrong", understood="y").status_code == 400
    both = send(anne, "delete", current="wrong").get_data(as_text=True)  # every problem at once
    assert "Tick the box to confirm." in both and "That is not your current password." in both
    assert 'aria-describedby="delete-understood-error"' in both and 'id="delete-understood-error"' in both
    response = send(anne, "delete", current="correct horse", understood="y")
    assert response.status_code == 302
    assert anne.get(ACCOUNT).status_code == 302  # logged out
    user = _user(app, user_id)
    assert user.email.endswith("@deleted.invalid") and user.name == "Deleted user"
    with app.app_context():
        person = db.session.get(Participant, a)
        assert (person.status, person.organisation, person.description, person.website) == (
            "withdrawn", "Deleted participant", "", "")
        assert person.support_office == "Enterprise Europe Network – France"  # the organisers' record, not hers
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.cancelled and meeting.request.message == ""
        assert db.session.scalar(db.select(db.func.count(MeetingRequest.id))) == 1
    kenji_mail = [m for m in outbox() if m["To"] == "kenji@tokyo.example"][-1]
    assert "cancelled" in kenji_mail["Subject"]
    # The organisers cannot bring an erased account back into the marketplace.
    organiser = logged_in(app, "organiser@een.example")
    participants = f"/organise/{SLUG}/participants"
    assert "Re-admit" not in organiser.get(participants).get_data(as_text=True)
    response = organiser.post(f"{participants}/{a}/status", data={
        "csrf_token": csrf_token(organiser, participants), "status": "approved"}, follow_redirects=True)
    assert "left the event and deleted their account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Participant, a).status == "withdrawn"
    assert app.test_client().post("/accounts/login", data={"email": "anne@paris.example",
                                                           "password": "correct horse"}).status_code != 302


def test_an_organiser_cannot_delete_the_account_and_is_told_why(app, make_event):
    make_event()
    organiser = logged_in(app, "organiser@een.example")
    page = organiser.get(ACCOUNT).get_data(as_text=True)
    assert "You are on the organising team of EU-Japan-Korea-US tech brokerage" in page
    assert 'id="delete-account"' not in page
    response = send(organiser, "delete", current="correct horse", understood="y")
    assert response.status_code == 409 and response.get_data(as_text=True).count("organising team") == 1
    assert _user(app, _user_id(app, "organiser@een.example")).name == "Olga Organiser"


def test_erasure_renames_the_participant_in_solver_runs_and_reasons(app, make_event, outbox):
    """The solver's reasons quote participants by name; after erasure they quote the erased name."""
    from brokerage.scheduling.models import ScheduleRun
    event_id = make_event()
    a = add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    b = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    meeting_id = agreed_meeting(app, event_id, a, b)
    named = f"Paris Photonics (#{a})"
    with app.app_context():
        db.session.get(Meeting, meeting_id).unscheduled_reason = f"{named} and Tokyo Robotics (#{b}) share no slot"
        db.session.add(ScheduleRun(event_id=event_id, created_by_id=_user_id(app, "organiser@een.example"),
                                   status="succeeded", instance={"participants": [{"id": named}]},
                                   solution={"unscheduled": [{"reason": f"{named} is at the cap"}]}))
        db.session.commit()
    anne = logged_in(app, "anne@paris.example")
    assert send(anne, "delete", current="correct horse", understood="y").status_code == 302
    with app.app_context():
        run = db.session.scalar(db.select(ScheduleRun))
        text = json.dumps([run.instance, run.solution]) + db.session.get(Meeting, meeting_id).unscheduled_reason
        assert "Paris Photonics" not in text and f"Deleted participant (#{a})" in text


def _mail_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_email_address_changes_once_the_new_address_confirms(app, make_event, outbox):
    import re
    from urllib.parse import urlparse
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    user_id = _user_id(app, "anne@paris.example")
    anne = logged_in(app, "anne@paris.example")
    wrong = send(anne, "email", email="anne@new.example", current="wrong")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "That is not your current password." in page
    assert 'value="anne@new.example"' in page  # what was typed is kept
    assert send(anne, "email", email=" Anne@New.example ", current="correct horse").status_code == 302
    assert _user(app, user_id).email == "anne@paris.example"  # not before the new address confirms
    mails = {m["To"]: m for m in outbox()}
    assert "anne@new.example" in _mail_text(mails["anne@paris.example"])  # the old address is told
    path = urlparse(re.search(r"https?://\S+/accounts/email/\S+", _mail_text(mails["anne@new.example"])).group(0)).path
    elsewhere = app.test_client()  # opened in another browser, logged out
    page = elsewhere.get(path)
    assert page.status_code == 200 and "anne@new.example" in page.get_data(as_text=True)
    assert _user(app, user_id).email == "anne@paris.example"  # a link scanner's GET changes nothing
    done = elsewhere.post(path, data={"csrf_token": csrf_token(elsewhere, path)}, follow_redirects=True)
    assert "Your email address is now anne@new.example" in done.get_data(as_text=True)
    assert _user(app, user_id).email == "anne@new.example"
    assert app.test_client().post("/accounts/login", data={"email": "anne@paris.example",
                                                           "password": "correct horse"}).status_code != 302
    assert logged_in(app, "anne@new.example").get(ACCOUNT).status_code == 200
    again = elsewhere.get(path, follow_redirects=True).get_data(as_text=True)
    assert "That confirmation link is not valid" in again  # it worked once
    # The next change waits a few minutes: its confirmation goes to any address typed.
    soon = send(logged_in(app, "anne@new.example"), "email", email="anne@third.example", current="correct horse")
    assert soon.status_code == 429 and "ask again in 10 minute(s)" in soon.get_data(as_text=True)


def test_an_address_taken_by_another_account_is_not_revealed(app, make_event, outbox):
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    taken = send(anne, "email", email="KENJI@tokyo.example", current="correct horse")
    free = send(kenji, "email", email="kenji@new.example", current="correct horse")
    assert taken.status_code == free.status_code == 302
    said = anne.get(ACCOUNT).get_data(as_text=True)
    assert "A confirmation link is on its way to kenji@tokyo.example" in said
    assert "A confirmation link is on its way to kenji@new.example" in kenji.get(ACCOUNT).get_data(as_text=True)
    notice = next(m for m in outbox() if m["To"] == "kenji@tokyo.example")
    assert notice["Subject"] == "Your address was typed for another account"
    assert "/accounts/email/" not in _mail_text(notice) and "anne@paris.example" in _mail_text(notice)
    assert _user(app, _user_id(app, "anne@paris.example")).email == "anne@paris.example"


def test_a_pending_email_change_ends_with_a_password_change(app, make_event, outbox):
    import re
    from urllib.parse import urlparse
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    anne = logged_in(app, "anne@paris.example")
    send(anne, "email", email="thief@evil.example", current="correct horse")
    link = re.search(r"https?://\S+/accounts/email/\S+", _mail_text(outbox()[-2])).group(0)
    send(anne, "password", current="correct horse", password="a new secret", confirm="a new secret")
    page = anne.get(urlparse(link).path, follow_redirects=True).get_data(as_text=True)
    assert "That confirmation link is not valid" in page
    assert _user(app, _user_id(app, "anne@paris.example")).email == "anne@paris.example"


def test_an_older_email_change_link_dies_with_a_newer_change(app, make_event, outbox, monkeypatch):
    """Two changes asked for: once the second is confirmed, the first link (a typo, or someone else's inbox)
    cannot take the account. A link is for its own account: another user logged in is told to log out."""
    import re
    from datetime import timedelta
    from urllib.parse import urlparse

    import brokerage.accounts.views as views
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    anne = logged_in(app, "anne@paris.example")

    def link_to(address):
        send(anne, "email", email=address, current="correct horse")
        mail = next(m for m in reversed(outbox()) if m["To"] == address)
        return urlparse(re.search(r"https?://\S+/accounts/email/\S+", _mail_text(mail)).group(0)).path

    typo = link_to("anne@typo.example")
    monkeypatch.setattr(views, "ONE_MAIL_EVERY", timedelta(0))
    right = link_to("anne@new.example")
    # Only the latest request's link works, even before it is confirmed: the typo's owner cannot race it.
    early = app.test_client()
    assert "That confirmation link is not valid" in early.get(typo, follow_redirects=True).get_data(as_text=True)
    kenji = logged_in(app, "kenji@tokyo.example")
    refused = kenji.post(right, data={"csrf_token": csrf_token(kenji, ACCOUNT)}, follow_redirects=True)
    assert "address: log out first, then open it again" in refused.get_data(as_text=True)
    assert _user_id(app, "anne@paris.example") is not None  # unchanged
    assert anne.post(right, data={"csrf_token": csrf_token(anne, right)}).status_code == 302
    stranger = app.test_client()
    page = stranger.get(typo, follow_redirects=True).get_data(as_text=True)
    assert "That confirmation link is not valid" in page
    assert _user_id(app, "anne@new.example") is not None and _user_id(app, "anne@typo.example") is None


def test_a_reset_link_to_the_old_address_dies_with_the_change_of_address(app, make_event, outbox):
    import re
    from urllib.parse import urlparse
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    stranger = app.test_client()
    stranger.post("/accounts/reset", data={"csrf_token": csrf_token(stranger, "/accounts/reset"),
                                           "email": "anne@paris.example"})
    reset = urlparse(re.search(r"https?://\S+/accounts/reset/\S+", _mail_text(outbox()[-1])).group(0)).path
    anne = logged_in(app, "anne@paris.example")
    send(anne, "email", email="anne@new.example", current="correct horse")
    confirm = urlparse(re.search(r"https?://\S+/accounts/email/\S+", _mail_text(
        next(m for m in outbox() if m["To"] == "anne@new.example"))).group(0)).path
    assert anne.post(confirm, data={"csrf_token": csrf_token(anne, confirm)}).status_code == 302
    page = stranger.get(reset, follow_redirects=True).get_data(as_text=True)
    assert "That reset link is not valid" in page
    # A refused confirmation, opened logged out, lands on the login page with the reason only.
    refused = stranger.get(confirm, follow_redirects=True).get_data(as_text=True)
    assert "That confirmation link is not valid" in refused and "Log in to go on." not in refused

"""Messages between the two sides of a meeting request: only they read them, each is told by mail (once per
burst), unread ones are counted, and a closed request closes its conversation."""
from __future__ import annotations

import json

import pytest

from brokerage.extensions import db
from brokerage.meetings.models import MeetingRequest, RequestMessage
from meetings_support import add_participant, logged_in, token_from

SLUG = "march-2027"
REQUESTS = f"/events/{SLUG}/requests"


@pytest.fixture
def talk(app, make_event):
    """Anne (Paris) asked Kenji (Tokyo) for a meeting; Minji (Seoul) is in the event too."""
    event_id = make_event()
    a = add_participant(app, event_id, "anne@paris.example", "Paris Photonics", "Europe/Paris", "FR")
    b = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    add_participant(app, event_id, "minji@seoul.example", "Seoul Semis", "Asia/Seoul", "KR")
    with app.app_context():
        request = MeetingRequest(event_id=event_id, requester_id=a, recipient_id=b, message="Lidar for your robots?")
        db.session.add(request)
        db.session.commit()
        return {"event": event_id, "request": request.id,
                "url": f"/events/{SLUG}/requests/{request.id}/messages"}


def write(client, url, body):
    return client.post(url, data={"csrf_token": token_from(client, url), "body": body})


def mails_to(outbox, address):
    return [m for m in outbox() if m["To"] == address]


def test_the_two_sides_talk_and_each_is_told_by_mail(app, talk, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    assert f'href="{talk["url"]}" id="messages-{talk["request"]}"' in kenji.get(REQUESTS).get_data(as_text=True)
    page = kenji.get(talk["url"]).get_data(as_text=True)
    assert "Messages with Paris Photonics" in page and "Lidar for your robots?" in page
    assert "Only the two of you read these messages; the organisers do not." in page
    assert "Times in your time zone, Asia/Tokyo" in page
    response = write(kenji, talk["url"], "Yes! Could you send a datasheet first?\nWe use 905 nm.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#message-1")
    (mail,) = mails_to(outbox, "anne@paris.example")
    assert mail["Subject"] == "EU-Japan-Korea-US tech brokerage: message from Tokyo Robotics"
    body = mail.get_content()
    assert "Could you send a datasheet first?\nWe use 905 nm." in body and f"http://localhost{talk['url']}" in body
    # Anne sees it as new until she reads it.
    assert '<span class="badge warn">1 new</span>' in anne.get(REQUESTS).get_data(as_text=True)
    page = anne.get(talk["url"]).get_data(as_text=True)
    assert "Could you send a datasheet first?\nWe use 905 nm." in page and "Tokyo Robotics, " in page
    assert "1 new" not in anne.get(REQUESTS).get_data(as_text=True)
    write(anne, talk["url"], "Attached to my profile page.")
    assert len(mails_to(outbox, "kenji@tokyo.example")) == 1


def test_a_burst_of_unread_messages_makes_one_mail(app, talk, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    for n in range(3):
        write(kenji, talk["url"], f"Point {n}")
    assert len(mails_to(outbox, "anne@paris.example")) == 1
    assert '<span class="badge warn">3 new</span>' in anne.get(REQUESTS).get_data(as_text=True)
    anne.get(talk["url"])  # read: the next one is mailed again
    write(kenji, talk["url"], "One more thing")
    assert len(mails_to(outbox, "anne@paris.example")) == 2


def test_nobody_else_reads_or_writes(app, talk, make_event):
    minji = logged_in(app, "minji@seoul.example")
    assert minji.get(talk["url"]).status_code == 403
    response = minji.post(talk["url"], data={"csrf_token": token_from(minji, REQUESTS), "body": "Hello both"})
    assert response.status_code == 403
    other = make_event(slug="other-event", organiser_email="o2@een.example")
    add_participant(app, other, "otto@oslo.example", "Oslo Optics", "Europe/Oslo", "NO")
    otto = logged_in(app, "otto@oslo.example")
    assert otto.get(f"/events/other-event/requests/{talk['request']}/messages").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RequestMessage.id))) == 0


def test_a_closed_request_closes_its_conversation_but_keeps_it_readable(app, talk):
    kenji = logged_in(app, "kenji@tokyo.example")
    write(kenji, talk["url"], "Let me check with my team.")
    with app.app_context():
        db.session.get(MeetingRequest, talk["request"]).status = "declined"
        db.session.commit()
    page = kenji.get(talk["url"]).get_data(as_text=True)
    assert "Let me check with my team." in page and 'id="conversation-closed"' in page and 'id="send-message"' not in page
    refused = write(kenji, talk["url"], "One more?")
    assert refused.status_code == 400 and "Your message, not sent" in refused.get_data(as_text=True)
    assert "One more?</textarea>" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RequestMessage.id))) == 1


def test_an_empty_or_too_long_message_is_explained_and_kept(app, talk):
    kenji = logged_in(app, "kenji@tokyo.example")
    page = write(kenji, talk["url"], "   ").get_data(as_text=True)
    assert "Write a message first." in page
    long = "Ö" * 2001
    response = write(kenji, talk["url"], long)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Keep a message to 2000 characters (it has 2001)." in page and long in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RequestMessage.id))) == 0


def test_my_data_holds_the_conversation_and_deleting_the_account_blanks_my_messages(app, talk):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    write(anne, talk["url"], "My phone is +33 1 23 45 67 89.")
    write(kenji, talk["url"], "Thanks, noted.")
    data = json.loads(anne.get("/accounts/data.json").data)
    (request,) = data["events"][0]["meeting_requests"]
    assert [(m["from"], m["text"]) for m in request["messages"]] == [
        ("you", "My phone is +33 1 23 45 67 89."), ("Tokyo Robotics", "Thanks, noted.")]
    anne.post("/accounts/delete", data={"delete-csrf_token": token_from(anne, "/accounts/"),
                                        "delete-current": "correct horse", "delete-understood": "y"})
    page = kenji.get(talk["url"]).get_data(as_text=True)
    assert "+33 1 23" not in page and "deleted with its author" in page and "Thanks, noted." in page


def test_the_conversation_says_where_the_request_stands_and_answers_it(app, talk, outbox):
    anne, kenji = logged_in(app, "anne@paris.example"), logged_in(app, "kenji@tokyo.example")
    page = kenji.get(talk["url"]).get_data(as_text=True)
    assert "Request waiting</span> for your answer" in page and f'id="accept-{talk["request"]}"' in page
    assert f'id="accept-{talk["request"]}"' not in anne.get(talk["url"]).get_data(as_text=True)  # hers to wait
    write(anne, talk["url"], "Datasheet: https://paris-photonics.example/lidar.pdf")
    page = kenji.get(talk["url"]).get_data(as_text=True)
    assert '<a href="https://paris-photonics.example/lidar.pdf" rel="nofollow noopener">' in page
    assert "about your meeting request at" in mails_to(outbox, "kenji@tokyo.example")[0].get_content()
    kenji.post(f"/events/{SLUG}/requests/{talk['request']}/decline",
               data={"csrf_token": token_from(kenji, talk["url"])})
    page = anne.get(talk["url"]).get_data(as_text=True)
    assert "Tokyo Robotics declined your request, so the conversation is closed." in page

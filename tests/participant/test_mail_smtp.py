"""Mail leaves through the one mail module: a real SMTP server when configured, the .eml outbox otherwise."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from brokerage.extensions import db
from brokerage.meetings.models import MeetingRequest
from meetings_support import add_participant, logged_in, token_from

SLUG = "march-2027"


class Inbox:
    """An aiosmtpd handler that keeps what it was sent."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def pair(app, make_event):
    event_id = make_event()
    add_participant(app, event_id, "anne@paris.example", "Paris Photonics")
    recipient = add_participant(app, event_id, "kenji@tokyo.example", "Tokyo Robotics", "Asia/Tokyo", "JP")
    return logged_in(app, "anne@paris.example"), recipient


def send_request(client, recipient):
    return client.post(f"/events/{SLUG}/requests/new/{recipient}",
                       data={"csrf_token": token_from(client, f"/events/{SLUG}/requests"),
                             "message": "Shall we talk about lidar optics?"})


def test_request_mail_goes_through_a_real_smtp_server(app, pair, smtp_server, outbox):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port)
    client, recipient = pair
    assert send_request(client, recipient).status_code == 302
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["kenji@tokyo.example"]
    assert envelope.mail_from == "noreply@brokerage.localhost"
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == "kenji@tokyo.example"
    # Python folds a long Subject before its first word; unfolded, it starts with that space.
    assert message["Subject"].strip() == "EU-Japan-Korea-US tech brokerage: meeting request from Paris Photonics"
    body = message.get_content()
    assert "Paris Photonics" in body and "Shall we talk about lidar optics?" in body
    assert f"http://localhost/events/{SLUG}/requests" in body
    assert outbox() == []  # SMTP configured: nothing written to the outbox


def test_without_mail_server_the_mail_lands_in_the_outbox(app, pair, outbox):
    client, recipient = pair
    assert send_request(client, recipient).status_code == 302
    (message,) = outbox()
    assert message["To"] == "kenji@tokyo.example"
    assert "Shall we talk about lidar optics?" in message.get_content()


def test_unreachable_mail_server_loses_nothing(app, pair, outbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    client, recipient = pair
    response = send_request(client, recipient)
    assert response.status_code == 302
    assert "we could not e-mail Tokyo Robotics" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(MeetingRequest.status)) == "pending"


def test_a_line_break_in_a_subject_is_flattened_not_fatal(app):
    # Subjects quote event and organisation names, which may hold pasted line separators.
    from brokerage.mail import Mail, build_message
    message = build_message(Mail(to="anne@paris.example", subject="Request from Acme\u2028GmbH\r\n", text="Hi"),
                            "events@brokerage.example")
    assert message["Subject"] == "Request from Acme GmbH"


def test_a_long_subject_in_any_script_arrives_word_for_word():
    """Subjects name organisations in their own spelling; folding them into 78-character lines must keep every
    space (Python's own folding lost some: "with Société" arrived as "withSociété")."""
    from email import policy
    from email.parser import BytesParser

    from brokerage.mail import Mail, build_message
    for subject in ("Müller Präzision for Générale Brüssel — 10:00 for — ソウル 2027 — GmbH Société event with Société Kansai",
                    "on the moved 会議 the to ソウル ソウル Générale Meeting moved Brüssel to",
                    "Your meeting with Société Générale Électronique Industrielle at Kansai Photonics was moved to 10:00",
                    "Meeting request from Kansai Photonics Co., Ltd. for the Europe–Japan–Korea brokerage event in March",
                    "Request from =?utf-8?q?Urgent=3A_pay_now?= Ltd"):  # an organisation name, read as it is
        raw = bytes(build_message(Mail(to="anne@paris.example", subject=subject, text="Hi"), "events@brokerage.example"))
        assert all(len(line) <= 78 for line in raw.split(b"\n")[:8]), raw
        assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"] == subject


def test_headers_name_utc_and_the_senders_domain():
    from brokerage.mail import Mail, build_message
    message = build_message(Mail(to="anne@paris.example", subject="Hello", text="Hi"),
                            "Brokerage events <events@een-brussels.example>")
    assert message["Date"].endswith("+0000")  # -0000 would mean "zone unknown"
    assert message["Message-ID"].endswith("@een-brussels.example>")


def test_a_sender_with_an_international_domain_still_sends():
    from brokerage.mail import Mail, build_message
    message = build_message(Mail(to="anne@paris.example", subject="Hello", text="Hi"),
                            "Évènements <noreply@événements.example>")
    assert message["Message-ID"].endswith("@xn--vnements-90ab.example>")
    assert bytes(message)  # was a UnicodeEncodeError: every mail failed

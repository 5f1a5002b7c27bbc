"""The one way mail leaves the app: SMTP when MAIL_SERVER is set, else .eml files in the outbox folder."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app

from brokerage.timeutil import now_utc


@dataclass
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    params: dict[str, str] = field(default_factory=dict)  # e.g. text/calendar's method and charset (RFC 6047)


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    calendar: bytes | None = None  # an iTIP body (METHOD:REQUEST or CANCEL), sent inline and attached
    calendar_method: str = "REQUEST"
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None  # a person who answers, where the sender is a no-reply address


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    # A header must be one line: a name with a line break in it would make the whole mail fail.
    subject = " ".join(mail.subject.split())
    if subject.isascii() and "=?" not in subject:  # "=?" would read as an encoded word: encode it too
        message["Subject"] = subject
    else:
        # Python's folding of a long non-ASCII header drops the space before some words ("with Société" can
        # arrive as "withSociété"); the older Header class splits encoded words right, and is stored as it is.
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
    message["Date"] = format_datetime(now_utc())  # +0000: UTC, where formatdate's -0000 means "unknown zone"
    # The sender's own domain: a foreign or made-up one counts against the mail in spam filters.
    message["Message-ID"] = make_msgid(domain=_msgid_domain(sender))
    message.set_content(mail.text)
    if mail.calendar is not None:
        # Outlook and Gmail show accept/decline buttons only for an inline text/calendar part with METHOD.
        message.add_alternative(mail.calendar, maintype="text", subtype="calendar",
                                params={"method": mail.calendar_method, "charset": "utf-8"})
        message.add_attachment(mail.calendar, maintype="application", subtype="ics", filename="invite.ics")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename,
                               params=attachment.params)
    return message


def _msgid_domain(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2]
    try:
        return domain.encode("idna").decode("ascii") if domain else "brokerage.localhost"  # headers are ASCII
    except UnicodeError:
        return "brokerage.localhost"


def send(mail: Mail) -> EmailMessage:
    config = current_app.config
    message = build_message(mail, config["MAIL_SENDER"])
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        outbox = Path(config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = now_utc().strftime("%Y%m%dT%H%M%S%f")
        safe_to = "".join(c if c.isalnum() else "_" for c in mail.to)[:60]
        (outbox / f"{stamp}-{safe_to}.eml").write_bytes(bytes(message))
    return message


def send_problem(mail: Mail) -> str | None:
    """Send after the change is committed: a mail server hiccup is logged and returned (None: sent),
    never undoes the change."""
    try:
        send(mail)
        return None
    except (OSError, ValueError, smtplib.SMTPException) as error:  # ValueError: a header email refuses
        current_app.logger.warning("mail %r to %s failed: %s", mail.subject, mail.to, error)
        return str(error) or type(error).__name__


def try_send(mail: Mail) -> bool:
    return send_problem(mail) is None


def template_mail(to: str, subject: str, template: str, **context) -> Mail:
    from flask import render_template

    return Mail(to=to, subject=subject, text=render_template(template, **context))


def send_template(to: str, subject: str, template: str, **context) -> EmailMessage:
    return send(template_mail(to, subject, template, **context))

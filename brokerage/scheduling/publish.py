"""Publishing the working timetable: participants are told of exactly what changed for them, once.

Each affected participant gets ONE mail listing their changes, with one iTIP object per meeting
(METHOD:REQUEST for new, moved and updated ones, METHOD:CANCEL for removed ones): inline when there is
one, else as text/calendar parts of their own. Meeting.uid never changes; the SEQUENCE rises with
every change after the first announcement, so calendar clients update in place.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template
from werkzeug.routing import BuildError

from brokerage.calendar import build_calendar
from brokerage.events.models import Event, Participant, Slot
from brokerage.extensions import db
from brokerage import links
from brokerage.mail import Attachment, Mail, try_send
from brokerage.meetings.models import Meeting
from brokerage.meetings.services import calendar_entry, video_link
from brokerage.scheduling.timetable import effective_slot_id, pending_changes
from brokerage.timeutil import now_utc


@dataclass
class Change:
    meeting: Meeting
    kind: str  # new | moved | updated (same slot, new end or link) | removed
    old: Slot | None
    new: Slot | None


@dataclass
class Notice:
    participant: Participant
    changes: list[Change] = field(default_factory=list)


@dataclass
class PublishResult:
    meetings_changed: int
    mailed: list[str]
    failed: list[str]


def publish(event: Event) -> PublishResult:
    """Publish (or publish the changes since last time) and mail everyone affected."""
    notices: dict[int, Notice] = {}
    changes = pending_changes(event)
    for meeting in changes:
        new_id, old = effective_slot_id(meeting), meeting.published_slot
        new = db.session.get(Slot, new_id) if new_id else None
        kind = "new" if old is None else "removed" if new is None else "updated" if new == old else "moved"
        if not (old is None and meeting.sequence == 0):
            meeting.sequence += 1  # anything announced before needs a higher SEQUENCE to replace it
        for person in meeting.participants:
            notices.setdefault(person.id, Notice(person)).changes.append(Change(meeting, kind, old, new))
    first_time = event.published_at is None
    mails = [_mail(event, notice, first_time) for notice in notices.values()]
    for meeting in changes:
        meeting.published_slot_id = effective_slot_id(meeting)
        slot = db.session.get(Slot, meeting.published_slot_id) if meeting.published_slot_id else None
        meeting.published_end = slot.end if slot else None
        meeting.published_link = video_link(meeting) if slot else None
    event.timetable_published = True
    event.published_at = now_utc()
    db.session.commit()
    # The timetable is published even if a mail server hiccups; the organiser learns who was missed.
    mailed, failed = [], []
    for mail in mails:
        (mailed if try_send(mail) else failed).append(mail.to)
    return PublishResult(len(changes), mailed, failed)


def unpublish(event: Event) -> None:
    """Hide the agenda; what participants were last told stays recorded for the next publish."""
    event.timetable_published = False
    db.session.commit()


def _mail(event: Event, notice: Notice, first_time: bool) -> Mail:
    person = notice.participant
    changes = sorted(notice.changes, key=lambda c: (c.new or c.old).start)
    text = render_template("mail/schedule_changes.txt", event=event, participant=person, first_time=first_time,
                           changes=changes,  # no agenda for someone who no longer takes part
                           agenda_url=external_url("meetings.agenda", slug=event.slug) if person.is_approved else "")
    subject = (f"{event.name}: your meeting timetable" if first_time
               else f"{event.name}: changes to your meetings")
    mail = Mail(to=person.user.email, subject=subject, text=text)
    # iTIP allows one meeting (UID) per REQUEST or CANCEL (RFC 5546 3.2.2, 3.2.5): one object per meeting.
    # A single one goes inline, where mail clients show it as an invitation; several go as parts of
    # their own (RFC 6047 2.4).
    invites = []
    for change in changes:
        method = "REQUEST" if change.new is not None else "CANCEL"
        body = build_calendar([calendar_entry(change.meeting, person, slot=change.new or change.old)], method=method)
        invites.append((method, body, change.meeting))
    if len(invites) == 1:
        mail.calendar_method, mail.calendar = invites[0][0], invites[0][1]
    else:
        for method, body, meeting in invites:
            name = f"meeting-{meeting.id}{'-cancelled' if method == 'CANCEL' else ''}.ics"
            mail.attachments.append(Attachment(name, body, "text/calendar", {"method": method, "charset": "utf-8"}))
    return mail


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mails, also from `flask` commands with no request; '' if the page does not exist."""
    try:
        return links.external_url(endpoint, **values)
    except BuildError:
        return ""

"""Publishing the working timetable: participants are told of exactly what changed for them, once.

Each affected participant gets ONE mail: new and moved meetings as an inline METHOD:REQUEST calendar,
removed ones as a METHOD:CANCEL calendar attached to the same mail. Meeting.uid never changes; the
SEQUENCE rises with every change after the first announcement, so calendar clients update in place.
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
    requests = [calendar_entry(c.meeting, person, slot=c.new) for c in notice.changes if c.new is not None]
    cancels = [calendar_entry(c.meeting, person, slot=c.old) for c in notice.changes if c.new is None]
    text = render_template("mail/schedule_changes.txt", event=event, participant=person, first_time=first_time,
                           changes=sorted(notice.changes, key=lambda c: (c.new or c.old).start),
                           agenda_url=external_url("meetings.agenda", slug=event.slug))
    subject = (f"{event.name}: your meeting timetable" if first_time
               else f"{event.name}: changes to your meetings")
    mail = Mail(to=person.user.email, subject=subject, text=text)
    if requests:
        mail.calendar, mail.calendar_method = build_calendar(requests, method="REQUEST"), "REQUEST"
        if cancels:
            mail.attachments.append(Attachment("cancelled-meetings.ics", build_calendar(cancels, method="CANCEL"),
                                               "text/calendar", {"method": "CANCEL", "charset": "utf-8"}))
    elif cancels:
        mail.calendar, mail.calendar_method = build_calendar(cancels, method="CANCEL"), "CANCEL"
    return mail


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mails, also from `flask` commands with no request; '' if the page does not exist."""
    try:
        return links.external_url(endpoint, **values)
    except BuildError:
        return ""

"""`flask reminders`, for an hourly cron job. Each reminder goes out once (ReminderLog):

- agenda: a participant's published meetings of one local day (in their time zone), sent the first time the
  command runs within AGENDA_AHEAD (36 h) before that day's first meeting starts, i.e. the day before;
- deadline: within DEADLINE_AHEAD (48 h) before the booking deadline, to participants who still have
  incoming requests to answer, have not marked any availability, or have no meeting agreed or requested
  (with three suggested partners);
- outcomes: from OUTCOMES_AFTER (2 h) after the event's last slot ends, for OUTCOMES_WITHIN (14 days), to
  participants with meetings held that they have not rated (the event's impact comes from these answers).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import current_app, render_template
from flask.cli import with_appcontext

from brokerage.cli import OneLineCommand
from brokerage.events.models import Availability, Event, Participant, Slot
from brokerage.extensions import db
from brokerage.links import FALLBACK_BASE
from brokerage.mail import Mail, try_send
from brokerage.marketplace.matching import Matchmaker
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.meetings.services import with_people
from brokerage.scheduling.models import ReminderLog
from brokerage.scheduling.publish import external_url
from brokerage.timeutil import UTC, Span, now_utc, to_local

AGENDA_AHEAD = timedelta(hours=36)
DEADLINE_AHEAD = timedelta(hours=48)
OUTCOMES_AFTER = timedelta(hours=2)
OUTCOMES_WITHIN = timedelta(days=14)  # a cron job started long after an event does not mail about it


@dataclass
class Reminder:
    participant: Participant
    kind: str  # agenda | deadline | outcomes
    key: str
    subject: str
    text: str
    meetings: list[Meeting] = field(default_factory=list)


def due_reminders(now: datetime) -> list[Reminder]:
    return _agenda_reminders(now) + _deadline_reminders(now) + _outcome_reminders(now)


def _already_sent(participant_id: int, kind: str, key: str) -> bool:
    return db.session.scalar(db.select(ReminderLog.id).filter_by(participant_id=participant_id, kind=kind,
                                                                 key=key)) is not None


def _agenda_reminders(now: datetime) -> list[Reminder]:
    rows = db.session.execute(
        db.select(Meeting, Slot).join(Slot, Meeting.published_slot_id == Slot.id)
        .join(Event, Meeting.event_id == Event.id).join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
        .where(Event.timetable_published.is_(True), Meeting.cancelled.is_(False),
               MeetingRequest.status == "accepted", Slot.start > now)
        .order_by(Slot.start)).all()
    days: dict[tuple[int, str], list[Meeting]] = {}
    people: dict[int, Participant] = {}
    for meeting, slot in rows:
        if not all(p.is_approved for p in meeting.participants):
            continue  # a partner rejected since: the meeting is off, whatever was published
        for person in meeting.participants:
            people[person.id] = person
            days.setdefault((person.id, to_local(slot.start, person.timezone).date().isoformat()), []).append(meeting)
    out = []
    for (person_id, day), meetings in days.items():
        first = meetings[0].published_slot.start
        if first - now > AGENDA_AHEAD or _already_sent(person_id, "agenda", day):
            continue
        person = people[person_id]
        event = person.event
        # The day's span, not its first meeting: on a clock-change day the offset changes in between.
        span = Span(first, meetings[-1].published_slot.end)
        text = render_template("mail/reminder_agenda.txt", participant=person, event=event, meetings=meetings,
                               span=span, agenda_url=external_url("meetings.agenda", slug=event.slug))
        out.append(Reminder(person, "agenda", day, f"{event.name}: your meetings on {_day_label(first, person)}",
                            text, meetings))
    return out


def _deadline_reminders(now: datetime) -> list[Reminder]:
    events = db.session.scalars(db.select(Event).where(Event.booking_deadline > now,
                                                       Event.booking_deadline <= now + DEADLINE_AHEAD)).all()
    out = []
    for event in events:
        key = event.booking_deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        matchmaker = None
        for person in db.session.scalars(db.select(Participant).filter_by(event_id=event.id, status="approved")
                                         .order_by(Participant.id)):
            # Only requests with someone still in the event count: not with someone the organisers rejected.
            live = [r for r in db.session.scalars(db.select(MeetingRequest).where(
                    sa.or_(MeetingRequest.requester_id == person.id, MeetingRequest.recipient_id == person.id),
                    MeetingRequest.status.in_(("pending", "accepted")))) if r.other(person).is_approved]
            pending = [r for r in live if r.status == "pending" and r.recipient_id == person.id]
            has_availability = db.session.scalar(db.select(Availability.slot_id)
                                                 .filter_by(participant_id=person.id).limit(1)) is not None
            if (live and not pending and has_availability) or _already_sent(person.id, "deadline", key):
                continue
            suggested = []
            if not live:  # nothing agreed or asked yet: the last chance to find partners
                matchmaker = matchmaker or Matchmaker(event)
                suggested = matchmaker.suggest(person.id, limit=3)
            text = render_template("mail/reminder_deadline.txt", participant=person, event=event, pending=pending,
                                   has_availability=has_availability, no_meetings=not live, suggestions=suggested,
                                   requests_url=external_url("meetings.requests", slug=event.slug),
                                   availability_url=external_url("meetings.availability", slug=event.slug),
                                   marketplace_url=external_url("marketplace.search", slug=event.slug))
            out.append(Reminder(person, "deadline", key, f"{event.name}: booking closes "
                                f"{to_local(event.booking_deadline, person.timezone):%a %d %b %H:%M} your time", text))
    return out


def _outcome_reminders(now: datetime) -> list[Reminder]:
    ended = (db.select(Slot.event_id).group_by(Slot.event_id)
             .having(sa.func.max(Slot.end).between(now - OUTCOMES_WITHIN, now - OUTCOMES_AFTER)))
    out = []
    for event in db.session.scalars(db.select(Event).where(Event.id.in_(ended), Event.timetable_published.is_(True))
                                    .order_by(Event.id)):
        # Loaded whole, in a few queries: an event has up to ~10,000 meetings.
        meetings = db.session.scalars(
            db.select(Meeting).join(Slot, Meeting.published_slot_id == Slot.id)
            .join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
            .where(Meeting.event_id == event.id, Meeting.cancelled.is_(False), MeetingRequest.status == "accepted",
                   Slot.start <= now).order_by(Slot.start, Meeting.id)
            .options(*with_people(), selectinload(Meeting.outcomes))).all()
        key = f"event-{event.id}"
        sent = set(db.session.scalars(db.select(ReminderLog.participant_id).join(Participant).where(
            Participant.event_id == event.id, ReminderLog.kind == "outcomes", ReminderLog.key == key)))
        held: dict[int, list[Meeting]] = {}
        people: dict[int, Participant] = {}
        for meeting in meetings:
            rated = {o.participant_id for o in meeting.outcomes}
            for person in meeting.participants:
                # Someone who left still reports on what they held; a rejected participant or a deleted
                # account does not.
                if (person.status in ("approved", "withdrawn") and not person.user.is_erased
                        and person.id not in rated and person.id not in sent):
                    people[person.id] = person
                    held.setdefault(person.id, []).append(meeting)
        for person_id, theirs in held.items():
            person = people[person_id]
            span = Span(theirs[0].published_slot.start, theirs[-1].published_slot.end)
            text = render_template("mail/reminder_outcomes.txt", participant=person, event=event, meetings=theirs,
                                   span=span, outcomes_url=external_url("outcomes.my_outcomes", slug=event.slug))
            out.append(Reminder(person, "outcomes", key, f"{event.name}: how did your meetings go?", text, theirs))
    return out


def _day_label(moment: datetime, person: Participant) -> str:
    return to_local(moment, person.timezone).strftime("%a %d %b")


def send_reminders(now: datetime, dry_run: bool = False) -> tuple[list[Reminder], list[str]]:
    """Send what is due. Each reminder is recorded before it is sent (the record's unique key is the
    claim), so two overlapping cron runs never mail anyone twice; a refused mail drops its record, for
    the next run to try again."""
    due, failed, tried = due_reminders(now), [], []
    if dry_run:
        return due, failed
    for reminder in due:
        log = ReminderLog(participant_id=reminder.participant.id, kind=reminder.kind, key=reminder.key,
                          sent_at=now_utc())
        db.session.add(log)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another run claimed it first
            db.session.rollback()
            continue
        tried.append(reminder)
        if not try_send(Mail(to=reminder.participant.user.email, subject=reminder.subject, text=reminder.text)):
            failed.append(reminder.participant.user.email)
            db.session.delete(log)
            db.session.commit()
    return tried, failed


def parse_now(text: str | None) -> datetime:
    if text is None:
        return now_utc()
    try:
        moment = datetime.fromisoformat(text.strip())
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"--now: {text!r} is not an ISO 8601 time such as 2027-03-15T08:00Z") from None
    if not 2000 <= moment.year <= 2100:  # the years events may have; near 9999 date sums overflow
        raise ValueError(f"--now: {text!r} is outside the years 2000 to 2100")
    return moment


@click.command("reminders", cls=OneLineCommand)
@click.option("--now", "now_text", metavar="ISO-UTC", help="Act as if it were this time (UTC), e.g. 2027-03-15T08:00Z.")
@click.option("--dry-run", is_flag=True, help="List the reminders that are due without sending or recording them.")
@with_appcontext
def reminders_command(now_text: str | None, dry_run: bool) -> None:
    """Mail the reminders that are due: agendas the day before, booking-deadline nudges, and after the
    event a request to rate the meetings held."""
    try:
        now = parse_now(now_text)
    except ValueError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    if not current_app.config.get("BASE_URL"):
        click.echo(f"Warning: BASE_URL is not set, so links in these mails point at {FALLBACK_BASE}.", err=True)
    try:
        due, failed = send_reminders(now, dry_run)
    except sa.exc.SQLAlchemyError as error:  # cron mails the output: one line, not a traceback
        reason = (str(getattr(error, "orig", error)).strip().splitlines() or ["unknown error"])[0]
        click.echo(f"Error: the database cannot be used: {reason}", err=True)
        sys.exit(2)
    for reminder in due:
        mark = "FAILED" if reminder.participant.user.email in failed else ("would send" if dry_run else "sent")
        click.echo(f"{mark}: {reminder.kind} reminder to {reminder.participant.user.email} "
                   f"({reminder.participant.event.slug}, {reminder.key})")
    click.echo(f"{len(due) - len(failed)} reminder(s) {'due' if dry_run else 'sent'} at {now:%Y-%m-%dT%H:%MZ}"
               + (f"; {len(failed)} failed" if failed else "") + ".")
    if failed:
        sys.exit(1)

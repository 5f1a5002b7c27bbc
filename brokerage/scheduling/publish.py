"""Publishing the working timetable: participants are told of exactly what changed for them, once.

Publishing records one notice per affected participant in the same transaction, and a background job
(a thread, or an RQ worker with REDIS_URL) mails them: 2,000 participants' mails take half a minute
to write, longer than a web request should. Each affected participant gets ONE mail listing their changes, with one iTIP object per meeting
(METHOD:REQUEST for new, moved and updated ones, METHOD:CANCEL for removed ones): inline when there is
one, else as text/calendar parts of their own. Meeting.uid never changes; the SEQUENCE rises with
every change after the first announcement, so calendar clients update in place.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, render_template
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from brokerage import links, mail_queue
from brokerage.calendar import build_calendar
from brokerage.events.models import Event, Participant, Slot
from brokerage.extensions import db
from brokerage.mail import Attachment, Mail, send_problem
from brokerage.meetings.models import Meeting
from brokerage.meetings.services import agreed_without_slot, calendar_entry, video_link, with_people
from brokerage.scheduling import jobs, solver_bridge
from brokerage.scheduling.models import PublishNotice
from brokerage.scheduling.timetable import FIT_THE_LIMITS, effective_slot_id, pending_change_ids, publish_problems
from brokerage.timeutil import now_utc

STALE_SENDING = timedelta(minutes=10)  # a notice claimed this long ago by a process that stopped


@dataclass(frozen=True)
class Announced:
    """A slot's times as a notice recorded them (the slot itself may be gone by the time it is mailed)."""
    start: datetime
    end: datetime


@dataclass
class Change:
    meeting: Meeting
    kind: str  # new | moved | updated (same slot, new end or link) | removed
    old: Announced | None
    new: Announced | None


class PublishedMeanwhile(Exception):
    """Another publish of this event committed first."""


class PlanChanged(Exception):
    """What publishing would mail changed since the organiser's preview."""


class PublishRefused(Exception):
    """The timetable breaks the event's room capacity or meeting limit (lowered after scheduling), or would
    announce a meeting in a slot that has begun."""


@dataclass
class PublishResult:
    meetings_changed: int
    participants_to_mail: int


def publish(event: Event, expected: str | None = None) -> PublishResult:
    """Publish (or publish the changes since last time); each participant affected gets one notice,
    mailed in the background (see deliver). Raises PublishedMeanwhile when another publish of the
    event got there first (a double click, a second tab): it announced the same changes. Raises
    PublishRefused, in words for the organiser, while timetable.publish_problems finds any, and
    PlanChanged when `expected` (a preview's plan_digest) is no longer what would be mailed."""
    if problems := publish_problems(event):
        raise PublishRefused(f"Not published: {'; '.join(problems)}. To fix it, {FIT_THE_LIMITS}.")
    published_at, before = now_utc(), event.published_at
    first_time = before is None
    # Compare-and-set on the event row before reading the changes: the second of two concurrent
    # publishes waits for the first to commit, then finds the row changed and stops.
    claimed = db.session.execute(sa.update(Event).where(
        Event.id == event.id, Event.published_at.is_(None) if first_time else Event.published_at == before)
        .values(published_at=published_at))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise PublishedMeanwhile
    changes, notices, digest = _plan(event, first_time, published_at, claim=True)
    if expected is not None and digest != expected:
        db.session.rollback()
        raise PlanChanged
    _record(changes, notices)
    event.published_at = published_at
    event.timetable_published = True
    db.session.commit()
    if notices:
        jobs.in_background(deliver_job, event.id, links.base_url())
    return PublishResult(len(changes), len(notices))


def announce_called_off(event: Event, person: Participant) -> int:
    """Publish at once only the cancellation of the published meetings still to come of someone who no longer
    takes part (rejected, or back to pending), so that no partner keeps a meeting nobody will come to until the
    organisers next publish (a co-organiser cannot). Returns how many participants are mailed: 0 when a publish
    at the same moment announced them."""
    if event.published_at is None:
        return 0
    # The event row's lock, not its published_at, orders this against a publish (whose compare-and-set then
    # still holds): whichever comes second sees what the first announced, and nothing is lost or sent twice.
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(published_at=Event.published_at))
    now = now_utc()
    changes, notices, _ = _plan(event, False, now, claim=True, of=person)
    if not changes:
        db.session.rollback()
        return 0
    _record(changes, notices)
    db.session.commit()
    jobs.in_background(deliver_job, event.id, links.base_url())
    return len(notices)


def _record(changes: list[Meeting], notices: dict[int, PublishNotice]) -> None:
    """What participants are told becomes what they were told: the meetings' announced slot, end and link."""
    for meeting in changes:
        if not (meeting.published_slot is None and meeting.sequence == 0):
            meeting.sequence += 1  # anything announced before needs a higher SEQUENCE to replace it
        meeting.published_slot_id = effective_slot_id(meeting)
        slot = db.session.get(Slot, meeting.published_slot_id) if meeting.published_slot_id else None
        meeting.published_end = slot.end if slot else None
        meeting.published_link = video_link(meeting) if slot else None
    db.session.add_all(notices.values())


def _plan(event: Event, first_time: bool, published_at: datetime, claim: bool,
          of: Participant | None = None) -> tuple[list[Meeting], dict[int, PublishNotice], str]:
    """What a publish tells whom: the meetings changed since the last one (only `of` that participant's, if
    given), one notice per participant to mail (not yet in the session), earlier unsent ones folded in, and
    the digest of the changes alone (earlier mails being sent meanwhile do not make a preview out of date).
    Changes nothing unless `claim`, which takes those earlier notices over."""
    notices: dict[int, PublishNotice] = {}
    pending = pending_change_ids(event)
    everything = solver_bridge.event_meetings(event)
    changes = [m for m in everything if m.id in pending and (of is None or of in m.participants)]
    for meeting in changes:
        new_id, old = effective_slot_id(meeting), meeting.published_slot
        new = db.session.get(Slot, new_id) if new_id else None
        kind = "new" if old is None else "removed" if new is None else "updated" if new == old else "moved"
        change = {"meeting": meeting.id, "kind": kind, "old": _times(old, meeting.published_end), "new": _times(new)}
        for person in meeting.participants:
            notices.setdefault(person.id, PublishNotice(event_id=event.id, participant_id=person.id,
                                                        first_time=first_time, changes=[], created_at=published_at)
                               ).changes.append(change)
    digest = plan_digest(notices.values())
    _fold_unsent(event, notices, claim)
    if first_time:  # someone whose agreed meetings all lack a slot hears so too (after the fold, which drops
        for meeting in everything:  # notices with nothing in them)
            if meeting.id not in pending and solver_bridge.is_schedulable(meeting) and meeting.slot_id is None:
                for person in meeting.participants:
                    if person.id not in notices:
                        notices[person.id] = PublishNotice(event_id=event.id, participant_id=person.id,
                                                           first_time=True, changes=[], created_at=published_at)
    return changes, notices, digest


@dataclass
class Preview:
    """A publish as it would go now: who is mailed, what changed, and any one person's mail."""
    notices: list[PublishNotice]  # by organisation
    kinds: dict[str, int]  # meetings by kind of change
    digest: str  # what publish(expected=...) checks, so that confirming mails what was seen

    def notice_for(self, participant_id: int | None) -> PublishNotice | None:
        """That participant's notice, else the first one."""
        return next((n for n in self.notices if n.participant_id == participant_id),
                    self.notices[0] if self.notices else None)

    def mail(self, notice: PublishNotice) -> Mail:
        person, placed_now = notice.participant, {c["meeting"] for n in self.notices for c in n.changes if c["new"]}
        meetings = {m.id: m for m in db.session.scalars(db.select(Meeting).where(
            Meeting.id.in_({c["meeting"] for c in notice.changes})).options(*with_people()))}
        unplaced = [r for r in agreed_without_slot([person]).get(person.id, []) if r.meeting.id not in placed_now] \
            if notice.first_time and person.is_approved else []
        return _mail(notice, meetings, unplaced)


def preview(event: Event) -> Preview:
    """Publish's plan without publishing: earlier unsent mails are read, not taken over; SEQUENCE not raised."""
    _, notices, digest = _plan(event, event.published_at is None, now_utc(), claim=False)
    people = {p.id: p for p in db.session.scalars(db.select(Participant).where(Participant.id.in_(notices))
                                                   .options(selectinload(Participant.user)))}
    for notice in notices.values():
        notice.participant = people[notice.participant_id]
    kinds: dict[str, int] = {}
    for change in {c["meeting"]: c for n in notices.values() for c in n.changes}.values():
        kinds[change["kind"]] = kinds.get(change["kind"], 0) + 1
    return Preview(sorted(notices.values(), key=lambda n: (n.participant.organisation.casefold(), n.participant_id)),
                   kinds, digest)


def plan_digest(notices) -> str:
    """Who would be mailed what, in a few characters."""
    told = sorted((n.participant_id, bool(n.first_time), n.changes) for n in notices)
    return hashlib.sha256(json.dumps(told, sort_keys=True).encode()).hexdigest()[:32]


def _fold_unsent(event: Event, notices: dict[int, PublishNotice], claim: bool) -> None:
    """A participant whose earlier mail is still waiting or was refused gets one mail with both: an
    old mail sent later would carry old times under the meeting's new SEQUENCE and move the meeting
    back in their calendar. With `claim` the earlier notices are taken over atomically (one being sent
    right now is left to finish); without, they are only read (a preview)."""
    if not notices:
        return
    unsent = sa.and_(PublishNotice.event_id == event.id, PublishNotice.participant_id.in_(notices),
                     PublishNotice.status.in_(("pending", "failed")))
    if claim:
        taken = db.session.scalars(sa.update(PublishNotice).where(unsent).values(status="superseded")
                                   .returning(PublishNotice.id).execution_options(synchronize_session=False)).all()
        unsent = PublishNotice.id.in_(taken)
    for earlier in db.session.scalars(db.select(PublishNotice).where(unsent).order_by(PublishNotice.id)):
        notice = notices[earlier.participant_id]
        notice.first_time = notice.first_time or earlier.first_time
        newer = {c["meeting"]: c for c in notice.changes}
        merged = []
        for old in earlier.changes:
            if old["meeting"] in newer:  # what they last heard of is the earlier change's "old"
                change = newer.pop(old["meeting"])
                old = {**change, "old": old["old"], "kind": _kind(old["old"], change["new"])}
            if old["kind"]:
                merged.append(old)
        notice.changes = merged + list(newer.values())
    for person_id in [k for k, notice in notices.items() if not notice.changes]:
        del notices[person_id]  # announced and withdrawn before they heard of it: nothing to tell


def _kind(old: dict | None, new: dict | None) -> str | None:
    if old is None:
        return "new" if new is not None else None  # never heard of, now gone: nothing to say
    if new is None:
        return "removed"
    return "updated" if old["start"] == new["start"] else "moved"


def _times(slot: Slot | None, end: datetime | None = None) -> dict | None:
    if slot is None:
        return None
    return {"start": slot.start.isoformat(), "end": (end or slot.end).isoformat()}


def _announced(times: dict | None) -> Announced | None:
    return Announced(datetime.fromisoformat(times["start"]), datetime.fromisoformat(times["end"])) if times else None


def deliver(event_id: int, base_url: str | None = None) -> None:
    """Mail the event's waiting notices, oldest first. Each is claimed (pending -> sending) before it is
    built, so two deliveries running at once never mail anyone twice; a refused mail is recorded with
    the reason, for the organiser to send again. `base_url`: the address the organiser published from,
    for the links in the mails when BASE_URL is not set."""
    g.base_url = base_url
    # Each mail's outcome is committed at once; keeping the batch's loaded meetings and people across
    # those commits saves re-reading them for every mail (100,000 statements for 2,000 mails).
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        _deliver(event_id)
    finally:
        session.expire_on_commit = keep


def _deliver(event_id: int) -> None:
    for notices in mail_queue.claimed_batches(PublishNotice, PublishNotice.event_id == event_id):
        meeting_ids = {c["meeting"] for n in notices for c in n.changes}
        meetings = {m.id: m for m in db.session.scalars(db.select(Meeting).where(Meeting.id.in_(meeting_ids))
                                                         .options(*with_people()))}
        first = [n.participant for n in notices if n.first_time and n.participant.is_approved]
        unplaced = agreed_without_slot(first) if first else {}
        for notice in mail_queue.one_by_one(PublishNotice, notices):
            try:
                mail = _mail(notice, meetings, unplaced.get(notice.participant_id, []))
            except Exception as error:  # a notice that cannot even be written must not stop the others
                current_app.logger.exception("publish notice %s could not be written", notice.id)
                problem = f"could not be written: {error}"
            else:
                problem = send_problem(mail)
            notice.status, notice.error = ("failed", problem) if problem else ("sent", "")
            notice.sent_at = now_utc()
            db.session.commit()  # at once: "send again" must never see a sent mail as stuck


def deliver_job(event_id: int, base_url: str | None = None) -> None:
    """The background job: RQ imports and calls this; outside a Flask app it builds one."""
    jobs.with_app(deliver, event_id, base_url)


def send_again(event: Event) -> int:
    """Failed notices (and ones a stopped process left half done) go back in the queue; returns how many."""
    stale = now_utc() - STALE_SENDING
    again = db.session.execute(sa.update(PublishNotice).where(
        PublishNotice.event_id == event.id,
        sa.or_(PublishNotice.status == "failed",
               sa.and_(PublishNotice.status == "sending", PublishNotice.sent_at < stale)))
        .values(status="pending", error="")).rowcount
    db.session.commit()
    if again or db.session.scalar(db.select(PublishNotice.id).filter_by(event_id=event.id, status="pending")
                                  .limit(1)):
        jobs.in_background(deliver_job, event.id, links.base_url())
    return again


@dataclass
class Delivery:
    """The mails of the latest publish, for the timetable page."""
    sent: int
    waiting: int
    failed: list[tuple[str, str]]  # (email, reason)


def latest_delivery(event: Event) -> Delivery | None:
    """The latest publish's mails, and every earlier one still waiting or refused (none is hidden by a
    later publish)."""
    if event.published_at is None:
        return None
    notices = db.session.scalars(db.select(PublishNotice).where(
        PublishNotice.event_id == event.id,
        sa.or_(PublishNotice.created_at == event.published_at,
               PublishNotice.status.in_(("pending", "sending", "failed"))))
        .options(selectinload(PublishNotice.participant).selectinload(Participant.user))).all()
    if not notices:
        return None
    return Delivery(sent=sum(n.status == "sent" for n in notices),
                    waiting=sum(n.status in ("pending", "sending") for n in notices),
                    failed=[(n.participant.user.email, n.error) for n in notices if n.status == "failed"])


def unpublish(event: Event) -> None:
    """Hide the agenda; what participants were last told stays recorded for the next publish."""
    event.timetable_published = False
    db.session.commit()


def _mail(notice: PublishNotice, meetings: dict[int, Meeting], unplaced: list) -> Mail:
    person, event, first_time = notice.participant, db.session.get(Event, notice.event_id), notice.first_time
    changes = sorted((Change(meetings[c["meeting"]], c["kind"], _announced(c["old"]), _announced(c["new"]))
                      for c in notice.changes), key=lambda c: (c.new or c.old).start)
    text = render_template("mail/schedule_changes.txt", event=event, participant=person, first_time=first_time,
                           changes=changes,  # no agenda for someone who no longer takes part
                           agenda_url=external_url("meetings.agenda", slug=event.slug) if person.is_approved else "",
                           unplaced=unplaced,  # a meeting that lost its slot but not its agreement is not cancelled
                           still_agreed={c.meeting.id for c in changes if solver_bridge.is_schedulable(c.meeting)},
                           availability_url=external_url("meetings.availability", slug=event.slug))
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

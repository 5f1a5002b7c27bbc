"""Organisers mail a group of participants ("book your meetings by Friday", "mark your availability").

An announcement is recorded with one row per recipient in the same transaction, and a background job (a
thread, or an RQ worker with REDIS_URL) sends them in batches, as publish.py does: 2,000 mails take half a
minute, and a process that stops loses none (send_again picks up the rest).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, render_template
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from brokerage import links, mail_queue
from brokerage.accounts.models import User
from brokerage.events.models import Availability, Event, Participant
from brokerage.extensions import db
from brokerage.mail import Mail, send_problem
from brokerage.meetings.models import MeetingRequest
from brokerage.scheduling import jobs
from brokerage.timeutil import UTCDateTime, now_utc

# Who an announcement goes to: (key, label). Every audience but "pending" is approved participants only.
AUDIENCES = (
    ("approved", "All approved participants"),
    ("no-requests", "Approved, with no meeting agreed or requested"),
    ("no-availability", "Approved, with a meeting agreed or requested but no availability marked"),
    ("agreed", "Approved, with at least one agreed meeting"),
    ("pending", "Registrations waiting for approval"),
)
ALL_OFFICES = ""
NO_OFFICE = "(none)"  # the office filter's value for participants without a support office
STALE_SENDING = timedelta(minutes=10)


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(sa.String(32))
    office: Mapped[str] = mapped_column(sa.String(200), default="")  # only this support office's, if set
    subject: Mapped[str] = mapped_column(sa.String(150))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The preview's one-time key: the same preview sent twice (a double click, two tabs) is one announcement.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)

    author: Mapped[User | None] = relationship()
    mails: Mapped[list[AnnouncementMail]] = relationship(back_populates="announcement", cascade="all, delete-orphan")


class AnnouncementMail(db.Model):
    __table_args__ = (sa.UniqueConstraint("announcement_id", "participant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(sa.ForeignKey("announcement.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    # pending | sending | sent | failed | skipped (no longer in the group when its turn came)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    announcement: Mapped[Announcement] = relationship(back_populates="mails")
    participant: Mapped[Participant] = relationship()


def recipients(event: Event, audience: str, office: str = ALL_OFFICES) -> list[Participant]:
    """The participants an audience names today, by organisation."""
    approved = set(db.session.scalars(db.select(Participant.id).filter_by(event_id=event.id, status="approved")))
    if audience == "pending":
        ids = set(db.session.scalars(db.select(Participant.id).filter_by(event_id=event.id, status="pending")))
    elif audience == "approved":
        ids = approved
    else:
        # Open requests between people still in the event, as the participants page counts them.
        pairs = db.session.execute(db.select(MeetingRequest.requester_id, MeetingRequest.recipient_id,
                                             MeetingRequest.status).where(
            MeetingRequest.event_id == event.id, MeetingRequest.status.in_(("pending", "accepted")))).all()
        live = [(a, b, status) for a, b, status in pairs if a in approved and b in approved]
        in_request = {p for a, b, _ in live for p in (a, b)}
        if audience == "no-requests":
            ids = approved - in_request
        elif audience == "agreed":
            ids = {p for a, b, status in live if status == "accepted" for p in (a, b)}
        else:  # no-availability
            marked = set(db.session.scalars(db.select(Availability.participant_id).distinct().join(
                Participant, Availability.participant_id == Participant.id).where(Participant.event_id == event.id)))
            ids = in_request - marked
    query = db.select(Participant).where(Participant.id.in_(sorted(ids))).options(selectinload(Participant.user))
    if office:
        query = query.where(Participant.support_office == ("" if office == NO_OFFICE else office))
    people = db.session.scalars(query).all()
    return sorted(people, key=lambda p: (p.organisation.casefold(), p.id))


def group_key(people: list[Participant]) -> str:
    """Who exactly a preview showed, so that sending goes to them and nobody else."""
    return hashlib.sha256(",".join(str(p.id) for p in sorted(people, key=lambda p: p.id)).encode()).hexdigest()[:32]


def _still_in_group(announcement: Announcement, person: Participant) -> bool:
    """Checked again when the mail's turn comes: someone rejected, leaving or erased meanwhile gets nothing."""
    wanted = "pending" if announcement.audience == "pending" else "approved"
    return person.status == wanted and not person.user.is_erased


def mail_for(announcement: Announcement, person: Participant) -> Mail:
    event = db.session.get(Event, announcement.event_id)
    author = announcement.author
    text = render_template("mail/announcement.txt", announcement=announcement, person=person, event=event,
                           author=author, office=_author_office(event, author),
                           link=links.external_url("events.detail", slug=event.slug))
    # Replies go to the organiser who wrote it, not to the no-reply sender.
    return Mail(to=person.user.email, subject=f"{event.name}: {announcement.subject}", text=text,
                reply_to=author.email if author and not author.is_erased else None)


def _author_office(event: Event, author: User | None) -> str:
    return next((o.organisation for o in event.organisers if author and o.user_id == author.id), "")


def announce(event: Event, author: User, audience: str, office: str, subject: str, body: str,
             people: list[Participant], token: str) -> Announcement:
    """Record the announcement to these people and send it in the background. `token` is the preview's: sent
    twice (a double click, two tabs), it is recorded and mailed once."""
    announcement = Announcement(event_id=event.id, author_id=author.id, audience=audience, office=office,
                                subject=subject, body=body, token=token,
                                mails=[AnnouncementMail(participant_id=p.id) for p in people])
    db.session.add(announcement)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the other submission of this preview got there first
        db.session.rollback()
        return db.session.scalar(db.select(Announcement).filter_by(token=token))
    jobs.in_background(deliver_job, announcement.id, links.base_url())
    return announcement


def deliver_job(announcement_id: int, base_url: str | None = None) -> None:
    """The background job: RQ imports and calls this; outside a Flask app it builds one."""
    jobs.with_app(deliver, announcement_id, base_url)


def deliver(announcement_id: int, base_url: str | None = None) -> None:
    """Send the announcement's waiting mails; `base_url` as in publish.deliver."""
    g.base_url = base_url
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False  # one mail's commit must not reload the batch
    try:
        _deliver(announcement_id)
    finally:
        session.expire_on_commit = keep


def _deliver(announcement_id: int) -> None:
    announcement = db.session.get(Announcement, announcement_id)
    for rows in mail_queue.claimed_batches(AnnouncementMail, AnnouncementMail.announcement_id == announcement_id):
        for row in mail_queue.one_by_one(AnnouncementMail, rows):
            if not _still_in_group(announcement, row.participant):
                row.status, row.error = "skipped", "no longer in the group"
            else:
                try:
                    problem = send_problem(mail_for(announcement, row.participant))
                except Exception as error:  # one mail that cannot be written must not stop the others
                    current_app.logger.exception("announcement mail %s could not be written", row.id)
                    problem = f"could not be written: {error}"
                row.status, row.error = ("failed", problem) if problem else ("sent", "")
            row.sent_at = now_utc()
            db.session.commit()


def send_again(announcement: Announcement) -> int:
    """Refused mails, and ones a stopped process left half sent, go back in the queue; returns how many."""
    again = db.session.execute(sa.update(AnnouncementMail).where(
        AnnouncementMail.announcement_id == announcement.id,
        sa.or_(AnnouncementMail.status == "failed",
               sa.and_(AnnouncementMail.status == "sending", AnnouncementMail.sent_at < now_utc() - STALE_SENDING)))
        .values(status="pending", error="")).rowcount
    db.session.commit()
    # Pending ones too: the process that was sending them may have stopped.
    if again or db.session.scalar(db.select(AnnouncementMail.id).filter_by(announcement_id=announcement.id,
                                                                          status="pending").limit(1)):
        jobs.in_background(deliver_job, announcement.id, links.base_url())
    return again


@dataclass
class Delivery:
    announcement: Announcement
    sent: int
    waiting: int
    failed: list[tuple[str, str]]  # (email, reason)
    skipped: int  # no longer in the group when their turn came


def history(event: Event) -> list[Delivery]:
    """The event's announcements, newest first, with how their mails fared."""
    announcements = db.session.scalars(db.select(Announcement).filter_by(event_id=event.id)
                                       .order_by(Announcement.created_at.desc(), Announcement.id.desc())
                                       .options(selectinload(Announcement.author))).all()
    counts: dict[int, dict[str, int]] = {}
    for announcement_id, status, n in db.session.execute(
            db.select(AnnouncementMail.announcement_id, AnnouncementMail.status, sa.func.count())
            .where(AnnouncementMail.announcement_id.in_([a.id for a in announcements]))
            .group_by(AnnouncementMail.announcement_id, AnnouncementMail.status)):
        counts.setdefault(announcement_id, {})[status] = n
    failed: dict[int, list[tuple[str, str]]] = {}
    for announcement_id, email, error in db.session.execute(
            db.select(AnnouncementMail.announcement_id, User.email, AnnouncementMail.error)
            .join(Participant, AnnouncementMail.participant_id == Participant.id).join(User, Participant.user_id == User.id)
            .where(AnnouncementMail.announcement_id.in_([a.id for a in announcements]),
                   AnnouncementMail.status == "failed")):
        failed.setdefault(announcement_id, []).append((email, error))
    return [Delivery(a, counts.get(a.id, {}).get("sent", 0),
                     counts.get(a.id, {}).get("pending", 0) + counts.get(a.id, {}).get("sending", 0),
                     failed.get(a.id, []), counts.get(a.id, {}).get("skipped", 0)) for a in announcements]

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brokerage.events.models import Participant, Slot
from brokerage.extensions import db
from brokerage.timeutil import UTCDateTime, now_utc

REQUEST_STATUSES = ("pending", "accepted", "declined", "cancelled")
RATINGS = [
    ("not_held", "Did not take place"),
    ("insufficient_interest", "Insufficient interest"),
    ("informative", "Informative, no cooperation planned"),
    ("cooperation_possible", "Cooperation possible"),
]
FOLLOW_UPS = [
    ("no_contact", "No further contact"),
    ("negotiation", "Negotiation started"),
    ("agreement", "Cooperation agreement reached"),
]


class MeetingRequest(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"))
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    weight: Mapped[int] = mapped_column(default=1)  # organiser's priority for the solver
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The organiser who booked it for both sides (the requester did not ask), else None.
    arranged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    requester: Mapped[Participant] = relationship(foreign_keys=[requester_id])
    recipient: Mapped[Participant] = relationship(foreign_keys=[recipient_id])
    meeting: Mapped[Meeting | None] = relationship(back_populates="request", uselist=False)

    def other(self, participant: Participant) -> Participant:
        return self.recipient if participant.id == self.requester_id else self.requester


class RequestMessage(db.Model):
    """A message between the two sides of a meeting request, after its opening message (MeetingRequest.message):
    what to discuss, who joins, a document to read first. Only the two sides read it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_request.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the other side

    author: Mapped[Participant] = relationship()


# One open (pending or accepted) request per pair, whoever asked: two submissions at the same moment
# (two tabs, a network retry) made two requests and then two meetings for one pair.
OPEN_REQUEST = sa.text("status IN ('pending', 'accepted')")
_lower_first = MeetingRequest.requester_id < MeetingRequest.recipient_id
sa.Index("uq_meeting_request_open_pair", MeetingRequest.event_id,
         sa.case((_lower_first, MeetingRequest.requester_id), else_=MeetingRequest.recipient_id),
         sa.case((_lower_first, MeetingRequest.recipient_id), else_=MeetingRequest.requester_id),
         unique=True, sqlite_where=OPEN_REQUEST, postgresql_where=OPEN_REQUEST)


class Meeting(db.Model):
    """An agreed meeting. `slot` is the organisers' working timetable; `published_slot` is what participants see."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_request.id"), unique=True)
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="SET NULL"))
    locked: Mapped[bool] = mapped_column(default=False)
    unscheduled_reason: Mapped[str] = mapped_column(sa.Text, default="")
    cancelled: Mapped[bool] = mapped_column(default=False)
    published_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="SET NULL"))
    # What the last announcement said beyond the slot: a new slot length or video link must be announced too.
    published_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_link: Mapped[str | None] = mapped_column(sa.Text)
    # Calendar identity: the UID never changes; SEQUENCE rises with every change participants are told of.
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True, default=lambda: f"{uuid.uuid4()}@brokerage")
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    request: Mapped[MeetingRequest] = relationship(back_populates="meeting")
    slot: Mapped[Slot | None] = relationship(foreign_keys=[slot_id])
    published_slot: Mapped[Slot | None] = relationship(foreign_keys=[published_slot_id])
    outcomes: Mapped[list[MeetingOutcome]] = relationship(back_populates="meeting", cascade="all, delete-orphan")

    @property
    def participants(self) -> tuple[Participant, Participant]:
        return self.request.requester, self.request.recipient

    def outcome_of(self, participant) -> MeetingOutcome | None:
        """That participant's own account of the meeting, if any."""
        return next((o for o in self.outcomes if o.participant_id == participant.id), None)

    @property
    def held_out(self) -> bool:
        """Taken out of the timetable by an organiser: runs leave it out until it is placed or released."""
        return self.locked and self.slot_id is None


class MeetingOutcome(db.Model):
    """One participant's account of a meeting: the rating after it, the follow-up later."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "participant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"))
    rating: Mapped[str] = mapped_column(sa.String(32))
    follow_up: Mapped[str | None] = mapped_column(sa.String(32))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    # An organiser who recorded it from what the participant told them; None: the participant's own entry.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="outcomes")
    recorded_by = relationship("User")

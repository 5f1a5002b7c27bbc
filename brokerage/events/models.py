from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from brokerage.events.search_text import searchable
from brokerage.extensions import db
from brokerage.regions import region_of
from brokerage.timeutil import UTCDateTime, now_utc

ORGANISATION_TYPES = [
    ("sme", "SME"), ("large", "Large company"), ("research", "University / research"),
    ("cluster", "Cluster"), ("other", "Other"),
]
# As in EEN's partnering database: a business offer sells (and seeks distributors, agents or customers), a
# business request buys (and seeks suppliers); two firms seeking distributors for the same product compete.
OPPORTUNITY_KINDS = [
    ("tech_offer", "Technology offer"), ("tech_request", "Technology request"),
    ("business_offer", "Business offer"), ("business_request", "Business request"),
    ("partnership", "Other business partnership"), ("rnd", "R&D cooperation"), ("investment", "Investment"),
]
SECTORS = [
    ("ai", "AI & data"), ("agrifood", "Agri-food"), ("automotive", "Automotive & mobility"),
    ("biotech", "Biotech & health"), ("cleantech", "Clean tech & energy"), ("ict", "ICT & software"),
    ("manufacturing", "Advanced manufacturing"), ("materials", "Materials & chemistry"),
    ("medtech", "Medical devices"), ("robotics", "Robotics"), ("semiconductors", "Semiconductors"),
    ("space", "Space & aerospace"),
]
PARTICIPANT_STATUSES = ("pending", "approved", "rejected", "withdrawn")  # withdrawn: left the event
# Display names of the keys above, for templates: labels.sector["ai"] == "AI & data".
LABELS = {"kind": dict(OPPORTUNITY_KINDS), "organisation_type": dict(ORGANISATION_TYPES), "sector": dict(SECTORS)}


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64))  # the event's own clock, e.g. Europe/Brussels
    start_date: Mapped[date]
    end_date: Mapped[date]
    slot_minutes: Mapped[int] = mapped_column(default=20)
    pause_minutes: Mapped[int] = mapped_column(default=5)
    room_capacity: Mapped[int | None]  # concurrent video rooms; None = unlimited
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    participant_approval: Mapped[bool] = mapped_column(default=True)  # organisers approve registrations
    request_mode: Mapped[str] = mapped_column(sa.String(16), default="approval")  # approval | automatic
    max_pending_requests: Mapped[int | None]
    max_meetings: Mapped[int | None]
    video_mode: Mapped[str] = mapped_column(sa.String(16), default="template")  # template | participant
    video_link_template: Mapped[str] = mapped_column(sa.String(300), default="https://meet.jit.si/{event}-{meeting}")
    timetable_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # None: a draft the organisers still set up, neither listed nor open to registration (its page works for
    # whoever has the link, e.g. people imported early).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    windows: Mapped[list[MeetingWindow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="MeetingWindow.start")
    slots: Mapped[list[Slot]] = relationship(back_populates="event", cascade="all, delete-orphan", order_by="Slot.start")
    organisers: Mapped[list[EventOrganiser]] = relationship(back_populates="event", cascade="all, delete-orphan")
    participants: Mapped[list[Participant]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def support_offices(self) -> list[str]:
        """The offices its organisers and co-organisers run, and those its participants name (an import, an
        organiser's entry): a participant's support office is one of them."""
        named = db.session.scalars(db.select(Participant.support_office).filter_by(event_id=self.id)
                                   .where(Participant.support_office != "").distinct())
        return sorted({o.organisation for o in self.organisers if o.organisation} | set(named))


class EventOrganiser(db.Model):
    """An organiser (full rights) or a co-organiser (overseas partner: manages participants)."""

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(sa.String(16), default="organiser")  # organiser | co_organiser
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")  # the support office they run

    event: Mapped[Event] = relationship(back_populates="organisers")
    user = relationship("User")


class MeetingWindow(db.Model):
    """A daily block of meeting time, e.g. the Asia-Europe window in the European morning; a solver session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    label: Mapped[str] = mapped_column(sa.String(80))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="windows")
    slots: Mapped[list[Slot]] = relationship(back_populates="window", order_by="Slot.start")


class Slot(db.Model):
    __table_args__ = (sa.UniqueConstraint("event_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_window.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="slots")
    window: Mapped[MeetingWindow] = relationship(back_populates="slots")


class Participant(db.Model):
    """A user's registration for one event, with the organisation profile shown in the marketplace."""

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending | approved | rejected
    organisation: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    organisation_type: Mapped[str] = mapped_column(sa.String(16))
    sectors: Mapped[str] = mapped_column(sa.String(300), default="")  # comma-separated SECTORS keys
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    languages: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64))
    support_office: Mapped[str] = mapped_column(sa.String(200), default="")
    organiser_notes: Mapped[str] = mapped_column(sa.Text, default="")  # never shown to participants
    video_link: Mapped[str] = mapped_column(sa.String(300), default="")
    feed_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The profile and opportunities folded for the marketplace search; kept up to date on every flush.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="", deferred=True)

    event: Mapped[Event] = relationship(back_populates="participants")
    user = relationship("User")
    opportunities: Mapped[list[Opportunity]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Opportunity.id")
    availability: Mapped[list[Availability]] = relationship(cascade="all, delete-orphan")

    @property
    def region(self) -> str:
        return region_of(self.country)

    @property
    def sector_list(self) -> list[str]:
        return [s for s in self.sectors.split(",") if s]

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"


class Opportunity(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    keywords: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    participant: Mapped[Participant] = relationship(back_populates="opportunities")


class Availability(db.Model):
    """A slot the participant can meet in (a row per available slot)."""

    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True)


@sa.event.listens_for(Session, "before_flush")
def _refresh_search_text(session: Session, flush_context, instances) -> None:
    """Participant.search_text follows its profile and opportunities, whatever changes them (forms, imports,
    the demo, erasure). Only where the searched text changed: approving 2,000 people loads no opportunities."""
    touched, deleted = set(), session.deleted  # a new set on each access
    for obj in (*session.new, *session.dirty, *deleted):
        if isinstance(obj, Opportunity) and obj.participant is not None:
            touched.add(obj.participant)
        elif isinstance(obj, Participant):
            state = sa.inspect(obj)
            if state.pending or any(state.attrs[name].history.has_changes()
                                    for name in ("organisation", "description", "opportunities")):
                touched.add(obj)
    for person in touched:
        if person not in deleted:
            person.search_text = searchable(person.organisation, person.description,
                                            [o for o in person.opportunities if o not in deleted])

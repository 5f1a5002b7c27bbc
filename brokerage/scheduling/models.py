from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brokerage.events.models import Participant
from brokerage.extensions import db
from brokerage.timeutil import UTCDateTime, now_utc

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


ACTIVE = ("queued", "running")
_ACTIVE_SQL = sa.text("status IN (%s)" % ", ".join(f"'{status}'" for status in ACTIVE))


class ScheduleRun(db.Model):
    """One solver run for an event. It writes only its own row until an organiser applies it."""

    # One active run per event, enforced by the database: two organisers clicking at once get one run.
    __table_args__ = (sa.Index("uq_schedule_run_active_event", "event_id", unique=True,
                               sqlite_where=_ACTIVE_SQL, postgresql_where=_ACTIVE_SQL),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    time_limit: Mapped[float] = mapped_column(default=30.0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    progress: Mapped[dict | None] = mapped_column(sa.JSON)
    instance: Mapped[dict | None] = mapped_column(sa.JSON)
    solution: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PublishNotice(db.Model):
    """One participant's mail about a publish: written in the same transaction as the publish and sent
    by a background job, so publishing to thousands returns at once and no mail is lost if the process
    stops. `changes`: [{"meeting": id, "kind": new|moved|updated|removed, "old"/"new": {"start", "end"}
    in UTC or null}], the slot times as announced (a slot may be deleted later)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"))
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    first_time: Mapped[bool] = mapped_column(default=False)
    changes: Mapped[list] = mapped_column(sa.JSON)
    # pending | sending | sent | failed | superseded (folded into a later notice of the same participant)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)  # = the event's published_at
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when sent, failed or claimed for sending

    participant: Mapped[Participant] = relationship()


class ReminderLog(db.Model):
    """A reminder already mailed, so the hourly `flask reminders` cron never sends the same one twice (and an
    organiser's mail of suggested partners goes once a day)."""

    __table_args__ = (sa.UniqueConstraint("participant_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participant.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # agenda | deadline | outcomes | suggestions (mailed by an organiser)
    # agenda: the local day; deadline: the deadline's UTC time; suggestions: the day on the event's clock
    key: Mapped[str] = mapped_column(sa.String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

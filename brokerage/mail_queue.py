"""Mails recorded as rows (publish notices, announcement mails) and sent by a background job in batches.

A row is claimed before its mail is built (pending -> sending, stamped), so two jobs never mail anyone twice;
"send again" takes back rows stamped long ago, whose process stopped. A batch that a slow mail server sends
slowly renews its stamp, so none of it looks abandoned while it is still being worked through.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from brokerage.events.models import Participant
from brokerage.extensions import db
from brokerage.timeutil import now_utc

BATCH = 50  # rows claimed per transaction
RENEW_SECONDS = 60  # a batch's stamp is renewed this often, well under the 10 minutes after which it is stale


def claimed_batches(model, belongs) -> Iterator[list]:
    """Batches of `model` rows matching `belongs`, each claimed for this job, with their participants loaded."""
    while True:
        waiting = db.session.scalars(db.select(model.id).where(belongs, model.status == "pending")
                                     .order_by(model.id).limit(BATCH)).all()
        if not waiting:
            return
        claimed = db.session.scalars(
            sa.update(model).where(model.id.in_(waiting), model.status == "pending")
            .values(status="sending", sent_at=now_utc()).returning(model.id)
            .execution_options(synchronize_session=False)).all()
        db.session.commit()
        yield db.session.scalars(db.select(model).where(model.id.in_(claimed)).order_by(model.id).options(
            selectinload(model.participant).selectinload(Participant.user))).all()


def one_by_one(model, rows: list) -> Iterator:
    """The batch's rows in turn, its claim renewed while the mail server is slow."""
    stamped = time.monotonic()
    for n, row in enumerate(rows):
        if time.monotonic() - stamped > RENEW_SECONDS:
            db.session.execute(sa.update(model).where(model.id.in_([later.id for later in rows[n:]]),
                                                      model.status == "sending")
                               .values(sent_at=now_utc()).execution_options(synchronize_session=False))
            db.session.commit()
            stamped = time.monotonic()
        yield row

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from brokerage.extensions import db
from brokerage.timeutil import UTCDateTime, now_utc


ERASED_DOMAIN = "deleted.invalid"  # erased accounts' addresses: .invalid never resolves (RFC 2606)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # Site administrators organise every event; anyone else, the events they created or were added to.
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Creating an event lets one mail and register anyone (imports, team invitations): the administrator grants
    # it (`flask allow-organising`). Teams added to an event act on it without it.
    may_create_events: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When a change of address was last asked for: its confirmation goes to an address anyone can type.
    email_change_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def set_unusable_password(self) -> None:
        """No password logs in (a hash needs "method$salt$hash"), yet the stamp changes: every session
        and earlier link ends. Instant, where hashing a random password costs 0.1 s per account."""
        self.password_hash = "!" + secrets.token_urlsafe(32)

    def check_password(self, password: str) -> bool:
        if "$" not in self.password_hash:  # unusable (an invitation not yet used): fails at once unless slowed
            spend_a_password_check(password)
            return False
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The session names the password too: a new password (e.g. after a reset) ends every other session.
        return f"{self.id}:{self.password_stamp()}"

    def password_stamp(self) -> str:
        """Changes with the password, reveals nothing of it: binds sessions and reset links to it."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    @property
    def can_create_events(self) -> bool:
        return self.is_admin or self.may_create_events

    @property
    def is_erased(self) -> bool:
        """The account was deleted (accounts.personal_data.erase): its rows stay, the person is gone."""
        return self.email.endswith("@" + ERASED_DOMAIN)

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()



class AddressMail(db.Model):
    """When a sign-up or a password reset last mailed an address, with or without an account: anyone can type
    an address, so each kind gets one mail per window. Older rows mean nothing and are swept."""

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@cache
def _unmatchable_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def spend_a_password_check(password: str) -> None:
    """As slow as checking a real password, so an answer's speed reveals no account (or one without a password)."""
    check_password_hash(_unmatchable_hash(), password)

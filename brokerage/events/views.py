from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from brokerage.events.models import Event, EventOrganiser, Participant
from brokerage.extensions import db

bp = Blueprint("events", __name__, url_prefix="/events")


def home_page():
    events = db.session.scalars(db.select(Event).order_by(Event.start_date)).all()
    mine: dict[int, Participant] = {}
    organising: set[int] = set()
    if current_user.is_authenticated:
        mine = {p.event_id: p for p in db.session.scalars(db.select(Participant).filter_by(user_id=current_user.id))}
        organising = set(db.session.scalars(db.select(EventOrganiser.event_id).filter_by(user_id=current_user.id)))
    return render_template("home.html", events=events, mine=mine, organising=organising)

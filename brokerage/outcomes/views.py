"""Participants rate their meetings after they happen and report the follow-up later."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required

from brokerage.access import get_event, require_participant
from brokerage.events.models import Participant
from brokerage.extensions import db
from brokerage.meetings.models import FOLLOW_UPS, RATINGS, Meeting
from brokerage.meetings.views import published_meetings
from brokerage.outcomes.forms import OutcomeForm
from brokerage.templating import full_stop
from brokerage.timeutil import fmt_datetime, now_utc

bp = Blueprint("outcomes", __name__, url_prefix="/events")


def _reporter(event) -> Participant:
    """The current participant; someone who left still reports on the meetings they held (a follow-up or an
    agreement often comes months later)."""
    me = require_participant(event, approved=False)
    return me if me.status == "withdrawn" else require_participant(event)


@bp.get("/<slug>/outcomes")
@login_required
def my_outcomes(slug: str):
    event = get_event(slug)
    me = _reporter(event)
    meetings = published_meetings(me, left_ok=True)  # none while the timetable is unpublished
    rows = [{"meeting": m, "partner": m.request.other(me), "outcome": m.outcome_of(me),
             "started": m.published_slot.start <= now_utc()} for m in meetings]
    return render_template("outcomes/my_outcomes.html", event=event, me=me, rows=rows,
                           ratings=dict(RATINGS), follow_ups=dict(FOLLOW_UPS))


@bp.route("/<slug>/outcomes/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def rate(slug: str, meeting_id: int):
    event = get_event(slug)
    me = _reporter(event)
    meeting = db.session.get(Meeting, meeting_id)
    if (meeting is None or meeting.event_id != event.id or meeting.cancelled or meeting.published_slot is None
            or not event.timetable_published):
        abort(404, "There is no such meeting in your agenda.")
    if me.id not in (meeting.request.requester_id, meeting.request.recipient_id):
        abort(403, "You can only rate your own meetings.")
    partner = meeting.request.other(me)
    start = meeting.published_slot.start
    if start > now_utc():
        flash(f"You can rate this meeting once it has started: {fmt_datetime(start, me.timezone)} ({me.timezone}).", "error")
        return redirect(url_for("outcomes.my_outcomes", slug=slug))
    outcome = meeting.outcome_of(me)
    form = OutcomeForm(obj=outcome)
    if form.validate_on_submit():
        form.save(meeting, me, outcome)
        db.session.commit()
        flash(full_stop(f"Saved your outcome of the meeting with {partner.organisation}"), "success")
        return redirect(url_for("outcomes.my_outcomes", slug=slug))
    return render_template("outcomes/rate.html", event=event, me=me, meeting=meeting, partner=partner,
                           form=form, is_edit=outcome is not None, recorded_by=outcome and outcome.recorded_by)

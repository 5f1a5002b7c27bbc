"""Organisers' scheduling console: solver runs, timetable review, adjustments and publishing."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import InputRequired, NumberRange, StopValidation

from brokerage.access import form_id, get_event, require_organiser
from brokerage.timeutil import now_utc
from brokerage.config import MAX_SOLVER_TIME_LIMIT
from brokerage.events.models import Event
from brokerage.extensions import db
from brokerage.meetings.models import Meeting
from brokerage.scheduling import charts, jobs, publish as publishing, timetable
from brokerage.scheduling.models import ScheduleRun
from brokerage.scheduling.solver_bridge import db_assignments

bp = Blueprint("scheduling", __name__, url_prefix="/organise")

MAX_TIME_LIMIT = MAX_SOLVER_TIME_LIMIT


def _finite(form, field):
    # Decimal("sNaN") cannot even be compared: NumberRange would raise on it.
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(f"Use between 1 and {MAX_TIME_LIMIT} seconds.")


class StartRunForm(FlaskForm):
    time_limit = DecimalField("Time limit (seconds)", places=None, validators=[
        InputRequired("Give the solver a time limit in seconds."), _finite,
        NumberRange(min=1, max=MAX_TIME_LIMIT, message=f"Use between 1 and {MAX_TIME_LIMIT} seconds.")])


def _organiser_event(slug: str) -> Event:
    event = get_event(slug)
    require_organiser(event)
    return event


def _run_of(event: Event, run_id: int) -> ScheduleRun:
    run = db.session.get(ScheduleRun, run_id)
    if run is None or run.event_id != event.id:
        abort(404, "No such run for this event.")
    return run


def _meeting_of(event: Event, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        abort(404, "No such meeting in this event.")
    return meeting


@bp.route("/<slug>/runs", methods=["GET", "POST"])
@login_required
def runs(slug):
    event = _organiser_event(slug)
    jobs.reap_stale_runs(event.id)
    form = StartRunForm(data={"time_limit": current_app.config.get("SOLVER_TIME_LIMIT", 30)}
                        if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            run = jobs.start_run(event, current_user.id, float(form.time_limit.data))
        except jobs.RunRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"Run {run.id} started.", "success")
            return redirect(url_for("scheduling.run", slug=slug, run_id=run.id))
    history = db.session.scalars(db.select(ScheduleRun).filter_by(event_id=event.id)
                                 .order_by(ScheduleRun.id.desc())).all()
    status = 400 if form.errors else 200
    return render_template("scheduling/runs.html", event=event, form=form, runs=history), status


@bp.get("/<slug>/runs/<int:run_id>")
@login_required
def run(slug, run_id):
    event = _organiser_event(slug)
    jobs.reap_stale_runs(event.id)
    schedule_run = _run_of(event, run_id)
    placed, reasons = db_assignments(schedule_run.instance, schedule_run.solution) if schedule_run.solution else ({}, {})
    meetings = {m.id: m for m in db.session.scalars(db.select(Meeting).where(Meeting.id.in_(reasons)))}
    # What applying does to the meetings participants were told of: said before the organiser applies it
    # (once there is a timetable: the page is polled every 2 s while the run works).
    published = {mid: (told, working) for mid, told, working in db.session.execute(
        db.select(Meeting.id, Meeting.published_slot_id, Meeting.slot_id).where(
            Meeting.event_id == event.id, Meeting.cancelled.is_(False), Meeting.published_slot_id.is_not(None)))
        } if schedule_run.solution else {}
    impact = {"published": len(published),  # a move the organiser made by hand is theirs, not the run's
              "moved": sum(1 for mid, (told, working) in published.items() if placed.get(mid, told) not in (told, working)),
              "left_out": sum(1 for mid in published if mid in reasons)}
    weighted = any(m.get("weight", 1) != 1 for m in (schedule_run.instance or {}).get("meetings", []))
    return render_template("scheduling/run.html", event=event, run=schedule_run, placed=placed,
                           reasons=[(meetings.get(mid), reason) for mid, reason in reasons.items()],
                           active=schedule_run.status in jobs.ACTIVE, impact=impact, weighted=weighted)


@bp.post("/<slug>/runs/<int:run_id>/cancel")
@login_required
def cancel_run(slug, run_id):
    event = _organiser_event(slug)
    schedule_run = _run_of(event, run_id)
    if schedule_run.status in jobs.ACTIVE:
        jobs.request_cancel(schedule_run)
        flash("Run cancelled before it started." if schedule_run.status == "cancelled"
              else "Cancelling: the solver stops at its next progress check.", "success")
    else:
        flash(f"Run {run_id} has already {schedule_run.status}.", "error")
    return redirect(url_for("scheduling.run", slug=slug, run_id=run_id))


@bp.post("/<slug>/runs/<int:run_id>/apply")
@login_required
def apply_run(slug, run_id):
    event = _organiser_event(slug)
    schedule_run = _run_of(event, run_id)
    try:
        scheduled, unscheduled = timetable.apply_run(event, schedule_run)
    except timetable.AdjustRefused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("scheduling.run", slug=slug, run_id=run_id))
    flash(f"Run {run_id} applied to the working timetable: {scheduled} scheduled, {unscheduled} unscheduled. "
          "Participants see it once you publish.", "success")
    return redirect(url_for("scheduling.timetable", slug=slug))


@bp.get("/<slug>/timetable", endpoint="timetable")
@login_required
def timetable_view(slug):
    event = _organiser_event(slug)
    review = timetable.review(event)
    hours = charts.hour_region_counts(review.scheduled)
    chart = charts.meetings_per_hour_svg(hours)
    # A big event schedules thousands of meetings: the table shows a page of them, or those of the
    # organisation searched for (the figures above stay for the whole event).
    where = _table_place()
    needle = where["q"].casefold()
    matching = [m for m in review.scheduled if not needle or any(
        needle in p.organisation.casefold() or needle == p.country.casefold() for p in m.participants)]
    pages = max(1, -(-len(matching) // TABLE_PAGE))
    page = min(where["page"], pages)
    shown = timetable.load_meetings(matching[(page - 1) * TABLE_PAGE:page * TABLE_PAGE])
    delivery = publishing.latest_delivery(event)
    # Mails still going out a minute after publishing are normal (2,000 take half a minute); later, stuck.
    stuck = bool(delivery and (delivery.failed or (delivery.waiting and event.published_at < now_utc() - timedelta(minutes=2))))
    return render_template("scheduling/timetable.html", event=event, review=review, chart=chart, hours=hours,
                           delivery=delivery, offer_retry=stuck, mail_worker_missing=bool(delivery and delivery.waiting) and jobs.worker_missing(),
                           start_worker=jobs.START_WORKER, shown=shown, matching=len(matching),
                           page=page, pages=pages, q=where["q"], fit_the_limits=timetable.FIT_THE_LIMITS)


TABLE_PAGE = 200


def _table_place() -> dict:
    """The scheduled-meetings table's search and page, from the query string or a form sent from it."""
    values = request.values
    page = values.get("page", 1, type=int) or 1
    return {"q": values.get("q", "").strip()[:200], "page": min(max(page, 1), 100_000)}


def _back_to_table(slug: str, meeting_id: int | None = None):
    where = _table_place()
    return redirect(url_for("scheduling.timetable", slug=slug, q=where["q"] or None,
                            page=where["page"] if where["page"] > 1 else None,
                            _anchor=f"meeting-{meeting_id}" if meeting_id else None))


def _nothing_to_announce(event: Event) -> bool:
    """A first publish mails every participant: with no meeting placed it would announce nothing."""
    return event.published_at is None and db.session.scalar(db.select(Meeting.id).where(
        Meeting.event_id == event.id, Meeting.slot_id.is_not(None), ~Meeting.cancelled).limit(1)) is None


@bp.get("/<slug>/timetable/publish")
@login_required
def publish_preview(slug):
    """What publishing would mail, to whom, before anyone is mailed."""
    event = _organiser_event(slug)
    plan = publishing.preview(event)
    shown = plan.notice_for(request.args.get("participant", type=int))
    return render_template("scheduling/publish_preview.html", event=event, plan=plan, shown=shown,
                           mail=plan.mail(shown) if shown else None,
                           problems=timetable.publish_problems(event), nothing=_nothing_to_announce(event),
                           fit_the_limits=timetable.FIT_THE_LIMITS)


@bp.post("/<slug>/timetable/publish")
@login_required
def publish(slug):
    event = _organiser_event(slug)
    was_published = event.timetable_published
    if _nothing_to_announce(event):
        flash("Not published: no meeting is scheduled yet. Run the scheduler or place meetings first.", "error")
        return redirect(url_for("scheduling.timetable", slug=slug))
    try:
        # Confirmed from the preview: exactly what it showed, or nothing.
        result = publishing.publish(event, expected=request.form.get("plan") or None)
    except publishing.PlanChanged:
        flash("Not published: the timetable changed since you looked (another organiser, or a participant "
              "cancelling). Check what would be mailed now, then confirm again.", "error")
        return redirect(url_for("scheduling.publish_preview", slug=slug))
    except publishing.PublishedMeanwhile:
        flash("The timetable was published a moment ago (another click or tab); its mails are on their way.",
              "info")
        return redirect(url_for("scheduling.timetable", slug=slug))
    except publishing.PublishRefused:  # the page's banner names the problem and the way out
        flash("Not published: see the problem named below.", "error")
        return redirect(url_for("scheduling.timetable", slug=slug))
    what = "Changes published" if was_published else "Timetable published"
    flash(f"{what}: {result.meetings_changed} meeting(s) changed; mails to {result.participants_to_mail} "
          "participant(s) are being sent (progress below).", "success")
    return redirect(url_for("scheduling.timetable", slug=slug))


@bp.post("/<slug>/timetable/mails/retry")
@login_required
def retry_mails(slug):
    event = _organiser_event(slug)
    again = publishing.send_again(event)
    waiting = delivery.waiting if (delivery := publishing.latest_delivery(event)) else 0
    flash(f"Sending {again} mail(s) again." if again else
          f"No mail was refused or stuck; {waiting} are still being sent." if waiting else
          "No mail is waiting to be sent again.", "success")
    return redirect(url_for("scheduling.timetable", slug=slug, _anchor="mail-delivery"))


@bp.post("/<slug>/timetable/unpublish")
@login_required
def unpublish(slug):
    event = _organiser_event(slug)
    publishing.unpublish(event)
    flash("Timetable unpublished: participants no longer see their agenda. Publishing again mails only "
          "what changed meanwhile.", "success")
    return redirect(url_for("scheduling.timetable", slug=slug))


@bp.route("/<slug>/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@login_required
def move_meeting(slug, meeting_id):
    event = _organiser_event(slug)
    meeting = _meeting_of(event, meeting_id)
    if request.method == "POST":
        slot_id = request.form.get("slot_id", type=form_id)
        try:
            if slot_id is None:
                raise timetable.AdjustRefused("Choose a slot to move the meeting to.")
            timetable.move(event, meeting, slot_id)
        except timetable.AdjustRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash("Meeting moved and locked: re-runs keep it there. Participants see it once you publish.",
                  "success")
            return redirect(url_for("scheduling.timetable", slug=slug))
    options, blocked = timetable.move_options(event, meeting)
    return render_template("scheduling/move.html", event=event, meeting=meeting, options=options, blocked=blocked,
                           people=meeting.participants), 400 if request.method == "POST" else 200


@bp.post("/<slug>/meetings/<int:meeting_id>/lock")
@login_required
def lock_meeting(slug, meeting_id):
    event = _organiser_event(slug)
    meeting = _meeting_of(event, meeting_id)
    locked = request.form.get("locked") == "1"
    try:
        timetable.set_locked(meeting, locked)
    except timetable.AdjustRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash("Meeting locked: re-runs keep it in its slot." if locked
              else "Meeting unlocked." if meeting.slot_id else "Meeting released: the next run may place it.", "success")
    return _back_to_table(slug, meeting.id)


@bp.post("/<slug>/meetings/<int:meeting_id>/unschedule")
@login_required
def unschedule_meeting(slug, meeting_id):
    event = _organiser_event(slug)
    meeting = _meeting_of(event, meeting_id)
    try:
        timetable.unschedule(meeting)
    except timetable.AdjustRefused as refusal:
        flash(str(refusal), "error")
    else:
        flash("Meeting taken out of the working timetable; runs leave it out until you place or release it. "
              "Participants are told when you publish changes.", "success")
    return _back_to_table(slug)

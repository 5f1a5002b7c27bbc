"""The organiser console: set up an event, its meeting windows and its team, and manage the participants."""
from __future__ import annotations

import re
import secrets
from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from brokerage import mail
from brokerage.access import form_id, get_event, organiser_role, require_organiser
from brokerage.accounts.models import User
from brokerage.accounts.views import SAFE_PATH, reset_token
from brokerage.events.forms import choices
from brokerage.events.models import (LABELS, PARTICIPANT_STATUSES, Availability, Event, EventOrganiser, MeetingWindow,
                                     Participant, Slot)
from brokerage.events.slots import PublishedMeetingsInTheWay, rebuild_slots
from brokerage.extensions import db
from brokerage.links import base_url, external_url
from brokerage.marketplace.matching import suggestions
from brokerage.meetings.models import FOLLOW_UPS, RATINGS, Meeting, MeetingRequest
from brokerage.meetings.services import started_slot, with_people
from brokerage.meetings.views import accept, active_meetings_count, notify, open_request_between, published_meetings
from brokerage.organiser import announcements, csv_io
from brokerage.outcomes.forms import OutcomeForm
from brokerage.organiser.forms import (AnnouncementForm, ImportConfirmForm, ImportForm, NewEventForm, ParticipantAdminForm, SettingsForm,
                                       TeamMemberForm, WindowForm, slugify)
from brokerage.organiser.windows import (PRESETS, PRESETS_BY_KEY, clock_times, event_days, event_zones, on_event_day,
                                        preset_windows, SkippedTime, typed_times, window_clocks, window_problem,
                                        window_table)
from brokerage.regions import REGIONS, region_of
from brokerage.scheduling import publish as publishing, timetable
from brokerage.scheduling.models import ReminderLog
from brokerage.scheduling.solver_bridge import MeetingJoin
from brokerage.templating import full_stop
from brokerage.timeutil import DOUBLE_SUBMIT, local_to_utc, now_utc, to_local

bp = Blueprint("organiser", __name__, url_prefix="/organise")


@bp.before_request
@login_required
def _logged_in():
    """Every console page needs a login; each view then checks the role for its event."""


# (endpoint, label, open to co-organisers) for organiser/_nav.html, which other console pages include too.
CONSOLE_NAV = (
    ("organiser.settings", "Settings", False), ("organiser.windows", "Windows", False),
    ("organiser.team", "Team", False), ("organiser.participants", "Participants", True),
    ("organiser.import_csv", "Import", True), ("organiser.mail_participants", "Mail", True),
    ("scheduling.runs", "Scheduling", False),
    ("scheduling.timetable", "Timetable", False), ("reports.impact", "Impact", False),
)


@bp.app_context_processor
def _console_nav():
    def organiser_nav_links(role):
        return [(endpoint, label) for endpoint, label, co_ok in CONSOLE_NAV if role == "organiser" or co_ok]
    def shows_organise_link() -> bool:
        """Participants who organise nothing and may create nothing have no use for the console."""
        return current_user.can_create_events or db.session.scalar(
            db.select(EventOrganiser.id).filter_by(user_id=current_user.id).limit(1)) is not None

    return {"organiser_console_role": organiser_role, "organiser_nav_links": organiser_nav_links,
            "shows_organise_link": shows_organise_link}


def _set_password_link(user: User, then: str) -> str:
    return base_url() + url_for("accounts.reset_password", token=reset_token(user, invitation=True, next_path=then))


def _invite_new_user(email: str, name: str) -> User:
    # The invitation's set-password link gives the first password.
    user = User(email=email, name=name or email.split("@", 1)[0])
    user.set_unusable_password()
    db.session.add(user)
    db.session.flush()
    return user


def _send(to: str, subject: str, template: str, reply_to: str | None = None, **context) -> None:
    """Mail after the change is committed: a mail server hiccup is reported and never undoes the change."""
    message = mail.template_mail(to, subject, template, **context)
    message.reply_to = reply_to
    if not mail.try_send(message):
        flash(f"Saved, but we could not e-mail {to} just now.", "error")


def _slots_message(result) -> str:
    message = f"The event now has {result.slots} meeting slots."
    if result.meetings_unslotted:
        message += f" {result.meetings_unslotted} meeting(s) lost their slot and need scheduling again."
    if result.people_unmarked:
        message += (f" {result.people_unmarked} participant(s) had marked slots that no longer exist: "
                    "ask them to check their availability.")
    return message


# --- events -----------------------------------------------------------------------------------------

@bp.get("/")
def index():
    if current_user.is_admin:  # site administrators organise every event
        links = [(event, "organiser") for event in db.session.scalars(db.select(Event).order_by(Event.start_date.desc()))]
    else:
        links = db.session.execute(
            db.select(Event, EventOrganiser.role).join(EventOrganiser, EventOrganiser.event_id == Event.id)
            .where(EventOrganiser.user_id == current_user.id).order_by(Event.start_date.desc())).all()
    return render_template("organiser/index.html", links=links)


@bp.route("/new", methods=["GET", "POST"])
def new_event():
    if not current_user.can_create_events:
        abort(403, "Creating events is open to organisers the site's administrator has let in: ask them. Events "
                   "whose team you are added to appear under Organise.")
    form = NewEventForm()
    if request.method == "GET":
        form.timezone.data = "Europe/Brussels"
    if form.validate_on_submit():
        slug = form.slug.data
        twin = db.session.scalar(db.select(Event).filter_by(name=form.name.data.strip(), created_by_id=current_user.id)
                                 .where(Event.created_at >= now_utc() - DOUBLE_SUBMIT).order_by(Event.id))
        if twin is not None and slug in ("", twin.slug):  # the same form sent twice: the first made the event
            flash(f"'{twin.name}' is created.", "info")
            return redirect(url_for(".windows", slug=twin.slug))
        if slug and db.session.scalar(db.select(Event.id).filter_by(slug=slug)):
            form.slug.errors.append("This web address is taken; choose another.")
        else:
            if not slug:
                base = slug = slugify(form.name.data)
                number = 1
                while db.session.scalar(db.select(Event.id).filter_by(slug=slug)):
                    number += 1
                    slug = f"{base}-{number}"
            event = Event(slug=slug, name=form.name.data.strip(), timezone=form.timezone.data,
                          start_date=form.start_date.data, end_date=form.end_date.data, created_by_id=current_user.id)
            db.session.add(event)
            db.session.add(EventOrganiser(event=event, user_id=current_user.id, role="organiser",
                                          organisation=form.organisation.data.strip()))
            db.session.commit()
            flash(f"'{event.name}' is created as a draft. Next: add the meeting windows, review the settings, then "
                  "open registration on the dashboard.", "success")
            return redirect(url_for(".windows", slug=event.slug))
    return render_template("organiser/new_event.html", form=form)


@bp.get("/<slug>/")
def dashboard(slug):
    event = get_event(slug)
    if organiser_role(event) == "co_organiser":
        return redirect(url_for(".participants", slug=slug))  # their part of the console
    require_organiser(event)

    # Counted in the database: a big event has thousands of participants.
    by_status = Counter(dict(db.session.execute(db.select(Participant.status, db.func.count())
                                                .filter_by(event_id=event.id).group_by(Participant.status)).all()))
    by_region = Counter()
    for country, n in db.session.execute(db.select(Participant.country, db.func.count()).filter_by(
            event_id=event.id, status="approved").group_by(Participant.country)):
        by_region[region_of(country)] += n
    requests = Counter(dict(db.session.execute(db.select(MeetingRequest.status, db.func.count())
                                               .filter_by(event_id=event.id).group_by(MeetingRequest.status)).all()))
    meeting_counts = timetable.meeting_figures(event)
    return render_template("organiser/dashboard.html", event=event, statuses=PARTICIPANT_STATUSES, by_status=by_status,
                           by_region=by_region, regions=REGIONS, requests=requests, meetings=meeting_counts,
                           slot_count=len(event.slots), idle_count=_count(_idle(event)),
                           unmarked_count=_count(_unmarked(event)))


def _as_local_input(moment: datetime | None, tz_name: str) -> datetime | None:
    return to_local(moment, tz_name).replace(tzinfo=None) if moment else None


@bp.post("/<slug>/open")
def open_event(slug):
    event = get_event(slug)
    require_organiser(event)
    if not event.slots:
        flash("Add meeting windows first: participants mark their availability in them.", "error")
        return redirect(url_for(".dashboard", slug=slug))
    if event.opened_at is None:
        event.opened_at = now_utc()
        db.session.commit()
    flash(f"{event.name} is open: listed on the home page, with registration open.", "success")
    return redirect(url_for(".dashboard", slug=slug))


@bp.route("/<slug>/settings", methods=["GET", "POST"])
def settings(slug):
    event = get_event(slug)
    require_organiser(event)
    form = SettingsForm(obj=event)
    if request.method == "GET":
        # Deadlines are edited on the event's clock, as the organiser announces them.
        form.registration_deadline.data = _as_local_input(event.registration_deadline, event.timezone)
        form.booking_deadline.data = _as_local_input(event.booking_deadline, event.timezone)
    if form.validate_on_submit():
        outside = [w for w in event.windows
                   if not on_event_day(w.start, form.start_date.data, form.end_date.data, form.timezone.data)]
        if outside:
            form.start_date.errors.append(
                f"{len(outside)} meeting window(s) lie outside these dates (e.g. '{outside[0].label}' on "
                f"{to_local(outside[0].start, form.timezone.data):%d %b %Y}, event time); move or delete them first.")
        else:
            timing, zone_before = (event.slot_minutes, event.pause_minutes), event.timezone
            limits = (event.room_capacity, event.max_meetings)
            for name in ("name", "description", "timezone", "start_date", "end_date", "slot_minutes", "pause_minutes",
                         "room_capacity", "participant_approval", "request_mode", "max_pending_requests",
                         "max_meetings", "video_mode", "video_link_template"):
                setattr(event, name, getattr(form, name).data)
            event.name = event.name.strip()
            event.description = (event.description or "").strip()
            for name in ("registration_deadline", "booking_deadline"):
                local = getattr(form, name).data
                if event.timezone == zone_before and local == _as_local_input(getattr(event, name), zone_before):
                    continue  # unchanged: in the hour a clock change repeats, converting back could pick the other one
                setattr(event, name, local_to_utc(local.date(), local.time(), event.timezone) if local else None)
            message = "Settings saved."
            try:
                if timing != (event.slot_minutes, event.pause_minutes):
                    message += " " + _slots_message(rebuild_slots(event))
                if event.timetable_published and timetable.pending_change_ids(event):
                    message += " The published timetable has changed: review and publish it again to update invites."
            except PublishedMeetingsInTheWay as problem:
                db.session.rollback()
                # On the field that changed: a new pause alone moves the slots just as a new length does.
                field = form.slot_minutes if timing[0] != form.slot_minutes.data else form.pause_minutes
                field.errors.append(str(problem))
                return render_template("organiser/settings.html", event=get_event(slug), form=form)
            problems = timetable.limit_problems(event) if limits != (event.room_capacity, event.max_meetings) else []
            db.session.commit()
            flash(message, "success")
            if problems:
                # Saved all the same: fewer rooms or meetings is the organiser's call, and a scheduler run
                # under the new limits is the usual way to make the timetable fit.
                flash(f"The timetable no longer fits these limits: {'; '.join(problems)}. To fix it, "
                      f"{timetable.FIT_THE_LIMITS}; publishing waits until it fits.", "error")
            return redirect(url_for(".settings", slug=slug))
    return render_template("organiser/settings.html", event=event, form=form)


# --- meeting windows ----------------------------------------------------------------------------------

def _day_range(event: Event) -> tuple[date, date]:
    """The days a window may be typed to start on: an event day on the event's clock can be the day before
    or after it on another (window_problem then checks it exactly)."""
    return event.start_date - timedelta(days=1), event.end_date + timedelta(days=1)


def _day_near_event(form: WindowForm, event: Event) -> bool:
    first, last = _day_range(event)
    if first <= form.day.data <= last:
        return True
    form.day.errors.append(f"Choose a day from {first:%d %b %Y} to {last:%d %b %Y}: the event runs from "
                           f"{event.start_date:%d %b} to {event.end_date:%d %b %Y}; change its dates in the settings first.")
    return False


def _window_form(event: Event, window: MeetingWindow | None = None) -> WindowForm:
    """Typed on the event's clock unless the organiser picks another; a window shown on that clock to edit."""
    form = WindowForm(clock=event.timezone)
    form.clock.choices = choices(window_clocks(event))
    if request.method == "GET":
        form.day.data = event.start_date
        if window is not None:
            shown = clock_times(window, event.timezone)
            if shown is None:  # not to be typed back on that clock (see clock_times): UTC
                form.clock.data, shown = "UTC", clock_times(window, "UTC")
            form.label.data = window.label
            form.day.data, form.start.data, form.end.data, form.ends_next_day.data = shown
            form.shown.data = _as_shown(form)
    return form


def _as_shown(form: WindowForm) -> str:
    return f"{form.clock.data}|{form.day.data}|{form.start.data:%H:%M}|{form.end.data:%H:%M}|{bool(form.ends_next_day.data)}"


def _where(event: Event, start: datetime, end: datetime) -> str:
    """Where a saved window falls, in UTC and on the event's clock."""
    local_start, local_end = to_local(start, event.timezone), to_local(end, event.timezone)
    return (f"{start:%a %d %b %H:%M}–{end:%H:%M} UTC, {local_start:%a %d %b %H:%M}–{local_end:%H:%M} "
            f"{event.timezone}")


def _window_times(form: WindowForm) -> tuple[datetime, datetime] | None:
    try:
        return typed_times(form.day.data, form.start.data, form.end.data, form.ends_next_day.data, form.clock.data)
    except SkippedTime as skipped:
        getattr(form, skipped.which).errors.append(str(skipped))
        return None


def _windows_page(event: Event, form: WindowForm, editing: MeetingWindow | None = None):
    return render_template("organiser/windows.html", event=event, form=form, editing=editing, presets=PRESETS,
                           tables={w.id: window_table(w, event_zones(event)) for w in event.windows}, days=event_days(event),
                           slot_count=len(event.slots), day_range=_day_range(event))


@bp.route("/<slug>/windows", methods=["GET", "POST"])
def windows(slug):
    event = get_event(slug)
    require_organiser(event)
    form = _window_form(event)
    if form.validate_on_submit() and _day_near_event(form, event) and (times := _window_times(form)):
        start, end = times
        problem = window_problem(event, start, end)
        if problem is None:
            event.windows.append(MeetingWindow(label=form.label.data.strip(), start=start, end=end))
            message = (f"Window '{form.label.data.strip()}' added: {_where(event, start, end)}. "
                       + _slots_message(rebuild_slots(event)))
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".windows", slug=slug))
        form.start.errors.append(problem)
    return _windows_page(event, form)


def _event_window(event: Event, window_id: int) -> MeetingWindow:
    return db.first_or_404(db.select(MeetingWindow).filter_by(id=window_id, event_id=event.id))


@bp.route("/<slug>/windows/<int:window_id>", methods=["GET", "POST"])
def edit_window(slug, window_id):
    event = get_event(slug)
    require_organiser(event)
    window = _event_window(event, window_id)
    form = _window_form(event, window)
    if form.validate_on_submit() and _day_near_event(form, event) and (times := _window_times(form)):
        start, end = times
        clock, *typed = (form.shown.data or "").split("|")
        if clock and clock != form.clock.data and typed == _as_shown(form).split("|")[1:]:
            # Only the clock menu changed: the times stay the ones shown, not read again on the other clock.
            start, end = window.start, window.end
        problem = window_problem(event, start, end, ignore=window)
        if problem is None:
            window.label, window.start, window.end = form.label.data.strip(), start, end
            try:
                message = (f"Window '{window.label}' saved: {_where(event, start, end)}. "
                           + _slots_message(rebuild_slots(event)))
            except PublishedMeetingsInTheWay as refused:
                db.session.rollback()
                form.start.errors.append(str(refused))
                return _windows_page(get_event(slug), form, editing=_event_window(event, window_id))
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".windows", slug=slug))
        form.start.errors.append(problem)
    return _windows_page(event, form, editing=window)


@bp.post("/<slug>/windows/<int:window_id>/delete")
def delete_window(slug, window_id):
    event = get_event(slug)
    require_organiser(event)
    window = _event_window(event, window_id)
    event.windows.remove(window)
    try:
        message = f"Window '{window.label}' deleted. " + _slots_message(rebuild_slots(event))
    except PublishedMeetingsInTheWay as refused:
        db.session.rollback()
        flash(f"Window not deleted: {refused}", "error")
        return redirect(url_for(".windows", slug=slug))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".windows", slug=slug))


@bp.post("/<slug>/windows/presets")
def window_presets(slug):
    """Add standard windows on every event day, skipping days where one would clash."""
    event = get_event(slug)
    require_organiser(event)
    key = request.form.get("preset", "")
    if key != "all" and key not in PRESETS_BY_KEY:
        abort(400, "Choose one of the standard windows.")
    chosen = PRESETS if key == "all" else [PRESETS_BY_KEY[key]]
    added, skipped, weekend = 0, [], set()
    for preset in chosen:
        for start, end, day in preset_windows(event, preset):
            problem = window_problem(event, start, end)
            if problem:
                skipped.append(f"{preset.label} on {day:%d %b}: {problem}")
                continue
            event.windows.append(MeetingWindow(label=preset.label, start=start, end=end))
            db.session.flush()
            added += 1
            local_day = to_local(start, event.timezone).date()  # the far side of the date line may be at a weekend
            weekend |= {d for d in (day, local_day) if d.weekday() >= 5}
    message = f"{added} window(s) added. " + _slots_message(rebuild_slots(event))
    db.session.commit()
    flash(message, "success" if added else "info")
    if weekend:  # the event's dates span a weekend: say so rather than guess it meets then
        flash(f"Some fall on a weekend for some of those meeting ({', '.join(f'{d:%a %d %b}' for d in sorted(weekend))}); "
              "delete them below if the event does not meet then.", "info")
    for reason in skipped:
        flash("Skipped " + reason, "info")
    return redirect(url_for(".windows", slug=slug))


# --- team -----------------------------------------------------------------------------------------------

@bp.route("/<slug>/team", methods=["GET", "POST"])
def team(slug):
    event = get_event(slug)
    require_organiser(event)
    form = TeamMemberForm()
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        user = db.session.scalar(db.select(User).filter_by(email=email))
        if user and db.session.scalar(db.select(EventOrganiser.id).filter_by(event_id=event.id, user_id=user.id)):
            form.email.errors.append(f"{email} is in this event's team already.")
        else:
            new_account = user is None
            if new_account:
                user = _invite_new_user(email, (form.name.data or "").strip())
            db.session.add(EventOrganiser(event_id=event.id, user_id=user.id, role=form.role.data,
                                          organisation=form.organisation.data.strip()))
            db.session.commit()
            _send(
                user.email, f"You are in the organising team of {event.name}", "mail/invitation_organiser.txt",
                user=user, event=event, role=form.role.data, inviter=current_user,
                link=_set_password_link(user, url_for(".dashboard", slug=slug)) if new_account else None,
                console=base_url() + url_for(".dashboard", slug=slug))
            flash(f"{email} joined the team as {form.role.data.replace('_', '-')}"
                  + (" and got an invitation to set a password." if new_account else "."), "success")
            return redirect(url_for(".team", slug=slug))
    members = db.session.scalars(db.select(EventOrganiser).filter_by(event_id=event.id).order_by(EventOrganiser.id)).all()
    return render_template("organiser/team.html", event=event, form=form, members=members)


@bp.post("/<slug>/team/<int:organiser_id>/remove")
def remove_organiser(slug, organiser_id):
    event = get_event(slug)
    require_organiser(event)
    member = db.first_or_404(db.select(EventOrganiser).filter_by(id=organiser_id, event_id=event.id))
    organisers = db.session.scalar(db.select(db.func.count(EventOrganiser.id)).filter_by(event_id=event.id, role="organiser"))
    if member.role == "organiser" and organisers <= 1:
        flash("An event needs at least one organiser: add another before removing this one.", "error")
    else:
        email = member.user.email  # read before the row goes
        db.session.delete(member)
        db.session.commit()
        flash(f"{email} is no longer in the team.", "success")
    return redirect(url_for(".team", slug=slug))


# --- participants ---------------------------------------------------------------------------------------

def _my_office(event: Event) -> str:
    """The importing organiser's organisation: the support office of the participants they bring in."""
    return next((o.organisation for o in event.organisers if o.user_id == current_user.id), "")


IDLE = "idle"  # the participants list's filter: approved, with no meeting agreed or requested
UNMARKED = "no-availability"  # ... and approved, with a meeting agreed or requested, but no slot marked
NO_OFFICE = announcements.NO_OFFICE  # ... and the one for participants without a support office


@bp.get("/<slug>/participants")
def participants(slug):
    event = get_event(slug)
    role = require_organiser(event, co_organiser_ok=True)
    status = request.args.get("status", "")
    status = status if status in (*PARTICIPANT_STATUSES, IDLE, UNMARKED) else ""
    query = (db.select(Participant).filter_by(event_id=event.id).options(selectinload(Participant.user))
             .order_by(Participant.created_at, Participant.id))
    requests = _request_counts(event)
    idle, unmarked = _idle(event), _unmarked(event)
    if status == IDLE:
        query = query.where(Participant.id.in_(idle))
    elif status == UNMARKED:
        query = query.where(Participant.id.in_(unmarked))
    elif status:
        query = query.filter_by(status=status)
    # A partner office lists its own clients; anyone finds a company, a contact or a country.
    q, office = request.args.get("q", "").strip()[:100], request.args.get("office", "")[:200]
    country = csv_io.country_code(q)  # "United States" as a whole
    if country:
        query = query.where(Participant.country == country)
    for word in [] if country else q.split()[:10]:
        query = query.where(sa.or_(Participant.country == (csv_io.country_code(word) or word.upper()),
                                   *(column.icontains(word, autoescape=True) for column in (
                                       Participant.organisation, Participant.support_office, User.name, User.email))))
    if office:
        query = query.where(Participant.support_office == ("" if office == NO_OFFICE else office))
    if q:
        query = query.join(User, Participant.user_id == User.id)
    counts = Counter(db.session.scalars(db.select(Participant.status).filter_by(event_id=event.id)))
    offices = event.support_offices
    return render_template("organiser/participants.html", event=event, role=role, status=status, counts=counts,
                           statuses=PARTICIPANT_STATUSES, participants=db.session.scalars(query).all(), labels=LABELS,
                           requests=requests, held=_held_counts(event), idle_count=_count(idle),
                           unmarked_count=_count(unmarked), q=q,
                           office=office, offices=offices,
                           no_office=NO_OFFICE)


def _open_requests(event: Event) -> tuple:
    """Pending and agreed requests between participants still in the event, as booking and reminders count
    them: a request with someone rejected since cannot lead to a meeting."""
    approved = db.select(Participant.id).filter_by(event_id=event.id, status="approved")
    return (MeetingRequest.event_id == event.id, MeetingRequest.status.in_(("pending", "accepted")),
            MeetingRequest.requester_id.in_(approved), MeetingRequest.recipient_id.in_(approved))


def _idle(event: Event) -> sa.Select:
    """The ids of approved participants with no meeting agreed or requested: the ones to help find partners."""
    # Everyone in an open request, as one set: an EXISTS with "requester or recipient" scanned all requests
    # for each participant (0.5 s at 2,000 participants).
    busy = sa.union(sa.select(MeetingRequest.requester_id).where(*_open_requests(event)),
                    sa.select(MeetingRequest.recipient_id).where(*_open_requests(event)))
    return db.select(Participant.id).filter_by(event_id=event.id, status="approved").where(Participant.id.not_in(busy))


def _unmarked(event: Event) -> sa.Select:
    """The ids of approved participants in an open request who marked no slot: the scheduler can place none of
    their meetings until they do. Sets taken apart in Python: PostgreSQL planned the nested IN over stale
    statistics at 82 s for 2,000 people."""
    idle = set(db.session.scalars(_idle(event)))
    approved = set(db.session.scalars(db.select(Participant.id).filter_by(event_id=event.id, status="approved")))
    marked = set(db.session.scalars(db.select(Availability.participant_id).distinct().join(
        Participant, Availability.participant_id == Participant.id).where(Participant.event_id == event.id)))
    return db.select(Participant.id).where(Participant.id.in_(sorted(approved - idle - marked)))


def _count(query: sa.Select) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(query.subquery()))


def _request_counts(event: Event) -> dict[int, Counter]:
    """Each participant's agreed meetings and pending requests (sent or received): {id: {"accepted": n, ...}}."""
    open_requests = db.select(MeetingRequest).where(*_open_requests(event)).subquery()
    sides = sa.union_all(sa.select(open_requests.c.requester_id.label("pid"), open_requests.c.status),
                         sa.select(open_requests.c.recipient_id.label("pid"), open_requests.c.status)).subquery()
    counts: dict[int, Counter] = {}
    for pid, status, n in db.session.execute(
            sa.select(sides.c.pid, sides.c.status, sa.func.count()).group_by(sides.c.pid, sides.c.status)):
        counts.setdefault(pid, Counter())[status] = n
    return counts


def _held_counts(event: Event) -> Counter:
    """Each participant's meetings that took place (their published slot began), whoever left since."""
    held = (db.select(MeetingRequest.requester_id, MeetingRequest.recipient_id).join(Meeting)
            .join(Slot, Meeting.published_slot_id == Slot.id)
            .where(Meeting.event_id == event.id, Meeting.cancelled.is_(False), MeetingRequest.status == "accepted",
                   Slot.start <= now_utc()))
    return Counter(pid for pair in db.session.execute(held) for pid in pair)


def _event_participant(event: Event, participant_id: int) -> Participant:
    return db.first_or_404(db.select(Participant).filter_by(id=participant_id, event_id=event.id))


@bp.route("/<slug>/participants/<int:participant_id>", methods=["GET", "POST"])
def participant(slug, participant_id):
    event = get_event(slug)
    role = require_organiser(event, co_organiser_ok=True)
    person = _event_participant(event, participant_id)
    form = ParticipantAdminForm(obj=person)
    if form.validate_on_submit():
        person.support_office = (form.support_office.data or "").strip()
        person.organiser_notes = (form.organiser_notes.data or "").strip()
        db.session.commit()
        flash("Support office and notes saved.", "success")
        return redirect(url_for(".participant", slug=slug, participant_id=person.id))
    held = [m for m in published_meetings(person, left_ok=True) if started_slot(m)]
    agreed = db.session.scalars(
        db.select(Meeting).join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
        .where(Meeting.event_id == event.id, ~Meeting.cancelled, MeetingRequest.status == "accepted",
               sa.or_(MeetingRequest.requester_id == person.id, MeetingRequest.recipient_id == person.id))
        .options(*with_people()).order_by(Meeting.id)).all()
    agreed = [m for m in agreed if all(p.is_approved for p in m.participants)]  # not with someone rejected since
    marked = db.session.scalar(db.select(sa.func.count()).select_from(Availability).filter_by(participant_id=person.id))
    return render_template("organiser/participant.html", event=event, role=role, person=person, form=form,
                           offices=event.support_offices, labels=LABELS, held=held, agreed=agreed, marked=marked,
                           outcomes={m.id: m.outcome_of(person) for m in held},
                           ratings=dict(RATINGS), follow_ups=dict(FOLLOW_UPS),
                           suggestions=suggestions(event, person) if person.is_approved else [])


@bp.route("/<slug>/participants/<int:participant_id>/outcomes/<int:meeting_id>", methods=["GET", "POST"])
def record_outcome(slug, participant_id, meeting_id):
    """An organiser records a participant's account of a meeting they held, as heard in a follow-up call:
    partner offices collect most outcomes that way, months after the event."""
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    person = _event_participant(event, participant_id)
    meeting = db.session.get(Meeting, meeting_id)
    if (meeting is None or meeting.event_id != event.id or meeting.cancelled or meeting.published_slot is None
            or person.id not in (meeting.request.requester_id, meeting.request.recipient_id)):
        abort(404, "This participant has no such meeting in the published timetable.")
    held = started_slot(meeting) is not None and event.timetable_published
    outcome = meeting.outcome_of(person)
    form = OutcomeForm(obj=outcome)
    if held and form.validate_on_submit():
        form.save(meeting, person, outcome, organiser=current_user)
        db.session.commit()
        flash(full_stop(f"Saved {person.organisation}’s outcome of the meeting with "
                        f"{meeting.request.other(person).organisation}"), "success")
        return redirect(url_for(".participant", slug=slug, participant_id=person.id, _anchor="held"))
    return render_template("organiser/record_outcome.html", event=event, person=person, meeting=meeting,
                           partner=meeting.request.other(person), form=form, held=held)


@bp.post("/<slug>/participants/<int:participant_id>/suggestions")
def mail_suggestions(slug, participant_id):
    """Mail a participant the partners their page suggests: at most once a day, so a double click or two
    organisers at once send one mail."""
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    person = _event_participant(event, participant_id)
    back = redirect(url_for(".participant", slug=slug, participant_id=person.id, _anchor="suggestions"))
    suggested = suggestions(event, person) if person.is_approved else []
    if not suggested:
        flash(f"There are no partners to suggest to {person.organisation} now.", "error")
        return back
    log = ReminderLog(participant_id=person.id, kind="suggestions",
                      key=to_local(now_utc(), event.timezone).date().isoformat())  # the organisers' day
    db.session.add(log)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        flash(f"{person.organisation} was already mailed suggestions today.", "error")
        return back
    if mail.try_send(mail.template_mail(
            person.user.email, f"{event.name}: partners we suggest you meet", "mail/suggestions.txt", event=event,
            person=person, suggestions=suggested, sender=current_user.name,
            link=external_url("marketplace.search", slug=event.slug))):
        flash(f"{person.organisation} was mailed {len(suggested)} suggested partner(s).", "success")
    else:
        db.session.delete(log)  # not sent: free to try again today
        db.session.commit()
        flash(f"We could not e-mail {person.user.email} just now; try again later.", "error")
    return back


@bp.post("/<slug>/participants/<int:participant_id>/arrange")
def arrange_meeting(slug, participant_id):
    """An organiser books an agreed meeting for two participants, as support offices do for their clients:
    the booking rules hold (one open request per pair, the meeting limit), the booking deadline does not."""
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    person = _event_participant(event, participant_id)
    partner = _event_participant(event, request.form.get("partner", type=form_id) or 0)
    back = redirect(url_for(".participant", slug=slug, participant_id=person.id, _anchor="suggestions"))
    if problem := _arrange_problem(event, person, partner):
        flash(problem, "error")
        return back
    meeting_request = MeetingRequest(event_id=event.id, requester=person, recipient=partner,
                                     arranged_by_id=current_user.id,
                                     message=f"Arranged by the organisers ({current_user.name}).")
    db.session.add(meeting_request)
    accept(meeting_request)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # arranged twice at once (a double click, two organisers)
        db.session.rollback()
        flash(f"{person.organisation} and {partner.organisation} already have a meeting request.", "error")
        return back
    for recipient, other in ((person, partner), (partner, person)):
        notify(recipient, f"{event.name}: meeting with {other.organisation} arranged by the organisers",
               "mail/meeting_arranged.txt", event=event, other=other, organiser=current_user.name,
               link=external_url("meetings.availability", slug=event.slug))
    flash(f"Meeting arranged between {person.organisation} and {partner.organisation}; both were told.", "success")
    if not {a.slot_id for a in person.availability} & {a.slot_id for a in partner.availability}:
        # Working hours that overlap are not marked slots: the scheduler places only what both marked.
        flash("They share no slot both marked as available yet, so the scheduler cannot place the meeting until "
              "they do; the mails ask them to mark their availability.", "info")
    return back


def _arrange_problem(event: Event, person: Participant, partner: Participant) -> str | None:
    pair = f"{person.organisation} and {partner.organisation}"
    if person.id == partner.id or not (person.is_approved and partner.is_approved):
        return f"{pair} must be two approved participants."
    if open_request_between(person, partner):
        return f"{pair} already have a pending or agreed meeting request."
    if event.max_meetings is not None:
        if full := [p.organisation for p in (person, partner) if active_meetings_count(p) >= event.max_meetings]:
            return (f"{' and '.join(full)} already {'have' if len(full) > 1 else 'has'} {event.max_meetings} agreed "
                    "meetings, the most the event allows per participant.")
    return None


@bp.post("/<slug>/participants/<int:participant_id>/status")
def set_status(slug, participant_id):
    event = get_event(slug)
    role = require_organiser(event, co_organiser_ok=True)
    person = _event_participant(event, participant_id)
    decision = request.form.get("status")
    if decision not in ("approved", "rejected", "pending"):
        abort(400, "Choose approve or reject.")
    if person.status == "withdrawn" and (decision != "approved" or person.user.is_erased):
        # They left: only bringing them back (at their request) makes sense, never for a deleted account.
        flash(f"{person.organisation} left the event" + (" and deleted their account." if person.user.is_erased
                                                         else "; you can only re-admit them."), "error")
        return redirect(url_for(".participants", slug=slug))
    message = f"{person.organisation} is {decision}."
    if decision != person.status:
        called_off = _published_ahead(event, person) if person.status == "approved" else 0
        person.status = decision
        db.session.commit()
        if called_off:
            # Told at once, not at the next publish: nobody keeps a meeting in their calendar that will not happen.
            mailed = publishing.announce_called_off(event, person)
            message += f" Their {called_off} published meeting(s) still to come are called off; " + (
                f"{mailed} participant(s), they and their partners, are being mailed the cancellation." if mailed else
                "the cancellations went out with a publish made at the same moment.")
        elif decision == "approved" and event.published_at and (back := _unannounced(event, person)):
            message += (f" Their {back} agreed meeting(s) in the working timetable are announced to them and their "
                        "partners at the next publish" + ("." if role == "organiser" else ": ask an organiser to publish."))
        if decision != "pending":
            _tell_decision(event, person, called_off)
    flash(message, "success")
    back = request.form.get("back", "")
    # Back to the console page the button was on; anything else (another site, a forged header) is not followed.
    return redirect(back if back.startswith("/organise/") and SAFE_PATH.fullmatch(back)
                    else url_for(".participants", slug=slug))


def _unannounced(event: Event, person: Participant) -> int:
    """The person's meetings the working timetable places and nobody was told of (back after a re-approval)."""
    join = MeetingJoin.of(event)
    return db.session.scalar(join.select(sa.func.count()).where(
        join.schedulable, Meeting.slot_id.is_not(None), Meeting.published_slot_id.is_(None),
        sa.or_(MeetingRequest.requester_id == person.id, MeetingRequest.recipient_id == person.id)))


def _published_ahead(event: Event, person: Participant) -> int:
    """The person's published meetings still to come: those their leaving calls off (held ones stay)."""
    join = MeetingJoin.of(event)
    return db.session.scalar(join.select(sa.func.count()).join(Slot, Meeting.published_slot_id == Slot.id).where(
        join.schedulable, Slot.start > now_utc(),
        sa.or_(MeetingRequest.requester_id == person.id, MeetingRequest.recipient_id == person.id)))


@bp.post("/<slug>/participants/approve-pending")
def approve_pending(slug):
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    pending = db.session.scalars(db.select(Participant).filter_by(event_id=event.id, status="pending")).all()
    for person in pending:
        person.status = "approved"
    db.session.commit()
    for person in pending:
        _tell_decision(event, person)
    flash(f"{len(pending)} pending participant(s) approved.", "success")
    return redirect(url_for(".participants", slug=slug))


def _tell_decision(event: Event, person: Participant, called_off: int = 0) -> None:
    # A rejection invites a reply: it reaches the organiser who decided, not the no-reply sender.
    _send(person.user.email, f"Your registration for {event.name}", "mail/invitation_decision.txt",
          reply_to=current_user.email if person.status == "rejected" else None, person=person, event=event,
          called_off=called_off, link=base_url() + url_for("events.detail", slug=event.slug))


# --- mailing a group of participants --------------------------------------------------------------------

@bp.route("/<slug>/mail", methods=["GET", "POST"])
def mail_participants(slug):
    """Write, see who gets it and how it reads, then send: nothing goes out from the first click."""
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    form = AnnouncementForm()
    form.office.choices = choices([("", "Any support office"), (NO_OFFICE, "No support office")],
                                  [(o, o) for o in event.support_offices])
    if request.method == "GET" and request.args.get("audience") in dict(announcements.AUDIENCES):
        form.audience.data = request.args["audience"]  # from the dashboard's "mail them"
    preview = None
    if form.validate_on_submit():
        people = announcements.recipients(event, form.audience.data, form.office.data)
        key = announcements.group_key(people)
        if not people:
            form.audience.errors.append("Nobody is in this group today: choose another.")
        elif "send" in request.form and form.expected.data == key and re.fullmatch(r"[0-9a-f]{32}", form.token.data):
            sent = announcements.announce(event, current_user._get_current_object(), form.audience.data,
                                          form.office.data, form.subject.data, form.body.data, people, form.token.data)
            flash(f"Your mail “{sent.subject}” is being sent to {len(sent.mails)} participant(s): progress below.",
                  "success")
            return redirect(url_for(".mail_participants", slug=slug, _anchor="sent"))
        else:
            if "send" in request.form:  # the group changed since the preview: show it again
                flash(f"The group changed since your preview: it has {len(people)} participant(s) now. Check it and "
                      "send again.", "error")
            draft = announcements.Announcement(event_id=event.id, author=current_user._get_current_object(),
                                               subject=form.subject.data, body=form.body.data)
            form.expected.data, form.token.data = key, secrets.token_hex(16)
            preview = {"people": people, "mail": announcements.mail_for(draft, people[0])}
    clocks = db.session.scalar(db.select(sa.func.count(sa.distinct(Participant.timezone))).filter_by(event_id=event.id))
    return render_template("organiser/mail.html", event=event, form=form, preview=preview, clocks=clocks,
                           sent=announcements.history(event), audiences=dict(announcements.AUDIENCES)), \
        400 if request.method == "POST" and preview is None else 200


@bp.post("/<slug>/mail/<int:announcement_id>/retry")
def retry_announcement(slug, announcement_id):
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    announcement = db.first_or_404(db.select(announcements.Announcement).filter_by(id=announcement_id,
                                                                                   event_id=event.id))
    again = announcements.send_again(announcement)
    flash(f"Sending {again} mail(s) again." if again else "No mail of it was refused or stuck.", "success")
    return redirect(url_for(".mail_participants", slug=slug, _anchor="sent"))


# --- CSV import and export -----------------------------------------------------------------------------

@bp.route("/<slug>/import", methods=["GET", "POST"])
def import_csv(slug):
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    form, confirm, rows, problem = ImportForm(), None, None, None
    if form.validate_on_submit():
        upload = request.files.get("csv_file")
        try:
            text = csv_io.decode_upload(upload.read(csv_io.MAX_BYTES + 1)) if upload and upload.filename else form.csv_text.data or ""
            rows = csv_io.parse_participants(text, event)
        except csv_io.CsvProblem as error:
            problem, rows = str(error), None
        else:
            if not rows:
                problem = "The CSV has a header line but no participants."
            confirm = ImportConfirmForm(csv_text=text, formdata=None)
            form.csv_text.data = text
    elif form.errors and "csv_text" in form.errors:
        problem = form.errors["csv_text"][0]
    return render_template("organiser/import.html", event=event, form=form, confirm=confirm, rows=rows,
                           problem=problem, columns=csv_io.REQUIRED_COLUMNS + csv_io.OPTIONAL_COLUMNS,
                           office=_my_office(event))


@bp.post("/<slug>/import/confirm")
def import_confirm(slug):
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=True)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400, "The import form was incomplete; upload the CSV again.")
    try:
        rows = csv_io.parse_participants(form.csv_text.data, event)  # checked again: the page may be old
    except csv_io.CsvProblem as error:
        abort(400, str(error))
    invited = registered = raced = 0
    office = _my_office(event)
    for row in (r for r in rows if r.ok):
        v = row.values
        user = db.session.scalar(db.select(User).filter_by(email=v["email"]))
        new_account = user is None
        try:
            if new_account:
                user = _invite_new_user(v["email"], v["name"])
            person = Participant(event_id=event.id, user_id=user.id, status="approved", organisation=v["organisation"],
                                 country=v["country"], organisation_type=v["organisation_type"], timezone=v["timezone"],
                                 sectors=v["sectors"], website=v["website"], languages=v["languages"],
                                 description=v["description"], support_office=v["support_office"] or office)
            db.session.add(person)
            db.session.commit()  # one by one, so a mail is only sent for a registration that exists
        except sa.exc.IntegrityError:  # the same import sent twice at once: the other one registered them
            db.session.rollback()
            raced += 1
            continue
        _send(
            user.email, f"You are registered for {event.name}", "mail/invitation_participant.txt",
            user=user, person=person, event=event,
            link=_set_password_link(user, url_for("events.detail", slug=slug)) if new_account else None,
            event_link=base_url() + url_for("events.detail", slug=slug))
        registered += 1
        invited += new_account
    skipped = sum(1 for r in rows if not r.ok) + raced
    already = sum(any(e.endswith("is registered for this event already.") for e in r.errors) for r in rows) + raced
    if not registered and already:
        flash(f"Nothing imported: {already} participant(s) of this CSV are registered already (sent twice?)"
              + (f"; {skipped - already} row(s) have other errors." if skipped > already else "."), "info")
        return redirect(url_for(".participants", slug=slug))
    flash(f"Imported {registered} participant(s), approved; {invited} new account(s) invited to set a password"
          + (f"; {skipped} row(s) skipped with errors." if skipped else "."), "success" if registered else "info")
    return redirect(url_for(".participants", slug=slug))


@bp.get("/<slug>/export/<what>.csv")
def export(slug, what):
    event = get_event(slug)
    require_organiser(event, co_organiser_ok=(what == "participants"))
    if what not in csv_io.EXPORTS:
        abort(404, "There is no such export: choose participants, requests or meetings.")
    header, rows = csv_io.EXPORTS[what](event)
    # A byte-order mark so spreadsheet programs read Japanese and Korean names correctly.
    body = "\ufeff" + csv_io.write_csv(header, rows)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{event.slug}-{what}.csv"'})

"""The participant side of an event: event page, registration, profile and cooperation opportunities."""
from __future__ import annotations

import pytz
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from brokerage import timeutil
from brokerage.access import get_event, organiser_role, participant_for, require_participant
from brokerage.events.forms import OpportunityForm, ProfileForm, offer_offices
from brokerage.events.models import OPPORTUNITY_KINDS, Event, EventOrganiser, Opportunity, Participant
from brokerage.extensions import db
from brokerage.regions import REGION_ZONES

bp = Blueprint("events", __name__, url_prefix="/events")

PROFILE_FIELDS = ("organisation", "country", "organisation_type", "website", "description", "languages",
                  "timezone", "video_link")
# (endpoint, label, who sees it): "registered" = any registration, "approved" = approved participants only.
NAV = (
    ("events.detail", "Event home", "all"),
    ("events.profile", "My profile", "registered"),
    ("events.opportunities", "My opportunities", "registered"),
    ("marketplace.search", "Marketplace", "approved"),
    ("meetings.requests", "Meeting requests", "approved"),
    ("meetings.availability", "Availability", "approved"),
    ("meetings.agenda", "Agenda", "approved"),
    ("outcomes.my_outcomes", "My outcomes", "approved"),
)


def home_page():
    mine: dict[int, Participant] = {}
    organising: set[int] = set()
    if current_user.is_authenticated:
        mine = {p.event_id: p for p in db.session.scalars(db.select(Participant).filter_by(user_id=current_user.id))}
        organising = set(db.session.scalars(db.select(EventOrganiser.event_id).filter_by(user_id=current_user.id)))
    # Drafts only to those who organise or are registered already (imported before the event opened).
    still_in = {event_id for event_id, p in mine.items() if p.status in ("approved", "pending")}
    shown = sa.or_(Event.opened_at.is_not(None), Event.id.in_(organising | still_in),
                   sa.true() if current_user.is_authenticated and current_user.is_admin else sa.false())
    events = db.session.scalars(db.select(Event).where(shown).order_by(Event.start_date)).all()
    return render_template("home.html", events=events, mine=mine, organising=organising)


def event_nav_links(event: Event) -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of the participant pages this user may open for the event."""
    participant = participant_for(event)
    organiser = organiser_role(event) is not None
    allowed = {"all"}
    if participant:
        allowed.add("registered")
        if participant.is_approved:
            allowed.add("approved")
    links = []
    for endpoint, label, who in NAV:
        # Organisers browse the marketplace too; an endpoint not yet built is left out rather than failing.
        visible = who in allowed or (organiser and endpoint == "marketplace.search")
        if visible and endpoint in current_app.view_functions:
            links.append((endpoint, label, url_for(endpoint, slug=event.slug)))
    return links


@bp.app_context_processor
def navigation():
    return {"event_nav_links": event_nav_links}


def registration_open(event: Event) -> bool:
    return event.opened_at is not None and (event.registration_deadline is None
                                            or timeutil.now_utc() <= event.registration_deadline)


@bp.get("/<slug>")
def detail(slug: str):
    event = get_event(slug)
    participant = participant_for(event)
    # Beside UTC and the event's clock: the viewer's own, or every region's.
    zones = [participant.timezone] if participant else [z for z in REGION_ZONES if z != event.timezone]
    # The window table's columns (zone, heading): the reader's own clock first, the regions' for visitors.
    columns = ([(participant.timezone, "Your time")] if participant else []) + \
        ([] if participant and participant.timezone == event.timezone else [(event.timezone, "Event time")]) + \
        [("UTC", "UTC")] + ([] if participant else [(z, "") for z in zones])
    return render_template("events/detail.html", event=event, participant=participant, zones=zones, columns=columns,
                           registration_open=registration_open(event), role=organiser_role(event))


def _apply_profile(form: ProfileForm, participant: Participant) -> None:
    for name in PROFILE_FIELDS:
        setattr(participant, name, getattr(form, name).data or "")
    participant.sectors = ",".join(form.sectors.data)
    if "support_office" in request.form:  # asked where the organisers name offices (profile_form.html)
        participant.support_office = form.support_office.data or ""


def _refreshing_zones(form: ProfileForm) -> bool:
    # The no-JavaScript way to get the new country's zones first: re-show the form without saving.
    return form.is_submitted() and "refresh_zones" in request.form


@bp.route("/<slug>/register", methods=["GET", "POST"])
@login_required
def register(slug: str):
    event = get_event(slug)
    if participant_for(event):
        flash("You are registered for this event already; you can change your profile here.", "info")
        return redirect(url_for("events.profile", slug=slug))
    if event.opened_at is None:
        abort(403, "Registration is not open yet: the organisers are still setting up this event.")
    if not registration_open(event):
        abort(403, f"Registration closed on {timeutil.fmt_datetime(event.registration_deadline, event.timezone)} "
                   f"(event time, {event.timezone}).")
    form = ProfileForm()
    offer_offices(form, event.support_offices)
    if not _refreshing_zones(form) and form.validate_on_submit():
        participant = Participant(event=event, user_id=current_user.id,
                                  status="pending" if event.participant_approval else "approved")
        _apply_profile(form, participant)
        db.session.add(participant)
        try:
            db.session.commit()
        except IntegrityError:  # a second click of the button: the first registration stands
            db.session.rollback()
            return redirect(url_for("events.detail", slug=slug))
        if participant.is_approved:
            flash("You are registered. Add your cooperation opportunities and look for partners.", "success")
        else:
            flash("Thank you for registering. The organisers will review your registration; "
                  "you can browse and book meetings once it is approved.", "success")
        _check_zone(participant)
        return redirect(url_for("events.detail", slug=slug))
    return render_template("events/profile_form.html", event=event, form=form, participant=None,
                           country_zones=_country_zones())


@bp.route("/<slug>/profile", methods=["GET", "POST"])
@login_required
def profile(slug: str):
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    if request.method == "GET":
        form = ProfileForm(obj=participant)
        form.sectors.data = participant.sector_list  # obj's comma-separated string would win over a keyword
    else:
        form = ProfileForm()
    offer_offices(form, event.support_offices, participant.support_office)
    if not _refreshing_zones(form) and form.validate_on_submit():
        _apply_profile(form, participant)
        db.session.commit()
        flash("Your profile is saved.", "success")
        _check_zone(participant)
        return redirect(url_for("events.profile", slug=slug))
    return render_template("events/profile_form.html", event=event, form=form, participant=participant,
                           country_zones=_country_zones())


def _check_zone(participant: Participant) -> None:
    """A zone none of the country's (a laptop set to UTC, someone travelling) is kept, but said: every time the
    participant sees, and their "working hours", follow it."""
    zones = pytz.country_timezones.get(participant.country, [])
    at = timeutil.event_span(participant.event).start
    offset = timeutil.to_local(at, participant.timezone).utcoffset()
    # By the clock it keeps during the event: an older name (Asia/Calcutta) or a neighbour's zone is the same time.
    if zones and all(timeutil.to_local(at, zone).utcoffset() != offset for zone in zones):
        country = dict(timeutil.country_choices()).get(participant.country, participant.country)
        flash(f"Your time zone, {participant.timezone}, is not one of {country}'s ({', '.join(zones[:3])}"
              f"{', ...' if len(zones) > 3 else ''}): your meeting times and working hours follow it. If you are not "
              "there, change it in your profile.", "warning")


def _country_zones() -> dict[str, list[str]]:
    """Country code -> its zones, for the inline script that moves them to the top of the list."""
    return {code: list(zones) for code, zones in pytz.country_timezones.items()}


MAX_OPPORTUNITIES = 20


@bp.route("/<slug>/opportunities", methods=["GET", "POST"])
@login_required
def opportunities(slug: str):
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    form = OpportunityForm()
    if form.validate_on_submit():
        sent = (form.kind.data, form.title.data, form.description.data, form.keywords.data)
        if any((o.kind, o.title, o.description, o.keywords) == sent
               and o.created_at >= timeutil.now_utc() - timeutil.DOUBLE_SUBMIT for o in participant.opportunities):
            return redirect(url_for("events.opportunities", slug=slug))  # the same form sent twice: one is kept
        if len(participant.opportunities) >= MAX_OPPORTUNITIES:
            # Every suggestion and search reads them all: a profile of thousands would slow everyone's pages.
            form.kind.errors = [*form.kind.errors, f"Your profile holds {MAX_OPPORTUNITIES} opportunities, the most "
                                "it can: change or remove one to add this."]
            return render_template("events/opportunities.html", event=event, participant=participant, form=form,
                                   kinds=dict(OPPORTUNITY_KINDS)), 409
        opportunity = Opportunity(participant=participant)
        form.populate_obj(opportunity)
        db.session.add(opportunity)
        db.session.commit()
        flash(f"Your opportunity “{opportunity.title}” is added.", "success")
        return redirect(url_for("events.opportunities", slug=slug))
    return render_template("events/opportunities.html", event=event, participant=participant, form=form,
                           kinds=dict(OPPORTUNITY_KINDS))


def _own_opportunity(participant: Participant, opportunity_id: int) -> Opportunity:
    opportunity = db.get_or_404(Opportunity, opportunity_id)
    if opportunity.participant.event_id != participant.event_id:
        abort(404)
    if opportunity.participant_id != participant.id:
        abort(403, "You can change only your own opportunities.")
    return opportunity


@bp.route("/<slug>/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_opportunity(slug: str, opportunity_id: int):
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    opportunity = _own_opportunity(participant, opportunity_id)
    form = OpportunityForm(obj=opportunity)
    if form.validate_on_submit():
        form.populate_obj(opportunity)
        db.session.commit()
        flash("Your opportunity is saved.", "success")
        return redirect(url_for("events.opportunities", slug=slug))
    return render_template("events/opportunity_edit.html", event=event, participant=participant, form=form,
                           opportunity=opportunity)


@bp.post("/<slug>/opportunities/<int:opportunity_id>/delete")
@login_required
def delete_opportunity(slug: str, opportunity_id: int):
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    opportunity = _own_opportunity(participant, opportunity_id)
    db.session.delete(opportunity)
    db.session.commit()
    flash(f"The opportunity “{opportunity.title}” is deleted.", "info")
    return redirect(url_for("events.opportunities", slug=slug))

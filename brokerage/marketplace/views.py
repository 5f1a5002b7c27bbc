"""The marketplace: approved participants and their cooperation opportunities, searchable and filterable."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from brokerage import timeutil
from brokerage.access import get_event, organiser_role, participant_for
from brokerage.events.models import LABELS, Event, Opportunity, Participant
from brokerage.events.search_text import search_words
from brokerage.extensions import db
from brokerage.marketplace.forms import SearchForm
from brokerage.marketplace.matching import suggestions
from brokerage.marketplace.working_hours import least_unusual_slot, shared_working_slots
from brokerage.meetings.views import (active_meetings_count, booking_closed, open_request_between, pending_limit_problem,
                                      request_problem)
from brokerage.regions import EUROPE, countries_in

bp = Blueprint("marketplace", __name__, url_prefix="/events")
PER_PAGE = 20
MAX_PAGE = 10_000  # a page number beyond any real result list; larger ones would overflow the SQL OFFSET


def may_browse(event: Event) -> Participant | None:
    """The browsing participant (None for an organiser who is not registered); 403 for everyone else."""
    participant = participant_for(event)
    if organiser_role(event):
        return participant
    if participant is None:
        abort(403, "Register for this event to browse its marketplace.")
    if participant.status == "pending":
        abort(403, "Your registration is waiting for the organisers' approval. "
                   "You can browse the marketplace and book meetings once it is approved.")
    if participant.status == "withdrawn":
        abort(403, "You left this event, so its marketplace is closed to you.")
    if not participant.is_approved:
        abort(403, "Your registration for this event was not accepted, so its marketplace is closed to you.")
    return participant


def filtered(query: sa.Select, form: SearchForm) -> sa.Select:
    for word in search_words(form.q.data or ""):
        # Both sides folded alike (search_text.py); autoescape keeps % and _ literal.
        query = query.where(Participant.search_text.contains(word, autoescape=True))
    if form.country.data:
        query = query.where(Participant.country == form.country.data)
    if form.region.data:
        countries = countries_in(form.region.data)
        query = query.where(Participant.country.in_(countries) if countries is not None
                            else Participant.country.not_in(EUROPE | {"US", "JP", "KR"}))
    if form.organisation_type.data:
        query = query.where(Participant.organisation_type == form.organisation_type.data)
    if form.sector.data:
        # sectors is a comma-separated list: wrap it in commas so "ai" does not match "agrifood,aix".
        query = query.where((sa.literal(",") + Participant.sectors + sa.literal(",")).contains(f",{form.sector.data},"))
    if form.kind.data:
        query = query.where(db.select(Opportunity.id).where(Opportunity.participant_id == Participant.id,
                                                            Opportunity.kind == form.kind.data).exists())
    return query


@bp.get("/<slug>/marketplace")
@login_required
def search(slug: str):
    event = get_event(slug)
    viewer = may_browse(event)
    form = SearchForm(request.args)
    query = db.select(Participant).filter_by(event_id=event.id, status="approved")
    valid = form.validate()
    query = filtered(query, form) if valid else query.where(sa.false())
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    results = db.paginate(query.order_by(Participant.organisation, Participant.id)
                          .options(selectinload(Participant.opportunities)),  # shown on each result
                          page=page, per_page=PER_PAGE, error_out=False)
    # Only the form's own fields go into the page links (an extra 'slug' or '_external' would break url_for).
    filters = {k: v for k, v in request.args.items() if k in form.data and v}
    if results.pages and page > results.pages:  # an old link past the end: the last page, not an empty one
        return redirect(url_for(".search", slug=slug, **filters, page=results.pages))
    # Suggestions open the unfiltered first page; a search means the participant knows what they want.
    # Not for someone who cannot book any more: neither suggestions nor the prompt to publish opportunities.
    show = (viewer is not None and viewer.is_approved and not filters and results.page == 1
            and not booking_closed(event, viewer) and not pending_limit_problem(event, viewer)
            and (event.max_meetings is None or active_meetings_count(viewer) < event.max_meetings))
    return render_template("marketplace/search.html", event=event, viewer=viewer, form=form, results=results,
                           valid=valid, filters=filters, labels=LABELS, show_suggestions=show,
                           suggestions=suggestions(event, viewer) if show else [],
                           has_opportunities=bool(viewer and viewer.opportunities))


@bp.get("/<slug>/marketplace/<int:participant_id>")
@login_required
def profile(slug: str, participant_id: int):
    event = get_event(slug)
    viewer = may_browse(event)
    other = db.first_or_404(db.select(Participant).filter_by(id=participant_id, event_id=event.id, status="approved"))
    viewer_zone = viewer.timezone if viewer else event.timezone
    existing = None
    if viewer and viewer.id != other.id:
        existing = open_request_between(viewer, other)
    can_request = (viewer is not None and viewer.is_approved and viewer.id != other.id and existing is None
                   and "meetings.new_request" in current_app.view_functions)
    # Say why before the click: the deadline passed, a limit is reached, an earlier request was declined.
    blocked = request_problem(event, viewer, other) if can_request else None
    blocks = shared_working_slots(event.slots, viewer_zone, other.timezone)
    return render_template(
        "marketplace/profile.html", event=event, viewer=viewer, other=other, viewer_zone=viewer_zone,
        now=timeutil.now_utc(), blocks=blocks,
        closest=None if blocks else least_unusual_slot(event.slots, viewer_zone, other.timezone),
        existing=existing, labels=LABELS,
        requests_url=url_for("meetings.requests", slug=slug) if "meetings.requests" in current_app.view_functions else None,
        request_url=url_for("meetings.new_request", slug=slug, participant_id=other.id)
        if can_request and not blocked else None, request_blocked=blocked)

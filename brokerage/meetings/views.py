"""The participant's meeting journey: requests, availability, agenda and calendars."""
from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import selectinload

from brokerage import links, mail
from brokerage.access import get_event, require_participant
from brokerage.calendar import build_calendar
from brokerage.events.models import Availability, Event, Participant, Slot, new_token
from brokerage.extensions import db
from brokerage.marketplace.working_hours import least_unusual_slot, shared_working_slots
from brokerage.meetings.forms import AvailabilityForm, MeetingRequestForm, MessageForm, WorkingHoursForm
from brokerage.meetings.models import Meeting, MeetingRequest, RequestMessage
from brokerage.meetings.services import agreed_without_slot, calendar_entry, started_slot, video_link, with_people
from brokerage.templating import full_stop
from brokerage.timeutil import event_span, fmt_datetime, now_utc, to_local, zone_label

bp = Blueprint("meetings", __name__, url_prefix="/events")


# --- shared helpers -------------------------------------------------------------------------------------------

def absolute_url(endpoint: str, **values) -> str:
    return links.external_url(endpoint, **values)


def notify(to: Participant, subject: str, template: str, calendar: bytes | None = None, **context) -> None:
    """Mail after the change is committed: a mail server hiccup must not lose the user's action."""
    text = render_template(template, recipient=to, **context)
    # Only a cancellation carries calendar data here; invites go out when organisers publish.
    if not mail.try_send(mail.Mail(to=to.user.email, subject=subject, text=text, calendar=calendar, calendar_method="CANCEL")):
        flash(f"Saved, but we could not e-mail {to.organisation} just now.", "error")


def _approved_ids():
    return db.select(Participant.id).where(Participant.status == "approved")


def active_meetings_count(participant: Participant) -> int:
    """Agreed meetings that still stand, on either side, with a partner still approved (as the scheduler counts)."""
    return db.session.scalar(
        db.select(db.func.count(MeetingRequest.id)).join(Meeting)
        .where(MeetingRequest.status == "accepted", Meeting.cancelled.is_(False),
               MeetingRequest.requester_id.in_(_approved_ids()), MeetingRequest.recipient_id.in_(_approved_ids()),
               db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id)))


def open_request_between(a: Participant, b: Participant) -> MeetingRequest | None:
    return db.session.scalar(db.select(MeetingRequest).where(
        MeetingRequest.status.in_(("pending", "accepted")),
        db.or_(db.and_(MeetingRequest.requester_id == a.id, MeetingRequest.recipient_id == b.id),
               db.and_(MeetingRequest.requester_id == b.id, MeetingRequest.recipient_id == a.id))))


def booking_closed(event: Event, viewer: Participant) -> str | None:
    if event.booking_deadline and now_utc() >= event.booking_deadline:
        return (f"Booking closed on {fmt_datetime(event.booking_deadline, viewer.timezone)} "
                f"({zone_label(viewer.timezone, event.booking_deadline)}); meetings can no longer be requested or accepted.")
    return None


def meeting_limit_problem(event: Event, viewer: Participant, partner: Participant) -> str | None:
    """Would one more agreed meeting exceed the organisers' limit for either side?"""
    if event.max_meetings is None:
        return None
    if active_meetings_count(viewer) >= event.max_meetings:
        return (f"You already have {event.max_meetings} agreed meetings, the most the organisers allow per participant "
                f"(limit: {event.max_meetings}). Cancel one to make room.")
    if active_meetings_count(partner) >= event.max_meetings:
        return (f"{partner.organisation} already has {event.max_meetings} agreed meetings, the most the organisers "
                f"allow per participant (limit: {event.max_meetings}).")
    return None


def request_problem(event: Event, requester: Participant, recipient: Participant) -> str | None:
    """Why this request may not be sent, in words for the requester; None when it may."""
    if recipient.id == requester.id:
        return "You cannot request a meeting with yourself."
    if closed := booking_closed(event, requester):
        return closed
    if open_request_between(requester, recipient):
        return (f"You and {recipient.organisation} already have a pending or agreed meeting request; "
                "see your meeting requests.")
    if db.session.scalar(db.select(MeetingRequest.id).filter_by(
            requester_id=requester.id, recipient_id=recipient.id, status="declined").limit(1)):
        return (f"{recipient.organisation} declined your earlier request, so you cannot ask again; "
                "they can still send you a request.")
    return pending_limit_problem(event, requester) or meeting_limit_problem(event, requester, recipient)


def pending_limit_problem(event: Event, requester: Participant) -> str | None:
    """Would one more request exceed the organisers' limit of requests waiting for an answer?"""
    if event.max_pending_requests is None:
        return None
    # A request to someone rejected since can never be answered: it does not count.
    pending = db.session.scalar(db.select(db.func.count(MeetingRequest.id)).filter_by(
        requester_id=requester.id, status="pending").where(MeetingRequest.recipient_id.in_(_approved_ids())))
    if pending >= event.max_pending_requests:
        return (f"You already have {pending} requests waiting for an answer; the organisers allow at most "
                f"{event.max_pending_requests} pending requests. Wait for answers or withdraw one.")
    return None


def own_request(event: Event, request_id: int) -> tuple[Participant, MeetingRequest]:
    """The current participant and a request of this event they are part of; 404 for other events, 403 for others'."""
    participant = require_participant(event)
    meeting_request = db.get_or_404(MeetingRequest, request_id)
    if meeting_request.event_id != event.id:
        abort(404)
    if participant.id not in (meeting_request.requester_id, meeting_request.recipient_id):
        abort(403, "This meeting request is between other participants.")
    return participant, meeting_request


def answerable_request(event: Event, request_id: int, verb: str) -> tuple[Participant, MeetingRequest, bool]:
    """A request addressed to the current participant; the flag says whether it still awaits an answer."""
    participant, meeting_request = own_request(event, request_id)
    if meeting_request.recipient_id != participant.id:
        abort(403, f"Only the person who received a request can {verb} it.")
    if meeting_request.status != "pending":
        flash(f"This request is already {meeting_request.status}.", "error")
        return participant, meeting_request, False
    return participant, meeting_request, True


def accept(meeting_request: MeetingRequest) -> Meeting:
    meeting_request.status = "accepted"
    meeting_request.responded_at = now_utc()
    meeting = Meeting(event_id=meeting_request.event_id, request=meeting_request)
    db.session.add(meeting)
    return meeting


# --- requests -------------------------------------------------------------------------------------------------

@bp.get("/<slug>/requests")
@login_required
def requests(slug):
    event = get_event(slug)
    participant = require_participant(event)
    mine = db.session.scalars(db.select(MeetingRequest).where(
        db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id))
        .order_by(MeetingRequest.created_at.desc()).options(  # both sides and the meeting: a few queries, not 4 a row
            *(selectinload(side).selectinload(Participant.user)
              for side in (MeetingRequest.requester, MeetingRequest.recipient)),
            selectinload(MeetingRequest.meeting).selectinload(Meeting.slot),
            selectinload(MeetingRequest.meeting).selectinload(Meeting.published_slot))).all()
    # A partner the organisers rejected (or not yet approved) takes part in nothing: their requests close.
    # A meeting already held stays, whoever left since: it happened, and it may be rated.
    held = {r.id for r in mine if r.status == "accepted" and r.meeting and event.timetable_published
            and started_slot(r.meeting)}  # where it was published, as the outcomes page and reports count
    live = [r for r in mine if r.other(participant).is_approved or r.id in held]
    incoming = [r for r in live if r.status == "pending" and r.recipient_id == participant.id]
    outgoing = [r for r in live if r.status == "pending" and r.requester_id == participant.id]
    agreed = [r for r in live if r.status == "accepted" and r.meeting and not r.meeting.cancelled]
    closed = [r for r in mine if r not in incoming + outgoing + agreed]
    return render_template("meetings/requests.html", event=event, participant=participant, incoming=incoming,
                           outgoing=outgoing, agreed=agreed, closed=closed, held=held, unread=unread_counts(participant),
                           deadline_message=booking_closed(event, participant))


@bp.route("/<slug>/requests/new/<int:participant_id>", methods=["GET", "POST"])
@login_required
def new_request(slug, participant_id):
    event = get_event(slug)
    requester = require_participant(event)
    recipient = db.get_or_404(Participant, participant_id)
    if recipient.event_id != event.id or not recipient.is_approved:
        abort(404, "This participant is not in the event's marketplace.")
    problem = request_problem(event, requester, recipient)
    form = MeetingRequestForm()
    if problem is None and form.validate_on_submit():
        meeting_request = MeetingRequest(event_id=event.id, requester=requester, recipient=recipient,
                                         message=form.message.data)
        db.session.add(meeting_request)
        automatic = event.request_mode == "automatic"
        if automatic:
            accept(meeting_request)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # the same request sent twice at once: the other one counts
            db.session.rollback()
            flash(full_stop(f"You already have a meeting request with {recipient.organisation}"), "error")
            return redirect(url_for("meetings.requests", slug=event.slug))
        link = absolute_url("meetings.requests", slug=event.slug)
        notify(recipient, f"{event.name}: meeting {'booked' if automatic else 'request'} from {requester.organisation}",
               "mail/request_received.txt", event=event, other=requester, meeting_request=meeting_request,
               automatic=automatic, link=link)
        flash(f"Meeting with {recipient.organisation} agreed: it is now on your list of agreed meetings." if automatic
              else full_stop(f"Your meeting request was sent to {recipient.organisation}"), "success")
        return redirect(url_for("meetings.requests", slug=event.slug))
    status = 400 if request.method == "POST" else 200
    # Said before sending: across 17 hours two working days may never meet, and the meeting then needs
    # one of the two to mark a slot outside theirs.
    shared = [s for block in shared_working_slots(event.slots, requester.timezone, recipient.timezone)
              for s in block.slots]
    closest = None if shared else least_unusual_slot(event.slots, requester.timezone, recipient.timezone)
    return render_template("meetings/new_request.html", event=event, participant=requester, recipient=recipient,
                           form=form, problem=problem, shared=shared, closest=closest), status


# --- messages between the two sides of a request ------------------------------------------------------------

ONE_MESSAGE_MAIL_EVERY = timedelta(minutes=10)  # while the partner has not read the last one mailed


def conversation_closed(meeting_request: MeetingRequest, participant: Participant, other: Participant) -> str | None:
    """Why no more messages can be written about this request, or None."""
    mine = meeting_request.requester_id == participant.id
    if meeting_request.status == "declined":
        return (f"{other.organisation} declined your request" if mine else "You declined this request") + \
            ", so the conversation is closed."
    if meeting_request.status == "cancelled" or (meeting_request.meeting is not None and meeting_request.meeting.cancelled):
        return "The request was withdrawn or the meeting cancelled, so the conversation is closed."
    if not other.is_approved:
        return f"{other.organisation} no longer takes part in the event, so the conversation is closed."
    return None


@bp.route("/<slug>/requests/<int:request_id>/messages", methods=["GET", "POST"])
@login_required
def conversation(slug, request_id):
    """The two sides of a request talk before and after they meet; nobody else reads it, organisers neither."""
    event = get_event(slug)
    participant, meeting_request = own_request(event, request_id)
    other = meeting_request.other(participant)
    closed = conversation_closed(meeting_request, participant, other)
    form = MessageForm()
    if closed is None and form.validate_on_submit():
        now = now_utc()
        # A burst of messages the partner has not read yet makes one mail, not one each.
        mailed_lately = db.session.scalar(db.select(RequestMessage.id).where(
            RequestMessage.request_id == meeting_request.id, RequestMessage.author_id == participant.id,
            RequestMessage.read_at.is_(None), RequestMessage.created_at > now - ONE_MESSAGE_MAIL_EVERY).limit(1))
        message = RequestMessage(request_id=meeting_request.id, author_id=participant.id, body=form.body.data,
                                 created_at=now)
        db.session.add(message)
        db.session.commit()
        if mailed_lately is None:
            notify(other, f"{event.name}: message from {participant.organisation}", "mail/request_message.txt",
                   event=event, other=participant, body=message.body, agreed=meeting_request.status == "accepted",
                   link=absolute_url("meetings.conversation", slug=event.slug, request_id=meeting_request.id))
        return redirect(url_for("meetings.conversation", slug=event.slug, request_id=meeting_request.id,
                                _anchor=f"message-{message.id}"))
    db.session.execute(db.update(RequestMessage).where(
        RequestMessage.request_id == meeting_request.id, RequestMessage.author_id != participant.id,
        RequestMessage.read_at.is_(None)).values(read_at=now_utc()))
    db.session.commit()
    messages = db.session.scalars(db.select(RequestMessage).filter_by(request_id=meeting_request.id)
                                  .order_by(RequestMessage.created_at, RequestMessage.id)).all()
    return render_template("meetings/conversation.html", event=event, participant=participant, other=other,
                           meeting_request=meeting_request, messages=messages, form=form, closed=closed,
                           moment=event_span(event)), 400 if request.method == "POST" else 200


def unread_counts(participant: Participant) -> dict[int, int]:
    """Messages the participant has not read yet, by request."""
    return dict(db.session.execute(db.select(RequestMessage.request_id, db.func.count()).join(
        MeetingRequest, MeetingRequest.id == RequestMessage.request_id).where(
        db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id),
        RequestMessage.author_id != participant.id, RequestMessage.read_at.is_(None), RequestMessage.body != "")
        .group_by(RequestMessage.request_id)).all())


@bp.post("/<slug>/requests/<int:request_id>/accept")
@login_required
def accept_request(slug, request_id):
    event = get_event(slug)
    participant, meeting_request, pending = answerable_request(event, request_id, "accept")
    back = redirect(url_for("meetings.requests", slug=event.slug))
    if not pending:
        return back
    if not meeting_request.requester.is_approved:
        flash(f"{meeting_request.requester.organisation} is no longer taking part in the event's meetings.", "error")
    elif problem := booking_closed(event, participant) or meeting_limit_problem(
            event, participant, meeting_request.requester):
        flash(problem, "error")
    else:
        accept(meeting_request)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # accepted twice at once (two tabs): the first one counts
            db.session.rollback()
            flash("This request is already accepted.", "error")
            return back
        notify(meeting_request.requester, f"{event.name}: {participant.organisation} accepted your meeting request",
               "mail/request_accepted.txt", event=event, other=participant, meeting_request=meeting_request,
               link=absolute_url("meetings.availability", slug=event.slug))
        flash(f"Meeting with {meeting_request.requester.organisation} agreed. Make sure your availability is marked.",
              "success")
    return back


@bp.post("/<slug>/requests/<int:request_id>/decline")
@login_required
def decline_request(slug, request_id):
    event = get_event(slug)
    participant, meeting_request, pending = answerable_request(event, request_id, "decline")
    if pending:
        meeting_request.status = "declined"
        meeting_request.responded_at = now_utc()
        db.session.commit()
        notify(meeting_request.requester, f"{event.name}: {participant.organisation} declined your meeting request",
               "mail/request_declined.txt", event=event, other=participant, meeting_request=meeting_request,
               link=absolute_url("marketplace.search", slug=event.slug))
        flash(full_stop(f"You declined the request from {meeting_request.requester.organisation}"), "success")
    return redirect(url_for("meetings.requests", slug=event.slug))


@bp.post("/<slug>/requests/<int:request_id>/cancel")
@login_required
def cancel_request(slug, request_id):
    """The requester withdraws a pending request; either side may call off an agreed meeting."""
    event = get_event(slug)
    participant, meeting_request = own_request(event, request_id)
    if meeting_request.status == "pending" and meeting_request.requester_id != participant.id:
        abort(403, "Only the requester can withdraw a pending request; you can decline it.")
    if meeting_request.status not in ("pending", "accepted"):
        flash(f"This request is already {meeting_request.status}.", "error")
        return redirect(url_for("meetings.requests", slug=event.slug))
    if held_in := started(meeting_request):
        flash(f"This meeting started on {fmt_datetime(held_in.start, participant.timezone)} "
              f"({zone_label(participant.timezone, held_in.start)}) and can no longer be cancelled; "
              "record how it went on your outcomes page instead.", "error")
        return redirect(url_for("meetings.requests", slug=event.slug))
    was_agreed = call_off(event, participant, meeting_request)
    other = meeting_request.other(participant)
    flash(f"Your meeting with {other.organisation} is cancelled." if was_agreed
          else f"Your request to {other.organisation} was withdrawn.", "success")
    return redirect(url_for("meetings.requests", slug=event.slug))


def call_off(event: Event, participant: Participant, meeting_request: MeetingRequest) -> bool:
    """Withdraw a pending request or call off an agreed meeting that has not started, for `participant`;
    the partner is told of a called-off meeting (with a CANCEL when it was in their calendar).
    Returns whether it was an agreed meeting."""
    meeting = meeting_request.meeting
    was_agreed = meeting_request.status == "accepted"
    meeting_request.status = "cancelled"
    if meeting is not None and not meeting.cancelled:
        meeting.cancelled = True
        meeting.sequence += 1  # calendars that had it see a newer version: the cancellation
    db.session.commit()
    other = meeting_request.other(participant)
    if was_agreed:
        # A meeting already sent out in the published timetable leaves both calendars: each gets a CANCEL.
        in_calendar = meeting is not None and event.timetable_published and meeting.published_slot is not None
        cancels = {person.id: build_calendar([calendar_entry(meeting, person)], method="CANCEL")
                   for person in (other, participant)} if in_calendar else {}
        if in_calendar:  # told now: the next publish must not announce it again
            meeting.published_slot_id, meeting.published_end, meeting.published_link = None, None, None
            db.session.commit()
        for person, partner in ((other, participant), (participant, other)):
            calendar = cancels.get(person.id)
            if person is participant and calendar is None:
                continue  # nothing in their calendar to take out; the page says it is cancelled
            subject = (f"{event.name}: you cancelled your meeting with {other.organisation}" if person is participant
                       else f"{event.name}: {participant.organisation} cancelled your meeting")
            notify(person, subject, "mail/request_cancelled.txt", calendar=calendar, in_calendar=in_calendar,
                   by_you=person is participant, event=event, partner=partner, meeting_request=meeting_request,
                   link=None if person.status == "withdrawn" else absolute_url("meetings.requests", slug=event.slug))
    return was_agreed


def started(meeting_request: MeetingRequest) -> Slot | None:
    """Where the request's meeting started, if it did: it happened (or is under way), and calling it off
    would erase it and both sides' outcomes."""
    meeting = meeting_request.meeting
    held_in = meeting and not meeting.cancelled and (meeting.published_slot or meeting.slot)
    return held_in if held_in and held_in.start <= now_utc() else None


@bp.post("/<slug>/leave")
@login_required
def leave(slug):
    """A participant withdraws from the event: open requests are withdrawn, meetings not yet held called
    off (partners told), and the profile leaves the marketplace. Meetings held stay, with their outcomes."""
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    if participant.status in ("withdrawn", "rejected"):
        flash("You left this event already." if participant.status == "withdrawn"
              else "The organisers did not accept your registration: there is nothing to leave.", "info")
        return redirect(url_for("events.detail", slug=slug))
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm that you want to leave the event; nothing was changed.", "error")
        return redirect(url_for("events.detail", slug=slug))
    called_off = withdraw(event, participant)
    flash(f"You left {event.name}." + (f" {called_off} meeting(s) called off; your partners are told." if called_off else ""),
          "success")
    return redirect(url_for("events.detail", slug=slug))


def withdraw(event: Event, participant: Participant) -> int:
    """Leave the event (see `leave`); returns how many agreed meetings were called off."""
    called_off = 0
    participant.status = "withdrawn"  # first, so the mails of what is called off link no page closed to them
    requests = db.session.scalars(db.select(MeetingRequest).where(
        MeetingRequest.status.in_(("pending", "accepted")),
        db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id))
        .order_by(MeetingRequest.id)).all()
    for meeting_request in requests:
        if not started(meeting_request):
            called_off += call_off(event, participant, meeting_request)
    db.session.commit()
    return called_off


# --- availability ---------------------------------------------------------------------------------------------

def slot_groups(event: Event, tz: str) -> OrderedDict:
    """Slots grouped by the day in the viewer's zone, then by meeting window, in time order."""
    groups: OrderedDict = OrderedDict()
    # By window, not its label: the presets repeat labels each day, and a late window runs past midnight.
    for slot in sorted(event.slots, key=lambda s: s.start):
        groups.setdefault((to_local(slot.start, tz).date(), slot.window), []).append(slot)
    return groups


def common_slots(meetings_requests: list[MeetingRequest], participant: Participant, mine: set[int]) -> list:
    rows = []
    for meeting_request in meetings_requests:
        partner = meeting_request.other(participant)
        theirs = {a.slot_id for a in partner.availability}
        slots = sorted((s for s in participant.event.slots if s.id in mine and s.id in theirs), key=lambda s: s.start)
        rows.append((meeting_request, partner, slots))
    return rows


@bp.route("/<slug>/availability", methods=["GET", "POST"])
@login_required
def availability(slug):
    event = get_event(slug)
    participant = require_participant(event, approved=False)
    if participant.status == "rejected":
        abort(403, "Your registration for this event was not accepted.")
    if participant.status == "withdrawn":
        abort(403, "You left this event.")
    tz = participant.timezone
    # Two forms on one page: each reads the request only when it was the one submitted.
    using_hours = "use_hours" in request.form
    hours_form = WorkingHoursForm() if using_hours else WorkingHoursForm(formdata=None)
    slots_form = AvailabilityForm()
    slots_form.slot.choices = [(s.id, s.id) for s in event.slots]
    mine = {a.slot_id for a in participant.availability}
    status = 200
    if request.method == "POST":
        if using_hours:
            if hours_form.validate():
                chosen = {s.id for s in event.slots
                          if hours_form.start.data <= to_local(s.start, tz).time()
                          and to_local(s.end, tz).time() <= hours_form.end.data
                          and to_local(s.end, tz).date() == to_local(s.start, tz).date()}
                save_availability(participant, chosen)
                flash(f"Marked the {len(chosen)} slots between {hours_form.start.data:%H:%M} and "
                      f"{hours_form.end.data:%H:%M} in {tz}. Adjust single slots below if needed.", "success")
                return redirect(url_for("meetings.availability", slug=event.slug))
        elif slots_form.validate():
            save_availability(participant, set(slots_form.slot.data))
            flash(f"Availability saved: {len(slots_form.slot.data)} slots.", "success")
            return redirect(url_for("meetings.availability", slug=event.slug))
        else:
            # Keep the ticks the user made, so nothing typed is lost while the error is shown.
            valid = {str(s.id) for s in event.slots}
            mine = {int(v) for v in request.form.getlist("slot") if v.isascii() and v.isdigit() and v in valid}
        status = 400
    agreed = db.session.scalars(db.select(MeetingRequest).join(Meeting).where(
        MeetingRequest.status == "accepted", Meeting.cancelled.is_(False),
        db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id))
        .options(*(selectinload(side).selectinload(Participant.availability)  # each partner's marked slots
                   for side in (MeetingRequest.requester, MeetingRequest.recipient)))).all()
    agreed = [r for r in agreed if r.other(participant).is_approved]
    return render_template("meetings/availability.html", event=event, participant=participant, tz=tz,
                           moment=event_span(event), groups=slot_groups(event, tz), mine=mine,
                           hours_form=hours_form, slots_form=slots_form,
                           common=common_slots(agreed, participant, mine)), status


def save_availability(participant: Participant, slot_ids: set[int]) -> None:
    current = {a.slot_id: a for a in participant.availability}
    for slot_id, row in current.items():
        if slot_id not in slot_ids:
            participant.availability.remove(row)
    for slot_id in slot_ids - current.keys():
        participant.availability.append(Availability(participant_id=participant.id, slot_id=slot_id))
    db.session.commit()


# --- agenda and calendars -------------------------------------------------------------------------------------

def published_meetings(participant: Participant, left_ok: bool = False) -> list[Meeting]:
    """What the participant's calendar should hold now: the published timetable, cancelled meetings left out.
    left_ok: also for someone who left, whose meetings are then those held before (leaving called off the rest)."""
    if not participant.event.timetable_published or not (
            participant.is_approved or (left_ok and participant.status == "withdrawn")):
        return []
    meetings = db.session.scalars(db.select(Meeting).join(MeetingRequest).where(
        Meeting.event_id == participant.event_id, Meeting.cancelled.is_(False),
        Meeting.published_slot_id.is_not(None), MeetingRequest.status == "accepted",
        db.or_(MeetingRequest.requester_id == participant.id, MeetingRequest.recipient_id == participant.id))
        .options(*with_people())).all()
    return sorted(meetings, key=lambda m: m.published_slot.start)


def calendar_response(body: bytes, filename: str | None) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def agenda_calendar(participant: Participant) -> bytes:
    entries = [calendar_entry(m, participant) for m in published_meetings(participant)]
    return build_calendar(entries, name=f"{participant.event.name} – {participant.organisation}",
                          timezone=participant.timezone)


def feed_url(participant: Participant) -> str:
    return absolute_url("meetings.feed", token=participant.feed_token)


@bp.get("/<slug>/agenda")
@login_required
def agenda(slug):
    event = get_event(slug)
    participant = require_participant(event)
    meetings = published_meetings(participant)
    unscheduled = agreed_without_slot([participant])[participant.id] if event.timetable_published else []
    url = feed_url(participant)
    webcal = "webcal://" + url.split("://", 1)[1]
    return render_template("meetings/agenda.html", event=event, participant=participant, tz=participant.timezone,
                           moment=event_span(event), meetings=meetings, unscheduled=unscheduled,
                           video_link=video_link, feed_url=url, webcal_url=webcal)


@bp.get("/<slug>/agenda.ics")
@login_required
def agenda_ics(slug):
    event = get_event(slug)
    participant = require_participant(event)
    return calendar_response(agenda_calendar(participant), f"{event.slug}-agenda.ics")


@bp.get("/<slug>/meetings/<int:meeting_id>.ics")
@login_required
def meeting_ics(slug, meeting_id):
    event = get_event(slug)
    participant = require_participant(event)
    meeting = db.get_or_404(Meeting, meeting_id)
    if meeting.event_id != event.id:
        abort(404)
    if participant not in meeting.participants:
        abort(403, "This meeting is between other participants.")
    if meeting not in published_meetings(participant):
        abort(404, "This meeting is not in the published timetable.")
    return calendar_response(build_calendar([calendar_entry(meeting, participant)]),
                             f"{event.slug}-meeting-{meeting.id}.ics")


@bp.post("/<slug>/agenda/feed-reset")
@login_required
def reset_feed(slug):
    event = get_event(slug)
    participant = require_participant(event)
    participant.feed_token = new_token()
    db.session.commit()
    flash("Your calendar feed link was reset. The old link no longer works; subscribe again with the new one.",
          "success")
    return redirect(url_for("meetings.agenda", slug=event.slug) + "#feed")


def feed(token):
    """A calendar app's subscription: no login, the secret token is the key; always the current timetable."""
    participant = db.first_or_404(db.select(Participant).filter_by(feed_token=token))
    return calendar_response(agenda_calendar(participant), None)


# The feed lives outside /events so its URL stays short; registered under the agreed name meetings.feed.
bp.record_once(lambda state: state.app.add_url_rule("/feed/<token>.ics", "meetings.feed", feed, methods=["GET"]))

"""Meeting helpers shared by the participant pages and the scheduling engineer's invites."""
from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy.orm import contains_eager, selectinload

from brokerage.calendar import CalendarEntry, CalendarPerson
from brokerage.events.models import Participant, Slot
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.timeutil import fmt_datetime, now_utc, zone_label


def with_people():
    """Loader options for listing many meetings: their request, both participants and slots in a few queries."""
    request = selectinload(Meeting.request)
    # Their accounts too: invites name both people, and a query per person made publishing crawl.
    return (request.selectinload(MeetingRequest.requester).selectinload(Participant.user),
            request.selectinload(MeetingRequest.recipient).selectinload(Participant.user),
            selectinload(Meeting.slot), selectinload(Meeting.published_slot))


def agreed_without_slot(participants: list[Participant]) -> dict[int, list[MeetingRequest]]:
    """Each participant's agreed meetings the published timetable has no slot for, with partners still in
    the event; in two queries for any number of people (the first publish mails thousands)."""
    ids = [p.id for p in participants]
    requests = db.session.scalars(db.select(MeetingRequest).join(Meeting).where(
        MeetingRequest.status == "accepted", Meeting.cancelled.is_(False), Meeting.published_slot_id.is_(None),
        db.or_(MeetingRequest.requester_id.in_(ids), MeetingRequest.recipient_id.in_(ids)))
        .options(selectinload(MeetingRequest.requester), selectinload(MeetingRequest.recipient),
                 contains_eager(MeetingRequest.meeting))  # mails and the agenda read held_out off it
        .order_by(MeetingRequest.id)).all()
    found: dict[int, list[MeetingRequest]] = {p.id: [] for p in participants}
    for r in requests:
        for person, partner in ((r.requester, r.recipient), (r.recipient, r.requester)):
            if person.id in found and partner.is_approved:
                found[person.id].append(r)
    return found


def started_slot(meeting: Meeting, now: datetime | None = None) -> Slot | None:
    """The published slot, once the meeting has started there: it took place (or is under way), so it
    stays where it is, with its outcomes."""
    slot = meeting.published_slot
    return slot if slot is not None and not meeting.cancelled and slot.start <= (now or now_utc()) else None


def video_link(meeting: Meeting) -> str:
    requester, recipient = meeting.participants
    return room_link(requester.event, meeting.id, meeting.uid, requester.video_link, recipient.video_link)


def meeting_room(meeting_id: int, meeting_uid: str) -> str:
    """The {meeting} of a room link: its number and 48 random bits of its calendar UID, since anyone may open a
    public room (meet.jit.si) whose name they know. The UID never changes, so neither does the room."""
    return f"{meeting_id}-{meeting_uid.replace('-', '')[:12]}"


def room_link(event, meeting_id: int, meeting_uid: str, requester_link: str, recipient_link: str) -> str:
    """The event's room template ({event} slug, {meeting} room), or the requester's own link in 'participant' mode."""
    if event.video_mode == "participant":
        return requester_link or recipient_link or ""
    template, room = event.video_link_template or "", meeting_room(meeting_id, meeting_uid)
    try:
        return template.format(event=event.slug, meeting=room)
    except (KeyError, IndexError, ValueError):
        # An organiser typed an unknown placeholder: substitute what we know rather than break every invite.
        return template.replace("{event}", event.slug).replace("{meeting}", room)


def partner_of(meeting: Meeting, viewer: Participant) -> Participant:
    return meeting.request.other(viewer)


def organiser_person(event) -> CalendarPerson:
    """Invites come from the app's sender address, named after the event so recipients know who asks."""
    name, address = parseaddr(current_app.config["MAIL_SENDER"])
    return CalendarPerson(email=address or "noreply@brokerage.localhost", name=f"{event.name} organisers")


def calendar_entry(meeting: Meeting, viewer: Participant, slot: Slot | None = None) -> CalendarEntry:
    """One meeting as the viewer's calendar sees it: in their zone, naming the partner and both local times."""
    slot = slot or meeting.published_slot
    if slot is None:
        raise ValueError(f"meeting {meeting.id} has no slot to put in a calendar")
    event = meeting.request.requester.event
    partner = partner_of(meeting, viewer)
    link = video_link(meeting)
    lines = [
        f"B2B meeting at {event.name}",
        f"With: {partner.organisation} ({partner.user.name})",
        f"Your time: {fmt_datetime(slot.start, viewer.timezone)} {zone_label(viewer.timezone, slot.start)}",
        f"{partner.organisation}'s time: {fmt_datetime(slot.start, partner.timezone)} "
        f"{zone_label(partner.timezone, slot.start)}",
        f"Event time: {fmt_datetime(slot.start, event.timezone)} {zone_label(event.timezone, slot.start)}",
    ]
    if link:
        lines.append(f"Video link: {link}")
    requester, recipient = meeting.participants
    return CalendarEntry(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=slot.start,
        end=slot.end,
        summary=f"B2B meeting: {partner.organisation}",
        description="\n".join(lines),
        url=link,
        organizer=organiser_person(event),
        attendees=tuple(CalendarPerson(email=p.user.email, name=f"{p.user.name} ({p.organisation})")
                        for p in (requester, recipient)),
        timezone=viewer.timezone,
        cancelled=meeting.cancelled,
    )

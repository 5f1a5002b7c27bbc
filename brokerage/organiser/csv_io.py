"""Participants in and out as CSV: a forgiving importer that explains every row, and spreadsheet-safe exports."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from datetime import datetime

import pytz
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import aliased, selectinload
from wtforms.validators import URL, ValidationError

from brokerage.accounts.models import User
from brokerage.events.forms import no_control_characters, one_line
from brokerage.events.models import ORGANISATION_TYPES, SECTORS, Event, Participant
from brokerage.events.search_text import fold
from brokerage.extensions import db
from brokerage.timeutil import UTC, is_place_timezone, is_valid_timezone, now_utc, to_local

# Country names as spreadsheets hold them: pytz's English names, and the usual other names of the countries
# this app's events bring together.
_COUNTRY_KEYS = {fold(name): code for code, name in pytz.country_names.items()} | {
    "usa": "US", "united states of america": "US", "south korea": "KR", "korea": "KR", "republic of korea": "KR",
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "czechia": "CZ", "the netherlands": "NL",
    "turkiye": "TR"}
# Zones to name as examples where pytz's order would not (it lists the US's New York, Detroit, Louisville...).
_USUAL_ZONES = {"US": ("America/New_York", "America/Chicago", "America/Los_Angeles")}


def country_code(name: str) -> str | None:
    """The code of a country named in English ("Germany", "south korea", "Türkiye"), or None."""
    return _COUNTRY_KEYS.get(fold(name.strip()))


def _one_clock(zones: list[str]) -> bool:
    """The zones show the same time in winter and in summer, this year and next."""
    year = now_utc().year
    moments = [datetime(y, m, 15, 12, tzinfo=UTC) for y in (year, year + 1) for m in (1, 7)]
    return len({tuple(to_local(m, z).utcoffset() for m in moments) for z in zones}) == 1


# The importer reads the columns the participants export writes, so an export re-imports elsewhere.
REQUIRED_COLUMNS = ("email", "organisation", "country", "organisation_type")
OPTIONAL_COLUMNS = ("name", "timezone", "sectors", "website", "languages", "description", "support_office")
LENGTHS = {"email": 254, "name": 120, "organisation": 200, "website": 300, "languages": 200,
           "description": 5000, "support_office": 200}
MAX_ROWS = 2000
MAX_BYTES = 1_000_000
TOO_LARGE = "The file is larger than 1 MB; split it into several imports."

_TYPE_KEYS = {key: key for key, _ in ORGANISATION_TYPES} | {label.lower(): key for key, label in ORGANISATION_TYPES}
_SECTOR_KEYS = {key: key for key, _ in SECTORS} | {label.lower(): key for key, label in SECTORS}


class CsvProblem(ValueError):
    """The text as a whole cannot be read (encoding, header); rows are never reached."""


@dataclass
class ImportRow:
    line: int  # the spreadsheet row number, header = 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    existing_user: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def decode_upload(data: bytes) -> str:
    if len(data) > MAX_BYTES:  # before decoding: the cut may fall inside a character
        raise CsvProblem(TOO_LARGE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem("The file is not UTF-8 text. In your spreadsheet, save it as 'CSV UTF-8'.") from None


def _delimiter(text: str) -> str:
    """The header line's delimiter (spreadsheets in some locales write ';' or tabs). Only that is guessed:
    a header without quotes says nothing of how quotes are escaped, and spreadsheets double them."""
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        return ","  # one column, or nothing to guess from


def parse_participants(text: str, event: Event) -> list[ImportRow]:
    """Every data row with the reasons it cannot be imported; raises CsvProblem if the text is unusable."""
    if "\x00" in text:
        raise CsvProblem("The text contains NUL characters; is this a spreadsheet file rather than CSV?")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise CsvProblem(TOO_LARGE)
    text = text.lstrip("\ufeff")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text)))
    except csv.Error as error:
        raise CsvProblem(f"The CSV cannot be read: {error}.") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise CsvProblem("The CSV is empty: the first line must name the columns, e.g. " + ",".join(REQUIRED_COLUMNS) + ".")
    header = [cell.strip().lower().replace(" ", "_") for cell in records[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CsvProblem(f"Missing column(s): {', '.join(missing)}. The first line must name the columns.")
    if len(records) - 1 > MAX_ROWS:
        raise CsvProblem(f"At most {MAX_ROWS} participants per import; split the file.")

    registered = set(db.session.scalars(
        db.select(User.email).join(Participant, Participant.user_id == User.id).where(Participant.event_id == event.id)))
    rows, seen = [], {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines, common at the end of spreadsheet exports
        # A quoted cell may hold line breaks (Excel's Alt+Enter): only the description keeps them.
        values = {column: ((record[i].strip() if column == "description" else one_line(record[i]))
                           if i < len(record) else "")
                  for i, column in enumerate(header) if column in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
        for column in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            values.setdefault(column, "")
        row = ImportRow(line=number, values=values)
        _check_row(row, seen, registered)
        rows.append(row)
    return rows


_WEBSITE = URL(message="not a web address")


def _refused(validator, value: str) -> bool:
    try:
        validator(None, SimpleNamespace(data=value))
    except ValidationError:
        return True
    return False


def _check_row(row: ImportRow, seen: dict[str, int], registered: set[str]) -> None:
    values, errors = row.values, row.errors
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            errors.append(f"{column} is missing.")
    if values["website"] and not values["website"].lower().startswith(("http://", "https://")):
        values["website"] = "https://" + values["website"]  # before the length check: it is stored so
    for column, limit in LENGTHS.items():
        if len(values[column]) > limit:
            errors.append(f"{column} is longer than {limit} characters.")
    # The profile form's own checks: an imported participant must be able to save their profile unchanged.
    for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        if _refused(no_control_characters, values[column]):
            errors.append(f"{column} contains invisible control characters.")
    if values["website"] and _refused(_WEBSITE, values["website"]):
        errors.append(f"website '{values['website']}' is not a full web address, e.g. https://example.com.")
    if values["email"]:
        try:
            values["email"] = User.normalise_email(validate_email(values["email"], check_deliverability=False).normalized)
        except EmailNotValidError:
            errors.append(f"'{values['email']}' is not a valid email address.")
        else:
            email = values["email"]
            if email in seen:
                errors.append(f"Duplicate: {email} is on row {seen[email]} already.")
            elif email in registered:
                errors.append(f"{email} is registered for this event already.")
            seen.setdefault(email, row.line)
            account_name = db.session.scalar(db.select(User.name).filter_by(email=email))
            row.existing_user = account_name is not None
            if row.existing_user:
                values["name"] = account_name  # what the import keeps: an account's name is its owner's
    country = values["country"].upper()
    if country:
        country = country if country in pytz.country_names else country_code(values["country"]) or country
        if country in pytz.country_names:
            values["country"] = country
        else:
            errors.append(f"Unknown country '{values['country']}': use its two-letter code (DE, JP, KR, US) or its "
                          "English name.")
    if values["organisation_type"]:
        kind = _TYPE_KEYS.get(values["organisation_type"].lower())
        if kind:
            values["organisation_type"] = kind
        else:
            errors.append(f"Unknown organisation type '{values['organisation_type']}': use "
                          + ", ".join(key for key, _ in ORGANISATION_TYPES) + ".")
    if values["timezone"]:
        if not is_valid_timezone(values["timezone"]):
            errors.append(f"Unknown time zone '{values['timezone']}': use a name like Europe/Berlin or Asia/Tokyo.")
        elif not is_place_timezone(values["timezone"]):
            places = ", ".join(pytz.country_timezones.get(country or "", [])[:3]) or "Europe/Berlin or Asia/Tokyo"
            errors.append(f"Time zone '{values['timezone']}' is a fixed UTC offset that ignores summer time: "
                          f"use the place's zone, e.g. {places}.")
    elif country in pytz.country_names:
        zones = pytz.country_timezones.get(country, [])
        if zones and is_valid_timezone(zones[0]) and _one_clock(zones):
            values["timezone"] = zones[0]  # the country has one clock (Germany's Berlin and Büsingen agree)
        else:
            errors.append(f"Give a time zone: {country} has {len(zones) or 'no'} time zone(s) to choose from"
                          + (f", e.g. {', '.join(_USUAL_ZONES.get(country) or zones[:3])}." if zones else "."))
    if values["sectors"]:
        keys, unknown = [], []
        for name in (part.strip() for part in values["sectors"].replace(";", ",").split(",")):
            if name:
                (keys.append(_SECTOR_KEYS[name.lower()]) if name.lower() in _SECTOR_KEYS else unknown.append(name))
        if unknown:
            errors.append(f"Unknown sector(s): {', '.join(unknown)}.")
        values["sectors"] = ",".join(dict.fromkeys(keys))
    if not values["name"] and values["email"]:
        values["name"] = values["email"].split("@", 1)[0][:120]


# --- export ---------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_AFTER_SEMICOLON = re.compile(r";(\s*)(?=[=+\-@])")


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading quote stops =HYPERLINK(...) and friends running. Excel set to
    ";" (French, German) splits a cell at its semicolons, quoted or not: what follows one gets the quote too."""
    text = "" if value is None else str(value)
    text = "'" + text if text.startswith(_FORMULA_STARTS) else text
    return _FORMULA_AFTER_SEMICOLON.sub(r";\1'", text)


def utc_iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def local_iso(moment: datetime | None, tz_name: str) -> str:
    return to_local(moment, tz_name).isoformat(timespec="seconds") if moment else ""


def write_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def export_participants(event: Event) -> tuple[list[str], list[list]]:
    zone = event.timezone
    header = ["id", "status", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "region", "organiser_notes",
              "registered_utc", f"registered_event_time ({zone})"]
    participants = db.session.scalars(db.select(Participant).filter_by(event_id=event.id)
                                      .options(selectinload(Participant.user)).order_by(Participant.id))
    return header, [
        [p.id, p.status, p.user.email, p.organisation, p.country, p.organisation_type, p.user.name, p.timezone,
         p.sectors.replace(",", ";"), p.website, p.languages, p.description, p.support_office, p.region,
         p.organiser_notes, utc_iso(p.created_at), local_iso(p.created_at, zone)]
        for p in participants]


def export_requests(event: Event) -> tuple[list[str], list[list]]:
    from brokerage.meetings.models import MeetingRequest

    zone = event.timezone
    header = ["id", "status", "requester_id", "requester_organisation", "requester_email", "recipient_id",
              "recipient_organisation", "recipient_email", "message", "weight", "created_utc",
              f"created_event_time ({zone})", "responded_utc", f"responded_event_time ({zone})"]
    requests = db.session.scalars(db.select(MeetingRequest).filter_by(event_id=event.id).options(
        selectinload(MeetingRequest.requester).selectinload(Participant.user),
        selectinload(MeetingRequest.recipient).selectinload(Participant.user)).order_by(MeetingRequest.id))
    return header, [
        [r.id, r.status, r.requester_id, r.requester.organisation, r.requester.user.email, r.recipient_id,
         r.recipient.organisation, r.recipient.user.email, r.message, r.weight, utc_iso(r.created_at),
         local_iso(r.created_at, zone), utc_iso(r.responded_at), local_iso(r.responded_at, zone)]
        for r in requests]


def export_meetings(event: Event) -> tuple[list[str], list[list]]:
    from brokerage.meetings.models import Meeting, MeetingOutcome, MeetingRequest
    from brokerage.meetings.services import room_link
    from brokerage.scheduling.solver_bridge import MeetingJoin

    zone = event.timezone
    header = ["id", "request_id", "participant_a", "participant_a_email", "participant_b", "participant_b_email",
              "state", "start_utc", "end_utc", f"start_event_time ({zone})", f"end_event_time ({zone})",
              "published_start_utc", f"published_start_event_time ({zone})", "locked", "video_link",
              "unscheduled_reason", "rating_a", "follow_up_a", "rating_b", "follow_up_b", "entered_by_a", "entered_by_b"]
    # Columns, not objects: a 2,000-person event has ~10,000 meetings, and loading them took seconds.
    # They share the event's few dozen slots, whose times are formatted once.
    times = {s.id: (utc_iso(s.start), utc_iso(s.end), local_iso(s.start, zone), local_iso(s.end, zone))
             for s in event.slots}
    no_slot = ("", "", "", "")
    join = MeetingJoin.of(event)
    user_a, user_b = aliased(User), aliased(User)
    # Each side's account of the meeting (outcomes), as codes like `state`; who entered it, last.
    said = {(o.meeting_id, o.participant_id): (o.rating, o.follow_up or "",
                                               "organiser" if o.recorded_by_id else "participant")
            for o in db.session.execute(
                db.select(MeetingOutcome.meeting_id, MeetingOutcome.participant_id, MeetingOutcome.rating,
                          MeetingOutcome.follow_up, MeetingOutcome.recorded_by_id)
                .join(Meeting).where(Meeting.event_id == event.id))}
    meetings = db.session.execute(join.select(
        Meeting.id, Meeting.request_id, MeetingRequest.requester_id, MeetingRequest.recipient_id,
        join.requester.organisation, user_a.email, join.recipient.organisation,
        user_b.email, Meeting.cancelled, Meeting.slot_id, Meeting.published_slot_id, Meeting.locked,
        Meeting.uid, join.requester.video_link, join.recipient.video_link, Meeting.unscheduled_reason, Meeting.published_end,
        join.agreed(now_utc()))
        .join(user_a, join.requester.user_id == user_a.id).join(user_b, join.recipient.user_id == user_b.id)
        .order_by(Meeting.id))
    rows, begun = [], {s.id for s in event.slots if s.start <= now_utc()}
    for (meeting_id, request_id, a_id, b_id, a, a_email, b, b_email, cancelled, slot_id, published_id, locked, uid, a_link,
         b_link, reason, published_end, agreed) in meetings:
        # Not agreed: a side was rejected or left before it took place, so it is off like a cancelled one.
        state = "cancelled" if cancelled or not agreed else "scheduled" if slot_id is not None else "unscheduled"
        slot, published = times.get(slot_id, no_slot), times.get(published_id, no_slot)
        said_a, said_b = said.get((meeting_id, a_id), ("", "", "")), said.get((meeting_id, b_id), ("", "", ""))
        if slot_id == published_id and published_id in begun and published_end:  # held as announced, whatever the slot length now
            slot = (slot[0], utc_iso(published_end), slot[2], local_iso(published_end, zone))
        rows.append([meeting_id, request_id, a, a_email, b, b_email, state, *slot, published[0], published[2],
                     "yes" if locked else "no", room_link(event, meeting_id, uid, a_link, b_link), reason,
                     *said_a[:2], *said_b[:2], said_a[2], said_b[2]])
    return header, rows


EXPORTS = {"participants": export_participants, "requests": export_requests, "meetings": export_meetings}

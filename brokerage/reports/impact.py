"""The impact report: who took part, which meetings happened between which regions and countries, and what came of them."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from brokerage.events.models import ORGANISATION_TYPES, Event, Participant, Slot
from brokerage.extensions import db
from brokerage.meetings.models import FOLLOW_UPS, RATINGS, Meeting, MeetingOutcome, MeetingRequest
from brokerage.regions import REGION_NAMES, REGIONS, region_of
from brokerage.timeutil import country_choices, now_utc

# Each stage counts meetings (one per request) that got at least that far; later stages are subsets of earlier ones.
STAGES = [
    ("requested", "Requested"), ("accepted", "Accepted"), ("scheduled", "Scheduled"), ("held", "Held"),
    ("cooperation", "Cooperation possible"), ("negotiation", "Negotiation started"), ("agreement", "Agreement reached"),
]
OVERSEAS = ("US", "JP", "KR")
NO_OFFICE_LABEL = "(no support office)"
_REGION_ORDER = [code for code, _ in REGIONS]


@dataclass
class Row:
    key: str
    label: str
    counts: Counter = field(default_factory=Counter)


@dataclass
class ImpactReport:
    by_region: list[Row]
    by_country: list[Row]
    by_office: list[Row]  # EEN support offices (or clusters): each reports its own clients' results
    by_type: list[Row]
    totals: Counter
    by_pair: list[Row]
    eu_smes_by_partner_region: list[Row]
    eu_smes_overseas: list[Row]
    ratings: list[Row]
    follow_ups: list[Row]
    comments: list[dict]


def stages_of(status: str, scheduled: bool, outcomes) -> list[str]:
    """How far a request got: requested → accepted → scheduled (published) → held → its best reported result.
    `scheduled`: its meeting is not cancelled and has a published slot; `outcomes`: that meeting's
    outcomes (anything with a rating and a follow_up)."""
    reached = ["requested"]
    if status != "accepted":
        return reached
    reached.append("accepted")
    if not scheduled:
        return reached
    reached.append("scheduled")
    ratings = {o.rating for o in outcomes}
    follow_ups = {o.follow_up for o in outcomes}
    # Held once either side says it took place: one side forgetting to rate must not erase a meeting.
    if not ratings - {"not_held"}:
        return reached
    reached.append("held")
    # A negotiation or an agreement shows cooperation was possible, whatever the rating said: each
    # stage stays a subset of the one before.
    if "cooperation_possible" in ratings or follow_ups & {"negotiation", "agreement"}:
        reached.append("cooperation")
    if follow_ups & {"negotiation", "agreement"}:
        reached.append("negotiation")
    if "agreement" in follow_ups:
        reached.append("agreement")
    return reached


class Person(NamedTuple):
    """The columns of a Participant the report reads, with the same names (region and is_approved as on the
    model), so that ~10,000 requests need no ORM objects."""
    id: int
    status: str
    organisation: str
    country: str
    organisation_type: str
    support_office: str

    @property
    def region(self) -> str:
        return region_of(self.country)

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"


def build_report(event: Event) -> ImpactReport:
    countries = dict(country_choices())
    # The report is about the event's participants: a request with someone the organisers rejected
    # (before or after it was accepted) counts nowhere, as on the dashboard, unless its meeting took
    # place (its published slot began): that stays in the timetable and its partner may report on it.
    # Someone who left counts with what they did before (leaving called off everything not yet held).
    took_part, now = ("approved", "withdrawn"), now_utc()
    # Columns, not objects: a 2,000-person event has ~10,000 requests, and loading them with their
    # meetings and outcomes took seconds.
    people = {p.id: p for p in map(Person._make, db.session.execute(
        db.select(Participant.id, Participant.status, Participant.organisation, Participant.country,
                  Participant.organisation_type, Participant.support_office)
        .where(Participant.event_id == event.id).order_by(Participant.id)))}
    requests = [r for r in db.session.execute(
        db.select(MeetingRequest.requester_id, MeetingRequest.recipient_id, MeetingRequest.status,
                  Meeting.id.label("meeting_id"), Meeting.cancelled, Meeting.published_slot_id,
                  Slot.start.label("published_start"))
        .outerjoin(Meeting, Meeting.request_id == MeetingRequest.id)
        .outerjoin(Slot, Meeting.published_slot_id == Slot.id)
        .where(MeetingRequest.event_id == event.id).order_by(MeetingRequest.id))
        if all(people[p].status in took_part for p in (r.requester_id, r.recipient_id))
        or (r.status == "accepted" and r.published_start is not None and r.published_start <= now
            and not r.cancelled)]
    # Ordered so the comments list reads the same every time: by request, then by author.
    outcomes: defaultdict[int, list] = defaultdict(list)
    for o in db.session.execute(
            db.select(MeetingOutcome.meeting_id, MeetingOutcome.participant_id, MeetingOutcome.rating,
                      MeetingOutcome.follow_up, MeetingOutcome.comment, MeetingOutcome.recorded_by_id)
            .join(Meeting, MeetingOutcome.meeting_id == Meeting.id).where(Meeting.event_id == event.id)
            .order_by(MeetingOutcome.meeting_id, MeetingOutcome.participant_id)):
        outcomes[o.meeting_id].append(o)
    active = {p for r in requests for p in (r.requester_id, r.recipient_id)}
    participants = [p for p in people.values() if p.is_approved or p.id in active]

    by_region = {code: Row(code, name) for code, name in REGIONS}
    by_type = {code: Row(code, name) for code, name in ORGANISATION_TYPES}
    by_country: dict[str, Row] = {}
    by_office: dict[str, Row] = {}

    def country_row(code: str) -> Row:
        return by_country.setdefault(code, Row(code, countries.get(code, code)))

    def office_row(office: str) -> Row:
        return by_office.setdefault(office, Row(office, office or NO_OFFICE_LABEL))

    for p in participants:
        for row in (by_region[p.region], by_type.setdefault(p.organisation_type, Row(p.organisation_type, p.organisation_type)),
                    country_row(p.country), office_row(p.support_office)):
            row.counts["participants"] += 1
            row.counts["smes"] += p.organisation_type == "sme"

    totals = Counter(participants=len(participants), smes=sum(p.organisation_type == "sme" for p in participants))
    by_pair: dict[str, Row] = {}
    overseas: dict[tuple[str, str], Row] = {}
    by_partner = {region: Row(region, f"European SMEs with {REGION_NAMES[region]}") for region in OVERSEAS}
    smes_met: defaultdict[tuple[str, str] | str, set[int]] = defaultdict(set)
    rated = []  # (outcome, requester, recipient) of the meetings that count as scheduled
    for request in requests:
        sides = (people[request.requester_id], people[request.recipient_id])
        said = outcomes.get(request.meeting_id, [])
        scheduled = request.meeting_id is not None and not request.cancelled and request.published_slot_id is not None
        reached = stages_of(request.status, scheduled, said)
        if "scheduled" in reached:
            rated += [(o, *sides) for o in said]
        pair = "-".join(sorted((s.region for s in sides), key=_REGION_ORDER.index))
        first, second = pair.split("-")
        rows = [by_pair.setdefault(pair, Row(pair, f"{REGION_NAMES[first]} – {REGION_NAMES[second]}"))]
        rows += [country_row(code) for code in {s.country for s in sides}]
        rows += [office_row(office) for office in {s.support_office for s in sides}]
        for sme, partner in (sides, sides[::-1]):
            if sme.region == "EU" and sme.organisation_type == "sme" and partner.region in OVERSEAS:
                key = (sme.country, partner.region)
                rows.append(overseas.setdefault(key, Row(
                    f"{sme.country}-{partner.region}", f"{countries.get(sme.country, sme.country)} SMEs with {REGION_NAMES[partner.region]}")))
                rows.append(by_partner[partner.region])
                if "held" in reached:
                    smes_met[key].add(sme.id)
                    smes_met[partner.region].add(sme.id)
        for row in rows:
            row.counts.update(reached)
        totals.update(reached)
    for key, row in [*overseas.items(), *by_partner.items()]:
        row.counts["smes"] = len(smes_met[key])

    # Ratings of meetings that count as scheduled only: not of a cancelled or unpublished one.
    rating_counts = Counter(o.rating for o, _, _ in rated)
    follow_up_counts = Counter(o.follow_up for o, _, _ in rated if o.follow_up)
    labels, follow_labels = dict(RATINGS), dict(FOLLOW_UPS)
    comments = [{"from": people[o.participant_id].organisation + (" (recorded by an organiser)" if o.recorded_by_id else ""),
                 "with": (recipient if o.participant_id == requester.id else requester).organisation,
                 "rating": labels.get(o.rating, o.rating), "follow_up": follow_labels.get(o.follow_up or "", ""),
                 "comment": o.comment} for o, requester, recipient in rated if o.comment]

    return ImpactReport(
        by_region=[row for row in by_region.values() if row.counts["participants"]],
        by_country=sorted(by_country.values(), key=lambda r: (_REGION_ORDER.index(region_of(r.key)), -r.counts["participants"], r.label)),
        by_office=sorted(by_office.values(), key=lambda r: (not r.key, r.key.casefold())),
        by_type=[row for row in by_type.values() if row.counts["participants"]],
        totals=totals,
        by_pair=sorted(by_pair.values(), key=lambda r: [_REGION_ORDER.index(c) for c in r.key.split("-")]),
        eu_smes_by_partner_region=list(by_partner.values()),
        eu_smes_overseas=[row for _, row in sorted(
            overseas.items(), key=lambda kv: (countries.get(kv[0][0], kv[0][0]), OVERSEAS.index(kv[0][1])))],
        ratings=[Row(k, v, Counter(count=rating_counts[k])) for k, v in RATINGS],
        follow_ups=[Row(k, v, Counter(count=follow_up_counts[k])) for k, v in FOLLOW_UPS],
        comments=comments,
    )


CSV_COLUMNS = ["section", "key", "label", "participants", "smes"] + [key for key, _ in STAGES] + ["count"]


def csv_rows(report: ImpactReport):
    """One flat table: each breakdown row tagged with its section; columns that do not apply stay empty."""
    yield CSV_COLUMNS
    sections = [("total", [Row("all", "All", report.totals)]), ("participants_by_region", report.by_region),
                ("participants_by_type", report.by_type), ("region_pair", report.by_pair),
                ("country", report.by_country), ("support_office", report.by_office),
                ("eu_smes_by_partner_region", report.eu_smes_by_partner_region),
                ("eu_smes_with_overseas", report.eu_smes_overseas),
                ("ratings", report.ratings), ("follow_ups", report.follow_ups)]
    overseas_sections = {"eu_smes_by_partner_region", "eu_smes_with_overseas"}
    meeting_sections = {"total", "region_pair", "country", "support_office", *overseas_sections}
    people_sections = {"total", "participants_by_region", "participants_by_type", "country", "support_office"}
    for section, rows in sections:
        for row in rows:
            c = row.counts
            people = [c["participants"], c["smes"]] if section in people_sections else \
                ["", c["smes"]] if section in overseas_sections else ["", ""]
            stages = [c[key] for key, _ in STAGES] if section in meeting_sections else [""] * len(STAGES)
            yield [section, row.key, row.label, *people, *stages, c["count"] if section in ("ratings", "follow_ups") else ""]

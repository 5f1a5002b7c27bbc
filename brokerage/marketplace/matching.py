"""Suggested partners: who in an event's marketplace fits what a participant offers and seeks.

Every suggestion carries its reasons, and the order is built from nothing else: whether the two can meet
within both working days, which of the participant's opportunities meets which of the other's (an offer
for a request, a partnership for a partnership) and the words they share, and the sectors they share.
Words are weighted by how rare they are in the event (TF-IDF), so "battery recycling" counts where
"innovative solutions" does not.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from brokerage.events.models import Event, Opportunity, Participant, Slot
from brokerage.extensions import db
from brokerage.marketplace.working_hours import within_working_hours
from brokerage.meetings.models import MeetingRequest

# What each kind of opportunity looks for on the other side.
ANSWERS = {"tech_offer": "tech_request", "tech_request": "tech_offer", "partnership": "partnership",
           "rnd": "rnd", "investment": "investment"}
# Words that say nothing about what a company does, in brokerage profiles or in English at large.
STOPWORDS = frozenset("""
a able about across after all also an and any are as at be been being both bring but by can co could do
does each first for from had has have how if in into is it its keep make more most need needs new not of
on one or other our ours over per rather run should such than that the their them there these they this
those through to two under up us use used using very via was we well were what when where which while
who will with within without would year years you your
based business company companies cooperation develop developed developing development enterprise firm
innovative innovation interested looking market offer offers offering opportunity opportunities partner
partners partnership product products project provide provides request requests seek seeking seeks
service services solution solutions technology technologies technical want wants working
""".split())
WORD = re.compile(r"\w+")
SHOWN_WORDS = 4  # shared words named in a reason


@lru_cache(maxsize=1 << 16)  # an event's profiles repeat their words many times over
def stem(word: str) -> str:
    """A light plural fold, enough to meet "batteries" with "battery" and "sensors" with "sensor"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(*texts: str, spelling: dict[str, str] | None = None) -> set[str]:
    """The stems of the words that say something; `spelling` learns a word as written for each stem."""
    found = set()
    for word in (w for text in texts for w in WORD.findall(text.lower())):
        if len(word) > 1 and not word.isdigit() and word not in STOPWORDS:
            found.add(key := stem(word))
            if spelling is not None:
                spelling.setdefault(key, word)
    return found


@dataclass
class Fit:
    """One of the viewer's opportunities that meets one of the other's."""

    mine_kind: str
    mine_title: str
    theirs_kind: str
    theirs_title: str
    shared_words: list[str]


@dataclass
class Suggestion:
    participant_id: int
    organisation: str
    country: str
    timezone: str
    meetable_slots: int  # event slots within both working days
    fit: Fit | None
    shared_sectors: list[str]
    profile_words: list[str] = field(default_factory=list)  # words both descriptions use, when there is no fit
    score: float = 0.0


@dataclass
class _Profile:
    id: int
    organisation: str
    country: str
    timezone: str
    sectors: frozenset[str]
    about: set[str]  # words of the description
    opportunities: list[tuple[str, str, set[str]]]  # (kind, title, words)

    @property
    def words(self) -> set[str]:
        return self.about.union(*(words for _, _, words in self.opportunities))


class _Weights:
    """Inverse document frequency over the event's profiles: a word many participants use weighs little, and
    one in more than a quarter of the profiles of a sizeable event says nothing about a pair ("customer",
    "distribution", the organisers' own phrasing) and is left out."""

    COMMON_SHARE, SIZEABLE = 0.25, 20

    def __init__(self, profiles: list[_Profile]):
        counts = Counter(word for p in profiles for word in p.words)
        total = len(profiles)
        self.idf = {word: math.log((total + 1) / (n + 1)) + 1 for word, n in counts.items()
                    if total < self.SIZEABLE or n <= self.COMMON_SHARE * total}

    def similarity(self, a: set[str], b: set[str]) -> tuple[float, list[str]]:
        """Cosine of the two word sets (IDF-weighted), and the shared words, rarest first."""
        a, b = a & self.idf.keys(), b & self.idf.keys()
        shared = a & b
        if not shared:
            return 0.0, []
        norm = math.sqrt(sum(self.idf[w] ** 2 for w in a)) * math.sqrt(sum(self.idf[w] ** 2 for w in b))
        ordered = sorted(shared, key=lambda w: (-self.idf[w], w))
        return sum(self.idf[w] ** 2 for w in shared) / norm, ordered


def _profiles(event: Event, spelling: dict[str, str]) -> dict[int, _Profile]:
    """The approved participants' profiles as plain rows: no ORM objects, so large events stay fast."""
    rows = db.session.execute(sa.select(
        Participant.id, Participant.organisation, Participant.country, Participant.timezone, Participant.sectors,
        Participant.description).where(Participant.event_id == event.id, Participant.status == "approved")
        .order_by(Participant.id)).all()
    opportunities: dict[int, list[tuple[str, str, set[str]]]] = defaultdict(list)
    for pid, kind, title, keywords, description in db.session.execute(
            sa.select(Opportunity.participant_id, Opportunity.kind, Opportunity.title, Opportunity.keywords,
                      Opportunity.description)
            .join(Participant, Participant.id == Opportunity.participant_id)
            .where(Participant.event_id == event.id, Participant.status == "approved")
            .order_by(Opportunity.id)):
        opportunities[pid].append((kind, title, terms(title, keywords, description, spelling=spelling)))
    return {pid: _Profile(pid, organisation, country, zone, frozenset(s for s in sectors.split(",") if s),
                          terms(description, spelling=spelling), opportunities[pid])
            for pid, organisation, country, zone, sectors, description in rows}


def _already_asked(participant_id: int) -> set[int]:
    """Partners the participant has a request with, pending, agreed or declined: nothing to suggest there."""
    rows = db.session.execute(sa.select(MeetingRequest.requester_id, MeetingRequest.recipient_id).where(
        sa.or_(MeetingRequest.requester_id == participant_id, MeetingRequest.recipient_id == participant_id),
        MeetingRequest.status.in_(("pending", "accepted", "declined"))))
    return {other for pair in rows for other in pair} - {participant_id}


def _working_slots(event: Event, zones: set[str]) -> dict[str, frozenset[int]]:
    slots = db.session.scalars(sa.select(Slot).where(Slot.event_id == event.id)).all()
    return {zone: frozenset(s.id for s in slots if within_working_hours(s, zone)) for zone in zones}


class Matchmaker:
    """One event's profiles, word weights and working hours, loaded once to suggest partners to many people."""

    def __init__(self, event: Event):
        self.spelling: dict[str, str] = {}
        self.profiles = _profiles(event, self.spelling)
        self.weights = _Weights(list(self.profiles.values()))
        self.working = _working_slots(event, {p.timezone for p in self.profiles.values()})

    def suggest(self, participant_id: int, limit: int = 6) -> list[Suggestion]:
        """The best partners among the approved participants `participant_id` has not asked yet (none if they
        are not approved). People they can meet within both working days come first; then the better fit, then
        more shared slots."""
        me = self.profiles.get(participant_id)
        if me is None:
            return []
        skip = _already_asked(participant_id) | {participant_id}
        found = [s for other in self.profiles.values() if other.id not in skip
                 if (s := self._match(me, other)) is not None]
        found.sort(key=lambda s: (s.meetable_slots == 0, -s.score, -s.meetable_slots, s.organisation.lower(),
                                  s.participant_id))
        return found[:limit]

    def _match(self, me: _Profile, other: _Profile) -> Suggestion | None:
        best: tuple[float, Fit] | None = None
        for mine_kind, mine_title, mine_words in me.opportunities:
            for theirs_kind, theirs_title, theirs_words in other.opportunities:
                if ANSWERS.get(mine_kind) != theirs_kind:
                    continue
                similarity, shared = self.weights.similarity(mine_words, theirs_words)
                if shared and (best is None or similarity > best[0]):  # kinds alone do not make a fit
                    best = similarity, Fit(mine_kind, mine_title, theirs_kind, theirs_title,
                                           [self.spelling[w] for w in shared[:SHOWN_WORDS]])
        sectors = sorted(me.sectors & other.sectors)
        # Descriptions only: two requests for the same thing come from competitors, not partners.
        related, description_words = self.weights.similarity(me.about, other.about)
        if best is None and not sectors and not description_words:
            return None
        # A fitting pair of opportunities counts most; then the words the descriptions share, then sectors
        # (at most two count, so a long sector list does not win on its own).
        score = (1 + 2 * best[0] if best else 0) + related + 0.5 * min(len(sectors), 2)
        return Suggestion(
            other.id, other.organisation, other.country, other.timezone,
            len(self.working[me.timezone] & self.working[other.timezone]), best[1] if best else None, sectors,
            [] if best else [self.spelling[w] for w in description_words[:SHOWN_WORDS]], score)


def suggestions(event: Event, participant: Participant, limit: int = 6) -> list[Suggestion]:
    return Matchmaker(event).suggest(participant.id, limit)

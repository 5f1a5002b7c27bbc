"""Suggested partners: who in an event's marketplace fits what a participant offers and seeks.

Every suggestion carries its reasons, and the order is built from nothing else: which of the participant's
opportunities meets which of the other's (an offer for a request, a partnership for a partnership, R&D for
R&D) and the words they share, the words their descriptions share, their sectors, and whether they can meet
within both working days. Words are weighted by how rare they are in the event (TF-IDF), so "battery
recycling" counts where "innovative solutions" does not.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from brokerage.events.models import Event, Opportunity, Participant, Slot
from brokerage.extensions import db
from brokerage.marketplace.working_hours import within_working_hours
from brokerage.meetings.models import Meeting, MeetingRequest

# What each kind of opportunity looks for on the other side. (An investment opportunity does not say who
# invests: the money words are stop words below, so two start-ups raising money meet only on their field.)
ANSWERS = {"tech_offer": "tech_request", "tech_request": "tech_offer", "business_offer": "business_request",
           "business_request": "business_offer", "partnership": "partnership", "rnd": "rnd", "investment": "investment"}
# Words that say nothing about what a company does: English at large, brokerage phrasing, the event's own
# regions, money and units.
STOPWORDS = frozenset("""
a able about across after all also an and any are as at be been being both bring but by can co could do
does each first for from had has have how if in into is it its keep make more most need needs new not of
on one or other our ours over per rather run should such than that the their them there these they this
those through to two under up us use used using very via was we well were what when where which while
who will with within without would year years you your
again against almost already although always among another around because before between either else
ever every few get gets got here however just least less many may might much must never now often once
only out own same several since so some still then therefore though thus too toward until upon whether yet
based business company companies cooperation develop developed developing development enterprise firm
innovative innovation interested looking market offer offers offering opportunity opportunities partner
partners partnership product products project provide provides request requests seek seeking seeks
service services solution solutions technology technologies technical want wants working
america american asia asian eu europe european global international japan japanese korea korean usa world
billion capital eur funding invest investment investor investors jpy krw million raise raising round series usd
venture agent agents agreement customer customers dealer dealers distribution distributor distributors licence
license licensing reseller resellers cm kg km kw kwh mm mw mwh gw
""".split())
TOKEN = re.compile(r"\w+(?:-\w+)*")  # compounds such as lithium-ion stay whole
# Japanese and Korean are written without spaces (or with particles attached): pairs of characters match
# there. Hiragana is left out: it carries grammar, and it separates the words around it.
CJK = re.compile(r"[\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
HIRAGANA = re.compile(r"[\u3040-\u309f]+")
SHOWN_WORDS = 4  # shared words named in a reason
FIT_MIN, ONE_WORD_FIT = 0.12, 0.4  # weaker than this is chance, not a fit


@lru_cache(maxsize=1 << 16)  # an event's profiles repeat their words many times over
def stem(word: str) -> str:
    """A light plural fold, enough to meet "batteries" with "battery" and "sensors" with "sensor"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1 << 15)  # profiles rarely change between page views: each text is read once
def words_of(text: str) -> dict[str, str]:
    """The words of a text that say something: {stem: the word as first written}. Do not change the result."""
    found: dict[str, str] = {}

    def add(word: str, shown: str | None = None) -> None:
        lower = word.lower()
        if lower in found or lower in STOPWORDS:
            return
        key = stem(lower)
        if key not in found and key not in STOPWORDS:  # "does" is no "doe"
            # Acronyms and the likes of SiC keep their capitals; "Recycling" in a title does not.
            found[key] = shown or (word if word[1:] != word[1:].lower() else lower)

    if not text.isascii():
        text = HIRAGANA.sub(" ", unicodedata.normalize("NFKC", text))
    for token in dict.fromkeys(TOKEN.findall(text)):  # each word once: texts repeat theirs
        if not token.isascii():
            for run in CJK.findall(token):
                for i in range(len(run) - 1):
                    add(run[i:i + 2], shown=run)
            token = CJK.sub("", token).strip("-_")
        if len(token) < 2 or token.isdigit():
            continue
        if "-" not in token:
            if len(token) >= 3 or token.isupper():
                add(token)
            continue
        add(token)
        for part in token.split("-"):
            if (len(part) >= 4 or (part.isupper() and len(part) > 1)) and not part.isdigit():
                add(part)
    return found


@dataclass
class Fit:
    """One of the participant's opportunities that meets one of the other's."""

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
    timezone: str  # "" if this machine cannot read it
    meetable_slots: int | None  # event slots within both working days; None: no slots yet, or a zone unread
    fit: Fit | None
    shared_sectors: list[str]
    description_words: list[str] = field(default_factory=list)  # shared by the descriptions, when there is no fit
    score: float = 0.0


@dataclass
class _Profile:
    id: int
    organisation: str
    country: str
    timezone: str
    sectors: frozenset[str]
    about: dict[str, str]  # words of the description
    opportunities: list[tuple[str, str, dict[str, str]]]  # (kind, title, words)

    @property
    def words(self) -> set[str]:
        return set(self.about).union(*(words for _, _, words in self.opportunities))

    def same_organisation(self, other: _Profile) -> bool:
        """Two contacts of one organisation, by name. (Not by mail domain: organisers may register people
        with addresses of their own, and a cluster's members may share its domain.)"""
        return " ".join(self.organisation.casefold().split()) == " ".join(other.organisation.casefold().split())


class _Weights:
    """Inverse document frequency over the event's profiles: a word many participants use weighs little, and
    one in more than a third of the profiles of a sizeable event ("customers", the organisers' own phrasing) says
    nothing about a pair and is left out."""

    COMMON_SHARE, SIZEABLE = 1 / 3, 20

    def __init__(self, profiles: list[_Profile]):
        counts = Counter(word for p in profiles for word in p.words)
        total = len(profiles)
        self.idf = {word: math.log((total + 1) / (n + 1)) + 1 for word, n in counts.items()
                    if total < self.SIZEABLE or n <= self.COMMON_SHARE * total}

    def similarity(self, a: dict[str, str], b: dict[str, str]) -> tuple[float, list[str]]:
        """Cosine of the two word sets (IDF-weighted), and the shared words as `a` writes them, rarest first."""
        a_keys, b_keys = a.keys() & self.idf.keys(), b.keys() & self.idf.keys()
        shared = a_keys & b_keys
        if not shared:
            return 0.0, []
        norm = math.sqrt(sum(self.idf[w] ** 2 for w in a_keys)) * math.sqrt(sum(self.idf[w] ** 2 for w in b_keys))
        written = list(dict.fromkeys(a[w] for w in sorted(shared, key=lambda w: (-self.idf[w], w))))
        return sum(self.idf[w] ** 2 for w in shared) / norm, written


def _profiles(event: Event) -> dict[int, _Profile]:
    """The approved participants' profiles as plain rows: no ORM objects, so large events stay fast."""
    approved = (Participant.event_id == event.id, Participant.status == "approved")
    opportunities: dict[int, list[tuple[str, str, dict[str, str]]]] = defaultdict(list)
    for pid, kind, title, keywords, description in db.session.execute(
            sa.select(Opportunity.participant_id, Opportunity.kind, Opportunity.title, Opportunity.keywords,
                      Opportunity.description)
            .join(Participant, Participant.id == Opportunity.participant_id).where(*approved)
            .order_by(Opportunity.id)):
        opportunities[pid].append((kind, title, words_of(f"{title}\n{keywords}\n{description}")))
    rows = db.session.execute(
        sa.select(Participant.id, Participant.organisation, Participant.country, Participant.timezone,
                  Participant.sectors, Participant.description).where(*approved).order_by(Participant.id))
    return {pid: _Profile(pid, organisation, country, zone, frozenset(s for s in sectors.split(",") if s),
                          words_of(description), opportunities[pid])
            for pid, organisation, country, zone, sectors, description in rows}


def _working_slots(slots: list[Slot], zones: set[str]) -> dict[str, frozenset[int] | None]:
    """Each zone's event slots within its working day; None for a zone this machine's tz database lacks
    (dropped by an update, say), so that nobody else's page fails for it."""
    def working(zone: str) -> frozenset[int] | None:
        try:
            return frozenset(s.id for s in slots if within_working_hours(s, zone))
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            return None
    return {zone: working(zone) for zone in zones}


class Matchmaker:
    """One event's profiles, word weights and working hours, loaded once to suggest partners to many people."""

    def __init__(self, event: Event):
        self.profiles = _profiles(event)
        self.weights = _Weights(list(self.profiles.values()))
        slots = db.session.scalars(sa.select(Slot).where(Slot.event_id == event.id)).all()
        self.has_slots = bool(slots)
        self.working = _working_slots(slots, {p.timezone for p in self.profiles.values()})
        self.full: set[int] = set()  # at the organisers' meeting limit: they cannot take one more
        if event.max_meetings is not None:  # counted as booking counts it: meetings that stand, partner approved
            agreed = Counter()
            for pair in db.session.execute(sa.select(MeetingRequest.requester_id, MeetingRequest.recipient_id)
                                           .join(Meeting, Meeting.request_id == MeetingRequest.id)
                                           .where(MeetingRequest.event_id == event.id, Meeting.cancelled.is_(False),
                                                  MeetingRequest.status == "accepted")):
                if all(pid in self.profiles for pid in pair):
                    agreed.update(pair)
            self.full = {pid for pid, n in agreed.items() if n >= event.max_meetings}

    def suggest(self, participant_id: int, limit: int = 6) -> list[Suggestion]:
        """The best partners among the approved participants `participant_id` has not asked yet (none if they
        are not approved or cannot take another meeting), best first."""
        me = self.profiles.get(participant_id)
        if me is None or participant_id in self.full:
            return []
        skip = _already_asked(participant_id) | self.full | {participant_id}
        found = [s for other in self.profiles.values() if other.id not in skip and not me.same_organisation(other)
                 if (s := self._match(me, other)) is not None]
        found.sort(key=lambda s: (-s.score, -(s.meetable_slots or 0), s.organisation.casefold(), s.participant_id))
        return found[:limit]

    def _match(self, me: _Profile, other: _Profile) -> Suggestion | None:
        best: tuple[float, Fit] | None = None
        for mine_kind, mine_title, mine_words in me.opportunities:
            for theirs_kind, theirs_title, theirs_words in other.opportunities:
                if ANSWERS.get(mine_kind) != theirs_kind:
                    continue
                similarity, shared = self.weights.similarity(mine_words, theirs_words)
                # One shared word makes a fit only where it carries much of two short texts.
                if (similarity >= FIT_MIN and (len(shared) > 1 or similarity >= ONE_WORD_FIT)
                        and (best is None or similarity > best[0])):
                    best = similarity, Fit(mine_kind, mine_title, theirs_kind, theirs_title, shared[:SHOWN_WORDS])
        sectors = sorted(me.sectors & other.sectors)
        related, description_words = self.weights.similarity(me.about, other.about)
        if related < FIT_MIN:
            related, description_words = 0.0, []
        if best is None and not description_words and not sectors:
            return None
        mine, theirs = self.working[me.timezone], self.working[other.timezone]
        meetable = len(mine & theirs) if self.has_slots and None not in (mine, theirs) else None
        # Fitting opportunities count most; similar descriptions less (they are as often competitors as
        # partners); sectors least, and at most two of them. Meeting outside office hours halves it all.
        score = (3 * best[0] if best else 0) + related + 0.3 * min(len(sectors), 2)
        if meetable == 0:
            score /= 2
        return Suggestion(other.id, other.organisation, other.country, other.timezone if theirs is not None else "",
                          meetable, best[1] if best else None, sectors,
                          [] if best else description_words[:SHOWN_WORDS], score)


def _already_asked(participant_id: int) -> set[int]:
    """Partners the participant has a request with, pending, agreed or declined: nothing to suggest there."""
    rows = db.session.execute(sa.select(MeetingRequest.requester_id, MeetingRequest.recipient_id).where(
        sa.or_(MeetingRequest.requester_id == participant_id, MeetingRequest.recipient_id == participant_id),
        MeetingRequest.status.in_(("pending", "accepted", "declined"))))
    return {other for pair in rows for other in pair} - {participant_id}


def suggestions(event: Event, participant: Participant, limit: int = 6) -> list[Suggestion]:
    return Matchmaker(event).suggest(participant.id, limit)

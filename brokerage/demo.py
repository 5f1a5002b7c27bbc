"""`flask demo`: a believable virtual brokerage event to explore, schedule and report on.

Seeded, so every run builds the same event. Profiles are assembled from building blocks (places,
name parts, technologies, sentences) rather than lorem ipsum. Availability follows each
participant's local business hours; a request is accepted only while a slot remains that both
sides can use, so the accepted meetings always have a feasible timetable for the scheduler.
"""
from __future__ import annotations

import random
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import current_app, url_for
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from brokerage import timeutil
from brokerage.accounts.models import User
from brokerage.cli import OneLineCommand
from brokerage.events.models import SECTORS, Availability, Event, EventOrganiser, MeetingWindow, Opportunity, Participant
from brokerage.events.slots import rebuild_slots
from brokerage.extensions import db
from brokerage.meetings.models import Meeting, MeetingRequest
from brokerage.regions import region_of

SLUG = "eu-japan-korea-us-deep-tech-2027"
NAME = "EU–Japan–Korea–US Deep-Tech Brokerage"
PASSWORD = "brokerage-demo-2027"
SEED = 2027
DAYS = (date(2027, 3, 16), date(2027, 3, 17))  # US already on summer time, Europe not yet
# (label, UTC start, hours): each window bridges two regions' business hours.
WINDOWS = (("Asia–Europe", time(7), 3), ("Europe–Americas", time(14), 3), ("Americas–Asia", time(22), 3))
ROOMS = 20
MAX_MEETINGS = 10

# (email, name, role, city) for the printed logins; participants are placed in their city below.
ORGANISER = ("organiser@demo.example", "Sophie Lambert", "Enterprise Europe Network – Brussels")
CO_ORGANISER = ("partner.japan@demo.example", "Yuki Tanaka", "Enterprise Europe Network – Japan")
LOGIN_PARTICIPANTS = {"Paris": ("paris@demo.example", "Claire Martin"), "New York": ("newyork@demo.example", "Daniel Brooks"),
                      "Tokyo": ("tokyo@demo.example", "Haruka Sato"), "Seoul": ("seoul@demo.example", "Ji-woo Park")}

# country: (participants, cities, time zone, legal forms, language)
EUROPE = {
    "FR": (6, ["Paris", "Lyon", "Grenoble", "Toulouse", "Nantes", "Sophia Antipolis"], "Europe/Paris", ["SAS", "SA"], "French"),
    "DE": (6, ["Munich", "Stuttgart", "Dresden", "Berlin", "Aachen", "Hamburg"], "Europe/Berlin", ["GmbH", "AG"], "German"),
    "ES": (3, ["Barcelona", "Bilbao", "Valencia"], "Europe/Madrid", ["S.L.", "S.A."], "Spanish"),
    "IT": (4, ["Turin", "Milan", "Bologna", "Pisa"], "Europe/Rome", ["S.r.l.", "S.p.A."], "Italian"),
    "NL": (3, ["Eindhoven", "Delft", "Groningen"], "Europe/Amsterdam", ["B.V."], "Dutch"),
    "BE": (2, ["Leuven", "Ghent"], "Europe/Brussels", ["NV", "SRL"], "Dutch, French"),
    "AT": (2, ["Graz", "Linz"], "Europe/Vienna", ["GmbH"], "German"),
    "PL": (2, ["Wrocław", "Kraków"], "Europe/Warsaw", ["Sp. z o.o."], "Polish"),
    "CZ": (2, ["Brno", "Prague"], "Europe/Prague", ["s.r.o."], "Czech"),
    "SE": (2, ["Gothenburg", "Lund"], "Europe/Stockholm", ["AB"], "Swedish"),
    "FI": (2, ["Tampere", "Oulu"], "Europe/Helsinki", ["Oy"], "Finnish"),
    "DK": (1, ["Aarhus"], "Europe/Copenhagen", ["A/S", "ApS"], "Danish"),
    "PT": (2, ["Porto", "Aveiro"], "Europe/Lisbon", ["Lda."], "Portuguese"),
    "IE": (1, ["Cork"], "Europe/Dublin", ["Ltd"], ""),
    "GR": (2, ["Thessaloniki", "Patras"], "Europe/Athens", ["S.A.", "P.C."], "Greek"),
    "SI": (1, ["Ljubljana"], "Europe/Ljubljana", ["d.o.o."], "Slovenian"),
    "HU": (1, ["Budapest"], "Europe/Budapest", ["Kft."], "Hungarian"),
    "RO": (1, ["Cluj-Napoca"], "Europe/Bucharest", ["S.R.L."], "Romanian"),
    "EE": (1, ["Tallinn"], "Europe/Tallinn", ["OÜ"], "Estonian"),
    "LT": (1, ["Vilnius"], "Europe/Vilnius", ["UAB"], "Lithuanian"),
}
# (city, time zone): East and West coast, and between.
US_CITIES = [("New York", "America/New_York")] * 3 + [("Boston", "America/New_York")] * 2 + [
    ("Pittsburgh", "America/New_York"), ("Raleigh", "America/New_York"), ("Chicago", "America/Chicago"),
    ("Austin", "America/Chicago"), ("Austin", "America/Chicago"), ("Denver", "America/Denver"),
    ("San Francisco", "America/Los_Angeles"), ("San Francisco", "America/Los_Angeles"),
    ("San Diego", "America/Los_Angeles"), ("Seattle", "America/Los_Angeles")]
JP_CITIES = ["Tokyo", "Tokyo", "Tokyo", "Osaka", "Osaka", "Kyoto", "Nagoya", "Fukuoka", "Sendai", "Tsukuba"]
KR_CITIES = ["Seoul", "Seoul", "Seoul", "Daejeon", "Daejeon", "Pangyo", "Busan", "Incheon", "Daegu", "Gwangju"]

# Invented brand roots per region, each used once.
ROOTS = {
    "EU": ["Lumora", "Vitrea", "Kinetiq", "Aerolis", "Sensora", "Fotonix", "Quantia", "Cellvia", "Hydrion", "Terravolt",
           "Novalink", "Ortelia", "Velmar", "Cynapse", "Astrada", "Zenoptic", "Polaris", "Boreal", "Oxalis", "Silvent",
           "Kalmar", "Tessera", "Nerion", "Lysander", "Aurelia", "Magnetar", "Virelia", "Torvik", "Helion", "Mirasol",
           "Greyfield", "Altamira", "Corvina", "Delphis", "Eldora", "Fenwick", "Glacia", "Isola", "Jadeite", "Kestrel",
           "Lindgren", "Marisol", "Nordhavn", "Ostara", "Pellucid", "Rhenova", "Solvane", "Tamaris"],
    "US": ["Bayview", "Cascade", "Redwood", "Lakeshore", "Granite", "Summit", "Harbor", "Mesa", "Keystone", "Prairie",
           "Blue Ridge", "Tidewater", "Ironwood", "Sierra", "Beacon", "Northstar", "Palisade"],
    "JP": ["Hokuto", "Sakura", "Mirai", "Kaze", "Hikari", "Takumi", "Asahi", "Tsubasa", "Kiseki", "Yamabuki", "Shinsei",
           "Hayate"],
    "KR": ["Hanbit", "Saebom", "Daon", "Nuri", "Haneul", "Arum", "Gaon", "Bitna", "Sora", "Dasom", "Mirae", "Seorin"],
}
LEGAL = {"US": ["Inc.", "LLC", "Corp."], "JP": ["Co., Ltd.", "K.K.", "Inc."], "KR": ["Co., Ltd.", "Inc.", "Corp."]}
PEOPLE = {
    "FR": ("Camille Thomas Julien Lucie Antoine Manon Hugo Élodie", "Bernard Dubois Laurent Moreau Girard Lefèvre Fournier Mercier"),
    "DE": ("Lukas Anna Felix Lena Jonas Miriam Tobias Katrin", "Müller Schmidt Wagner Becker Hoffmann Schulz Krüger Braun"),
    "ES": ("Lucía Javier Marta Pablo", "García Fernández López Martínez"),
    "IT": ("Giulia Marco Chiara Luca", "Rossi Bianchi Romano Colombo"),
    "NL": ("Sanne Daan Femke Bram", "Jansen Bakker Visser Smit"),
    "BE": ("Elise Pieter Margaux", "Peeters Janssens Lambert"),
    "AT": ("Katharina Florian", "Gruber Huber"), "PL": ("Agnieszka Piotr", "Nowak Kowalski"),
    "CZ": ("Tereza Jakub", "Novák Dvořák"), "SE": ("Elin Oskar", "Lindqvist Berg"), "FI": ("Aino Mikko", "Virtanen Korhonen"),
    "DK": ("Freja Mads", "Nielsen Holm"), "PT": ("Inês João", "Silva Ferreira"), "IE": ("Aoife Cian", "Murphy O'Brien"),
    "GR": ("Eleni Nikos", "Papadopoulos Georgiou"), "SI": ("Maja Luka", "Novak Kranjc"), "HU": ("Zsófia Bence", "Nagy Kovács"),
    "RO": ("Ioana Andrei", "Popescu Ionescu"), "EE": ("Kadri Martin", "Tamm Saar"), "LT": ("Rūta Tomas", "Kazlauskas Petrauskas"),
    "US": ("Emily Michael Sarah David Jessica Ryan Megan Carlos Priya Kevin Laura Jason", "Johnson Miller Davis Garcia Chen Patel Nguyen Walker Reed Foster Hughes Ortiz"),
    "JP": ("Takashi Yuko Kenji Aiko Hiroshi Mai Daisuke Naoko", "Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato"),
    "KR": ("Min-jun Seo-yeon Ji-hoon Ha-eun Hyun-woo Soo-ah Dong-hyun Eun-ji", "Kim Lee Choi Jung Kang Cho Yoon Jang"),
}
# sector: (words for names, field for research names, technologies offered, technologies sought)
SECTOR_BLOCKS = {
    "ai": (["Analytics", "Vision", "AI", "Data Labs"], "Machine Learning",
           ["Computer-vision quality inspection for small-batch production", "Federated learning platform for hospital data",
            "Predictive-maintenance models for rotating machinery", "Edge AI inference on low-power microcontrollers",
            "Speech analytics for Japanese, Korean and European languages"],
           ["Annotated industrial image data for defect detection", "GDPR-compliant cloud hosting for AI models",
            "Pilot customers in automotive manufacturing for AI inspection"]),
    "agrifood": (["AgriTech", "Harvest Systems", "Food Tech"], "Food Science",
                 ["Hyperspectral crop-stress sensing from drones", "Precision fermentation of dairy proteins",
                  "Vertical-farming LED recipes for leafy greens", "Edible coatings that extend the shelf life of fresh produce"],
                 ["Distribution partner for plant-based ingredients", "Low-cost soil sensors for smallholder farms",
                  "Co-development of alternative-protein texturisation"]),
    "automotive": (["Mobility", "Drive Systems", "EV Systems"], "Vehicle Engineering",
                   ["Thermal management for solid-state battery packs", "V2X communication stack for connected vehicles",
                    "Lightweight composite body panels for electric vehicles", "Driver-monitoring camera software"],
                   ["Tier-1 partner to industrialise a battery management system", "Silicon-carbide power modules for 800 V drivetrains",
                    "Test data for automated-driving validation"]),
    "biotech": (["Biologics", "Therapeutics", "Genomics"], "Molecular Biology",
                ["Organ-on-chip models for liver toxicity testing", "Lipid nanoparticles for mRNA delivery",
                 "CRISPR-based functional screening services", "Microbiome analytics for gut health"],
                ["Licensing partner for a preclinical oncology antibody", "Contract manufacturing for cell-therapy batches",
                 "Clinical-trial partner in Asia"]),
    "cleantech": (["Energy", "Hydrogen", "Power Systems"], "Energy Systems",
                  ["PEM electrolyser stacks for green hydrogen", "Second-life battery storage for commercial buildings",
                   "Perovskite-silicon tandem solar cells", "Heat-pump controls for district heating"],
                  ["Industrial site to pilot hydrogen-fired process heat", "Recycling partner for lithium-ion cathode materials",
                   "Anchoring systems for floating offshore wind"]),
    "ict": (["Software", "Networks", "Digital"], "Computer Science",
            ["Post-quantum cryptography library for embedded devices", "Digital-twin platform for factories",
             "Private 5G campus networks", "Low-code platform for supply-chain traceability"],
            ["System integrator for smart-city deployments", "Partner for ISO/SAE 21434 cybersecurity certification",
             "Resellers for an industrial IoT gateway"]),
    "manufacturing": (["Precision", "Automation", "Machining"], "Production Engineering",
                      ["Metal additive manufacturing of titanium parts", "Ultra-short-pulse laser micromachining",
                       "Vision-guided collaborative assembly cells", "In-line X-ray inspection of welds"],
                      ["Powder supplier for nickel-superalloy printing", "Automation of cable-harness assembly",
                       "Machine-tool builder for a joint retrofit offer"]),
    "materials": (["Materials", "Polymers", "Coatings"], "Materials Science",
                  ["Graphene-enhanced anticorrosion coatings", "Bio-based polymers from forestry residues",
                   "Self-healing concrete admixtures", "Recyclable thermoset composites"],
                  ["Scale-up partner for cellulose nanofibre production", "Marine test sites for protective coatings",
                   "Rare-earth-free magnet materials"]),
    "medtech": (["Medical", "Diagnostics", "MedTech"], "Biomedical Engineering",
                ["Wearable ECG patch with AI arrhythmia detection", "Point-of-care sepsis test with results in 20 minutes",
                 "Augmented-reality surgical navigation", "Microneedle patches for painless drug delivery"],
                ["Regulatory partner for an FDA 510(k) submission", "Distributor for diagnostic devices",
                 "Clinical validation partner for a remote-monitoring device"]),
    "robotics": (["Robotics", "Motion", "Robotic Systems"], "Robotics",
                 ["Autonomous mobile robots for hospital logistics", "Soft grippers for handling food",
                  "Passive exoskeleton for overhead assembly work", "Inspection crawlers for wind-turbine blades"],
                 ["Compact force-torque sensors", "Pilot warehouse for picking robots", "Robot-as-a-service financing partner"]),
    "semiconductors": (["Semiconductor", "Microsystems", "Photonics"], "Microelectronics",
                       ["GaN power transistors for fast chargers", "Silicon-photonics transceivers for data centres",
                        "MEMS microphones with on-chip noise cancelling", "Chiplet packaging and test services"],
                       ["Foundry access for 28 nm mixed-signal designs", "Design partner for RISC-V edge processors",
                        "Wafer-level test equipment"]),
    "space": (["Space", "Aerospace", "Orbital"], "Space Systems",
              ["Star trackers for CubeSats", "Synthetic-aperture radar data analytics",
               "Electric propulsion for small satellites", "Radiation-hardened onboard computers"],
              ["Launch opportunity for a 12U CubeSat", "Ground-station access in Asia-Pacific",
               "Earth-observation data for precision agriculture"]),
}
REGION_LABEL = {"EU": "Europe", "US": "the US", "JP": "Japan", "KR": "Korea"}
MATURITY = ["Validated in an industrial pilot (TRL 7).", "Prototype tested in the laboratory (TRL 5).",
            "On the market in {home} since {year}.", "Demonstrated in an operational environment (TRL 6) with two customers."]
ADVANTAGES = ["Compared with current solutions it cuts operating costs by about {p}%.",
              "Standard interfaces keep integration to days rather than weeks.",
              "Designed for small production volumes and fast changeovers.",
              "Certified for use in {home}; documentation in English."]
TERMS = ["a licence agreement", "a commercial agreement with technical assistance", "joint further development",
         "a research cooperation agreement", "a manufacturing agreement"]
PROOF = ["Our systems run at {k} customer sites in {m} countries.", "We hold {k} granted patents in this field.",
         "Spun out of a university {field} group, we now run our own application laboratory.",
         "We have just finished a three-year {programme} project with partners from {m} countries.",
         "Our team combines {field} research with many years of industrial project work.",
         "In {recent} we won our first framework contract with a large {customer} customer."]
PROGRAMMES = ["Horizon Europe", "Eureka", "Eurostars", "national innovation agency", "EIC Accelerator"]
CUSTOMERS = ["automotive", "energy", "healthcare", "electronics", "logistics", "chemicals", "food"]
AIMS = ["joint development", "licensing", "a first pilot customer", "distribution agreements",
        "co-funded R&D (Eureka Globalstars, Horizon Europe)", "technology scouting"]
OPENERS = ["Your profile mentions {their}; this matches our work on {mine}.",
           "We read about {their} and think it complements {mine}.",
           "We are looking into {their} for our customers and offer {mine}.",
           "Our EEN adviser pointed us to your work on {their}; we develop {mine}."]
CLOSERS = ["Could we discuss {aim}?", "Would you be open to exploring {aim}?", "We would like to talk about {aim}.",
           "Happy to present our roadmap and discuss {aim}."]


def _lower_first(text: str) -> str:
    # "GaN power transistors" and "PEM electrolyser stacks" keep their capitals.
    first = text.split()[0].split("-")[0]
    return text[0].lower() + text[1:] if first[1:].islower() else text


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and (c.isalnum() or c in " -")).strip()


class Builder:
    """Builds the demo event in the current session, drawing everything from one seeded generator."""

    def __init__(self, organiser: User, co_organiser: User, password_hash: str):
        self.rng = random.Random(SEED)
        self.organiser, self.co_organiser, self.password_hash = organiser, co_organiser, password_hash
        self.roots = {region: self.rng.sample(names, len(names)) for region, names in ROOTS.items()}
        self.used_emails: set[str] = set()
        self.used_names: set[str] = set()
        self.focus: dict[Participant, str] = {}

    def build(self) -> Event:
        event = self._event()
        people = self._places()
        sectors = [key for key, _ in SECTORS]
        self.rng.shuffle(sectors)
        participants = [self._participant(event, i, sectors[i % len(sectors)], *place) for i, place in enumerate(people)]
        for participant in participants[-3:]:
            participant.status = "pending"  # late registrations for the organisers to approve
        db.session.add_all(participants)
        db.session.flush()
        slots = self._availability(event, participants)
        approved = [p for p in participants if p.status == "approved"]
        self._requests(event, approved, slots)
        return event

    def _event(self) -> Event:
        tz = "Europe/Brussels"
        event = Event(
            slug=SLUG, name=NAME, timezone=tz, start_date=DAYS[0], end_date=DAYS[-1], slot_minutes=20, pause_minutes=5,
            room_capacity=ROOMS, max_meetings=MAX_MEETINGS, max_pending_requests=10, created_by_id=self.organiser.id,
            opened_at=timeutil.now_utc(), registration_deadline=timeutil.local_to_utc(date(2027, 3, 5), time(17), tz),
            booking_deadline=timeutil.local_to_utc(date(2027, 3, 12), time(17), tz),
            description=(
                "Two days of online one-to-one meetings between European SMEs and research organisations and "
                "technology developers from the United States, Japan and Korea, organised by Enterprise Europe Network "
                "partners. Meetings run in three daily windows so that everyone meets within their own working day: "
                "Asia–Europe (European morning, Asian late afternoon), Europe–Americas (European afternoon, American "
                "morning) and Americas–Asia (American afternoon, Asian morning of the next day). Mind the clocks: the "
                "US moved to summer time on 14 March, Europe only follows on 28 March."))
        event.organisers = [EventOrganiser(user_id=self.organiser.id, role="organiser", organisation=ORGANISER[2]),
                            EventOrganiser(user_id=self.co_organiser.id, role="co_organiser", organisation=CO_ORGANISER[2])]
        for day in DAYS:
            for label, start, hours in WINDOWS:
                begin = datetime.combine(day, start, tzinfo=timeutil.UTC)
                event.windows.append(MeetingWindow(label=label, start=begin, end=begin + timedelta(hours=hours)))
        db.session.add(event)
        db.session.flush()
        rebuild_slots(event)
        return event

    def _places(self) -> list[tuple[str, str, str]]:
        """(country, city, time zone) for every participant, the login participants' cities first."""
        places = []
        for country, (count, cities, tz, _, _) in EUROPE.items():
            places += [(country, cities[i % len(cities)], tz) for i in range(count)]
        places += [("US", city, tz) for city, tz in US_CITIES]
        places += [("JP", city, "Asia/Tokyo") for city in JP_CITIES] + [("KR", city, "Asia/Seoul") for city in KR_CITIES]
        self.rng.shuffle(places)
        for city in reversed(list(LOGIN_PARTICIPANTS)):
            places.insert(0, places.pop(next(i for i, p in enumerate(places) if p[1] == city)))
        # Three more registrations, still awaiting approval.
        places += [("IT", "Milan", "Europe/Rome"), ("US", "Boston", "America/New_York"), ("KR", "Seoul", "Asia/Seoul")]
        return places

    def _person(self, country: str) -> tuple[str, str]:
        firsts, lasts = (part.split() for part in PEOPLE[country])
        return self.rng.choice(firsts), self.rng.choice(lasts)

    def _organisation(self, region: str, country: str, city: str, kind: str, sector: str) -> tuple[str, str]:
        """(name, name without the legal form) of a not yet used organisation name."""
        rng = self.rng
        words, field, *_ = SECTOR_BLOCKS[sector]
        legal = rng.choice(EUROPE[country][3] if region == "EU" else LEGAL[region])
        while True:
            root = self.roots[region].pop()
            if kind == "research":
                brand, legal = rng.choice([f"{root} Institute for {field}", f"{city} Centre for {field}",
                                           f"{root} Research Centre"]), ""
            elif kind == "cluster":
                brand, legal = f"{city} {rng.choice(words)} Cluster", ""
            elif kind == "large":
                brand = f"{root} {rng.choice(['Industries', 'Group', 'Technologies'])}"
            elif rng.random() < 0.2 and region == "EU":
                brand = f"{city} {rng.choice(words)}"
            else:
                brand = f"{root} {rng.choice(words)}"
            if brand not in self.used_names:
                self.used_names.add(brand)
                return f"{brand} {legal}".strip(), brand

    def _participant(self, event: Event, index: int, sector: str, country: str, city: str, tz: str) -> Participant:
        rng = self.rng
        region = region_of(country)
        kind = rng.choices(["sme", "large", "research", "cluster"],
                           [70, 8, 17, 5] if region == "EU" else [55, 25, 20, 0])[0]
        if index < len(LOGIN_PARTICIPANTS):
            kind = "sme"
        sectors = [sector] + ([rng.choice([s for s in SECTOR_BLOCKS if s != sector])] if rng.random() < 0.35 else [])
        organisation, brand = self._organisation(region, country, city, kind, sector)
        techs = rng.sample(SECTOR_BLOCKS[sector][2], 2)  # what the organisation is known for
        domain = "-".join(_ascii(brand).lower().split()) + ".example"
        first, last = self._person(country)
        email, name = LOGIN_PARTICIPANTS.get(city) if city in LOGIN_PARTICIPANTS and index < len(LOGIN_PARTICIPANTS) \
            else (f"{_ascii(first).lower().replace(' ', '')}.{_ascii(last).lower().replace(' ', '')}@{domain}", f"{first} {last}")
        user = self._user(email, name)
        language = EUROPE[country][4] if region == "EU" else {"US": "", "JP": "Japanese", "KR": "Korean"}[region]
        participant = Participant(
            event=event, user=user, status="approved", organisation=organisation, country=country,
            organisation_type=kind, sectors=",".join(sectors), website=f"https://www.{domain}",
            description=self._description(organisation, region, city, kind, sectors, techs),
            languages=", ".join(filter(None, ["English", language])), timezone=tz,
            support_office=f"Enterprise Europe Network – {'Japan' if region == 'JP' else 'Korea' if region == 'KR' else 'United States' if region == 'US' else dict(timeutil.country_choices())[country]}")
        participant.opportunities = self._opportunities(region, city, kind, sectors, techs)
        self.focus[participant] = techs[0]
        db.session.add(participant)
        return participant

    def _user(self, email: str, name: str) -> User:
        while email in self.used_emails:  # two people of the same name at one organisation
            email = email.replace("@", "2@", 1)
        self.used_emails.add(email)
        return account(email, name, self.password_hash)

    def _description(self, organisation: str, region: str, city: str, kind: str, sectors: list[str],
                     techs: list[str]) -> str:
        rng = self.rng
        field = SECTOR_BLOCKS[sectors[0]][1]
        staff = rng.choice([12, 18, 25, 34, 40, 55, 80])
        intro = {
            "sme": f"{organisation} is {'an' if staff in (18, 80) else 'a'} {staff}-person company from {city}, founded in {rng.randint(2008, 2021)}.",
            "large": f"{organisation} is an industrial group headquartered in {city} with {rng.choice([1200, 2600, 4800, 9500]):,} employees worldwide.",
            "research": f"{organisation} is a publicly funded research organisation in {city} with {rng.choice([60, 120, 240])} researchers in {field.lower()}.",
            "cluster": f"{organisation} brings together {rng.choice([45, 80, 130])} companies and research groups from the {city} region.",
        }[kind]
        core = f"Core technologies: {_lower_first(techs[0])}; {_lower_first(techs[1])}."
        proof = rng.choice(PROOF).format(k=rng.randint(3, 40), m=rng.randint(3, 12), field=field.lower(),
                                         programme=rng.choice(PROGRAMMES),
                                         recent=rng.choice([2024, 2025, 2026]), customer=rng.choice(CUSTOMERS))
        targets = [name for code, name in REGION_LABEL.items() if code != region]
        chosen = rng.sample(targets, rng.choice([1, 2]))
        aims = " and ".join(rng.sample(AIMS, 2))
        goal = {
            "EU": f"At this event we want to meet technology holders in {' and '.join(chosen)} for {aims}.",
            "US": f"We are looking for partners in {' and '.join(chosen)} for {aims}, and for a route into the EU market.",
            "JP": f"We are seeking partners in {' and '.join(chosen)} for {aims}; our team meets in English and Japanese.",
            "KR": f"We would like to meet partners in {' and '.join(chosen)} for {aims}, with the support of our regional technopark.",
        }[region]
        return " ".join([intro, core, proof, goal])

    def _opportunities(self, region: str, city: str, kind: str, sectors: list[str], techs: list[str]) -> list[Opportunity]:
        rng = self.rng
        needs = SECTOR_BLOCKS[sectors[0]][3]
        kinds = rng.sample(["tech_offer", "tech_request", "rnd", "business_offer"] if region == "EU"
                           else ["tech_offer", "tech_offer", "business_request", "investment" if region == "US" else "rnd"],
                           rng.choice([1, 2, 2, 3]))
        kinds = ["tech_offer"] + [k for k in kinds if k != "tech_offer"][:2] if region != "EU" else kinds
        if kind in ("research", "cluster"):  # institutes offer and co-develop; clusters scout and broker
            kinds = rng.sample(["tech_offer", "rnd"] if kind == "research" else ["tech_request", "partnership"], rng.choice([1, 2]))
        home = REGION_LABEL[region] if region != "EU" else "Europe"
        markets = [name for code, name in REGION_LABEL.items() if code != region]
        result = []
        offer, need = techs[0], rng.choice(needs)
        for kind in dict.fromkeys(kinds):
            if kind == "tech_offer":
                title = offer
                text = (f"{rng.choice(MATURITY).format(home=home, year=rng.randint(2019, 2025))} "
                        f"{rng.choice(ADVANTAGES).format(p=rng.choice([15, 20, 30, 40]), home=home)} "
                        f"We offer {rng.choice(TERMS)} to partners in {rng.choice(markets)}.")
            elif kind == "tech_request":
                title = need
                text = (f"We are looking for: {_lower_first(need)}. The partner should have industrial experience and "
                        f"capacity for a first project in {rng.choice(['2027', 'the second half of 2027', '2028'])}.")
            elif kind == "rnd":
                title = f"Joint R&D on {_lower_first(techs[1])}"
                text = (f"Partners sought for a {rng.choice(['Eureka Globalstars', 'Horizon Europe', 'bilateral'])} "
                        f"proposal; we bring test facilities in {city} and {rng.randint(2, 6)} researchers.")
            elif kind == "business_offer":
                market = rng.choice(markets)
                title = f"Distribution partners in {market} for {_lower_first(offer)}"
                text = f"We seek distributors or integrators with customers in {market}, able to provide local support."
            elif kind == "business_request":
                market = rng.choice(markets)
                title = f"Suppliers of {_lower_first(need)} for the {home} market"
                text = (f"We distribute in {home} and seek suppliers from {market} to add to our range, with "
                        "technical support in English.")
            elif kind == "partnership":
                market = rng.choice(markets)
                title = f"Cluster cooperation with {market}"
                text = f"We bring our members to joint missions and projects with clusters and companies in {market}."
            else:
                title = f"Series A investment to scale {_lower_first(offer)}"
                text = f"Raising USD {rng.choice([4, 6, 8, 12])} million to industrialise production and open a European office."
            result.append(Opportunity(kind=kind, title=title[:160], description=text,
                                      keywords=", ".join(dict.fromkeys(SECTOR_BLOCKS[s][1].lower() for s in sectors))))
        return result

    def _availability(self, event: Event, participants: list[Participant]) -> dict[int, set[int]]:
        """Slots inside each participant's local business hours, 09:00–18:00, some narrower or on one day only."""
        rng = self.rng
        local_days = [DAYS[0] - timedelta(days=1), *DAYS, DAYS[-1] + timedelta(days=1)]
        free: dict[int, set[int]] = {}

        def fitting(tz: str, days: list[date], start: time, end: time) -> set[int]:
            hours = [timeutil.working_hours_utc(day, tz, start, end) for day in days]
            return {s.id for s in event.slots if any(a <= s.start and s.end <= b for a, b in hours)}

        for p in participants:
            start, end = time(9), time(18)
            roll = rng.random()
            if roll < 0.15:
                start = time(10)
            elif roll < 0.25:
                end = time(17)
            elif roll < 0.3:
                start, end = time(10), time(16)
            away = rng.choice(DAYS) if rng.random() < 0.1 else None  # busy on one day
            days = [d for d in local_days if d != away]
            free[p.id] = fitting(p.timezone, days, start, end)
            if len(free[p.id]) < 4:  # narrower hours would leave an Asian participant next to nothing
                free[p.id] = fitting(p.timezone, local_days, time(9), time(18))
            db.session.add_all(Availability(participant_id=p.id, slot_id=slot_id) for slot_id in sorted(free[p.id]))
        return free

    def _requests(self, event: Event, participants: list[Participant], free: dict[int, set[int]]) -> None:
        """Mostly cross-region requests to popular partners with shared hours; accepted only while a timetable still fits."""
        rng = self.rng
        logins = participants[:len(LOGIN_PARTICIPANTS)]
        popularity = {p.id: 1 / (rank + 3) ** 0.9 for rank, p in enumerate(rng.sample(participants, len(participants)))}
        for i, p in enumerate(logins):
            popularity[p.id] = 1 / (i + 4) ** 0.9  # the demo accounts have something to look at
        busy: dict[int, set[int]] = defaultdict(set)  # a feasible timetable, built greedily, never stored
        rooms: Counter = Counter()
        paired: set[frozenset] = set()
        accepted_count: Counter = Counter()

        def room_for(p: Participant) -> int:
            # The demo accounts keep two meetings free, so whoever tries them can still book one.
            return MAX_MEETINGS - (2 if p in logins else 0)

        def place(a: Participant, b: Participant) -> bool:
            if accepted_count[a.id] >= room_for(a) or accepted_count[b.id] >= room_for(b):
                return False
            options = sorted((free[a.id] & free[b.id]) - busy[a.id] - busy[b.id])
            slot = next((s for s in options if rooms[s] < ROOMS), None)
            if slot is None:
                return False
            for person in (a, b):
                busy[person.id].add(slot)
                accepted_count[person.id] += 1
            rooms[slot] += 1
            return True

        def send(requester: Participant, recipient: Participant, status: str) -> None:
            paired.add(frozenset((requester.id, recipient.id)))
            if status == "accepted" and not place(requester, recipient):
                status = "pending" if rng.random() < 0.6 else "declined"
            mine, theirs = self.focus[requester], self.focus[recipient]
            message = " ".join([rng.choice(OPENERS).format(their=_lower_first(theirs), mine=_lower_first(mine)),
                                rng.choice(CLOSERS).format(aim=rng.choice(AIMS))])
            # Requests trickle in over the weeks before the event; answers follow within a few days.
            sent = timeutil.now_utc() - timedelta(hours=rng.randint(6, 21 * 24))
            answered = None if status == "pending" else min(sent + timedelta(hours=rng.randint(1, 72)),
                                                            timeutil.now_utc())
            request = MeetingRequest(event_id=event.id, requester=requester, recipient=recipient, message=message,
                                     status=status, created_at=sent, responded_at=answered)
            db.session.add(request)
            if status == "accepted":
                db.session.add(Meeting(event_id=event.id, request=request))

        def candidates(p: Participant) -> list[Participant]:
            return [q for q in participants if q is not p and frozenset((p.id, q.id)) not in paired
                    and len(free[p.id] & free[q.id]) >= 2]

        order = rng.sample(participants, len(participants))
        for p in order:
            wanted = 5 if p in logins else rng.choice([1, 2, 3, 3, 4, 4, 5, 6])
            for _ in range(wanted):
                pool = candidates(p)
                if not pool:
                    break
                # Platforms show shared hours, so people favour partners they can actually meet.
                weights = [popularity[q.id] * (6 if q.region != p.region else 1) * min(len(free[p.id] & free[q.id]), 8)
                           * (3 if set(q.sector_list) & set(p.sector_list) else 1) for q in pool]
                q = rng.choices(pool, weights)[0]
                send(p, q, rng.choices(["accepted", "pending", "declined"], [66, 24, 10])[0])
        # Every demo account has requests waiting for its answer.
        for p in logins:
            pool = candidates(p)
            for q in rng.sample(pool, min(2, len(pool))):
                send(q, p, "pending")


def account(email: str, name: str, password_hash: str) -> User:
    """The demo user with this email, created if missing; a rebuilt demo keeps its accounts."""
    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
    user.password_hash = password_hash
    return user


def delete_event(event: Event) -> None:
    """Delete the event with every row that depends on it, including tables added after this was written."""
    def delete(table: sa.Table, condition) -> None:
        for other in db.metadata.sorted_tables:
            for fk in other.foreign_keys:
                if fk.column.table is table and other is not table:
                    delete(other, fk.parent.in_(sa.select(fk.column).where(condition)))
        db.session.execute(sa.delete(table).where(condition))

    table = Event.__table__
    delete(table, table.c.id == event.id)
    db.session.expire_all()


def _logins() -> str:
    lines = [f"Demo logins (password for all: {PASSWORD}):",
             f"  organiser      {ORGANISER[0]}", f"  co-organiser   {CO_ORGANISER[0]}"]
    lines += [f"  {f'participant, {city}':<26} {email}" for city, (email, _) in LOGIN_PARTICIPANTS.items()]
    return "\n".join(lines)


def _database_problem() -> str:
    """Why the demo cannot read the database: no connection at all, or no tables yet."""
    try:
        with db.engine.connect():
            pass
    except sa.exc.SQLAlchemyError as failure:
        reason = (str(getattr(failure, "orig", failure)).strip().splitlines() or ["unknown error"])[0]
        return f"Cannot reach the database: {reason}"
    return "The database has no schema yet: run `flask db upgrade` first."


@click.command("demo", cls=OneLineCommand)
@click.option("--reset", is_flag=True, help="Delete the demo event and build it again.")
@with_appcontext
def demo_command(reset: bool) -> None:
    """Build the demo event: ~80 organisations from Europe, the US, Japan and Korea, on 16–17 March 2027."""
    try:
        existing = db.session.scalar(db.select(Event).filter_by(slug=SLUG))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        click.echo(_database_problem(), err=True)
        raise SystemExit(2)
    if existing and not reset:
        click.echo(f"The demo event exists already (/events/{SLUG}); nothing changed. "
                   "Run `flask demo --reset` to build it afresh.")
        click.echo(_logins())
        return
    if existing:
        delete_event(existing)
    password_hash = generate_password_hash(PASSWORD)  # hashing is slow: once for all demo accounts
    organiser, co_organiser = account(*ORGANISER[:2], password_hash), account(*CO_ORGANISER[:2], password_hash)
    organiser.may_create_events = True  # so a trial can create an event of its own too
    db.session.flush()
    event = Builder(organiser, co_organiser, password_hash).build()
    db.session.commit()
    approved = [p for p in event.participants if p.status == "approved"]
    regions = Counter(p.region for p in approved)
    statuses = Counter(db.session.scalars(db.select(MeetingRequest.status).filter_by(event_id=event.id)))
    with current_app.test_request_context():
        pages = f"{url_for('events.detail', slug=SLUG)}, organiser console {url_for('organiser.dashboard', slug=SLUG)}"
    click.echo(f"{'Rebuilt' if existing else 'Built'} the demo event “{NAME}” ({pages}): "
               f"{len(approved)} approved participants ({', '.join(f'{r} {n}' for r, n in sorted(regions.items()))}), "
               f"{len(event.participants) - len(approved)} awaiting approval, "
               f"{sum(statuses.values())} meeting requests ({statuses['accepted']} accepted, {statuses['pending']} pending, "
               f"{statuses['declined']} declined), {len(event.slots)} slots. The timetable is not scheduled yet: "
               "run the scheduler from the organiser console.")
    click.echo(_logins())

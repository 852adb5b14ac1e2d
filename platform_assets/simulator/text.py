"""Every string the simulator writes: fake identities and free-text event descriptions.

Descriptions are what a driver, dispatcher or mechanic would type, so downstream text models
(embeddings, topic search) have something real to learn: the topic of a note must fit its
event type, and the wording must vary enough that a model cannot key on a handful of fixed
strings. Each note is opener + body + closer, where the body may embed an `issue` clause picked
by topic; template parts are chosen with numpy and filled by Arrow's C++ string kernels, so
millions of rows take seconds and no Python loop touches individual event rows.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Grace", "Freya", "Emily", "Ella",
    "Sophie", "Chloe", "Poppy", "Evie", "Ruby", "Alice", "Hannah", "Zara", "Priya", "Aisha",
    "Maria", "Julia", "Nina", "Laura", "Sarah", "Helen", "Claire", "Fiona", "Joanna",
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Thomas",
    "James", "William", "Henry", "Samuel", "Daniel", "Adam", "Ravi", "Omar", "Mohammed", "Tomasz",
    "Lukas", "David", "Peter", "Michael", "Andrew", "Stephen", "Mark", "Paul", "Robert", "Ian",
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell",
    "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Morgan", "Moore", "Harris", "Martin",
    "Cooper", "Ward", "Turner", "Hughes", "Edwards", "Baker", "Hill", "King", "Scott", "Young",
    "Allen", "Carter", "Lee", "Novak", "Kowalski", "Murphy", "Kelly", "Walsh", "Byrne", "Shah",
    "Ali", "Begum", "Singh", "Fischer",
)
STREET_NAMES = (
    "Elm", "Oak", "Mill", "Church", "Station", "Victoria", "Park", "Queen", "King", "High",
    "Manor", "Chapel", "Meadow", "Orchard", "Willow", "Beech", "Ash", "Cedar", "Maple", "Holly",
    "Rose", "Primrose", "Bridge", "River", "Brook", "Spring", "Hill", "Valley", "Forest", "Grange",
    "Abbey", "Castle", "Market", "School", "Green", "Windmill", "Kingsway", "Albert", "York",
    "Cambridge", "Oxford", "Windsor", "Clarence", "Alexandra", "Highfield", "Fairfield",
    "Springfield", "Westfield", "Northgate", "Southgate", "Harbour", "Quarry", "Foxglove",
    "Heather", "Lavender", "Rowan", "Hawthorn", "Chestnut", "Sycamore", "Poplar",
)
STREET_SUFFIXES = (
    "Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Crescent", "Gardens", "Terrace",
)
TOWNS = (
    "Ashford", "Bramley", "Castleton", "Dunmore", "Eastbrook", "Fairhaven", "Glenbury",
    "Hartwell", "Ivybridge", "Kingsbury", "Langley", "Marlow", "Newbridge", "Oakham", "Penrith",
    "Queensferry", "Redhill", "Stanford", "Thornbury", "Upton", "Westbury", "Yarmouth",
    "Aldridge", "Bexley", "Carlton", "Denholm", "Elmstead", "Foxton", "Grantley", "Holbrook",
    "Kirkby", "Lydford", "Milton", "Norbury", "Otterton", "Pembury", "Ravensworth", "Selby",
    "Tilford", "Wickham",
)
TOWN_PREFIXES = ("", "North ", "South ", "East ", "West ", "Upper ", "Lower ", "Great ", "Little ")
ORG_SUFFIXES = (
    "Waste Services", "Environmental", "Recycling Co", "Collections Ltd", "Waste Management",
    "Clean Streets", "Resource Recovery", "Municipal Services",
)
EMAIL_DOMAINS = (
    "example.com", "example.org", "example.net", "mail.example.com", "post.example.org",
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
COMPLAINT_TOPICS = ("missed", "smell", "overflow", "lid", "crew", "billing")
VEHICLE_COMPONENTS = (
    "service", "brakes", "tyres", "hydraulics", "compactor", "engine", "electrical", "transmission",
)
MISS_CAUSES = ("operational", "vehicle")


@dataclass(frozen=True)
class NoteTemplates:
    """The parts of one event type's notes; `issues[topic]` fills the `{issue}` slot."""

    openers: tuple[str, ...]
    bodies: tuple[str, ...]
    closers: tuple[str, ...]
    issues: tuple[tuple[str, ...], ...] = ((),)


_PICKUP = NoteTemplates(
    openers=("", "Routine collection. ", "Scheduled {weekday} round. ", "Stop completed. ",
             "Collection done. ", "Normal service. ", "Lift OK. ", "On schedule. "),
    bodies=("Emptied the {cap} l {bin} bin at {street}",
            "Crew collected the {bin} bin ({cap} l) on {street}",
            "The {bin} container at {street} was lifted and emptied",
            "Picked up {weight} kg from the {cap} l {bin} bin on {street}",
            "Bin on {street} emptied, roughly {fill}% full",
            "Serviced the {cap} l {bin} bin at {street}, load weighed at {weight} kg"),
    closers=(".", ", no issues.", ", bin returned to the kerb.", ", lid closed after the lift.",
             ", fill level {fill}%.", ", weighed {weight} kg.", ", access was clear.",
             ", nothing to report."),
)
_MISSED = NoteTemplates(
    openers=("", "Missed stop. ", "Not collected. ", "Collection failed. ",
             "Skipped on the {weekday} round. ", "Driver report: ", "Route exception. ",
             "Service missed. "),
    bodies=("The {cap} l {bin} bin on {street} was not emptied",
            "Could not collect the {bin} bin at {street}",
            "Crew missed the {bin} container on {street}",
            "The {bin} bin at {street} was left full",
            "No lift recorded for the {cap} l {bin} bin on {street}",
            "Stop at {street} skipped"),
    closers=(", {issue}.", " because {issue}.", ". Reason given: {issue}.", " ({issue}).",
             ", driver noted that {issue}.", ". Cause: {issue}.", " as {issue}.",
             ". Dispatcher says {issue}."),
    issues=(
        ("the street was blocked by parked cars", "the bin was not put out", "the gate was locked",
         "roadworks closed the street", "the crew ran out of time", "the crew was short-staffed",
         "the bin was too heavy to lift safely", "a delivery van blocked access"),
        ("the truck broke down mid-route", "the vehicle was off the road for repairs",
         "no spare truck was available", "the lorry was in the workshop"),
    ),
)
_OVERFLOW = NoteTemplates(
    openers=("", "Customer report: ", "Overflow reported. ", "Resident called in. ", "App report: ",
             "Photo submitted. ", "Neighbour report: ", "Overflow alert. "),
    bodies=("The {bin} bin on {street} is overflowing",
            "The {cap} l {bin} bin at {street} is full to the brim",
            "Rubbish is piling up next to the {bin} bin on {street}",
            "Bin at {street} estimated {fill}% full with the lid forced open",
            "The {bin} container on {street} is overflowing onto the pavement",
            "Bags left beside the full {bin} bin at {street}"),
    closers=(".", ", please collect soon.", ", birds are tearing open the bags.",
             ", the lid will not close.", ", waiting for the next collection.",
             " since {weekday}.", ", it smells bad in the heat.", ", needs an extra pickup."),
)
_COMPLAINT = NoteTemplates(
    openers=("", "Customer complaint: ", "Complaint logged. ", "Called the helpdesk: ",
             "Email from customer: ", "Escalated complaint. ", "Unhappy customer. ",
             "Formal complaint. "),
    bodies=("Customer says {issue}", "Resident on {street} complains that {issue}",
            "Reports that {issue}", "Caller from {street} is upset because {issue}",
            "Customer states that {issue}", "Complains that {issue}"),
    closers=(".", ", wants a callback.", ", asks for compensation.", ", third time this month.",
             ", requests an extra collection.", ", threatening to cancel the contract.",
             ", asks for a supervisor to call back.", ", very frustrated."),
    issues=(
        ("the {bin} bin was missed again", "nobody collected the bin on {weekday}",
         "the collection was missed and the bin is still full",
         "the truck drove past without emptying the bin",
         "the {bin} bin has been missed for two weeks",
         "the missed collection was never rescheduled"),
        ("the bins smell terrible", "there is a strong smell from the {bin} bin",
         "the smell from the bins is attracting flies",
         "the bin stinks after sitting full for days",
         "the smell from the {bin} waste is unbearable", "a rotting smell hangs around the bins"),
        ("the bin is overflowing and bags are piling up",
         "the {bin} bin is overflowing onto the pavement",
         "rubbish from the overflowing bin is blowing down {street}",
         "foxes got into the overflowing bags",
         "the {cap} l bin is too small and keeps overflowing",
         "the bin has been overflowing for days"),
        ("the lid of the {bin} bin is broken", "the crew broke the lid during the last lift",
         "the bin lid is cracked and will not close", "the hinge on the lid snapped",
         "the bin was damaged and needs replacing", "the bin was damaged and a wheel came off"),
        ("the crew was rude", "the driver was rude and shouted at them",
         "the crew left the bins in the middle of the driveway",
         "the crew was rude when asked to close the gate",
         "the truck blocked the driveway and the driver was rude",
         "the crew threw the empty bin onto the lawn"),
        ("they were billed twice this month", "the invoice shows the wrong service tier",
         "the bill went up without notice",
         "they were charged for a collection that never happened",
         "a refund was promised but never paid", "the direct debit on the invoice is wrong"),
    ),
)
_MAINTENANCE = NoteTemplates(
    openers=("", "Workshop: ", "Scheduled maintenance. ", "Depot service. ",
             "Fleet maintenance log. ", "Service visit. ", "Maintenance completed. ",
             "Workshop job card: "),
    bodies=("Vehicle {plate}: {issue}", "{plate} in the workshop, {issue}",
            "Truck {plate} serviced, {issue}", "Mechanic on {plate} reports {issue}",
            "Job on {plate}: {issue}", "{plate} checked over, {issue}"),
    closers=(".", ", back in service.", ", cleared for the route.", ", next service in 5,000 km.",
             ", parts ordered for follow-up.", ", road test passed.", ", no further issues found.",
             ", signed off by the workshop."),
    issues=(
        ("oil and filters changed", "engine oil, air filter and fuel filter replaced",
         "full service done at the interval", "fluids topped up and grease points lubricated",
         "annual inspection done and oil changed"),
        ("brake pads replaced on the front axle", "brake discs skimmed and pads changed",
         "a leaking air brake valve replaced", "brakes adjusted and tested"),
        ("two rear tyres replaced", "a worn front tyre swapped", "a rear tyre puncture repaired",
         "all tyres rotated and pressures set"),
        ("the hydraulic hose on the lifter replaced", "hydraulic fluid changed and seals renewed",
         "a leaking hydraulic cylinder resealed", "lift arm hydraulics bled and tested"),
        ("the compactor blade adjusted", "compactor packer plate wear strips replaced",
         "compactor cycle timing recalibrated", "the compactor body greased and inspected"),
        ("engine coolant flushed", "injectors cleaned and engine tuned", "a turbo hose replaced",
         "engine mounts tightened"),
        ("worn wiring to the bin lift sensor replaced", "the battery replaced",
         "beacon lights and reversing camera fixed", "the alternator belt renewed"),
        ("the gearbox repaired", "the clutch replaced", "transmission fluid changed",
         "the driveshaft coupling replaced"),
    ),
)
_BREAKDOWN = NoteTemplates(
    openers=("", "Breakdown. ", "Vehicle off road. ", "Urgent: ", "Roadside call-out. ",
             "Driver radioed in. ", "Incident report. ", "Route stopped. "),
    bodies=("{plate} broke down on the route: {issue}", "Truck {plate} stopped mid-route, {issue}",
            "Driver of {plate} reports that {issue}", "{plate} abandoned the round after {issue}",
            "Breakdown on {plate}, {issue}", "{plate} off the road because {issue}"),
    closers=(".", ", tow truck requested.", ", remaining stops abandoned.", ", recovery arranged.",
             ", mechanic sent out.", ", crew returned to the depot.",
             ", no spare vehicle available.", ", roadside repair not possible."),
    issues=(
        ("the engine warning light came on",),
        ("the brakes overheated", "a brake line started leaking", "the air brake pressure dropped",
         "the brakes locked up"),
        ("a rear tyre blew out", "a front tyre punctured", "a tyre went flat",
         "a wheel bearing failed"),
        ("the hydraulics failed", "a hydraulic hose burst",
         "the bin lifter lost hydraulic pressure",
         "hydraulic oil leaked onto the road"),
        ("the compactor jammed", "the compactor ram stopped working", "the packer blade got stuck",
         "the compactor motor failed"),
        ("the engine overheated", "the engine lost power",
         "the engine stalled and would not restart",
         "the coolant pump failed"),
        ("the electrics cut out", "the battery died", "the starter motor failed",
         "the lift controls lost power"),
        ("the gearbox failed", "the clutch gave out", "the transmission overheated",
         "the driveshaft failed"),
    ),
)
NOTES: dict[str, NoteTemplates] = {
    "pickup": _PICKUP,
    "missed_pickup": _MISSED,
    "overflow_report": _OVERFLOW,
    "complaint": _COMPLAINT,
    "maintenance": _MAINTENANCE,
    "breakdown": _BREAKDOWN,
}

_SLOT = re.compile(r"\{(\w+)\}")


def _tokens(template: str) -> list[str | tuple[str]]:
    """Split a template into literals and 1-tuples naming slots: "a {x}" -> ["a ", ("x",)]."""
    parts: list[str | tuple[str]] = []
    for i, piece in enumerate(_SLOT.split(template)):
        if i % 2:
            parts.append((piece,))
        elif piece:
            parts.append(piece)
    return parts


def _fill_one(template: str, rows: np.ndarray, slots: Mapping[str, pa.Array]) -> pa.Array:
    """Render one template for `rows`: a single C++ join, literals broadcast as scalars."""
    parts = _tokens(template)
    if not any(isinstance(p, tuple) for p in parts):
        return pa.repeat(pa.scalar(template, pa.string()), len(rows))
    args = [slots[p[0]].take(rows) if isinstance(p, tuple) else pa.scalar(p) for p in parts]
    if len(args) == 1:
        return args[0]
    return pc.binary_join_element_wise(*args, "")


def _scatter(pieces: list[pa.Array], rows: list[np.ndarray], n: int) -> pa.Array:
    """Put per-group results back in row order (each row belongs to exactly one group)."""
    order = np.concatenate(rows) if rows else np.empty(0, np.int64)
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    return pa.concat_arrays(pieces).take(inverse) if pieces else pa.array([], pa.string())


def render(templates: Sequence[str], pick: np.ndarray, slots: Mapping[str, pa.Array]) -> pa.Array:
    """Row i gets `templates[pick[i]]` with its slots filled from `slots[name][i]`."""
    pieces, rows = [], []
    for t, template in enumerate(templates):
        idx = np.flatnonzero(pick == t)
        if len(idx):
            pieces.append(_fill_one(template, idx, slots))
            rows.append(idx)
    return _scatter(pieces, rows, len(pick))


def _choose(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """A uniform index below counts[i] for every row (vectorized, counts may differ per row)."""
    return np.minimum((rng.random(len(counts)) * counts).astype(np.int64), counts - 1)


def _notes_of(
    rng: np.random.Generator, spec: NoteTemplates, topic: np.ndarray, slots: dict[str, pa.Array]
) -> pa.Array:
    """All notes of one event type: the issue clause first, then opener + body + closer."""
    sizes = np.array([len(group) for group in spec.issues], np.int64)
    flat_issues = [issue for group in spec.issues for issue in group]
    if flat_issues:
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        pick = offsets[topic] + _choose(rng, sizes[topic])
        slots = {**slots, "issue": render(flat_issues, pick, slots)}
    n = len(topic)
    parts = [
        render(segment, rng.integers(0, len(segment), n), slots)
        for segment in (spec.openers, spec.bodies, spec.closers)
    ]
    return pc.binary_join_element_wise(*parts, "")


def describe(
    rng: np.random.Generator,
    event_types: Sequence[str],
    type_code: np.ndarray,
    topic: np.ndarray,
    slots: Mapping[str, pa.Array],
) -> pa.Array:
    """One free-text note per event row.

    `type_code[i]` indexes `event_types`; `topic[i]` indexes the issue groups of that type
    (COMPLAINT_TOPICS, VEHICLE_COMPONENTS, MISS_CAUSES, 0 otherwise). `slots` holds one string
    array per slot the templates use (street, bin, cap, weekday, fill, weight, plate), already
    formatted and as long as `type_code`; only a type's own slots need be non-null for its rows.
    """
    slots = {name: array.fill_null("") for name, array in slots.items()}
    pieces, rows = [], []
    for code, name in enumerate(event_types):
        idx = np.flatnonzero(type_code == code)
        if len(idx):
            sub = {slot: array.take(idx) for slot, array in slots.items()}
            pieces.append(_notes_of(rng, NOTES[name], topic[idx], sub))
            rows.append(idx)
    return _scatter(pieces, rows, len(type_code))


def _pick(rng: np.random.Generator, words: Sequence[str], n: int) -> np.ndarray:
    return np.asarray(words, dtype=object)[rng.integers(0, len(words), n)]


def town_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct plausible town names (prefixed variants once the plain ones run out)."""
    pool = [prefix + town for prefix in TOWN_PREFIXES for town in TOWNS]
    return [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]


def organization_names(rng: np.random.Generator, towns: Sequence[str]) -> list[str]:
    suffix = _pick(rng, ORG_SUFFIXES, len(towns))
    return [f"{town} {s}" for town, s in zip(towns, suffix, strict=True)]


def district_streets(rng: np.random.Generator, districts: int, per_district: int) -> np.ndarray:
    """Street names per district (districts x per_district), so neighbours share streets."""
    names = _pick(rng, STREET_NAMES, districts * per_district)
    suffixes = _pick(rng, STREET_SUFFIXES, districts * per_district)
    return (names + " " + suffixes).reshape(districts, per_district)


def people(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Fake full names and matching e-mail addresses (PII in the source, stripped downstream)."""
    first = _pick(rng, FIRST_NAMES, n)
    last = _pick(rng, LAST_NAMES, n)
    number = rng.integers(1, 1000, n)
    domain = _pick(rng, EMAIL_DOMAINS, n)
    names = [f"{f} {la}" for f, la in zip(first, last, strict=True)]
    emails = [
        f"{f.lower()}.{la.lower()}{k}@{d}"
        for f, la, k, d in zip(first, last, number.tolist(), domain, strict=True)
    ]
    return names, emails


def addresses(
    rng: np.random.Generator, streets: Sequence[str], towns: Sequence[str], districts: np.ndarray
) -> list[str]:
    """Postal addresses like "12 Elm Road, Ashford AB3 4CD"; the district fixes the outward code."""
    n = len(streets)
    house = rng.integers(1, 240, n).tolist()
    letters = np.array(list("ABCDEFGHJKLMNPRSTUWXYZ"))
    area = letters[(districts // 7) % len(letters)] + letters[(districts * 5) % len(letters)]
    outward = [f"{a}{d % 30 + 1}" for a, d in zip(area, districts.tolist(), strict=True)]
    digit = rng.integers(1, 10, n).tolist()
    tail = letters[rng.integers(0, len(letters), (n, 2))]
    return [
        f"{h} {s}, {t} {o} {g}{a}{b}"
        for h, s, t, o, g, (a, b) in zip(house, streets, towns, outward, digit, tail, strict=True)
    ]


def plates(rng: np.random.Generator, n: int) -> list[str]:
    """UK-style registration plates ("AB12 CDE")."""
    letters = np.array(list("ABCDEFGHJKLMNOPRSTUVWXY"))
    head = letters[rng.integers(0, len(letters), (n, 2))]
    year = rng.integers(10, 75, n).tolist()
    tail = letters[rng.integers(0, len(letters), (n, 3))]
    return [
        f"{''.join(h)}{y:02d} {''.join(t)}" for h, y, t in zip(head, year, tail, strict=True)
    ]

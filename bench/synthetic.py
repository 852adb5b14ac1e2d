"""A synthetic `service_events` Arrow table for when the simulator is unavailable or too slow.

It has the simulator's columns and types (uuid strings, a 60-120 character description,
UTC timestamps, doubles, nulls where an event has no customer or no measurement), because
COPY's cost depends on those and not on whether the values tell a story. Everything is built
with vectorised numpy/Arrow, so a million rows take seconds.
"""

from datetime import date, datetime, time, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASHES = (8, 13, 18, 23)
EVENT_TYPES = ("pickup", "missed_pickup", "overflow_report", "complaint", "maintenance",
               "breakdown")
_EVENT_WEIGHTS = (0.80, 0.05, 0.05, 0.04, 0.04, 0.02)
_OPENINGS = (
    "Collected bin at the rear gate as scheduled",
    "Driver reported the bin was blocked by a parked car",
    "Customer called about overflowing recycling",
    "Lid was damaged and needs replacement soon",
    "Routine maintenance on the hydraulic lift arm",
    "Vehicle stopped on the ring road with an engine fault",
    "Pickup completed although the street was icy",
    "Resident complained that the crew left litter behind",
)
_DETAILS = (
    "no further action needed",
    "follow-up visit booked for next week",
    "crew noted heavy contamination in the organic stream",
    "photo attached to the ticket for the supervisor",
    "tyres and brakes checked, oil topped up",
    "customer asked for a larger container",
    "towing requested, route reassigned to spare truck",
)


def uuid_strings(rng: np.random.Generator, n: int) -> pa.StringArray:
    """n random version-4 UUIDs as canonical strings, built from bytes without a Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    text = np.empty((n, 36), dtype=np.uint8)
    source = 0
    for start, end in zip((0, 9, 14, 19, 24), (8, 13, 18, 23, 36), strict=True):
        text[:, start:end] = hexed[:, source : source + end - start]
        source += end - start
    text[:, list(_DASHES)] = ord("-")
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def _descriptions(rng: np.random.Generator, n: int) -> pa.Array:
    """'<opening>; <detail> #<ticket>': 60-120 characters, almost all distinct."""
    refs = pc.cast(pa.array(rng.integers(10_000, 99_999_999, n)), pa.string())
    first = pc.binary_join_element_wise(
        _pick(rng, pa.array(_OPENINGS), n), _pick(rng, pa.array(_DETAILS), n), "; "
    )
    return pc.binary_join_element_wise(first, refs, " #")


def _null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def service_events(rows: int, seed: int = 7, end_date: date = date(2026, 11, 22)) -> pa.Table:
    """`rows` service events over the 365 days ending `end_date`, deterministic for a seed.

    Types follow the simulator's: service_date is a UTC timestamp like created_at.
    """
    rng = np.random.default_rng(seed)
    events = rng.choice(len(EVENT_TYPES), size=rows, p=_EVENT_WEIGHTS)
    vehicle_event = events >= 4
    start = datetime.combine(end_date - timedelta(days=364), time(), tzinfo=None)
    offsets_s = rng.integers(0, 365 * 86_400, rows)
    created = np.datetime64(start, "us") + offsets_s.astype("timedelta64[s]")
    updated = created + rng.integers(0, 7_200, rows).astype("timedelta64[s]")
    fill = np.round(rng.uniform(0, 100, rows), 1)
    weight = np.round(rng.gamma(2.0, 20.0, rows), 2)
    pools = {name: uuid_strings(rng, size) for name, size in
             (("organization_id", 20), ("customer_id", 20_000), ("bin_id", 30_000),
              ("route_id", 60_000), ("vehicle_id", 300))}
    return pa.table({
        "id": uuid_strings(rng, rows),
        "organization_id": _pick(rng, pools["organization_id"], rows),
        "customer_id": _null_where(_pick(rng, pools["customer_id"], rows), vehicle_event),
        "bin_id": _null_where(_pick(rng, pools["bin_id"], rows), vehicle_event),
        "route_id": _pick(rng, pools["route_id"], rows),
        "vehicle_id": _pick(rng, pools["vehicle_id"], rows),
        "event_type": pa.array(EVENT_TYPES).take(pa.array(events)),
        "service_date": pa.array(created, pa.timestamp("us", tz="UTC")),
        "fill_level_pct": _null_where(pa.array(fill), vehicle_event),
        "weight_kg": _null_where(pa.array(weight), events != 0),
        "description": _descriptions(rng, rows),
        "status": pa.array(np.where(rng.random(rows) < 0.97, "completed", "cancelled")),
        "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
        "updated_at": pa.array(updated, pa.timestamp("us", tz="UTC")),
    })

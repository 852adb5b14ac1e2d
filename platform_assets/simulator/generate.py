"""Vectorized simulator of the world behind the operator's operational database (`ops.*`).

The history is simulated day by day, vectorized over customers, bins and vehicles, because the
signal later models must learn lives in time dynamics: missed pickups and complaints in the last
30 days raise a customer's churn hazard, km driven since the last maintenance raise a vehicle's
breakdown hazard, and a breakdown causes missed pickups for every customer on that route.
Everything comes from one `numpy.random.default_rng(seed)` (split into independent streams per
stage), so the same arguments give byte-identical tables and no wall clock is ever read.
This module simulates the world and draws column values; history.py turns them into every
version of every ops row.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.simulator import text

OPS_TABLES: tuple[str, ...] = (
    "organizations", "customers", "bins", "vehicles", "routes", "service_events",
)
EVENT_TYPES = ("pickup", "missed_pickup", "overflow_report", "complaint", "maintenance",
               "breakdown")
PICKUP, MISSED, OVERFLOW, COMPLAINT, MAINTENANCE, BREAKDOWN = range(len(EVENT_TYPES))
DEFECT_KINDS: tuple[str, ...] = (
    "negative_weight", "fill_out_of_range", "future_service_date", "null_customer_on_pickup",
    "orphan_reference",
)
EVENT_STATUSES = ("completed", "open", "resolved")
TIERS = ("basic", "standard", "premium")
CUSTOMER_STATUSES = ("active", "suspended", "churned")
BIN_TYPES = ("general", "recycling", "organic")
BIN_STATUSES = ("active", "removed")
VEHICLE_TYPES = ("rear_loader", "side_loader", "front_loader")
VEHICLE_STATUSES = ("active", "in_repair", "retired")
ROUTE_STATUSES = ("completed", "partial", "cancelled")

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "organizations": pa.schema(
        [("id", pa.string()), ("name", pa.string()), ("created_at", _TS), ("updated_at", _TS)]
    ),
    "customers": pa.schema([
        ("id", pa.string()), ("organization_id", pa.string()), ("name", pa.string()),
        ("email", pa.string()), ("service_address", pa.string()), ("service_tier", pa.string()),
        ("status", pa.string()), ("churned_at", _TS), ("lat", pa.float64()),
        ("lon", pa.float64()), ("created_at", _TS), ("updated_at", _TS),
    ]),
    "bins": pa.schema([
        ("id", pa.string()), ("customer_id", pa.string()), ("organization_id", pa.string()),
        ("bin_type", pa.string()), ("capacity_liters", pa.int32()), ("lat", pa.float64()),
        ("lon", pa.float64()), ("installed_at", _TS), ("status", pa.string()),
        ("created_at", _TS), ("updated_at", _TS),
    ]),
    "vehicles": pa.schema([
        ("id", pa.string()), ("organization_id", pa.string()), ("plate", pa.string()),
        ("vehicle_type", pa.string()), ("capacity_kg", pa.float64()), ("commissioned_at", _TS),
        ("odometer_km", pa.float64()), ("status", pa.string()), ("created_at", _TS),
        ("updated_at", _TS),
    ]),
    "routes": pa.schema([
        ("id", pa.string()), ("organization_id", pa.string()), ("vehicle_id", pa.string()),
        ("route_date", pa.date32()), ("planned_stops", pa.int32()),
        ("completed_stops", pa.int32()), ("total_distance_km", pa.float64()),
        ("total_duration_min", pa.float64()), ("status", pa.string()), ("created_at", _TS),
        ("updated_at", _TS),
    ]),
    "service_events": pa.schema([
        ("id", pa.string()), ("organization_id", pa.string()), ("customer_id", pa.string()),
        ("bin_id", pa.string()), ("route_id", pa.string()), ("vehicle_id", pa.string()),
        ("event_type", pa.string()), ("service_date", _TS), ("fill_level_pct", pa.float64()),
        ("weight_kg", pa.float64()), ("description", pa.string()), ("status", pa.string()),
        ("created_at", _TS), ("updated_at", _TS),
    ]),
}

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
NEVER = np.iinfo(np.int32).max  # day index of something that does not happen in the window
_EPOCH = dt.date(1970, 1, 1)

# Scale: districts are one vehicle's collection area.
CUSTOMERS_PER_ORG = 500
CUSTOMERS_PER_VEHICLE = 60
# Latent service quality: logit of a bin's miss probability on a normal day.
MISS_LOGIT = -3.4
BAD_DISTRICT_SHARE, BAD_DISTRICT_SHIFT = 0.15, 1.7
# Churn: daily hazard = base * exp(MISS_WEIGHT * misses_30d + COMPLAINT_WEIGHT * complaints_30d).
CHURN_BASE_DAILY = 2.0e-4
MISS_WEIGHT, COMPLAINT_WEIGHT = 0.4, 0.8
COMPLAINT_AFTER_MISS = np.array([0.25, 0.3, 0.4])  # by tier
BACKGROUND_COMPLAINT_DAILY = 8e-4
AFTER_MISS_TOPICS = [text.COMPLAINT_TOPICS.index(t) for t in ("missed", "overflow", "smell")]
BACKGROUND_TOPICS = [
    text.COMPLAINT_TOPICS.index(t) for t in ("smell", "overflow", "lid", "crew", "billing")
]
# Breakdowns: daily hazard = base * exp(km_since_maintenance / scale).
BREAKDOWN_BASE, BREAKDOWN_SCALE_KM, BREAKDOWN_CAP = 1.0e-3, 2000.0, 0.35
MAINTENANCE_INTERVAL_KM = 5000.0
# Routes leave at 06:00; a stop at route position p (0..1) is reached p * 7.5 hours later, give
# or take PICKUP_JITTER; a breakdown strikes at a position drawn from BREAKDOWN_AT.
ROUTE_START_US, ROUTE_HOURS, PICKUP_JITTER_US = 6 * HOUR_US, 7.5, 10 * MINUTE_US
BREAKDOWN_AT = (0.15, 0.9)
REPAIR_DAYS = (1, 4)  # a breakdown's repair takes 1-3 days (integers' exclusive upper bound)
SERVICE_SPREAD = (0.85, 1.15)  # the next service is due after this share of the interval
FILL_NOISE, WEIGHT_NOISE, DISTANCE_NOISE = 0.12, 0.15, 0.08  # lognormal sigmas
# Demand: kg per litre of bin content, seasonal amplitude and peak day-of-year, by bin type.
DENSITY = np.array([0.16, 0.06, 0.13])
SEASON_AMPLITUDE = np.array([0.08, 0.15, 0.40])
SEASON_PEAK_DOY = np.array([355.0, 360.0, 196.0])
WEEKDAY_LOAD = np.array([1.25, 1.08, 1.0, 0.98, 1.0, 0.93, 1.0])  # Monday carries the weekend
LATE_CORRECTION_SHARE = 0.02
REPLACEMENT_SHARE = 0.5  # of bins removed for wear (not churn) that get a new bin
TEXT_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class _Calendar:
    """Day d of the history is `start + d`; timestamps are int64 microseconds since 1970 UTC."""

    start: dt.date
    days: int

    @property
    def start_us(self) -> int:
        return (self.start - _EPOCH).days * DAY_US

    @property
    def end_us(self) -> int:
        """Exclusive end of the window: midnight after `end_date`."""
        return self.start_us + self.days * DAY_US

    def day_us(self, day: int | np.ndarray) -> int | np.ndarray:
        return self.start_us + np.asarray(day, np.int64) * DAY_US

    def weekday(self, day: int) -> int:
        return (self.start.weekday() + day) % 7

    def day_of_year(self, day: int) -> int:
        return (self.start + dt.timedelta(days=day)).timetuple().tm_yday


@dataclass(frozen=True)
class _Customers:
    org: np.ndarray
    district: np.ndarray  # == index of the vehicle that serves the customer
    tier: np.ndarray
    created_us: np.ndarray
    start_day: np.ndarray  # first day the customer is served
    suspend_day: np.ndarray  # last day served before a suspension (NEVER if not suspended)
    quality: np.ndarray  # additive logit of the miss probability (latent service quality)
    churn_base: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    street: np.ndarray
    first_bin: np.ndarray
    bin_count: np.ndarray


@dataclass(frozen=True)
class _Bins:
    customer: np.ndarray
    kind: np.ndarray  # index into BIN_TYPES
    capacity: np.ndarray
    weekday: np.ndarray
    position: np.ndarray  # place in the route, 0..1: stops late in a route are lost first
    fill_rate: np.ndarray  # share of capacity filled per week
    installed_us: np.ndarray  # a replacement's exact time is its original's removal (history)
    start_day: np.ndarray
    removed_day: np.ndarray
    replaces: np.ndarray  # index of the bin a replacement took over from; -1 for the originals


@dataclass(frozen=True)
class _Fleet:
    org: np.ndarray
    working: int  # vehicles [0, working) serve districts; the rest are retired spares
    interval_km: np.ndarray  # maintenance interval, long for neglected vehicles
    depot_km: np.ndarray
    km_per_stop: np.ndarray
    kind: np.ndarray
    capacity_kg: np.ndarray
    commissioned_us: np.ndarray
    odometer_km: np.ndarray
    km_since_maintenance: np.ndarray


@dataclass(frozen=True)
class _World:
    calendar: _Calendar
    org_count: int
    org_town: list[str]
    customers: _Customers
    bins: _Bins
    fleet: _Fleet


def _uuids(rng: np.random.Generator, n: int) -> pa.StringArray:
    """`n` random version-4 UUID strings, formatted without a Python loop."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    chars = np.full((n, 36), ord("-"), np.uint8)
    hex_columns = np.delete(np.arange(36), [8, 13, 18, 23])
    chars[:, hex_columns] = np.frombuffer(b"0123456789abcdef", np.uint8)[nibbles]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars))


def _ts(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(us, type=_TS, mask=None if valid is None else ~valid)


def _labels(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pa.array(names, pa.string()).take(codes)


def _ref(ids: pa.Array, index: np.ndarray) -> pa.Array:
    """Parent ids for child rows; index -1 means no parent (null)."""
    return ids.take(pa.array(index, mask=index < 0))


def _office_time(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(8 * HOUR_US, 18 * HOUR_US, n)


def _build_customers(
    rng: np.random.Generator, cal: _Calendar, n: int, org_count: int
) -> tuple[_Customers, np.ndarray]:
    """Customers grouped by organization, then district; returns them and districts per org."""
    share = rng.dirichlet(np.full(org_count, 4.0))
    per_org = rng.multinomial(n - 2 * org_count, share) + 2
    org = np.repeat(np.arange(org_count), per_org)
    districts = np.maximum(2, np.rint(per_org / CUSTOMERS_PER_VEHICLE)).astype(np.int64)
    first_district = np.concatenate([[0], np.cumsum(districts)[:-1]])
    district = first_district[org] + (rng.random(n) * districts[org]).astype(np.int64)

    total = int(districts.sum())
    bad = rng.random(total) < BAD_DISTRICT_SHARE
    district_quality = rng.normal(0, 0.35, total) + BAD_DISTRICT_SHIFT * bad
    tier = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    quality = district_quality[district] + rng.normal(0, 0.5, n) - 0.3 * (tier == 2)

    joins = rng.random(n) < 0.1
    join_day = rng.integers(0, max(cal.days - 1, 1), n)
    before = rng.integers(30, 3000, n)
    created_day = np.where(joins, join_day, -before)
    created_us = cal.day_us(created_day) + _office_time(rng, n)
    start_day = np.where(joins, join_day + 1, 0)
    suspended = rng.random(n) < 0.02
    suspend_from = np.minimum(np.maximum(start_day, cal.days - 60), cal.days - 1)
    suspend_day = np.where(
        suspended & (suspend_from < cal.days - 1), rng.integers(suspend_from, cal.days), NEVER
    )
    tier_churn = np.array([1.2, 1.0, 0.8])[tier]
    churn_base = CHURN_BASE_DAILY * tier_churn * np.exp(rng.normal(0, 0.3, n))

    centre_lat = rng.uniform(50.8, 54.5, org_count)
    centre_lon = rng.uniform(-3.5, 0.5, org_count)
    d_lat = centre_lat[np.repeat(np.arange(org_count), districts)] + rng.normal(0, 0.04, total)
    d_lon = centre_lon[np.repeat(np.arange(org_count), districts)] + rng.normal(0, 0.06, total)
    lat = np.round(d_lat[district] + rng.normal(0, 0.006, n), 6)
    lon = np.round(d_lon[district] + rng.normal(0, 0.009, n), 6)
    streets = text.district_streets(rng, total, 8)
    street = streets[district, rng.integers(0, 8, n)]

    bin_count = rng.choice([1, 2, 3], n, p=[0.25, 0.4, 0.35])
    first_bin = np.concatenate([[0], np.cumsum(bin_count)[:-1]])
    customers = _Customers(
        org=org, district=district, tier=tier, created_us=created_us, start_day=start_day,
        suspend_day=suspend_day.astype(np.int64), quality=quality, churn_base=churn_base,
        lat=lat, lon=lon, street=street, first_bin=first_bin, bin_count=bin_count,
    )
    return customers, districts


def _build_bins(rng: np.random.Generator, cal: _Calendar, cust: _Customers) -> _Bins:
    """1-3 bins per customer: general first, then recycling, then organic (with some shuffling)."""
    customer = np.repeat(np.arange(len(cust.org)), cust.bin_count)
    n = len(customer)
    rank = np.arange(n) - cust.first_bin[customer]
    kind = np.where(rng.random(n) < 0.15, rng.integers(0, 3, n), rank)
    capacity_p = np.array([
        [0.5, 0.5, 0.0, 0.0], [0.2, 0.6, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3],
    ])[cust.tier[customer]]
    size = (rng.random(n)[:, None] > np.cumsum(capacity_p, axis=1)).sum(axis=1)
    capacity = np.array([120, 240, 660, 1100])[np.minimum(size, 3)]

    created = cust.created_us[customer]
    before_window = cust.start_day[customer] <= 0
    lead = (cal.start_us - created) * rng.random(n)
    installed_us = np.where(
        before_window, created + lead.astype(np.int64),
        created + rng.integers(10 * MINUTE_US, 3 * HOUR_US, n),
    )
    start_day = cust.start_day[customer]
    removed = rng.random(n) < 0.015
    removed_day = np.where(removed, rng.integers(np.maximum(start_day, 0) + 1, cal.days + 1),
                           NEVER)
    return _Bins(
        customer=customer, kind=kind, capacity=capacity, weekday=rng.integers(0, 6, n),
        position=rng.random(n), fill_rate=rng.lognormal(np.log(0.55), 0.25, n),
        installed_us=installed_us, start_day=start_day, removed_day=removed_day.astype(np.int64),
        replaces=np.full(n, -1, np.int64),
    )


def _with_replacements(rng: np.random.Generator, cal: _Calendar, bins: _Bins) -> _Bins:
    """About half the bins removed in the window get a new bin (new id) from the next day on.

    Decided before the day-by-day simulation so the replacements are collected like any bin.
    The ones whose customer churned before the removal are never installed (history drops them).
    """
    flagged = rng.random(len(bins.customer)) < REPLACEMENT_SHARE
    old = np.flatnonzero((bins.removed_day < cal.days) & flagged)
    same = {name: np.concatenate([getattr(bins, name), getattr(bins, name)[old]]) for name in (
        "customer", "kind", "capacity", "weekday", "position", "fill_rate")}
    return _Bins(
        **same,
        installed_us=np.concatenate([bins.installed_us, cal.day_us(bins.removed_day[old])]),
        start_day=np.concatenate([bins.start_day, bins.removed_day[old] + 1]),
        removed_day=np.concatenate([bins.removed_day, np.full(len(old), NEVER, np.int64)]),
        replaces=np.concatenate([bins.replaces, old]),
    )


def _build_fleet(rng: np.random.Generator, cal: _Calendar, districts: np.ndarray) -> _Fleet:
    """One working vehicle per district plus a few retired spares per organization."""
    org_count = len(districts)
    spares = rng.binomial(districts, 0.1)
    org = np.concatenate([
        np.repeat(np.arange(org_count), districts), np.repeat(np.arange(org_count), spares),
    ])
    working = int(districts.sum())
    n = len(org)
    retired = np.arange(n) >= working
    neglect = rng.beta(0.7, 2.5, n)
    interval_km = MAINTENANCE_INTERVAL_KM * (1 + 1.6 * neglect)
    kind = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    capacity_kg = np.round(np.array([11000.0, 10000.0, 13000.0])[kind] + rng.normal(0, 500, n), 0)
    age_years = np.where(retired, rng.uniform(10, 18, n), rng.uniform(0.3, 12, n))
    commissioned_us = cal.start_us - (age_years * 365.25 * DAY_US).astype(np.int64)
    odometer_km = np.round(age_years * rng.uniform(18000, 30000, n), 1)
    return _Fleet(
        org=org, working=working, interval_km=interval_km,
        depot_km=rng.uniform(30, 50, n), km_per_stop=rng.uniform(1.0, 2.0, n), kind=kind,
        capacity_kg=capacity_kg, commissioned_us=commissioned_us, odometer_km=odometer_km,
        km_since_maintenance=MAINTENANCE_INTERVAL_KM * rng.random(n),
    )


def _build_world(
    rng: np.random.Generator, cal: _Calendar, n_customers: int,
    replacements: np.random.Generator,
) -> _World:
    org_count = max(2, n_customers // CUSTOMERS_PER_ORG)
    customers, districts = _build_customers(rng, cal, n_customers, org_count)
    org_town = text.town_names(rng, org_count)
    bins = _build_bins(rng, cal, customers)
    return _World(
        calendar=cal, org_count=org_count, org_town=org_town, customers=customers,
        bins=_with_replacements(replacements, cal, bins), fleet=_build_fleet(rng, cal, districts),
    )


@dataclass
class _Log:
    """Column chunks appended day by day and concatenated once at the end."""

    defaults: dict[str, tuple[np.dtype, float]]
    chunks: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, n: int, **columns: np.ndarray | float) -> None:
        if n == 0:
            return
        for name, (dtype, default) in self.defaults.items():
            value = columns.get(name, default)
            self.chunks.setdefault(name, []).append(np.broadcast_to(value, n).astype(dtype))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(self.chunks.get(name, [np.empty(0, dtype)]))
            for name, (dtype, _) in self.defaults.items()
        }


def _event_log() -> _Log:
    return _Log({
        "type": (np.int8, 0), "ts": (np.int64, 0), "customer": (np.int32, -1),
        "bin": (np.int32, -1), "route": (np.int32, -1), "vehicle": (np.int32, -1),
        "fill": (np.float64, np.nan), "weight": (np.float64, np.nan), "topic": (np.int8, 0),
    })


def _route_log() -> _Log:
    return _Log({
        "vehicle": (np.int32, 0), "day": (np.int32, 0), "planned": (np.int32, 0),
        "completed": (np.int32, 0), "distance": (np.float64, 0.0), "duration": (np.float64, 0.0),
        "status": (np.int8, 0), "created": (np.int64, 0), "updated": (np.int64, 0),
    })


@dataclass(frozen=True)
class _History:
    events: dict[str, np.ndarray]
    routes: dict[str, np.ndarray]
    churn_day: np.ndarray
    odometer_km: np.ndarray
    repair_until: np.ndarray


class _Observer(Protocol):
    """Looks at the simulation's state each morning, before the day is simulated (oracle.py)."""

    def observe(self, sim: "_Simulation", day: int) -> None: ...


class _Simulation:
    """Mutable state of the day-by-day simulation; `run` returns the full history."""

    def __init__(
        self, rng: np.random.Generator, world: _World, observer: "_Observer | None" = None
    ) -> None:
        self.rng, self.world, self.cal = rng, world, world.calendar
        self.observer = observer
        cust, bins, fleet = world.customers, world.bins, world.fleet
        n_cust = len(cust.org)
        self.events, self.routes = _event_log(), _route_log()
        self.pending: list[list[dict[str, np.ndarray]]] = [[] for _ in range(self.cal.days + 4)]
        self.churn_day = np.full(n_cust, NEVER, np.int64)
        self.recent = np.zeros((30, 2, n_cust), np.int16)  # ring of daily (misses, complaints)
        self.recent_sum = np.zeros((2, n_cust), np.int32)
        first_visit = (bins.weekday - self.cal.weekday(0)) % 7
        self.last_service = np.where(bins.start_day <= 0, first_visit - 7, bins.start_day - 1)
        self.by_weekday = [np.flatnonzero(bins.weekday == w) for w in range(6)]
        self.km_since = fleet.km_since_maintenance.copy()
        self.odometer = fleet.odometer_km.copy()
        self.repair_until = np.full(len(fleet.org), -1, np.int64)
        self.repair_topic = np.zeros(len(fleet.org), np.int8)
        self.next_service_km = fleet.interval_km * rng.uniform(*SERVICE_SPREAD, len(fleet.org))
        self.route_count = 0

    def run(self) -> _History:
        for day in range(self.cal.days):
            if self.observer is not None:
                self.observer.observe(self, day)  # reads the state; draws nothing, changes nothing
            self._day(day)
        return _History(
            events=self.events.arrays(), routes=self.routes.arrays(), churn_day=self.churn_day,
            odometer_km=self.odometer, repair_until=self.repair_until,
        )

    def _day(self, day: int) -> None:
        cust = self.world.customers
        served = (cust.start_day <= day) & (day <= cust.suspend_day) & (self.churn_day == NEVER)
        misses = np.zeros(len(served), np.int32)
        if self.cal.weekday(day) < 6:
            misses = self._collect(day, served)
        self._maintain(day)
        complaints = self._customer_reports(day, served)
        self._churn(day, served, misses, complaints)

    def _collect(self, day: int, served: np.ndarray) -> np.ndarray:
        """Run every working vehicle's route; return missed pickups per customer."""
        rng, bins, cust, fleet = self.rng, self.world.bins, self.world.customers, self.world.fleet
        weekday, day_us = self.cal.weekday(day), self.cal.day_us(day)
        b = self.by_weekday[weekday]
        b = b[(bins.start_day[b] <= day) & (day < bins.removed_day[b]) & served[bins.customer[b]]]
        c = bins.customer[b]
        v = cust.district[c]

        working = fleet.working
        available = self.repair_until[:working] < day
        hazard = np.minimum(BREAKDOWN_CAP, BREAKDOWN_BASE
                            * np.exp(self.km_since[:working] / BREAKDOWN_SCALE_KM))
        broke = available & (rng.random(working) < hazard)
        broke_at = rng.uniform(*BREAKDOWN_AT, working)
        vehicle_lost = ~available[v] | (broke[v] & (bins.position[b] > broke_at[v]))
        p_miss = 1 / (1 + np.exp(-(MISS_LOGIT + cust.quality[c])))
        missed = vehicle_lost | (rng.random(len(b)) < p_miss)
        ts = day_us + ROUTE_START_US + (bins.position[b] * ROUTE_HOURS * HOUR_US).astype(np.int64)
        ts += rng.integers(0, PICKUP_JITTER_US, len(b))
        raw_fill = self._raw_fill(day, b)
        route = self.route_count + v

        done = ~missed
        self._log_pickups(day, b[done], route[done], ts[done], raw_fill[done])
        self.events.add(
            int(missed.sum()), type=MISSED, ts=ts[missed], customer=c[missed], bin=b[missed],
            route=route[missed], vehicle=v[missed], topic=vehicle_lost[missed].astype(np.int8),
        )
        self._schedule_after_misses(day, b[missed], raw_fill[missed])
        self._log_routes(day, v, done, available, broke, broke_at)
        self.route_count += working
        return np.bincount(c[missed], minlength=len(served)).astype(np.int32)

    def _raw_fill(self, day: int, b: np.ndarray) -> np.ndarray:
        """Percent of capacity in the bin (may exceed 100: overflowing) at today's visit."""
        bins = self.world.bins
        since = np.minimum(day - self.last_service[b], 28)
        doy = self.cal.day_of_year(day)
        season = 1 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (doy - SEASON_PEAK_DOY) / 365.25)
        load = bins.fill_rate[b] * season[bins.kind[b]] * WEEKDAY_LOAD[self.cal.weekday(day)]
        return 100 * load * since / 7 * self.rng.lognormal(0, FILL_NOISE, len(b))

    def _log_pickups(
        self, day: int, b: np.ndarray, route: np.ndarray, ts: np.ndarray, raw_fill: np.ndarray
    ) -> None:
        """Pickups weigh capacity x density x fill (bags beside a full bin ride along too)."""
        rng, bins, cust = self.rng, self.world.bins, self.world.customers
        c = bins.customer[b]
        weight = bins.capacity[b] * DENSITY[bins.kind[b]] * np.minimum(raw_fill, 130) / 100
        weight = np.maximum(0.1, np.round(weight * rng.lognormal(0, WEIGHT_NOISE, len(b)), 1))
        fill = np.round(np.clip(raw_fill, 1, 100), 1)
        self.events.add(len(b), type=PICKUP, ts=ts, customer=c, bin=b, route=route,
                        vehicle=cust.district[c], fill=fill, weight=weight)
        self.last_service[b] = day
        overflowing = (raw_fill > 95) & (rng.random(len(b)) < 0.25)
        morning = self.cal.day_us(day) + 5 * HOUR_US
        reported = morning + (rng.random(len(b)) * (ts - morning - 10 * MINUTE_US)).astype(np.int64)
        self.events.add(
            int(overflowing.sum()), type=OVERFLOW, ts=reported[overflowing],
            customer=c[overflowing], bin=b[overflowing],
            fill=np.round(np.clip(raw_fill[overflowing], 90, 100), 1),
        )

    def _schedule_after_misses(self, day: int, b: np.ndarray, raw_fill: np.ndarray) -> None:
        """Missed bins lead to complaints 1-3 days later and to overflow reports the next day."""
        rng, cust = self.rng, self.world.customers
        c = self.world.bins.customer[b]
        n = len(b)
        complains = rng.random(n) < COMPLAINT_AFTER_MISS[cust.tier[c]]
        lag = rng.integers(1, 4, n)
        topic = rng.choice(AFTER_MISS_TOPICS, n, p=[0.7, 0.15, 0.15]).astype(np.int8)
        at = rng.integers(8 * HOUR_US, 20 * HOUR_US, (2, n))
        for days_later in (1, 2, 3):
            pick = complains & (lag == days_later)
            self.pending[day + days_later].append({
                "type": np.full(pick.sum(), COMPLAINT, np.int8), "customer": c[pick],
                "bin": b[pick], "topic": topic[pick],
                "ts": self.cal.day_us(day + days_later) + at[0, pick],
                "fill": np.full(pick.sum(), np.nan),
            })
        reports = rng.random(n) < np.clip(0.6 * raw_fill / 100, 0, 0.9)
        self.pending[day + 1].append({
            "type": np.full(reports.sum(), OVERFLOW, np.int8), "customer": c[reports],
            "bin": b[reports], "topic": np.zeros(reports.sum(), np.int8),
            "ts": self.cal.day_us(day + 1) + at[1, reports],
            "fill": np.round(np.clip(raw_fill[reports] * 1.15, 80, 100), 1),
        })

    def _log_routes(
        self, day: int, v: np.ndarray, done: np.ndarray, available: np.ndarray,
        broke: np.ndarray, broke_at: np.ndarray,
    ) -> None:
        """One route per working vehicle; a breakdown ends the route early, then a repair."""
        rng, fleet = self.rng, self.world.fleet
        working = fleet.working
        planned = np.bincount(v, minlength=working)
        completed = np.bincount(v[done], minlength=working)
        share = np.where(broke, 0.5 + 0.5 * broke_at, 1.0)
        distance = fleet.depot_km[:working] * share + fleet.km_per_stop[:working] * completed
        distance = np.round(available * distance * rng.lognormal(0, DISTANCE_NOISE, working), 1)
        duration = 30 + 3.2 * completed + 1.1 * distance + rng.normal(0, 8, working)
        duration = np.round(available * np.maximum(duration, 10), 1)
        status = np.where(~available, 2, np.where(completed < planned, 1, 0))
        day_us = self.cal.day_us(day)
        created = day_us + rng.integers(int(4.5 * HOUR_US), int(5.5 * HOUR_US), working)
        finished = day_us + 6 * HOUR_US + (duration * MINUTE_US).astype(np.int64)
        updated = np.where(
            available, finished + rng.integers(5 * MINUTE_US, 45 * MINUTE_US, working),
            created + rng.integers(5 * MINUTE_US, 30 * MINUTE_US, working),
        )
        self.routes.add(working, vehicle=np.arange(working), day=day, planned=planned,
                        completed=completed, distance=distance, duration=duration,
                        status=status, created=created, updated=updated)
        self.km_since[:working] += distance
        self.odometer[:working] += distance

        vehicles = np.flatnonzero(broke)
        topic = rng.choice(len(text.VEHICLE_COMPONENTS), len(vehicles),
                           p=[0.04, 0.16, 0.16, 0.2, 0.16, 0.12, 0.1, 0.06]).astype(np.int8)
        ts = day_us + ROUTE_START_US + (broke_at[vehicles] * ROUTE_HOURS * HOUR_US).astype(np.int64)
        self.events.add(len(vehicles), type=BREAKDOWN, ts=ts, route=self.route_count + vehicles,
                        vehicle=vehicles, topic=topic)
        self.repair_until[vehicles] = day + rng.integers(*REPAIR_DAYS, len(vehicles))
        self.repair_topic[vehicles] = topic

    def _maintain(self, day: int) -> None:
        """Evening workshop: finished repairs, and services once a vehicle passes its interval.

        Neglected vehicles have longer intervals, so they run more km between services.
        """
        rng, fleet = self.rng, self.world.fleet
        repaired = self.repair_until == day
        due = np.zeros_like(repaired)
        if self.cal.weekday(day) < 6:
            due[: fleet.working] = (self.repair_until[: fleet.working] < day) & (
                self.km_since[: fleet.working] > self.next_service_km[: fleet.working]
            )
        vehicles = np.flatnonzero(repaired | due)
        routine = rng.choice(7, len(vehicles), p=[0.5, 0.1, 0.1, 0.1, 0.08, 0.07, 0.05])
        topic = np.where(repaired[vehicles], self.repair_topic[vehicles], routine).astype(np.int8)
        ts = self.cal.day_us(day) + rng.integers(17 * HOUR_US, 21 * HOUR_US, len(vehicles))
        self.events.add(len(vehicles), type=MAINTENANCE, ts=ts, vehicle=vehicles, topic=topic)
        self.km_since[vehicles] = 0.0
        self.next_service_km[vehicles] = fleet.interval_km[vehicles] * rng.uniform(
            *SERVICE_SPREAD, len(vehicles))

    def _customer_reports(self, day: int, served: np.ndarray) -> np.ndarray:
        """Log complaints and overflow reports due today; return complaints per customer.

        Reports scheduled before a customer churned or was suspended are dropped with them.
        """
        rng, cust = self.rng, self.world.customers
        n = len(served)
        chunks = self.pending[day]
        speaks = np.flatnonzero(served & (rng.random(n) < BACKGROUND_COMPLAINT_DAILY))
        topic = rng.choice(BACKGROUND_TOPICS, len(speaks), p=[0.15, 0.15, 0.25, 0.2, 0.25])
        some_bin = cust.first_bin[speaks] + (rng.random(len(speaks))
                                             * cust.bin_count[speaks]).astype(np.int64)
        chunks.append({
            "type": np.full(len(speaks), COMPLAINT, np.int8), "customer": speaks, "bin": some_bin,
            "topic": topic.astype(np.int8), "fill": np.full(len(speaks), np.nan),
            "ts": self.cal.day_us(day) + rng.integers(8 * HOUR_US, 20 * HOUR_US, len(speaks)),
        })
        complaints = np.zeros(n, np.int32)
        for chunk in chunks:
            keep = served[chunk["customer"]]
            kept = {name: column[keep] for name, column in chunk.items()}
            self.events.add(int(keep.sum()), **kept)
            is_complaint = kept["type"] == COMPLAINT
            complaints += np.bincount(kept["customer"][is_complaint], minlength=n).astype(np.int32)
        self.pending[day] = []
        return complaints

    def _churn(
        self, day: int, served: np.ndarray, misses: np.ndarray, complaints: np.ndarray
    ) -> None:
        """Daily churn hazard grows with misses and complaints over the last 30 days."""
        slot = day % 30
        today = np.stack([misses, complaints]).astype(np.int16)
        self.recent_sum += today - self.recent[slot]
        self.recent[slot] = today
        pressure = MISS_WEIGHT * self.recent_sum[0] + COMPLAINT_WEIGHT * self.recent_sum[1]
        hazard = self.world.customers.churn_base * np.exp(pressure)
        eligible = served & (day < self.world.customers.suspend_day)
        leaves = eligible & (self.rng.random(len(served)) < hazard)
        self.churn_day[leaves] = day


def _status_time(cal: _Calendar, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """A status change on `day` lands late that evening, after the day's events were logged."""
    return cal.day_us(np.minimum(day, cal.days - 1)) + rng.integers(
        int(22.5 * HOUR_US), DAY_US - MINUTE_US, len(day))


def _vehicle_status(world: _World, hist: _History) -> np.ndarray:
    """Index into VEHICLE_STATUSES: spares are retired, a repair past the window is in_repair."""
    retired = np.arange(len(world.fleet.org)) >= world.fleet.working
    return np.where(retired, 2, np.where(hist.repair_until > world.calendar.days - 1, 1, 0))


def _event_times(
    rng: np.random.Generator, cal: _Calendar, ev: dict[str, np.ndarray], cutoff_us: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """created_at lags the service by minutes to hours; ~2% get a late correction (updated_at).

    A correction stays inside the window and never after the customer churned.
    """
    n = len(ev["ts"])
    typ = ev["type"]
    max_lag = np.select(
        [typ <= MISSED, (typ == OVERFLOW) | (typ == COMPLAINT)],
        [3 * HOUR_US, 30 * MINUTE_US], 2 * HOUR_US,
    )
    created = ev["ts"] + MINUTE_US + (rng.random(n) * max_lag).astype(np.int64)
    corrected = created + rng.integers(DAY_US, 10 * DAY_US, n)
    limit = np.where(ev["customer"] >= 0, cutoff_us[np.maximum(ev["customer"], 0)], cal.end_us)
    correct = (rng.random(n) < LATE_CORRECTION_SHARE) & (corrected < limit)
    return created, np.where(correct, corrected, created)


def _event_status(
    rng: np.random.Generator, cal: _Calendar, ev: dict[str, np.ndarray], created: np.ndarray,
    vehicle_status: np.ndarray,
) -> np.ndarray:
    """Pickups and maintenance are done; reports are resolved unless recent or stuck.

    A breakdown stays open while its vehicle is still in repair at the end of the window.
    """
    typ = ev["type"]
    reported = (typ == MISSED) | (typ == OVERFLOW) | (typ == COMPLAINT)
    recent = created >= cal.end_us - 5 * DAY_US
    stuck = rng.random(len(typ)) < 0.08
    in_repair = vehicle_status[np.maximum(ev["vehicle"], 0)] == 1
    breakdown_open = (typ == BREAKDOWN) & in_repair & (ev["ts"] >= cal.end_us - 4 * DAY_US)
    return np.where(reported, np.where(recent | stuck, 1, 2),
                    np.where(typ == BREAKDOWN, np.where(breakdown_open, 1, 2), 0))


def _numbers(values: np.ndarray, decimals: int) -> pa.Array:
    rounded = pa.array(np.round(values, decimals), mask=np.isnan(values))
    return pc.cast(rounded.cast(pa.int64()) if decimals == 0 else rounded, pa.string())


def _descriptions(
    rng: np.random.Generator, world: _World, ev: dict[str, np.ndarray], plates: pa.Array
) -> pa.ChunkedArray:
    """Notes built in slices of rows, so string temporaries stay small at millions of rows."""
    cust, bins = world.customers, world.bins
    streets = pa.array(cust.street.tolist(), pa.string())
    pieces = []
    for start in range(0, len(ev["type"]), TEXT_CHUNK_ROWS):
        part = {name: column[start:start + TEXT_CHUNK_ROWS] for name, column in ev.items()}
        has_bin = part["bin"] >= 0
        bin_index = np.maximum(part["bin"], 0)
        slots = {
            "street": _ref(streets, part["customer"]),
            "bin": _ref(pa.array(BIN_TYPES), np.where(has_bin, bins.kind[bin_index], -1)),
            "cap": _numbers(np.where(has_bin, bins.capacity[bin_index], np.nan), 0),
            "weekday": _labels(text.WEEKDAYS, ((part["ts"] // DAY_US) + 3) % 7),  # 1970-01-01: Thu
            "fill": _numbers(part["fill"], 0),
            "weight": _numbers(part["weight"], 1),
            "plate": _ref(plates, part["vehicle"]),
        }
        pieces.append(text.describe(rng, EVENT_TYPES, part["type"], part["topic"], slots))
    return pa.chunked_array(pieces, pa.string())


@dataclass(frozen=True)
class _Defects:
    counts: dict[str, int]
    dirty: np.ndarray  # row mask of every planted defect
    orphan_customer: np.ndarray  # row masks whose id is replaced by one that exists nowhere
    orphan_bin: np.ndarray


def _plant_defects(
    rng: np.random.Generator, cal: _Calendar, ev: dict[str, np.ndarray], fraction: float
) -> _Defects:
    """Give `fraction` of the rows exactly one defect each (in place), all on clean pickups.

    Pickups carry every field a defect can break, so each kind is applicable to any chosen row.
    """
    n = len(ev["type"])
    pickups = np.flatnonzero(ev["type"] == PICKUP)
    count = min(int(round(fraction * n)), len(pickups))
    rows = rng.choice(pickups, count, replace=False)
    kind = rng.permutation(np.arange(count) % len(DEFECT_KINDS))
    by_kind = {name: rows[kind == k] for k, name in enumerate(DEFECT_KINDS)}

    ev["weight"][by_kind["negative_weight"]] *= -1
    bad_fill = by_kind["fill_out_of_range"]
    ev["fill"][bad_fill] = rng.choice([-5.0, -12.5, 140.0, 180.0, 250.0], len(bad_fill))
    ev["ts"][by_kind["future_service_date"]] += (cal.days + 400) * DAY_US
    ev["customer"][by_kind["null_customer_on_pickup"]] = -1
    orphans = by_kind["orphan_reference"]
    on_customer = rng.random(len(orphans)) < 0.5
    orphan_customer, orphan_bin = np.zeros(n, bool), np.zeros(n, bool)
    orphan_customer[orphans[on_customer]] = True
    orphan_bin[orphans[~on_customer]] = True
    counts = {name: len(rows_of_kind) for name, rows_of_kind in by_kind.items()}
    dirty = np.zeros(n, bool)
    dirty[rows] = True
    return _Defects(counts=counts, dirty=dirty, orphan_customer=orphan_customer,
                    orphan_bin=orphan_bin)


def _orphaned(rng: np.random.Generator, refs: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return refs
    return pc.replace_with_mask(refs, pa.array(mask), _uuids(rng, int(mask.sum())))

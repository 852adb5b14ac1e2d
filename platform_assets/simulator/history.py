"""The operational database version by version, with change planted at known, seeded rates.

`simulate_history` turns one simulated world (generate.py) into every version of every ops row:
each carries `_visible_from` (when it appeared in ops) and `_visible_to` (when the next version
replaced it or the row was hard-deleted; null while it still stands). `ops_as_of` shows the
database as it stood at any moment, so a platform that keeps history (SCD2) can be fed the
source as it really changed, and tests know exactly which changes were planted.

Rules every version follows: a row's first version appears at its created_at (later for a late
parent), each version's updated_at is its `_visible_from` (except backdated corrections), and
the versions of one id never overlap. Each planted change draws from its own rng stream.
"""

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.simulator import text
from platform_assets.simulator.generate import (
    _EPOCH,
    _TS,
    BIN_STATUSES,
    BIN_TYPES,
    BREAKDOWN,
    COMPLAINT,
    CUSTOMER_STATUSES,
    DAY_US,
    EVENT_STATUSES,
    EVENT_TYPES,
    HOUR_US,
    MAINTENANCE,
    MINUTE_US,
    MISSED,
    NEVER,
    OVERFLOW,
    PICKUP,
    ROUTE_STATUSES,
    SCHEMAS,
    TIERS,
    VEHICLE_STATUSES,
    VEHICLE_TYPES,
    _build_world,
    _Calendar,
    _descriptions,
    _event_status,
    _event_times,
    _History,
    _labels,
    _office_time,
    _orphaned,
    _plant_defects,
    _ref,
    _Simulation,
    _status_time,
    _ts,
    _uuids,
    _vehicle_status,
    _World,
)
from platform_assets.simulator.oracle import Oracle

VISIBLE_FROM, VISIBLE_TO = "_visible_from", "_visible_to"
PLANTED_KINDS: tuple[str, ...] = (
    "tier_upgrade", "tier_downgrade", "bin_removed", "bin_replaced", "vehicle_retired",
    "event_deleted", "late_parent", "backdated_correction", "route_closed_after_midnight",
    "late_correction",
)
# One rng stream per stage; spawned children keep their place, so only ever append a name.
STREAMS = (
    "world", "days", "events", "text", "defects", "ids", "tables", "replacements", "tiers",
    "late_parents", "vehicles", "routes", "deletions", "backdated",
)
NO_END = np.iinfo(np.int64).max  # in microseconds: a version still standing, a change never made

EDIT_SHARE = 0.35  # customers whose record is touched once without any value changing
TIER_CHANGE_YEARLY = 0.06  # background hazard of an upgrade or downgrade
PRE_CHURN_DOWNGRADE = 0.4  # churners above basic who downgrade 7-28 days before they leave
PRE_CHURN_DAYS = (7, 28)
LATE_PARENT_SHARE = 0.05  # of new customers whose first events reach ops before they do
SPARE_RETIRED_IN_WINDOW = 0.75  # of the retired spares; the others retired before it
READING_EVERY_DAYS = 30
EVENT_DELETED_SHARE = 0.003
BACKDATED_SHARE = 0.001  # of clean pickups
ROUTE_LATE_CLOSE_SHARE = 0.03
OPEN, RESOLVED = EVENT_STATUSES.index("open"), EVENT_STATUSES.index("resolved")
PARTIAL = ROUTE_STATUSES.index("partial")


@dataclass(frozen=True)
class OpsHistory:
    """Every version of every ops row over the window [start, end) (UTC)."""

    versions: dict[str, pa.Table]  # SCHEMAS[name] columns + _visible_from + _visible_to
    start: dt.datetime
    end: dt.datetime
    planted: dict[str, int]  # count per name in PLANTED_KINDS
    # Each entity's true risk per as-of day (oracle.py), when asked for; never written to ops.
    oracle: dict[str, pa.Table] | None = None


def ops_as_of(history: OpsHistory, at: dt.datetime) -> dict[str, pa.Table]:
    """The ops tables as they stood at `at` (naive means UTC), with exactly SCHEMAS columns.

    Rows keep the order of `history.versions` (by row, then time), so the result is
    deterministic; schema metadata (service_events' planted_defects) is kept.
    """
    moment = pa.scalar(at if at.tzinfo else at.replace(tzinfo=dt.UTC), _TS)
    tables = {}
    for name, versions in history.versions.items():
        shown = pc.and_(
            pc.less_equal(versions[VISIBLE_FROM], moment),
            pc.fill_null(pc.greater(versions[VISIBLE_TO], moment), True),
        )
        table = versions.filter(shown).drop_columns([VISIBLE_FROM, VISIBLE_TO])
        tables[name] = table.replace_schema_metadata(versions.schema.metadata)
    return tables


def simulate(
    customers: int, days: int, seed: int, end_date: dt.date, dirty_fraction: float = 0.002
) -> dict[str, pa.Table]:
    """Simulate `days` days of operations ending on `end_date` (inclusive) for `customers`.

    Returns the final state: one Arrow table per name in OPS_TABLES (schemas in SCHEMAS). The
    service_events schema metadata key b"planted_defects" holds the JSON count of planted
    defects per kind in DEFECT_KINDS; every other row is clean.
    """
    history = simulate_history(customers, days, seed, end_date, dirty_fraction)
    return ops_as_of(history, history.end)


@dataclass(frozen=True)
class _Ids:
    organizations: pa.Array
    customers: pa.Array
    bins: pa.Array
    vehicles: pa.Array
    routes: pa.Array


def simulate_history(
    customers: int, days: int, seed: int, end_date: dt.date, dirty_fraction: float = 0.002,
    oracle: bool = False,
) -> OpsHistory:
    """Every version of every ops row for `days` days ending on `end_date`, and what was planted.

    Same arguments as `simulate`, which returns `ops_as_of(simulate_history(...), end)`. With
    `oracle` the history also carries each entity's true risk per day (`oracle.Oracle.tables`);
    the ops versions are the same either way.
    """
    if customers < 4 or days < 1:
        raise ValueError("need at least 4 customers and 1 day")
    if not 0 <= dirty_fraction <= 1:
        raise ValueError("dirty_fraction must lie in [0, 1]")
    cal = _Calendar(start=end_date - dt.timedelta(days=days - 1), days=days)
    streams = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS)), strict=True))
    world = _build_world(streams["world"], cal, customers, streams["replacements"])
    observer = Oracle() if oracle else None
    hist = _Simulation(streams["days"], world, observer).run()

    id_rng, bins = streams["ids"], world.bins
    originals = int((bins.replaces < 0).sum())
    ids = _Ids(
        organizations=_uuids(id_rng, world.org_count),
        customers=_uuids(id_rng, len(world.customers.org)),
        bins=pa.concat_arrays([
            _uuids(id_rng, originals),
            _uuids(streams["replacements"], len(bins.replaces) - originals),
        ]),
        vehicles=_uuids(id_rng, len(world.fleet.org)),
        routes=_uuids(id_rng, len(hist.routes["day"])),
    )
    rng = streams["tables"]  # draws in the order the tables always took them
    people = _people(rng, world, hist, ids)
    vehicles, plates, retired = _vehicles_versions(rng, streams["vehicles"], world, hist, ids)
    organizations = _organizations_versions(rng, world, ids)
    events, counts, first_event = _events_versions(
        streams, world, hist, ids, plates, np.minimum(people.churned_at, cal.end_us),
        dirty_fraction,
    )
    first_seen, late = _late_parents(streams["late_parents"], world, people, first_event)
    customers_versions, tier_counts = _customers_versions(
        streams["tiers"], world, people, first_seen)
    bins_versions, bin_counts = _bins_versions(rng, streams, world, people, first_seen, late, ids)
    routes, late_closed = _routes_versions(streams["routes"], world, hist, ids)
    planted = {
        **tier_counts, **bin_counts, "vehicle_retired": retired, **counts,
        "late_parent": int(late.sum()), "route_closed_after_midnight": late_closed,
    }
    return OpsHistory(
        versions={
            "organizations": organizations, "customers": customers_versions,
            "bins": bins_versions, "vehicles": vehicles, "routes": routes,
            "service_events": events,
        },
        start=dt.datetime.combine(cal.start, dt.time(), dt.UTC),
        end=dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(), dt.UTC),
        planted={kind: int(planted[kind]) for kind in PLANTED_KINDS},
        oracle=None if observer is None else observer.tables(
            np.datetime64(cal.start, "D"),
            {"churn": ids.customers, "breakdown": ids.vehicles, "demand": ids.bins},
        ),
    )


@dataclass(frozen=True)
class _Timeline:
    """One table's versions in (row, _visible_from) order; `src` indexes the candidates."""

    src: np.ndarray
    row: np.ndarray
    at: np.ndarray
    until: np.ndarray  # _visible_to in us; NO_END while the version still stands


def _timeline(row: np.ndarray, at: np.ndarray, gone: np.ndarray | None = None) -> _Timeline:
    """Order candidate versions (row index, time) into timelines; `gone`: per-row deletion.

    Of two candidates of one row at the same instant only the later-listed one was ever seen.
    """
    order = np.lexsort((at, row))
    row, at = row[order], at[order]
    keep = np.ones(len(row), bool)
    keep[:-1] = (row[1:] != row[:-1]) | (at[1:] != at[:-1])
    order, row, at = order[keep], row[keep], at[keep]
    until = np.full(len(row), NO_END) if gone is None else gone[row]
    same_row = row[1:] == row[:-1]
    until[:-1] = np.where(same_row, at[1:], until[:-1])
    return _Timeline(src=order, row=row, at=at, until=until)


def _table(name: str, tl: _Timeline, columns: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """The versions table: SCHEMAS[name] columns from `columns`, then the two visibility ones."""
    schema = SCHEMAS[name].append(pa.field(VISIBLE_FROM, _TS, nullable=False)).append(
        pa.field(VISIBLE_TO, _TS))
    arrays = [columns[field.name] for field in SCHEMAS[name]]
    arrays += [_ts(tl.at), _ts(tl.until, tl.until != NO_END)]
    return pa.Table.from_arrays(arrays, schema=schema)


def _taken(columns: dict[str, pa.Array], rows: np.ndarray) -> dict[str, pa.Array]:
    index = pa.array(rows)
    return {name: column.take(index) for name, column in columns.items()}


def _organizations_versions(rng: np.random.Generator, world: _World, ids: _Ids) -> pa.Table:
    """Created years ago, stamped at go-live (the start), half edited once inside the window."""
    cal, n = world.calendar, world.org_count
    created = cal.start_us - rng.integers(2 * 365, 15 * 365, n) * DAY_US + _office_time(rng, n)
    edit_at = cal.start_us + rng.integers(0, cal.days, n) * DAY_US + _office_time(rng, n)
    edited = rng.random(n) < 0.5
    names = pa.array(text.organization_names(rng, world.org_town))
    every = np.arange(n)
    tl = _timeline(np.concatenate([every, every, every[edited]]),
                   np.concatenate([created, np.full(n, cal.start_us), edit_at[edited]]))
    return _table("organizations", tl, {
        **_taken({"id": ids.organizations, "name": names}, tl.row),
        "created_at": _ts(created[tl.row]), "updated_at": _ts(tl.at),
    })


@dataclass(frozen=True)
class _People:
    """Customers' status changes and constant columns, drawn before their versions."""

    churned_at: np.ndarray  # us; NO_END when retained
    suspended_at: np.ndarray  # us; NO_END when never suspended
    edit_share: np.ndarray  # where in its editable span a customer's edit falls, 0..1
    edited: np.ndarray
    columns: dict[str, pa.Array]


def _people(rng: np.random.Generator, world: _World, hist: _History, ids: _Ids) -> _People:
    cal, cust = world.calendar, world.customers
    n = len(cust.org)
    churned = hist.churn_day != NEVER
    suspended = ~churned & (cust.suspend_day != NEVER)
    churned_at = _status_time(cal, rng, hist.churn_day)
    suspended_at = _status_time(cal, rng, cust.suspend_day)
    edit_share = rng.random(n)
    edited = rng.random(n) < EDIT_SHARE
    names, emails = text.people(rng, n)
    towns = np.asarray(world.org_town, dtype=object)[cust.org]
    address = text.addresses(rng, cust.street, towns, cust.district)
    columns = {
        "id": ids.customers, "organization_id": _ref(ids.organizations, cust.org),
        "name": pa.array(names), "email": pa.array(emails), "service_address": pa.array(address),
        "lat": pa.array(cust.lat), "lon": pa.array(cust.lon), "created_at": _ts(cust.created_us),
    }
    return _People(
        churned_at=np.where(churned, churned_at, NO_END),
        suspended_at=np.where(suspended, suspended_at, NO_END),
        edit_share=edit_share, edited=edited, columns=columns,
    )


def _late_parents(
    rng: np.random.Generator, world: _World, people: _People, first_event: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """When each customer first appears in ops, and which ones arrive after their events.

    A late parent is a new customer whose first clean event is logged within 5 days of
    sign-up; the customer row reaches ops 2-6 days after created_at, after that event. Those
    with a bin removal or a status change in their first 8 days are left out, so every later
    version of theirs follows their first.
    """
    cal, cust = world.calendar, world.customers
    n = len(cust.org)
    lag = first_event - cust.created_us
    bins = world.bins
    removes = np.zeros(n, bool)
    removes[bins.customer[bins.removed_day < cal.days]] = True
    settled = np.minimum(people.churned_at, people.suspended_at)
    candidate = (
        (cust.created_us >= cal.start_us) & (lag < 5 * DAY_US) & ~removes
        & (settled > cust.created_us + 8 * DAY_US)
        & (cust.created_us + 6 * DAY_US < cal.end_us - HOUR_US)
    )
    late = candidate & (rng.random(n) < LATE_PARENT_SHARE)
    low = np.maximum(2 * DAY_US, np.minimum(lag, 5 * DAY_US) + HOUR_US)
    delay = low + ((6 * DAY_US - low) * rng.random(n)).astype(np.int64)
    return np.where(late, cust.created_us + delay, cust.created_us), late


def _tier_changes(
    rng: np.random.Generator, tier: np.ndarray, since: np.ndarray, stop: np.ndarray,
    churned_at: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """At most one tier change per customer: (time or NO_END, new tier).

    Background upgrades and downgrades at TIER_CHANGE_YEARLY; churners above basic often
    downgrade 7-28 days before they leave, the lead a platform leaking today's tier would show.
    """
    n = len(tier)
    span = np.maximum(stop - since, 0)
    background = rng.random(n) < -np.expm1(-TIER_CHANGE_YEARLY * span / (365 * DAY_US))
    background_at = since + (span * rng.random(n)).astype(np.int64)
    up = np.where(tier == 0, True, np.where(tier == 2, False, rng.random(n) < 0.5))
    lead = (rng.uniform(*PRE_CHURN_DAYS, n) * DAY_US).astype(np.int64)
    pre_churn_at = np.where(churned_at == NO_END, 0, churned_at - lead)
    pre_churn = (
        (churned_at != NO_END) & (tier > 0) & (rng.random(n) < PRE_CHURN_DOWNGRADE)
        & (pre_churn_at > since)
    )
    change = pre_churn | (background & (span > 0))
    at = np.where(pre_churn, pre_churn_at, background_at)
    new_tier = np.where(up & ~pre_churn, tier + 1, tier - 1)
    return np.where(change, at, NO_END), np.where(change, new_tier, tier)


def _customers_versions(
    rng: np.random.Generator, world: _World, people: _People, first_seen: np.ndarray
) -> tuple[pa.Table, dict[str, int]]:
    """First sight, go-live stamp, one no-op edit, a tier change, suspension or churn."""
    cal, cust = world.calendar, world.customers
    n = len(cust.org)
    since = np.maximum(first_seen, cal.start_us)
    stop = np.minimum(np.minimum(people.churned_at, people.suspended_at), cal.end_us - HOUR_US)
    edit_at = since + (np.maximum(stop - since, 0) * people.edit_share).astype(np.int64)
    edited = people.edited & (stop > since)
    tier_at, new_tier = _tier_changes(rng, cust.tier, since + HOUR_US, stop, people.churned_at)
    changes = tier_at != NO_END
    every = np.arange(n)
    migrated = cust.created_us < cal.start_us
    suspended, churned = people.suspended_at != NO_END, people.churned_at != NO_END
    tl = _timeline(
        np.concatenate([every, every[migrated], every[edited], every[changes], every[suspended],
                        every[churned]]),
        np.concatenate([first_seen, np.full(migrated.sum(), cal.start_us), edit_at[edited],
                        tier_at[changes], people.suspended_at[suspended],
                        people.churned_at[churned]]),
    )
    row = tl.row
    status = np.where(tl.at >= people.churned_at[row], 2,
                      np.where(tl.at >= people.suspended_at[row], 1, 0))
    tier = np.where(tl.at >= tier_at[row], new_tier[row], cust.tier[row])
    table = _table("customers", tl, {
        **_taken(people.columns, row),
        "service_tier": _labels(TIERS, tier), "status": _labels(CUSTOMER_STATUSES, status),
        "churned_at": _ts(people.churned_at[row], status == 2), "updated_at": _ts(tl.at),
    })
    counts = {"tier_upgrade": int((changes & (new_tier > cust.tier)).sum()),
              "tier_downgrade": int((changes & (new_tier < cust.tier)).sum())}
    return table, counts


def _bins_versions(
    rng: np.random.Generator, streams: dict[str, np.random.Generator], world: _World,
    people: _People, first_seen: np.ndarray, late: np.ndarray, ids: _Ids,
) -> tuple[pa.Table, dict[str, int]]:
    """Installed, stamped at go-live, removed (for wear, or collected 1-5 days after a churn).

    A replacement is installed the moment its original is removed; it exists only when that
    removal came before its customer churned. Bins of a late parent arrive with it.
    """
    cal, bins, cust = world.calendar, world.bins, world.customers
    n = len(bins.customer)
    original = bins.replaces < 0
    more = streams["replacements"]  # the replacements' draws, so the originals' keep theirs
    lag = np.concatenate([rng.integers(DAY_US, 5 * DAY_US, original.sum()),
                          more.integers(DAY_US, 5 * DAY_US, n - original.sum())])
    office = np.concatenate([_office_time(rng, original.sum()),
                             _office_time(more, n - original.sum())])
    jitter = np.concatenate([rng.normal(0, 1e-5, (2, original.sum())),
                             more.normal(0, 1e-5, (2, n - original.sum()))], axis=1)
    churned_at = people.churned_at[bins.customer]
    collected = np.where(churned_at == NO_END, NO_END,
                         np.minimum(churned_at + lag, cal.end_us - MINUTE_US))
    own = np.where(bins.removed_day < cal.days,
                   cal.day_us(np.minimum(bins.removed_day, cal.days)) + office, NO_END)
    worn = own < churned_at  # removed for wear while still a customer
    removed_at = np.where(worn, own, collected)
    replacement = ~original
    source = np.where(replacement, bins.replaces, 0)
    exists = original | worn[source]
    installed = np.where(replacement, removed_at[source], bins.installed_us)
    with_parent = first_seen[bins.customer] + streams["late_parents"].integers(
        MINUTE_US, 20 * MINUTE_US, n)
    arrival = np.where(late[bins.customer], with_parent, installed)
    removed_at = np.where(removed_at == NO_END, NO_END, np.maximum(removed_at, arrival + MINUTE_US))
    migrated = exists & (installed < cal.start_us)
    removed = exists & (removed_at != NO_END)
    every = np.arange(n)
    tl = _timeline(np.concatenate([every[exists], every[migrated], every[removed]]),
                   np.concatenate([arrival[exists], np.full(migrated.sum(), cal.start_us),
                                   removed_at[removed]]))
    row = tl.row
    owner = bins.customer[row]
    table = _table("bins", tl, {
        "id": ids.bins.take(pa.array(row)), "customer_id": _ref(ids.customers, owner),
        "organization_id": _ref(ids.organizations, cust.org[owner]),
        "bin_type": _labels(BIN_TYPES, bins.kind[row]),
        "capacity_liters": pa.array(bins.capacity[row], pa.int32()),
        "lat": pa.array(np.round(cust.lat[owner] + jitter[0, row], 6)),
        "lon": pa.array(np.round(cust.lon[owner] + jitter[1, row], 6)),
        "installed_at": _ts(installed[row]),
        "status": _labels(BIN_STATUSES, (tl.at >= removed_at[row]).astype(np.int8)),
        "created_at": _ts(installed[row]), "updated_at": _ts(tl.at),
    })
    counts = {"bin_removed": int(removed.sum()), "bin_replaced": int((exists & replacement).sum())}
    return table, counts


def _repairs(world: _World, hist: _History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each breakdown as (vehicle, broke at, repaired at or NO_END), sorted by vehicle and time.

    The first maintenance after a breakdown is its repair: no routine service is done while a
    vehicle is in repair.
    """
    ev, cal = hist.events, world.calendar
    span = cal.days * DAY_US + DAY_US

    def keys(kind: int) -> tuple[np.ndarray, np.ndarray]:
        pick = ev["type"] == kind
        key = np.sort(ev["vehicle"][pick].astype(np.int64) * span + ev["ts"][pick] - cal.start_us)
        return key // span, key

    vehicle, broke = keys(BREAKDOWN)
    serviced_vehicle, serviced = keys(MAINTENANCE)
    nxt = np.searchsorted(serviced, broke, side="right")
    serviced, serviced_vehicle = np.append(serviced, 0), np.append(serviced_vehicle, -1)
    repaired = np.where(serviced_vehicle[nxt] == vehicle, serviced[nxt] % span + cal.start_us,
                        NO_END)
    return vehicle, broke % span + cal.start_us, repaired


def _in_repair(
    cal: _Calendar, vehicle: np.ndarray, at: np.ndarray, broke_vehicle: np.ndarray,
    broke_at: np.ndarray, repaired_at: np.ndarray,
) -> np.ndarray:
    """Whether each (vehicle, time) falls between a breakdown of that vehicle and its repair."""
    span = cal.days * DAY_US + DAY_US
    # A first breakdown of no vehicle (-1) makes every lookup land on some breakdown.
    broke_vehicle = np.append(-1, broke_vehicle)
    broke_key = broke_vehicle * span + np.append(0, broke_at - cal.start_us)
    key = vehicle.astype(np.int64) * span + np.clip(at - cal.start_us, 0, span - 1)
    latest = np.searchsorted(broke_key, key, "right") - 1
    return (broke_vehicle[latest] == vehicle) & (at < np.append(0, repaired_at)[latest])


def _vehicles_versions(
    rng: np.random.Generator, planted: np.random.Generator, world: _World, hist: _History,
    ids: _Ids,
) -> tuple[pa.Table, pa.Array, int]:
    """Commissioned, stamped at go-live with the odometer, read monthly, in and out of repair,
    retired, and stamped once more on the last evening; returns the plates too.

    The odometer in a version is the true reading then: before the day's route in the morning,
    after it from 17:00 on.
    """
    cal, fleet = world.calendar, world.fleet
    n = len(fleet.org)
    final_at = cal.day_us(cal.days - 1) + rng.integers(23 * HOUR_US, DAY_US - MINUTE_US, n)
    plates = pa.array(text.plates(rng, n))

    spare = np.arange(n) >= fleet.working
    in_window = spare & (planted.random(n) < SPARE_RETIRED_IN_WINDOW)
    if spare.any() and not in_window.any():
        in_window[fleet.working] = True
    retired_in = cal.day_us(planted.integers(0, max(cal.days - 1, 1), n)) + _office_time(planted, n)
    retired_before = np.maximum(
        cal.start_us - planted.integers(30, 900, n) * DAY_US + _office_time(planted, n),
        fleet.commissioned_us + DAY_US,
    )
    retired_at = np.where(in_window, retired_in, np.where(spare, retired_before, NO_END))

    readings = np.arange(0, cal.days, READING_EVERY_DAYS)
    reading_day = planted.integers(0, READING_EVERY_DAYS, n)[:, None] + readings[None, :]
    reading_at = cal.day_us(reading_day) + planted.integers(
        19 * HOUR_US, int(22.5 * HOUR_US), reading_day.shape)
    reading = (reading_day < cal.days - 1) & (reading_at < retired_at[:, None])
    reading_vehicle = np.broadcast_to(np.arange(n)[:, None], reading_day.shape)[reading]

    broke_vehicle, broke_at, repaired_at = _repairs(world, hist)
    fixed = repaired_at != NO_END
    every = np.arange(n)
    tl = _timeline(
        np.concatenate([every, every[spare & ~in_window], every, reading_vehicle, broke_vehicle,
                        broke_vehicle[fixed], every[in_window], every]),
        np.concatenate([fleet.commissioned_us, retired_before[spare & ~in_window],
                        np.full(n, cal.start_us), reading_at[reading], broke_at,
                        repaired_at[fixed], retired_in[in_window], final_at]),
    )
    row, at = tl.row, tl.at
    in_repair = _in_repair(cal, row, at, broke_vehicle, broke_at, repaired_at)
    status = np.where(at >= retired_at[row], 2, np.where(in_repair, 1, 0))

    driven = np.zeros((cal.days, n))
    driven[hist.routes["day"], hist.routes["vehicle"]] = hist.routes["distance"]
    before_day = np.cumsum(np.vstack([fleet.odometer_km[None, :], driven]), axis=0)
    day = np.clip((at - cal.start_us) // DAY_US, 0, cal.days - 1)
    evening = at - cal.day_us(day) >= 17 * HOUR_US
    odometer = np.where(
        at >= cal.start_us, before_day[np.minimum(day + evening, cal.days), row],
        np.where(at >= retired_at[row], fleet.odometer_km[row], 0.0),
    )
    table = _table("vehicles", tl, {
        **_taken({"id": ids.vehicles, "plate": plates}, row),
        "organization_id": _ref(ids.organizations, fleet.org[row]),
        "vehicle_type": _labels(VEHICLE_TYPES, fleet.kind[row]),
        "capacity_kg": pa.array(fleet.capacity_kg[row]),
        "commissioned_at": _ts(fleet.commissioned_us[row]),
        "odometer_km": pa.array(np.round(odometer, 1)),
        "status": _labels(VEHICLE_STATUSES, status),
        "created_at": _ts(fleet.commissioned_us[row]), "updated_at": _ts(at),
    })
    return table, plates, int(in_window.sum())


def _routes_versions(
    rng: np.random.Generator, world: _World, hist: _History, ids: _Ids
) -> tuple[pa.Table, int]:
    """Opened before dawn with nothing done yet, closed after the round.

    Some crews close their route only after midnight (00:05-02:00 the next day): until then it
    shows the day's counts as 'partial', so a daily extract at midnight sees it unfinished.
    """
    cal, r = world.calendar, hist.routes
    n = len(r["day"])
    late = (r["status"] != 2) & (r["day"] < cal.days - 1) & (
        rng.random(n) < ROUTE_LATE_CLOSE_SHARE)
    closed_at = np.where(late, cal.day_us(r["day"] + 1) + rng.integers(
        5 * MINUTE_US, 2 * HOUR_US, n), r["updated"])
    every = np.arange(n)
    tl = _timeline(np.concatenate([every, every, every[late]]),
                   np.concatenate([r["created"], closed_at, r["updated"][late]]))
    stage = np.concatenate([np.zeros(n), np.ones(n), np.full(late.sum(), 2)])[tl.src]
    row, opened = tl.row, stage == 0
    route_date = pa.array((cal.start - _EPOCH).days + r["day"][row], pa.int32()).cast(pa.date32())
    table = _table("routes", tl, {
        "id": ids.routes.take(pa.array(row)),
        "organization_id": _ref(ids.organizations, world.fleet.org[r["vehicle"][row]]),
        "vehicle_id": _ref(ids.vehicles, r["vehicle"][row]), "route_date": route_date,
        "planned_stops": pa.array(r["planned"][row]),
        "completed_stops": pa.array(np.where(opened, 0, r["completed"][row]).astype(np.int32)),
        "total_distance_km": pa.array(np.where(opened, 0.0, r["distance"][row])),
        "total_duration_min": pa.array(np.where(opened, 0.0, r["duration"][row])),
        "status": _labels(ROUTE_STATUSES, np.where(stage == 1, r["status"][row], PARTIAL)),
        "created_at": _ts(r["created"][row]), "updated_at": _ts(tl.at),
    })
    return table, int(late.sum())


def _events_versions(
    streams: dict[str, np.random.Generator], world: _World, hist: _History, ids: _Ids,
    plates: pa.Array, cutoff_us: np.ndarray, dirty_fraction: float,
) -> tuple[pa.Table, dict[str, int], np.ndarray]:
    """Events as logged, late corrections, backdated corrections and deleted duplicates.

    Returns the versions, their planted counts, and each customer's first clean event's
    created_at (NO_END when none). A reported event corrected later was 'open' until then. A
    deleted event is a duplicate entry of a clean event, hard-deleted 1-5 days after it was
    created, so the final state is untouched.
    """
    cal, fleet, cust = world.calendar, world.fleet, world.customers
    order = np.argsort(hist.events["ts"], kind="stable")
    ev = {name: column[order] for name, column in hist.events.items()}
    n = len(order)
    created, updated = _event_times(streams["events"], cal, ev, cutoff_us)
    status = _event_status(streams["events"], cal, ev, created, _vehicle_status(world, hist))
    description = _descriptions(streams["text"], world, ev, plates)
    org = np.where(ev["customer"] >= 0, cust.org[np.maximum(ev["customer"], 0)],
                   fleet.org[np.maximum(ev["vehicle"], 0)])
    defects = _plant_defects(streams["defects"], cal, ev, dirty_fraction)
    id_rng = streams["ids"]
    event_ids = _uuids(id_rng, n)
    customer_ref = _orphaned(id_rng, _ref(ids.customers, ev["customer"]), defects.orphan_customer)
    bin_ref = _orphaned(id_rng, _ref(ids.bins, ev["bin"]), defects.orphan_bin)
    clean, corrected = ~defects.dirty, updated != created
    has_customer = ev["customer"] >= 0

    first_event = np.full(len(cust.org), NO_END)
    mine = clean & has_customer
    np.minimum.at(first_event, ev["customer"][mine], created[mine])

    rng = streams["backdated"]
    visible = ev["ts"] + rng.integers(5 * DAY_US, 20 * DAY_US, n)
    stamped = created + rng.integers(MINUTE_US, 30 * MINUTE_US, n)
    weight = np.maximum(0.1, np.round(ev["weight"] * rng.uniform(0.75, 1.25, n), 1))
    limit = np.where(has_customer, cutoff_us[np.maximum(ev["customer"], 0)], cal.end_us)
    backdated = (
        (ev["type"] == PICKUP) & clean & ~corrected & (visible < limit)
        & (rng.random(n) < BACKDATED_SHARE)
    )
    rng = streams["deletions"]
    doubled = created + rng.integers(5_000_000, 10 * MINUTE_US, n)
    deleted_at = doubled + rng.integers(DAY_US, 5 * DAY_US + 1, n)
    copy = np.flatnonzero(clean & (deleted_at < cal.end_us) & (rng.random(n) < EVENT_DELETED_SHARE))
    copy_ids = _uuids(rng, len(copy))

    fixed, back = np.flatnonzero(corrected), np.flatnonzero(backdated)
    tl = _timeline(
        np.concatenate([np.arange(n), fixed, back, n + np.arange(len(copy))]),
        np.concatenate([created, updated[fixed], visible[back], doubled[copy]]),
        np.concatenate([np.full(n, NO_END), deleted_at[copy]]),
    )
    stage = np.repeat(np.arange(4, dtype=np.int8), [n, len(fixed), len(back), len(copy)])[tl.src]
    stamp = np.concatenate([created, updated[fixed], stamped[back], doubled[copy]])[tl.src]
    source = np.concatenate([np.arange(n), copy])[tl.row]  # the event a row repeats
    typ = ev["type"][source]
    reported = (typ == MISSED) | (typ == OVERFLOW) | (typ == COMPLAINT)
    reopened = (stage != 1) & corrected[source] & reported & (status[source] == RESOLVED)
    index = pa.array(source)
    table = _table("service_events", tl, {
        "id": pa.concat_arrays([event_ids, copy_ids]).take(pa.array(tl.row)),
        "organization_id": _ref(ids.organizations, org[source]),
        "customer_id": customer_ref.take(index), "bin_id": bin_ref.take(index),
        "route_id": _ref(ids.routes, ev["route"][source]),
        "vehicle_id": _ref(ids.vehicles, ev["vehicle"][source]),
        "event_type": _labels(EVENT_TYPES, typ), "service_date": _ts(ev["ts"][source]),
        "fill_level_pct": pa.array(ev["fill"][source], mask=np.isnan(ev["fill"][source])),
        "weight_kg": _weights(np.where(stage == 2, weight[source], ev["weight"][source])),
        "description": description.combine_chunks().take(index),  # chunked take is slow
        "status": _labels(EVENT_STATUSES, np.where(reopened, OPEN, status[source])),
        "created_at": _ts(np.concatenate([created, doubled[copy]])[tl.row]),
        "updated_at": _ts(stamp),
    })
    metadata = {b"planted_defects": json.dumps(defects.counts).encode()}
    counts = {"event_deleted": len(copy), "backdated_correction": len(back),
              "late_correction": len(fixed)}
    return table.replace_schema_metadata(metadata), counts, first_event


def _weights(kg: np.ndarray) -> pa.Array:
    return pa.array(kg, mask=np.isnan(kg))

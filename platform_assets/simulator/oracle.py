"""The truth behind the labels: each entity's risk as the simulator knew it on each as-of date.

Every morning, before the day is simulated, the oracle reads the simulation's state (the last 30
days of misses and complaints, complaints already scheduled, bins' last services, vehicles' km
since maintenance, repairs under way, and the latent values the platform never sees: service
quality, churn base rates, fill rates) and works out what each task asks about the horizon
after noon UTC that day, the as-of time of every label:

- churn: the probability that the customer churns within `CHURN_HORIZON_DAYS`, from the expected
  daily hazards over the horizon (misses and complaints already in the 30-day window fall out of
  it on known days; future pickups are missed with the customer's true probability, which a
  broken-down vehicle raises, and a miss brings a complaint with the tier's probability);
- breakdown: the probability of a breakdown within `BREAKDOWN_HORIZON_DAYS`, with each vehicle's
  km projected day by day at its expected daily distance, services and repairs resetting them;
- demand: the expected kg of the bin's one pickup in the 7-day horizon (the simulator's own
  fill formula: fill rate, season, weekday, days since the last service, miss probability).

It also keeps the daily hazard the simulator last drew against (churn: yesterday's; breakdown:
today's, from the km at dawn), "the probability it used". Only state as it stood that morning is
read: no draw of a later day, so the probabilities are honest forecasts, not hindsight.

Why not a table: the simulation is deterministic from its parameters (`ops.simulation_runs`
records them), so the truth is recomputed on demand (`simulate_history(..., oracle=True)`)
instead of stored. No schema the platform reads holds it, so no feature view, dataset or model
can read it by accident, and no stored copy can drift from the world it describes. It is
opt-in: the demo and the load benchmarks do not pay for it. Observing draws no random number
and writes nothing into the simulation, so the generated tables are the same with or without it
(tests/simulator/test_oracle.py compares them).
"""

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from scipy.special import ndtr

from platform_assets.simulator.generate import (
    BACKGROUND_COMPLAINT_DAILY,
    BREAKDOWN_AT,
    BREAKDOWN_BASE,
    BREAKDOWN_CAP,
    BREAKDOWN_SCALE_KM,
    COMPLAINT,
    COMPLAINT_AFTER_MISS,
    COMPLAINT_WEIGHT,
    DENSITY,
    DISTANCE_NOISE,
    FILL_NOISE,
    HOUR_US,
    MISS_LOGIT,
    MISS_WEIGHT,
    NEVER,
    PICKUP_JITTER_US,
    REPAIR_DAYS,
    ROUTE_HOURS,
    ROUTE_START_US,
    SEASON_AMPLITUDE,
    SEASON_PEAK_DOY,
    WEEKDAY_LOAD,
    WEIGHT_NOISE,
    _Simulation,
)

# The tasks' horizons (platform_assets/training/tasks.py; a test keeps them equal) and the
# as-of time of every label (noon UTC, sql/training/label_grid.sql).
CHURN_HORIZON_DAYS, BREAKDOWN_HORIZON_DAYS, DEMAND_HORIZON_DAYS = 30, 14, 7
AS_OF_HOUR = 12
ORACLE_TABLES = ("churn", "breakdown", "demand")
ENTITY_KEYS = {"churn": "customer_id", "breakdown": "vehicle_id", "demand": "bin_id"}
COLLECTION_WEEKDAYS = 6  # Monday to Saturday; no routes on Sunday
_WINDOW = 30  # days of misses and complaints in the churn pressure
_PATH_DAYS = max(CHURN_HORIZON_DAYS, BREAKDOWN_HORIZON_DAYS, DEMAND_HORIZON_DAYS) + 1
# Share of a route's stops (and breakdowns) that come after noon: position above this.
_NOON_POSITION = (AS_OF_HOUR * HOUR_US - ROUTE_START_US) / (ROUTE_HOURS * HOUR_US)


@dataclass
class Oracle:
    """Collects one row per entity and as-of day; `tables` names them once ids exist."""

    rows: dict[str, list[dict[str, np.ndarray]]] = field(
        default_factory=lambda: {name: [] for name in ORACLE_TABLES})

    def observe(self, sim: _Simulation, day: int) -> None:
        fleet = _fleet_path(sim, day)
        self.rows["churn"].append(_churn(sim, day, fleet))
        self.rows["breakdown"].append(_breakdown(sim, day, fleet))
        self.rows["demand"].append(_demand(sim, day, fleet))

    def tables(self, start: np.datetime64, ids: dict[str, pa.Array]) -> dict[str, pa.Table]:
        """One Arrow table per name in ORACLE_TABLES: the entity id (`ENTITY_KEYS`), `as_of`
        (the date; the label's as-of time is noon UTC that day) and the values."""
        out = {}
        for name in ORACLE_TABLES:
            parts = self.rows[name]
            columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
            entity, day = columns.pop("entity"), columns.pop("day")
            out[name] = pa.table({
                ENTITY_KEYS[name]: ids[name].take(pa.array(entity)),
                "as_of": pa.array(start + day.astype("timedelta64[D]"), pa.date32()),
                **{k: pa.array(v) for k, v in columns.items()},
            })
        return out


@dataclass(frozen=True)
class _FleetPath:
    """Each working vehicle's days ahead (row i = day + i) as the simulator would expect them."""

    hazard: np.ndarray  # breakdown probability that day, given none before (0: no route)
    unavailable: np.ndarray  # probability the vehicle is off the road (in repair) that day
    dawn_hazard: np.ndarray  # the wear hazard from the km at dawn today


def _wear_hazard(km: np.ndarray) -> np.ndarray:
    return np.minimum(BREAKDOWN_CAP, BREAKDOWN_BASE * np.exp(km / BREAKDOWN_SCALE_KM))


def _miss_probability(sim: _Simulation) -> np.ndarray:
    """Each customer's probability that a pickup is missed on a normal day (latent quality)."""
    return 1 / (1 + np.exp(-(MISS_LOGIT + sim.world.customers.quality)))


def _fleet_path(sim: _Simulation, day: int) -> _FleetPath:
    """Km since maintenance projected at each vehicle's expected distance per weekday (depot km
    plus km per stop for the stops of that weekday that are not missed), services when a
    vehicle passes its next service km, repairs that end on known days and reset the km."""
    world, cal = sim.world, sim.cal
    fleet, bins, cust = world.fleet, world.bins, world.customers
    working = fleet.working
    active = (bins.start_day <= day) & (day < bins.removed_day) & (
        sim.churn_day[bins.customer] == NEVER)
    done = np.where(active, 1 - _miss_probability(sim)[bins.customer], 0.0)
    stops = np.zeros((7, working))
    np.add.at(stops, (bins.weekday, cust.district[bins.customer]), done)
    daily_km = (fleet.depot_km[:working] + fleet.km_per_stop[:working] * stops) * np.exp(
        DISTANCE_NOISE**2 / 2)
    km = sim.km_since[:working].copy()
    next_km = sim.next_service_km[:working].copy()
    repair = sim.repair_until[:working]
    hazard = np.zeros((_PATH_DAYS, working))
    in_repair = np.zeros((_PATH_DAYS, working))
    for i in range(_PATH_DAYS):
        today = day + i
        weekday = cal.weekday(today)
        available = repair < today
        in_repair[i] = ~available
        if weekday < COLLECTION_WEEKDAYS:
            hazard[i] = np.where(available, _wear_hazard(km), 0.0)
            km += np.where(available, daily_km[weekday], 0.0)
            serviced = (available & (km > next_km)) | (repair == today)
        else:
            serviced = repair == today
        km[serviced] = 0.0
        next_km[serviced] = fleet.interval_km[:working][serviced]
    # A breakdown takes the vehicle off the road for the next 1..3 days (uniform).
    low, high = REPAIR_DAYS
    unavailable = in_repair.copy()
    for lag in range(1, high):
        still = (high - lag) / (high - low)  # P(repair days >= lag)
        unavailable[lag:] += (1 - in_repair[lag:]) * hazard[:-lag] * still
    return _FleetPath(hazard=hazard, unavailable=np.minimum(unavailable, 1.0),
                      dawn_hazard=_wear_hazard(sim.km_since[:working]))


def _lost_probability(sim: _Simulation, fleet: _FleetPath, b: np.ndarray, i: int) -> np.ndarray:
    """P(a stop of bins `b` on day + i is lost to its vehicle: off the road, or broken down
    on the route before reaching it), which adds to the customer's own miss probability."""
    v = sim.world.customers.district[sim.world.bins.customer[b]]
    low, high = BREAKDOWN_AT
    before = np.clip((sim.world.bins.position[b] - low) / (high - low), 0, 1)
    unavailable = fleet.unavailable[i, v]
    return unavailable + (1 - unavailable) * fleet.hazard[i, v] * before


def _pickup_miss(sim: _Simulation, fleet: _FleetPath, b: np.ndarray, i: int) -> np.ndarray:
    p_own = _miss_probability(sim)[sim.world.bins.customer[b]]
    return 1 - (1 - p_own) * (1 - _lost_probability(sim, fleet, b, i))


def _known_bins(sim: _Simulation, day: int) -> np.ndarray:
    """Bins standing this morning whose customer has not left (installs already planned count)."""
    bins = sim.world.bins
    return (day < bins.removed_day) & (sim.churn_day[bins.customer] >= day)


def _churn(sim: _Simulation, day: int, fleet: _FleetPath) -> dict[str, np.ndarray]:
    cust, bins, cal = sim.world.customers, sim.world.bins, sim.cal
    n = len(cust.org)
    weights = np.array([MISS_WEIGHT, COMPLAINT_WEIGHT])
    # Days day-29 .. day-1 of the ring, oldest first; day-30 drops out before today's draw.
    past = np.stack([
        weights @ sim.recent[(day - _WINDOW + 1 + t) % _WINDOW] for t in range(_WINDOW - 1)
    ])
    # The pressure on day + k still holds the known days from day + k - 29 on.
    known = np.zeros((CHURN_HORIZON_DAYS, n))
    suffix = np.cumsum(past[::-1], axis=0)[::-1]
    known[: _WINDOW - 1] = suffix[: min(CHURN_HORIZON_DAYS, _WINDOW - 1)]
    # Complaints already scheduled (from misses before today) land on known days.
    scheduled = np.zeros((CHURN_HORIZON_DAYS, n))
    for ahead in range(min(4, CHURN_HORIZON_DAYS)):
        if day + ahead >= len(sim.pending):
            break
        for chunk in sim.pending[day + ahead]:
            complaint = chunk["type"] == COMPLAINT
            scheduled[ahead] += np.bincount(chunk["customer"][complaint], minlength=n)
    known += COMPLAINT_WEIGHT * np.cumsum(scheduled, axis=0)

    # Future pickups: log E[exp(pressure)] per pickup, by days since it (a complaint follows a
    # miss after 1-3 days, uniform) = log((1-p) + p e^w_miss (1 + q P(lag <= t)(e^w_c - 1))).
    standing = _known_bins(sim, day)
    q = COMPLAINT_AFTER_MISS[cust.tier]
    lagged = np.zeros((CHURN_HORIZON_DAYS, 4, n))
    for i in range(CHURN_HORIZON_DAYS):
        weekday = cal.weekday(day + i)
        if weekday >= COLLECTION_WEEKDAYS:
            continue
        b = np.flatnonzero(standing & (bins.weekday == weekday) & (bins.start_day <= day + i))
        p = _pickup_miss(sim, fleet, b, i)
        c = bins.customer[b]
        for t in range(4):
            complained = q[c] * (t / 3) * (np.exp(COMPLAINT_WEIGHT) - 1)
            m = (1 - p) + p * np.exp(MISS_WEIGHT) * (1 + complained)
            lagged[i, t] = np.bincount(c, weights=np.log(m), minlength=n)
    settled = np.cumsum(lagged[:, 3], axis=0)  # pickups 3+ days back: every complaint is in
    future = np.zeros((CHURN_HORIZON_DAYS, n))
    for k in range(CHURN_HORIZON_DAYS):
        future[k] = lagged[k, 0]
        future[k] += lagged[k - 1, 1] if k >= 1 else 0
        future[k] += lagged[k - 2, 2] if k >= 2 else 0
        future[k] += settled[k - 3] if k >= 3 else 0
    background = np.log(1 - BACKGROUND_COMPLAINT_DAILY
                        + BACKGROUND_COMPLAINT_DAILY * np.exp(COMPLAINT_WEIGHT))
    future += background * np.arange(1, CHURN_HORIZON_DAYS + 1)[:, None]

    ahead = day + np.arange(CHURN_HORIZON_DAYS)[:, None]
    eligible = cust.start_day[None, :] <= ahead
    expected = cust.churn_base * np.exp(known + future) * eligible
    stays = sim.churn_day >= day  # customers still with the operator this morning
    entity = np.flatnonzero(stays & (cust.created_us < sim.cal.day_us(day + 1)))
    last_used = cust.churn_base * np.exp(weights @ sim.recent_sum)  # yesterday's draw
    return {
        "entity": entity, "day": np.full(len(entity), day),
        "hazard": last_used[entity],
        "probability": (1 - np.exp(-expected.sum(axis=0)))[entity],
    }


def _breakdown(sim: _Simulation, day: int, fleet: _FleetPath) -> dict[str, np.ndarray]:
    """A breakdown counts when it strikes after noon today and up to noon on the last day."""
    n, working = len(sim.world.fleet.org), sim.world.fleet.working
    low, high = BREAKDOWN_AT
    after_noon = np.clip((high - _NOON_POSITION) / (high - low), 0, 1)
    share = np.ones(BREAKDOWN_HORIZON_DAYS + 1)
    share[0], share[-1] = after_noon, 1 - after_noon
    hazard = fleet.hazard[: BREAKDOWN_HORIZON_DAYS + 1] * share[:, None]
    probability = np.zeros(n)  # the spares never leave the depot
    probability[:working] = 1 - np.exp(np.log1p(-hazard).sum(axis=0))
    dawn = np.zeros(n)
    dawn[:working] = fleet.dawn_hazard
    return {"entity": np.arange(n), "day": np.full(n, day), "hazard": dawn,
            "probability": probability}


def _clipped_mean(scale: np.ndarray, sigma: float, cap: float) -> np.ndarray:
    """E[min(scale * exp(sigma Z), cap)] for a standard normal Z (lognormal partial mean)."""
    scale = np.maximum(scale, 1e-12)
    z = np.log(cap / scale) / sigma
    return scale * np.exp(sigma**2 / 2) * ndtr(z - sigma) + cap * (1 - ndtr(z))


def _demand(sim: _Simulation, day: int, fleet: _FleetPath) -> dict[str, np.ndarray]:
    """Each bin is emptied once a week, so its horizon holds one pickup: later this week, or
    today after noon, or (when today's stop comes before noon) next week's before noon."""
    bins, cal = sim.world.bins, sim.cal
    # Every bin installed by tomorrow: one removed, or left by its customer, gives nothing.
    b = np.flatnonzero(bins.start_day <= day + 1)
    standing = _known_bins(sim, day)[b]
    offset = (bins.weekday[b] - cal.weekday(day)) % 7
    # Today's stop lands after noon with this probability (the arrival jitter is uniform).
    noon_gap = (AS_OF_HOUR * HOUR_US - ROUTE_START_US) - bins.position[b] * ROUTE_HOURS * HOUR_US
    today_late = np.where(offset == 0, np.clip(1 - noon_gap / PICKUP_JITTER_US, 0, 1), 0.0)
    kg_per_percent = bins.capacity[b] * DENSITY[bins.kind[b]] / 100 * np.exp(WEIGHT_NOISE**2 / 2)

    def fill(at: int, since: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Expected fill percent (capped at 130, as the weight is) at day `at`'s pickup."""
        kind = bins.kind[b[rows]]
        season = 1 + SEASON_AMPLITUDE[kind] * np.cos(
            2 * np.pi * (cal.day_of_year(at) - SEASON_PEAK_DOY[kind]) / 365.25)
        load = bins.fill_rate[b[rows]] * season * WEEKDAY_LOAD[cal.weekday(at)]
        return _clipped_mean(100 * load * np.minimum(since, 28) / 7, FILL_NOISE, 130.0)

    expected = np.zeros(len(b))
    last = sim.last_service[b]
    for i in range(DEMAND_HORIZON_DAYS):  # the pickup later this week (or today, after noon)
        rows = np.flatnonzero(offset == i)
        if not len(rows) or cal.weekday(day + i) >= COLLECTION_WEEKDAYS:
            continue
        picked = (1 - _pickup_miss(sim, fleet, b[rows], i)) * (bins.start_day[b[rows]] <= day + i)
        kg = picked * fill(day + i, day + i - last[rows], rows) * kg_per_percent[rows]
        expected[rows] += (today_late[rows] if i == 0 else 1.0) * kg
    rows = np.flatnonzero(offset == 0)  # next week's stop before noon, after today's
    h = DEMAND_HORIZON_DAYS
    if len(rows) and cal.weekday(day + h) < COLLECTION_WEEKDAYS:
        missed_today = _pickup_miss(sim, fleet, b[rows], 0)
        fills = ((1 - missed_today) * fill(day + h, np.full(len(rows), h), rows)
                 + missed_today * fill(day + h, day + h - last[rows], rows))
        picked = 1 - _pickup_miss(sim, fleet, b[rows], h)
        expected[rows] += (1 - today_late[rows]) * picked * fills * kg_per_percent[rows]
    return {"entity": b, "day": np.full(len(b), day), "expected_kg": expected * standing}

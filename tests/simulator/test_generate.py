"""The simulator's contract: exact schemas, determinism, referential sanity, planted signal and
planted defects. Every check runs on generated data; nothing is mocked."""

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.simulator import DEFECT_KINDS, OPS_TABLES, simulate

END = dt.date(2024, 6, 30)
START = pd.Timestamp(END - dt.timedelta(days=179), tz="UTC")
STOP = pd.Timestamp(END + dt.timedelta(days=1), tz="UTC")
TS = pa.timestamp("us", tz="UTC")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
S, U, F, I32 = pa.string(), pa.string(), pa.float64(), pa.int32()
EXPECTED = {
    "organizations": [("id", U), ("name", S), ("created_at", TS), ("updated_at", TS)],
    "customers": [
        ("id", U), ("organization_id", U), ("name", S), ("email", S), ("service_address", S),
        ("service_tier", S), ("status", S), ("churned_at", TS), ("lat", F), ("lon", F),
        ("created_at", TS), ("updated_at", TS),
    ],
    "bins": [
        ("id", U), ("customer_id", U), ("organization_id", U), ("bin_type", S),
        ("capacity_liters", I32), ("lat", F), ("lon", F), ("installed_at", TS), ("status", S),
        ("created_at", TS), ("updated_at", TS),
    ],
    "vehicles": [
        ("id", U), ("organization_id", U), ("plate", S), ("vehicle_type", S),
        ("capacity_kg", F), ("commissioned_at", TS), ("odometer_km", F), ("status", S),
        ("created_at", TS), ("updated_at", TS),
    ],
    "routes": [
        ("id", U), ("organization_id", U), ("vehicle_id", U), ("route_date", pa.date32()),
        ("planned_stops", I32), ("completed_stops", I32), ("total_distance_km", F),
        ("total_duration_min", F), ("status", S), ("created_at", TS), ("updated_at", TS),
    ],
    "service_events": [
        ("id", U), ("organization_id", U), ("customer_id", U), ("bin_id", U), ("route_id", U),
        ("vehicle_id", U), ("event_type", S), ("service_date", TS), ("fill_level_pct", F),
        ("weight_kg", F), ("description", S), ("status", S), ("created_at", TS),
        ("updated_at", TS),
    ],
}
PARENTS = {
    "customers": {"organization_id": "organizations"},
    "bins": {"customer_id": "customers", "organization_id": "organizations"},
    "vehicles": {"organization_id": "organizations"},
    "routes": {"organization_id": "organizations", "vehicle_id": "vehicles"},
    "service_events": {
        "organization_id": "organizations", "customer_id": "customers", "bin_id": "bins",
        "route_id": "routes", "vehicle_id": "vehicles",
    },
}


@pytest.fixture(scope="module")
def small() -> dict[str, pa.Table]:
    return simulate(300, 120, seed=3, end_date=END)


@pytest.fixture(scope="module")
def history() -> dict[str, pa.Table]:
    """Big enough for the planted signal to show, still about a second."""
    return simulate(2000, 180, seed=11, end_date=END, dirty_fraction=0.005)


@pytest.fixture(scope="module")
def frames(history: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    return {name: table.to_pandas() for name, table in history.items()}


def planted(tables: dict[str, pa.Table]) -> dict[str, int]:
    return json.loads(tables["service_events"].schema.metadata[b"planted_defects"])


def defect_masks(frames: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Each planted defect kind, recomputed from the rows the way an ingest check would."""
    ev = frames["service_events"]
    orphan = (ev.customer_id.notna() & ~ev.customer_id.isin(frames["customers"].id)) | (
        ev.bin_id.notna() & ~ev.bin_id.isin(frames["bins"].id)
    )
    return {
        "negative_weight": ev.weight_kg < 0,
        "fill_out_of_range": (ev.fill_level_pct < 0) | (ev.fill_level_pct > 100),
        "future_service_date": ev.service_date >= STOP,
        "null_customer_on_pickup": (ev.event_type == "pickup") & ev.customer_id.isna(),
        "orphan_reference": orphan,
    }


def test_table_names_and_exact_schemas(small: dict[str, pa.Table]) -> None:
    assert tuple(small) == OPS_TABLES
    for name, columns in EXPECTED.items():
        assert small[name].schema.equals(pa.schema(columns)), name


def test_same_seed_gives_identical_tables() -> None:
    first = simulate(300, 120, seed=3, end_date=END)
    again = simulate(300, 120, seed=3, end_date=END)
    for name in OPS_TABLES:
        assert first[name].equals(again[name], check_metadata=True), name


def test_other_seed_gives_other_data(small: dict[str, pa.Table]) -> None:
    other = simulate(300, 120, seed=4, end_date=END)
    for name in OPS_TABLES:
        assert not small[name].equals(other[name]), name


def test_ids_are_unique_v4_uuids(small: dict[str, pa.Table]) -> None:
    for name, table in small.items():
        ids = table["id"].to_pylist()
        assert len(set(ids)) == len(ids), name
        assert all(UUID.match(i) for i in ids), name


def test_children_reference_existing_parents_except_planted_orphans(
    frames: dict[str, pd.DataFrame], history: dict[str, pa.Table]
) -> None:
    for child, columns in PARENTS.items():
        for column, parent in columns.items():
            refs = frames[child][column].dropna()
            unknown = (~refs.isin(frames[parent].id)).sum()
            if child != "service_events" or column not in ("customer_id", "bin_id"):
                assert unknown == 0, (child, column)
    assert defect_masks(frames)["orphan_reference"].sum() == planted(history)["orphan_reference"]


def test_planted_defect_counts_match_the_rows(
    frames: dict[str, pd.DataFrame], history: dict[str, pa.Table]
) -> None:
    masks = defect_masks(frames)
    counts = planted(history)
    assert set(counts) == set(DEFECT_KINDS)
    for kind in DEFECT_KINDS:
        assert masks[kind].sum() == counts[kind] > 0, kind
    one_each = sum(mask.astype(int) for mask in masks.values())
    assert one_each.max() == 1
    assert one_each.sum() == round(0.005 * len(frames["service_events"]))


def test_no_dirty_rows_when_fraction_is_zero() -> None:
    clean = simulate(300, 120, seed=3, end_date=END, dirty_fraction=0)
    assert set(planted(clean).values()) == {0}
    frames = {name: table.to_pandas() for name, table in clean.items()}
    for kind, mask in defect_masks(frames).items():
        assert not mask.any(), kind


def test_null_pattern_per_event_type(frames: dict[str, pd.DataFrame]) -> None:
    ev = frames["service_events"]
    ev = ev[~pd.concat(defect_masks(frames), axis=1).any(axis=1)]
    set_by_type = {  # customer, bin, route, vehicle, fill, weight
        "pickup": (1, 1, 1, 1, 1, 1),
        "missed_pickup": (1, 1, 1, 1, 0, 0),
        "overflow_report": (1, 1, 0, 0, 1, 0),
        "complaint": (1, 1, 0, 0, 0, 0),
        "maintenance": (0, 0, 0, 1, 0, 0),
        "breakdown": (0, 0, 1, 1, 0, 0),
    }
    columns = ["customer_id", "bin_id", "route_id", "vehicle_id", "fill_level_pct", "weight_kg"]
    for event_type, expected in set_by_type.items():
        rows = ev[ev.event_type == event_type]
        assert len(rows), event_type
        for column, is_set in zip(columns, expected, strict=True):
            assert rows[column].notna().all() if is_set else rows[column].isna().all(), (
                event_type, column)
    assert ev.organization_id.notna().all() and ev.description.str.len().min() > 20
    pickups = ev[ev.event_type == "pickup"]
    assert (pickups.weight_kg > 0).all() and pickups.fill_level_pct.between(0, 100).all()


def test_timestamps_lie_inside_the_window(frames: dict[str, pd.DataFrame]) -> None:
    ev = frames["service_events"]
    clean = ev[~defect_masks(frames)["future_service_date"]]
    assert clean.service_date.between(START, STOP).all()
    assert (clean.created_at > clean.service_date).all()
    assert (ev.updated_at >= ev.created_at).all() and (ev.updated_at < STOP).all()
    for name in ("customers", "bins", "organizations", "routes", "vehicles"):
        table = frames[name]
        assert (table.updated_at >= table.created_at).all() and (table.updated_at < STOP).all()
    routes = frames["routes"]
    route_days = pd.to_datetime(routes.route_date)
    assert route_days.between(START.tz_localize(None), pd.Timestamp(END)).all()
    assert (frames["organizations"].created_at < START).all()
    assert (frames["vehicles"].updated_at.dt.date == END).all()


def test_late_corrections_are_about_two_percent_and_one_to_ten_days_late(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Backdated corrections (a planted change, see test_history) are stamped minutes late."""
    ev = frames["service_events"]
    lag = ev.updated_at - ev.created_at
    corrected = lag > pd.Timedelta(hours=1)
    assert 0.01 < corrected.mean() < 0.03
    assert lag[corrected].between(pd.Timedelta(days=1), pd.Timedelta(days=10)).all()
    backdated = (lag > pd.Timedelta(0)) & ~corrected
    assert 0 < backdated.mean() < 0.002 and lag[backdated].max() <= pd.Timedelta(minutes=30)


def test_customer_lifecycle(frames: dict[str, pd.DataFrame]) -> None:
    cust = frames["customers"]
    assert set(cust.status) == {"active", "suspended", "churned"}
    assert (cust.churned_at.notna() == (cust.status == "churned")).all()
    churned = cust[cust.status == "churned"]
    assert (churned.updated_at == churned.churned_at).all()
    assert 0.02 < len(churned) / len(cust) < 0.3
    assert 0.03 < (cust.created_at >= START).mean() < 0.2
    tiers = cust.service_tier.value_counts(normalize=True)
    assert abs(tiers["basic"] - 0.5) < 0.05 and abs(tiers["premium"] - 0.15) < 0.05
    ev = frames["service_events"].merge(
        churned[["id", "churned_at"]], left_on="customer_id", right_on="id"
    )
    assert len(ev) and (ev.created_at < ev.churned_at).all()
    bins = frames["bins"]
    assert (bins[bins.customer_id.isin(churned.id)].status == "removed").all()
    # A removed bin may have a replacement (a planted change), so count the bins in use.
    assert bins[bins.status == "active"].groupby("customer_id").size().between(1, 3).all()
    assert set(bins.capacity_liters) <= {120, 240, 660, 1100}


def test_routes_match_the_days_pickups_and_misses(frames: dict[str, pd.DataFrame]) -> None:
    ev = frames["service_events"]
    stops = ev[ev.event_type.isin(["pickup", "missed_pickup"])]
    counts = pd.crosstab(stops.route_id, stops.event_type)
    routes = frames["routes"].set_index("id").join(counts).fillna(0)
    assert (routes.planned_stops == routes.pickup + routes.missed_pickup).all()
    assert (routes.completed_stops == routes.pickup).all()
    expected_status = np.where(
        routes.total_distance_km == 0, "cancelled",
        np.where(routes.completed_stops < routes.planned_stops, "partial", "completed"),
    )
    assert (routes.status == expected_status).all()
    assert (pd.to_datetime(frames["routes"].route_date).dt.day_of_week < 6).all()
    working = frames["vehicles"].status != "retired"
    assert frames["routes"].groupby("route_date").size().eq(working.sum()).all()


def _incidents_per_active_day(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cust = frames["customers"]
    ev = frames["service_events"]
    bad = ev[ev.event_type.isin(["missed_pickup", "complaint"])].groupby("customer_id").size()
    first = cust.created_at.clip(lower=START)
    last = cust.churned_at.fillna(STOP)
    days = ((last - first).dt.total_seconds() / 86400).clip(lower=1)
    return cust.assign(rate=cust.id.map(bad).fillna(0) / days)


def test_churned_customers_had_clearly_more_misses_and_complaints(
    frames: dict[str, pd.DataFrame],
) -> None:
    rates = _incidents_per_active_day(frames)
    churned = rates[rates.status == "churned"].rate.mean()
    retained = rates[rates.status == "active"].rate.mean()
    assert churned > 1.8 * retained


def test_complaints_follow_misses_within_three_days(frames: dict[str, pd.DataFrame]) -> None:
    ev = frames["service_events"]
    days = ev.assign(day=ev.service_date.dt.floor("D"))
    misses = days[days.event_type == "missed_pickup"][["bin_id", "day"]]
    complaints = days[days.event_type == "complaint"][["bin_id", "day"]]
    pairs = complaints.merge(misses, on="bin_id", suffixes=("", "_miss"))
    lag = (pairs.day - pairs.day_miss).dt.days
    followed = pairs[lag.between(1, 3)].drop_duplicates(["bin_id", "day"])
    assert len(followed) > 0.5 * len(complaints)


def _km_since_maintenance(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Vehicle-days with km driven since the last maintenance and whether they broke down.

    Maintenance happens in the evening, after that day's route. Days before a vehicle's first
    maintenance in the window are dropped: their km since maintenance is unknown.
    """
    ev = frames["service_events"]
    ev = ev.assign(day=ev.service_date.dt.tz_localize(None).dt.floor("D").astype("datetime64[s]"))
    routes = frames["routes"]
    routes = routes.assign(day=pd.to_datetime(routes.route_date).astype("datetime64[s]"))
    maintenance = ev[ev.event_type == "maintenance"][["vehicle_id", "day"]]
    broken = ev[ev.event_type == "breakdown"][["vehicle_id", "day"]].assign(broke=True)
    rows = []
    for vehicle, days in routes.sort_values("day").groupby("vehicle_id"):
        route_days = days.day.to_numpy()
        serviced = np.sort(maintenance[maintenance.vehicle_id == vehicle].day.to_numpy())
        driven = np.concatenate([[0.0], np.cumsum(days.total_distance_km.to_numpy())])
        last = np.searchsorted(serviced, route_days, side="left") - 1
        known = last >= 0
        through_service = driven[np.searchsorted(route_days, serviced[last[known]], "right")]
        rows.append(days[known].assign(km=driven[:-1][known] - through_service))
    days = pd.concat(rows).merge(broken, on=["vehicle_id", "day"], how="left")
    return days.assign(broke=days.broke.notna())


def test_breakdowns_rise_with_km_since_maintenance(frames: dict[str, pd.DataFrame]) -> None:
    days = _km_since_maintenance(frames)
    high = days.km > days.km.median()
    assert days.broke.sum() >= 10
    assert days[high].broke.mean() > 2 * days[~high].broke.mean()


def test_pickup_weight_follows_bin_type_weekday_capacity_and_season(
    frames: dict[str, pd.DataFrame],
) -> None:
    ev = frames["service_events"]
    pickups = ev[(ev.event_type == "pickup") & (ev.weight_kg > 0)].merge(
        frames["bins"][["id", "bin_type", "capacity_liters"]], left_on="bin_id", right_on="id"
    )
    by_type = pickups.groupby("bin_type").weight_kg.mean()
    assert by_type["general"] > 1.5 * by_type["recycling"]
    assert by_type["general"] > by_type["organic"]
    weekday = pickups.service_date.dt.day_of_week
    midweek = pickups[weekday.between(2, 5)].weight_kg.mean()
    assert pickups[weekday == 0].weight_kg.mean() > 1.1 * midweek
    by_size = pickups.groupby("capacity_liters").weight_kg.mean()
    assert by_size.is_monotonic_increasing
    organic = pickups[pickups.bin_type == "organic"]
    by_month = organic.groupby(organic.service_date.dt.month).weight_kg.mean()
    assert by_month[6] > 1.5 * by_month[1]  # organic waste peaks in summer


def test_descriptions_vary_and_fit_the_event(frames: dict[str, pd.DataFrame]) -> None:
    ev = frames["service_events"]
    sample = ev.description.sample(2000, random_state=0)
    assert sample.nunique() >= 300
    complaint = ev[ev.event_type == "complaint"].description.str.lower()
    words = (
        r"miss|collect|empty|smell|stink|overflow|lid|broke|damage|rude|crew|driver|bill|invoice"
        r"|charge|refund"
    )
    assert complaint.str.contains(words).all()
    vehicle = ev[ev.event_type.isin(["maintenance", "breakdown"])].description.str.lower()
    parts = (
        r"service|fluid|oil|brake|tyre|wheel|hydraulic|compactor|packer|engine|coolant|turbo"
        r"|injector|electric|battery|wiring|starter|light|lift|alternator|gearbox|clutch"
        r"|transmission|drive"
    )
    assert vehicle.str.contains(parts).all()
    pickups = ev[(ev.event_type == "pickup") & ev.customer_id.notna()].merge(
        frames["customers"][["id", "service_address"]], left_on="customer_id", right_on="id"
    )
    street = pickups.service_address.str.split(",").str[0].str.split(" ", n=1).str[1]
    assert all(s in d for s, d in zip(street, pickups.description, strict=True))


def test_operational_tables_are_plausible(frames: dict[str, pd.DataFrame]) -> None:
    vehicles = frames["vehicles"]
    assert set(vehicles.status) <= {"active", "in_repair", "retired"}
    per_org = vehicles[vehicles.status != "retired"].groupby("organization_id").size()
    assert per_org.min() >= 2 and abs(per_org.sum() - 2000 / 60) < 8
    assert len(frames["organizations"]) == 4
    ev = frames["service_events"]
    assert set(ev.status) == {"completed", "open", "resolved"}
    share = ev.event_type.value_counts(normalize=True)
    assert share["pickup"] > 0.8 and share["missed_pickup"] < 0.12
    assert frames["customers"].email.str.contains("@").all()
    assert (vehicles.odometer_km > 0).all() and (vehicles.capacity_kg > 0).all()

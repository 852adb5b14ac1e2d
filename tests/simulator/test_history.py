"""The simulator's history: every version of every ops row, the database as of any moment, and
each planted change, recomputed from the versions themselves. Nothing is mocked."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.simulator import (
    OPS_TABLES,
    PLANTED_KINDS,
    SCHEMAS,
    OpsHistory,
    ops_as_of,
    simulate,
    simulate_history,
)

END = dt.date(2026, 11, 22)
TS = pa.timestamp("us", tz="UTC")
TIER_RANK = {"basic": 0, "standard": 1, "premium": 2}


@pytest.fixture(scope="module")
def history() -> OpsHistory:
    return simulate_history(2000, 180, seed=7, end_date=END)


@pytest.fixture(scope="module")
def versions(history: OpsHistory) -> dict[str, pd.DataFrame]:
    return {name: table.to_pandas() for name, table in history.versions.items()}


def ts(value: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value).tz_convert("UTC")


def previous(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column's value in the version before, within the same id (NaN for a first one)."""
    return frame.groupby("id", sort=False)[column].shift(1)


def test_same_seed_gives_the_same_history() -> None:
    first = simulate_history(300, 120, seed=3, end_date=END)
    again = simulate_history(300, 120, seed=3, end_date=END)
    assert first.planted == again.planted and first.start == again.start
    for name in OPS_TABLES:
        assert first.versions[name].equals(again.versions[name], check_metadata=True), name


def test_simulate_returns_the_state_at_the_end() -> None:
    history = simulate_history(300, 120, seed=3, end_date=END)
    final = ops_as_of(history, history.end)
    tables = simulate(300, 120, seed=3, end_date=END)
    assert history.end == dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert history.start == dt.datetime(2026, 7, 26, tzinfo=dt.UTC)
    for name in OPS_TABLES:
        assert tables[name].equals(final[name], check_metadata=True), name


def test_as_of_has_exact_schemas_unique_ids_and_keeps_metadata(history: OpsHistory) -> None:
    for at in (history.start + dt.timedelta(days=50, hours=9), history.end):
        tables = ops_as_of(history, at)
        assert tuple(tables) == OPS_TABLES
        for name, table in tables.items():
            assert table.schema.equals(SCHEMAS[name]), name
            assert table["id"].unique().to_pylist() == table["id"].to_pylist(), name
        assert b"planted_defects" in tables["service_events"].schema.metadata
    naive = ops_as_of(history, dt.datetime(2026, 9, 1, 12))
    aware = ops_as_of(history, dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC))
    assert all(naive[name].equals(aware[name]) for name in OPS_TABLES)


def test_versions_follow_the_rules(history: OpsHistory, versions: dict[str, pd.DataFrame]) -> None:
    """Each id's versions are contiguous, in time order and gapless; the first appears at
    created_at (late parents later); updated_at is _visible_from except backdated corrections."""
    end = ts(history.end)
    for name, frame in versions.items():
        table = history.versions[name]
        assert table.schema.names == SCHEMAS[name].names + ["_visible_from", "_visible_to"]
        assert table.schema.field("_visible_from").type == TS
        assert table["_visible_from"].null_count == 0
        codes = pd.factorize(frame.id)[0]
        assert (np.diff(codes) >= 0).all(), name
        following = frame.groupby("id", sort=False)._visible_from.shift(-1)
        assert (frame._visible_to[following.notna()] == following.dropna()).all(), name
        assert (frame._visible_to.isna() | (frame._visible_to > frame._visible_from)).all(), name
        assert (frame._visible_from < end).all(), name
        first = frame.groupby("id", sort=False).head(1)
        late = first._visible_from != first.created_at
        if name in ("customers", "bins"):
            assert (first._visible_from[late] > first.created_at[late]).all()
        else:
            assert not late.any(), name
        stamped_otherwise = (frame.updated_at != frame._visible_from).sum()
        expected = history.planted["backdated_correction"] if name == "service_events" else 0
        assert stamped_otherwise == expected, name


def deleted_events(events: pd.DataFrame) -> pd.DataFrame:
    last = events.groupby("id").tail(1)
    return last[last._visible_to.notna()]


def test_every_planted_kind_is_there_and_counted(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    planted = history.planted
    assert tuple(planted) == PLANTED_KINDS and min(planted.values()) > 0, planted
    start, end = ts(history.start), ts(history.end)

    cust = versions["customers"]
    step = cust.service_tier.map(TIER_RANK) - previous(cust, "service_tier").map(TIER_RANK)
    assert (step > 0).sum() == planted["tier_upgrade"]
    assert (step < 0).sum() == planted["tier_downgrade"]
    assert cust[step.notna() & (step != 0)].groupby("id").size().max() == 1
    first = cust.groupby("id").head(1)
    assert (first._visible_from > first.created_at).sum() == planted["late_parent"]

    bins = versions["bins"]
    removed = bins[(bins.status == "removed") & (previous(bins, "status") == "active")]
    assert len(removed) == planted["bin_removed"] == (bins.status == "removed").groupby(
        bins.id).any().sum()
    installed = bins.groupby("id").head(1)
    replacements = installed.merge(
        removed, left_on=["customer_id", "bin_type", "installed_at"],
        right_on=["customer_id", "bin_type", "_visible_from"], suffixes=("", "_old"),
    )
    assert len(replacements) == planted["bin_replaced"]
    assert (replacements.id != replacements.id_old).all()

    vehicles = versions["vehicles"]
    retired = (vehicles.status == "retired") & (previous(vehicles, "status") != "retired")
    assert (retired & (vehicles._visible_from >= start)).sum() == planted["vehicle_retired"]

    events = versions["service_events"]
    assert len(deleted_events(events)) == planted["event_deleted"]
    lag = events.updated_at - previous(events, "updated_at")
    assert (lag >= pd.Timedelta(days=1)).sum() == planted["late_correction"]
    backdated = events.updated_at < events._visible_from - pd.Timedelta(days=3)
    assert backdated.sum() == planted["backdated_correction"]

    routes = versions["routes"]
    final = routes.groupby("id").tail(1)
    closed_late = final.updated_at.dt.tz_convert(None).dt.normalize() > pd.to_datetime(
        final.route_date)
    assert closed_late.sum() == planted["route_closed_after_midnight"]
    assert (final.updated_at < end).all()


def test_as_of_shows_the_tier_before_a_later_change(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    cust = versions["customers"]
    changed = cust[previous(cust, "service_tier").notna()
                   & (cust.service_tier != previous(cust, "service_tier"))]
    mid = ts(history.start) + (ts(history.end) - ts(history.start)) / 2
    later = changed[changed._visible_from > mid].iloc[0]
    before = cust[(cust.id == later.id) & (cust._visible_from <= mid)].iloc[-1]
    assert before.service_tier != later.service_tier
    shown = ops_as_of(history, mid.to_pydatetime())["customers"].to_pandas().set_index("id")
    assert shown.loc[later.id, "service_tier"] == before.service_tier
    final = ops_as_of(history, history.end)["customers"].to_pandas().set_index("id")
    assert final.loc[later.id, "service_tier"] == later.service_tier


def test_a_deleted_event_is_visible_until_its_deletion(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    events = versions["service_events"]
    deleted = deleted_events(events)
    life = deleted._visible_to - deleted.created_at
    assert life.between(pd.Timedelta(days=1), pd.Timedelta(days=5, seconds=1)).all()
    gone = deleted.iloc[0]
    while_there = ops_as_of(history, (gone._visible_to - pd.Timedelta(hours=1)).to_pydatetime())
    after = ops_as_of(history, gone._visible_to.to_pydatetime())
    assert gone.id in set(while_there["service_events"]["id"].to_pylist())
    assert gone.id not in set(after["service_events"]["id"].to_pylist())
    final_ids = set(ops_as_of(history, history.end)["service_events"]["id"].to_pylist())
    assert final_ids.isdisjoint(deleted.id)


def test_a_late_parent_arrives_after_its_first_event(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    cust = versions["customers"]
    first = cust.groupby("id").head(1)
    late = first[first._visible_from > first.created_at]
    lag = late._visible_from - late.created_at
    assert lag.between(pd.Timedelta(days=2), pd.Timedelta(days=6)).all()
    assert (late.updated_at == late._visible_from).all()
    events = versions["service_events"]
    for _, parent in late.iterrows():
        mine = events[events.customer_id == parent.id]
        child = mine[mine._visible_from < parent._visible_from].iloc[0]
        moment = (parent._visible_from - pd.Timedelta(minutes=1)).to_pydatetime()
        tables = ops_as_of(history, moment)
        assert child.id in set(tables["service_events"]["id"].to_pylist())
        assert parent.id not in set(tables["customers"]["id"].to_pylist())
        assert parent.id in set(ops_as_of(history, parent._visible_from.to_pydatetime())[
            "customers"]["id"].to_pylist())


def test_a_backdated_correction_is_stamped_before_it_appears(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    events = versions["service_events"]
    backdated = events.updated_at < events._visible_from - pd.Timedelta(days=3)
    fixed = events[backdated]
    before = events.shift(1)[backdated]
    assert (before.id == fixed.id).all() and (fixed.event_type == "pickup").all()
    assert (fixed.updated_at - before.updated_at).between(
        pd.Timedelta(minutes=1), pd.Timedelta(minutes=30)).all()
    assert (fixed._visible_from - fixed.service_date).between(
        pd.Timedelta(days=5), pd.Timedelta(days=20)).all()
    assert (fixed.weight_kg != before.weight_kg).mean() > 0.8 and (fixed.weight_kg > 0).all()


def test_a_route_closed_after_midnight_shows_partial_at_midnight(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    routes = versions["routes"]
    final = routes.groupby("id").tail(1)
    day_after = pd.to_datetime(final.route_date).dt.tz_localize("UTC") + pd.Timedelta(days=1)
    late = final[final.updated_at > day_after]
    assert (late.updated_at - day_after[late.index]).between(
        pd.Timedelta(minutes=5), pd.Timedelta(hours=2)).all()
    route = late.iloc[0]
    midnight = day_after[late.index[0]].to_pydatetime()
    shown = ops_as_of(history, midnight)["routes"].to_pandas().set_index("id").loc[route.id]
    assert shown.status == "partial" and shown.updated_at < midnight


def test_vehicle_odometer_is_a_true_reading(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    """In the window, each version's odometer is the go-live one plus the routes driven before
    it (that day's route counts from 17:00); readings come about monthly."""
    start = ts(history.start)
    vehicles = versions["vehicles"]
    vehicles = vehicles[vehicles._visible_from >= start]
    routes = versions["routes"].groupby("id").tail(1)
    routes = routes.assign(day=pd.to_datetime(routes.route_date).dt.tz_localize("UTC"))
    for vehicle, rows in vehicles.groupby("id"):
        driven = routes[routes.vehicle_id == vehicle].sort_values("day")
        at = rows._visible_from
        cutoff = at.dt.floor("D") + pd.to_timedelta((at.dt.hour >= 17).astype(int), unit="D")
        km = np.concatenate([[0.0], driven.total_distance_km.cumsum().to_numpy()])
        expected = rows.odometer_km.iloc[0] + km[np.searchsorted(driven.day, cutoff, "left")]
        assert np.allclose(rows.odometer_km, expected, atol=0.06), vehicle
        if len(driven):
            gaps = at.diff().dropna()
            assert gaps.max() <= pd.Timedelta(days=2 * 30), vehicle


def test_downgrades_come_before_churn(
    history: OpsHistory, versions: dict[str, pd.DataFrame],
) -> None:
    """A platform that leaks today's tier into the past would see this lead: downgrades
    cluster in the 28 days before a churn, far above those days' share of customer time."""
    start, end = ts(history.start), ts(history.end)
    cust = versions["customers"]
    down = cust.service_tier.map(TIER_RANK) < previous(cust, "service_tier").map(TIER_RANK)
    final = cust.groupby("id").tail(1).set_index("id")
    churned_at = final.churned_at
    downgrades = cust[down].assign(churned_at=lambda f: f.id.map(churned_at))
    lead = downgrades.churned_at - downgrades._visible_from
    before_churn = lead.between(pd.Timedelta(0), pd.Timedelta(days=28)).mean()

    first_seen = cust.groupby("id")._visible_from.first().clip(lower=start)
    lived = (churned_at.fillna(end) - first_seen).clip(lower=pd.Timedelta(0))
    last_weeks = lived.clip(upper=pd.Timedelta(days=28))[churned_at.notna()]
    share_of_time = last_weeks.sum() / lived.sum()
    assert before_churn > 0.3 and before_churn > 10 * share_of_time

"""The oracle: each entity's true risk per as-of day, recorded without touching the simulation.

The truth is checked against what the world then did: the customers who churned, the vehicles
that broke down and the kg the bins gave, read from the simulated ops tables themselves.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.simulator import ops_as_of, simulate_history
from platform_assets.simulator.oracle import (
    AS_OF_HOUR,
    BREAKDOWN_HORIZON_DAYS,
    CHURN_HORIZON_DAYS,
    DEMAND_HORIZON_DAYS,
    ENTITY_KEYS,
    ORACLE_TABLES,
)
from platform_assets.training.tasks import TASKS_BY_NAME

END = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def world():
    history = simulate_history(1500, 150, seed=11, end_date=END, oracle=True)
    ops = {name: t.to_pandas() for name, t in ops_as_of(history, history.end).items()}
    oracle = {name: t.to_pandas() for name, t in history.oracle.items()}
    return history, ops, oracle


def _noon(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["as_of"]).dt.tz_localize("UTC") + pd.Timedelta(hours=AS_OF_HOUR)


def _observed(frame: pd.DataFrame, history, days: int) -> pd.DataFrame:
    """Rows whose horizon ends inside the simulated window."""
    frame = frame.assign(label_ts=_noon(frame))
    return frame[frame["label_ts"] + pd.Timedelta(days=days) <= history.end]


def test_recording_the_oracle_changes_no_generated_row() -> None:
    plain = simulate_history(300, 90, seed=3, end_date=END)
    observed = simulate_history(300, 90, seed=3, end_date=END, oracle=True)
    assert plain.oracle is None and observed.oracle is not None
    assert plain.planted == observed.planted
    for name, table in plain.versions.items():
        assert table.equals(observed.versions[name], check_metadata=True), name


def test_horizons_are_the_tasks_horizons() -> None:
    horizons = {"churn_risk": CHURN_HORIZON_DAYS, "maintenance_prediction":
                BREAKDOWN_HORIZON_DAYS, "demand_forecast": DEMAND_HORIZON_DAYS}
    for task, days in horizons.items():
        assert TASKS_BY_NAME[task].horizon == dt.timedelta(days=days)


def test_one_row_per_entity_and_day_with_sane_values(world) -> None:
    history, ops, oracle = world
    assert set(oracle) == set(ORACLE_TABLES)
    for name, frame in oracle.items():
        key = ENTITY_KEYS[name]
        assert not frame.duplicated([key, "as_of"]).any(), name
        assert frame["as_of"].min() == history.start.date()
        assert frame["as_of"].max() == END
        values = frame.drop(columns=[key, "as_of"])
        assert values.notna().all().all(), name
    for name in ("churn", "breakdown"):
        for column in ("hazard", "probability"):
            assert oracle[name][column].between(0, 1).all(), (name, column)
    assert (oracle["demand"]["expected_kg"] >= 0).all()
    ids = {"churn": "customers", "breakdown": "vehicles", "demand": "bins"}
    for name, table in ids.items():  # every entity is one ops knows
        assert set(oracle[name][ENTITY_KEYS[name]]) <= set(ops[table]["id"]), name


def test_customers_about_to_churn_had_a_higher_true_risk(world) -> None:
    history, ops, oracle = world
    rows = _observed(oracle["churn"], history, CHURN_HORIZON_DAYS).merge(
        ops["customers"][["id", "churned_at"]], left_on="customer_id", right_on="id")
    churns = (rows["churned_at"] > rows["label_ts"]) & (
        rows["churned_at"] <= rows["label_ts"] + pd.Timedelta(days=CHURN_HORIZON_DAYS))
    assert churns.sum() > 100
    for column in ("probability", "hazard"):
        assert rows.loc[churns, column].mean() > 1.5 * rows.loc[~churns, column].mean(), column
    # Calibrated: the mean forecast is the churn rate, give or take a fifth.
    assert rows["probability"].mean() == pytest.approx(churns.mean(), rel=0.2)


def test_vehicles_about_to_break_down_had_a_higher_true_risk(world) -> None:
    history, ops, oracle = world
    events = ops["service_events"]
    breakdowns = events.loc[events["event_type"] == "breakdown", ["vehicle_id", "service_date"]]
    rows = _observed(oracle["breakdown"], history, BREAKDOWN_HORIZON_DAYS)
    pairs = rows.merge(breakdowns, on="vehicle_id")
    hit = (pairs["service_date"] > pairs["label_ts"]) & (
        pairs["service_date"] <= pairs["label_ts"] + pd.Timedelta(days=BREAKDOWN_HORIZON_DAYS))
    broke = pairs.loc[hit, ["vehicle_id", "as_of"]].drop_duplicates().assign(label=True)
    rows = rows.merge(broke, on=["vehicle_id", "as_of"], how="left")
    label = rows["label"].fillna(False).astype(bool)
    assert label.sum() > 50
    assert rows.loc[label, "probability"].mean() > 1.5 * rows.loc[~label, "probability"].mean()


def test_expected_kg_matches_what_the_bins_gave(world) -> None:
    history, ops, oracle = world
    events = ops["service_events"]
    pickups = events.loc[events["event_type"] == "pickup", ["bin_id", "service_date", "weight_kg"]]
    rows = _observed(oracle["demand"], history, DEMAND_HORIZON_DAYS)
    rows = rows[pd.to_datetime(rows["as_of"]).dt.day_of_week == 2]  # one as-of day a week
    pairs = rows.merge(pickups, on="bin_id")
    inside = (pairs["service_date"] > pairs["label_ts"]) & (
        pairs["service_date"] <= pairs["label_ts"] + pd.Timedelta(days=DEMAND_HORIZON_DAYS))
    kg = pairs[inside].groupby(["bin_id", "as_of"])["weight_kg"].sum().rename("kg")
    rows = rows.merge(kg, on=["bin_id", "as_of"], how="left").fillna({"kg": 0.0})
    assert rows["expected_kg"].sum() == pytest.approx(rows["kg"].sum(), rel=0.03)
    assert np.corrcoef(rows["expected_kg"], rows["kg"])[0, 1] > 0.8


def test_oracle_tables_are_arrow_with_dates() -> None:
    history = simulate_history(60, 20, seed=1, end_date=END, oracle=True)
    for name, table in history.oracle.items():
        assert table.schema.field("as_of").type == pa.date32(), name
        assert table.schema.field(ENTITY_KEYS[name]).type == pa.string(), name

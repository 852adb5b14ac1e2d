"""Labels of small, known histories: horizons (open start, closed end), exclusions, observation."""

from datetime import date

import pytest
from training_data import add_bin, add_customer, add_event, add_vehicle, observe_until, uid

from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.dataset import Window, build_dataset
from platform_assets.training.tasks import TASKS_BY_NAME

MONDAYS = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]


def labels(conn, tmp_path, task_name: str, first: str, last: str) -> dict:
    """Build the task unpurged (every label row kept) and return {(entity, as-of date): label}."""
    task = TASKS_BY_NAME[task_name]
    window = Window(date.fromisoformat(first), date.fromisoformat(last))
    build_dataset(conn, task, window, "test", ArtifactStore(root=str(tmp_path)), purge=False)
    rows = conn.execute(
        f"select {task.entity_key}, (label_ts at time zone 'utc')::text, label"
        f" from training.{task.name}"
    ).fetchall()
    return {(key.int, stamp[:10]): label for key, stamp, label in rows}


def test_churn_labels(conn, tmp_path):
    add_customer(conn, 1, created="2026-01-01")
    add_customer(conn, 2, created="2026-01-01", churned="2026-03-20 23:00")
    add_customer(conn, 3, created="2026-01-01", churned="2026-04-01 12:00:01")
    add_customer(conn, 4, created="2026-01-01", churned="2026-03-09 12:00")
    add_customer(conn, 5, created="2026-03-10")
    add_customer(conn, 6, created="2026-01-01", churned="2026-02-01")  # churned before: no rows
    add_customer(conn, 7, created="2026-03-16 12:00")  # created exactly at label_ts: labelled
    observe_until(conn, "2026-04-25")  # 03-30 + 30 days is not observed yet: no 03-30 rows

    got = labels(conn, tmp_path, "churn_risk", "2026-03-02", "2026-03-30")

    a, b, c, d = MONDAYS
    assert got == {
        (1, a): 0, (1, b): 0, (1, c): 0, (1, d): 0,
        (2, a): 1, (2, b): 1, (2, c): 1,  # churned on 03-20: gone by 03-23
        (3, a): 0, (3, b): 1, (3, c): 1, (3, d): 1,  # a second past 03-02's horizon
        (4, a): 1,  # churned exactly at 03-09 label_ts: in 03-02's horizon, gone at 03-09
        (5, c): 0, (5, d): 0,
        (7, c): 0, (7, d): 0,
    }  # fmt: skip


def test_maintenance_labels(conn, tmp_path):
    add_vehicle(conn, 1, created="2025-01-01")
    add_vehicle(conn, 2, created="2025-01-01", status="retired")
    add_vehicle(conn, 3, created="2026-03-05", status="in_repair")
    add_event(conn, 1, "breakdown", "2026-03-16 12:00", vehicle_id=uid(1))  # = 03-02 + 14 days
    add_event(conn, 2, "breakdown", "2026-03-10", vehicle_id=uid(2))
    add_event(conn, 3, "maintenance", "2026-03-12", vehicle_id=uid(3))  # not a breakdown
    observe_until(conn, "2026-04-25")

    got = labels(conn, tmp_path, "maintenance_prediction", "2026-03-02", "2026-03-23")

    a, b, c, d = MONDAYS
    assert got == {
        (1, a): 1, (1, b): 1, (1, c): 0, (1, d): 0,  # at 03-16 label_ts itself: not after it
        (3, b): 0, (3, c): 0, (3, d): 0,
    }  # fmt: skip


def test_demand_labels(conn, tmp_path):
    customer = add_customer(conn, 1, created="2025-01-01")
    add_bin(conn, 1, customer, created="2025-01-01")
    add_bin(conn, 2, customer, created="2025-01-01", removed="2026-03-10")
    add_event(conn, 1, "pickup", "2026-03-02 12:00", bin_id=uid(1), weight_kg=50.0)  # = label_ts
    add_event(conn, 2, "pickup", "2026-03-05", bin_id=uid(1), weight_kg=10.0)
    add_event(conn, 3, "pickup", "2026-03-09 12:00", bin_id=uid(1), weight_kg=20.0)  # horizon end
    add_event(conn, 4, "missed_pickup", "2026-03-06", bin_id=uid(1), weight_kg=99.0)
    add_event(conn, 5, "pickup", "2026-03-12", bin_id=uid(1), weight_kg=5.5)
    add_event(conn, 6, "pickup", "2026-03-08", bin_id=uid(2), weight_kg=7.0)
    observe_until(conn, "2026-04-25")

    got = labels(conn, tmp_path, "demand_forecast", "2026-03-02", "2026-03-16")

    a, b, c, _ = MONDAYS
    assert got == {
        (1, a): 30.0, (1, b): 5.5, (1, c): 0.0,
        (2, a): 7.0, (2, b): 0.0,  # removed on 03-10: no row from 03-16 on
    }  # fmt: skip


@pytest.mark.parametrize("last", ["2026-04-30", "2026-06-01"])
def test_no_label_date_with_an_unobserved_horizon(conn, tmp_path, last):
    add_customer(conn, 1, created="2026-01-01")
    observe_until(conn, "2026-04-25")
    got = labels(conn, tmp_path, "churn_risk", "2026-03-02", last)
    assert max(day for _, day in got) == "2026-03-23"  # 03-23 12:00 + 30 days <= 04-25

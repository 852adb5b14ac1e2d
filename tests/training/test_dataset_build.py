"""Whole builds: the default window, the time split, determinism, versions, atomic publication."""

import json
import os
from datetime import date

import numpy as np
import psycopg
import pyarrow.parquet as pq
import pytest
from testkit import TEMPLATE, create_database, fingerprint, run_together
from training_data import add_customer, daily_rows, insert_features, observe_until, uid

from platform_assets.features.registry import view_version
from platform_assets.features.views import VIEWS_BY_NAME
from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.dataset import Window, build_dataset, resolve_window
from platform_assets.training.split import split_cutoffs, split_sizes
from platform_assets.training.tasks import TASKS_BY_NAME
from platform_assets.training.versions import feature_view_version

CHURN = TASKS_BY_NAME["churn_risk"]
DAILY = VIEWS_BY_NAME["customer_daily"]


def write_history(conn) -> None:
    """12 customers (two churn in the window), daily features 2026-01-01..04-30, events to 05-15."""
    for n in range(1, 13):
        churned = {3: "2026-02-20 23:00", 7: "2026-04-02 22:45"}.get(n)
        add_customer(conn, n, created="2025-06-01", churned=churned)
    frame = daily_rows([uid(n) for n in range(1, 13)], "2026-01-01", 120, "customer_id")
    frame["kg_trend_30d"] = np.random.default_rng(3).normal(0, 10, len(frame))
    insert_features(conn, DAILY, frame)
    observe_until(conn, "2026-05-15")


@pytest.fixture
def history(conn):
    write_history(conn)


def store(tmp_path) -> ArtifactStore:
    return ArtifactStore(root=str(tmp_path / "artifacts"))


def test_default_window_spans_features_with_an_observed_horizon(conn, history):
    # Features are usable from 01-02 (the row of 01-01); 05-15 - 30 days - 12h ends on 04-14.
    assert resolve_window(conn, CHURN, Window()) == (date(2026, 1, 2), date(2026, 4, 14))
    assert resolve_window(conn, CHURN, Window(first=date(2026, 3, 1))) == (
        date(2026, 3, 1),
        date(2026, 4, 14),
    )


def test_split_by_time_never_puts_a_later_date_in_train(conn, history, tmp_path):
    # Unpurged, so every date keeps its rows; test_split_purge covers what the purge drops.
    build = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path), purge=False)
    spans = dict(
        (split, (first, last, dates))
        for split, first, last, dates in conn.execute(
            "select split, min(label_ts), max(label_ts), count(distinct label_ts)"
            " from training.churn_risk group by split"
        )
    )
    assert spans["train"][1] < spans["valid"][0] <= spans["valid"][1] < spans["test"][0]
    assert [spans[s][2] for s in ("train", "valid", "test")] == [11, 2, 2]  # 15 Fridays
    rows = conn.execute("select split, count(*) from training.churn_risk group by split")
    assert build.split_counts == dict(rows.fetchall())


def test_registry_row_describes_the_build(conn, history, tmp_path):
    build = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))
    row = conn.execute(
        "select version, row_count, split_counts, label_balance, feature_views, parquet_path,"
        " run_id from training.datasets where task = 'churn_risk'"
    ).fetchone()
    assert row[:2] == (build.version, build.row_count)
    assert row[2] == build.split_counts
    assert (
        row[3]["positive"]
        == conn.execute("select count(*) from training.churn_risk where label = 1").fetchone()[0]
    )
    assert row[3]["positive"] + row[3]["negative"] == build.row_count
    assert set(row[4]) == {"customer_daily", "customer_topics_daily"}
    assert row[5] == str(
        tmp_path / "artifacts" / "datasets" / "churn_risk" / f"{build.version}.parquet"
    )
    assert row[6] == "run-1"
    meta = pq.read_schema(row[5]).metadata
    assert json.loads(meta[b"feature_views"]) == build.feature_views


def test_rebuild_is_deterministic_and_keeps_the_snapshot(conn, history, tmp_path):
    first = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))
    digest, stat = fingerprint(conn, "training.churn_risk"), os.stat(first.parquet_path)
    second = build_dataset(conn, CHURN, Window(), "run-2", store(tmp_path))

    assert second.version == first.version
    assert fingerprint(conn, "training.churn_risk") == digest
    assert (second.registered, second.snapshot_written) == (False, False)
    after = os.stat(second.parquet_path)
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    runs = conn.execute("select run_id from training.datasets").fetchall()
    assert runs == [("run-1",)]  # the version keeps its first registration


def test_same_inputs_in_another_database_give_the_same_version(conn, history, server_url, tmp_path):
    here = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))
    url = create_database(server_url, f"{conn.info.dbname}_twin", template=TEMPLATE)
    with psycopg.connect(url, autocommit=True) as twin:
        write_history(twin)
        there = build_dataset(twin, CHURN, Window(), "run-9", store(tmp_path / "twin"))
        assert fingerprint(twin, "training.churn_risk") == fingerprint(conn, "training.churn_risk")
    assert there.version == here.version


def test_a_changed_input_row_changes_the_version(conn, history, tmp_path):
    first = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))
    # 02-06 is a train date the purge keeps (train ends at valid_from 03-20 minus 30 days).
    conn.execute(
        "update features.customer_daily set complaints_30d = 4"
        " where customer_id = %s and feature_ts = '2026-02-06 00:00+00'",
        (uid(5),),
    )
    second = build_dataset(conn, CHURN, Window(), "run-2", store(tmp_path))

    assert second.version != first.version
    assert second.registered and second.snapshot_written
    assert first.parquet_path.exists() and second.parquet_path.exists()
    assert conn.execute("select count(*) from training.datasets").fetchone()[0] == 2
    changed = conn.execute(
        "select customer_daily__complaints_30d from training.churn_risk"
        " where customer_id = %s and label_ts = '2026-02-06 12:00+00'",
        (uid(5),),
    ).fetchone()
    assert changed == (4,)


def test_a_failed_build_leaves_the_previous_table_and_registry(conn, history, tmp_path):
    build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))
    digest = fingerprint(conn, "training.churn_risk")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")  # the snapshot cannot be written: the build fails before its swap

    with pytest.raises(OSError):
        build_dataset(
            conn, CHURN, Window(first=date(2026, 2, 1)), "run-2", ArtifactStore(root=str(blocked))
        )

    assert fingerprint(conn, "training.churn_risk") == digest
    assert conn.execute("select count(*) from training.datasets").fetchone()[0] == 1
    leftover = conn.execute("select to_regclass('training.churn_risk__build')").fetchone()[0]
    assert leftover is None


@pytest.mark.parametrize(
    ("dates", "sizes"),
    [(0, (0, 0, 0)), (1, (1, 0, 0)), (2, (1, 0, 1)), (3, (1, 1, 1)), (4, (2, 1, 1)),
     (10, (6, 2, 2)), (20, (14, 3, 3)), (100, (70, 15, 15))],
)  # fmt: skip
def test_split_sizes(dates, sizes):
    assert split_sizes(dates, 0.15, 0.15) == sizes


def test_split_sizes_keep_a_train_date_with_large_fractions():
    assert split_sizes(3, 0.5, 0.5) == (1, 1, 1)
    assert split_sizes(5, 0.5, 0.5) == (1, 1, 3)


def test_split_cutoffs_fall_on_label_dates():
    days = [date(2026, 1, d) for d in (5, 12, 19, 26)] * 3  # repeated, unordered on purpose
    cutoffs = split_cutoffs(reversed(days))
    assert (cutoffs.valid_from, cutoffs.test_from) == (date(2026, 1, 19), date(2026, 1, 26))
    assert split_cutoffs(days[:1]) == split_cutoffs([date(2026, 1, 5)])
    assert split_cutoffs(days[:1]).test_from is None


def test_feature_view_version_prefers_the_registry(conn):
    assert feature_view_version(conn, DAILY) == view_version(conn, DAILY)  # what assets register
    conn.execute(
        "insert into features.registry (view_name, version, entity_key, ttl, feature_columns,"
        " source_tables, code_version, row_count) values"
        " ('customer_daily', 'registered', 'customer_id', '2 days', '{}', '{}', 'c', 0)"
    )
    assert feature_view_version(conn, DAILY) == "registered"


def test_a_window_without_labels_builds_an_empty_dataset(conn, tmp_path):
    observe_until(conn, "2026-05-15")  # no customers at all
    build = build_dataset(
        conn, CHURN, Window(date(2026, 3, 1), date(2026, 3, 31)), "run-1", store(tmp_path)
    )
    assert build.row_count == 0
    assert build.split_counts == {"train": 0, "valid": 0, "test": 0}
    snapshot = pq.read_table(build.parquet_path)
    assert snapshot.num_rows == 0 and "customer_daily__kg_trend_30d" in snapshot.column_names


def test_concurrent_builds_record_each_versions_own_results(conn, db_url, history, tmp_path):
    """Two builds of one task at once (the CLI's in-process runs skip the run queue): the task's
    lock queues them, and each one's checks ran on its own rows and are recorded under its own
    version, never the other's."""
    windows = [Window(date(2026, 1, 2), date(2026, 2, 26)),
               Window(date(2026, 1, 2), date(2026, 4, 14))]
    builds = []

    def build(window: Window, run_id: str) -> None:
        with psycopg.connect(db_url, autocommit=True) as own:
            builds.append(build_dataset(own, CHURN, window, run_id, store(tmp_path),
                                        checks_url=db_url))

    errors = run_together(build, [(w, f"run-{n}") for n, w in enumerate(windows)])
    assert errors == [] and len(builds) == 2
    assert builds[0].version != builds[1].version and builds[0].row_count != builds[1].row_count
    for built in builds:
        rows = conn.execute(
            "select check_name, run_id, observed from quality.check_results"
            " where asset_key = 'training/churn_risk' and data_version = %s",
            (built.version,),
        ).fetchall()
        assert sorted(r[0] for r in rows) == sorted(c.check_name for c in built.checks)
        assert {r[1] for r in rows} == {built.run_id}
        has_rows = next(r[2] for r in rows if r[0] == "has_rows")
        assert has_rows["expectations"][0]["observed_value"] == built.row_count

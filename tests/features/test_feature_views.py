"""Feature views against a real Postgres: windows at partition edges, PIT semantics, no PII."""

from datetime import date, timedelta

import pandas as pd
import psycopg
import pytest
from testkit import END_DATE

from platform_assets.features.assets import feature_assets, write_view
from platform_assets.features.registry import register
from platform_assets.features.views import FEATURE_VIEWS, VIEWS_BY_NAME
from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops
from platform_assets.training.versions import feature_view_version

CUSTOMERS, DAYS, SEED = 120, 120, 5


@pytest.fixture
def staged(db_url, conn, materialize):
    """A small simulated history, ingested into staging."""
    end = date.fromisoformat(END_DATE)
    tables = simulate(CUSTOMERS, DAYS, SEED, end, dirty_fraction=0.0)
    write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, end))
    first, last = source_extent(conn)
    assert materialize(ingest_assets, first, last).success
    return first, last


def rows(conn, view, first_day: str, last_day: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        conn.execute(
            f"select * from {view.table} where feature_ts > %s::date and feature_ts <= %s::date + 1"
            f" order by {view.entity_key}, feature_ts",
            (first_day, last_day),
        ).fetchall()
    )
    return frame


@pytest.mark.parametrize("view", FEATURE_VIEWS, ids=lambda v: v.name)
def test_partition_edges_equal_the_whole_history(staged, db_url, view):
    first, last = staged
    whole_first = (date.fromisoformat(first) + timedelta(days=100)).isoformat()
    with psycopg.connect(db_url, autocommit=True) as conn:
        write_view(conn, view, first, last)  # the whole history in one statement
        expected = rows(conn, view, whole_first, last)
        conn.execute(f"truncate {view.table}")
        day = date.fromisoformat(whole_first)
        while day.isoformat() <= last:  # then partition by partition, three days at a time
            end = min(day + timedelta(days=2), date.fromisoformat(last))
            write_view(conn, view, day.isoformat(), end.isoformat())
            day = end + timedelta(days=1)
        got = rows(conn, view, whole_first, last)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected)


def test_customer_windows_match_an_independent_computation(staged, db_url, conn):
    first, last = staged
    view = VIEWS_BY_NAME["customer_daily"]
    write_view(conn, view, first, last)
    events = pd.DataFrame(
        conn.execute(
            "select customer_id, event_type, service_date from staging.service_events"
            " where customer_id is not null"
        ).fetchall(),
        columns=["customer_id", "event_type", "service_date"],
    )
    features = pd.DataFrame(
        conn.execute(
            "select customer_id, feature_ts, pickups_7d, missed_pickups_30d, complaints_90d"
            " from features.customer_daily where feature_ts = %s::date + 1 - 10",
            (last,),
        ).fetchall(),
        columns=["customer_id", "feature_ts", "pickups_7d", "missed_30d", "complaints_90d"],
    )
    assert len(features) > 50
    for row in features.itertuples():
        mine = events[events.customer_id == row.customer_id]
        before = mine[mine.service_date < row.feature_ts]

        def count(kind, days, before=before, row=row):
            since = row.feature_ts - pd.Timedelta(days=days)
            return int(((before.event_type == kind) & (before.service_date >= since)).sum())

        assert row.pickups_7d == count("pickup", 7)
        assert row.missed_30d == count("missed_pickup", 30)
        assert row.complaints_90d == count("complaint", 90)


def test_materialized_views_are_registered_served_latest_and_free_of_pii(staged, conn, materialize):
    first, last = staged
    result = materialize(feature_assets, first, last)
    assert result.success
    for view in FEATURE_VIEWS:
        version, row_count, freshness = conn.execute(
            "select version, row_count, freshness_ts from features.registry where view_name = %s",
            (view.name,),
        ).fetchone()
        assert row_count == conn.execute(f"select count(*) from {view.table}").fetchone()[0] > 0
        assert freshness.date() == date.fromisoformat(last) + timedelta(days=1)
        latest = conn.execute(
            f"select count(*), count(distinct {view.entity_key}), min(feature_ts)"
            f" from {view.latest_view}"
        ).fetchone()
        assert latest[0] == latest[1]  # one row per entity
        leaks = conn.execute(
            f"select count(*) from {view.table} where source_max_ts > feature_ts"
        ).fetchone()[0]
        assert leaks == 0  # nothing known later than the row claims
        meta = result.asset_materializations_for_node(f"features__{view.name}")[0].metadata
        assert meta["view_version"].value == version
        assert "dagster/column_lineage" in meta

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 5 * len(FEATURE_VIEWS)
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]
    recorded = conn.execute(
        "select count(*), bool_and(passed) from quality.check_results"
        " where asset_key like 'features/%%' and partition_key = %s",
        (f"{first}..{last}",),
    ).fetchone()
    assert recorded == (len(evaluations), True)
    # Checks are declared per day: a range run records them against the asset, a one-day run
    # against its day, which the UI then shows on that partition.
    assert {e.partition for e in evaluations} == {None}
    one_day = materialize(feature_assets, last)
    assert one_day.success
    assert {e.partition for e in one_day.get_asset_check_evaluations()} == {last}
    assert conn.execute(
        "select min(quality_score) from features.registry"
    ).fetchone()[0] == 1

    columns = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'features'"
        )
    }
    assert not columns & {"name", "email", "service_address", "lat", "lon", "plate"}


def test_a_label_at_noon_never_sees_that_days_events(staged, conn):
    """feature_ts is the end of the day: the row valid at noon of day D describes D - 1."""
    first, last = staged
    view = VIEWS_BY_NAME["customer_daily"]
    write_view(conn, view, first, last)
    customer_id, service_date = conn.execute(
        "select customer_id, service_date from staging.service_events where event_type ="
        " 'complaint' and service_date::date > %s::date + 95 order by service_date limit 1",
        (first,),
    ).fetchone()
    noon = service_date.replace(hour=12, minute=0, second=0, microsecond=0)
    at_noon = conn.execute(
        "select complaints_7d, feature_ts from features.customer_daily where customer_id = %s"
        " and feature_ts <= %s order by feature_ts desc limit 1",
        (customer_id, noon),
    ).fetchone()
    next_day = conn.execute(
        "select complaints_7d from features.customer_daily where customer_id = %s"
        " and feature_ts = %s::date + 1",
        (customer_id, service_date),
    ).fetchone()
    assert at_noon[1] <= noon and at_noon[1].date() == service_date.date()
    assert next_day[0] >= at_noon[0] + 1


def test_the_newest_registry_row_is_the_version_written_last(conn):
    """A view reverted to earlier SQL is back on its earlier version: the registry's newest row
    (which datasets and predictions read) follows the last registration, not the first."""
    view = VIEWS_BY_NAME["bin_daily"]
    first = register(conn, view, "code-a", 1.0, variant="a")
    second = register(conn, view, "code-b", 1.0, variant="b")
    assert feature_view_version(conn, view) == second != first
    assert register(conn, view, "code-a", 1.0, variant="a") == first  # the revert
    assert feature_view_version(conn, view) == first


def test_a_bin_last_served_before_its_windows_keeps_its_days_since_service(staged, db_url, conn):
    # The bins x days grid spans the 28-day windows only; an older last pickup or event comes from
    # the days before the grid and must read the same in a one-day run as in the whole history.
    first, last = staged
    view = VIEWS_BY_NAME["bin_daily"]
    [(bin_id,)] = conn.execute(
        "select bin_id from staging.service_events where event_type = 'pickup'"
        " and bin_id is not null group by bin_id order by count(*) desc, bin_id limit 1"
    ).fetchall()
    conn.execute("delete from staging.service_events where bin_id = %s"
                 " and service_date >= %s::date - 40", (bin_id, last))
    query = ("select days_since_service, source_max_ts, pickups_28d from features.bin_daily"
             " where bin_id = %s and feature_ts = %s::date + 1")

    write_view(conn, view, first, last)
    whole = conn.execute(query, (bin_id, last)).fetchone()
    conn.execute(f"truncate {view.table}")
    write_view(conn, view, last, last)
    night = conn.execute(query, (bin_id, last)).fetchone()

    assert night == whole
    assert 41 <= whole[0] <= 89 and whole[2] == 0

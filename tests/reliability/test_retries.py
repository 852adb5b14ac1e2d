"""Retries: a transient database failure (here the step's backend terminated mid-write) is retried
to exactly the rows of an undisturbed run; a real failure and a failed check are not retried.

The transient failures are real ones from the embedded Postgres (errors raised with their SQLSTATE,
a backend terminated by `pg_terminate_backend`), never stand-ins.
"""

import threading
import uuid
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from fault_tools import (
    APP,
    blocked_on,
    clone,
    platform_sessions,
    scalar,
    wait_for,
    waiting_writer_holds,
)
from testkit import fingerprint

from platform_assets.db.transient import is_transient
from platform_assets.partitions import POSTGRES_POOL

DAY = "2026-06-20"
VIEW = "features/vehicle_daily"


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _error(conn: psycopg.Connection, sqlstate: str) -> psycopg.Error:
    try:
        conn.execute(f"do $$ begin raise exception 'planted' using errcode = '{sqlstate}'; end $$")
    except psycopg.Error as error:
        return error
    raise AssertionError("no error raised")


def test_transient_failures_are_told_from_real_ones(db_url):
    with connect(db_url) as conn:
        for state in ("40001", "40P01", "57P01"):  # serialization, deadlock, admin shutdown
            assert is_transient(_error(conn, state)), state
        for state in ("22012", "23505", "42703"):  # division by zero, duplicate key, bad column
            assert not is_transient(_error(conn, state)), state
        wrapped = RuntimeError("while writing")
        wrapped.__cause__ = _error(conn, "40001")
        assert is_transient(wrapped)  # found through the cause chain
    victim = connect(db_url)
    with connect(db_url) as admin:
        admin.execute("select pg_terminate_backend(%s)", (victim.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError) as dropped:
        victim.execute("select 1")
    assert is_transient(dropped.value)


def _retries(result) -> int:
    return sum(event.is_step_up_for_retry for event in result.all_events)


@pytest.mark.slow
def test_a_backend_terminated_mid_write_is_retried_to_the_undisturbed_rows(world):
    clean_url = clone(world.url, f"clean_{uuid.uuid4().hex[:8]}")
    clean = world.__class__(clean_url, Path(world.artifacts.root + "-clean"))
    with connect(world.url) as conn:
        before = fingerprint(conn, "features.vehicle_daily")
    outcome: dict = {}
    with connect(world.url) as watch:
        with psycopg.connect(world.url) as blocker:  # the lock lasts until rollback
            blocker.execute("lock table staging.routes in access exclusive mode")
            runner = threading.Thread(
                target=lambda: outcome.update(result=world.run(VIEW, partition=(DAY, DAY)))
            )
            runner.start()
            wait_for(lambda: blocked_on(watch, 'insert into "features"."vehicle_daily"') == 1)
            assert waiting_writer_holds(watch, "features.vehicle_daily", "RowExclusiveLock")
            pid = scalar(
                watch,
                "select pid from pg_stat_activity where datname = current_database()"
                " and application_name = %s and wait_event_type = 'Lock'",
                (APP,),
            )
            assert scalar(watch, "select pg_terminate_backend(%s)", (pid,))
            blocker.rollback()
        runner.join(timeout=180)
        wait_for(lambda: platform_sessions(watch) == 0, timeout=30)
    result = outcome["result"]
    assert result.success and _retries(result) == 1
    assert clean.run(VIEW, partition=(DAY, DAY)).success
    with connect(world.url) as conn, connect(clean_url) as undisturbed:
        after = fingerprint(conn, "features.vehicle_daily")
        assert after == fingerprint(undisturbed, "features.vehicle_daily")
        assert after[0] == before[0]  # the day rewritten once, nothing added or lost


def test_a_real_failure_and_a_failed_check_are_not_retried(world):
    assert world.run(VIEW, partition=(DAY, DAY)).success
    with connect(world.url) as conn:
        # A value no vehicle can have: the blocking range check fails the step, once.
        conn.execute("update staging.routes set total_distance_km = -5000"
                     " where route_date = %s::date", (DAY,))
    checked = world.run(VIEW, partition=(DAY, DAY))
    failed = [e.check_name for e in checked.get_asset_check_evaluations() if not e.passed]
    assert failed == ["km_30d_in_range"]
    assert not checked.success and _retries(checked) == 0
    with connect(world.url) as conn:
        conn.execute("alter table staging.routes rename column total_distance_km to km")
    broken = world.run(VIEW, partition=(DAY, DAY))
    assert not broken.success and _retries(broken) == 0
    failure = next(e for e in broken.all_events if e.is_step_failure)
    assert "UndefinedColumn" in failure.step_failure_data.error.message


def test_the_postgres_heavy_steps_share_one_pool():
    from platform_assets.definitions import defs

    pooled = {
        key.to_user_string()
        for asset in defs.assets if isinstance(asset, dg.AssetsDefinition)
        for key in asset.keys if asset.op.pool == POSTGRES_POOL
    }
    assert {"staging/service_events", "features/customer_daily",
            "features/customer_topics_daily", "embeddings/service_event_embeddings",
            "predictions/churn_risk"} <= pooled
    assert "models/churn_risk_promotion" not in pooled  # a blocked gate is never retried

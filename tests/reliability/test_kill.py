"""SIGKILL of the run worker mid-write: the previous data stays whole, and the killed run,
re-executed from failure, ends where an undisturbed run ends.

Each test holds a lock from the test so the worker is known to be inside its write transaction
(its earlier statements done, uncommitted), kills the worker's process group, then marks the
run failed (what run monitoring does for a dead worker) and re-executes it from failure in the
same persistent instance. The undisturbed result comes from a clean run on a copy of the
database taken before the killed run.
"""

import uuid

import dagster as dg
import fault_jobs
import psycopg
import pyarrow.parquet as pq
import pytest
from fault_jobs import ARTIFACTS_ENV, DATABASE_ENV, TASK
from fault_tools import (
    blocked_on,
    clone,
    kill,
    mark_failed,
    materialized,
    platform_sessions,
    reexecute_from_failure,
    shorter_window,
    spawn_run,
    wait_for,
    waiting_writer_holds,
    worker_env,
    write_small_source,
)
from testkit import fingerprint

from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent
from platform_assets.resources import PostgresResource


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def kill_while_blocked(url, lock_sql, factory, instance_dir, env, waits_in, wrote, tags=None,
                       run_config=None):
    """Start the run with `lock_sql` held; once it waits in `waits_in` having written `wrote`
    (relation, lock mode), SIGKILL it; return when its database session is gone."""
    with connect(url) as watch:
        with psycopg.connect(url) as blocker:  # not autocommit: the lock lasts until rollback
            blocker.execute(lock_sql)
            worker = spawn_run(factory, instance_dir, env, tags=tags, run_config=run_config)
            try:
                wait_for(lambda: blocked_on(watch, waits_in) == 1, workers=(worker,))
                assert waiting_writer_holds(watch, *wrote)  # mid-write, uncommitted
            finally:
                kill(worker)
            blocker.rollback()
        wait_for(lambda: platform_sessions(watch) == 0, timeout=30)


def execute_clean(factory, tags=None, run_config=None):
    result = dg.execute_job(
        dg.reconstructable(factory), instance=dg.DagsterInstance.ephemeral(), tags=tags,
        run_config=run_config, raise_on_error=False,
    )
    assert result.success
    return result


@pytest.mark.slow
def test_kill_mid_feature_partition_write(db_url, materialize, tmp_path, monkeypatch):
    write_small_source(db_url)
    with connect(db_url) as conn:
        first, last = source_extent(conn)
    views = [a for a in feature_assets if fault_jobs.FEATURE_KEY in a.keys]
    assert materialize([*ingest_assets, *views], first, last).success
    with connect(db_url) as conn:
        # A correction lands, so the day recomputes to other rows than the stored ones.
        conn.execute(
            "update staging.service_events set event_type = 'missed_pickup'"
            " where event_type = 'pickup' and service_date >= %s::date - 3",
            (last,),
        )
        before = fingerprint(conn, "features.customer_daily")
    clean_url = clone(db_url, f"clean_{uuid.uuid4().hex[:8]}")
    env = {DATABASE_ENV: db_url, ARTIFACTS_ENV: str(tmp_path / "artifacts")}
    instance_dir = tmp_path / "instance"

    kill_while_blocked(
        db_url, "lock table staging.service_events in access exclusive mode", "feature_job",
        instance_dir, worker_env(**env), waits_in='insert into "features"."customer_daily"',
        wrote=("features.customer_daily", "RowExclusiveLock"), tags={"dagster/partition": last},
    )
    with connect(db_url) as conn:
        assert fingerprint(conn, "features.customer_daily") == before

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    instance = dg.DagsterInstance.local_temp(str(instance_dir))
    run = mark_failed(instance)
    result = reexecute_from_failure(instance, fault_jobs.feature_job, run)
    assert result.success
    assert result.dagster_run.parent_run_id == run.run_id
    assert materialized(result) == {"features/customer_daily"}

    monkeypatch.setenv(DATABASE_ENV, clean_url)
    execute_clean(fault_jobs.feature_job, tags={"dagster/partition": last})
    with connect(db_url) as conn, connect(clean_url) as clean:
        after = fingerprint(conn, "features.customer_daily")
        assert after == fingerprint(clean, "features.customer_daily")
        assert after[0] == before[0] and after != before  # the day was rewritten, not added


@pytest.mark.slow
def test_kill_mid_training_dataset_swap(world, tmp_path, monkeypatch):
    clean_url = clone(world.url, f"clean_{uuid.uuid4().hex[:8]}")
    with world.connect() as conn:
        short = shorter_window(conn)
    # The previous version: a shorter window, so the killed build would publish other rows.
    assert world.run(f"training/{TASK}", run_config=short).success
    with world.connect() as conn:
        before = fingerprint(conn, f"training.{TASK}")
        datasets = fingerprint(conn, "training.datasets")
        assert datasets[0] == 1

    artifacts = tmp_path / "faults-artifacts"
    env = {DATABASE_ENV: world.url, ARTIFACTS_ENV: str(artifacts)}
    instance_dir = tmp_path / "instance"
    # The registry insert waits: the new table was swapped in (uncommitted) just before.
    kill_while_blocked(
        world.url, "lock table training.datasets in exclusive mode", "training_job",
        instance_dir, worker_env(**env), waits_in="insert into training.datasets",
        wrote=(f"training.{TASK}", "AccessExclusiveLock"),
    )
    with world.connect() as conn:
        assert fingerprint(conn, f"training.{TASK}") == before
        assert fingerprint(conn, "training.datasets") == datasets

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    instance = dg.DagsterInstance.local_temp(str(instance_dir))
    run = mark_failed(instance)
    result = reexecute_from_failure(instance, fault_jobs.training_job, run)
    assert result.success
    with world.connect() as conn:  # the killed build's table (committed for its checks) is gone
        assert conn.execute(
            "select count(*) from pg_tables where schemaname = 'training' and tablename like %s",
            (f"{TASK}__build%",),
        ).fetchone()[0] == 0
    (event,) = result.get_asset_materialization_events()
    # The killed run had published its snapshot (keyed by a version never registered): kept.
    assert event.event_specific_data.materialization.metadata["snapshot_written"].value is False

    monkeypatch.setenv(DATABASE_ENV, clean_url)
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path / "clean-artifacts"))
    execute_clean(fault_jobs.training_job)
    with world.connect() as conn, connect(clean_url) as clean:
        after = fingerprint(conn, f"training.{TASK}")
        assert after == fingerprint(clean, f"training.{TASK}") and after != before
        query = (
            "select version, row_count, parquet_path from training.datasets"
            " order by created_at desc limit 1"
        )
        version, rows, path = conn.execute(query).fetchone()
        clean_version, clean_rows, clean_path = clean.execute(query).fetchone()
        assert (version, rows) == (clean_version, clean_rows) == (version, after[0])
        assert conn.execute("select count(*) from training.datasets").fetchone()[0] == 2
    assert pq.read_table(path).equals(pq.read_table(clean_path))  # the kept snapshot is whole


@pytest.mark.slow
def test_kill_mid_embedding_batch(db_url, materialize, tmp_path, monkeypatch):
    write_small_source(db_url)
    with connect(db_url) as conn:
        first, last = source_extent(conn)
    assert materialize(ingest_assets, first, last).success
    assert dg.materialize(  # the last day only: the model's time goes into the killed batch
        embedding_assets,
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=last,
        resources={"postgres": PostgresResource(database_url=db_url),
                   "embedding_model": EmbeddingModel()},
    ).success
    with connect(db_url) as conn:
        # Edited notes are embedded again: the batch upserts over vectors that exist.
        edited = conn.execute(
            "update staging.service_events e set description = description || ' (edited)'"
            " from vectors.service_event_embeddings v"
            " where v.event_id = e.id and e.partition_key = %s",
            (last,),
        ).rowcount
        assert edited > 0
        vectors_before = fingerprint(conn, "vectors.service_event_embeddings")
        metadata_before = fingerprint(conn, "vectors.metadata")
    clean_url = clone(db_url, f"clean_{uuid.uuid4().hex[:8]}")

    env = {DATABASE_ENV: db_url, ARTIFACTS_ENV: str(tmp_path / "artifacts")}
    instance_dir = tmp_path / "instance"
    # The metadata upsert waits: the vectors were upserted (uncommitted) just before.
    kill_while_blocked(
        db_url, "lock table vectors.metadata in exclusive mode", "embedding_job",
        instance_dir, worker_env(**env), waits_in="insert into vectors.metadata",
        wrote=("vectors.service_event_embeddings", "RowExclusiveLock"),
        tags={"dagster/partition": last},
    )
    with connect(db_url) as conn:
        assert fingerprint(conn, "vectors.service_event_embeddings") == vectors_before
        assert fingerprint(conn, "vectors.metadata") == metadata_before

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    instance = dg.DagsterInstance.local_temp(str(instance_dir))
    run = mark_failed(instance)
    result = reexecute_from_failure(instance, fault_jobs.embedding_job, run)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    assert event.event_specific_data.materialization.metadata["embedded"].value == edited

    monkeypatch.setenv(DATABASE_ENV, clean_url)
    execute_clean(fault_jobs.embedding_job, tags={"dagster/partition": last})
    volatile = {
        "vectors.service_event_embeddings": ["embedded_at"],
        "vectors.metadata": ["id", "generated_at", "generation_time_ms", "run_id", "created_at",
                             "updated_at"],
    }
    with connect(db_url) as conn, connect(clean_url) as clean:
        for table, drop in volatile.items():
            found = fingerprint(conn, table, drop=drop)
            assert found == fingerprint(clean, table, drop=drop), table
        assert fingerprint(conn, "vectors.service_event_embeddings")[0] == vectors_before[0]
        assert conn.execute(
            "select count(*) from vectors.service_event_embeddings v join staging.service_events e"
            " on e.id = v.event_id where v.checksum = md5(e.description) and e.partition_key = %s",
            (last,),
        ).fetchone()[0] == edited

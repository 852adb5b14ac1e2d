"""The same partition launched twice at once: the second run waits on the platform's advisory
lock and then replaces the partition, so both finish and no row is duplicated."""

import psycopg
import pytest
from fault_jobs import ARTIFACTS_ENV, DATABASE_ENV
from fault_tools import (
    blocked_on,
    finish,
    kill,
    spawn_run,
    wait_for,
    worker_env,
    write_small_source,
)
from psycopg import sql
from testkit import fingerprint

from platform_assets.ingest.assets import ingest_assets
from platform_assets.ingest.source import source_extent

TABLE = "raw.service_events"  # no unique key: only the lock keeps two loads of a day apart
VOLATILE = ["load_id", "loaded_at"]  # differ between two loads of the same rows


def loads(conn: psycopg.Connection, day: str) -> list[tuple]:
    """The distinct load ids of `day`'s rows in TABLE."""
    query = sql.SQL("select distinct load_id from {} where partition_key = %s")
    return conn.execute(query.format(sql.Identifier(*TABLE.split("."))), (day,)).fetchall()


@pytest.mark.slow
def test_the_same_partition_twice_at_once(db_url, materialize, tmp_path):
    write_small_source(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        first, last = source_extent(conn)
    assert materialize(ingest_assets, first, last).success
    day = {"partition_key": last}
    with psycopg.connect(db_url, autocommit=True) as conn:
        single = fingerprint(conn, TABLE, day, drop=VOLATILE)  # what one run of the day leaves
        everything = fingerprint(conn, TABLE, drop=VOLATILE)
        first_load = loads(conn, last)
    assert single[0] > 0 and len(first_load) == 1

    env = worker_env(**{DATABASE_ENV: db_url, ARTIFACTS_ENV: str(tmp_path / "artifacts")})
    workers = []
    with psycopg.connect(db_url, autocommit=True) as gate:
        # Hold the writers' lock so both runs are inside the step at the same time.
        gate.execute("select pg_advisory_lock(hashtext(%s))", (TABLE,))
        try:
            for n in range(2):
                instance_dir = tmp_path / f"instance{n}"
                tags = {"dagster/partition": last}
                workers.append(spawn_run("raw_events_job", instance_dir, env, tags=tags))
            wait_for(lambda: blocked_on(gate, "pg_advisory_xact_lock") == 2, workers=workers)
            gate.execute("select pg_advisory_unlock(hashtext(%s))", (TABLE,))
            outputs = [finish(worker, timeout=120) for worker in workers]  # no deadlock
        finally:
            for worker in workers:
                if worker.poll() is None:
                    kill(worker)

    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0 and "RUN success" in output, output
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert fingerprint(conn, TABLE, day, drop=VOLATILE) == single
        assert fingerprint(conn, TABLE, drop=VOLATILE) == everything
        # One load holds the day: the run that went second replaced the first one's rows.
        (load,) = loads(conn, last)
        assert load != first_load[0]
        assert conn.execute(
            "select count(*) - count(distinct (partition_key, id)) from raw.service_events"
        ).fetchone()[0] == 0

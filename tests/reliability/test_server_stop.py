"""Postgres stopped in the middle of a run: the run fails naming the database, the partition it
was rewriting keeps its previous rows, and after a restart the same partition re-runs cleanly.

This test starts its own embedded server in its own directory: the session's server is never
stopped.
"""

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dagster as dg
import psycopg
import pytest
from fault_jobs import ARTIFACTS_ENV, DATABASE_ENV, RAW_EVENTS_KEY
from fault_tools import (
    blocked_on,
    finish,
    kill,
    platform_sessions,
    session_holds,
    spawn_run,
    wait_for,
    worker_env,
    write_small_source,
)
from testkit import fingerprint

from platform_assets.db import server
from platform_assets.db.migrate import migrate
from platform_assets.ingest.assets import raw_assets
from platform_assets.ingest.source import source_extent
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource

DATABASE = "faults_stop"
PASSWORD = "s3cret-Pw-7"  # trust auth ignores it; it must never appear in an error


def _url(home: Path) -> str:
    """The database's URL on the server of `home`, with a password in it."""
    parts = urlsplit(server.embedded_server(home).get_uri())
    netloc = f"{parts.username}:{PASSWORD}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{DATABASE}"))


def _land(url: str, first: str, last: str | None = None):
    events = [a for a in raw_assets if RAW_EVENTS_KEY in a.keys]
    return dg.materialize(
        events,
        partition_key=None if last else first,
        tags=range_tags(first, last) if last else None,
        resources={"postgres": PostgresResource(database_url=url)},
        instance=dg.DagsterInstance.ephemeral(),
    )


@pytest.fixture
def own_server():
    """A second embedded server (world-readable home: the server runs as its own user)."""
    home = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    home.chmod(0o755)
    try:
        admin = server.embedded_server(home).get_uri()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"create database {DATABASE}")
        yield home
    finally:
        server.stop_embedded(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_postgres_stopped_mid_partition_write(own_server, tmp_path):
    home = own_server
    url = _url(home)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    write_small_source(url)
    with psycopg.connect(url, autocommit=True) as conn:
        first, last = source_extent(conn)
    assert _land(url, first, last).success
    partition = {"partition_key": last}
    volatile = ["load_id", "loaded_at"]  # differ between two loads of the same rows
    with psycopg.connect(url, autocommit=True) as conn:
        before = fingerprint(conn, "raw.service_events", partition)
        content = fingerprint(conn, "raw.service_events", partition, drop=volatile)
        everything = fingerprint(conn, "raw.service_events")
    assert before[0] > 0

    env = worker_env(**{DATABASE_ENV: url, ARTIFACTS_ENV: str(tmp_path / "artifacts")})
    watch, blocker = psycopg.connect(url, autocommit=True), psycopg.connect(url)
    worker = None
    try:
        blocker.execute("lock table ops.service_events in access exclusive mode")
        worker = spawn_run(
            "raw_events_job", tmp_path / "instance", env, tags={"dagster/partition": last}
        )
        # The old rows are deleted (uncommitted) and the copy from the source waits.
        wait_for(lambda: blocked_on(watch, "copy (") == 1, workers=(worker,))
        assert session_holds(watch, "raw.service_events", "RowExclusiveLock")
        assert server.stop_embedded(home)
        output = finish(worker, timeout=120)
    finally:
        if worker is not None and worker.poll() is None:
            kill(worker)
        watch.close()
        blocker.close()

    assert worker.returncode == 1 and "RUN failure" in output, output
    failure = output[output.index("STEP FAILURE") : output.index("RUN failure")]
    assert failure.startswith("STEP FAILURE raw__service_events")
    # The step was retried (a lost connection is transient) until its last attempt, whose error
    # names the server and database it could not reach (a socket directory here), no password.
    host = urlsplit(url).query.removeprefix("host=")
    named = f"to Postgres at postgresql://postgres:***@/{DATABASE}?host={host}"
    assert named in failure and "(attempt 4, the last)" in failure
    assert PASSWORD not in output

    url = _url(home)  # the same server, started again
    with psycopg.connect(url, autocommit=True) as conn:
        assert platform_sessions(conn) == 0
        assert fingerprint(conn, "raw.service_events", partition) == before  # no partial rows
        assert fingerprint(conn, "raw.service_events") == everything
    assert _land(url, last).success
    with psycopg.connect(url, autocommit=True) as conn:  # the same rows as the clean load
        assert fingerprint(conn, "raw.service_events", partition, drop=volatile) == content
        assert fingerprint(conn, "raw.service_events")[0] == everything[0]

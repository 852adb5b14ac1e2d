"""A run killed in the middle of a partition write leaves the previous partition intact."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import psycopg
from test_ingest import extent, scalar, write_source
from testkit import fingerprint

from platform_assets.ingest.assets import ingest_assets

RUN_ONE_PARTITION = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from platform_assets.ingest.assets import raw_assets
    from platform_assets.resources import PostgresResource

    url, partition = sys.argv[1], sys.argv[2]
    events = [a for a in raw_assets if a.key.path == ["raw", "service_events"]]
    dg.materialize(events, partition_key=partition,
                   resources={"postgres": PostgresResource(database_url=url)},
                   instance=dg.DagsterInstance.ephemeral())
    """
)
VOLATILE = ("load_id", "loaded_at")  # differ between two loads of the same rows


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.2)


def test_sigkill_mid_partition_write_keeps_the_old_rows(db_url, conn, materialize):
    write_source(db_url)
    first, last = extent(conn)
    assert materialize(ingest_assets, first, last).success
    day = {"partition_key": last}
    before = fingerprint(conn, "raw.service_events", day)
    content = fingerprint(conn, "raw.service_events", day, drop=VOLATILE)
    assert before[0] > 0

    # Hold the source table so the run blocks after deleting the old partition rows (same
    # transaction), mid-write; then kill it.
    with psycopg.connect(db_url) as blocker:
        blocker.execute("lock table ops.service_events in access exclusive mode")
        worker = subprocess.Popen([sys.executable, "-c", RUN_ONE_PARTITION, db_url, last])
        try:
            wait_for(
                lambda: (
                    scalar(
                        conn,
                        "select count(*) from pg_stat_activity where datname = current_database()"
                        " and wait_event_type = 'Lock' and query like 'copy (%%ops%%'",
                    )
                    == 1
                )
            )
            assert (
                scalar(
                    conn,
                    "select count(*) from pg_stat_activity where datname = current_database()"
                    " and state = 'idle in transaction' and application_name = 'platform_assets'",
                )
                >= 1
            )  # the delete ran and waits, uncommitted, for the copy
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        blocker.rollback()

    wait_for(
        lambda: (
            scalar(
                conn,
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and application_name = 'platform_assets'",
            )
            == 0
        )
    )
    assert fingerprint(conn, "raw.service_events", day) == before

    # The same partition re-runs cleanly afterwards, with no duplicates.
    assert materialize(ingest_assets, last).success
    assert fingerprint(conn, "raw.service_events", day, drop=VOLATILE) == content

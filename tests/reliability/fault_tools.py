"""Helpers of the fault tests: run workers in subprocesses, watch Postgres, clone databases."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import psycopg
from fault_jobs import TASK
from psycopg import sql

from platform_assets.db import server
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

HERE = Path(__file__).resolve().parent
APP = "platform_assets"  # application_name of every platform connection
# The size of the ingest tests' source: a few seconds to ingest.
SMALL = {"customers": 150, "days": 30, "seed": 11, "end": date(2026, 6, 30)}

# A run worker: executes a job of fault_jobs in a persistent (sqlite) instance, prints every step
# failure, exits 0 on success. Killing it kills the run: steps run in this process.
RUN_WORKER = textwrap.dedent(
    """
    import json, sys
    import dagster as dg
    import fault_jobs

    factory, instance_dir, tags, run_config = sys.argv[1:5]
    result = dg.execute_job(
        dg.reconstructable(getattr(fault_jobs, factory)),
        instance=dg.DagsterInstance.local_temp(instance_dir),
        tags=json.loads(tags), run_config=json.loads(run_config), raise_on_error=False,
    )
    for event in result.all_events:
        if event.is_step_failure:
            print("STEP FAILURE", event.step_key, event.step_failure_data.error.to_string())
    print("RUN", "success" if result.success else "failure", flush=True)
    sys.exit(0 if result.success else 1)
    """
)


def write_small_source(url: str) -> None:
    """A small simulated operational source (150 customers x 30 days) in ops.*."""
    tables = simulate(SMALL["customers"], SMALL["days"], SMALL["seed"], SMALL["end"])
    with psycopg.connect(url, autocommit=True) as conn:
        write_ops(
            conn, tables,
            simulation_params(SMALL["customers"], SMALL["days"], SMALL["seed"], SMALL["end"]),
        )


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    return env


def spawn(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `python -c script args...` in its own process group (killed as a whole)."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env or worker_env(),
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def spawn_run(
    factory: str, instance_dir: Path, env: dict[str, str], tags=None, run_config=None
) -> subprocess.Popen:
    instance_dir.mkdir(parents=True, exist_ok=True)
    return spawn(
        RUN_WORKER, factory, str(instance_dir), json.dumps(tags or {}),
        json.dumps(run_config or {}), env=env,
    )


def kill(process: subprocess.Popen) -> str:
    """SIGKILL the process group (no-op when it is gone); return what it printed."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    output, _ = process.communicate(timeout=30)
    return output or ""


def finish(process: subprocess.Popen, timeout: float = 180) -> str:
    """Wait for the process (killed if it overruns); return what it printed."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        output = kill(process)
        raise AssertionError(f"run worker did not finish in {timeout}s:\n{output}") from None
    return output


def wait_for(predicate, timeout: float = 120.0, workers: tuple = ()) -> None:
    """Poll `predicate` until true; fail early, with its output, if a worker exits first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"a worker exited first:\n{worker.communicate()[0]}")
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.2)


def scalar(conn: psycopg.Connection, query: str, params=()):
    return conn.execute(query, params).fetchone()[0]


def blocked_on(conn: psycopg.Connection, statement: str) -> int:
    """How many platform sessions wait on a heavyweight lock in a statement containing
    `statement` (the SQL files start with a comment, so no prefix match)."""
    return scalar(
        conn,
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and application_name = %s and wait_event_type = 'Lock'"
        " and strpos(lower(query), lower(%s)) > 0",
        (APP, statement),
    )


def waiting_writer_holds(conn: psycopg.Connection, relation: str, mode: str) -> bool:
    """True when a platform session that waits on a lock holds `mode` on `relation`: it has
    written `relation`, uncommitted, and now waits to go on."""
    return bool(
        scalar(
            conn,
            "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid"
            " where a.datname = current_database() and a.application_name = %s"
            " and a.wait_event_type = 'Lock' and l.granted"
            " and l.relation = %s::regclass and l.mode = %s",
            (APP, relation, mode),
        )
    )


def session_holds(conn: psycopg.Connection, relation: str, mode: str) -> bool:
    """True when a platform session holds `mode` on `relation` (it wrote it, uncommitted)."""
    return bool(
        scalar(
            conn,
            "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid"
            " where a.datname = current_database() and a.application_name = %s and l.granted"
            " and l.relation = %s::regclass and l.mode = %s",
            (APP, relation, mode),
        )
    )


def platform_sessions(conn: psycopg.Connection) -> int:
    return scalar(
        conn,
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and application_name = %s",
        (APP,),
    )


def clone(url: str, name: str) -> str:
    """A copy of the database of `url` named `name` (nobody may be connected to it)."""
    source = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server.with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(source)
            )
        )
    return server.with_database(url, name)


def mark_failed(instance: dg.DagsterInstance) -> dg.DagsterRun:
    """What run monitoring does for a dead worker: the run it left STARTED becomes FAILURE."""
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.STARTED
    instance.report_run_failed(run)
    return instance.get_run_by_id(run.run_id)


def reexecute_from_failure(instance: dg.DagsterInstance, factory, run: dg.DagsterRun):
    """Re-execute `run` from failure. The Python API copies neither tags nor config from the
    parent (the UI does), so the partition tags and run config are passed on here."""
    tags = {k: v for k, v in run.tags.items() if "partition" in k}
    return dg.execute_job(
        dg.reconstructable(factory),
        instance=instance,
        tags=tags,
        run_config=run.run_config,
        reexecution_options=dg.ReexecutionOptions.from_failure(run.run_id, instance),
        raise_on_error=False,
    )


def step_failures(result) -> dict[str, str]:
    return {
        event.step_key: event.step_failure_data.error.to_string()
        for event in result.all_events
        if event.is_step_failure
    }


def materialized(result) -> set[str]:
    return {
        event.event_specific_data.materialization.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
    }


def shorter_window(conn: psycopg.Connection) -> dict:
    """Run config of a `training/<TASK>` build over the last weeks only: a previous version
    whose rows differ from those of a build over the default (whole) window."""
    first = scalar(conn, "select max(feature_ts)::date - 56 from features.vehicle_daily")
    return {"ops": {f"training__{TASK}": {"config": {"first_label_date": first.isoformat()}}}}

"""nightly_refresh on Celery (deploy/celery): the steps of a run are tasks on a real broker,
executed by `celery -A dagster_celery.app worker` processes started here, against the same
Postgres (platform tables and Dagster's runs and events) and one artifact root.

The broker is kombu's SQLAlchemy transport and the result backend Celery's database backend,
both in a database of the session's embedded Postgres: nothing else is installed or started.
A run writes exactly what the in-process run writes; a worker killed (SIGKILL, its whole process
group) while it runs a step takes the task with it, the run waits for it, and the run, failed
as the daemon's run monitoring fails a stuck run, is re-executed from failure on the surviving
worker and ends with the same data.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from fault_tools import (
    blocked_on,
    clone,
    kill,
    mark_failed,
    platform_sessions,
    wait_for,
    write_small_source,
)
from testkit import fingerprint

from platform_assets.db import server
from platform_assets.definitions import defs
from platform_assets.ingest.source import source_extent
from platform_assets.instance import dagster_instance
from platform_assets.jobs import DASHBOARD_REFRESH, NIGHTLY_REFRESH, WEEKLY_TRAINING
from platform_assets.partitions import range_tags
from platform_assets.settings import PROJECT_ROOT

CELERY_DIR = PROJECT_ROOT / "deploy" / "celery"
CELERY_BIN = Path(sys.executable).parent / "celery"
# The data groups' steps of nightly_refresh that need no model: ingest and one feature view.
DATA_STEPS = dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(
    ["features", "customer_daily"]
)
# The kill test's run: a step held mid-run (by ingest's own lock, taken by the test first), the
# steps before it, and one after it that cannot start while it hangs.
BLOCKED_STEP = "staging__customers"
BLOCKED_LOCK = "staging.customers"
KILL_STEPS = dg.AssetSelection.assets(
    *[[layer, table] for layer in ("raw", "staging") for table in ("organizations", "customers",
                                                                   "bins")]
)
# Every table of these schemas is compared, those the steps write and those they leave alone.
SCHEMAS = ["raw", "staging", "quality", "features"]
# What differs between two runs over the same rows: load and run ids, when a row was written.
BOOKKEEPING = (
    "load_id", "run_id", "loaded_at", "staged_at", "rejected_at", "counted_at", "checked_at",
    "noted_at", "written_at",
)
REGISTERED_AT = {"features.registry": ("created_at",)}  # elsewhere created_at is source data

# The orchestrator of a run (what the run launcher starts): submits the steps to the broker and
# waits for their results. The instance is DAGSTER_HOME's (deploy/celery/dagster.yaml), pooled as
# the CLI pools it (platform_assets.instance).
ORCHESTRATOR = textwrap.dedent(
    """
    import json, sys
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from platform_assets.instance import dagster_instance

    workdir, tags, keys = sys.argv[1:4]
    job = ReconstructableRepository.for_module(
        "celery_definitions", "defs", working_directory=workdir
    ).get_reconstructable_job("nightly_refresh")
    with dagster_instance() as instance:
        result = dg.execute_job(
            job, instance=instance, tags=json.loads(tags),
            asset_selection=[dg.AssetKey(k) for k in json.loads(keys)],
        )
    print("RUN", "success" if result.success else "failure", flush=True)
    """
)


def celery_job(name: str = NIGHTLY_REFRESH) -> ReconstructableJob:
    """A job of the Celery code location, with the origin a deployed run has (module,
    definitions attribute, job name): the workers rebuild it from that."""
    return ReconstructableRepository.for_module(
        "celery_definitions", "defs", working_directory=str(CELERY_DIR)
    ).get_reconstructable_job(name)


def keys_of(selection: dg.AssetSelection) -> list[dg.AssetKey]:
    return sorted(selection.resolve(defs.resolve_asset_graph()), key=lambda k: k.path)


def fingerprints(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
            (SCHEMAS,),
        ).fetchall()
        return {
            table: fingerprint(conn, table, drop=BOOKKEEPING + REGISTERED_AT.get(table, ()))
            for (table,) in tables
        }


class Cluster:
    """The broker's database, Dagster's storage, the environment every process shares, and the
    Celery workers started in it (each in its own process group)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.workers: dict[str, subprocess.Popen] = {}
        self.others: list[subprocess.Popen] = []  # ended with the workers

    def start_workers(self, *names: str) -> None:
        """Create the broker's tables, then start the workers (`wait_ready` waits for them)."""
        subprocess.run(
            [sys.executable, "-m", "create_broker_tables"], env=self.env, cwd=PROJECT_ROOT,
            check=True, timeout=60,
        )
        for name in names:
            log = (self.logs / f"{name}.log").open("w")
            self.workers[name] = subprocess.Popen(
                [
                    str(CELERY_BIN), "-A", "dagster_celery.app", "worker", "-n", f"{name}@%h",
                    "--concurrency", "1", "--include", "celery_definitions",
                    "--without-mingle", "--without-gossip", "--loglevel", "info",
                ],
                env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for name, worker in self.workers.items():
            while " ready." not in self.log(name):
                assert worker.poll() is None, f"worker {name} exited:\n{self.log(name)}"
                assert time.monotonic() < deadline, f"worker {name} not ready:\n{self.log(name)}"
                time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def worker_of(self, pid: int) -> str:
        """The worker whose process group holds `pid` (a step runs in a pool child)."""
        group = os.getpgid(pid)
        (name,) = [n for n, w in self.workers.items() if w.pid == group]
        return name

    def kill_worker(self, name: str) -> None:
        try:
            os.killpg(self.workers[name].pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.workers[name].wait(timeout=30)

    def stop(self) -> None:
        for name in self.workers:
            self.kill_worker(name)
        for process in self.others:
            if process.poll() is None:
                kill(process)


@pytest.fixture
def cluster(server_url, new_database, tmp_path, monkeypatch):
    """A fresh broker database and Dagster storage; the test process gets the same environment
    as the workers (it orchestrates runs and reads Dagster's events)."""
    suffix = uuid.uuid4().hex[:8]
    celery_url = server.with_driver(new_database(f"celery_{suffix}"), "psycopg2")
    env = {
        "DAGSTER_HOME": str(CELERY_DIR),
        "DAGSTER_PG_URL": server.with_driver(new_database(f"dagster_{suffix}"), "psycopg2"),
        "PLATFORM_HOME": str(tmp_path),
        "PLATFORM_ARTIFACTS_ROOT": str(tmp_path / "artifacts"),
        "PLATFORM_DAGSTER_DIR": str(tmp_path / "dagster"),
        "CELERY_BROKER_URL": f"sqla+{celery_url}",
        "CELERY_RESULT_BACKEND": f"db+{celery_url}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CELERY_DIR), env.get("PYTHONPATH")]))
    logs = tmp_path / "logs"
    logs.mkdir()
    cluster = Cluster(env, logs)
    try:
        yield cluster
    finally:
        cluster.stop()


def start(cluster: Cluster, db_url: str, keys: list[dg.AssetKey], monkeypatch):
    """A small source in `db_url` and two workers on it; return the run's tags and the tables an
    in-process nightly_refresh of `keys` writes from a copy of the source (the default
    executor), built while the workers load the definitions."""
    write_small_source(db_url)
    with psycopg.connect(db_url) as conn:
        tags = range_tags(*source_extent(conn))
    reference = clone(db_url, f"ref_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("DATABASE_URL", db_url)
    cluster.env["DATABASE_URL"] = db_url
    cluster.start_workers("w1", "w2")
    with monkeypatch.context() as patch:
        patch.setenv("DATABASE_URL", reference)
        result = defs.resolve_job_def(NIGHTLY_REFRESH).execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), tags=tags, asset_selection=keys,
        )
    assert result.success
    cluster.wait_ready()
    return tags, fingerprints(reference)


def step_pids(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    return {
        record.step_key: record.dagster_event.pid
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    }


def steps_in_flight(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    ended = {
        record.step_key
        for record in instance.all_logs(
            run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        )
    }
    return set(step_pids(instance, run_id)) - ended


@pytest.mark.parametrize("job_name", [NIGHTLY_REFRESH, WEEKLY_TRAINING, DASHBOARD_REFRESH])
def test_the_celery_code_location_runs_the_platform_jobs_on_celery(job_name, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "sqla+postgresql+psycopg2://u@/celery")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "db+postgresql+psycopg2://u@/celery")
    job = celery_job(job_name).get_definition()
    execution = dg.validate_run_config(job, {})["execution"]
    assert execution["celery"]["broker"] == "sqla+postgresql+psycopg2://u@/celery"
    assert execution["celery"]["backend"] == "db+postgresql+psycopg2://u@/celery"
    platform_job = defs.resolve_job_def(job_name)
    assert job.asset_layer.executable_asset_keys == platform_job.asset_layer.executable_asset_keys


def test_the_celery_workspace_loads(tmp_path):
    """What `dagster dev -w deploy/celery/workspace.yaml` loads (a module with two Definitions
    in scope fails unless the workspace names the attribute)."""
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", str(CELERY_DIR / "workspace.yaml")],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_celery_instance_config_loads(monkeypatch, tmp_path):
    from dagster._core.instance.config import dagster_instance_config

    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://u@localhost/dagster")
    monkeypatch.setenv("PLATFORM_DAGSTER_DIR", str(tmp_path))
    config, _ = dagster_instance_config(str(CELERY_DIR))
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    assert config["run_monitoring"]["max_runtime_seconds"] > 0  # a lost step fails its run


@pytest.mark.slow
def test_a_celery_run_writes_what_the_in_process_run_writes(
    db_url, cluster, monkeypatch
):
    keys = keys_of(DATA_STEPS)
    tags, expected = start(cluster, db_url, keys, monkeypatch)
    for table in ("staging.customers", "staging.service_events", "features.customer_daily"):
        assert expected[table][0] > 0, table

    with dagster_instance() as instance:
        result = dg.execute_job(celery_job(), instance=instance, tags=tags, asset_selection=keys)
        assert result.success
        workers = {cluster.worker_of(pid) for pid in step_pids(instance, result.run_id).values()}
    assert workers <= {"w1", "w2"}  # every step ran in a Celery worker, none in this process
    assert fingerprints(db_url) == expected


@pytest.mark.slow
def test_a_worker_killed_mid_step_is_survived_by_reexecution_from_failure(
    db_url, cluster, monkeypatch
):
    keys = keys_of(KILL_STEPS)
    tags, expected = start(cluster, db_url, keys, monkeypatch)
    assert expected["staging.bins"][0] > 0

    with dagster_instance() as instance, psycopg.connect(db_url, autocommit=True) as watch:
        with psycopg.connect(db_url) as blocker:  # not autocommit: held until rollback
            blocker.execute("select pg_advisory_xact_lock(hashtext(%s))", (BLOCKED_LOCK,))
            with (cluster.logs / "orchestrator.log").open("w") as log:  # a pipe could fill
                orchestrator = subprocess.Popen(
                    [sys.executable, "-c", ORCHESTRATOR, str(CELERY_DIR), json.dumps(tags),
                     json.dumps([key.path for key in keys])],
                    env=cluster.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            cluster.others.append(orchestrator)
            wait_for(lambda: blocked_on(watch, "pg_advisory_xact_lock") == 1,
                     workers=(orchestrator,))
            (run,) = instance.get_runs()
            victim = cluster.worker_of(step_pids(instance, run.run_id)[BLOCKED_STEP])
            cluster.kill_worker(victim)
            blocker.rollback()
        wait_for(lambda: platform_sessions(watch) == 0, timeout=30)  # its transaction is gone
        (survivor,) = set(cluster.workers) - {victim}
        assert cluster.workers[survivor].poll() is None

        # The run waits for the lost step for ever: every other step it could run has ended.
        wait_for(lambda: steps_in_flight(instance, run.run_id) == {BLOCKED_STEP},
                 workers=(orchestrator,))
        time.sleep(3)  # three ticks of the executor's loop
        assert orchestrator.poll() is None, cluster.log("orchestrator")
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        assert steps_in_flight(instance, run.run_id) == {BLOCKED_STEP}

        kill(orchestrator)  # what the daemon does at run_monitoring.max_runtime_seconds
        failed = mark_failed(instance)
        result = dg.execute_job(
            celery_job(), instance=instance, tags=tags,
            reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance),
        )
        assert result.success, cluster.log(survivor)
        assert result.dagster_run.parent_run_id == failed.run_id
        rerun = step_pids(instance, result.run_id)
        assert set(rerun) == {BLOCKED_STEP, "staging__bins"}  # from failure: what did not end
        assert {cluster.worker_of(pid) for pid in rerun.values()} == {survivor}
    assert fingerprints(db_url) == expected

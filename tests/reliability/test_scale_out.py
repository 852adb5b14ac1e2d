"""The scale-out path works as documented: runs and steps in separate processes against the
shared Postgres give the same data as the in-process default, and the example configs load."""

from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from scale_out_jobs import PROBE_KEYS
from testkit import fingerprint

from platform_assets.definitions import defs
from platform_assets.ingest.assets import ingest_assets
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource
from platform_assets.settings import PROJECT_ROOT
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

DEPLOY = PROJECT_ROOT / "deploy"
CUSTOMERS, DAYS, SEED = 60, 30, 4
FIRST_DAY, END_DATE = "2026-06-01", "2026-06-30"
LOAD_BOOKKEEPING = ("load_id", "staged_at")  # differ between two loads of the same rows
RANGE = range_tags(FIRST_DAY, END_DATE)


def write_source(url: str) -> None:
    end = date.fromisoformat(END_DATE)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = simulate(CUSTOMERS, DAYS, SEED, end)
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, end))


@pytest.mark.parametrize("job_name", ["nightly_refresh", "weekly_training", "dashboard_refresh"])
def test_the_multiprocess_run_config_is_valid_for_every_job(job_name):
    run_config = yaml.safe_load((DEPLOY / "multiprocess" / "run_config.yaml").read_text())
    assert dg.validate_run_config(defs.resolve_job_def(job_name), run_config)


def test_the_example_instance_config_loads(monkeypatch, tmp_path):
    from dagster._core.instance.config import dagster_instance_config

    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://u@localhost/dagster")
    monkeypatch.setenv("PLATFORM_DAGSTER_DIR", str(tmp_path))
    config, _ = dagster_instance_config(str(DEPLOY / "multiprocess"))
    assert config["run_launcher"]["class"] == "DefaultRunLauncher"
    assert config["concurrency"]["pools"]["default_limit"] == 4
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 4


@pytest.mark.slow
def test_steps_in_separate_processes_write_what_the_in_process_run_writes(
    db_url, materialize, new_database, template_db, monkeypatch, tmp_path
):
    write_source(db_url)
    # The reference: the same assets in one process, in a second database.
    reference = new_database(f"ref_{Path(tmp_path).name[-8:]}", template_db)
    write_source(reference)
    assert materialize(
        ingest_assets, FIRST_DAY, END_DATE, selection=[dg.AssetKey(k) for k in PROBE_KEYS],
        resource=PostgresResource(database_url=reference),
    ).success

    monkeypatch.setenv("DATABASE_URL", db_url)  # what every step process reads
    monkeypatch.setenv("PLATFORM_HOME", str(tmp_path))
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.execute_job(
            dg.build_reconstructable_job(
                "scale_out_jobs", "ingest_and_features_job",
                reconstructor_working_directory=str(Path(__file__).parent),
            ),
            instance=instance,
            tags=RANGE,
        )
        assert result.success
        pids = {
            e.pid for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START
        }
        assert len(pids) > 1  # the steps really ran in separate processes

    with psycopg.connect(db_url) as conn, psycopg.connect(reference) as expected:
        for table in ("staging.organizations", "staging.customers"):
            found = fingerprint(conn, table, drop=LOAD_BOOKKEEPING)
            assert found == fingerprint(expected, table, drop=LOAD_BOOKKEEPING), table
            assert found[0] > 0, table

"""A password in a database URL never shows: not in Dagster's events, run records or metadata,
not in GX check results, not in the CLI's output or its error messages.

The embedded server trusts local connections, so a URL with a password reaches it over the Unix
socket as a real production URL would reach a real server: the runs below are real.
The Dagster UI is covered in test_graphql_client.py (the webserver is started once there).
"""

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import dagster as dg
import psycopg
import pytest
from dagster import serialize_value
from testkit import run_main

from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import ingest_assets, raw_assets
from platform_assets.ingest.source import source_extent
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

PASSWORD = "S3cretPw!q7z"
CUSTOMERS, DAYS, SEED, END = 20, 7, 31, date(2026, 6, 30)
CLI = [sys.executable, "-m", "platform_assets.cli"]


def with_password(url: str, password: str = PASSWORD) -> str:
    """`url` (the embedded server's, no password) with a password in it."""
    parts = urlsplit(url)
    host = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{password}@{host}"))


def recorded(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the instance keeps about a run: every event (messages, metadata, errors,
    check results), the run record with its config and tags, and the job snapshot."""
    run = instance.get_run_by_id(run_id)
    parts = [serialize_value(entry) for entry in instance.all_logs(run_id)]
    parts += [serialize_value(run), json.dumps(run.run_config), json.dumps(run.tags)]
    parts.append(serialize_value(instance.get_job_snapshot(run.job_snapshot_id)))
    return "\n".join(parts)


@pytest.fixture
def source(db_url):
    """A small simulated source written into a fresh database."""
    tables = simulate(CUSTOMERS, DAYS, SEED, END, dirty_fraction=0.03)
    with psycopg.connect(db_url, autocommit=True) as conn:
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, END))
        return source_extent(conn)


def _customer_daily() -> dg.AssetsDefinition:
    return next(a for a in feature_assets if a.key.path[-1] == "customer_daily")


def _run(assets, first, last, resource, instance):
    return dg.materialize(
        assets,
        tags=range_tags(first, last),
        resources={"postgres": resource},
        instance=instance,
        raise_on_error=False,
    )


def test_runs_configured_with_the_password_in_the_environment_never_record_it(
    source, db_url, monkeypatch
):
    """As deployed: DATABASE_URL holds the password, the resource holds no URL."""
    monkeypatch.setenv("DATABASE_URL", with_password(db_url))
    instance = dg.DagsterInstance.ephemeral()
    first, last = source
    result = _run([*ingest_assets, _customer_daily()], first, last, PostgresResource(), instance)
    assert result.success
    # The run really went through: materializations with metadata and GX check results.
    assert len(result.get_asset_materialization_events()) >= len(ingest_assets) + 1
    assert result.get_asset_check_evaluations()
    everything = recorded(instance, result.run_id)
    assert "staging__customers" in everything and "rows_staged" in everything
    assert PASSWORD not in everything


def test_runs_given_the_url_explicitly_never_log_it(source, db_url):
    """A resource configured with the URL itself: no event or run record carries the password.

    (The job snapshot is left out here: Dagster stores a resource's explicit config as the
    default of its config schema. The platform's definitions never put a URL there.)
    """
    instance = dg.DagsterInstance.ephemeral()
    first, last = source
    resource = PostgresResource(database_url=with_password(db_url))
    result = _run([*ingest_assets, _customer_daily()], first, last, resource, instance)
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    logged = [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    logged += [serialize_value(run), json.dumps(run.run_config), json.dumps(run.tags)]
    assert PASSWORD not in "\n".join(logged)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bob:{PASSWORD}@127.0.0.1:9/nowhere",  # nothing listens on port 9
        "postgresql://bob:S3cretPw%zz@127.0.0.1:9/nowhere",  # a bad %-escape: a parse error
        f"postgresql://bob:{PASSWORD}@[::1/nowhere",  # an unclosed IPv6 bracket
    ],
    ids=["refused", "bad-escape", "bad-host"],
)
def test_a_failed_connection_names_the_database_without_the_password(url):
    password = urlsplit(url.replace("[", "")).password
    instance = dg.DagsterInstance.ephemeral()
    resource = PostgresResource(database_url=url)
    result = _run(raw_assets[:1], "2026-06-30", "2026-06-30", resource, instance)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    messages = []
    while failure is not None:
        messages.append(failure.message)
        failure = failure.cause
    assert any("cannot connect to Postgres at postgresql://bob:***@" in m for m in messages)
    run = instance.get_run_by_id(result.run_id)
    logged = "\n".join(serialize_value(e) for e in instance.all_logs(result.run_id))
    assert password not in logged + serialize_value(run)


# --- the command line ----------------------------------------------------------------------------

UNREACHABLE = f"postgresql://bob:{PASSWORD}@127.0.0.1:9/nowhere"
ANALYST_PASSWORD = "AnalystPw#9x"
COMMANDS = {
    "migrate": ["migrate"],
    "db status": ["db", "status"],
    "simulate": ["simulate", "--customers", "5", "--days", "5", "--end-date", "2026-06-30"],
    "demo": ["demo", "--customers", "5", "--days", "5", "--end-date", "2026-06-30"],
    "backfill": ["backfill", "--from", "2026-06-01", "--to", "2026-06-02"],
    "search": ["search", "bin lid broken", "--k", "3"],
    "models list": ["models", "list"],
    "models rollback": ["models", "rollback", "churn_risk"],
    "roles apply": ["roles", "apply", "--print-url"],
    "docs": ["docs", "--out", "/nonexistent/never-written.md"],
    "ui": ["ui", "--port", "1"],
}


def _cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=300, env=os.environ | env
    )


# A malformed URL fails in the driver's parser, whose message quotes the bad part: one command
# per way the CLI connects (its own helper, search, the registry, the access commands).
MALFORMED = "postgresql://bob:S3cretPw%zz@127.0.0.1:9/nowhere"
PARSER_COMMANDS = ("migrate", "search", "models list", "roles apply")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url", "commands"),
    [(UNREACHABLE, tuple(COMMANDS)), (MALFORMED, PARSER_COMMANDS)],
    ids=["refused", "bad-escape"],
)
def test_no_command_prints_the_password(url, commands):
    password = urlsplit(url).password
    env = {
        "DATABASE_URL": url,
        "ANALYST_PASSWORD": ANALYST_PASSWORD,
        "PLATFORM_HOME": f"/tmp/never-{uuid.uuid4().hex}",  # nothing embedded may start
    }
    # Subprocesses, as a user runs them; a few at a time (each pays the imports).
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip(commands, pool.map(lambda c: _cli(COMMANDS[c], env), commands), strict=True)
        )
    for name, result in results.items():
        output = result.stdout + result.stderr
        assert result.returncode == 1, (name, output)
        assert "Traceback" not in output, (name, output)
        assert output.startswith("error: ") or "\nerror: " in output, (name, output)
        assert password not in output and ANALYST_PASSWORD not in output, (name, output)
        assert not os.path.exists(env["PLATFORM_HOME"]), name


def test_db_url_masks_the_password_unless_revealed(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)

    def printed(*args: str) -> str:
        code, out, err = run_main(capsys, "db", "url", *args)  # resolves the URL: no connection
        assert (code, err) == (0, "")
        return out.strip()

    assert printed() == "postgresql://bob:***@127.0.0.1:9/nowhere"
    assert printed("--dagster") == "postgresql+psycopg2://bob:***@127.0.0.1:9/nowhere"
    # The control: the password is really there to leak, and --reveal is the one way out.
    assert printed("--reveal") == UNREACHABLE

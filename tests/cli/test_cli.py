"""The CLI as a user runs it: a subprocess, real environment variables, real exit codes."""

import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "platform_assets.cli"]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=300, env=os.environ | (env or {})
    )


def test_unreachable_database_is_a_clear_error_without_the_password():
    result = run_cli("migrate", env={"DATABASE_URL": "postgresql://bob:s3cret@127.0.0.1:9/nowhere"})
    assert result.returncode == 1
    assert "cannot connect to Postgres at postgresql://bob:***@127.0.0.1:9/nowhere" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--days", "0"], "must be positive"),
        (["simulate", "--days", "30", "--end-date", "2024-06-01"], "before the first partition"),
        (["backfill", "--from", "2026-02-01", "--to", "2026-01-01"], "--to is before --from"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(args, message, db_url):
    result = run_cli(*args, env={"DATABASE_URL": db_url})
    assert result.returncode == 1
    assert message in result.stderr


def test_unparseable_date_is_an_argument_error():
    result = run_cli("simulate", "--end-date", "yesterday")
    assert result.returncode == 2
    assert "not a date" in result.stderr


def test_db_status_and_url_name_the_external_database(db_url):
    status = run_cli("db", "status", env={"DATABASE_URL": db_url})
    assert status.returncode == 0, status.stderr
    assert "external Postgres" in status.stdout
    url = run_cli("db", "url", env={"DATABASE_URL": "postgresql://u:pw@localhost/x"})
    assert url.stdout.strip() == "postgresql://u:***@localhost/x"
    down = run_cli("db", "down", env={"DATABASE_URL": db_url})
    assert down.returncode == 1 and "does not manage" in down.stderr


def test_migrate_reports_applied_then_up_to_date(empty_db):
    first = run_cli("migrate", env={"DATABASE_URL": empty_db})
    assert first.returncode == 0, first.stderr
    assert "applied 0001_schemas.sql" in first.stdout
    again = run_cli("migrate", env={"DATABASE_URL": empty_db})
    assert again.stdout.strip() == "migrations up to date"

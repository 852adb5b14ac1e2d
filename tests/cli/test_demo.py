"""`platform-assets demo` end to end (small scale), and that running it again is safe and fast."""

import re

import psycopg
import pytest
from test_cli import run_cli

from platform_assets.db.migrate import discover

ARGS = ("demo", "--customers", "80", "--days", "60", "--end-date", "2026-06-30")
TABLES = (
    "ops.service_events",
    "raw.service_events",
    "staging.service_events",
    "features.customer_daily",
    "quality.rejected_rows",
)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


@pytest.mark.slow
def test_demo_builds_everything_and_a_rerun_changes_nothing(empty_db, tmp_path):
    env = {"DATABASE_URL": empty_db, "PLATFORM_HOME": str(tmp_path)}
    first = run_cli(*ARGS, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"migrations: {len(discover())} applied" in first.stdout
    assert "What was built" in first.stdout and "Rejected rows" in first.stdout
    # One line per finished step with its rows, not Dagster's event stream (that is --verbose).
    assert re.search(r"\[\s*\d+/\d+\] features/customer_daily\s+[\d,]+ rows\s+[\d.]+ s",
                     first.stdout)
    assert " - dagster - " not in first.stdout + first.stderr
    built = counts(empty_db)
    assert all(built[t] > 0 for t in TABLES), built

    again = run_cli(*ARGS, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "migrations: up to date" in again.stdout
    assert "ops already holds this simulation" in again.stdout
    assert "skipping (platform-assets backfill re-runs it)" in again.stdout
    assert counts(empty_db) == built  # same dataset versions: nothing new registered

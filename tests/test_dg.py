"""`dg` (dagster-dg-cli) finds the project through `[tool.dg]` in pyproject.toml and loads it.

Both commands run from the repository root as a developer would, with this venv active. A
DAGSTER_HOME of their own keeps them off the project's Postgres-backed `dagster.yaml` (which
Dagster's CLI would otherwise read from the current directory) and off its telemetry.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from platform_assets.settings import PROJECT_ROOT

DG = Path(sys.executable).parent / "dg"


@pytest.fixture
def dg(tmp_path):
    assert DG.exists(), f"{DG} is missing: pip install -e '.[dev]' installs dagster-dg-cli"
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = os.environ | {
        "DAGSTER_HOME": str(dagster_home),
        "PLATFORM_HOME": str(tmp_path / "platform_home"),
        "VIRTUAL_ENV": sys.prefix,  # as if activated: dg warns when the venvs differ
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(DG), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=300)

    return run


def test_dg_check_defs_passes(dg):
    done = dg("check", "defs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr


def test_dg_list_defs_shows_the_asset_graph(dg):
    done = dg("list", "defs", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = json.loads(done.stdout)
    assets = {asset["asset_key"] for asset in listed["assets"]}
    assert {"features/customer_daily", "training/churn_risk"} <= assets
    assert {"nightly_refresh", "weekly_training"} <= {job["name"] for job in listed["jobs"]}

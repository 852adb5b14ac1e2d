"""`platform-assets ui` (what `make ui` runs) serves the asset graph from this project."""

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from testkit import free_port, stop_dagster_dev

QUERY = """
{ assetNodes { assetKey { path } groupName isPartitioned
                partitionKeysByDimension { partitionKeys } } }
"""


AUTOMATION = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name scheduleState { status } }
    sensors { name sensorState { status } }
} } } }
"""


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_ui_serves_the_ingest_group_with_daily_partitions(db_url, tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "platform_assets.cli", "ui", "--port", str(port)],
        env=os.environ | {"DATABASE_URL": db_url, "PLATFORM_HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        nodes = None
        while nodes is None:
            assert process.poll() is None, "dagster dev exited early"
            assert time.monotonic() < deadline, "the webserver did not come up"
            try:
                nodes = graphql(port, QUERY)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        automation = graphql(port, AUTOMATION)["data"]["repositoriesOrError"]["nodes"][0]
    finally:
        stop_dagster_dev(process)
    schedules = {s["name"]: s["scheduleState"]["status"] for s in automation["schedules"]}
    assert schedules == {
        "demo_advance_schedule": "STOPPED",
        "nightly_refresh_schedule": "STOPPED",
        "weekly_training_schedule": "STOPPED",
        "dashboard_refresh_schedule": "STOPPED",
    }
    sensors = {s["name"]: s["sensorState"]["status"] for s in automation["sensors"]}
    assert sensors == {
        "run_failure_audit": "RUNNING",
        "run_failure_alert": "RUNNING",
        "registry_alerts": "RUNNING",
        "check_failure_alerts": "RUNNING",
        "freshness_alerts": "RUNNING",
        "drift_alerts": "RUNNING",
    }
    groups = {n["groupName"] for n in nodes}
    assert {"ingest", "features", "training", "models", "predictions", "dashboards"} <= groups
    ingest = [n for n in nodes if n["groupName"] == "ingest"]
    paths = {"/".join(n["assetKey"]["path"]) for n in ingest}
    assert {"raw/service_events", "staging/service_events", "staging/customers"} <= paths
    assert len(ingest) == 12
    assert all(n["isPartitioned"] for n in ingest)
    keys = ingest[0]["partitionKeysByDimension"][0]["partitionKeys"]
    assert keys[0] == "2025-01-01"

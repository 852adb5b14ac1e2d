"""`dagster dev` driven through its GraphQL API, as a scheduler or a script would drive it.

One webserver (with its daemon, which dequeues runs from the queued run coordinator) serves the
module, started as `platform-assets ui` (what `make ui` runs) against a fresh database holding a
small simulated source. DATABASE_URL carries a password, which nothing the webserver shows may
contain. The tests launch runs with `DagsterGraphQLClient`, read lineage, break the source for
real, and re-execute the failed run from failure once the cause is fixed.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient
from testkit import free_port, stop_dagster_dev

from platform_assets.partitions import range_tags
from platform_assets.simulator import simulate
from platform_assets.simulator.load import simulation_params, write_ops

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:gql"),  # inside the client
]

LOCATION = "platform_assets"
PASSWORD = "S3cretPw!q7z"
PARTITION = "2026-06-30"
FIRST_DAY = "2026-06-11"  # the first of the simulated days
CUSTOMERS, DAYS, SEED, END = 40, 20, 3, date(2026, 6, 30)
RUN_TIMEOUT_S = 480
TERMINAL = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def with_password(url: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username or 'postgres'}:{PASSWORD}@{parts.hostname or ''}"
    return urlunsplit(parts._replace(netloc=netloc))


class Dev:
    """The running webserver: its port, client, database URL and home directory."""

    def __init__(self, port: int, url: str, home: Path, log: Path) -> None:
        self.port = port
        self.url = url
        self.home = home
        self.log = log
        self.client = DagsterGraphQLClient("127.0.0.1", port_number=port)

    def query(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.port, query, variables)

    def wait(self, run_id: str, timeout: float = RUN_TIMEOUT_S) -> DagsterRunStatus:
        """Poll until the run ends (the daemon dequeues it first)."""
        deadline = time.monotonic() + timeout
        while (status := self.client.get_run_status(run_id)) not in TERMINAL:
            assert time.monotonic() < deadline, f"run {run_id} still {status} after {timeout}s"
            time.sleep(2)
        return status

    def errors(self, run_id: str) -> str:
        """The failed steps' error messages (for an assertion that fails)."""
        events = self.query(LOGS, {"runId": run_id})["logsForRun"]["events"]
        errors = [e["error"] for e in events if e.get("error")]
        return "\n".join(m["message"] for e in errors for m in [e, *e["causes"]])

    def landed(self, run_id: str) -> int:
        """rows_landed of the run's raw/service_events materialization."""
        run = self.query(MATERIALIZATIONS, {"runId": run_id})["runOrError"]
        (event,) = [m for m in run["assetMaterializations"] if m["assetKey"]["path"][0] == "raw"]
        return next(e["intValue"] for e in event["metadataEntries"] if e["label"] == "rows_landed")

    def run(self, run_id: str) -> dict:
        return self.query(RUN, {"runId": run_id})["runOrError"]


RUN = """
query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run {
    runId status parentRunId rootRunId stepKeysToExecute tags { key value }
    stepStats { stepKey status } } } }
"""


MATERIALIZATIONS = """
query($runId: ID!) { runOrError(runId: $runId) { ... on Run { assetMaterializations {
    assetKey { path } metadataEntries { label ... on IntMetadataEntry { intValue } } } } } }
"""


@pytest.fixture(scope="module")
def dev(new_database, template_db, tmp_path_factory):
    url = new_database(f"gql_{uuid.uuid4().hex[:12]}", template_db)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = simulate(CUSTOMERS, DAYS, SEED, END, dirty_fraction=0.0)
        write_ops(conn, tables, simulation_params(CUSTOMERS, DAYS, SEED, END))
    home = tmp_path_factory.mktemp("gql-home")
    log = home / "dagster-dev.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_PG_URL", "DAGSTER_HOME")}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "platform_assets.cli", "ui", "--port", str(port)],
            env=env | {"DATABASE_URL": with_password(url), "PLATFORM_HOME": str(home)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, "dagster dev exited early:\n" + log.read_text()
            assert time.monotonic() < deadline, "the webserver did not come up"
            try:
                if graphql(port, "{ assetNodes { id } }")["assetNodes"]:
                    break
            except (OSError, KeyError, TypeError, AssertionError):
                pass
            time.sleep(1)
        yield Dev(port, url, home, log)
    finally:
        stop_dagster_dev(process)


def test_lineage_of_a_training_dataset_is_its_feature_views(dev):
    nodes = dev.query(
        """{ assetNodes(assetKeys: [{path: ["training", "churn_risk"]}]) {
               groupName dependencyKeys { path } } }"""
    )["assetNodes"]
    assert len(nodes) == 1 and nodes[0]["groupName"] == "training"
    upstream = {"/".join(key["path"]) for key in nodes[0]["dependencyKeys"]}
    assert upstream == {"features/customer_daily", "features/customer_topics_daily"}


NIGHTLY_STEPS = {
    "raw__service_events",
    "staging__service_events",
    "features__customer_daily",
    "embeddings__service_event_embeddings",
    "features__customer_topics_daily",
}


def _break_the_source(dev: Dev) -> str:
    """The source loses a table mid-migration: a run that lands it fails for real."""
    with psycopg.connect(dev.url, autocommit=True) as conn:
        conn.execute("alter table ops.service_events rename to service_events_migrating")
    try:
        parent = dev.client.submit_job_execution(
            job_name="nightly_refresh",
            repository_location_name=LOCATION,
            tags={"dagster/partition": PARTITION},
            asset_selection=[["raw", "organizations"], ["raw", "service_events"]],
        )
        assert dev.wait(parent) == DagsterRunStatus.FAILURE
    finally:
        with psycopg.connect(dev.url, autocommit=True) as conn:
            conn.execute("alter table ops.service_events_migrating rename to service_events")
    return parent


def _re_execute_from_failure(dev: Dev, parent: str) -> str:
    launched = dev.query(
        """mutation($parentRunId: String!) {
             launchRunReexecution(reexecutionParams: {parentRunId: $parentRunId,
                                                      strategy: FROM_FAILURE}) {
               __typename ... on LaunchRunSuccess { run { runId } }
               ... on PythonError { message } } }""",
        {"parentRunId": parent},
    )["launchRunReexecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def test_nightly_refresh_runs_and_a_failed_run_is_re_executed_from_failure(dev):
    """A run fails for real (a source table is missing); once the table is back, re-executing
    from failure runs only the failed step, and succeeds. Beside it (the queued coordinator runs
    two at a time) nightly_refresh runs over the simulated days, launched by the client with the
    range tags: the topic model needs more than one day of notes to fit on a fresh database."""
    parent = _break_the_source(dev)
    assert 'relation "ops.service_events" does not exist' in dev.errors(parent)
    steps = {s["stepKey"]: s["status"] for s in dev.run(parent)["stepStats"]}
    assert steps == {"raw__organizations": "SUCCESS", "raw__service_events": "FAILURE"}

    nightly = dev.client.submit_job_execution(
        job_name="nightly_refresh",
        repository_location_name=LOCATION,
        tags=range_tags(FIRST_DAY, PARTITION),
    )
    child = _re_execute_from_failure(dev, parent)

    assert dev.wait(child) == DagsterRunStatus.SUCCESS, dev.errors(child)
    run = dev.run(child)
    assert run["parentRunId"] == parent and run["rootRunId"] == parent
    steps = {s["stepKey"]: s["status"] for s in run["stepStats"]}
    assert steps == {"raw__service_events": "SUCCESS"}
    assert {"key": "dagster/partition", "value": PARTITION} in run["tags"]
    with psycopg.connect(dev.url, autocommit=True) as conn:
        changed = conn.execute(
            "select count(*) from ops.service_events"
            " where (updated_at at time zone 'UTC')::date = %s",
            (PARTITION,),
        ).fetchone()[0]
    assert changed > 0 and dev.landed(child) == changed

    assert dev.wait(nightly) == DagsterRunStatus.SUCCESS, dev.errors(nightly)
    steps = {s["stepKey"]: s["status"] for s in dev.run(nightly)["stepStats"]}
    assert NIGHTLY_STEPS <= set(steps) and set(steps.values()) == {"SUCCESS"}
    with psycopg.connect(dev.url, autocommit=True) as conn:
        events, staged, feature_days, vectors = conn.execute(
            "select (select count(*) from ops.service_events),"
            " (select count(*) from staging.service_events),"
            " (select count(distinct feature_ts) from features.customer_daily),"
            " (select count(*) from vectors.service_event_embeddings)"
        ).fetchone()
    assert staged == events and feature_days == DAYS and vectors > 0


# --- what the UI shows: never the password -------------------------------------------------------

SHOWN = """
query($repo: RepositorySelector!, $job: PipelineSelector!) {
  instance { info runLauncher { name } }
  repositoryOrError(repositorySelector: $repo) { __typename ... on Repository {
    allTopLevelResourceDetails { name resourceType description
      configFields { name description defaultValueAsJson } configuredValues { key value type } }
  } }
  runConfigSchemaOrError(selector: $job) { __typename ... on RunConfigSchema { rootDefaultYaml } }
  assetNodes { assetKey { path } description
    metadataEntries { label ... on TextMetadataEntry { text } } }
  runsOrError { __typename ... on Runs { results { runId runConfigYaml tags { key value } } } }
}
"""
LOGS = """
query($runId: ID!) { logsForRun(runId: $runId, limit: 10000) { __typename
  ... on EventConnection { events { __typename
    ... on MessageEvent { message }
    ... on MaterializationEvent { metadataEntries { label
        ... on TextMetadataEntry { text } ... on MarkdownMetadataEntry { mdStr }
        ... on JsonMetadataEntry { jsonString } ... on PathMetadataEntry { path } } }
    ... on ExecutionStepFailureEvent { error { message stack causes { message stack } } } } } } }
"""


def test_the_ui_never_shows_the_database_password(dev):
    repo = dev.query("{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }")
    name = repo["repositoriesOrError"]["nodes"][0]["name"]
    selector = {"repositoryName": name, "repositoryLocationName": LOCATION}
    shown = dev.query(
        SHOWN, {"repo": selector, "job": selector | {"pipelineName": "nightly_refresh"}}
    )
    resources = shown["repositoryOrError"]["allTopLevelResourceDetails"]
    assert "postgres" in {r["name"] for r in resources}  # the resources are really shown
    assert shown["runConfigSchemaOrError"]["__typename"] == "RunConfigSchema"
    assert "QueuedRunCoordinator" in shown["instance"]["info"]  # the instance config is shown
    texts = [json.dumps(shown)]
    for run in shown["runsOrError"]["results"]:  # the runs the other tests launched
        texts.append(json.dumps(dev.query(LOGS, {"runId": run["runId"]})))
    everything = "\n".join(texts)
    assert PASSWORD not in everything
    # Nor what the webserver, the daemon and the run workers wrote: logs, compute logs, files.
    for path in dev.home.rglob("*"):
        if path.is_file() and "pgdata" not in path.parts:
            assert PASSWORD.encode() not in path.read_bytes(), path
    with psycopg.connect(dev.url, autocommit=True) as conn:
        audit = conn.execute("select coalesce(string_agg(result::text, ''), '') from ml.audit_log")
        assert PASSWORD not in audit.fetchone()[0]

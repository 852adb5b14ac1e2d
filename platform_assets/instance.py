"""The Dagster instance outside `dagster dev`: the CLI's runs land in the same Postgres storage.

`dagster.yaml` at the project root reads its URLs and directories from the environment; this
module fills those variables the same way for every entry point (CLI, `make ui`, tests).
"""

import os
from pathlib import Path

import dagster as dg

from platform_assets import progress
from platform_assets.db import server
from platform_assets.partitions import range_tags
from platform_assets.settings import IN_CHECKOUT, PROJECT_ROOT, platform_home


def _default_dagster_home(home: Path) -> str:
    """The checkout's root, where its `dagster.yaml` lives. A wheel ships no `dagster.yaml`
    (deployments bring their own: set DAGSTER_HOME, see deploy/), so an installed package run
    without one gets Dagster's defaults (SQLite) under `$PLATFORM_HOME/dagster`, never files
    written into site-packages."""
    if IN_CHECKOUT:
        return str(PROJECT_ROOT)
    path = home / "dagster"
    path.mkdir(parents=True, exist_ok=True)  # DagsterInstance.get() requires it to exist
    return str(path)


def dagster_env() -> dict[str, str]:
    """The variables `dagster.yaml` needs; DAGSTER_PG_URL may hold a password: never print it."""
    home = platform_home()
    return {
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME") or _default_dagster_home(home),
        "DAGSTER_PG_URL": server.dagster_storage_url(),
        "PLATFORM_DAGSTER_DIR": str(home / "dagster"),
        "PLATFORM_HOME": str(home),
    }


def dagster_instance() -> dg.DagsterInstance:
    os.environ.update(dagster_env())
    instance = dg.DagsterInstance.get()
    # dagster-postgres opens a fresh connection per stored event unless pooled; a backfill run
    # stores one materialization per partition and asset, so pool like the webserver does.
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=2)
    return instance


def up_to_date(
    job_name: str,
    first: str,
    last: str,
    instance: dg.DagsterInstance,
    selection: dg.AssetSelection | None = None,
) -> bool:
    """True when every asset of the job (or of `selection`) has every partition of [first, last]
    materialized by its current code version, so re-running it would rewrite the same rows."""
    from platform_assets.definitions import defs
    from platform_assets.partitions import DAILY

    wanted = set(DAILY.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    job = defs.resolve_job_def(job_name)
    graph = defs.resolve_asset_graph()
    keys = job.asset_layer.executable_asset_keys
    if selection is not None:
        keys = keys & selection.resolve(graph)
    for key in keys:
        if not wanted <= instance.get_materialized_partitions(key):
            return False
        latest = instance.get_latest_materialization_event(key)
        code_version = (
            latest.dagster_event.event_specific_data.materialization.tags.get(
                "dagster/code_version"
            )
            if latest and latest.dagster_event
            else None
        )
        if code_version != graph.get(key).code_version:
            return False
    return True


def run_job(job_name: str, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """Run an unpartitioned job in this process (its runs show in the UI like any other)."""
    from platform_assets.definitions import defs

    job = defs.resolve_job_def(job_name)
    return job.execute_in_process(
        instance=instance or dagster_instance(), raise_on_error=False,
        run_config=progress.run_config(len(job.graph.nodes), progress.VERBOSE),
    )


def run_partitions(
    job_name: str,
    first: str,
    last: str,
    instance: dg.DagsterInstance | None = None,
    selection: dg.AssetSelection | None = None,
    tags: dict[str, str] | None = None,
    quiet: bool = False,
) -> dg.ExecuteInProcessResult:
    """Run a partitioned job (or the `selection` of its assets) over [first, last] as ONE run
    (the assets' single-run backfills), with extra run `tags`."""
    from platform_assets.definitions import defs

    job = defs.resolve_job_def(job_name)
    tags = (tags or {}) | range_tags(first, last)
    keys = list(selection.resolve(defs.resolve_asset_graph())) if selection else None
    steps = (len({defs.resolve_assets_def(key).op.name for key in keys}) if keys
             else len(job.graph.nodes))
    return job.execute_in_process(
        instance=instance or dagster_instance(), tags=tags, asset_selection=keys,
        run_config=progress.run_config(steps, progress.VERBOSE, quiet),
    )

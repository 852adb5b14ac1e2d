"""Job names other modules and the CLI refer to, spelled once."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from platform_assets import keys
from platform_assets.resources import PostgresResource

NIGHTLY_REFRESH = "nightly_refresh"
DASHBOARD_REFRESH = "dashboard_refresh"
DEMO_ADVANCE = "demo_advance"
# What the nightly job builds before scoring.
DATA_GROUPS = (keys.INGEST, keys.FEATURES, keys.EMBEDDINGS)
WEEKLY_TRAINING = "weekly_training"

# In-process by default: on small machines the multiprocess executor costs seconds per step, far
# more than most steps here, whose work runs inside Postgres anyway. A deployment with cores to
# spare switches a run to processes in its run config (deploy/multiprocess/run_config.yaml).
EXECUTOR = dg.multi_or_in_process_executor
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
# The daily drift statistics read the day's feature views and predictions: they are nightly,
# after the scoring. (Daily-partitioned, so not in the unpartitioned dashboard job.)
DRIFT_KEYS = (keys.FEATURE_STATS_KEY, keys.PREDICTION_STATS_KEY)
nightly_refresh = dg.define_asset_job(
    NIGHTLY_REFRESH,
    selection=dg.AssetSelection.groups(*DATA_GROUPS, keys.PREDICTIONS)
    | dg.AssetSelection.assets(*DRIFT_KEYS),
    executor_def=EXECUTOR,
    config=IN_PROCESS,
    description="The latest daily partitions of ingest, the embeddings, the feature views, "
    "the production models' predictions (with the outcomes that became known) and the drift "
    "statistics of features and scores.",
)

weekly_training = dg.define_asset_job(
    WEEKLY_TRAINING,
    selection=dg.AssetSelection.groups(keys.TRAINING, keys.MODELS),
    executor_def=EXECUTOR,
    config=IN_PROCESS,
    description="Rebuild the training datasets from the feature store as it stands, run their "
    "blocking checks, train a candidate per task and put each through the promotion gate.",
)

dashboard_refresh = dg.define_asset_job(
    DASHBOARD_REFRESH,
    selection=dg.AssetSelection.assets(keys.DB_STATS_KEY)
    | dg.AssetSelection.groups(keys.DASHBOARDS),
    executor_def=EXECUTOR,
    config=IN_PROCESS,
    description="A database-activity snapshot, then every analytics materialized view "
    "(refreshed concurrently: readers never wait), then the HTML report.",
)


@dg.op(description="Re-simulate the operations through yesterday (UTC), demo mode only.")
def advance_simulation(context: dg.OpExecutionContext, postgres: PostgresResource) -> None:
    from platform_assets.simulator.advance import advance

    through = context.run.tags.get("platform/through")
    day = date.fromisoformat(through) if through else datetime.now(UTC).date() - timedelta(1)
    with postgres.connect_source() as conn:
        result = advance(conn, day)
    context.log.info(result.message)
    if result.advanced:
        context.log.info(", ".join(f"ops.{k} {v:,}" for k, v in result.rows.items()))


@dg.job(name=DEMO_ADVANCE, executor_def=dg.in_process_executor,
        description="Demo mode: move the simulated operations forward to yesterday, so the "
        "nightly run that follows lands a new day.")
def demo_advance():
    advance_simulation()

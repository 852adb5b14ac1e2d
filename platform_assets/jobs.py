"""Job names other modules and the CLI refer to, spelled once."""

import dagster as dg

NIGHTLY_REFRESH = "nightly_refresh"
DATA_GROUPS = ("ingest", "features", "embeddings")  # what the nightly job builds before scoring
WEEKLY_TRAINING = "weekly_training"

# In-process: on small machines the multiprocess executor costs seconds per step, far more than
# most steps here, whose work runs inside Postgres anyway.
nightly_refresh = dg.define_asset_job(
    NIGHTLY_REFRESH,
    selection=dg.AssetSelection.groups(*DATA_GROUPS, "predictions"),
    executor_def=dg.in_process_executor,
    description="The latest daily partitions of ingest, the embeddings, the feature views and "
    "the production models' predictions (with the outcomes that became known).",
)

weekly_training = dg.define_asset_job(
    WEEKLY_TRAINING,
    selection=dg.AssetSelection.groups("training", "models"),
    executor_def=dg.in_process_executor,
    description="Rebuild the training datasets from the feature store as it stands, run their "
    "blocking checks, train a candidate per task and put each through the promotion gate.",
)

"""The daily partitioning every time-based asset shares (UTC days of operational changes)."""

import warnings

import dagster as dg

from platform_assets.db.transient import TRANSIENT_RETRY, retry_transient_only

PARTITION_START = "2025-01-01"
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITION_START, timezone="UTC")

# The run tags that make one run cover a partition range. Dagster spells them only in a private
# module (dagster._core.storage.tags), so they are spelled here, once.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# The concurrency pool of the steps that load Postgres (ingest, features, embeddings, scoring).
POSTGRES_POOL = "postgres"

# Single-run backfills are the point of daily assets here; accept that the parameter is beta.
warnings.filterwarnings("ignore", message=".*backfill_policy", category=dg.BetaWarning)


def daily_asset(**kwargs):
    """`dg.asset` on the daily partitions, backfilled as ONE run over the whole range.

    Steps are set-based SQL over their partition range, so a 365-day backfill is one statement
    per asset instead of 365 runs. They run in the `postgres` concurrency pool (its limit is the
    instance's `concurrency.pools.default_limit` in dagster.yaml) and retry transient
    database failures only (`db.transient`).
    """
    asset = dg.asset(
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRY,
        pool=POSTGRES_POOL,
        **kwargs,
    )
    return lambda compute: asset(retry_transient_only(compute))


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags for one run over the partitions `first`..`last` (both included)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def range_label(days: dg.PartitionKeyRange) -> str:
    """A run's partitions as one label: the day, or `first..last` for a range."""
    return days.start if days.start == days.end else f"{days.start}..{days.end}"

"""The daily partitioning every time-based asset shares (UTC days of operational changes)."""

import warnings

import dagster as dg

PARTITION_START = "2025-01-01"
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITION_START, timezone="UTC")

# Single-run backfills are the point of daily assets here; accept that the parameter is beta.
warnings.filterwarnings("ignore", message=".*backfill_policy", category=dg.BetaWarning)


def daily_asset(**kwargs):
    """`dg.asset` on the daily partitions, backfilled as ONE run over the whole range.

    Steps are set-based SQL over their partition range, so a 365-day backfill is one statement
    per asset instead of 365 runs.
    """
    return dg.asset(
        partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run(), **kwargs
    )

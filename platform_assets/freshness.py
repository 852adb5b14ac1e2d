"""Freshness: the nightly assets are late when they have not materialized by 04:00 UTC.

The nightly job starts at 02:00 UTC; a policy on each daily asset it builds expects a
materialization between 02:00 and 04:00 every day, so the UI marks the assets that are behind.
Freshness policies are Dagster's current mechanism (the freshness-check builders are superseded
by them) and need no sensor.
"""

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

NIGHTLY_DEADLINE_CRON = "0 4 * * *"
NIGHTLY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=NIGHTLY_DEADLINE_CRON, lower_bound_delta=timedelta(hours=2), timezone="UTC"
)


def with_nightly_freshness(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    return list(
        dg.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=NIGHTLY_FRESHNESS),
                           assets)
    )

"""The code location: assembles the domains; no logic lives here."""

import dagster as dg

from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import ingest_assets
from platform_assets.jobs import nightly_refresh
from platform_assets.resources import PostgresResource
from platform_assets.schedules import schedules

defs = dg.Definitions(
    assets=[*ingest_assets, *feature_assets],
    jobs=[nightly_refresh],
    schedules=schedules,
    resources={"postgres": PostgresResource()},
    executor=dg.in_process_executor,
)

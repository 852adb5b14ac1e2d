"""Module-level job factories for the fault tests: `dg.reconstructable` needs importable functions.

A killed run is re-executed from failure in another process than the one that started it, so the
job is rebuilt from here by name. Resources read their settings from the environment the test
sets (`FAULTS_DATABASE_URL`, `FAULTS_ARTIFACTS`), never from values baked in at import. Steps
run in the run worker's own process (in-process executor), so killing the worker kills the step.
"""

import dagster as dg

from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import raw_assets
from platform_assets.resources import ArtifactStore, PostgresResource
from platform_assets.training.assets import training_assets

DATABASE_ENV = "FAULTS_DATABASE_URL"
ARTIFACTS_ENV = "FAULTS_ARTIFACTS"
TASK = "maintenance_prediction"  # the smallest dataset of the world (a few vehicles)

FEATURE_KEY = dg.AssetKey(["features", "customer_daily"])
TRAINING_KEY = dg.AssetKey(["training", TASK])
EMBEDDING_KEY = dg.AssetKey(["embeddings", "service_event_embeddings"])
RAW_EVENTS_KEY = dg.AssetKey(["raw", "service_events"])


def _job(name: str, assets: list, key: dg.AssetKey) -> dg.JobDefinition:
    definitions = dg.Definitions(
        assets=[a for a in assets if key in a.keys],
        jobs=[dg.define_asset_job(name, [key], executor_def=dg.in_process_executor)],
        resources={
            "postgres": PostgresResource(database_url=dg.EnvVar(DATABASE_ENV)),
            "artifacts": ArtifactStore(root=dg.EnvVar(ARTIFACTS_ENV)),
            "embedding_model": EmbeddingModel(),
        },
    )
    return definitions.resolve_job_def(name)


def feature_job() -> dg.JobDefinition:
    return _job("faults_customer_daily", feature_assets, FEATURE_KEY)


def training_job() -> dg.JobDefinition:
    return _job(f"faults_training_{TASK}", training_assets, TRAINING_KEY)


def embedding_job() -> dg.JobDefinition:
    return _job("faults_embeddings", embedding_assets, EMBEDDING_KEY)


def raw_events_job() -> dg.JobDefinition:
    return _job("faults_raw_service_events", raw_assets, RAW_EVENTS_KEY)

"""The code location: assembles the domains; no logic lives here."""

import dagster as dg

from platform_assets.alerts import AlertsResource
from platform_assets.alerts.sensors import alert_sensors
from platform_assets.dashboards.assets import dashboard_assets
from platform_assets.embeddings.assets import embedding_assets
from platform_assets.embeddings.model import EmbeddingModel
from platform_assets.features.assets import feature_assets
from platform_assets.features.customer_topics_daily import customer_topics_daily
from platform_assets.freshness import with_nightly_freshness
from platform_assets.ingest.assets import ingest_assets
from platform_assets.jobs import dashboard_refresh, demo_advance, nightly_refresh, weekly_training
from platform_assets.models.assets import model_assets, promotion_assets
from platform_assets.monitoring.assets import monitoring_assets
from platform_assets.monitoring.drift_stats import drift_assets
from platform_assets.predictions.assets import prediction_assets
from platform_assets.progress import LOGGERS
from platform_assets.resources import ArtifactStore, PostgresResource
from platform_assets.schedules import schedules
from platform_assets.sensors import sensors
from platform_assets.training.assets import training_assets

defs = dg.Definitions(
    assets=[
        *with_nightly_freshness([*ingest_assets, *feature_assets, customer_topics_daily]),
        *embedding_assets, *training_assets, *model_assets, *promotion_assets, *prediction_assets,
        *monitoring_assets, *drift_assets, *dashboard_assets,
    ],
    jobs=[nightly_refresh, weekly_training, dashboard_refresh, demo_advance],
    schedules=schedules,
    sensors=[*sensors, *alert_sensors],
    resources={
        "postgres": PostgresResource(),
        "artifacts": ArtifactStore(),
        "embedding_model": EmbeddingModel(),
        "alerts": AlertsResource(),
    },
    loggers=LOGGERS,
    executor=dg.in_process_executor,
)

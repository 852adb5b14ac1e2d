"""Every asset key, group and owner of the platform, spelled once.

A key's first part is a folder: `features/customer_daily` is built in `platform_assets/features/`
from `sql/features/customer_daily.sql`, `predictions/churn_risk` in `platform_assets/predictions/`
with `sql/predictions/`, and so on for raw/staging (`ingest/`), embeddings, training, models,
dashboards and monitoring. Functions take names, not spec objects, so that any module can import
this one without importing a domain.
"""

import dagster as dg

# --- groups (the Dagster UI's asset groups, one per folder; raw and staging share ingest) -------

INGEST = "ingest"
FEATURES = "features"
EMBEDDINGS = "embeddings"
TRAINING = "training"
MODELS = "models"
PREDICTIONS = "predictions"
DASHBOARDS = "dashboards"
MONITORING = "monitoring"

# --- owners --------------------------------------------------------------------------------------

DATA_PLATFORM = ["team:data-platform"]  # ingest: the source's contract is theirs
ML_PLATFORM = ["team:ml-platform"]  # everything downstream of staging


# --- keys ----------------------------------------------------------------------------------------


def raw_key(table: str) -> dg.AssetKey:
    """`raw/<table>`: the landed copy of `ops.<table>`."""
    return dg.AssetKey(["raw", table])


def staging_key(table: str) -> dg.AssetKey:
    """`staging/<table>`: typed, validated, with history."""
    return dg.AssetKey(["staging", table])


def relation_key(qualified: str) -> dg.AssetKey:
    """The asset that writes a platform relation, from its `schema.table` name
    (`"staging.customers"` -> `staging/customers`)."""
    schema, name = qualified.split(".")[:2]
    return dg.AssetKey([schema, name])


def feature_key(view: str) -> dg.AssetKey:
    """`features/<view>`: a daily feature view."""
    return dg.AssetKey(["features", view])


EMBEDDINGS_KEY = dg.AssetKey(["embeddings", "service_event_embeddings"])
TOPICS_KEY = feature_key("customer_topics_daily")


def dataset_key(task: str) -> dg.AssetKey:
    """`training/<task>`: a point-in-time training dataset."""
    return dg.AssetKey(["training", task])


def model_key(name: str) -> dg.AssetKey:
    """`models/<name>`: trains and registers a candidate."""
    return dg.AssetKey(["models", name])


def promotion_key(name: str) -> dg.AssetKey:
    """`models/<name>_promotion`: the promotion gate of `models/<name>`."""
    return dg.AssetKey(["models", f"{name}_promotion"])


def prediction_key(name: str) -> dg.AssetKey:
    """`predictions/<name>`: the production model's daily scores."""
    return dg.AssetKey(["predictions", name])


def dashboard_key(view: str) -> dg.AssetKey:
    """`dashboards/<view>`: a materialized view in `analytics`."""
    return dg.AssetKey(["dashboards", view])


REPORT_KEY = dashboard_key("report")
DB_STATS_KEY = dg.AssetKey(["monitoring", "db_stats"])
FEATURE_STATS_KEY = dg.AssetKey(["monitoring", "feature_stats_daily"])
PREDICTION_STATS_KEY = dg.AssetKey(["monitoring", "prediction_stats_daily"])

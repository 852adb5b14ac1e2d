"""The dashboard views: one materialized view in `analytics` per entry, its query in
`sql/dashboards/<name>.sql`, its unique key (which `refresh ... concurrently` requires) and a
comment per column. Analysts' queries rely on these names and columns.
"""

import hashlib
from dataclasses import dataclass

import dagster as dg
from psycopg import sql

from platform_assets import keys
from platform_assets.db.sql import identifier, load_sql
from platform_assets.features.views import FEATURE_VIEWS
from platform_assets.ingest.tables import SOURCE_TABLES
from platform_assets.models.specs import MODEL_SPECS
from platform_assets.training.tasks import TASKS

SCHEMA = "analytics"


@dataclass(frozen=True)
class DashboardView:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (column, comment) in the query's order
    deps: tuple[dg.AssetKey, ...]
    preview_order: str  # an ORDER BY list for the metadata preview: newest first

    @property
    def relation(self) -> sql.Identifier:
        return sql.Identifier(SCHEMA, identifier(self.name))

    @property
    def query(self) -> str:
        return load_sql(f"dashboards/{self.name}").strip().rstrip(";")

    @property
    def chart_query(self) -> str:
        return load_sql(f"dashboards/{self.name}_chart")

    @property
    def version(self) -> str:
        """Changes with anything the view is created from; kept in the view's comment."""
        text = repr((self.query, self.key, self.columns, self.description))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def comment(self) -> str:
        return (
            f"{self.description} One row per ({', '.join(self.key)}). Refreshed by the Dagster "
            f"asset dashboards/{self.name}. definition {self.version}"
        )


DASHBOARD_VIEWS: tuple[DashboardView, ...] = (
    DashboardView(
        name="ops_daily_kpis",
        description="Operations KPIs per organization and UTC day, from staging.service_events.",
        key=("organization_id", "day"),
        columns=(
            ("organization_id", "Organization."),
            ("day", "UTC day of service_date."),
            ("pickups", "Pickups done."),
            ("missed_pickups", "Scheduled pickups missed."),
            ("missed_pickup_rate", "missed_pickups / (pickups + missed_pickups); null if none."),
            ("overflow_reports", "Overflow reports."),
            ("complaints", "Complaints."),
            ("kg_collected", "Weight collected by pickups (kg)."),
            ("avg_fill_level", "Mean bin fill level at pickup (%)."),
        ),
        deps=(keys.staging_key("service_events"),),
        preview_order="day desc, organization_id",
    ),
    DashboardView(
        name="model_performance_daily",
        description="Prediction quality per model version and prediction day, from "
        "ml.predictions and ml.models, over the predictions whose outcome is known; a shadow "
        "challenger's rows carry the champion's metrics on the same entities beside its own.",
        key=("model_name", "model_version", "day"),
        columns=(
            ("model_name", "Model (the task)."),
            ("model_version", "Model version in ml.models."),
            ("day", "Prediction day (the predictions' partition)."),
            ("role", "champion (the production model that night) or challenger (a shadow "
             "candidate scored beside it)."),
            ("predictions", "Predictions made."),
            ("outcomes_known", "Predictions whose actual outcome is known."),
            ("auc", "ROC AUC over known outcomes (classifiers; null unless both classes occur)."),
            ("accuracy", "Share of known outcomes predicted right at the model's threshold."),
            ("mae", "Mean absolute error (score - outcome) over known outcomes."),
            ("mean_score", "Mean predicted score over all predictions."),
            ("champion_outcomes_known", "Challengers: known outcomes of the champion's "
             "predictions of the same entities that day; null for the champion."),
            ("champion_auc", "Challengers: the champion's AUC on those same entities."),
            ("champion_mae", "Challengers: the champion's MAE on those same entities."),
        ),
        deps=tuple(keys.prediction_key(name) for name in MODEL_SPECS),
        preview_order="day desc, model_name, model_version",
    ),
    DashboardView(
        name="data_quality_daily",
        description="Data-quality checks run and failed per asset and UTC day "
        "(quality.check_results), with the rows ingest rejected (quality.rejected_rows).",
        key=("asset_key", "day"),
        columns=(
            ("asset_key", "Asset checked, or staging/<table> for rejected rows."),
            ("day", "UTC day of the check or rejection."),
            ("checks_run", "Check executions."),
            ("checks_failed", "Check executions that failed."),
            ("rows_rejected", "Rows rejected by ingest validation."),
            ("rejected_by_reason", "Rejected rows per reason (reason -> count)."),
        ),
        # Rejected rows come from staging; check results from every asset that has checks.
        deps=(
            *(keys.staging_key(table.name) for table in SOURCE_TABLES),
            *(keys.feature_key(view.name) for view in FEATURE_VIEWS),
            *(keys.dataset_key(task.name) for task in TASKS),
        ),
        preview_order="day desc, asset_key",
    ),
    DashboardView(
        name="ml_performance_dashboard",
        description="ML operations (ml.audit_log) and database load (monitoring.db_stats) per "
        "UTC hour.",
        key=("hour",),
        columns=(
            ("hour", "UTC hour."),
            ("ml_operations", "ML operations logged in ml.audit_log."),
            ("ml_mean_duration_ms", "Mean duration of those operations (ms)."),
            ("ml_failures", "ML operations with status failure."),
            ("db_snapshots", "Snapshots of the database in monitoring.db_stats."),
            ("connections_active_max", "Most active connections in a snapshot."),
            ("commits", "Transactions committed within the hour (last - first snapshot)."),
            ("rollbacks", "Transactions rolled back within the hour."),
            ("cache_hit_ratio", "Buffer cache hit ratio at the hour's last snapshot."),
            ("deadlocks", "Deadlocks within the hour."),
            ("temp_bytes", "Temporary file bytes written within the hour."),
            ("database_size_bytes", "Database size at the hour's last snapshot."),
        ),
        deps=(keys.DB_STATS_KEY,),  # ml.audit_log is written by several assets and the CLI
        preview_order="hour desc",
    ),
    DashboardView(
        name="feature_drift_daily",
        description="Feature drift per feature view and day, from "
        "monitoring.feature_stats_daily: features at each PSI level and the one that moved most.",
        key=("view_name", "day"),
        columns=(
            ("view_name", "Feature view (features.<view_name>)."),
            ("day", "The day the view's rows describe."),
            ("features", "Features summarised."),
            ("features_with_psi", "Features with a PSI (read by a production model)."),
            ("features_warn", "Features whose PSI is above the warn threshold (0.1)."),
            ("features_alert", "Features whose PSI is above their model's alert threshold."),
            ("max_psi", "Highest PSI of the day's features (exempt calendar features left out)."),
            ("max_psi_feature", "The feature with that PSI."),
            ("row_count", "Rows of the view that day (entities)."),
        ),
        deps=(keys.FEATURE_STATS_KEY,),
        preview_order="day desc, view_name",
    ),
)
VIEWS_BY_NAME = {view.name: view for view in DASHBOARD_VIEWS}

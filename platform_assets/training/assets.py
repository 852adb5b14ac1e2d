"""Training-dataset assets: one unpartitioned asset per task, `training/<task>`.

Each materialization rebuilds `training.<task>` from staging labels and the task's feature views
(point in time), swaps it in atomically, snapshots it to Parquet under the artifact store and
registers the version in `training.datasets`. The work is `build_dataset`; this module only maps
Dagster's config, resources and metadata onto it, and runs the blocking checks of
`platform_assets.training.checks` on the new table.
"""

from datetime import date

import dagster as dg
import psycopg
from psycopg import sql
from pydantic import Field

from platform_assets import keys
from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import identifier, table
from platform_assets.metadata import preview, table_schema, timed
from platform_assets.quality.common import interval_text
from platform_assets.resources import PostgresResource
from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.checks import checked_dataset
from platform_assets.training.dataset import DatasetBuild, Window, build_dataset
from platform_assets.training.tasks import TASKS, Task
from platform_assets.training.versions import code_version

_PREVIEW_COLUMNS = 8  # a preview of every feature column would not fit the UI


class TrainingWindow(dg.Config):
    """The as-of dates to label (ISO dates, inclusive). Unset: the span that has feature rows
    and a fully observed label horizon."""

    first_label_date: str | None = Field(
        default=None, description="First as-of date (YYYY-MM-DD); unset: the first with features."
    )
    last_label_date: str | None = Field(
        default=None,
        description="Last as-of date (YYYY-MM-DD); unset: the last with features whose label "
        "horizon is fully observed.",
    )

    def window(self) -> Window:
        return Window(
            first=_date("first_label_date", self.first_label_date),
            last=_date("last_label_date", self.last_label_date),
        )


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


def _preview(conn: psycopg.Connection, task: Task) -> dg.MarkdownMetadataValue:
    """The latest labels with their first columns (ids, label, split and a few features)."""
    names = [c.name for c in table_columns(conn, "training", task.name)]
    shown = [*names[:_PREVIEW_COLUMNS], "split"] if len(names) > _PREVIEW_COLUMNS else names
    query = sql.SQL("select {} from {} order by label_ts desc, {}").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in dict.fromkeys(shown)),
        table("training", task.name),
        sql.Identifier(identifier(task.entity_key)),
    )
    return preview(conn, query, {})


def _metadata(
    build: DatasetBuild, schema: dg.TableSchema, sample: dg.MarkdownMetadataValue, duration: float
) -> dict:
    return {
        "dagster/row_count": build.row_count,
        "dagster/column_schema": schema,
        "dagster/table_name": build.table,
        "version": build.version,
        "window": f"{build.window[0]}..{build.window[1]}",
        "split_counts": dg.MetadataValue.json(build.split_counts),
        "label_balance": dg.MetadataValue.json(build.label_balance),
        "feature_views": dg.MetadataValue.json(build.feature_views),
        "horizon": interval_text(build.horizon),
        "purge": dg.MetadataValue.json(build.purge),
        "parquet_path": dg.MetadataValue.path(str(build.parquet_path)),
        "snapshot_written": build.snapshot_written,
        "new_version": build.registered,
        "pit_join_s": build.timings_s.get("pit_join_s", 0.0),
        "duration_s": duration,
        "preview": sample,
    }


def _training_asset(task: Task) -> dg.AssetsDefinition:
    checked = checked_dataset(task)

    @dg.asset(
        key=checked.asset_key,
        deps=[keys.feature_key(view.name) for view in task.views],
        group_name=keys.TRAINING,
        kinds={"postgres", "parquet"},
        owners=keys.ML_PLATFORM,
        code_version=code_version(task),
        description=task.description,
        check_specs=checked.specs(),
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: TrainingWindow,
        postgres: PostgresResource,
        artifacts: ArtifactStore,
    ) -> dg.MaterializeResult:
        window = config.window()  # a bad date is refused before connecting
        with timed() as timing, postgres.connect() as conn:
            build = build_dataset(conn, task, window, context.run.run_id, artifacts,
                                  checks_url=postgres.url())
            checks = build.checks
            schema = table_schema(conn, "training", task.name)
            sample = _preview(conn, task)
        context.log.info(
            f"{build.table}: {build.row_count} rows {build.split_counts}, version {build.version}"
            f" ({'new' if build.registered else 'unchanged'}), snapshot {build.parquet_path}"
        )
        return dg.MaterializeResult(
            check_results=checks,
            metadata=_metadata(build, schema, sample, timing["duration_s"]),
            data_version=dg.DataVersion(build.version),
        )

    return _asset


training_assets = [_training_asset(task) for task in TASKS]

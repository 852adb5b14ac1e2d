"""Daily feature views (`features/<view>`), computed in Postgres from staging.

Each partition is a day; its rows are valid from the end of that day. A run over a range
recomputes every day of it in one statement, reading the view's lookback before the range, so
windows at partition edges equal windows over the whole history. The nightly schedule re-runs
the last few partitions (`PLATFORM_NIGHTLY_LOOKBACK_DAYS`, default 3), and a load that changed an
entity's older past makes the view recompute that entity from the change on (`late`).
The topic view, whose rows also depend on a k-means fit, is `customer_topics_daily`.
"""

from datetime import date

import dagster as dg
from psycopg import sql

from platform_assets import keys
from platform_assets.db.locks import holding_relation, lock_relation
from platform_assets.db.sql import sql_version
from platform_assets.features.checks import check_params, checked_view
from platform_assets.features.late import record_day_checks, write_with_late_changes
from platform_assets.features.registry import feature_columns, register, view_version
from platform_assets.features.views import FEATURE_VIEWS, FRAGMENTS, FeatureView
from platform_assets.metadata import preview, table_schema, timed
from platform_assets.partitions import daily_asset, range_label
from platform_assets.quality import quality_score
from platform_assets.resources import PostgresResource

# What every view's rows are written by, besides its own SQL: the code version covers it all.
WRITE_SQL = (
    *FRAGMENTS, "features/clear_partitions", "features/write_partitions", "features/register",
    "features/late_start", "features/mark_late_applied", "features/fingerprint_days",
    "features/record_day_checks",
)


def _code_version(view: FeatureView) -> str:
    return sql_version(view.sql_name, *WRITE_SQL, extra=repr(view))


def _lineage(view: FeatureView) -> dg.TableColumnLineage:
    deps = {}
    for column, sources in view.lineage.items():
        deps[column] = [
            dg.TableColumnDep(
                asset_key=keys.relation_key(source), column_name=source.split(".")[2]
            )
            for source in sources
        ]
    return dg.TableColumnLineage(deps_by_column=deps)


def write_view(
    conn, view: FeatureView, first_day: str, last_day: str, run_id: str | None = None
) -> tuple[str, int, int]:
    """Replace the view's rows for [first_day, last_day] in one transaction, and the earlier
    days of the entities a late change touched; return the first day written, the rows and the
    entities recomputed for late changes."""
    with conn.transaction():
        lock_relation(conn, view.table)
        return write_with_late_changes(conn, view, first_day, last_day, run_id)


def materialize_view(context: dg.AssetExecutionContext, postgres: PostgresResource, view):
    days = context.partition_key_range
    run_id = context.run.run_id
    with timed() as timing, postgres.connect() as conn:
        # The lock spans the write and the checks: the days' fingerprints are the rows checked.
        with holding_relation(conn, view.table):
            first_day, rows, late_entities = write_view(conn, view, days.start, days.end, run_id)
            # Every day written is checked, the late days of a few entities included.
            checks = checked_view(view).run(
                conn, postgres.url(), check_params(first_day, days.end),
                partition_key=range_label(days), run_id=run_id,
                data_version=view_version(conn, view),
            )
            record_day_checks(conn, view, first_day, days.end, checks, run_id)
        score = quality_score(checks)
        version = register(conn, view, _code_version(view), quality_score=score)
        schema = table_schema(conn, "features", view.name)
        sample = preview(
            conn,
            sql.SQL(
                "select * from {} where feature_ts = (%(last_day)s::date + 1)::timestamp"
                " at time zone 'UTC' order by {}"
            ).format(sql.Identifier("features", view.name), sql.Identifier(view.entity_key)),
            {"last_day": days.end},
        )
        n_features = len(feature_columns(conn, view))
    late = (f" (and {late_entities} entities from {first_day}: late changes)"
            if late_entities else "")
    context.log.info(
        f"{view.table}: {rows} rows for {days.start}..{days.end}{late} (version {version})"
    )
    return dg.MaterializeResult(
        check_results=checks,
        metadata={
            "dagster/row_count": rows,
            "late_entities_recomputed": late_entities,
            "late_days_recomputed": (date.fromisoformat(days.start)
                                     - date.fromisoformat(first_day)).days,
            "quality_score": score,
            "dagster/column_schema": schema,
            "dagster/column_lineage": _lineage(view),
            "view_version": version,
            "entity_key": view.entity_key,
            "ttl": str(view.ttl),
            "features": n_features,
            "preview": sample,
            "duration_s": timing["duration_s"],
        }
    )


def _view_asset(view: FeatureView) -> dg.AssetsDefinition:
    checked = checked_view(view)

    @daily_asset(
        key=checked.asset_key,
        deps=[keys.relation_key(table) for table in view.source_tables],
        group_name=keys.FEATURES,
        kinds={"postgres"},
        owners=keys.ML_PLATFORM,
        code_version=_code_version(view),
        description=view.description + f" Entity key {view.entity_key}, ttl {view.ttl}; the "
        f"latest row per entity is served by {view.latest_view}.",
        tags={"entity": view.entity},
        check_specs=checked.specs(),
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return materialize_view(context, postgres, view)

    return _asset


feature_assets = [_view_asset(view) for view in FEATURE_VIEWS]

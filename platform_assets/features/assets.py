"""Daily feature views (`features/<view>`), computed in Postgres from staging.

Each partition is a day; its rows are valid from the end of that day. A run over a range
recomputes every day of it in one statement, reading the view's lookback before the range, so
windows at partition edges equal windows over the whole history. Late corrections change past
days: the nightly schedule re-runs the last few partitions (`NIGHTLY_LOOKBACK_DAYS`).
"""

import hashlib
from datetime import date

import dagster as dg
from psycopg import sql

from platform_assets.db.sql import load_sql
from platform_assets.features.checks import check_params, relation, view_checks
from platform_assets.features.late import write_with_late_changes
from platform_assets.features.registry import (
    feature_columns,
    register,
    view_columns,
    view_version,
)
from platform_assets.features.views import FEATURE_VIEWS, FeatureView
from platform_assets.metadata import preview, table_schema, timed
from platform_assets.partitions import daily_asset
from platform_assets.quality import check_specs, quality_score, run_checks
from platform_assets.resources import PostgresResource

GROUP = "features"
OWNERS = ["team:ml-platform"]


def _code_version(view: FeatureView) -> str:
    digest = hashlib.sha256(load_sql(f"features/{view.name}").encode())
    for name in ("features/clear_partitions", "features/write_partitions", "features/register",
                 "features/late_start", "features/mark_late_applied"):
        digest.update(load_sql(name).encode())
    digest.update(repr(view).encode())
    return digest.hexdigest()[:12]


def _lineage(view: FeatureView) -> dg.TableColumnLineage:
    deps = {}
    for column, sources in view.lineage.items():
        deps[column] = [
            dg.TableColumnDep(
                asset_key=dg.AssetKey(source.split(".")[:2]), column_name=source.split(".")[2]
            )
            for source in sources
        ]
    return dg.TableColumnLineage(deps_by_column=deps)


def write_view(
    conn, view: FeatureView, first_day: str, last_day: str
) -> tuple[str, int, int]:
    """Replace the view's rows for [first_day, last_day] in one transaction, and the earlier
    days of the entities a late change touched; return the first day written, the rows and the
    entities recomputed for late changes."""
    target = sql.Identifier("features", view.name)
    columns = [name for name, _ in view_columns(conn, view)]
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (view.table,))
        # The windows sort entities x days; let that happen in memory rather than on disk.
        conn.execute("set local work_mem = '256MB'")
        return write_with_late_changes(
            conn, view, target, columns, f"features/{view.name}", first_day, last_day
        )


def _partition_label(keys: dg.PartitionKeyRange) -> str:
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


def materialize_view(context: dg.AssetExecutionContext, postgres: PostgresResource, view):
    keys = context.partition_key_range
    asset_key = dg.AssetKey(["features", view.name])
    with timed() as timing, postgres.connect() as conn:
        first_day, rows, late_entities = write_view(conn, view, keys.start, keys.end)
        checks = run_checks(
            conn, postgres.url(), asset_key, relation(view), check_params(keys.start, keys.end),
            view_checks(view), partition_key=_partition_label(keys), run_id=context.run.run_id,
            data_version=view_version(conn, view),
        )
        score = quality_score(checks)
        version = register(conn, view, _code_version(view), quality_score=score)
        schema = table_schema(conn, "features", view.name)
        sample = preview(
            conn,
            sql.SQL(
                "select * from {} where feature_ts = (%(last_day)s::date + 1)::timestamp"
                " at time zone 'UTC' order by {}"
            ).format(sql.Identifier("features", view.name), sql.Identifier(view.entity_key)),
            {"last_day": keys.end},
        )
        n_features = len(feature_columns(conn, view))
    late = (f" (and {late_entities} entities from {first_day}: late changes)"
            if late_entities else "")
    context.log.info(
        f"{view.table}: {rows} rows for {keys.start}..{keys.end}{late} (version {version})"
    )
    return dg.MaterializeResult(
        check_results=checks,
        metadata={
            "dagster/row_count": rows,
            "late_entities_recomputed": late_entities,
            "late_days_recomputed": (date.fromisoformat(keys.start)
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
    deps = [dg.AssetKey(table.split(".")) for table in view.source_tables]

    @daily_asset(
        key=["features", view.name],
        deps=deps,
        group_name=GROUP,
        kinds={"postgres"},
        owners=OWNERS,
        code_version=_code_version(view),
        description=view.description + f" Entity key {view.entity_key}, ttl {view.ttl}; the "
        f"latest row per entity is served by {view.latest_view}.",
        tags={"entity": view.entity},
        check_specs=check_specs(dg.AssetKey(["features", view.name]), view_checks(view)),
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return materialize_view(context, postgres, view)

    return _asset


feature_assets = [_view_asset(view) for view in FEATURE_VIEWS]

"""Daily-partitioned ingest assets: `raw/<table>` lands changed rows, `staging/<table>` cleans them.

One pair per operational table, built from `SOURCE_TABLES`. A partition is the UTC day a row
changed (`updated_at`), so a late correction of an old event arrives with the day it was made.
Landing also reconciles keys with the source (`ingest.reconcile`): deletes land as tombstones,
and rows no updated_at window would land (backdated, or without updated_at) land in the range's
last partition. Staging keeps history and heals its quarantine (`ingest.staging`).
Backfills run as one run over the whole range (`BackfillPolicy.single_run`), each step one
set-based statement over all its partitions. Every write replaces its partition range inside one
transaction: a crash leaves the previous data readable.
"""

import dagster as dg
from psycopg import sql

from platform_assets import keys
from platform_assets.db.bulk import copy_query
from platform_assets.db.locks import lock_relation
from platform_assets.db.sql import compose, load_sql, sql_version, table
from platform_assets.ingest.reconcile import (
    FULL,
    RECONCILE_TAG,
    WINDOW_COLUMN,
    land_deletions,
    reconcile,
)
from platform_assets.ingest.staging import COUNT_COLUMNS, stage_range
from platform_assets.ingest.tables import RAW_METADATA, SOURCE_TABLES, SourceTable
from platform_assets.ingest.validate import staging_columns
from platform_assets.metadata import markdown, preview, table_schema, timed
from platform_assets.partitions import DAILY, daily_asset
from platform_assets.resources import PostgresResource

_LANDING_SQL = (
    "ingest/extract",
    "ingest/extract_ids",
    "ingest/clear_raw",
    "ingest/clear_deletions",
    "ingest/land_deletions",
    "ingest/reconcile_buckets",
    "ingest/reconcile_known",
    "ingest/reconcile_keys",
    "ingest/reconcile_gone",
    "ingest/reconcile_exists",
    "ingest/reconcile_missing",
    "ingest/reconcile_relanded",
)
_STAGING_SQL = (
    "ingest/validate",
    "ingest/clear_rejected",
    "ingest/reject",
    "ingest/mark_superseded",
    "ingest/mark_unchanged",
    "ingest/drop_rejected_versions",
    "ingest/stage",
    "ingest/write_versions",
    "ingest/tombstones",
    "ingest/close_deleted",
    "ingest/remove_deleted",
    "ingest/retry_raw",
    "ingest/resolve_rejections",
    "ingest/valid_times",
    "ingest/clear_current",
    "ingest/current_from_history",
    "ingest/count_outcomes",
    "ingest/clear_counts",
    "ingest/record_counts",
    "ingest/update_resolved_counts",
    "ingest/note_late_changes",
    "ingest/rejected_by_reason",
)


def _partition_params(context: dg.AssetExecutionContext) -> dict:
    keys = context.partition_key_range
    window = context.partition_time_window
    first_key = DAILY.get_first_partition_key()
    return {
        "first_partition": keys.start,
        "last_partition": keys.end,
        # The first partition is the initial load: it takes every row changed before it too.
        "start": "-infinity" if keys.start == first_key else window.start,
        "end": window.end,
        "first_partition_key": first_key,
    }


def land(context: dg.AssetExecutionContext, postgres: PostgresResource, source: SourceTable):
    params = _partition_params(context) | {
        "load_id": context.run.run_id,
        "source_table": source.name,
    }
    full = context.run.tags.get(RECONCILE_TAG) == FULL
    raw_table = table("raw", source.name)
    with timed() as timing, postgres.connect() as conn, postgres.connect_source() as src:
        columns = [c.name for c in staging_columns(conn, source)]
        selected = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns)
        targets = ["load_id", "partition_key", *columns]
        with conn.transaction():
            lock_relation(conn, f"raw.{source.name}")
            conn.execute(compose("ingest/clear_raw", raw_table=raw_table), params)
            conn.execute(load_sql("ingest/clear_deletions"), params)
            extract = compose(
                "ingest/extract", columns=selected, source_table=table("ops", source.name)
            )
            landed = copy_query(src, extract, params, conn, raw_table, targets)
            found = reconcile(conn, src, source, params, full)
            if found.to_land:
                by_id = compose(
                    "ingest/extract_ids", columns=selected, source_table=table("ops", source.name)
                )
                landed += copy_query(
                    src, by_id, params | {"ids": found.to_land}, conn, raw_table, targets
                )
            tombstones = land_deletions(conn, found.deleted, params)
        schema = table_schema(conn, "raw", source.name)
        sample = preview(
            conn,
            sql.SQL(
                "select {} from {} where partition_key between %(first_partition)s and "
                "%(last_partition)s"
            ).format(
                sql.SQL(", ").join(
                    sql.Identifier(c) for c in (*RAW_METADATA, *columns) if c not in source.pii
                ),
                raw_table,
            ),
            params,
        )
    context.log.info(
        f"landed {landed} rows of ops.{source.name} for {params['first_partition']}"
        f"..{params['last_partition']} ({len(found.to_land)} found by the reconcile outside the "
        f"updated_at window), {tombstones} deletions"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": landed,
            "dagster/column_schema": schema,
            "rows_landed": landed,
            "rows_landed_by_reconcile": len(found.to_land),
            "deletions_detected": tombstones,
            "reconcile_scope": "whole table" if full or source.name not in WINDOW_COLUMN
            else f"{WINDOW_COLUMN[source.name][0]} in the run's window",
            "reconcile_buckets_differing": found.buckets_differing,
            "preview": sample,
            "duration_s": timing["duration_s"],
        }
    )


def stage(context: dg.AssetExecutionContext, postgres: PostgresResource, source: SourceTable):
    params = _partition_params(context) | {
        "load_id": context.run.run_id,
        "run_id": context.run.run_id,
        "source_table": source.name,
    }
    with timed() as timing, postgres.connect() as conn:
        with conn.transaction():
            lock_relation(conn, f"staging.{source.name}")
            staged = stage_range(conn, source, params)
            reasons = conn.execute(load_sql("ingest/rejected_by_reason"), params).fetchall()
        schema = table_schema(conn, "staging", source.name)
        sample = preview(
            conn,
            sql.SQL(
                "select {} from {} where partition_key between %(first_partition)s and "
                "%(last_partition)s order by id"
            ).format(
                sql.SQL(", ").join(
                    sql.Identifier(c.name) for c in staged.columns if c.name not in source.pii
                ),
                table("staging", source.name),
            ),
            params,
        )
    totals = {name: staged.total(name) for name in COUNT_COLUMNS}
    context.log.info(
        f"staging.{source.name}: {totals['rows_in']} in = {totals['rows_staged']} staged + "
        f"{totals['rows_rejected']} rejected + {totals['rows_superseded']} superseded; "
        f"{totals['rows_deleted']} deleted, {staged.healed} earlier rejections resolved"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": totals["rows_staged"],
            "dagster/column_schema": schema,
            **totals,
            "rejections_resolved": staged.healed,
            # Per-partition figures live in quality.ingest_counts: a range run emits one event
            # per partition, so a per-partition table here would grow with the square of the range.
            "partitions_with_rows": len(staged.counts),
            "rejected_by_reason": markdown(reasons, ["reason", "rows"]),
            "preview": sample,
            "duration_s": timing["duration_s"],
        }
    )


def _raw_asset(source: SourceTable) -> dg.AssetsDefinition:
    @daily_asset(
        key=keys.raw_key(source.name),
        group_name=keys.INGEST,
        kinds={"postgres"},
        owners=keys.DATA_PLATFORM,
        # The SQL and the table's rules: Dagster flags stale partitions when either changes.
        code_version=sql_version(*_LANDING_SQL, extra=repr(source)),
        description=f"Landed copy of ops.{source.name} (values as text) for the rows changed on "
        f"each day. {source.description}",
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return land(context, postgres, source)

    return _asset


def _staging_asset(source: SourceTable) -> dg.AssetsDefinition:
    deps = [keys.raw_key(source.name)]
    deps += [keys.staging_key(parent) for parent in sorted(set(source.parents.values()))]

    @daily_asset(
        key=keys.staging_key(source.name),
        deps=deps,
        group_name=keys.INGEST,
        kinds={"postgres"},
        owners=keys.DATA_PLATFORM,
        code_version=sql_version(*_STAGING_SQL, extra=repr(source)),
        description=f"Typed, validated current state of {source.name}: one row per id"
        + (f", every version in staging.{source.name}_history with its valid time"
           if source.keeps_history else "")
        + ". Rows that break a rule go to quality.rejected_rows with the reason; rows deleted in "
        "the source leave it (quality.deleted_rows). " + source.description,
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return stage(context, postgres, source)

    return _asset


raw_assets = [_raw_asset(source) for source in SOURCE_TABLES]
staging_assets = [_staging_asset(source) for source in SOURCE_TABLES]
ingest_assets = [*raw_assets, *staging_assets]

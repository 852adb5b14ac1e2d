"""Daily-partitioned ingest assets: `raw/<table>` lands changed rows, `staging/<table>` cleans them.

One pair per operational table, built from `SOURCE_TABLES`. A partition is the UTC day a row
changed (`updated_at`), so a late correction of an old event arrives with the day it was made.
Backfills run as one run over the whole range (`BackfillPolicy.single_run`), each step one
set-based statement over all its partitions. Every write replaces its partition range inside one
transaction: a crash leaves the previous data readable.
"""

import hashlib

import dagster as dg
from psycopg import sql

from platform_assets.db.bulk import copy_query
from platform_assets.db.sql import compose, load_sql, table
from platform_assets.ingest.tables import RAW_METADATA, SOURCE_TABLES, SourceTable
from platform_assets.ingest.validate import stage_statement, staging_columns, validate_statement
from platform_assets.metadata import markdown, preview, table_schema, timed
from platform_assets.partitions import DAILY, daily_asset
from platform_assets.resources import PostgresResource

GROUP = "ingest"
OWNERS = ["team:data-platform"]
_LANDING_SQL = ("ingest/extract", "ingest/clear_raw")
_STAGING_SQL = (
    "ingest/validate",
    "ingest/stage",
    "ingest/clear_rejected",
    "ingest/reject",
    "ingest/clear_counts",
    "ingest/record_counts",
    "ingest/rejected_by_reason",
)


def _code_version(source: SourceTable, sql_names: tuple[str, ...]) -> str:
    """Changes when the SQL or the table's rules change, so Dagster flags stale partitions."""
    digest = hashlib.sha256(repr(source).encode())
    for name in sql_names:
        digest.update(load_sql(name).encode())
    return digest.hexdigest()[:12]


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


def _lock(conn, name: str) -> None:
    """Serialise writers of one table: a second run of a partition waits, never interleaves."""
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (name,))


def land(context: dg.AssetExecutionContext, postgres: PostgresResource, source: SourceTable):
    params = _partition_params(context) | {"load_id": context.run.run_id}
    raw_table = table("raw", source.name)
    with timed() as timing, postgres.connect() as conn, postgres.connect_source() as src:
        columns = [c.name for c in staging_columns(conn, source)]
        extract = compose(
            "ingest/extract",
            columns=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns),
            source_table=table("ops", source.name),
        )
        with conn.transaction():
            _lock(conn, f"raw.{source.name}")
            conn.execute(compose("ingest/clear_raw", raw_table=raw_table), params)
            landed = copy_query(
                src, extract, params, conn, raw_table, ["load_id", "partition_key", *columns]
            )
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
        f"..{params['last_partition']}"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": landed,
            "dagster/column_schema": schema,
            "rows_landed": landed,
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
            _lock(conn, f"staging.{source.name}")
            columns = staging_columns(conn, source)
            conn.execute(validate_statement(source, columns), params)
            conn.execute(load_sql("ingest/clear_rejected"), params)
            conn.execute(load_sql("ingest/reject"), params)
            conn.execute(stage_statement(source, columns), params)
            conn.execute(load_sql("ingest/clear_counts"), params)
            counts = conn.execute(load_sql("ingest/record_counts"), params).fetchall()
            reasons = conn.execute(load_sql("ingest/rejected_by_reason"), params).fetchall()
        schema = table_schema(conn, "staging", source.name)
        sample = preview(
            conn,
            sql.SQL(
                "select {} from {} where partition_key between %(first_partition)s and "
                "%(last_partition)s order by id"
            ).format(
                sql.SQL(", ").join(
                    sql.Identifier(c.name) for c in columns if c.name not in source.pii
                ),
                table("staging", source.name),
            ),
            params,
        )
    totals = [sum(row[i] for row in counts) for i in range(4)]
    rows_in, staged, rejected, superseded = totals
    if rows_in != staged + rejected + superseded:  # the outcomes are exhaustive by construction
        raise RuntimeError(f"staging.{source.name}: row accounting broke: {totals}")
    context.log.info(
        f"staging.{source.name}: {rows_in} in = {staged} staged + {rejected} rejected"
        f" + {superseded} superseded"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": staged,
            "dagster/column_schema": schema,
            "rows_in": rows_in,
            "rows_staged": staged,
            "rows_rejected": rejected,
            "rows_superseded": superseded,
            # Per-partition figures live in quality.ingest_counts: a range run emits one event
            # per partition, so a per-partition table here would grow with the square of the range.
            "partitions_with_rows": len(counts),
            "rejected_by_reason": markdown(reasons, ["reason", "rows"]),
            "preview": sample,
            "duration_s": timing["duration_s"],
        }
    )


def _raw_asset(source: SourceTable) -> dg.AssetsDefinition:
    @daily_asset(
        key=["raw", source.name],
        group_name=GROUP,
        kinds={"postgres"},
        owners=OWNERS,
        code_version=_code_version(source, _LANDING_SQL),
        description=f"Landed copy of ops.{source.name} (values as text) for the rows changed on "
        f"each day. {source.description}",
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return land(context, postgres, source)

    return _asset


def _staging_asset(source: SourceTable) -> dg.AssetsDefinition:
    deps = [dg.AssetKey(["raw", source.name])]
    deps += [dg.AssetKey(["staging", parent]) for parent in sorted(set(source.parents.values()))]

    @daily_asset(
        key=["staging", source.name],
        deps=deps,
        group_name=GROUP,
        kinds={"postgres"},
        owners=OWNERS,
        code_version=_code_version(source, _STAGING_SQL),
        description=f"Typed, validated current state of {source.name}: one row per id. Rows that "
        "break a rule go to quality.rejected_rows with the reason. " + source.description,
    )
    def _asset(context: dg.AssetExecutionContext, postgres: PostgresResource):
        return stage(context, postgres, source)

    return _asset


raw_assets = [_raw_asset(source) for source in SOURCE_TABLES]
staging_assets = [_staging_asset(source) for source in SOURCE_TABLES]
ingest_assets = [*raw_assets, *staging_assets]

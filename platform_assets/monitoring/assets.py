"""`monitoring/db_stats`: one snapshot of the platform database's connections and statistics.

It is refreshed with the dashboards (every 15 minutes, DESIGN.md); the cumulative counters it
records become per-hour figures in `analytics.ml_performance_dashboard` (the increase within
each hour).
"""

import dagster as dg

from platform_assets import keys
from platform_assets.db.sql import load_sql
from platform_assets.metadata import markdown, table_schema, timed
from platform_assets.resources import PostgresResource


def snapshot_db_stats(conn, run_id: str | None) -> tuple[list[str], tuple]:
    """Insert one snapshot of the current database; return its column names and row."""
    cursor = conn.execute(load_sql("monitoring/snapshot_db_stats"), {"run_id": run_id})
    row = cursor.fetchone()
    if row is None:  # pg_stat_database always lists the current database; say so if it did not
        raise dg.Failure("pg_stat_database has no row for the current database")
    return [d.name for d in cursor.description], row


@dg.asset(
    key=keys.DB_STATS_KEY,
    group_name=keys.MONITORING,
    kinds={"postgres"},
    owners=keys.ML_PLATFORM,
    description="Appends one snapshot of the platform database to monitoring.db_stats: client "
    "connections by state, commits, rollbacks, cache hits, deadlocks, temp bytes and size.",
)
def db_stats(context: dg.AssetExecutionContext, postgres: PostgresResource):
    with timed() as timing, postgres.connect() as conn:
        headers, row = snapshot_db_stats(conn, context.run.run_id)
        total = conn.execute("select count(*) from monitoring.db_stats").fetchone()[0]
        schema = table_schema(conn, "monitoring", "db_stats")
    snapshot = dict(zip(headers, row, strict=True))
    context.log.info(
        f"{snapshot['database']}: {snapshot['connections_total']} connections, "
        f"cache hit ratio {snapshot['cache_hit_ratio']}"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "dagster/column_schema": schema,
            "snapshot": markdown([["" if v is None else str(v) for v in row]], headers),
            "connections_total": snapshot["connections_total"],
            "duration_s": timing["duration_s"],
        }
    )


monitoring_assets = [db_stats]

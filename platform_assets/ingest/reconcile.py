"""Reconcile a table's keys between the source and staging: what the updated_at window misses.

The source keeps no tombstones, and an incremental extract by `updated_at` cannot see a row that
was deleted, nor a correction whose `updated_at` was stamped before the window (backdated), nor a
row with no `updated_at` at all. The reconcile compares (id, updated_at) on both sides, set-based:
first a digest per key bucket (256 buckets by the id's first two hex digits) on each database,
then the keys of the differing buckets only, copied from the source in one COPY.

Scope: the dimension tables are compared whole (they are small); service events and routes by
their valid date within the run's window (and rows without updated_at), so the nightly run
checks the lookback days. A run tagged `platform/reconcile=full` (`platform-assets reconcile`)
compares every table whole.
"""

from dataclasses import dataclass

import psycopg
from psycopg import sql

from platform_assets.db.bulk import copy_query
from platform_assets.db.sql import compose, load_sql, table
from platform_assets.ingest.tables import SourceTable

RECONCILE_TAG = "platform/reconcile"
FULL = "full"
# Tables compared by their valid date within the run's window (the rest are compared whole),
# with the column's type.
WINDOW_COLUMN = {
    "service_events": ("service_date", "timestamptz"),
    "routes": ("route_date", "date"),
}


@dataclass(frozen=True)
class Reconciliation:
    """What the updated_at window cannot land: rows to land by id, and ids the source deleted."""

    buckets_compared: int
    buckets_differing: int
    to_land: list[str]
    deleted: list[str]


def scope(source: SourceTable, full: bool) -> sql.Composable:
    """The rows a reconcile compares (bound by %(scope_start)s / %(scope_end)s when windowed)."""
    window = WINDOW_COLUMN.get(source.name)
    if full or window is None:
        return sql.SQL("true")
    # Rows without updated_at are never in any partition's window: always compare them.
    return sql.SQL(
        "(({c} >= %(scope_start)s and {c} < %(scope_end)s) or updated_at is null)"
    ).format(c=sql.Identifier(window[0]))


def _known(source: SourceTable) -> sql.Composable:
    """What the platform knows of the source's rows: staged ones, and open rejections (so that
    a quarantined row does not make its bucket differ every night)."""
    columns = [("id", "uuid"), ("updated_at", "timestamptz")]
    if source.name in WINDOW_COLUMN:
        columns.append(WINDOW_COLUMN[source.name])
    parsed = sql.SQL(", ").join(
        sql.SQL(
            "case when pg_input_is_valid(raw_row ->> {name}, {type_name})"
            " then (raw_row ->> {name})::{type} end as {column}"
        ).format(name=sql.Literal(name), type_name=sql.Literal(type_), type=sql.SQL(type_),
                 column=sql.Identifier(name))
        for name, type_ in columns
    )
    return compose(
        "ingest/reconcile_known",
        columns=sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
        staging_table=table("staging", source.name),
        parsed=parsed,
        source_table=sql.Literal(source.name),
    )


def _digests(conn: psycopg.Connection, relation: sql.Composable, where, params) -> dict:
    statement = compose("ingest/reconcile_buckets", table=relation, scope=where)
    return {bucket: (rows, digest) for bucket, rows, digest in conn.execute(statement, params)}


def reconcile(
    conn: psycopg.Connection,
    src: psycopg.Connection,
    source: SourceTable,
    params: dict,
    full: bool,
) -> Reconciliation:
    """Compare the source with staging for `source` in the run's scope (see the module doc).

    `conn` is the platform's connection inside the landing transaction; `src` the source's.
    """
    where = scope(source, full)
    params = params | {"scope_start": params["start"], "scope_end": params["end"]}
    ops, staged = table("ops", source.name), table("staging", source.name)
    theirs = _digests(src, ops, where, params)
    ours = _digests(conn, _known(source), where, params)
    buckets = sorted(b for b in theirs.keys() | ours.keys() if theirs.get(b) != ours.get(b))
    relanded = [row[0] for row in conn.execute(
        compose("ingest/reconcile_relanded", staging_table=staged), params
    )]
    if not buckets:
        return Reconciliation(len(theirs | ours), 0, relanded, [])
    params = params | {"buckets": buckets}
    conn.execute("create temp table _source_keys (id uuid, updated_at timestamptz) on commit drop")
    copy_query(
        src, compose("ingest/reconcile_keys", table=ops, scope=where), params,
        conn, sql.Identifier("_source_keys"), ["id", "updated_at"],
    )
    conn.execute("analyze _source_keys")
    gone = [row[0] for row in conn.execute(
        compose("ingest/reconcile_gone", staging_table=staged, scope=where), params
    )]
    still_there = set()
    if gone:
        still_there = {row[0] for row in src.execute(
            compose("ingest/reconcile_exists", table=ops), {"ids": gone}
        )}
    missing = [row[0] for row in conn.execute(
        compose("ingest/reconcile_missing", staging_table=staged), params
    )]
    conn.execute("drop table _source_keys")
    # An id that left the scope but is still in the source changed: land its current version.
    to_land = sorted(set(missing) | set(relanded) | still_there)
    deleted = sorted(set(gone) - still_there)
    return Reconciliation(len(theirs | ours), len(buckets), to_land, deleted)


def land_deletions(conn: psycopg.Connection, deleted: list[str], params: dict) -> int:
    if not deleted:
        return 0
    return conn.execute(load_sql("ingest/land_deletions"), params | {"ids": deleted}).rowcount

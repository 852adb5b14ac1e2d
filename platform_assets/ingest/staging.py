"""The staging step of one table over a partition range, inside one transaction.

1. Validate the landed rows into `_batch`; quarantine the ones that break a rule.
2. Write the clean versions: every version into `staging.<table>_history` (tables that keep
   history) or the newest into `staging.<table>` (service events). A version a re-run now rejects
   is removed from staging, so a quarantined row never lingers there.
3. Apply the range's tombstones (rows the reconcile found gone from the source).
4. Heal: re-validate the table's open `unknown <parent>` rejections from other partitions; those
   whose parent has arrived are staged and their rejection is marked resolved (kept as evidence).
5. Rebuild the valid times and the current-state rows of every id touched.
6. Record the counts per partition, taken from what was written, so the identity
   rows_in = staged + rejected + superseded can fail (the table's check constraint enforces it).
"""

from dataclasses import dataclass

import psycopg
from psycopg import sql

from platform_assets.db.sql import compose, load_sql, table
from platform_assets.ingest.tables import SourceTable
from platform_assets.ingest.validate import (
    Column,
    current_from_history_statement,
    history_table,
    stage_statement,
    staging_columns,
    validate_statement,
    write_versions_statement,
)

_BATCH, _WRITTEN = sql.Identifier("_batch"), sql.Identifier("_written")
_RETRY, _RETRY_WRITTEN = sql.Identifier("_retry"), sql.Identifier("_retry_written")
# Partition bounds that admit every partition key (YYYY-MM-DD) when re-validating rejections.
_ALL_PARTITIONS = {"first_partition": "0000-00-00", "last_partition": "9999-99-99"}
COUNT_COLUMNS = ("rows_in", "rows_staged", "rows_rejected", "rows_superseded", "rows_resolved",
                 "rows_deleted")


class AccountingError(RuntimeError):
    """Rows in != rows staged + rejected + superseded: something was lost or written twice."""


@dataclass(frozen=True)
class Staged:
    columns: list[Column]
    counts: list[tuple]  # (partition_key, *COUNT_COLUMNS) per partition of the range
    healed: int  # rejections from other partitions resolved by this run

    def total(self, name: str) -> int:
        index = COUNT_COLUMNS.index(name) + 1
        return sum(row[index] for row in self.counts)


def stage_range(conn: psycopg.Connection, source: SourceTable, params: dict) -> Staged:
    """Run steps 1-6 (see the module doc). The caller holds the transaction and the lock."""
    columns = staging_columns(conn, source)
    conn.execute("create temp table _touched (id uuid primary key) on commit drop")
    conn.execute(validate_statement(source, columns, _BATCH), params)
    conn.execute(load_sql("ingest/clear_rejected"), params)
    conn.execute(compose("ingest/reject", batch=_BATCH), params)
    _write(conn, source, columns, _BATCH, _WRITTEN, params)
    conn.execute(load_sql("ingest/tombstones"), params)
    if source.keeps_history:
        conn.execute(compose("ingest/close_deleted", history_table=history_table(source)), params)
    else:
        conn.execute(
            compose(
                "ingest/remove_deleted",
                staging_table=table("staging", source.name),
                valid_day=sql.SQL(source.valid_day),
                entities=_entities(source),
            ),
            params,
        )
    healed_partitions = _heal(conn, source, columns, params)
    if source.keeps_history:
        _rebuild_current(conn, source, columns)
    for batch in (_BATCH, _RETRY) if source.parents else (_BATCH,):
        _note_late_changes(conn, source, batch, params)
    conn.execute(compose("ingest/count_outcomes", batch=_BATCH, written=_WRITTEN), params)
    counts = conn.execute(
        sql.SQL("select partition_key, {} from _counts order by partition_key").format(
            sql.SQL(", ").join(map(sql.Identifier, COUNT_COLUMNS))
        )
    ).fetchall()
    for partition, rows_in, staged, rejected, superseded, *_ in counts:
        if rows_in != staged + rejected + superseded:  # the table's check constraint agrees
            raise AccountingError(
                f"staging.{source.name} partition {partition}: {rows_in} rows in but "
                f"{staged} staged + {rejected} rejected + {superseded} superseded: rows were "
                "lost or written twice; nothing of this run was committed"
            )
    conn.execute(load_sql("ingest/clear_counts"), params)
    conn.execute(load_sql("ingest/record_counts"), params)
    if healed_partitions:
        conn.execute(
            load_sql("ingest/update_resolved_counts"),
            params | {"partitions": sorted(set(healed_partitions))},
        )
    return Staged(columns, counts, len(healed_partitions))


def _write(
    conn: psycopg.Connection,
    source: SourceTable,
    columns: list[Column],
    batch: sql.Identifier,
    written: sql.Identifier,
    params: dict,
) -> None:
    """Write the clean versions of `batch`, recording each row written in the temp `written`."""
    current = table("staging", source.name)
    target = history_table(source) if source.keeps_history else current
    conn.execute(
        compose("ingest/mark_superseded", batch=batch, staging_table=current),
        params | {"keeps_history": source.keeps_history},
    )
    names = [sql.Identifier(c.name) for c in columns]
    conn.execute(
        compose(
            "ingest/mark_unchanged",
            batch=batch,
            target=target,
            target_columns=sql.SQL(", ").join(sql.SQL("t.{}").format(n) for n in names),
            batch_columns=sql.SQL(", ").join(sql.SQL("b.{}").format(n) for n in names),
        )
    )
    conn.execute(compose("ingest/drop_rejected_versions", target=target, batch=batch))
    if source.keeps_history:
        statement = write_versions_statement(source, columns, batch)
    else:
        statement = stage_statement(source, columns, batch)
    conn.execute(
        sql.SQL("create temp table {} (id uuid, partition_key text) on commit drop").format(
            written
        )
    )
    conn.execute(
        sql.SQL("with w as ({}) insert into {} select id, partition_key from w").format(
            statement, written
        ),
        params,
    )
    conn.execute(
        sql.SQL("insert into _touched (id) select distinct id from {} on conflict do nothing")
        .format(written)
    )


def _note_late_changes(
    conn: psycopg.Connection, source: SourceTable, batch: sql.Identifier, params: dict
) -> None:
    """Note the past days whose rows this load changed (after valid times are rebuilt)."""
    if not source.entities:
        return  # no feature view reads this table
    relation = history_table(source) if source.keeps_history else table("staging", source.name)
    conn.execute(
        compose(
            "ingest/note_late_changes",
            batch=batch,
            relation=relation,
            valid_day=sql.SQL(source.valid_day),
            entities=_entities(source),
        ),
        params,
    )


def _entities(source: SourceTable) -> sql.Composable:
    """`(entity key, column)` pairs of a VALUES list over the row alias `t` (code constants)."""
    if not source.entities:
        return sql.SQL("(null::text, null::uuid)")
    return sql.SQL(", ").join(
        sql.SQL("({}::text, t.{})").format(sql.Literal(key), sql.Identifier(column))
        for key, column in source.entities
    )


def _heal(
    conn: psycopg.Connection, source: SourceTable, columns: list[Column], params: dict
) -> list[str]:
    """Stage the open unknown-parent rejections of other partitions whose parent now exists;
    return the partitions of the rejections resolved."""
    fk_reasons = [f"unknown {fk}" for fk in source.parents]
    if not fk_reasons:
        return []
    conn.execute(
        compose("ingest/retry_raw", raw_table=table("raw", source.name)),
        params | {"fk_reasons": fk_reasons},
    )
    retry_params = params | _ALL_PARTITIONS
    conn.execute(
        validate_statement(source, columns, _RETRY, raw_table=sql.Identifier("_retry_raw")),
        retry_params,
    )
    _write(conn, source, columns, _RETRY, _RETRY_WRITTEN, retry_params)
    resolved = conn.execute(compose("ingest/resolve_rejections", batch=_RETRY), params)
    return [row[0] for row in resolved]


def _rebuild_current(conn: psycopg.Connection, source: SourceTable, columns: list[Column]):
    """Valid times, then the current-state rows, of every id whose versions changed."""
    conn.execute("analyze _touched")
    conn.execute(compose("ingest/valid_times", history_table=history_table(source)))
    conn.execute(compose("ingest/clear_current", staging_table=table("staging", source.name)))
    conn.execute(current_from_history_statement(source, columns))

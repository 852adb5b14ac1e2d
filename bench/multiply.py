"""Multiply a platform database in place: `factor - 1` copies of every per-entity row.

A copy is a whole second world: copy k of a row has every id mapped by `nl_uuid(id, k)` =
md5(k:id), the same map in every table, so an organization's copies own their customers'
copies, a staged event's copy is the copy of its ops row, a feature row's customer exists, and
joins and keys hold as they did. What is copied is the history the nightly reads or writes per
entity: the source (ops.*), staging.* and its *_history, the feature views, the note vectors
and their topic assignments, the open quarantine and delete evidence, and the predictions.
Metadata stays single: registries, fits, datasets, models, checks, Dagster's storage.

raw.* is not copied: the nightly lands its range from ops itself and reads raw only by the
partition keys of that range (ingest/clear_raw, validate, tombstones); older landed partitions
are never read again, so copying them would only cost disk (their size is reported at base
scale). Open rejections, which every night retries whatever their partition, live in
quality.rejected_rows, which is copied.

Each table is one transaction: its indexes and keys are dropped, the copies inserted by one set-
based statement (`sql/bench/copy_rows.sql`), the indexes built again, then the table is vacuumed
and analyzed (a bulk-loaded table would otherwise answer index-only scans from the heap until
autovacuum came by). `progress` records each finished table, so a run cut short carries on with
the next one; a table whose row count already says "copied" is not copied twice.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from platform_assets.db.sql import identifier, load_sql, table

COPY_SCHEMAS = ("ops", "staging", "features", "vectors")
COPY_EXTRA = (("quality", "rejected_rows"), ("quality", "deleted_rows"), ("ml", "predictions"))
# Metadata in the copied schemas: one row per view, day, fit or run, not per entity.
SKIP = frozenset({
    ("ops", "simulation_runs"), ("features", "registry"), ("features", "day_fingerprints"),
    ("vectors", "topics"), ("vectors", "topic_fits"), ("vectors", "coverage"),
})
# Text columns that hold an entity's id (mapped like a uuid) and text *_id columns that name a
# run, a load or a topic fit (the same in every copy). A new text *_id column must be put in one
# of the two: the multiply refuses to guess.
TEXT_IDS = frozenset({
    ("quality", "rejected_rows", "source_id"), ("quality", "deleted_rows", "source_id"),
    ("vectors", "metadata", "vector_id"),
})
NOT_IDS = frozenset({"run_id", "load_id", "resolved_load_id", "fit_id"})
JSON_IDS = frozenset({("quality", "rejected_rows", "raw_row")})
# Index builds of a whole L table are fastest in memory, the HNSW graph above all: at L about
# 3 million 384-dimension vectors, some 6 GB of graph (pgvector builds on, much slower, when
# the graph outgrows maintenance_work_mem). Only what a build needs is taken.
BUILD_MEMORY = "8GB"
_ID_NAME = re.compile(r"(.+_)?id")


@dataclass
class Column:
    name: str
    type_name: str
    typmod: int
    kept: bool
    filled: bool
    map: str = ""  # "uuid", "text", "json", "vector" or "" (copied as it is)


@dataclass
class Table:
    schema: str
    name: str
    columns: list[Column] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Identifier:
        return table(self.schema, self.name)


def copied_tables(conn: psycopg.Connection) -> list[Table]:
    """The tables to copy, with their columns classified (how each is mapped in a copy)."""
    names = [(s, t) for s, t in conn.execute(
        load_sql("bench/copy_tables"), {"schemas": list(COPY_SCHEMAS)}).fetchall()
        if (s, t) not in SKIP]
    present = {(s, t) for s, t in conn.execute(
        load_sql("bench/copy_tables"), {"schemas": sorted({s for s, _ in COPY_EXTRA})}
    ).fetchall()}
    names += [name for name in COPY_EXTRA if name in present]
    tables = {name: Table(*name) for name in names}
    regclasses = [f"{identifier(s)}.{identifier(t)}" for s, t in names]
    for row in conn.execute(load_sql("bench/copy_columns"), {"tables": regclasses}).fetchall():
        schema, name, column, type_name, typmod, kept, filled = row
        tables[(schema, name)].columns.append(
            Column(column, type_name, typmod, kept, filled,
                   classify(schema, name, column, type_name, kept)))
    return list(tables.values())


def classify(schema: str, name: str, column: str, type_name: str, kept: bool) -> str:
    """How copy k maps a column's value; raises on a text id column nobody has classified."""
    if type_name == "uuid":
        return "" if kept else "uuid"
    if type_name == "vector":
        return "vector"
    if (schema, name, column) in JSON_IDS:
        return "json"
    if (schema, name, column) in TEXT_IDS:
        return "text"
    if type_name in ("text", "varchar") and _ID_NAME.fullmatch(column) and column not in NOT_IDS:
        raise ValueError(f"{schema}.{name}.{column} is a text id column the multiply does not "
                         "know: add it to TEXT_IDS (an entity's id) or NOT_IDS (bench/multiply)")
    return ""


def _value(column: Column) -> sql.Composable:
    ident = sql.Identifier("s", column.name)
    if column.map == "uuid":
        return sql.SQL("pg_temp.nl_uuid({}, k)").format(ident)
    if column.map == "text":
        return sql.SQL("pg_temp.nl_text({}, k)").format(ident)
    if column.map == "json":
        return sql.SQL("pg_temp.nl_json({}, k)").format(ident)
    if column.map == "vector":
        return sql.SQL("{} + pg_temp.nl_offset(k, {})").format(ident, sql.Literal(column.typmod))
    return ident


def copy_statement(target: Table) -> sql.Composed:
    """The INSERT of `sql/bench/copy_rows.sql` for one table, its values mapped per column."""
    columns = [c for c in target.columns if not c.filled]
    return sql.SQL(load_sql("bench/copy_rows")).format(
        table=target.ident,
        columns=sql.SQL(", ").join(sql.Identifier(c.name) for c in columns),
        values=sql.SQL(", ").join(_value(c) for c in columns),
    )


def install_functions(conn: psycopg.Connection) -> None:
    """The session's pg_temp.nl_* functions (sql/bench/multiply_functions.sql)."""
    conn.execute(load_sql("bench/multiply_functions"))


def _rebuild_plan(conn: psycopg.Connection, target: Table) -> tuple[list, list]:
    """(drop statements, build statements) for the table's indexes and keys; raises when a
    unique key has no mapped column, so copies would collide with their originals."""
    mapped = {c.name for c in target.columns if c.map in ("uuid", "text", "json") or c.filled}
    drops, builds = [], []
    rows = conn.execute(load_sql("bench/table_indexes"),
                        {"table": f"{identifier(target.schema)}.{identifier(target.name)}"})
    for name, constraint, constraint_def, index_def, unique, columns, referenced in rows:
        if unique and not mapped & set(columns):
            raise ValueError(f"{target.label}: unique index {name} ({', '.join(columns)}) has no "
                             "mapped column: its copies would collide")
        if referenced:
            continue  # a foreign key needs it in place: the inserts maintain it
        if constraint:
            drops.append(sql.SQL("alter table {} drop constraint {}").format(
                target.ident, sql.Identifier(constraint)))
            builds.append(sql.SQL("alter table {} add constraint {} {}").format(
                target.ident, sql.Identifier(constraint), sql.SQL(constraint_def)))
        else:
            drops.append(sql.SQL("drop index {}").format(
                sql.Identifier(target.schema, name)))
            builds.append(sql.SQL(index_def))
    return drops, builds


def count_rows(conn: psycopg.Connection, target: Table) -> int:
    return conn.execute(sql.SQL("select count(*) from {}").format(target.ident)).fetchone()[0]


def copy_table(conn: psycopg.Connection, target: Table, factor: int) -> dict[str, Any]:
    """Add `factor - 1` mapped copies of every row of one table, in one transaction: its
    indexes dropped, the rows inserted, the indexes built again. Returns the rows inserted and
    the seconds each part took."""
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(target.ident))
        conn.execute("select set_config('maintenance_work_mem', %s, true)", (BUILD_MEMORY,))
        for column in target.columns:
            if column.map == "vector":
                conn.execute(load_sql("bench/offsets"),
                             {"dims": column.typmod, "copies": factor - 1})
        drops, builds = _rebuild_plan(conn, target)
        for statement in drops:
            conn.execute(statement)
        inserted = conn.execute(copy_statement(target), {"copies": factor - 1}).rowcount
        copied = time.perf_counter()
        for statement in builds:
            conn.execute(statement)
    return {"inserted": inserted, "copy_s": round(copied - started, 3),
            "index_s": round(time.perf_counter() - copied, 3)}


def multiply(
    conn: psycopg.Connection,
    factor: int,
    progress: dict[str, dict[str, Any]],
    saved: Callable[[], None] = lambda: None,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Copy every table of `copied_tables` `factor - 1` times, table by table, each then
    vacuumed and analyzed.

    `conn` must be in autocommit mode (each table is its own transaction, then VACUUM).
    `progress` (table label -> its figures) is filled as each table finishes, and `saved()` is
    called then; a finished table is skipped. Each table's base rows are recorded before its
    copy starts, so a run that died between a table's commit and its record sees the table at
    `factor` x its base rows and only vacuums it; a table at any other count is an error.
    """
    install_functions(conn)
    for target in copied_tables(conn):
        entry = progress.get(target.label, {})
        if "rows" in entry:
            continue
        rows = count_rows(conn, target)
        if "base_rows" in entry and rows == entry["base_rows"] * factor:
            figures = {"inserted": rows - entry["base_rows"], "copy_s": None, "index_s": None}
        elif "base_rows" in entry and rows != entry["base_rows"]:
            raise RuntimeError(f"{target.label} holds {rows:,} rows, neither its base "
                               f"{entry['base_rows']:,} nor {factor}x: start the run afresh")
        else:
            progress[target.label] = {"base_rows": rows}
            saved()
            figures = copy_table(conn, target, factor)
        started = time.perf_counter()
        conn.execute(sql.SQL("vacuum (analyze) {}").format(target.ident))
        base = progress[target.label]["base_rows"]
        progress[target.label] = {
            "base_rows": base, "rows": base + figures["inserted"], "copy_s": figures["copy_s"],
            "index_s": figures["index_s"], "vacuum_s": round(time.perf_counter() - started, 3),
            "bytes": conn.execute("select pg_total_relation_size(%s::regclass)",
                                  (target.label,)).fetchone()[0],
        }
        saved()
        log(f"    {target.label}: {base:,} -> {base + figures['inserted']:,} rows "
            f"(copy {figures['copy_s']} s, indexes {figures['index_s']} s, "
            f"vacuum {progress[target.label]['vacuum_s']} s), "
            f"{progress[target.label]['bytes'] / 2**20:,.0f} MiB")
    return progress

"""Builds the validation query of one table from its staging schema and its `SourceTable` rules.

Every raw row gets exactly one outcome: staged, rejected with the first rule it broke, or
superseded by a newer clean version of the same id in the same batch. The rule order is the
order a person would fix things in: missing values, unparseable values, business rules,
timestamps later than the load, unknown parents.
"""

import psycopg
from psycopg import sql

from platform_assets.db.catalog import Column, table_columns
from platform_assets.db.sql import compose, table
from platform_assets.ingest.tables import STAGING_METADATA, SourceTable

# Types a staging column may have, and so the only type names that reach the SQL text.
_CASTABLE = {
    "uuid",
    "text",
    "integer",
    "bigint",
    "double precision",
    "numeric",
    "boolean",
    "date",
    "timestamp with time zone",
}


def staging_columns(conn: psycopg.Connection, source: SourceTable) -> list[Column]:
    """The staging table's source columns (without load metadata), in table order."""
    columns = [
        c for c in table_columns(conn, "staging", source.name) if c.name not in STAGING_METADATA
    ]
    unknown = {c.type for c in columns} - _CASTABLE
    if unknown:
        raise ValueError(f"staging.{source.name} has column types ingest cannot cast: {unknown}")
    return columns


def _case(whens: list[tuple[sql.Composable, str]]) -> sql.Composable:
    if not whens:
        return sql.SQL("null::text")
    parts = [sql.SQL("when {} then {}").format(cond, sql.Literal(reason)) for cond, reason in whens]
    return sql.SQL("case {} end").format(sql.SQL(" ").join(parts))


def _cast(column: Column) -> sql.Composable:
    raw = sql.SQL("r.{}").format(sql.Identifier(column.name))
    if column.type == "text":
        return sql.SQL("{} as {}").format(raw, sql.Identifier(column.name))
    return sql.SQL(
        "case when pg_input_is_valid({raw}, {type_name}) then {raw}::{type} end as {name}"
    ).format(
        raw=raw,
        type_name=sql.Literal(column.type),
        type=sql.SQL(column.type),
        name=sql.Identifier(column.name),
    )


def _parse_reason(source: SourceTable, columns: list[Column]) -> sql.Composable:
    whens = []
    for name in source.required:
        whens.append((sql.SQL("r.{} is null").format(sql.Identifier(name)), f"missing {name}"))
    for column in columns:
        if column.type == "text":
            continue
        raw = sql.SQL("r.{}").format(sql.Identifier(column.name))
        condition = sql.SQL(
            "{raw} is not null and not pg_input_is_valid({raw}, {type_name})"
        ).format(raw=raw, type_name=sql.Literal(column.type))
        whens.append((condition, f"unparseable {column.name}"))
    return _case(whens)


def _rule_reason(source: SourceTable, columns: list[Column]) -> sql.Composable:
    whens: list[tuple[sql.Composable, str]] = [
        (sql.SQL(rule.predicate), rule.reason) for rule in source.rules
    ]
    for column in columns:
        if column.type == "timestamp with time zone":
            whens.append(
                (
                    sql.SQL("t.{} > t.loaded_at").format(sql.Identifier(column.name)),
                    f"{column.name} in the future",
                )
            )
    for fk, parent in source.parents.items():
        condition = sql.SQL(
            "t.{fk} is not null and not exists (select 1 from {parent} as p where p.id = t.{fk})"
        ).format(fk=sql.Identifier(fk), parent=table("staging", parent))
        whens.append((condition, f"unknown {fk}"))
    return _case(whens)


def validate_statement(
    source: SourceTable,
    columns: list[Column],
    batch: sql.Identifier,
    raw_table: sql.Identifier | None = None,
) -> sql.Composed:
    """Validate `raw_table` (default the table's raw landing) into the temp table `batch`."""
    return compose(
        "ingest/validate",
        batch=batch,
        raw_table=raw_table or table("raw", source.name),
        parse_reason=_parse_reason(source, columns),
        casts=sql.SQL(",\n        ").join(_cast(c) for c in columns),
        rule_reason=_rule_reason(source, columns),
    )


def _names(columns: list[Column]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)


def _updates(columns: list[Column], key: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c.name))
        for c in columns
        if c.name not in key
    )


def stage_statement(
    source: SourceTable, columns: list[Column], batch: sql.Identifier
) -> sql.Composed:
    """Upsert the batch's winning versions into a staging table that keeps no history."""
    return compose(
        "ingest/stage",
        staging_table=table("staging", source.name),
        batch=batch,
        columns=_names(columns),
        updates=_updates(columns, ("id",)),
    )


def write_versions_statement(
    source: SourceTable, columns: list[Column], batch: sql.Identifier
) -> sql.Composed:
    """Insert (or, on a re-run, replace) the batch's clean versions in the history table."""
    return compose(
        "ingest/write_versions",
        history_table=history_table(source),
        batch=batch,
        columns=_names(columns),
        updates=_updates(columns, ("id", "updated_at")),
    )


def current_from_history_statement(source: SourceTable, columns: list[Column]) -> sql.Composed:
    return compose(
        "ingest/current_from_history",
        staging_table=table("staging", source.name),
        history_table=history_table(source),
        columns=_names(columns),
    )


def history_table(source: SourceTable) -> sql.Identifier:
    return table("staging", f"{source.name}_history")

"""The checks most assets need, one line each: schema, keys, nulls, ranges, volume, labels, leakage.

Each returns a `Check` with a default name (override with `name=` when an asset needs two of a
kind) and `blocking=False` unless told otherwise; training datasets pass `blocking=True`.
Column names are validated as plain identifiers; custom SQL is built with `psycopg.sql`.

Where GX 1.24 falls short on a SQL query asset, a check uses `UnexpectedRowsExpectation` with
SQL that returns the offending facts as rows:
- column types: `ExpectColumnValuesToBeOfType` needs reflected column types, which a query asset
  lacks (it fails with KeyError 'type'); `pg_typeof` reads them instead.
- boolean label means: `ExpectColumnMeanToBeBetween` computes `avg(1.0 * label)`, which Postgres
  rejects for booleans.
- purged splits: a comparison of each row with an aggregate of other rows (the first time of the
  next split) is no column-pair or column-map expectation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from platform_assets.db.sql import identifier
from platform_assets.quality.checks import Check, CheckContext

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

_BOOL_OID = psycopg.postgres.types["bool"].oid

# `{{batch}}` reaches GX as `{batch}`, which GX replaces with the relation under test.
_TYPES_SQL = """\
select u.column_name, u.observed_type, u.expected_type
from (select {observed} from (select * from {{batch}} limit 1) as first_row) as observed,
     lateral (values {expected}) as u (column_name, observed_type, expected_type)
where u.observed_type is distinct from u.expected_type"""

# GX substitutes `{batch}` without an alias when the query has a JOIN: every use is aliased here.
_PURGE_SQL = """\
with firsts as (
    select b.{split} as split, min(b.{time}) as first_at
    from {{batch}} as b
    group by b.{split}
),
bounds as (
    select o.split, (
        select min(f.first_at) from firsts as f
        where array_position({order}, f.split::text) > array_position({order}, o.split::text)
    ) as next_from
    from firsts as o
)
select r.{split} as split, count(*) as offending_rows, {horizon_text} as horizon,
       max(r.{time} + {horizon}) as latest_window_end, b.next_from as next_split_from
from {{batch}} as r
join bounds as b on b.split = r.{split}
where r.{time} + {horizon} > b.next_from
group by r.{split}, b.next_from
order by array_position({order}, r.{split}::text)"""

_MEAN_SQL = """\
select avg({value})::float8 as observed_mean, count({column}) as labelled_rows,
       {low}::float8 as min_mean, {high}::float8 as max_mean
from {{batch}}
having not coalesce(avg({value}) between {low} and {high}, false)"""


def schema_check(
    columns: dict[str, str],
    *,
    name: str = "schema",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """Exactly these columns, each of this Postgres type (`"bigint"`, `"timestamptz"`, ...).

    Type names are compared as `regtype`, so aliases match (`int8` = `bigint`); type modifiers
    (`numeric(10,2)`, `varchar(20)`) are not compared. Missing columns are reported by the
    column-set expectation and left out of the type comparison.
    """
    for column in columns:
        identifier(column)

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        present = ctx.columns()
        expectations: list[Expectation] = [
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True)
        ]
        typed = {column: kind for column, kind in columns.items() if column in present}
        if typed:
            expected = canonical_types(ctx.conn, typed)
            expectations.append(
                gx.expectations.UnexpectedRowsExpectation(
                    unexpected_rows_query=types_query(ctx.conn, expected),
                    description="columns have the expected Postgres types",
                    meta={"expected_types": expected},
                )
            )
        return expectations

    listed = ", ".join(f"{column} {kind}" for column, kind in columns.items())
    return Check(name, description or f"Columns are exactly: {listed}.", blocking, build)


def canonical_types(conn: psycopg.Connection, columns: dict[str, str]) -> dict[str, str]:
    """Postgres's own spelling of each type (`timestamptz` -> `timestamp with time zone`)."""
    kinds = list(columns.values())
    spelled = conn.execute(
        "select t::regtype::text from unnest(%s::text[]) with ordinality as u(t, i) order by i",
        (kinds,),
    ).fetchall()
    return {column: row[0] for column, row in zip(columns, spelled, strict=True)}


def types_query(conn: psycopg.Connection, expected: dict[str, str]) -> str:
    """Rows (column, observed type, expected type) for each column of the wrong type.

    The types come from one row (`limit 1`) and still resolve on an empty relation: the
    aggregate yields one typed NULL per column.
    """
    aliases = [sql.Identifier(f"t{i}") for i in range(len(expected))]
    observed = sql.SQL(", ").join(
        sql.SQL("pg_typeof((array_agg({}))[1])::text as {}").format(sql.Identifier(column), alias)
        for column, alias in zip(expected, aliases, strict=True)
    )
    rows = sql.SQL(", ").join(
        sql.SQL("({}, observed.{}, {})").format(sql.Literal(column), alias, sql.Literal(kind))
        for (column, kind), alias in zip(expected.items(), aliases, strict=True)
    )
    return sql.SQL(_TYPES_SQL).format(observed=observed, expected=rows).as_string(conn)


def unique_keys_check(
    columns: Sequence[str],
    *,
    name: str = "keys_unique",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """No two rows share the key (compound when several columns)."""
    keys = [identifier(column) for column in columns]
    if not keys:
        raise ValueError("unique_keys_check needs at least one column")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        # GX's compound expectation refuses a single column.
        if len(keys) == 1:
            return [gx.expectations.ExpectColumnValuesToBeUnique(column=keys[0])]
        return [gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=keys)]

    default = f"No two rows share ({', '.join(keys)})."
    return Check(name, description or default, blocking, build)


def not_null_check(
    columns: Sequence[str],
    mostly: float = 1.0,
    *,
    name: str = "not_null",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """At least `mostly` of each column's values are not null."""
    names = [identifier(column) for column in columns]
    _require_share(mostly, "mostly")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        return [
            gx.expectations.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly)
            for column in names
        ]

    default = f"At least {mostly:.2%} of values are not null in: {', '.join(names)}."
    return Check(name, description or default, blocking, build)


def range_check(
    column: str,
    min_value: float | None,
    max_value: float | None,
    mostly: float = 1.0,
    *,
    name: str | None = None,
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """At least `mostly` of the non-null values lie in [min_value, max_value] (None: open)."""
    identifier(column)
    _require_share(mostly, "mostly")
    if min_value is None and max_value is None:
        raise ValueError("range_check needs min_value or max_value")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        return [
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=column, min_value=min_value, max_value=max_value, mostly=mostly
            )
        ]

    default = f"{column} lies in [{min_value}, {max_value}] for at least {mostly:.2%} of rows."
    return Check(name or f"{column}_in_range", description or default, blocking, build)


def row_count_vs_previous_check(
    previous_relation: str,
    params: dict | None = None,
    min_ratio: float = 0.5,
    max_ratio: float | None = 2.0,
    *,
    name: str = "row_count_vs_previous",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """The row count is between min_ratio and max_ratio times that of `previous_relation`.

    `previous_relation` is bound with the run's params overlaid with `params`, so it can name
    the previous partition, e.g. `... where day = %(day)s - 1`. No previous rows: passes (the
    first partition has nothing to compare with).
    """
    if min_ratio < 0 or (max_ratio is not None and max_ratio < min_ratio):
        raise ValueError("need 0 <= min_ratio <= max_ratio")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        previous = count_rows(ctx.conn, previous_relation, {**ctx.params, **(params or {})})
        meta = {"previous_row_count": previous, "min_ratio": min_ratio, "max_ratio": max_ratio}
        if previous == 0:
            meta["note"] = "no previous rows: nothing to compare with"
            return [gx.expectations.ExpectTableRowCountToBeBetween(min_value=0, meta=meta)]
        high = math.floor(previous * max_ratio) if max_ratio is not None else None
        return [
            gx.expectations.ExpectTableRowCountToBeBetween(
                min_value=math.ceil(previous * min_ratio), max_value=high, meta=meta
            )
        ]

    default = f"Row count within {min_ratio}x..{max_ratio}x of the previous partition's."
    return Check(name, description or default, blocking, build)


def count_rows(conn: psycopg.Connection, relation: str, params: dict) -> int:
    query = f"select count(*) from (\n{relation}\n) as relation"
    return conn.execute(query, params).fetchone()[0]


def label_balance_check(
    column: str,
    min_mean: float,
    max_mean: float,
    *,
    name: str = "label_balance",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """The mean of the label (share of true for booleans) lies in [min_mean, max_mean].

    No labelled rows fails: a mean that cannot be computed is not balanced.
    """
    identifier(column)
    if min_mean > max_mean:
        raise ValueError("need min_mean <= max_mean")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        columns = ctx.columns()
        if column not in columns:
            raise ValueError(f"label column {column!r} is not in the relation")
        query = mean_query(ctx.conn, column, columns[column] == _BOOL_OID, min_mean, max_mean)
        return [
            gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query=query,
                description=f"mean of {column} in [{min_mean}, {max_mean}]",
                meta={"column": column, "min_mean": min_mean, "max_mean": max_mean},
            )
        ]

    default = f"Mean of {column} lies in [{min_mean}, {max_mean}]."
    return Check(name, description or default, blocking, build)


def mean_query(
    conn: psycopg.Connection, column: str, boolean: bool, low: float, high: float
) -> str:
    """One row (observed mean, labelled rows, bounds) when the mean is out of bounds."""
    ident = sql.Identifier(column)
    value = sql.SQL("{}::int").format(ident) if boolean else ident
    return (
        sql.SQL(_MEAN_SQL)
        .format(
            value=value, column=ident, low=sql.Literal(float(low)), high=sql.Literal(float(high))
        )
        .as_string(conn)
    )


def column_pair_not_later_check(
    label_column: str,
    later_columns: Sequence[str],
    *,
    name: str = "not_after_label",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """Leakage guard: every `later_columns` value is <= `label_column`; rows with nulls ignored."""
    identifier(label_column)
    others = [identifier(column) for column in later_columns]
    if not others:
        raise ValueError("column_pair_not_later_check needs at least one later column")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        return [
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=label_column,
                column_B=other,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
            for other in others
        ]

    default = f"No value of {', '.join(others)} is later than {label_column}."
    return Check(name, description or default, blocking, build)


def purged_split_check(
    time_column: str,
    split_column: str,
    horizon: timedelta,
    splits: Sequence[str] = ("train", "valid", "test"),
    *,
    name: str = "split_purged",
    blocking: bool = False,
    description: str | None = None,
) -> Check:
    """No row's window (time, time + horizon] reaches past the first time of a later split.

    `splits` are in time order; a row is compared with the earliest time of any later split
    that has rows (so train meets test when valid is empty). Fails with one row per offending
    split: how many rows overlap, the horizon, the latest window end and the bound it crossed.
    """
    identifier(time_column)
    identifier(split_column)
    if horizon <= timedelta(0):
        raise ValueError(f"horizon must be positive, got {horizon}")
    if len(splits) < 2 or len(set(splits)) != len(splits):
        raise ValueError("purged_split_check needs at least two distinct splits, in time order")

    def build(ctx: CheckContext) -> list[Expectation]:
        import great_expectations as gx

        return [
            gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query=purge_query(
                    ctx.conn, time_column, split_column, horizon, splits
                ),
                description=f"no {time_column} + horizon of a split is later than the first "
                f"{time_column} of the next",
                meta={"horizon": interval_text(horizon), "splits": list(splits)},
            )
        ]

    default = (
        f"No window ({time_column}, {time_column} + {interval_text(horizon)}] of a "
        f"{split_column} reaches past the first {time_column} of a later one ({', '.join(splits)})."
    )
    return Check(name, description or default, blocking, build)


def purge_query(
    conn: psycopg.Connection,
    time_column: str,
    split_column: str,
    horizon: timedelta,
    splits: Sequence[str],
) -> str:
    """One row per split (offending rows, horizon, latest window end, next split's first time)
    whose windows reach past the next split's start; none when the splits are purged."""
    seconds = horizon.total_seconds()
    return (
        sql.SQL(_PURGE_SQL)
        .format(
            time=sql.Identifier(time_column),
            split=sql.Identifier(split_column),
            # Seconds, not days: a day is not 24 hours across a DST change in the session's zone.
            horizon=sql.SQL("make_interval(secs => {})").format(sql.Literal(seconds)),
            horizon_text=sql.Literal(interval_text(horizon)),
            # array[...], not a '{...}' literal: GX reads braces as format fields.
            order=sql.SQL("array[{}]::text[]").format(
                sql.SQL(", ").join(sql.Literal(split) for split in splits)
            ),
        )
        .as_string(conn)
    )


def interval_text(span: timedelta) -> str:
    """`30 days`, `36 hours`, `90 seconds`: the largest whole unit (no ':' for GX to bind)."""
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _require_share(value: float, what: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{what} must be between 0 and 1, got {value}")

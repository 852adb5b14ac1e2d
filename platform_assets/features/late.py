"""Late changes: a load that changes rows valid before its range makes feature views recompute.

Ingest notes the valid day of every row it writes or deletes whose day lies before the run's
first partition (`staging.late_changes`): a late parent's history, a correction of an old event,
a deleted old event. A view materialized next starts from the earliest such day it has not
applied yet, so its rows reflect the change from the change's valid time on, not only within the
nightly lookback, and records what it applied in the same transaction as its rows.
"""

import psycopg
from psycopg import sql

from platform_assets.db.sql import compose, load_sql


def _params(view_name: str, source_tables: tuple[str, ...], **days: str) -> dict:
    names = [name.removeprefix("staging.") for name in source_tables]
    return {"view_name": view_name, "source_tables": names, **days}


def first_day_with_late_changes(
    conn: psycopg.Connection,
    view_table: sql.Identifier,
    view_name: str,
    source_tables: tuple[str, ...],
    first_day: str,
) -> str:
    """`first_day`, or the earliest pending late change before it (ISO date)."""
    row = conn.execute(
        compose("features/late_start", view_table=view_table),
        _params(view_name, source_tables, first_day=first_day),
    ).fetchone()
    late = row[0] if row else None
    return late.isoformat() if late is not None and late.isoformat() < first_day else first_day


def mark_applied(
    conn: psycopg.Connection, view_name: str, source_tables: tuple[str, ...], last_day: str
) -> None:
    conn.execute(
        load_sql("features/mark_late_applied"),
        _params(view_name, source_tables, last_day=last_day),
    )

"""Writes a simulated history into the operational source (`ops.*`), replacing what was there.

The whole replacement is one transaction: readers of the source see the old history or the new
one, never a mix.
"""

import json
from datetime import date

import psycopg
import pyarrow as pa

from platform_assets.db.bulk import copy_arrow
from platform_assets.db.sql import load_sql, table
from platform_assets.simulator import OPS_TABLES


def simulation_params(customers: int, days: int, seed: int, end_date: date) -> dict:
    return {"customers": customers, "days": days, "seed": seed, "end_date": end_date.isoformat()}


def ensure_ops_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(load_sql("simulator/ops_schema"))
        conn.execute(load_sql("simulator/simulation_runs"))


def current_params(conn: psycopg.Connection) -> dict | None:
    """Parameters of the history now in `ops`, or None when there is none."""
    ensure_ops_schema(conn)
    row = conn.execute(
        "select params from ops.simulation_runs order by simulated_at desc limit 1"
    ).fetchone()
    return row[0] if row else None


def write_ops(
    conn: psycopg.Connection, tables: dict[str, pa.Table], params: dict
) -> dict[str, int]:
    """Replace every ops table with `tables` in one transaction; return rows written per table."""
    ensure_ops_schema(conn)
    counts = {}
    with conn.transaction():
        conn.execute(
            "truncate " + ", ".join(f"ops.{name}" for name in OPS_TABLES)  # code constants
        )
        for name in OPS_TABLES:
            counts[name] = copy_arrow(conn, table("ops", name), tables[name])
        conn.execute(
            "insert into ops.simulation_runs (params, row_counts) values (%s, %s)",
            (json.dumps(params), json.dumps(counts)),
        )
    return counts

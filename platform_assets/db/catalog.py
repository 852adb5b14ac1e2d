"""What the catalog says about a table: its columns, in order, with their types.

The one place that reads `pg_attribute`: ingest casts raw text to these types, feature views
register them, datasets join them, and every asset reports them as its column schema.
"""

from dataclasses import dataclass

import psycopg

from platform_assets.db.sql import identifier, load_sql


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as format_type() spells it, e.g. "timestamp with time zone"
    not_null: bool = False
    comment: str | None = None


def table_columns(conn: psycopg.Connection, schema: str, name: str) -> list[Column]:
    """The columns of `schema.name` in table order (raises if the table does not exist)."""
    rows = conn.execute(
        load_sql("db/table_columns"), {"table": f"{identifier(schema)}.{identifier(name)}"}
    ).fetchall()
    return [Column(*row) for row in rows]

"""Questions about the operational source that the CLI and the tests ask before ingesting."""

import psycopg

from platform_assets.db.sql import load_sql


def source_extent(conn: psycopg.Connection) -> tuple[str, str] | None:
    """(first, last) partition keys holding source changes, or None for an empty source."""
    first, last = conn.execute(load_sql("ingest/source_extent")).fetchone()
    return None if first is None else (first, last)

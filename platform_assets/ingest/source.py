"""Questions about the operational source that the CLI and the tests ask before ingesting."""

from datetime import UTC, date, datetime, timedelta

import psycopg

from platform_assets.db.sql import load_sql
from platform_assets.partitions import DAILY


def source_extent(conn: psycopg.Connection) -> tuple[str, str] | None:
    """The partitions a full backfill of the source needs, or None for an empty source.

    Changes older than the first partition belong to it (the initial load); the range ends at the
    last complete day, the newest partition that exists.
    """
    first, last = conn.execute(load_sql("ingest/source_extent")).fetchone()
    if first is None:
        return None
    floor = DAILY.get_first_partition_key()
    newest = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    return max(first, floor), min(max(last, floor), newest)


def as_dates(extent: tuple[str, str]) -> tuple[date, date]:
    return date.fromisoformat(extent[0]), date.fromisoformat(extent[1])

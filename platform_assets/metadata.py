"""Materialization metadata every asset reports: schema, preview, counts, duration."""

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns


def table_schema(conn: psycopg.Connection, schema: str, name: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.type,
                description=column.comment,
                constraints=dg.TableColumnConstraints(nullable=not column.not_null),
            )
            for column in table_columns(conn, schema, name)
        ]
    )


def markdown(rows: Sequence[Sequence], headers: Sequence[str]) -> dg.MarkdownMetadataValue:
    return dg.MetadataValue.md(
        pd.DataFrame(list(rows), columns=list(headers)).to_markdown(index=False)
    )


def preview(conn: psycopg.Connection, query: sql.Composable, params: dict, limit: int = 5):
    """A small markdown sample of `query` (callers leave PII columns out of it)."""
    cursor = conn.execute(sql.SQL("{} limit {}").format(query, sql.Literal(limit)), params)
    headers = [d.name for d in cursor.description]
    return markdown([[str(v) if v is not None else "" for v in row] for row in cursor], headers)


@contextmanager
def timed() -> Iterator[dict]:
    """Collects `duration_s` for the block into the yielded dict."""
    out: dict = {}
    started = time.perf_counter()
    try:
        yield out
    finally:
        out["duration_s"] = round(time.perf_counter() - started, 3)

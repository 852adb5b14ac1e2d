"""Parquet snapshots of a dataset table, read out of Postgres with COPY, not row by row.

`COPY (select ...) TO STDOUT (format csv)` streams the rows; pyarrow's C++ CSV reader parses them
with an explicit type per column taken from the catalog, so types stay exact: integers stay
integers, doubles round-trip (Postgres prints the shortest exact form), timestamps are tz-aware
UTC (the session's time zone is pinned to UTC), uuids become strings, NULL stays distinct from ''.
"""

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from platform_assets.db.catalog import Column

# Postgres type (as format_type spells it) -> Arrow type; anything else is kept as its text.
ARROW_TYPES = {
    "uuid": pa.string(),
    "text": pa.string(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "timestamp without time zone": pa.timestamp("us"),
}


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(c.name, ARROW_TYPES.get(c.type, pa.string()), nullable=not c.not_null)
            for c in columns
        ]
    )


def read_arrow(
    conn: psycopg.Connection, query: sql.Composable, columns: Sequence[Column]
) -> pa.Table:
    """The rows of `query` (whose columns are `columns`) as an Arrow table, via COPY CSV.

    Run it with the session time zone set to UTC: timestamptz text carries the session offset.
    """
    buffer = io.BytesIO()
    with conn.cursor().copy(sql.SQL("copy ({}) to stdout (format csv)").format(query)) as copy:
        for chunk in copy:
            buffer.write(chunk)
    schema = arrow_schema(columns)
    if not buffer.tell():
        return schema.empty_table()  # pyarrow refuses an empty CSV even with named columns
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # COPY quotes an empty string, never a NULL
            true_values=["t"],
            false_values=["f"],
        ),
    )
    return table.cast(schema)  # carries the not-null flags the CSV reader does not set


def write_parquet(data: pa.Table, path: Path, metadata: Mapping[str, object]) -> None:
    """Write `data` with `metadata` (JSON-encoded values) in the file's key-value metadata."""
    extra = {key: json.dumps(value, sort_keys=True, default=str) for key, value in metadata.items()}
    schema = data.schema.with_metadata({**(data.schema.metadata or {}), **extra})
    pq.write_table(data.replace_schema_metadata(schema.metadata), path, compression="zstd")

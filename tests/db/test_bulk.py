"""copy_arrow: binary COPY where every column has an exact binary form, CSV otherwise.

The two formats must store the same values: each test writes the same Arrow table both ways
(or checks the values read back), against the real embedded Postgres.
"""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from platform_assets.db import bulk
from platform_assets.db.bulk import binary_columns, copy_arrow, copy_csv, uuid_bytes

IDS = [uuid.UUID(int=i * 0x1234_5678_9ABC_DEF0_1122_3344) for i in range(1, 5)]
BERLIN = timezone(timedelta(hours=1))

COLUMNS = """k int primary key, id uuid, name text, code varchar(8), small smallint, mid integer,
    big bigint, ratio real, amount double precision, flag boolean, day date, local timestamp,
    wall timestamp, at timestamptz, doc jsonb"""


def mixed_table() -> pa.Table:
    """One row per case that a format could get wrong: NULL vs '', quoting, zones, precision."""
    return pa.table({
        "k": pa.array([1, 2, 3, 4], pa.int64()),
        "id": [str(IDS[0]), str(IDS[1]).upper(), None, str(IDS[3])],
        "name": ["", None, 'a "quoted", comma\nnewline', "ünïcode ✓"],
        "code": pa.array(["x", "y", None, "x"]).dictionary_encode(),
        "small": pa.array([1, None, -32768, 32767], pa.int64()),
        "mid": pa.array([0, 2**31 - 1, None, -5], pa.int64()),
        "big": pa.array([2**62, None, 0, -1], pa.int64()),
        "ratio": [0.1, None, 1e-30, 3.5],
        "amount": pa.array([1, 2**53 + 1, None, -7], pa.int64()),  # into double precision
        "flag": [True, False, None, True],
        "day": pa.array([date(2026, 1, 1), None, date(1999, 12, 31), date(2026, 11, 22)]),
        "local": pa.array([datetime(2026, 3, 29, 2, 30), None, datetime(2000, 1, 1),
                           datetime(1970, 1, 1, 0, 0, 0, 1)], pa.timestamp("us")),
        "wall": pa.array([datetime(2026, 7, 1, 12, tzinfo=UTC), None, None,
                          datetime(2026, 1, 1, tzinfo=UTC)], pa.timestamp("ms", "Europe/Berlin")),
        "at": pa.array([datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN), None,
                        datetime(2000, 1, 1, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC)],
                       pa.timestamp("ns", "Europe/Berlin")),
        "doc": ['{"a": [1, 2]}', None, "{}", '"text"'],
    })


def create(conn: psycopg.Connection, name: str, columns: str = COLUMNS) -> sql.Identifier:
    conn.execute(sql.SQL("create table {} ({})").format(sql.Identifier(name), sql.SQL(columns)))
    return sql.Identifier(name)


def rows(conn: psycopg.Connection, target: sql.Identifier) -> list[tuple]:
    return conn.execute(sql.SQL("select * from {} order by 1").format(target)).fetchall()


def test_binary_and_csv_store_the_same_values(conn):
    data = mixed_table()
    binary, csv = create(conn, "by_binary"), create(conn, "by_csv")
    assert binary_columns(conn, binary, data.schema) is not None  # the fast path is taken
    assert copy_arrow(conn, binary, data) == 4
    assert copy_csv(conn, csv, data) == 4
    assert rows(conn, binary) == rows(conn, csv)
    first, second = rows(conn, binary)[:2]
    assert (first[1], first[2], second[1], second[2]) == (IDS[0], "", IDS[1], None)
    assert first[12] == datetime(2026, 7, 1, 14)  # Berlin's wall clock, as CSV's text has it
    assert first[13] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_arrow_uuids_go_as_their_bytes(conn):
    target = create(conn, "refs", "k int, ref uuid")  # pyarrow's CSV writer has no uuid type
    copy_arrow(conn, target, pa.table({"k": [1, 2], "ref": pa.array([IDS[2], None], pa.uuid())}))
    assert rows(conn, target) == [(1, IDS[2]), (2, None)]


def test_ns_timestamps_round_to_microseconds_like_postgres(conn):
    target = create(conn, "stamps", "at timestamptz")
    nanoseconds = [1_700_000_000_123_456_789, 1_700_000_000_123_456_499]
    stamps = pa.array(nanoseconds, pa.timestamp("ns", "UTC"))
    copy_arrow(conn, target, pa.table({"at": stamps}))
    got = [r[0].microsecond for r in conn.execute("select at from stamps order by at")]
    assert got == [123456, 123457]


@pytest.mark.parametrize(
    ("columns", "values", "expected"),
    [
        ("v vector(2)", ["[1,2]", None], ["[1,2]", None]),  # pgvector takes its text form
        ("v numeric(6,2)", [1.25, None], ["1.25", None]),
        ("v text", pa.array([7, None]), ["7", None]),  # binary would store the int's bytes
        ("v int[]", pa.array([None, None], pa.string()), [None, None]),
    ],
)
def test_columns_without_a_binary_form_go_as_csv(conn, columns, values, expected):
    target = create(conn, "fallback", f"k serial, {columns}")
    data = pa.table({"v": values})
    assert binary_columns(conn, target, data.schema) is None
    assert copy_arrow(conn, target, data) == 2
    assert [r[0] for r in conn.execute("select v::text from fallback order by k")] == expected


def test_naive_timestamps_into_timestamptz_follow_the_session_zone(conn):
    target = create(conn, "zoned", "k int, at timestamptz")
    data = pa.table({"k": [1], "at": pa.array([datetime(2026, 6, 1, 12)], pa.timestamp("us"))})
    assert binary_columns(conn, target, data.schema) is not None  # the session is in UTC
    copy_arrow(conn, target, data)
    conn.execute("set timezone = 'Europe/Berlin'")
    assert binary_columns(conn, target, data.schema) is None
    copy_arrow(conn, target, data.set_column(0, "k", pa.array([2])))
    got = dict(conn.execute("select k, at from zoned").fetchall())
    assert got[1] == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert got[2] == datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_uuids_in_other_accepted_forms_and_invalid_ones(conn):
    target = create(conn, "ids", "id uuid")
    braces = "{" + str(IDS[0]) + "}"
    copy_arrow(conn, target, pa.table({"id": [braces, IDS[1].hex, None]}))
    assert {r[0] for r in conn.execute("select id from ids")} == {IDS[0], IDS[1], None}
    with pytest.raises(ValueError, match="not-a-uuid"), conn.transaction():
        copy_arrow(conn, target, pa.table({"id": [str(IDS[2]), "not-a-uuid"]}))
    assert conn.execute("select count(*) from ids").fetchone()[0] == 3


def test_rows_join_the_callers_transaction_and_temp_tables(conn):
    target = create(conn, "tx", "k int, name text")
    data = pa.table({"k": [1, 2], "name": ["a", None]})
    with pytest.raises(RuntimeError), conn.transaction():
        copy_arrow(conn, target, data)
        raise RuntimeError("roll back")
    assert rows(conn, target) == []
    conn.execute("create temp table scratch (name text, k int)")
    assert copy_arrow(conn, sql.Identifier("scratch"), data, columns=["k", "name"]) == 2
    got = conn.execute("select k, name from scratch order by k").fetchall()
    assert got == [(1, "a"), (2, None)]


def test_many_batches_and_no_rows(conn, monkeypatch):
    monkeypatch.setattr(bulk, "_BATCH_ROWS", 7)
    target = create(conn, "batches", "k bigint, id uuid")
    keys = pa.array(range(100), pa.int64())
    ids = pa.array([None if i % 3 == 0 else str(uuid.UUID(int=i)) for i in range(100)])
    data = pa.Table.from_batches(pa.table({"k": keys, "id": ids}).to_batches(max_chunksize=30))
    assert copy_arrow(conn, target, data) == 100
    counts = conn.execute("select count(*), count(id), sum(k) from batches").fetchone()
    assert counts == (100, 66, 4950)
    assert copy_arrow(conn, target, data.slice(0, 0)) == 0


@pytest.mark.parametrize("start", [0, 1, 5])
def test_uuid_bytes_matches_python_on_slices_with_nulls(start):
    texts = [None if i % 4 == 1 else str(uuid.UUID(int=i * 7919 + 1)) for i in range(12)]
    array = pa.array(texts).slice(start)
    expected = [None if t is None else uuid.UUID(t).bytes for t in texts[start:]]
    assert uuid_bytes(array).to_pylist() == expected
    assert uuid_bytes(array.cast(pa.large_string())).to_pylist() == expected

"""Per-relation write locks: a second writer of the same table waits, never interleaves."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def lock_relation(conn: psycopg.Connection, name: str) -> None:
    """Hold a transaction-scoped advisory lock on `name` (e.g. `"features.customer_daily"`).

    Writers replace a range of rows with delete + insert; two runs over overlapping ranges would
    otherwise each delete the other's rows and insert their own twice. The lock is released when
    the caller's transaction ends, so it must be taken inside `conn.transaction()`.
    """
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (name,))


@contextmanager
def holding_relation(conn: psycopg.Connection, name: str) -> Iterator[None]:
    """Hold the same lock as `lock_relation` across several transactions (a session lock,
    released on exit): for work that must commit a step (a build table another connection reads)
    before it publishes, with no other writer of `name` in between."""
    conn.execute("select pg_advisory_lock(hashtext(%s))", (name,))
    try:
        yield
    finally:
        if not conn.broken:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (name,))

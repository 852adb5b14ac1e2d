"""Versioned SQL migrations: `sql/migrations/NNNN_name.sql`, applied in order, once each.

Each file runs in its own transaction together with its row in `public.schema_migrations`, under
an advisory lock so that two processes starting at once (the CLI and `dagster dev`) cannot both
apply it. An applied file whose checksum changed is an error: editing history silently would
leave databases that claim the same version but differ.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from platform_assets.settings import SQL_DIR

MIGRATIONS_DIR = SQL_DIR / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_411_023  # arbitrary, constant: the advisory lock that serialises migrations


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        found.append(Migration(match.group(1), match.group(2), path))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"duplicate migration versions in {directory}")
    return found


def require_pgvector(conn: psycopg.Connection) -> None:
    row = conn.execute("select 1 from pg_available_extensions where name = 'vector'").fetchone()
    if row is None:
        raise MigrationError(
            "this Postgres server lacks the pgvector extension ('vector'): install pgvector on it "
            "(https://github.com/pgvector/pgvector#installation), or unset DATABASE_URL to use "
            "the embedded server, which ships it"
        )
    version = conn.info.server_version
    if version < 160000:
        raise MigrationError(
            f"Postgres {version // 10000} is too old: the platform needs 16+ (pg_input_is_valid)"
        )


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply pending migrations; return those applied now (empty when up to date).

    Each file commits on its own, so `conn` must not be inside a transaction already.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise MigrationError("migrate() needs a connection that is not inside a transaction")
    with conn.transaction():
        require_pgvector(conn)
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "create table if not exists public.schema_migrations ("
            " version text primary key, name text not null, checksum text not null,"
            " applied_at timestamptz not null default now())"
        )
    applied = []
    for migration in discover(directory):
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            row = conn.execute(
                "select checksum from public.schema_migrations where version = %s",
                (migration.version,),
            ).fetchone()
            if row is not None:
                if row[0] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.path.name} was changed after it was applied "
                        f"(checksum {row[0][:12]} in the database, {migration.checksum[:12]} on "
                        "disk): add a new migration instead of editing an applied one"
                    )
                continue
            conn.execute(migration.text)
            conn.execute(
                "insert into public.schema_migrations (version, name, checksum)"
                " values (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            applied.append(migration)
    return applied

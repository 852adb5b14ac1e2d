"""The `analyst` login and the `platform_writer` group role, created or brought up to date.

Analysts read what the platform produces (features, training, vectors, analytics, ml,
monitoring) and the quality history, never the operational copies (ops, raw, staging) nor
`quality.rejected_rows`, which keeps raw rows with PII. Roles belong to the whole server but
grants to one database, so `apply_roles` runs per database; it is idempotent (it revokes before
it grants), so running it again after new schemas or tables appear is the way to catch up.
"""

import os
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from platform_assets.db.sql import compose, load_sql

ANALYST = "analyst"
PLATFORM_WRITER = "platform_writer"
PASSWORD_ENV = "ANALYST_PASSWORD"

# Every relation in these is readable by the analyst, including ones created later.
ANALYST_SCHEMAS = ("features", "training", "vectors", "analytics", "ml", "monitoring")
# In quality only these: quality.rejected_rows holds raw rows with PII (deleted_rows: ids only).
QUALITY_TABLES = ("check_results", "ingest_counts", "deleted_rows")
DENIED_SCHEMAS = ("ops", "raw", "staging")
# Tables of the analyst's schemas it must not read: alert bodies quote error messages, which may
# carry a value or a host (monitoring.alerts; operators read it, and get the alerts themselves).
HIDDEN_TABLES = ("monitoring.alerts",)
PLATFORM_SCHEMAS = (
    "ops", "raw", "staging", "quality", "features", "training", "vectors", "ml", "analytics",
    "monitoring",
)
_LOCK_KEY = 7_411_024  # serialises two `roles apply` on one database


class AccessError(RuntimeError):
    """A problem the user can fix (no password, a role with too much power): exit code 1."""


@dataclass
class Applied:
    """What `apply_roles` did, for the CLI to print (never the password)."""

    created: list[str]
    analyst_schemas: list[str]
    writer_schemas: list[str]
    missing: list[str]
    owner: str
    database: str
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        def state(role: str) -> str:
            return "created" if role in self.created else "updated"

        denied = [s for s in DENIED_SCHEMAS if s not in self.missing]
        lines = [
            f"database {self.database}, default privileges for tables created by {self.owner}",
            f"role {ANALYST}: {state(ANALYST)} (login, password from {PASSWORD_ENV})",
            f"  reads every table and view, now and later, in: {', '.join(self.analyst_schemas)}",
            f"  reads: {', '.join(f'quality.{t}' for t in QUALITY_TABLES)}",
            f"  no access: {', '.join(denied)}, quality.rejected_rows, "
            f"{', '.join(HIDDEN_TABLES)}; CREATE in no schema",
            f"role {PLATFORM_WRITER}: {state(PLATFORM_WRITER)} (group role, no login)",
            f"  usage, create, all on tables and sequences in: {', '.join(self.writer_schemas)}",
            f"  give it to the platform's service login: grant {PLATFORM_WRITER} to <login>;",
        ]
        if self.missing:
            lines.append(
                f"skipped (schema does not exist yet; apply again once it does): "
                f"{', '.join(self.missing)}"
            )
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def analyst_password() -> str:
    """The analyst's password from the environment; an error that says how to set it if absent."""
    password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise AccessError(
            f"{PASSWORD_ENV} is not set: export {PASSWORD_ENV}=... (the analyst role's password) "
            "and run the command again"
        )
    return password


def analyst_url(url: str, password: str) -> str:
    """`url` (the platform's database URL) with the analyst's user and password in it."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{ANALYST}:{quote(password, safe='')}@{host}"))


def _idents(names) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _create_role(conn: psycopg.Connection, role: str) -> bool:
    """Create `role` unless it exists; True when created now."""
    # Roles are server-wide and the lock is per database: another database's apply may create
    # it between the check and the create, so a duplicate is caught, in a savepoint.
    if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
        return False
    try:
        with conn.transaction():
            conn.execute(compose("access/create_role", role=sql.Identifier(role)))
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        return False
    return True


def _verifier(conn: psycopg.Connection, password: str) -> str:
    """A SCRAM-SHA-256 verifier of the password, computed by libpq on the client.

    ALTER ROLE takes no bind parameters; sending a verifier instead of the plain text keeps the
    password out of the server's statement log and statistics.
    """
    return conn.pgconn.encrypt_password(
        password.encode(), ANALYST.encode(), b"scram-sha-256"
    ).decode()


def _check(conn: psycopg.Connection) -> list[str]:
    """Whatever the analyst can still do that it must not, as warnings (PUBLIC grants count)."""
    privileged, create_schemas, readable = conn.execute(
        load_sql("access/analyst_check"),
        {"role": ANALYST, "denied": list(DENIED_SCHEMAS), "quality_tables": list(QUALITY_TABLES)},
    ).fetchone()
    if privileged:
        raise AccessError(
            f"role {ANALYST} has SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS: a superuser must "
            f"remove it (alter role {ANALYST} nosuperuser nobypassrls) before analysts use it"
        )
    warnings = []
    if create_schemas:
        warnings.append(
            f"{ANALYST} may still CREATE in {', '.join(create_schemas)} through PUBLIC: "
            f"revoke create on schema {', '.join(create_schemas)} from public;"
        )
    if readable:
        warnings.append(
            f"{ANALYST} may still read {', '.join(readable)} through PUBLIC or a membership"
        )
    return warnings


def apply_roles(conn: psycopg.Connection, password: str) -> Applied:
    """Create or update both roles and all their grants in this database, in one transaction.

    Default privileges are recorded for the current user, the role that creates the platform's
    tables (run it as that role); objects created by another role are caught by running it again.
    """
    if not password:
        raise AccessError(f"{PASSWORD_ENV} is empty")
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        owner, database = conn.execute("select current_user, current_database()").fetchone()
        existing = {row[0] for row in conn.execute(load_sql("access/schemas"))}
        missing = [s for s in PLATFORM_SCHEMAS if s not in existing]
        required = [s for s in (*ANALYST_SCHEMAS, "quality") if s in missing]
        if required:
            raise AccessError(
                f"schemas {', '.join(required)} do not exist: run platform-assets migrate first"
            )
        created = [role for role in (ANALYST, PLATFORM_WRITER) if _create_role(conn, role)]
        analyst, writer = sql.Identifier(ANALYST), sql.Identifier(PLATFORM_WRITER)
        conn.execute(compose(
            "access/analyst_login", role=analyst,
            password=sql.Literal(_verifier(conn, password)),
        ))
        conn.execute(compose("access/writer_role", role=writer))
        conn.execute(compose(
            "access/analyst_revoke", role=analyst, owner=sql.Identifier(owner),
            denied=_idents(s for s in DENIED_SCHEMAS if s in existing),
            every=_idents(sorted(existing)),
        ))
        conn.execute(compose(
            "access/analyst_grant", role=analyst, owner=sql.Identifier(owner),
            database=sql.Identifier(database), schemas=_idents(ANALYST_SCHEMAS),
            quality_tables=sql.SQL(", ").join(
                sql.Identifier("quality", t) for t in QUALITY_TABLES
            ),
        ))
        hidden = [t for t in HIDDEN_TABLES
                  if conn.execute("select to_regclass(%s)", (t,)).fetchone()[0] is not None]
        if hidden:
            conn.execute(compose(
                "access/analyst_hide", role=analyst,
                tables=sql.SQL(", ").join(sql.Identifier(*t.split(".")) for t in hidden),
            ))
        writer_schemas = [s for s in PLATFORM_SCHEMAS if s in existing]
        conn.execute(compose(
            "access/writer_grant", role=writer, owner=sql.Identifier(owner),
            schemas=_idents(writer_schemas),
        ))
        warnings = _check(conn)
    return Applied(
        created=created,
        analyst_schemas=list(ANALYST_SCHEMAS),
        writer_schemas=writer_schemas,
        missing=missing,
        owner=owner,
        database=database,
        warnings=warnings,
    )

"""`platform-assets roles apply` against a real database: what the analyst can and cannot do.

Roles belong to the whole (session) server, so every test applies them itself and asserts only
what holds whether or not another test created them first.
"""

import psycopg
import pytest
from testkit import run_main

from platform_assets.access.roles import ANALYST, PASSWORD_ENV, PLATFORM_WRITER, analyst_url
from platform_assets.db.sql import load_sql

PASSWORD = "Tr0ub4dor&3-sentinel"


@pytest.fixture
def roles_cli(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)

    def run(*args: str) -> tuple[int, str, str]:
        return run_main(capsys, "roles", "apply", *args)

    return run


@pytest.fixture
def applied(roles_cli, conn):
    conn.execute(load_sql("simulator/ops_schema"))  # the demo's source tables beside the platform
    code, out, err = roles_cli()
    assert code == 0, err
    return out


@pytest.fixture
def analyst(applied, db_url):
    with psycopg.connect(analyst_url(db_url, PASSWORD), autocommit=True) as connection:
        assert connection.execute("select current_user").fetchone() == (ANALYST,)
        yield connection


def _privileges(conn: psycopg.Connection) -> list[tuple]:
    """Every grant to the two roles in this database, and their default privileges."""
    return conn.execute(
        "select n.nspname, c.relname, a.privilege_type, g.rolname"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace,"
        " aclexplode(c.relacl) a join pg_roles g on g.oid = a.grantee"
        " where g.rolname in (%(a)s, %(w)s)"
        " union all select n.nspname, null, a.privilege_type, g.rolname"
        " from pg_namespace n, aclexplode(n.nspacl) a join pg_roles g on g.oid = a.grantee"
        " where g.rolname in (%(a)s, %(w)s)"
        " union all select d.defaclnamespace::regnamespace::text, d.defaclobjtype::text,"
        " a.privilege_type, g.rolname from pg_default_acl d, aclexplode(d.defaclacl) a"
        " join pg_roles g on g.oid = a.grantee where g.rolname in (%(a)s, %(w)s)"
        " order by 1, 2, 3, 4",
        {"a": ANALYST, "w": PLATFORM_WRITER},
    ).fetchall()


def test_apply_twice_changes_nothing(applied, roles_cli, conn):
    assert f"role {ANALYST}:" in applied and "features, training, vectors" in applied
    before = _privileges(conn)
    code, out, _ = roles_cli()
    assert code == 0
    assert f"role {ANALYST}: updated" in out and f"role {PLATFORM_WRITER}: updated" in out
    assert _privileges(conn) == before
    assert ("quality", "check_results", "SELECT", ANALYST) in before
    assert ("staging", None, "CREATE", PLATFORM_WRITER) in before
    roles = conn.execute(
        "select rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole from pg_roles"
        " where rolname in (%s, %s) order by 1",
        (ANALYST, PLATFORM_WRITER),
    ).fetchall()
    assert roles == [
        (ANALYST, True, False, False, False), (PLATFORM_WRITER, False, False, False, False)
    ]


def test_analyst_reads_the_produced_layers(analyst, conn):
    for relation in (
        "features.customer_daily", "features.customer_daily_latest", "training.datasets",
        "ml.models", "ml.predictions", "vectors.topics", "quality.check_results",
        "quality.ingest_counts", "monitoring.db_stats",
    ):
        analyst.execute(f"select * from {relation} limit 1").fetchall()
    # Created by the owner after `roles apply`: readable through the default privileges.
    conn.execute("create table analytics.kpis_later (day date, pickups bigint)")
    conn.execute("insert into analytics.kpis_later values ('2026-06-01', 42)")
    conn.execute(
        "create materialized view analytics.kpis_later_mv as select * from analytics.kpis_later"
    )
    assert analyst.execute("select pickups from analytics.kpis_later").fetchall() == [(42,)]
    assert analyst.execute("select pickups from analytics.kpis_later_mv").fetchall() == [(42,)]


def test_analyst_is_refused_sources_and_pii(applied, roles_cli, conn, db_url):
    # A grant made by hand before is taken back by the next apply.
    conn.execute("grant usage on schema staging to analyst")
    conn.execute("grant select on staging.customers, quality.rejected_rows to analyst")
    assert roles_cli()[0] == 0
    with psycopg.connect(analyst_url(db_url, PASSWORD), autocommit=True) as analyst:
        for relation in (
            "ops.customers", "ops.service_events", "raw.service_events", "staging.customers",
            "quality.rejected_rows", "monitoring.alerts",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                analyst.execute(f"select * from {relation} limit 1")


@pytest.mark.parametrize("schema", ["features", "analytics", "public"])
def test_analyst_cannot_create_tables(analyst, schema):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        analyst.execute(f"create table {schema}.mine (x int)")


def test_platform_writer_writes_every_layer(applied, conn, db_url):
    login = "platform_service_test"
    if not conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone():
        conn.execute(f"create role {login} login")
    conn.execute(f"grant {PLATFORM_WRITER} to {login}")
    url = db_url.replace("postgres:@", f"{login}:@", 1)
    with psycopg.connect(url, autocommit=True) as service:
        service.execute("create table features.scratch (x int)")
        service.execute("insert into quality.rejected_rows (source_table, reason, raw_row,"
                        " partition_key, run_id) values ('t', 'r', '{}', '2026-06-01', 'x')")
        assert service.execute("select count(*) from staging.customers").fetchone() == (0,)


def test_password_is_never_printed(applied, roles_cli, conn):
    code, out, err = roles_cli("--print-url")
    assert code == 0
    assert PASSWORD not in applied + out + err
    assert f"analyst url: postgresql://{ANALYST}:***@/" in out
    # Stored as a SCRAM verifier made on the client: the server never saw the plain text.
    stored = conn.execute(
        "select rolpassword from pg_authid where rolname = %s", (ANALYST,)
    ).fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$") and PASSWORD not in stored


def test_apply_without_a_password_is_a_clear_error(roles_cli, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    code, out, err = roles_cli()
    assert code == 1 and out == ""
    assert f"{PASSWORD_ENV} is not set" in err and "Traceback" not in err

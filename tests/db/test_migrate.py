import shutil

import psycopg
import pytest

from platform_assets.db.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate

SCHEMAS = {
    "raw",
    "staging",
    "features",
    "training",
    "ml",
    "vectors",
    "analytics",
    "quality",
    "monitoring",
}


def test_fresh_database_gets_every_schema_and_pgvector(empty_db):
    with psycopg.connect(empty_db) as conn:
        applied = migrate(conn)
        assert [m.version for m in applied] == [m.version for m in discover()]
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        assert SCHEMAS <= schemas
        assert conn.execute("select 1 from pg_extension where extname = 'vector'").fetchone()
        recorded = conn.execute(
            "select version, checksum from public.schema_migrations order by version"
        ).fetchall()
    assert [(m.version, m.checksum) for m in discover()] == recorded


def test_rerun_applies_nothing(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        before = conn.execute("select applied_at from public.schema_migrations").fetchall()
        assert migrate(conn) == []
        assert conn.execute("select applied_at from public.schema_migrations").fetchall() == before


def test_tampered_applied_file_is_an_error(db_url, tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after it was applied\n")
    with psycopg.connect(db_url) as conn, pytest.raises(MigrationError, match="changed after"):
        migrate(conn, directory)


def test_new_file_is_applied_in_order_and_a_failing_one_rolls_back(db_url, tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / "9001_extra.sql").write_text("create table quality.extra (x int);")
    (directory / "9002_broken.sql").write_text(
        "create table quality.half_done (x int);\nselect no_such_function();"
    )
    with psycopg.connect(db_url) as conn:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            migrate(conn, directory)
        conn.rollback()
        versions = [r[0] for r in conn.execute("select version from public.schema_migrations")]
        assert "9001" in versions and "9002" not in versions
        assert conn.execute("select to_regclass('quality.extra')").fetchone()[0] is not None
        assert conn.execute("select to_regclass('quality.half_done')").fetchone()[0] is None


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "1_nope.sql").write_text("select 1")
    with pytest.raises(MigrationError, match="NNNN_name"):
        discover(tmp_path)


def test_upgrading_to_history_keeps_staged_rows_as_their_first_version(empty_db, tmp_path):
    """A database staged before staging kept history: its rows become first versions."""
    before = tmp_path / "before"
    before.mkdir()
    for path in discover():
        if path.version < "0010":
            shutil.copy(path.path, before / path.path.name)
    with psycopg.connect(empty_db) as conn:
        migrate(conn, before)
        conn.execute(
            "insert into staging.customers (id, organization_id, service_tier, status,"
            " created_at, updated_at, partition_key, load_id, staged_at) values"
            " (gen_random_uuid(), gen_random_uuid(), 'basic', 'active', '2025-03-01',"
            " '2026-02-01', '2026-02-01', 'old', now())"
        )
        conn.commit()
        assert [m.version for m in migrate(conn)][0] == "0010"
        row = conn.execute(
            "select service_tier, valid_from, valid_to, deleted_at"
            " from staging.customers_history"
        ).fetchall()
    assert len(row) == 1 and row[0][0] == "basic" and row[0][2:] == (None, None)
    assert row[0][1].isoformat().startswith("2025-03-01")

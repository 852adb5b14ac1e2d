"""One embedded Postgres for the whole session, and a fresh database per test.

Each test gets its own database cloned from a migrated template (CREATE DATABASE ... TEMPLATE),
which costs milliseconds, so tests never see each other's rows and never mock the database.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from testkit import TEMPLATE, create_database

from platform_assets.db import server
from platform_assets.db.migrate import migrate
from platform_assets.partitions import range_tags
from platform_assets.resources import PostgresResource


@pytest.fixture(scope="session")
def platform_home():
    """A throwaway PLATFORM_HOME (world-readable: the embedded server runs as its own user)."""
    home = Path(tempfile.mkdtemp(prefix="platform-test-"))
    home.chmod(0o755)
    saved = {k: os.environ.get(k) for k in ("PLATFORM_HOME", "DATABASE_URL", "SOURCE_DATABASE_URL")}
    os.environ["PLATFORM_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("SOURCE_DATABASE_URL", None)
    yield home
    server.stop_embedded(home)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(platform_home) -> str:
    """URL of the session's embedded server (its `postgres` database)."""
    return server.embedded_server(platform_home).get_uri()


@pytest.fixture(scope="session")
def template_db(server_url) -> str:
    url = create_database(server_url, TEMPLATE)
    with psycopg.connect(url) as conn:
        migrate(conn)
    return TEMPLATE


@pytest.fixture(scope="session")
def new_database(server_url):
    """`new_database(name, template=None)` -> URL: for fixtures that build their own template."""
    return lambda name, template=None: create_database(server_url, name, template)


@pytest.fixture
def empty_db(server_url) -> str:
    """URL of a new, empty database (no migrations)."""
    return create_database(server_url, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def db_url(server_url, template_db) -> str:
    """URL of a new, migrated database."""
    return create_database(server_url, f"t_{uuid.uuid4().hex[:12]}", template=template_db)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def postgres(db_url) -> PostgresResource:
    return PostgresResource(database_url=db_url)


# --- running assets -----------------------------------------------------------------------------


@pytest.fixture
def materialize(postgres):
    """Materialize assets for one partition or a range (one run), with a real ephemeral instance."""
    import dagster as dg

    def _materialize(assets, first: str, last: str | None = None, resource=None, **kwargs):
        return dg.materialize(
            assets,
            partition_key=None if last else first,
            tags=range_tags(first, last) if last else None,
            resources={"postgres": resource or postgres},
            instance=dg.DagsterInstance.ephemeral(),
            **kwargs,
        )

    return _materialize

"""The Postgres resource every asset uses: the platform database and the operational source."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg
from pydantic import Field

from platform_assets.db import server
from platform_assets.db.connect import connect


class PostgresResource(dg.ConfigurableResource):
    """Connections to the platform database and to the operational source.

    URLs left unset are resolved when a connection is opened, not at import or load time:
    `DATABASE_URL` / `SOURCE_DATABASE_URL` from the environment, else the embedded server. Keeping
    them out of the config keeps passwords out of the Dagster UI, which displays resource config.
    """

    database_url: str | None = Field(
        default=None, description="Platform database; unset: DATABASE_URL or the embedded server."
    )
    source_database_url: str | None = Field(
        default=None,
        description="Operational source; unset: SOURCE_DATABASE_URL or the platform database.",
    )

    def url(self) -> str:
        return self.database_url or server.database_url()

    def source_url(self) -> str:
        return self.source_database_url or (
            self.database_url if self.database_url else server.source_database_url()
        )

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection (`db.connect`): atomic writes use `conn.transaction()`."""
        with connect(self.url()) as conn:
            yield conn

    @contextmanager
    def connect_source(self) -> Iterator[psycopg.Connection]:
        with connect(self.source_url()) as conn:
            yield conn

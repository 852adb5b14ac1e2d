"""The Postgres resource every asset uses: the platform database and the operational source."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg
from pydantic import Field

from platform_assets.db import server


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
        """An autocommit connection: atomic writes use explicit `conn.transaction()` blocks."""
        with _connect(self.url()) as conn:
            yield conn

    @contextmanager
    def connect_source(self) -> Iterator[psycopg.Connection]:
        with _connect(self.source_url()) as conn:
            yield conn


@contextmanager
def _connect(url: str) -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(url, autocommit=True, application_name="platform_assets")
    except psycopg.Error as error:  # a malformed URL is a ProgrammingError that quotes it
        # The driver's message can echo the conninfo; name the database without its password.
        raise ConnectionError(
            f"cannot connect to Postgres at {server.redact(url)}: "
            f"{server.redact(str(error), url).strip()}"
        ) from None
    with conn:
        try:
            yield conn
        except psycopg.OperationalError as error:
            if not conn.broken:
                raise
            # A server stopped or restarted mid-run: say which one (source or platform) it was.
            raise ConnectionError(
                f"lost the connection to Postgres at {server.redact(url)}: "
                f"{server.redact(str(error), url).strip()}"
            ) from error

"""The one way the platform opens a Postgres connection: assets, CLI commands and server setup.

Errors name the database by its URL with the password masked (`server.redact`): the driver's
own messages can quote the conninfo, and they end up in Dagster's event log and in terminals.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from platform_assets.db import server

APPLICATION = "platform_assets"  # what assets connect as; tests find their sessions by it
CLI_APPLICATION = "platform_assets_cli"


class ConnectFailed(ConnectionError):
    """Postgres could not be reached at all (a connection lost mid-use is a ConnectionError)."""


@contextmanager
def connect(url: str, application_name: str = APPLICATION) -> Iterator[psycopg.Connection]:
    """An autocommit connection to `url`, closed on exit.

    Autocommit: atomic writes use explicit `conn.transaction()` blocks. Raises `ConnectFailed`
    when the server cannot be reached, and ConnectionError when it goes away mid-use (stopped or
    restarted), each naming the database without its password.
    """
    try:
        conn = psycopg.connect(url, autocommit=True, application_name=application_name)
    except psycopg.Error as error:  # a malformed URL is a ProgrammingError that quotes it
        raise ConnectFailed(
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

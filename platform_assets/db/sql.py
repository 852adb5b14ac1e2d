"""The one way to read SQL files and to put identifiers into SQL.

SQL lives in `sql/<area>/<name>.sql`, each file starting with a comment that says what it
produces. Values are always bound parameters; identifiers go through `identifier()`, which only
admits plain lower-case names, so nothing from config or the CLI can smuggle SQL in.
"""

import hashlib
import re
from functools import cache

from psycopg import sql

from platform_assets.settings import SQL_DIR

# fullmatch, not `^...$`: `$` also matches before a trailing newline ("name\n").
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class InvalidIdentifier(ValueError):
    pass


@cache
def load_sql(name: str) -> str:
    """Return the text of `sql/<name>.sql` (e.g. `load_sql("ingest/validate")`)."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL name escapes the sql/ directory: {name!r}")
    return path.read_text()


def compose(name: str, **parts: sql.Composable) -> sql.Composed:
    """Load a SQL template and fill its `{placeholders}` with composed identifiers or fragments."""
    return sql.SQL(load_sql(name)).format(**parts)


def identifier(name: str) -> str:
    """Validate a schema, table, column or model name; raise before any SQL runs."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise InvalidIdentifier(
            f"invalid identifier {name!r}: use lower-case letters, digits and _ (max 63 chars), "
            "starting with a letter or _"
        )
    return name


def table(schema: str, name: str) -> sql.Identifier:
    return sql.Identifier(identifier(schema), identifier(name))


def pin_row_text(conn) -> None:
    """Fix what the text of a row depends on (UTC, ISO dates, shortest exact floats) for the
    rest of the transaction: content fingerprints and COPY snapshots must not change with a
    session's settings."""
    conn.execute("set local timezone = 'UTC'")
    conn.execute("set local datestyle = 'ISO, YMD'")
    conn.execute("set local extra_float_digits = 1")


def sql_version(*names: str, extra: str = "") -> str:
    """A short hash of SQL files' text (and of `extra`, e.g. a spec's repr): an asset's code
    version, so that Dagster flags its partitions stale when the SQL that wrote them changes."""
    digest = hashlib.sha256(extra.encode())
    for name in names:
        digest.update(load_sql(name).encode())
    return digest.hexdigest()[:12]

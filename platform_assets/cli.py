"""`platform-assets`: run the platform from a shell.

Every command resolves the database the same way as the assets (DATABASE_URL, else the embedded
server under PLATFORM_HOME) and prints URLs only with their password masked. The parser and the
commands that manage the platform itself live here; each domain's commands in its folder
(`ingest/`, `embeddings/`, `models/`, `access/` `cli.py`), the demo in `demo.py`.
"""

import argparse
import os
import subprocess
import sys
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta

import psycopg

from platform_assets import progress
from platform_assets.db import server
from platform_assets.db.connect import CLI_APPLICATION, ConnectFailed, connect
from platform_assets.db.migrate import MigrationError, migrate
from platform_assets.db.sql import InvalidIdentifier
from platform_assets.settings import IN_CHECKOUT, PROJECT_ROOT

DEMO_CUSTOMERS = 2_000
DEMO_DAYS = 180
DEMO_SEED = 7
DEMO_OBSERVE_EVERY = 30  # days between the demo's looks at the unfolding source
CONNECT_HINT = "check DATABASE_URL, or unset it to use the embedded server (platform-assets db up)"


class CliError(RuntimeError):
    """An error the user can act on: printed without a traceback, exit code 1."""


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def cli_connection(url: str | None = None) -> AbstractContextManager[psycopg.Connection]:
    """A command's connection (`db.connect`): to `url`, by default the platform database."""
    return connect(url or server.database_url(), CLI_APPLICATION)


# --- db ------------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> None:
    external = os.environ.get("DATABASE_URL")
    if args.action == "up":
        url = server.database_url()
        with cli_connection(url) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        print(f"Postgres {version} ready at {server.redact(url)}")
    elif args.action == "down":
        if external:
            raise CliError("DATABASE_URL is set: the platform does not manage that server")
        stopped = server.stop_embedded()
        print("embedded Postgres stopped" if stopped else "embedded Postgres was not running")
    elif args.action == "status":
        if external:
            with cli_connection(external) as conn:
                version = conn.execute("show server_version").fetchone()[0]
            print(f"external Postgres {version} at {server.redact(external)} (DATABASE_URL)")
        elif server.embedded_running():
            print(f"embedded Postgres running, data in {server.pgdata_dir()}")
            print(f"url: {server.database_url()}")
        else:
            print(f"embedded Postgres not running (data dir {server.pgdata_dir()})")
            sys.exit(3)
    elif args.action == "url":
        url = server.dagster_storage_url() if args.dagster else server.database_url()
        print(url if args.reveal else server.redact(url))


# --- migrate / simulate / backfill ------------------------------------------------------------


def cmd_migrate(_: argparse.Namespace) -> None:
    with cli_connection() as conn:
        applied = migrate(conn)
    if applied:
        for migration in applied:
            print(f"applied {migration.path.name}")
    else:
        print("migrations up to date")


def cmd_simulate(args: argparse.Namespace) -> None:
    from platform_assets.demo import simulate

    if args.customers <= 0 or args.days <= 0:
        raise CliError("--customers and --days must be positive")
    simulate(args.customers, args.days, args.seed, args.end_date, force=True)


def cmd_backfill(args: argparse.Namespace) -> None:
    from platform_assets.demo import run_range

    if args.last < args.first:
        raise CliError("--to is before --from")
    with cli_connection() as conn:
        migrate(conn)
    run_range(args.first, args.last)


def cmd_status(_: argparse.Namespace) -> None:
    from platform_assets.definitions import defs
    from platform_assets.instance import dagster_instance
    from platform_assets.monitoring.status import status_report

    with cli_connection() as conn:
        print(status_report(conn, dagster_instance(), defs.get_repository_def()))


# --- ui ----------------------------------------------------------------------------------------


def cmd_ui(args: argparse.Namespace) -> None:
    from platform_assets.instance import dagster_env

    with cli_connection() as conn:
        migrate(conn)
    env = os.environ | dagster_env()
    # A checkout has workspace.yaml (the location's name and module); an installed wheel has
    # only the module (`dagster dev` then names the location after it).
    target = (["-w", str(PROJECT_ROOT / "workspace.yaml")] if IN_CHECKOUT
              else ["-m", "platform_assets.definitions"])
    command = [sys.executable, "-m", "dagster", "dev", *target,
               "-h", args.host, "-p", str(args.port)]
    print(f"starting dagster dev on http://{args.host}:{args.port} (Ctrl-C stops it)")
    sys.exit(subprocess.call(command, env=env, cwd=PROJECT_ROOT if IN_CHECKOUT else None))


# --- parser ------------------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    # The domains' commands import this module (CliError, cli_connection): imported here.
    from platform_assets.access.cli import (
        add_docs_arguments,
        add_roles_arguments,
        cmd_docs,
        cmd_roles,
    )
    from platform_assets.demo import cmd_demo
    from platform_assets.embeddings.cli import add_search_arguments, cmd_search
    from platform_assets.ingest.cli import add_reconcile_arguments, cmd_reconcile
    from platform_assets.models.cli import add_models_arguments, cmd_models

    parser = argparse.ArgumentParser(prog="platform-assets", description=__doc__)
    parser.add_argument(
        "--verbose", action="store_true",
        help="print Dagster's event stream for in-process runs (demo, backfill), not only one "
        "line per finished step",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the platform's Postgres (embedded unless DATABASE_URL)")
    db.add_argument("action", choices=["up", "down", "status", "url"])
    db.add_argument("--dagster", action="store_true", help="url: Dagster's storage URL")
    db.add_argument("--reveal", action="store_true", help="url: print the password too")
    db.set_defaults(func=cmd_db)

    commands.add_parser("migrate", help="apply pending SQL migrations").set_defaults(
        func=cmd_migrate
    )

    for name, func, help_ in (
        ("simulate", cmd_simulate, "write a deterministic operational history into ops.*"),
        ("demo", cmd_demo, "migrate, simulate (scale S) and materialize everything"),
    ):
        sub = commands.add_parser(name, help=help_)
        sub.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
        sub.add_argument("--days", type=int, default=DEMO_DAYS)
        sub.add_argument("--seed", type=int, default=DEMO_SEED)
        sub.add_argument(
            "--end-date",
            type=_date,
            default=yesterday(),
            help="last simulated day (default: yesterday, UTC)",
        )
        sub.set_defaults(func=func)
        if name == "demo":
            sub.add_argument(
                "--observe-every", type=int, default=DEMO_OBSERVE_EVERY, metavar="DAYS",
                help="ingest the source as it stood at go-live and every DAYS days before the "
                f"backfill, as a platform running since go-live would have (default "
                f"{DEMO_OBSERVE_EVERY}; 0: only the final state)",
            )

    commands.add_parser(
        "status", help="last runs, late assets, failing checks, models and alerts, one screen"
    ).set_defaults(func=cmd_status)

    backfill = commands.add_parser("backfill", help="run nightly_refresh over a date range")
    backfill.add_argument("--from", dest="first", type=_date, required=True)
    backfill.add_argument("--to", dest="last", type=_date, required=True)
    backfill.set_defaults(func=cmd_backfill)

    reconcile = commands.add_parser(
        "reconcile",
        help="compare tables with the source as a whole: land deletes and backdated changes",
    )
    add_reconcile_arguments(reconcile).set_defaults(func=cmd_reconcile)

    search = commands.add_parser("search", help="semantic search over service-event notes")
    add_search_arguments(search).set_defaults(func=cmd_search)

    models = commands.add_parser("models", help="the model registry: list, show, promote, rollback")
    add_models_arguments(models).set_defaults(func=cmd_models)

    roles = commands.add_parser("roles", help="the read-only analyst role and the writer role")
    add_roles_arguments(roles).set_defaults(func=cmd_roles)
    docs = commands.add_parser("docs", help="write the data dictionary from the catalog")
    add_docs_arguments(docs).set_defaults(func=cmd_docs)

    ui = commands.add_parser("ui", help="start dagster dev (webserver + daemon)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    progress.VERBOSE = args.verbose
    try:
        args.func(args)
    except ConnectFailed as error:
        print(f"error: {error}\n  {CONNECT_HINT}", file=sys.stderr)
        sys.exit(1)
    except (CliError, MigrationError, InvalidIdentifier, ConnectionError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    # `python -m platform_assets.cli` runs this file as __main__, a second copy of the module:
    # the domains raise platform_assets.cli.CliError, which only that module's main() catches.
    from platform_assets.cli import main as package_main

    package_main()

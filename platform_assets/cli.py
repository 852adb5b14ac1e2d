"""`platform-assets`: run the platform from a shell.

Every command resolves the database the same way as the assets (DATABASE_URL, else the embedded
server under PLATFORM_HOME) and prints URLs only with their password masked.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import psycopg

from platform_assets.db import server
from platform_assets.db.migrate import MigrationError, migrate
from platform_assets.db.sql import InvalidIdentifier
from platform_assets.settings import PROJECT_ROOT

DEMO_CUSTOMERS = 2_000
DEMO_DAYS = 180
DEMO_SEED = 7
DEMO_OBSERVE_EVERY = 30  # days between the demo's looks at the unfolding source


class CliError(RuntimeError):
    """An error the user can act on: printed without a traceback, exit code 1."""


def _yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def _connect(url: str | None = None) -> psycopg.Connection:
    url = url or server.database_url()
    try:
        return psycopg.connect(url, autocommit=True, application_name="platform_assets_cli")
    except psycopg.Error as error:  # a malformed URL is a ProgrammingError that quotes it
        raise CliError(
            f"cannot connect to Postgres at {server.redact(url)}: "
            f"{server.redact(str(error), url).strip()}"
            "\n  check DATABASE_URL, or unset it to use the embedded server (platform-assets db up)"
        ) from None


# --- db ------------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> None:
    external = os.environ.get("DATABASE_URL")
    if args.action == "up":
        url = server.database_url()
        with _connect(url) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        print(f"Postgres {version} ready at {server.redact(url)}")
    elif args.action == "down":
        if external:
            raise CliError("DATABASE_URL is set: the platform does not manage that server")
        stopped = server.stop_embedded()
        print("embedded Postgres stopped" if stopped else "embedded Postgres was not running")
    elif args.action == "status":
        if external:
            with _connect(external) as conn:
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


# --- migrate / simulate ------------------------------------------------------------------------


def cmd_migrate(_: argparse.Namespace) -> None:
    with _connect() as conn:
        applied = migrate(conn)
    if applied:
        for migration in applied:
            print(f"applied {migration.path.name}")
    else:
        print("migrations up to date")


def _simulate(
    customers: int, days: int, seed: int, end_date: date, force: bool, observe_every: int = 0
) -> bool:
    """Write the simulated history unless the source already holds exactly it.

    With `observe_every` > 0 the platform watches the history unfold first: the source is shown
    as it stood at go-live and then every `observe_every` days, and ingest lands each state,
    so staging history holds the versions a platform running since go-live would have seen
    (a single look at the final state would know one version per row). Then the final state.
    """
    from platform_assets.partitions import PARTITION_START
    from platform_assets.simulator import ops_as_of, simulate_history
    from platform_assets.simulator.load import current_params, simulation_params, write_ops

    start = end_date - timedelta(days=days - 1)
    if start < date.fromisoformat(PARTITION_START):
        raise CliError(
            f"the history would start on {start}, before the first partition ({PARTITION_START}):"
            " use fewer --days or a later --end-date"
        )
    params = simulation_params(customers, days, seed, end_date)
    with _connect(server.source_database_url()) as conn:
        if not force and current_params(conn) == params:
            print(f"ops already holds this simulation ({params}); skipping (--force to rewrite)")
            return False
        started = time.perf_counter()
        print(f"simulating {customers} customers over {days} days ending {end_date} (seed {seed})")
        history = simulate_history(customers=customers, days=days, seed=seed, end_date=end_date)
        if observe_every > 0:
            _observe(conn, history, params | {"observed_through": None}, observe_every)
        counts = write_ops(conn, ops_as_of(history, history.end), params)
    for name, rows in counts.items():
        print(f"  ops.{name:<15} {rows:>10,} rows")
    planted = ", ".join(f"{kind} {n:,}" for kind, n in history.planted.items())
    print(f"  planted changes: {planted}")
    print(f"simulated and written in {time.perf_counter() - started:.1f}s")
    return True


def _observe(conn: psycopg.Connection, history, params: dict, every: int) -> None:
    """Show the source as it stood at go-live, then every `every` days; ingest each state."""
    from platform_assets.simulator import ops_as_of
    from platform_assets.simulator.load import write_ops

    cut, first = history.start, history.start.date()
    while cut < history.end - timedelta(days=1):
        write_ops(conn, ops_as_of(history, cut), params | {"observed_through": cut.isoformat()})
        last = max(first, (cut - timedelta(days=1)).date())
        print(f"  observing the source as of {cut:%Y-%m-%d}: ingest {first}..{last}")
        _run_range(first, last, _ingest_assets(), quiet=True)
        first, cut = last + timedelta(days=1), cut + timedelta(days=every)


def cmd_simulate(args: argparse.Namespace) -> None:
    if args.customers <= 0 or args.days <= 0:
        raise CliError("--customers and --days must be positive")
    _simulate(args.customers, args.days, args.seed, args.end_date, force=True)


# --- runs --------------------------------------------------------------------------------------


def _run_range(first: date, last: date, selection=None, quiet: bool = False) -> None:
    from platform_assets.instance import run_partitions
    from platform_assets.jobs import NIGHTLY_REFRESH

    what = NIGHTLY_REFRESH if selection is None else f"{NIGHTLY_REFRESH} (data assets)"
    if not quiet:
        print(f"materializing {what} for {first}..{last} as one run")
    started = time.perf_counter()
    result = run_partitions(
        NIGHTLY_REFRESH, first.isoformat(), last.isoformat(), selection=selection
    )
    if not result.success:
        raise CliError(f"run {result.run_id} failed; open it in the UI (make ui) for the step logs")
    if not quiet:
        print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s")


def cmd_reconcile(args: argparse.Namespace) -> None:
    """Compare whole tables with the source: land what the updated_at windows missed (backdated
    changes, rows without updated_at) and the deletes, in yesterday's partition."""
    import dagster as dg

    from platform_assets.ingest.reconcile import FULL, RECONCILE_TAG
    from platform_assets.ingest.tables import SOURCE_TABLES, TABLES_BY_NAME
    from platform_assets.instance import run_partitions
    from platform_assets.jobs import NIGHTLY_REFRESH

    if args.table is not None and args.table not in TABLES_BY_NAME:
        raise CliError(f"unknown table {args.table!r}; known: {', '.join(TABLES_BY_NAME)}")
    names = [args.table] if args.table else [t.name for t in SOURCE_TABLES]
    keys = [dg.AssetKey([layer, name]) for name in names for layer in ("raw", "staging")]
    day = _yesterday().isoformat()
    print(f"reconciling {', '.join(names)} with the source as a whole, in partition {day}")
    started = time.perf_counter()
    result = run_partitions(
        NIGHTLY_REFRESH, day, day, selection=dg.AssetSelection.assets(*keys),
        tags={RECONCILE_TAG: FULL},
    )
    if not result.success:
        raise CliError(f"run {result.run_id} failed; open it in the UI (make ui) for the step logs")
    for name in names:
        landed = _metadata(result, ["raw", name])
        staged = _metadata(result, ["staging", name])
        print(f"  {name:<15} landed {landed.get('rows_landed_by_reconcile', 0):>6,} missed rows,"
              f" {landed.get('deletions_detected', 0):>6,} deletes;"
              f" {staged.get('rejections_resolved', 0):>6,} rejections resolved")
    print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s; the next "
          "nightly run recomputes the feature days these changes touched")


def _metadata(result, path: list[str]) -> dict:
    import dagster as dg

    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key == dg.AssetKey(path):
            return {k: v.value for k, v in materialization.metadata.items()}
    return {}


def _backfill_range() -> tuple[date, date]:
    """The partitions holding source changes."""
    from platform_assets.ingest.source import as_dates, source_extent

    with _connect(server.source_database_url()) as conn:
        extent = source_extent(conn)
    if extent is None:
        raise CliError("the operational source is empty: run platform-assets simulate first")
    return as_dates(extent)


def _data_assets():
    """The nightly job's assets that build data (not the predictions, scored after training)."""
    import dagster as dg

    from platform_assets.jobs import DATA_GROUPS

    return dg.AssetSelection.groups(*DATA_GROUPS)


def _ingest_assets():
    import dagster as dg

    return dg.AssetSelection.groups("ingest")


def _up_to_date(first: date, last: date) -> bool:
    from platform_assets.instance import dagster_instance, up_to_date
    from platform_assets.jobs import NIGHTLY_REFRESH

    return up_to_date(
        NIGHTLY_REFRESH, first.isoformat(), last.isoformat(), dagster_instance(), _data_assets()
    )


def _train() -> None:
    import dagster as dg

    from platform_assets.instance import run_job
    from platform_assets.jobs import WEEKLY_TRAINING

    print(f"running {WEEKLY_TRAINING}: training datasets, their checks, models and the gate")
    started = time.perf_counter()
    result = run_job(WEEKLY_TRAINING)
    failed = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    errors = [e.event_specific_data.error for e in result.get_step_failure_events()]
    blocked_only = errors and all(e.cls_name == "DagsterAssetCheckFailedError" for e in errors)
    if not result.success and not blocked_only:
        raise CliError(
            f"run {result.run_id} failed"
            + (f" (failed checks: {', '.join(failed)})" if failed else "")
            + "; open it in the UI (make ui) for the step logs"
        )
    if result.success:
        print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s")
    else:  # the data did its job: a dataset that fails a blocking check trains no model
        print(f"run {result.run_id} finished in {time.perf_counter() - started:.1f}s; blocking "
              f"checks failed, so nothing downstream of them was trained: {', '.join(failed)}")
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        meta = materialization.metadata
        if "decision" in meta:
            failed_rules = ", ".join(meta["failed_rules"].value) or "-"
            print(f"  gate: {meta['candidate'].value:<28} {meta['decision'].value:<9}"
                  f" failed rules: {failed_rules}")


def _score(day: date) -> None:
    """Score `day` with the production models (the nightly job's predictions step)."""
    import dagster as dg

    from platform_assets.instance import run_partitions
    from platform_assets.jobs import NIGHTLY_REFRESH
    from platform_assets.models.assets import PREDICTIONS_GROUP

    key = day.isoformat()
    result = run_partitions(
        NIGHTLY_REFRESH, key, key, selection=dg.AssetSelection.groups(PREDICTIONS_GROUP)
    )
    if not result.success:
        raise CliError(f"scoring run {result.run_id} failed; open it in the UI (make ui)")
    print(f"\nPredictions for {key} (ml.predictions):")
    for event in result.get_asset_materialization_events():
        meta = event.event_specific_data.materialization.metadata
        print(f"  {meta['model'].value:<28} {meta['dagster/row_count'].value:>6,} entities, "
              f"mean score {meta['mean_score'].value}")


def _dashboards() -> None:
    from platform_assets.instance import run_job
    from platform_assets.jobs import DASHBOARD_REFRESH
    from platform_assets.settings import platform_home

    print(f"\nrunning {DASHBOARD_REFRESH}: database stats, analytics views, charts, report")
    result = run_job(DASHBOARD_REFRESH)
    if not result.success:
        raise CliError(f"run {result.run_id} failed; open it in the UI (make ui) for the step logs")
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        meta = materialization.metadata
        if "refresh_mode" in meta:
            print(f"  analytics.{materialization.asset_key.path[-1]:<26}"
                  f" {meta['dagster/row_count'].value:>8,} rows ({meta['refresh_mode'].value})")
    print(f"  report: {platform_home() / 'reports' / 'index.html'}")


def _registry() -> None:
    from platform_assets.models.cli import registry_table

    with _connect() as conn:
        print("\nModel registry (platform-assets models list):")
        print(registry_table(conn))


def cmd_backfill(args: argparse.Namespace) -> None:
    if args.last < args.first:
        raise CliError("--to is before --from")
    with _connect() as conn:
        migrate(conn)
    _run_range(args.first, args.last)


def _summary(since: datetime) -> None:
    with _connect() as conn:
        print("\nWhat was built:")
        for schema in ("raw", "staging", "features", "vectors", "training", "ml", "monitoring"):
            tables = conn.execute(
                "select tablename from pg_tables where schemaname = %s order by tablename",
                (schema,),
            ).fetchall()
            for (name,) in tables:
                count = conn.execute(
                    psycopg.sql.SQL("select count(*) from {}").format(
                        psycopg.sql.Identifier(schema, name)
                    )
                ).fetchone()[0]
                print(f"  {schema + '.' + name:<34} {count:>10,} rows")
        rejected = conn.execute(
            "select source_table, reason, count(*) from quality.rejected_rows"
            " group by 1, 2 order by 1, 3 desc"
        ).fetchall()
        datasets = conn.execute(
            "select distinct on (task) task, version, split_counts, label_balance, parquet_path"
            " from training.datasets order by task, created_at desc"
        ).fetchall()
        print("\nTraining datasets (training.datasets, latest version each):")
        for task, version, splits, balance, path in datasets:
            label = (
                f"positive rate {balance['positive_rate']:.3f}"
                if "positive_rate" in balance
                else f"mean label {balance.get('mean', 0):.1f}"
            )
            split = ", ".join(f"{k} {v:,}" for k, v in sorted(splits.items()))
            print(f"  {task:<24} version {version}  {split}  {label}")
            print(f"  {'':<24} {path}")
        checks = conn.execute(
            "select count(*), count(*) filter (where not passed) from ("
            " select distinct on (asset_key, check_name) passed from quality.check_results"
            " where checked_at >= %s order by asset_key, check_name, checked_at desc) as latest",
            (since,),
        ).fetchone()
        print(
            f"\nData-quality checks (latest of each, this demo): {checks[0]} run, "
            f"{checks[1]} failed"
        )
        total = sum(r[2] for r in rejected)
        print(f"\nRejected rows (quality.rejected_rows): {total:,}")
        for source_table, reason, count in rejected:
            print(f"  {source_table:<15} {reason:<50} {count:>7,}")
    print(
        "\nNext:\n"
        "  make ui                              # Dagster UI on http://127.0.0.1:3000\n"
        '  .venv/bin/platform-assets search "smelly bin" --event-type complaint\n'
        "  .venv/bin/platform-assets models show churn_risk\n"
        '  .venv/bin/platform-assets db url     # connect with psql "$(...)"\n'
        "  make test                            # the test suite against a throwaway Postgres"
    )


EXAMPLE_QUERY = "bin lid broken and overflowing"


def _example_search() -> None:
    from platform_assets.embeddings.model import EmbeddingModel
    from platform_assets.embeddings.search import format_hits, search

    with _connect() as conn:
        hits = search(conn, EmbeddingModel(), EXAMPLE_QUERY, k=3)
    print(f'\nSemantic search: platform-assets search "{EXAMPLE_QUERY}" --k 3')
    print(format_hits(hits))


def cmd_demo(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    since = datetime.now(UTC)
    url = server.database_url()
    print(f"database: {server.redact(url)}")
    with _connect(url) as conn:
        applied = migrate(conn)
    print(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")
    simulated = _simulate(
        args.customers, args.days, args.seed, args.end_date, force=False,
        observe_every=args.observe_every,
    )
    first, last = _backfill_range()
    if not simulated and _up_to_date(first, last):
        print(
            f"every asset is materialized for {first}..{last} by the current code; skipping"
            " (platform-assets backfill re-runs it)"
        )
    else:
        _run_range(first, last, _data_assets())  # predictions need the models trained next
    _train()
    _score(last)
    _dashboards()
    _example_search()
    _summary(since)
    _registry()
    print(f"\ndemo finished in {time.perf_counter() - started:.1f}s")


# --- ui ----------------------------------------------------------------------------------------


def cmd_ui(args: argparse.Namespace) -> None:
    from platform_assets.instance import dagster_env

    with _connect() as conn:
        migrate(conn)
    env = os.environ | dagster_env()
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(PROJECT_ROOT / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(f"starting dagster dev on http://{args.host}:{args.port} (Ctrl-C stops it)")
    sys.exit(subprocess.call(command, env=env, cwd=PROJECT_ROOT))


# --- parser ------------------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="platform-assets", description=__doc__)
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
            default=_yesterday(),
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

    backfill = commands.add_parser("backfill", help="run nightly_refresh over a date range")
    backfill.add_argument("--from", dest="first", type=_date, required=True)
    backfill.add_argument("--to", dest="last", type=_date, required=True)
    backfill.set_defaults(func=cmd_backfill)

    reconcile = commands.add_parser(
        "reconcile",
        help="compare tables with the source as a whole: land deletes and backdated changes",
    )
    reconcile.add_argument("--table", help="one operational table (default: all of them)")
    reconcile.set_defaults(func=cmd_reconcile)

    from platform_assets.embeddings.search import add_search_arguments, cmd_search

    search = commands.add_parser("search", help="semantic search over service-event notes")
    add_search_arguments(search).set_defaults(func=cmd_search)

    from platform_assets.models.cli import add_models_arguments, cmd_models

    models = commands.add_parser("models", help="the model registry: list, show, promote, rollback")
    add_models_arguments(models).set_defaults(func=cmd_models)

    from platform_assets.access.cli import (
        add_docs_arguments,
        add_roles_arguments,
        cmd_docs,
        cmd_roles,
    )

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
    try:
        args.func(args)
    except (CliError, MigrationError, InvalidIdentifier, ConnectionError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

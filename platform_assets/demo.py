"""`platform-assets demo`: migrate, simulate, backfill, train, score, refresh the dashboards, and
print what was built. Its steps (`simulate`, `run_range`) also serve `simulate` and `backfill`.

A rerun with the same arguments is cheap: the simulation is skipped when the source already
holds it, the backfill when every asset is materialized by the current code.
"""

import argparse
import textwrap
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from platform_assets import keys
from platform_assets.cli import CliError, cli_connection
from platform_assets.db import server
from platform_assets.db.migrate import migrate
from platform_assets.db.sql import compose, load_sql

# The schemas whose tables the summary counts, in the order of the pipeline.
SUMMARY_SCHEMAS = ["raw", "staging", "features", "vectors", "training", "ml", "monitoring"]
EXAMPLE_QUERY = "bin lid broken and overflowing"
RUN_FAILED = "open it in the UI (make ui) for the step logs"


def simulate(
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
    with cli_connection(server.source_database_url()) as conn:
        if not force and current_params(conn) == params:
            print(f"ops already holds this simulation ({params}); skipping (--force to rewrite)")
            return False
        started = time.perf_counter()
        print(f"simulating {customers} customers over {days} days ending {end_date} (seed {seed})")
        history = simulate_history(customers=customers, days=days, seed=seed, end_date=end_date)
        if observe_every > 0:
            _observe(conn, history, params | {"observed_through": None}, observe_every)
        counts = write_ops(conn, ops_as_of(history, history.end), params)
    print(f"  ops, simulated and written in {time.perf_counter() - started:.1f}s: "
          + ", ".join(f"{rows:,} {name}" for name, rows in counts.items()))
    planted = ", ".join(f"{kind} {n:,}" for kind, n in history.planted.items())
    print(f"  planted changes: {planted}")
    return True


def _observe(conn: psycopg.Connection, history, params: dict, every: int) -> None:
    """Show the source as it stood at go-live, then every `every` days; ingest each state."""
    import dagster as dg

    from platform_assets.simulator import ops_as_of
    from platform_assets.simulator.load import write_ops

    cut, first = history.start, history.start.date()
    looks = []
    while cut < history.end - timedelta(days=1):
        write_ops(conn, ops_as_of(history, cut), params | {"observed_through": cut.isoformat()})
        last = max(first, (cut - timedelta(days=1)).date())
        run_range(first, last, dg.AssetSelection.groups(keys.INGEST), quiet=True)
        looks.append(f"{cut:%Y-%m-%d}")
        first, cut = last + timedelta(days=1), cut + timedelta(days=every)
    print(f"  observed the source at go-live and every {every} days ({', '.join(looks)}), "
          "ingesting each state")


def run_range(first: date, last: date, selection=None, quiet: bool = False) -> None:
    """Materialize the nightly job (or `selection` of it) for [first, last] as one run."""
    from platform_assets.instance import run_partitions
    from platform_assets.jobs import NIGHTLY_REFRESH

    what = NIGHTLY_REFRESH if selection is None else f"{NIGHTLY_REFRESH} (data assets)"
    if not quiet:
        print(f"materializing {what} for {first}..{last} as one run")
    started = time.perf_counter()
    result = run_partitions(
        NIGHTLY_REFRESH, first.isoformat(), last.isoformat(), selection=selection, quiet=quiet
    )
    if not result.success:
        raise CliError(f"run {result.run_id} failed; {RUN_FAILED}")
    if not quiet:
        print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s")


def _backfill_range() -> tuple[date, date]:
    """The partitions holding source changes."""
    from platform_assets.ingest.source import as_dates, source_extent

    with cli_connection(server.source_database_url()) as conn:
        extent = source_extent(conn)
    if extent is None:
        raise CliError("the operational source is empty: run platform-assets simulate first")
    return as_dates(extent)


def _data_assets():
    """The nightly job's assets that build data (not the predictions, scored after training)."""
    import dagster as dg

    from platform_assets.jobs import DATA_GROUPS

    return dg.AssetSelection.groups(*DATA_GROUPS)


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
            + f"; {RUN_FAILED}"
        )
    if result.success:
        print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s")
    else:  # the data did its job: a dataset that fails a blocking check trains no model
        print(f"run {result.run_id} finished in {time.perf_counter() - started:.1f}s; blocking "
              f"checks failed, so nothing downstream of them was trained: {', '.join(failed)}")


def _score(first: date, last: date) -> None:
    """Score `last` with the production models (the nightly job's predictions step), then the
    drift statistics of every day against the references of the models just trained."""
    import dagster as dg

    from platform_assets.instance import run_partitions
    from platform_assets.jobs import DRIFT_KEYS, NIGHTLY_REFRESH

    print(f"scoring {last} (ml.predictions), then the drift statistics of {first}..{last}")
    runs = (
        (last, dg.AssetSelection.groups(keys.PREDICTIONS)),
        (first, dg.AssetSelection.assets(*DRIFT_KEYS)),
    )
    for start, selection in runs:
        result = run_partitions(NIGHTLY_REFRESH, start.isoformat(), last.isoformat(),
                                selection=selection)
        if not result.success:
            raise CliError(f"run {result.run_id} failed; {RUN_FAILED}")


def _dashboards() -> None:
    from platform_assets.instance import run_job
    from platform_assets.jobs import DASHBOARD_REFRESH
    from platform_assets.settings import platform_home

    print(f"running {DASHBOARD_REFRESH}: database stats, analytics views, charts, report")
    result = run_job(DASHBOARD_REFRESH)
    if not result.success:
        raise CliError(f"run {result.run_id} failed; {RUN_FAILED}")
    print(f"  report: {platform_home() / 'reports' / 'index.html'}")


def _example_search() -> None:
    from platform_assets.embeddings.model import EmbeddingModel
    from platform_assets.embeddings.search import format_hits, search

    with cli_connection() as conn:
        hits = search(conn, EmbeddingModel(), EXAMPLE_QUERY, k=3)
    print(f'\nSemantic search: platform-assets search "{EXAMPLE_QUERY}" --k 3')
    print(format_hits(hits))


def _summary(since: datetime) -> None:
    with cli_connection() as conn:
        print("What was built, rows per schema (each step's rows are above):")
        tables = conn.execute(load_sql("demo/tables"), {"schemas": SUMMARY_SCHEMAS}).fetchall()
        per_schema: dict[str, list[int]] = {}
        for schema, name in tables:
            # Catalog names, quoted: not input, so not limited to identifier()'s plain names.
            count_rows = compose("demo/row_count", table=sql.Identifier(schema, name))
            per_schema.setdefault(schema, []).append(conn.execute(count_rows).fetchone()[0])
        built = ", ".join(f"{schema} {sum(counts):,}" for schema, counts in per_schema.items())
        print(textwrap.fill(built, width=100, initial_indent="  ", subsequent_indent="  "))
        rejected = conn.execute(load_sql("demo/rejected_rows")).fetchall()
        datasets = conn.execute(load_sql("demo/latest_datasets")).fetchall()
        print("Training datasets (training.datasets, latest version each; Parquet snapshots "
              "under artifacts/datasets/):")
        for task, version, splits, balance, _ in datasets:
            label = (
                f"positive rate {balance['positive_rate']:.3f}"
                if "positive_rate" in balance
                else f"mean label {balance.get('mean', 0):.1f}"
            )
            split = ", ".join(f"{k} {v:,}" for k, v in sorted(splits.items()))
            print(f"  {task:<24} version {version}  {split}  {label}")
        checks = conn.execute(load_sql("demo/check_counts"), {"since": since}).fetchone()
        print(f"Data-quality checks (latest of each, this demo): {checks[0]} run, "
              f"{checks[1]} failed")
        total = sum(r[2] for r in rejected)
        reasons = ", ".join(f"{reason} {count:,}" for _, reason, count in rejected[:3])
        print(f"Rejected rows (quality.rejected_rows, by reason there): {total:,}"
              + (f"; most: {reasons}" if reasons else ""))
    print("\nNext: make ui (http://127.0.0.1:3000); .venv/bin/platform-assets status | models "
          'show churn_risk | search "smelly bin"; make test')


def _registry() -> None:
    from platform_assets.models.cli import registry_table

    with cli_connection() as conn:
        print("Model registry (platform-assets models list):")
        print(registry_table(conn))


def cmd_demo(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    since = datetime.now(UTC)
    url = server.database_url()
    print(f"database: {server.redact(url)}")
    with cli_connection(url) as conn:
        applied = migrate(conn)
    print(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")
    simulated = simulate(
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
        run_range(first, last, _data_assets())  # predictions need the models trained next
    _train()
    _score(first, last)
    _dashboards()
    _example_search()
    _summary(since)
    _registry()
    print(f"demo finished in {time.perf_counter() - started:.1f}s")

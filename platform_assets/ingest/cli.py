"""`platform-assets reconcile`: compare whole tables with the source, from a shell.

The nightly ingest reads `updated_at` windows; a reconcile compares every row instead, and lands
what those windows missed (backdated changes, rows without `updated_at`) and the deletes, in
yesterday's partition.
"""

import argparse
import time

import dagster as dg

from platform_assets.cli import CliError, yesterday
from platform_assets.ingest.reconcile import FULL, RECONCILE_TAG
from platform_assets.ingest.tables import SOURCE_TABLES, TABLES_BY_NAME
from platform_assets.keys import raw_key, staging_key


def add_reconcile_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--table", help="one operational table (default: all of them)")
    return parser


def cmd_reconcile(args: argparse.Namespace) -> None:
    """Reconcile one table (`--table`) or all of them in one run; print what each landed."""
    from platform_assets.instance import run_partitions
    from platform_assets.jobs import NIGHTLY_REFRESH

    if args.table is not None and args.table not in TABLES_BY_NAME:
        raise CliError(f"unknown table {args.table!r}; known: {', '.join(TABLES_BY_NAME)}")
    names = [args.table] if args.table else [t.name for t in SOURCE_TABLES]
    selected = [key(name) for name in names for key in (raw_key, staging_key)]
    day = yesterday().isoformat()
    print(f"reconciling {', '.join(names)} with the source as a whole, in partition {day}")
    started = time.perf_counter()
    result = run_partitions(
        NIGHTLY_REFRESH, day, day, selection=dg.AssetSelection.assets(*selected),
        tags={RECONCILE_TAG: FULL},
    )
    if not result.success:
        raise CliError(f"run {result.run_id} failed; open it in the UI (make ui) for the step logs")
    for name in names:
        landed = _metadata(result, raw_key(name))
        staged = _metadata(result, staging_key(name))
        print(f"  {name:<15} landed {landed.get('rows_landed_by_reconcile', 0):>6,} missed rows,"
              f" {landed.get('deletions_detected', 0):>6,} deletes;"
              f" {staged.get('rejections_resolved', 0):>6,} rejections resolved")
    print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.1f}s; the next "
          "nightly run recomputes the feature days these changes touched")


def _metadata(result, key: dg.AssetKey) -> dict:
    """The metadata values of `key`'s materialization in the run (empty if not materialized)."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key == key:
            return {k: v.value for k, v in materialization.metadata.items()}
    return {}

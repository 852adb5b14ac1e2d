"""Late changes: a load that changes an entity's past makes the feature views recompute it.

Ingest notes, per entity, the valid day of every row it writes or deletes whose day lies before
the run's first partition (`staging.late_changes`): a late parent's history, a correction of an
old event, a deleted old event. A view materialized next writes its range as usual, and then
the days from the earliest pending change up to its range again, for those entities only, so
its rows reflect a change from the change's valid time on (not only within the nightly
lookback) at the cost of the entities touched, not of the whole population. What it applied is
recorded in the same transaction as its rows.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import dagster as dg
import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import compose, load_sql, pin_row_text
from platform_assets.features.views import FeatureView


@dataclass(frozen=True)
class LateWork:
    """The days [first_day, last_day] to write again for `entities` only."""

    first_day: str
    last_day: str
    entities: list[UUID]


def _params(view: FeatureView, **values) -> dict:
    names = [name.removeprefix("staging.") for name in view.source_tables]
    return {
        "view_name": view.name, "entity_key": view.entity_key, "source_tables": names, **values
    }


def late_work(
    conn: psycopg.Connection,
    view_table: sql.Identifier,
    view: FeatureView,
    first_day: str,
    variant: str = "",
) -> LateWork | None:
    """The pending late changes of `view` before `first_day`, or None."""
    row = conn.execute(
        compose("features/late_start", view_table=view_table,
                variant_filter=view.variant_filter()),
        _params(view, first_day=first_day, variant=variant),
    ).fetchone()
    if row is None or row[0] is None or row[0].isoformat() >= first_day:
        return None
    day_before = (date.fromisoformat(first_day) - timedelta(days=1)).isoformat()
    return LateWork(row[0].isoformat(), day_before, sorted(row[1]))


def mark_applied(conn: psycopg.Connection, view: FeatureView, last_day: str) -> None:
    conn.execute(load_sql("features/mark_late_applied"), _params(view, last_day=last_day))


def write_days(
    conn: psycopg.Connection,
    view: FeatureView,
    view_table: sql.Identifier,
    columns: list[str],
    first_day: str,
    last_day: str,
    entities: list[UUID] | None = None,
    variant: str = "",
) -> int:
    """Replace the view's rows of [first_day, last_day] (of `entities` only, when given; of one
    variant, for a view with variants, whose query binds it)."""
    params = {"first_day": first_day, "last_day": last_day, "entities": entities,
              "variant": variant}
    entity_key = sql.Identifier(view.entity_key)
    conn.execute(
        compose("features/clear_partitions", view_table=view_table, entity_key=entity_key,
                variant_filter=view.variant_filter()),
        params,
    )
    return conn.execute(
        compose(
            "features/write_partitions",
            view_table=view_table,
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            view_query=view.query(),
        ),
        params,
    ).rowcount


def write_with_late_changes(
    conn: psycopg.Connection,
    view: FeatureView,
    first_day: str,
    last_day: str,
    run_id: str | None = None,
    variant: str = "",
) -> tuple[str, int, int]:
    """Write [first_day, last_day], then the pending late days of the entities they touch (in
    the caller's transaction, which holds the view's `lock_relation`), and fingerprint every day
    written; return the first day written, the rows, and the entities recomputed for late
    changes. A view with variants writes one per call; each applies the late changes itself."""
    view_table = sql.Identifier("features", view.name)
    columns = [column.name for column in table_columns(conn, "features", view.name)]
    # The windows sort entities x days; let that happen in memory rather than on disk.
    conn.execute("set local work_mem = '256MB'")
    late = late_work(conn, view_table, view, first_day, variant)
    mark_applied(conn, view, last_day)
    rows = write_days(conn, view, view_table, columns, first_day, last_day, variant=variant)
    if late is not None:
        rows += write_days(conn, view, view_table, columns, late.first_day, late.last_day,
                           late.entities, variant)
    first_written = late.first_day if late is not None else first_day
    fingerprint_days(conn, view, first_written, last_day, run_id, variant)
    return first_written, rows, len(late.entities) if late is not None else 0


def fingerprint_days(
    conn: psycopg.Connection,
    view: FeatureView,
    first_day: str,
    last_day: str,
    run_id: str | None,
    variant: str = "",
) -> None:
    """Record what each day of [first_day, last_day] holds now (`features.day_fingerprints`):
    checks are recorded against it and datasets note the fingerprints they read, so evidence is
    tied to rows, not to the code that wrote them. Row text is pinned, so the same rows always
    give the same fingerprint."""
    pin_row_text(conn)
    conn.execute(
        compose("features/fingerprint_days", view_table=sql.Identifier("features", view.name),
                entity_key=sql.Identifier(view.entity_key),
                variant_filter=view.variant_filter("f")),
        {"view_name": view.name, "variant": variant, "first_day": first_day,
         "last_day": last_day, "run_id": run_id},
    )


def record_day_checks(
    conn: psycopg.Connection,
    view: FeatureView,
    first_day: str,
    last_day: str,
    results: list[dg.AssetCheckResult],
    run_id: str,
    variant: str = "",
) -> None:
    """Record each check result on each day of the range, on that day's fingerprint. Call while
    still holding the view's lock taken for the write, so the fingerprint is the rows checked."""
    conn.execute(
        load_sql("features/record_day_checks"),
        {
            "view_name": view.name, "variant": variant, "first_day": first_day,
            "last_day": last_day, "run_id": run_id,
            "check_names": [r.check_name for r in results],
            "blocking": [r.severity == dg.AssetCheckSeverity.ERROR for r in results],
            "passed": [r.passed for r in results],
        },
    )

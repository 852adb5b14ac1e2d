"""Build one training dataset: labels, point-in-time features, split, table, checks, snapshot,
registry.

`build_dataset` is the whole build, callable with a plain connection (the Dagster asset is a thin
wrapper), so notebooks and tests can run it outside Dagster. It holds the task's lock throughout
and runs in two transactions: the first, at REPEATABLE READ, builds the new table beside the old
one from one snapshot of labels and features, fingerprints and versions it and writes its
Parquet snapshot; then the dataset's blocking checks run on exactly that table (GX reads it over
its own connection, so it is committed first, under a build name nothing else reads) and are
recorded under its version; the second transaction swaps it in and registers it. A crash before
the swap leaves the previous table and registry untouched (the next build drops the leftover
build table; a snapshot written is keyed by a version never published, and reused by a later
build of the same rows). Rows whose label window reaches into the next split are purged (see
`platform_assets.training.split`).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from platform_assets.db.catalog import table_columns
from platform_assets.db.locks import holding_relation
from platform_assets.db.sql import compose, identifier, load_sql, pin_row_text, table
from platform_assets.features.views import FeatureView
from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.checks import checked_dataset
from platform_assets.training.pit import joined_view, pit_join
from platform_assets.training.snapshot import read_arrow, write_parquet
from platform_assets.training.split import SPLITS, purge_summary, split_cutoffs
from platform_assets.training.tasks import LABEL_FRAGMENTS, Task
from platform_assets.training.versions import (
    code_version,
    current_variant,
    dataset_version,
    feature_view_version,
)

SCHEMA = "training"
_LABELS = sql.Identifier("_training_labels")
_STATS = ("row_count", "positives", "zeros", "mean", "std", "min", "max")


@dataclass(frozen=True)
class Window:
    """The as-of dates to label; a bound left unset defaults to the data (`resolve_window`)."""

    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class DatasetBuild:
    """What a build published: enough to report it and to find its rows again."""

    task: str
    version: str
    table: str
    window: tuple[date, date]
    row_count: int
    split_counts: dict[str, int]
    label_balance: dict
    feature_views: dict[str, str]
    parquet_path: Path
    run_id: str | None
    horizon: timedelta  # each label looks at (label_ts, label_ts + horizon]
    purge: dict  # the cutoffs, whether the purge ran, rows purged per split (`purge_summary`)
    registered: bool  # False: this version was registered before (same rows, same snapshot)
    snapshot_written: bool  # False: the snapshot of this version existed already and was kept
    timings_s: dict[str, float] = field(default_factory=dict)
    checks: list[dg.AssetCheckResult] = field(default_factory=list)  # on exactly these rows


def build_dataset(
    conn: psycopg.Connection,
    task: Task,
    window: Window,
    run_id: str | None,
    store: ArtifactStore,
    *,
    purge: bool = True,
    checks_url: str | None = None,
) -> DatasetBuild:
    """Build, check, snapshot, publish and register `training.<task>` for `window`.

    `conn` must be in autocommit mode (as `PostgresResource.connect()` gives it). With
    `checks_url` (the platform database's URL, for GX), the dataset's checks run on the built
    rows before they are published and are recorded under their version. `purge=False` keeps the
    rows whose label windows overlap the next split's (the `split_purged` check then fails):
    only for comparisons and tests.
    """
    timings: dict[str, float] = {}
    build = table(SCHEMA, build_name(task))
    checks: list[dg.AssetCheckResult] = []
    with holding_relation(conn, task.table):
        with conn.transaction():
            # One snapshot for the labels, the features joined and the versions read.
            conn.execute("set transaction isolation level repeatable read")
            pin_row_text(conn)  # the COPY snapshot and the fingerprint alike
            resolved = resolve_window(conn, task, window)
            with _timed(timings, "labels_s"):
                label_counts = _create_labels(conn, task, resolved)
            variants = {view.name: current_variant(conn, view) for view in task.views}
            with _timed(timings, "pit_join_s"):
                purged = _build_table(conn, task, build, label_counts, purge, variants)
            views = {view.name: feature_view_version(conn, view) for view in task.views}
            count, row_hash = conn.execute(compose("training/fingerprint", table=build)).fetchone()
            version = dataset_version(code_version(task), resolved, views, (count, row_hash))
            _record_inputs(conn, task, version, build, variants)
            with _timed(timings, "snapshot_s"):
                path, written = _snapshot(conn, task, build, version, views, store)
            split_counts, balance = _statistics(conn, task, build)
        if checks_url is not None:
            with _timed(timings, "checks_s"):
                checks = checked_dataset(task, build_name(task)).run(
                    conn, checks_url, {}, partition_key=None, run_id=run_id or "",
                    data_version=version,
                )
        with conn.transaction():
            _swap(conn, task, version, run_id)
            _comment_columns(conn, task)
            registered = _register(
                conn, task, version, count, split_counts, balance, views, path, run_id, purged
            )
    return DatasetBuild(
        task=task.name,
        version=version,
        table=task.table,
        window=resolved,
        row_count=count,
        split_counts=split_counts,
        label_balance=balance,
        feature_views=views,
        parquet_path=path,
        run_id=run_id,
        horizon=task.horizon,
        purge=purged,
        registered=registered,
        snapshot_written=written,
        timings_s=timings,
        checks=checks,
    )


def resolve_window(conn: psycopg.Connection, task: Task, window: Window) -> tuple[date, date]:
    """Fill unset bounds from the data: from the first as-of date any of the task's views has
    rows for, to the last one with feature rows and a fully observed label horizon."""
    first, last = window.first, window.last
    if first is None or last is None:
        extents = [_feature_extent(conn, view) for view in task.views]
        firsts = [e[0] for e in extents if e[0] is not None]
        lasts = [e[1] for e in extents if e[1] is not None]
        if not firsts:
            raise ValueError(f"{task.name}: no feature rows in {[v.table for v in task.views]}")
        observed = conn.execute(
            compose("training/last_observed_label_date",
                    observed_horizon=compose(LABEL_FRAGMENTS["observed_horizon"])),
            {"horizon": task.horizon},
        ).fetchone()[0]
        if observed is None:
            raise ValueError(f"{task.name}: staging.service_events is empty, nothing is observed")
        first = first or min(firsts)
        last = last or min(max(lasts), observed)
    if first > last:
        raise ValueError(f"{task.name}: empty window {first}..{last}")
    return first, last


def build_name(task: Task) -> str:
    """The table a build writes before it is swapped in under the task's name."""
    return identifier(f"{task.name}__build")


def _feature_extent(conn: psycopg.Connection, view: FeatureView) -> tuple:
    statement = compose("training/feature_extent", view_table=table("features", view.name))
    return conn.execute(statement).fetchone()


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - started, 3)


def _create_labels(
    conn: psycopg.Connection, task: Task, window: tuple[date, date]
) -> dict[datetime, int]:
    """Label the window into a transaction-local table; return its label times and counts."""
    query = task.label_query()
    params = {
        "first_date": window[0],
        "last_date": window[1],
        "grid": task.grid,
        "horizon": task.horizon,
    }
    conn.execute(compose("training/labels_table", labels=_LABELS, query=query), params)
    conn.execute(sql.SQL("analyze {}").format(_LABELS))
    return dict(conn.execute(compose("training/label_dates", labels=_LABELS)).fetchall())


def _build_table(
    conn: psycopg.Connection,
    task: Task,
    build: sql.Identifier,
    label_counts: dict[datetime, int],
    purge: bool,
    variants: dict[str, str],
) -> dict:
    """The joined, split and purged rows in the build table, keyed by (entity, label_ts).

    Returns what the purge did (`purge_summary`): the cutoffs come from the distinct label
    times before the purge, so it drops rows but never moves a date to another split.
    """
    views = [joined_view(conn, view, variants[view.name]) for view in task.views]
    statement, params = pit_join(
        task.entity_key, views, _LABELS, build, purge_horizon=task.horizon if purge else None
    )
    cutoffs = split_cutoffs(label_counts)
    params |= {"valid_from": cutoffs.valid_from, "test_from": cutoffs.test_from}
    conn.execute(sql.SQL("drop table if exists {}").format(build))
    conn.execute(statement, params)
    conn.execute(
        compose(
            "training/add_key",
            table=build,
            constraint=sql.Identifier(_key_name(build_name(task))),
            entity_key=sql.Identifier(identifier(task.entity_key)),
        )
    )
    return purge_summary(label_counts, cutoffs, task.horizon, purge)


def _record_inputs(
    conn: psycopg.Connection, task: Task, version: str, build, variants: dict[str, str]
) -> None:
    """Note, per view, the days the build joined and their fingerprints in this snapshot: the
    gate requires check evidence on exactly these rows."""
    for view in task.views:
        conn.execute(
            compose("training/dataset_inputs", build=build,
                    feature_ts=sql.Identifier(identifier(f"{view.name}__feature_ts"))),
            {"task": task.name, "version": version, "view_name": view.name,
             "variant": variants[view.name]},
        )


def _key_name(name: str) -> str:
    return identifier(f"{name}_pkey")


def snapshot_path(store: ArtifactStore, task: Task, version: str) -> Path:
    return store.path("datasets", task.name, f"{version}.parquet")


def _snapshot(
    conn: psycopg.Connection,
    task: Task,
    build: sql.Identifier,
    version: str,
    views: dict[str, str],
    store: ArtifactStore,
) -> tuple[Path, bool]:
    """Write the Parquet snapshot of this version unless it exists (same version, same rows)."""
    path = snapshot_path(store, task, version)
    if path.exists():
        return path, False
    columns = table_columns(conn, SCHEMA, build_name(task))
    query = compose(
        "training/snapshot_rows",
        table=build,
        entity_key=sql.Identifier(identifier(task.entity_key)),
    )
    data = read_arrow(conn, query, columns)
    metadata = {
        "dataset_version": version,
        "task": task.name,
        "feature_views": views,
        "columns": [[c.name, c.type, c.not_null] for c in columns],
    }
    with store.new_file("datasets", task.name, f"{version}.parquet") as temp:
        write_parquet(data, temp, metadata)
    return path, True


def _swap(conn: psycopg.Connection, task: Task, version: str, run_id: str | None) -> None:
    # DDL takes no bound parameters, so the comment is a quoted literal made by psycopg.
    comment = f"{task.description} Dataset version {version}, run {run_id}."
    conn.execute(
        compose(
            "training/swap",
            target=table(SCHEMA, task.name),
            build=table(SCHEMA, build_name(task)),
            new_name=sql.Identifier(identifier(task.name)),
            build_key=sql.Identifier(_key_name(build_name(task))),
            key=sql.Identifier(_key_name(task.name)),
            comment=sql.Literal(comment),
        )
    )


def _comment_columns(conn: psycopg.Connection, task: Task) -> None:
    """Describe every column of the published table, so the data dictionary covers it."""
    rows = conn.execute(
        load_sql("training/column_comments"),
        {"table": task.table, "entity_key": task.entity_key, "label_comment": task.description},
    ).fetchall()
    for column, comment in rows:  # one statement per column: COMMENT takes no parameters
        conn.execute(
            sql.SQL("comment on column {}.{} is {}").format(
                table(SCHEMA, task.name), sql.Identifier(column), sql.Literal(comment)
            )
        )


def _register(
    conn: psycopg.Connection,
    task: Task,
    version: str,
    row_count: int,
    split_counts: dict[str, int],
    balance: dict,
    views: dict[str, str],
    path: Path,
    run_id: str | None,
    purge: dict,
) -> bool:
    params = {
        "task": task.name,
        "version": version,
        "row_count": row_count,
        "split_counts": Jsonb(split_counts),
        "label_balance": Jsonb(balance),
        "feature_views": Jsonb(views),
        "parquet_path": str(path),
        "run_id": run_id,
        "horizon": task.horizon,
        "purge": Jsonb(purge),
    }
    return conn.execute(load_sql("training/record_dataset"), params).fetchone() is not None


def _statistics(
    conn: psycopg.Connection, task: Task, target: sql.Identifier
) -> tuple[dict[str, int], dict]:
    """Rows per split, and the label balance: class counts, or the distribution for regression."""
    rows = conn.execute(compose("training/label_stats", table=target)).fetchall()
    stats = {row[0]: dict(zip(_STATS, row[1:], strict=True)) for row in rows}
    overall = stats.pop(None, dict.fromkeys(_STATS, 0))
    split_counts = {split: stats.get(split, {}).get("row_count", 0) for split in SPLITS}
    by_split = {split: stats[split] for split in SPLITS if split in stats}
    if task.kind == "classification":
        balance = _class_balance(overall)
        balance["by_split"] = {split: _class_balance(s) for split, s in by_split.items()}
    else:
        balance = _distribution(overall)
        balance["by_split"] = {split: _distribution(s) for split, s in by_split.items()}
    return split_counts, balance


def _class_balance(stats: dict) -> dict:
    rows, positives = stats["row_count"], stats["positives"]
    return {
        "positive": positives,
        "negative": rows - positives,
        "positive_rate": round(positives / rows, 6) if rows else None,
    }


def _distribution(stats: dict) -> dict:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    rows = stats["row_count"]
    return {
        "rows": rows,
        **{key: rounded(stats[key]) for key in ("mean", "std", "min", "max")},
        "zero_rate": round(stats["zeros"] / rows, 6) if rows else None,
    }

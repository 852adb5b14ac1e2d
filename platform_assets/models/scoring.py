"""The rows a model scores: entities as of a date, joined point in time exactly as in training.

Scoring reuses the training join (`training.pit.pit_join`) over a labels table whose labels are
unknown, so a feature reaches the model at serving time through the same SQL, with the same
ttl and the same column names, as it did in training.
"""

from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd
import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import compose, identifier, table
from platform_assets.training.pit import joined_view, pit_join
from platform_assets.training.snapshot import read_arrow
from platform_assets.training.tasks import Task
from platform_assets.training.versions import current_variant

_LABELS = sql.Identifier("_scoring_labels")
_ROWS = "_scoring_rows"


def scoring_frame(
    conn: psycopg.Connection,
    task: Task,
    first_as_of: date,
    last_as_of: date | None = None,
    variants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per as-of date in [first_as_of, last_as_of] and entity of the task's first view
    with features of the day before, with every view's columns as of noon UTC of that date.
    `variants`: the variant to read of each view that has them (unset: the current ones)."""
    variants = {**{v.name: current_variant(conn, v) for v in task.views}, **(variants or {})}
    primary = task.views[0]
    with conn.transaction():
        conn.execute("set local timezone = 'UTC'")
        conn.execute(
            compose(
                "models/scoring_entities",
                labels=_LABELS,
                entity_key=sql.Identifier(identifier(task.entity_key)),
                view_table=table("features", primary.name),
            ),
            {"first_as_of": first_as_of, "last_as_of": last_as_of or first_as_of},
        )
        target = sql.Identifier("pg_temp", _ROWS)
        statement, params = pit_join(
            task.entity_key, [joined_view(conn, v, variants[v.name]) for v in task.views],
            _LABELS, target,
        )
        conn.execute(sql.SQL("drop table if exists {}").format(target))
        conn.execute(statement, params | {"valid_from": None, "test_from": None})
        columns = table_columns(conn, "pg_temp", _ROWS)
        data = read_arrow(conn, sql.SQL("select * from {}").format(target), columns)
        conn.execute(sql.SQL("drop table {}").format(target))
    return data.to_pandas()


def latest_as_of(conn: psycopg.Connection, task: Task) -> date | None:
    """The latest date with features to score: the day after the first view's newest day."""
    row = conn.execute(
        compose("training/feature_extent", view_table=table("features", task.views[0].name))
    ).fetchone()
    return row[1]


def as_of_for_partition(day: str) -> date:
    """A daily partition D is scored as of D + 1: D's features exist once D has ended."""
    return date.fromisoformat(day) + timedelta(days=1)

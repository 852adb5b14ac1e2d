"""Versions: of a feature view (code + schema), of a task's code, and of a built dataset.

A dataset version is a content hash of everything that decides its rows: the code (SQL texts and
the task spec), the resolved window, the versions of the feature views it read and a fingerprint
of the rows themselves. The same inputs and code give the same version; an input change that
changes any built row gives another.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import date

import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import load_sql
from platform_assets.features.registry import view_version
from platform_assets.features.views import FeatureView
from platform_assets.training.split import SPLIT_FRACTIONS
from platform_assets.training.tasks import LABEL_FRAGMENTS, Task

# The SQL that shapes a dataset's rows (statistics and bookkeeping SQL do not).
ROW_SQL = ("training/labels_table", "training/pit_join", "training/pit_view")


def _digest(payload: object, length: int) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def compute_feature_view_version(conn: psycopg.Connection, view: FeatureView) -> str:
    """The version the feature assets register: `features.registry.view_version` (SQL, schema,
    ttl). A view without `sql/features/<name>.sql` (defined elsewhere, or a test's) is versioned
    by its schema and ttl alone."""
    try:
        return view_version(conn, view)
    except FileNotFoundError:
        columns = [[c.name, c.type] for c in table_columns(conn, "features", view.name)]
        return _digest({"sql": None, "columns": columns, "ttl": str(view.ttl)}, 16)


def feature_view_version(conn: psycopg.Connection, view: FeatureView) -> str:
    """The version of the data in the view's table: its newest `features.registry` row (what
    the last materialization wrote), else computed from its code and schema now."""
    row = conn.execute(load_sql("training/registry_version"), {"view_name": view.name}).fetchone()
    return row[0] if row else compute_feature_view_version(conn, view)


def current_variant(conn: psycopg.Connection, view: FeatureView) -> str:
    """The variant a new dataset joins: the one of the view's newest registered version ('' for
    a view without variants)."""
    if view.variant_column is None:
        return ""
    row = conn.execute(load_sql("training/registry_version"), {"view_name": view.name}).fetchone()
    if row is not None and row[1]:
        return row[1]
    # Never registered (rows written outside the asset): the table's one variant, if one.
    held = conn.execute(
        sql.SQL("select distinct {} from {} limit 2").format(
            sql.Identifier(view.variant_column), sql.Identifier("features", view.name)
        )
    ).fetchall()
    if len(held) > 1:
        raise LookupError(f"features.{view.name} holds several variants and none is registered")
    return held[0][0] if held else ""


def version_variant(
    conn: psycopg.Connection, view: FeatureView, version: str
) -> tuple[str, date | None] | None:
    """The variant one registered version reads and the last day its rows reach, or None."""
    row = conn.execute(
        load_sql("training/registry_variant"), {"view_name": view.name, "version": version}
    ).fetchone()
    return (row[0], row[1]) if row else None


def code_version(task: Task) -> str:
    """Changes when the SQL behind the rows (the label query and the fragments composed into
    it included), the task spec or the split fractions change."""
    names = (task.label_sql, *LABEL_FRAGMENTS.values(), *ROW_SQL)
    sql_texts = {name: load_sql(name) for name in names}
    return _digest({"task": task.spec(), "split": SPLIT_FRACTIONS, "sql": sql_texts}, 12)


def dataset_version(
    code: str,
    window: tuple[date, date],
    feature_views: Mapping[str, str],
    fingerprint: tuple[int, str],
) -> str:
    return _digest(
        {
            "code": code,
            "window": [d.isoformat() for d in window],
            "feature_views": dict(feature_views),
            "rows": list(fingerprint),
        },
        16,
    )


def trained_variants(
    conn: psycopg.Connection, task: Task, feature_views: Mapping[str, str]
) -> dict[str, str]:
    """The variant each view with variants had in the versions a dataset (or model) read."""
    found = {}
    for view in task.views:
        if view.variant_column and (kept := version_variant(conn, view, feature_views.get(
                view.name, ""))):
            found[view.name] = kept[0]
    return found

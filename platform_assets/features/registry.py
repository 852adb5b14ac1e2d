"""Feature view versions and the `features.registry` rows that record them."""

import hashlib
import json

import psycopg
from psycopg import sql

from platform_assets.db.sql import compose, load_sql
from platform_assets.features.views import KEY_COLUMNS, FeatureView


def view_columns(conn: psycopg.Connection, view: FeatureView) -> list[tuple[str, str]]:
    """(column, type) of the view's table, in table order."""
    return conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
        " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped"
        " order by a.attnum",
        (view.table,),
    ).fetchall()


def feature_columns(conn: psycopg.Connection, view: FeatureView) -> dict[str, str]:
    """The feature columns (not the key, feature_ts or source_max_ts) with their types."""
    skip = {view.entity_key, *KEY_COLUMNS}
    return {name: type_ for name, type_ in view_columns(conn, view) if name not in skip}


def view_version(
    conn: psycopg.Connection, view: FeatureView, sql_name: str | None = None, extra: str = ""
) -> str:
    """A hash of what defines the view's rows: its SQL, its schema, its ttl, and `extra` for
    views whose rows depend on more (the topic view's k-means fit)."""
    digest = hashlib.sha256(load_sql(sql_name or f"features/{view.name}").encode())
    digest.update(json.dumps(view_columns(conn, view)).encode())
    digest.update(str(view.ttl).encode())
    digest.update(extra.encode())
    return digest.hexdigest()[:16]


def register(
    conn: psycopg.Connection,
    view: FeatureView,
    code_version: str,
    quality_score: float | None,
    sql_name: str | None = None,
    extra: str = "",
) -> str:
    """Upsert the view's registry row (size, freshness, schema); return its version."""
    version = view_version(conn, view, sql_name, extra)
    conn.execute(
        compose("features/register", view_table=sql.Identifier("features", view.name)),
        {
            "view_name": view.name,
            "version": version,
            "entity_key": view.entity_key,
            "ttl": view.ttl,
            "feature_columns": json.dumps(feature_columns(conn, view)),
            "source_tables": list(view.source_tables),
            "code_version": code_version,
            "quality_score": quality_score,
        },
    )
    return version

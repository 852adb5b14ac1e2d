"""Feature view versions and the `features.registry` rows that record them."""

import hashlib
import json

import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import compose
from platform_assets.features.views import FeatureView


def feature_columns(conn: psycopg.Connection, view: FeatureView) -> dict[str, str]:
    """The feature columns (not the key, feature_ts or source_max_ts) with their types."""
    skip = set(view.meta_columns)
    return {name: type_ for name, type_ in _column_types(conn, view) if name not in skip}


def view_version(conn: psycopg.Connection, view: FeatureView, variant: str = "") -> str:
    """A hash of what defines the view's rows: its SQL, its schema, its ttl, and the variant for
    a view whose rows depend on more (the topic view's k-means fit)."""
    digest = hashlib.sha256(view.query_text().encode())
    digest.update(json.dumps(_column_types(conn, view)).encode())
    digest.update(str(view.ttl).encode())
    digest.update(variant.encode())
    return digest.hexdigest()[:16]


def register(
    conn: psycopg.Connection,
    view: FeatureView,
    code_version: str,
    quality_score: float | None,
    variant: str = "",
) -> str:
    """Upsert the view's registry row (size, freshness, schema: of the variant's rows alone, for
    a view with variants); return its version. The row registered last is the current one."""
    version = view_version(conn, view, variant)
    conn.execute(
        compose("features/register", view_table=sql.Identifier("features", view.name),
                variant_filter=view.variant_filter()),
        {
            "variant": variant,
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


def _column_types(conn: psycopg.Connection, view: FeatureView) -> list[list[str]]:
    return [[c.name, c.type] for c in table_columns(conn, "features", view.name)]

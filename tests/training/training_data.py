"""Small, explicit histories for the training tests: staging facts and feature rows via SQL/COPY.

Feature rows are written straight into `features.*` (the feature assets are not needed): a test
names the columns it cares about and every other not-null column gets a neutral default.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from platform_assets.db.bulk import copy_arrow
from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import table
from platform_assets.features.views import FeatureView

ORG = uuid.UUID(int=999_999)
# Staging tables that keep every version: a row written here is also its only version.
_WITH_HISTORY = {"organizations", "customers", "bins", "vehicles", "routes"}
_DEFAULTS = {"text": "standard", "integer": 0, "smallint": 0, "double precision": 0.0}


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def ts(text: str) -> datetime:
    """A UTC timestamp from 'YYYY-MM-DD[ HH:MM[:SS]]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _staging_row(conn: psycopg.Connection, name: str, values: dict) -> None:
    stamp = values.get("created_at", ts("2025-01-01"))
    row = {
        "organization_id": ORG,
        "updated_at": stamp,
        "partition_key": "2025-01-01",
        "load_id": "test",
        "staged_at": stamp,
        **values,
    }
    targets = [(name, row)]
    if name in _WITH_HISTORY:  # one version, standing for the row since its creation
        first = min(row.get("created_at", row["updated_at"]), row["updated_at"])
        targets.append((f"{name}_history", row | {"valid_from": first}))
    for target, values in targets:
        conn.execute(
            sql.SQL("insert into {} ({}) values ({})").format(
                table("staging", target),
                sql.SQL(", ").join(map(sql.Identifier, values)),
                sql.SQL(", ").join(map(sql.Placeholder, values)),
            ),
            values,
        )


def add_customer(conn, n: int, created: str, churned: str | None = None) -> uuid.UUID:
    _staging_row(
        conn,
        "customers",
        {
            "id": uid(n),
            "service_tier": "standard",
            "status": "churned" if churned else "active",
            "churned_at": ts(churned) if churned else None,
            "created_at": ts(created),
            "updated_at": ts(churned or created),
        },
    )
    return uid(n)


def add_vehicle(conn, n: int, created: str, status: str = "active") -> uuid.UUID:
    _staging_row(conn, "vehicles", {"id": uid(n), "status": status, "created_at": ts(created)})
    return uid(n)


def add_bin(
    conn, n: int, customer: uuid.UUID, created: str, removed: str | None = None
) -> uuid.UUID:
    _staging_row(
        conn,
        "bins",
        {
            "id": uid(n),
            "customer_id": customer,
            "bin_type": "general",
            "capacity_liters": 240,
            "status": "removed" if removed else "active",
            "created_at": ts(created),
            "updated_at": ts(removed or created),
        },
    )
    return uid(n)


def add_event(conn, n: int, event_type: str, at: str, **refs) -> None:
    """A service event; `refs` sets customer_id, bin_id, vehicle_id or weight_kg."""
    _staging_row(
        conn,
        "service_events",
        {"id": uid(n), "event_type": event_type, "service_date": ts(at), "created_at": ts(at)}
        | refs,
    )


def observe_until(conn, at: str) -> None:
    """Make `at` the latest service_date in staging (what the label horizons are checked on)."""
    add_event(conn, 10**9, "complaint", at)


def insert_features(conn: psycopg.Connection, view: FeatureView, frame: pd.DataFrame) -> int:
    """COPY `frame` into the view's table, filling the other not-null columns with defaults."""
    data = frame.copy()
    for column in table_columns(conn, "features", view.name):
        if column.name not in data and column.not_null:
            data[column.name] = _DEFAULTS[column.type]
    for key in (view.entity_key,):
        data[key] = data[key].astype(str)
    return copy_arrow(
        conn, table("features", view.name), pa.Table.from_pandas(data, preserve_index=False)
    )


def daily_rows(entities: list[uuid.UUID], first: str, days: int, key: str) -> pd.DataFrame:
    """One row per entity and day, feature_ts at the end of the day, as the feature assets write."""
    start = ts(first)
    rows = [
        {
            key: e,
            "feature_ts": start + timedelta(days=d + 1),
            "source_max_ts": start + timedelta(days=d, hours=20),
        }
        for e in entities
        for d in range(days)
    ]
    return pd.DataFrame(rows)

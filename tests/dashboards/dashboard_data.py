"""Rows written straight into the tables the dashboard views read, and a way to run them."""

import json
import uuid
from datetime import UTC, datetime

import dagster as dg

from platform_assets.dashboards.assets import dashboard_assets
from platform_assets.monitoring.assets import monitoring_assets

LOAD = {"partition_key": "2026-06-01", "load_id": "test-load"}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_event(conn, org: uuid.UUID, event_type: str, when: str, weight=None, fill=None) -> None:
    conn.execute(
        "insert into staging.service_events (id, organization_id, event_type, service_date,"
        " weight_kg, fill_level_pct, created_at, updated_at, partition_key, load_id, staged_at)"
        " values (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
        (org, event_type, ts(when), weight, fill, ts(when), ts(when), LOAD["partition_key"],
         LOAD["load_id"]),
    )


def add_model(conn, name: str, version: int, model_type: str) -> uuid.UUID:
    return conn.execute(
        "insert into ml.models (model_name, model_version, model_type, training_data_version,"
        " artifact_path, artifact_sha256, artifact_size_bytes)"
        " values (%s, %s, %s, 'v1', '/dev/null', repeat('a', 64), 1) returning id",
        (name, version, model_type),
    ).fetchone()[0]


def add_prediction(conn, model_id, task: str, day: str, score: float, label=None,
                   threshold: float = 0.5) -> None:
    known = label is not None
    conn.execute(
        "insert into ml.predictions (model_id, prediction_type, entity_type, entity_id,"
        " partition_key, prediction_timestamp, input_feature_hash, prediction_result,"
        " actual_outcome, prediction_error, prediction_accuracy)"
        " values (%s, %s, 'customer', gen_random_uuid(), %s, %s, 'h', %s, %s, %s, %s)",
        (
            model_id, task, day, ts(f"{day}T12:00:00"), json.dumps({"score": score}),
            json.dumps({"label": label}) if known else None,
            score - label if known else None,
            int((score >= threshold) == (label == 1)) if known else None,
        ),
    )


def add_check(conn, asset_key: str, when: str, passed: bool) -> None:
    conn.execute(
        "insert into quality.check_results (asset_key, check_name, passed, severity, checked_at)"
        " values (%s, 'c', %s, 'ERROR', %s)",
        (asset_key, passed, ts(when)),
    )


def add_rejected(conn, table: str, when: str, reason: str) -> None:
    conn.execute(
        "insert into quality.rejected_rows (source_table, reason, raw_row, partition_key, run_id,"
        " rejected_at) values (%s, %s, '{}', '2026-06-01', 'r', %s)",
        (table, reason, ts(when)),
    )


def add_audit(conn, when: datetime, status: str = "success", duration_ms: int = 10) -> None:
    conn.execute(
        "insert into ml.audit_log (operation_type, actor, status, duration_ms, logged_at)"
        " values ('training', 'test', %s, %s, %s)",
        (status, duration_ms, when),
    )


def run(postgres, assets=None) -> dict[str, dict]:
    """Materialize the dashboards (and the db_stats snapshot) in one run; metadata per key."""
    result = dg.materialize(
        assets or [*monitoring_assets, *dashboard_assets],
        resources={"postgres": postgres},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    return {
        event.asset_key.to_user_string(): {
            name: value.value for name, value in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }

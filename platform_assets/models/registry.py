"""The model registry in `ml.models`: register, look up, promote, retire, roll back, audit.

Every change of deployment status runs in one transaction under a per-name advisory lock, and
the database's partial unique index guarantees one production version per name even for a
writer that skips the lock. Each change writes its `ml.audit_log` rows in the same transaction:
a promotion is never visible without its audit record, nor the other way round.
"""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from platform_assets.db.locks import lock_relation
from platform_assets.db.sql import identifier, load_sql

STATUSES = ("training", "staging", "production", "retired", "rolled_back", "denied")
# Taken out of production by a rollback, or rejected by a person: the gate promotes these again
# only when forced with a reason.
REFUSED = ("rolled_back", "denied")
# The gate rules a staging version must have passed in its latest decision to be scored in the
# shadow of production: everything but the comparison with production and drift, the two rules
# live outcomes can settle.
CHALLENGER_RULES = ("promotable", "artifact_verified", "lineage_checks", "metric_floor")


class RegistryError(RuntimeError):
    """A registry operation that cannot be done as asked (unknown version, nothing to roll
    back to); the message says why."""


@dataclass(frozen=True)
class ModelRow:
    id: uuid.UUID
    model_name: str
    model_version: int
    model_type: str
    model_config: dict
    deployment_status: str
    training_data_version: str
    feature_set_version: dict
    hyperparameters: dict
    training_metrics: dict
    validation_metrics: dict
    test_metrics: dict
    artifact_path: str
    artifact_sha256: str
    artifact_size_bytes: int
    rollback_model_id: uuid.UUID | None
    run_id: str | None
    created_at: datetime
    deployed_at: datetime | None

    @property
    def label(self) -> str:
        return f"{self.model_name} v{self.model_version}"


def _select(conn: psycopg.Connection, where: str, params: dict) -> ModelRow | None:
    query = sql.SQL(load_sql("models/model_columns")) + sql.SQL(" " + where)
    with conn.cursor(row_factory=class_row(ModelRow)) as cursor:
        return cursor.execute(query, params).fetchone()


def get(conn: psycopg.Connection, model_id: uuid.UUID | str) -> ModelRow:
    row = _select(conn, "where id = %(id)s", {"id": model_id})
    if row is None:
        raise RegistryError(f"no model with id {model_id}")
    return row


def by_version(conn: psycopg.Connection, name: str, version: int) -> ModelRow:
    row = _select(
        conn,
        "where model_name = %(name)s and model_version = %(version)s",
        {"name": validate_name(name), "version": version},
    )
    if row is None:
        raise RegistryError(f"{name} has no version {version}")
    return row


def by_fingerprint(
    conn: psycopg.Connection, name: str, dataset_version: str, fingerprint: str
) -> ModelRow | None:
    """The version trained by the same code and config on the same dataset version: training
    again would give the same model, so the registry keeps the first."""
    return _select(
        conn,
        "where model_name = %(name)s and training_data_version = %(dataset)s"
        " and model_config ->> 'fingerprint' = %(fingerprint)s order by model_version limit 1",
        {"name": name, "dataset": dataset_version, "fingerprint": fingerprint},
    )


def production(conn: psycopg.Connection, name: str) -> ModelRow | None:
    return _select(
        conn,
        "where model_name = %(name)s and deployment_status = 'production'",
        {"name": validate_name(name)},
    )


def challengers(conn: psycopg.Connection, name: str, limit: int) -> list[ModelRow]:
    """The staging versions scored beside production every night, newest first: their latest
    gate decision passed `CHALLENGER_RULES`, so only the comparison with production (or drift)
    kept them out, and live outcomes on the same entities are the evidence that can settle it."""
    rows = conn.execute(
        load_sql("models/challengers"),
        {"model_name": validate_name(name), "required": list(CHALLENGER_RULES), "limit": limit},
    ).fetchall()
    return [get(conn, model_id) for (model_id,) in rows]


def shadowed(conn: psycopg.Connection, name: str) -> list[tuple]:
    """(id, version) of every model that scored `name` as a challenger, newest first."""
    return conn.execute(
        load_sql("models/shadowed_models"), {"task": validate_name(name)}
    ).fetchall()


def latest(conn: psycopg.Connection, name: str) -> ModelRow | None:
    return _select(
        conn,
        "where model_name = %(name)s order by model_version desc limit 1",
        {"name": validate_name(name)},
    )


def validate_name(name: str) -> str:
    """Model names are identifiers (`churn_risk`): they name artifact folders and assets."""
    return identifier(name)


def version_values(spec, trained, saved, dataset, run_id: str | None) -> dict:
    """The `register` values of a model trained by `spec` on `dataset`, saved as `saved`."""
    return {
        "model_name": spec.name,
        "model_type": spec.model_type,
        "model_config": {
            "primary_metric": spec.primary_metric,
            "floor": spec.floor,
            "tolerance": spec.tolerance,
            "psi_threshold": spec.psi_threshold,
            "threshold": spec.threshold,
            "features": trained.bundle.features,
            "train_seconds": trained.train_seconds,
            "fingerprint": trained.fingerprint,
        },
        "hyperparameters": spec.hyperparameters,
        "feature_set_version": dataset.feature_views,
        "training_data_version": dataset.version,
        "training_metrics": trained.metrics["train"],
        "validation_metrics": trained.metrics["valid"],
        "test_metrics": trained.metrics["test"],
        "artifact_path": str(saved.path),
        "artifact_sha256": saved.sha256,
        "artifact_size_bytes": saved.size_bytes,
        "run_id": run_id,
    }


def register(conn: psycopg.Connection, values: dict) -> tuple[ModelRow, bool]:
    """Insert a new staging version unless the same training is registered; (row, is_new)."""
    name = validate_name(values["model_name"])
    with conn.transaction():
        lock_relation(conn, f"ml.models:{name}")
        existing = by_fingerprint(
            conn, name, values["training_data_version"], values["model_config"]["fingerprint"]
        )
        if existing is not None:
            return existing, False
        params = {k: Jsonb(v) if isinstance(v, dict) else v for k, v in values.items()}
        (model_id,) = conn.execute(load_sql("models/insert_model"), params).fetchone()
    return get(conn, model_id), True


def audit(
    conn: psycopg.Connection,
    operation_type: str,
    model_id: uuid.UUID | None,
    actor: str,
    run_id: str | None,
    params: dict | None = None,
    result: dict | None = None,
    status: str = "success",
    duration_ms: int | None = None,
) -> None:
    conn.execute(
        load_sql("models/audit"),
        {
            "operation_type": operation_type,
            "model_id": model_id,
            "actor": actor,
            "run_id": run_id,
            "params": Jsonb(params or {}),
            "result": Jsonb(result or {}),
            "status": status,
            "duration_ms": duration_ms,
        },
    )


def record_decision(
    conn: psycopg.Connection,
    model_id: uuid.UUID,
    promoted: bool,
    reasons: list,
    run_id: str | None,
    actor: str,
    overrides: dict,
) -> None:
    conn.execute(
        load_sql("models/record_decision"),
        {
            "model_id": model_id,
            "decision": "promoted" if promoted else "blocked",
            "reasons": Jsonb(reasons),
            "run_id": run_id,
            "actor": actor,
            "overrides": Jsonb(overrides),
        },
    )


@contextmanager
def locked(conn: psycopg.Connection, name: str) -> Iterator[None]:
    """One transaction holding the name's registry lock."""
    with conn.transaction():
        lock_relation(conn, f"ml.models:{validate_name(name)}")
        yield


def _set_status(conn, model_id, status: str, deployed_at=None, rollback_model_id=None) -> None:
    conn.execute(
        load_sql("models/set_status"),
        {"id": model_id, "status": status, "deployed_at": deployed_at,
         "rollback_model_id": rollback_model_id},
    )


def promote_locked(
    conn: psycopg.Connection, candidate: ModelRow, actor: str, run_id: str | None, params: dict
) -> ModelRow | None:
    """Make `candidate` production and retire the version it replaces; return that version.

    Call inside `locked(conn, candidate.model_name)`, after the decision.
    """
    started = time.perf_counter()
    current = production(conn, candidate.model_name)
    if current is not None and current.id == candidate.id:
        return None
    if current is not None:
        _set_status(conn, current.id, "retired")
        audit(conn, "retirement", current.id, actor, run_id,
              {"replaced_by": str(candidate.id), **params},
              {"from": "production", "to": "retired"})
    now = conn.execute("select now()").fetchone()[0]
    _set_status(conn, candidate.id, "production", deployed_at=now,
                rollback_model_id=current.id if current else None)
    audit(conn, "promotion", candidate.id, actor, run_id,
          {"replaces": str(current.id) if current else None, **params},
          {"from": candidate.deployment_status, "to": "production",
           "model": candidate.label},
          duration_ms=round((time.perf_counter() - started) * 1000))
    return current


def rollback(conn: psycopg.Connection, name: str, actor: str, run_id: str | None = None):
    """Put back the version the current production replaced; mark the current one rolled_back
    (so that re-running the weekly job on the same dataset does not promote it again).

    Returns (restored, retired). One transaction: readers see the old or the new production,
    never none.
    """
    started = time.perf_counter()
    with locked(conn, name):
        current = production(conn, name)
        if current is None:
            raise RegistryError(f"{name} has no production version to roll back")
        if current.rollback_model_id is None:
            raise RegistryError(
                f"{current.label} replaced no earlier production version: nothing to roll back to"
            )
        previous = get(conn, current.rollback_model_id)
        _set_status(conn, current.id, "rolled_back")
        _set_status(conn, previous.id, "production",
                    deployed_at=conn.execute("select now()").fetchone()[0])
        audit(conn, "rollback", previous.id, actor, run_id,
              {"model_name": name, "from_version": current.model_version,
               "to_version": previous.model_version},
              {"restored": previous.label, "rolled_back": current.label},
              duration_ms=round((time.perf_counter() - started) * 1000))
    return get(conn, previous.id), get(conn, current.id)


def deny(
    conn: psycopg.Connection, name: str, version: int, actor: str, reason: str
) -> ModelRow:
    """Reject a candidate: it stays registered (its lineage and decisions are history) but the
    gate will not promote it unless forced with a reason."""
    if not reason or not reason.strip():
        raise RegistryError("a denial needs a reason")
    with locked(conn, name):
        row = by_version(conn, name, version)
        if row.deployment_status == "production":
            raise RegistryError(f"{row.label} is in production: roll it back instead")
        _set_status(conn, row.id, "denied")
        audit(conn, "denial", row.id, actor, None,
              {"model_name": name, "model_version": version, "reason": reason.strip()},
              {"from": row.deployment_status, "to": "denied"})
    return get(conn, row.id)


def decisions(conn: psycopg.Connection, name: str, limit: int = 5) -> list[tuple]:
    """The latest gate decisions on `name`: (version label, decided_at, decision, actor,
    overrides), newest first."""
    return conn.execute(
        load_sql("models/decisions"), {"model_name": validate_name(name), "limit": limit}
    ).fetchall()


def list_models(
    conn: psycopg.Connection, name: str | None = None
) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of `models/list_models`, for one model or all."""
    cursor = conn.execute(
        load_sql("models/list_models"),
        {"model_name": validate_name(name) if name else None},
    )
    headers = [d.name for d in cursor.description]
    return headers, cursor.fetchall()

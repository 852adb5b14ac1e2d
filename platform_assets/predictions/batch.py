"""Batch predictions: score a range of days with the production model and its shadow
challengers, and fill in outcomes.

A daily partition D is scored as of noon UTC of D + 1 with D's features (the moment a nightly
run can know them), through the training join, and written to `ml.predictions` in one
transaction that first removes the range's earlier predictions. Production's rows are role
`champion`; each challenger (`registry.challengers`) scores the same entities as role
`challenger`, so live outcomes compare them on equal terms; production's rows also carry their
top contributing features (`explain.top_features`: exact SHAP values). Outcomes come from the
task's label SQL once the horizon has been observed, so accuracy is measured against the same
definition the model was trained on.
"""

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from platform_assets.db.bulk import copy_arrow
from platform_assets.db.sql import compose, identifier, load_sql
from platform_assets.models import artifact, explain
from platform_assets.models.frames import design
from platform_assets.models.registry import ModelRow
from platform_assets.models.scoring import as_of_for_partition, scoring_frame
from platform_assets.models.specs import ModelSpec
from platform_assets.training.versions import (
    current_variant,
    feature_view_version,
    version_variant,
)

_OUTCOME_LABELS = sql.Identifier("_outcome_labels")


class FeatureSkew(RuntimeError):
    """The production model was trained on feature view versions other than those in the store
    now: scoring it on them would silently change what its inputs mean."""


def check_feature_versions(
    conn: psycopg.Connection, spec: ModelSpec, model: ModelRow, last_day: str | None = None
) -> dict[str, str]:
    """The variant of each view to read for the model: the one it was trained on. Refuses to
    score when a view the model reads is on another version than it trained on, unless the view
    keeps the trained variant's rows beside the new ones (a topic fit after a refit) up to
    `last_day`: then the model reads those, until a model trained on the new one is promoted."""
    trained = model.feature_set_version
    variants: dict[str, str] = {}
    skewed: dict[str, tuple] = {}
    for view in spec.task.views:
        now = feature_view_version(conn, view)
        was = trained.get(view.name)
        kept = version_variant(conn, view, was) if was and view.variant_column else None
        if was == now:
            variants[view.name] = current_variant(conn, view)
        elif kept is not None and (last_day is None or str(kept[1]) >= last_day):
            variants[view.name] = kept[0]
        else:
            skewed[view.name] = (was, now)
    if skewed:
        detail = "; ".join(f"{name}: trained on {was}, the store holds {now}"
                           for name, (was, now) in sorted(skewed.items()))
        raise FeatureSkew(
            f"{model.label} was trained on other feature versions than it would read ({detail}):"
            " not scored. Train and promote a model on the current views (weekly_training), or "
            "roll back the view's change."
        )
    return variants


@dataclass(frozen=True)
class Scored:
    rows: int
    days: int
    inference_ms: float
    explain_ms: float | None
    mean_score: float | None
    outcomes_filled: int
    challengers: dict[str, int] = field(default_factory=dict)  # label -> rows scored
    skipped: dict[str, str] = field(default_factory=dict)  # challenger label -> why not scored


def score_range(
    conn: psycopg.Connection,
    spec: ModelSpec,
    model: ModelRow,
    first_day: str,
    last_day: str,
    challengers: Sequence[ModelRow] = (),
) -> Scored:
    """Replace the predictions of [first_day, last_day] with the production model's (role
    champion) and each challenger's (role challenger), in one transaction.

    Production's feature versions must hold (FeatureSkew otherwise: the night fails loudly); a
    challenger whose views moved on is skipped with the reason, since production still scores.
    Models reading the same view variants share one scoring frame.
    """
    frames: dict[tuple, pd.DataFrame] = {}

    def frame_for(variants: dict[str, str]) -> pd.DataFrame:
        key = tuple(sorted(variants.items()))
        if key not in frames:
            frames[key] = scoring_frame(conn, spec.task, as_of_for_partition(first_day),
                                        as_of_for_partition(last_day), variants)
        return frames[key]

    champion = _score(spec, model, "champion",
                      frame_for(check_feature_versions(conn, spec, model, last_day)))
    shadows, skipped = [], {}
    for challenger in challengers:
        try:
            variants = check_feature_versions(conn, spec, challenger, last_day)
        except FeatureSkew as error:
            skipped[challenger.label] = str(error)
            continue
        shadows.append((challenger, _score(spec, challenger, "challenger", frame_for(variants))))
    with conn.transaction():
        conn.execute(
            load_sql("predictions/clear_predictions"),
            {"task": spec.name, "first_day": first_day, "last_day": last_day},
        )
        target = sql.Identifier("ml", "predictions")
        written = copy_arrow(conn, target, champion.data) if champion.data.num_rows else 0
        shadow_rows = {c.label: copy_arrow(conn, target, s.data) if s.data.num_rows else 0
                       for c, s in shadows}
    filled = fill_outcomes(conn, spec)
    return Scored(
        rows=written,
        days=(date.fromisoformat(last_day) - date.fromisoformat(first_day)).days + 1,
        inference_ms=champion.inference_ms,
        explain_ms=champion.explain_ms,
        mean_score=champion.mean_score,
        outcomes_filled=filled,
        challengers=shadow_rows,
        skipped=skipped,
    )


@dataclass(frozen=True)
class _Scores:
    data: pa.Table
    inference_ms: float
    explain_ms: float | None
    mean_score: float | None


def _score(spec: ModelSpec, model: ModelRow, role: str, frame: pd.DataFrame) -> _Scores:
    """Score `frame`; production's rows (role champion) also get their top contributing
    features, which is what an analyst reads to see why an entity scored as it did."""
    bundle = artifact.load(model.artifact_path, model.artifact_sha256)
    started = time.perf_counter()
    matrix = design(frame, bundle.features, bundle.categories)
    scores = bundle.score(matrix) if len(frame) else np.array([])
    inference_ms = (time.perf_counter() - started) * 1000
    top, explain_ms = None, None
    if role == "champion":
        started = time.perf_counter()
        top = explain.top_features(bundle, matrix)
        explain_ms = round((time.perf_counter() - started) * 1000, 3)
    return _Scores(
        data=_rows(spec, model, role, frame, matrix, scores, inference_ms, top),
        inference_ms=round(inference_ms, 3),
        explain_ms=explain_ms,
        mean_score=round(float(np.mean(scores)), 6) if len(scores) else None,
    )


def _rows(
    spec, model, role: str, frame: pd.DataFrame, matrix, scores, inference_ms, top
) -> pa.Table:
    n = len(frame)
    label_ts = pd.to_datetime(frame["label_ts"], utc=True)
    partition = (label_ts - pd.Timedelta(days=1, hours=12)).dt.strftime("%Y-%m-%d")
    # A hash of the exact feature values scored: equal hashes, equal inputs.
    hashes = pd.util.hash_pandas_object(matrix, index=False).map(lambda h: f"{h:016x}")
    if spec.classifier:
        results = [
            json.dumps({"score": round(float(s), 6), "label": int(s >= spec.threshold)})
            for s in scores
        ]
        confidence = np.round(np.maximum(scores, 1 - scores), 4)
    else:
        results = [json.dumps({"score": round(float(s), 4)}) for s in scores]
        confidence = np.full(n, np.nan)
    return pa.table({
        "model_id": pa.array([str(model.id)] * n, pa.string()),
        "prediction_type": pa.array([spec.name] * n, pa.string()),
        "entity_type": pa.array([spec.task.entity_key.removesuffix("_id")] * n, pa.string()),
        "entity_id": pa.array(frame[spec.task.entity_key].astype(str), pa.string()),
        "partition_key": pa.array(partition, pa.string()),
        "prediction_timestamp": pa.array(label_ts, pa.timestamp("us", tz="UTC")),
        "input_feature_hash": pa.array(hashes, pa.string()),
        "prediction_result": pa.array(results, pa.string()),
        "confidence_score": pa.array(confidence, pa.float64(), from_pandas=True),
        "inference_time_ms": pa.array(np.full(n, inference_ms / max(n, 1)), pa.float64()),
        "role": pa.array([role] * n, pa.string()),
        "top_features": pa.array(top if top is not None else [None] * n, pa.string()),
    })


def fill_outcomes(conn: psycopg.Connection, spec: ModelSpec) -> int:
    """Record the actual outcome of every open prediction whose horizon has been observed."""
    first, last = conn.execute(
        load_sql("predictions/open_outcome_dates"), {"task": spec.name}
    ).fetchone()
    if first is None:
        return 0
    task = spec.task
    with conn.transaction():
        conn.execute(
            compose(
                "training/labels_table",
                labels=_OUTCOME_LABELS,
                query=task.label_query(),
            ),
            {"first_date": first, "last_date": last, "grid": timedelta(days=1),
             "horizon": task.horizon},
        )
        updated = conn.execute(
            compose(
                "predictions/fill_outcomes",
                labels=_OUTCOME_LABELS,
                entity_key=sql.Identifier(identifier(task.entity_key)),
            ),
            {"task": spec.name, "horizon": task.horizon, "threshold": spec.threshold,
             "classification": spec.classifier},
        ).rowcount
        conn.execute(sql.SQL("drop table {}").format(_OUTCOME_LABELS))
    return updated

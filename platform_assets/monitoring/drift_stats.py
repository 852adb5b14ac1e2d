"""Continuous drift monitoring: `monitoring/feature_stats_daily` and
`monitoring/prediction_stats_daily`, set-based SQL over a day's feature view rows and scores.

Each day, every feature of every feature view is summarised (rows, null rate, mean, p05/p50/p95)
and compared with the reference distribution of the production model that reads it by the
population stability index, the formula of `models/drift.py` (bins from the reference's
quantiles, missing values a bin of their own, text values their own bins, each share floored at
1e-4). Every model that scored a day (champion or challenger) gets the same for its scores,
plus its live metric over the outcomes known so far. A PSI above PSI_WARN is `warn`, above the
spec's `psi_threshold` (0.25, the gate's) `alert`; the spec's `drift_exempt` features (the
calendar) are `exempt`. The `drift_alerts` sensor alerts on `alert` rows.

The reference is built once per model version (`monitoring.drift_reference`), by the weekly
run's model step (a night builds it for a scoring model that has none), and is NOT the training
rows: the feature view rows over the as-of window of the model's dataset's test split (and the
model's scores of those rows), one distribution per ISO weekday, and a day is compared with its
own weekday. Measured on the demo database (scale S, seed 7) over the ordinary days after each
task's test window through 2026-11-30 (32 days of churn_risk, 18 of maintenance_prediction, 11
of demand_forecast; no drift planted; the features each production model reads, exempt ones
left out):

- the dataset's train split (the rows the model fit): 751 of 1,266 feature-days over 0.25; an
  alert every day for churn_risk (topic counts at 3.7: the train weeks predate the topic fit, so
  they are mostly null; 90-day windows still filling), on 10 of 11 days for demand_forecast;
- its test split, what the promotion gate compares with (latest labelled weeks, windows full):
  churn at most 0.156 and maintenance 0.217, but `bin_daily.days_since_service` follows the
  weekday (the rows are all one weekday: Thursday features, Friday as-of dates) and reads 1.26
  on a median day: 8 of 11 days alert;
- the view's rows over that window, all weekdays pooled: `days_since_service` still 0.98, 9 of
  11 days alert;
- the same rows, same weekday (this choice): no feature-day over 0.1; the highest PSI is 0.077
  (maintenance `km_since_maintenance`, 36 vehicles in 3 bins), 0.048 for churn, 0.013 for
  demand (the same figures from these tables and from models/drift.py in pandas). Scores: at
  most 0.012 (churn), 0.076 (maintenance), 0.006 (demand).

The reference reads view rows of the variant the model was trained on (the topic fit of
`customer_topics_daily`), as batch scoring does; so do the day's statistics of a view a
production model reads (a view read by none: its current variant, PSI null).
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql
from psycopg.types.json import Jsonb

from platform_assets import keys
from platform_assets.db.bulk import copy_arrow
from platform_assets.db.locks import lock_relation
from platform_assets.db.sql import compose, load_sql, sql_version
from platform_assets.features.registry import feature_columns
from platform_assets.features.views import VIEWS_BY_NAME, FeatureView
from platform_assets.metadata import preview, table_schema, timed
from platform_assets.models import artifact, registry
from platform_assets.models.drift import BINS, MIN_ENTITIES_PER_BIN
from platform_assets.models.frames import design
from platform_assets.models.registry import ModelRow
from platform_assets.models.scoring import scoring_frame
from platform_assets.models.specs import MODEL_SPECS, ModelSpec
from platform_assets.partitions import daily_asset, range_label
from platform_assets.resources import PostgresResource
from platform_assets.training.versions import current_variant, trained_variants

PSI_WARN = 0.1  # models/drift.py's reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major
PSI_FLOOR = 1e-4  # models/drift.py's _FLOOR: an empty bin would make ln(a / e) infinite
SCORE_VIEW, SCORE_FEATURE = "predictions", "score"  # a model's own scores in drift_reference
# Decimals of a stored score (predictions/batch.py): the reference scores are rounded alike, or a
# reference quantile on a tied score would put the day's (rounded) copies of it in the bin below.
SCORE_DECIMALS = {True: 6, False: 4}  # classifier -> decimals
_NUMERIC = ("smallint", "integer", "bigint", "real", "double precision", "numeric")
_REFERENCE_ROWS = sql.Identifier("_drift_reference_rows")
log = logging.getLogger(__name__)
FEATURE_SQL = (
    "monitoring/feature_values", "monitoring/drift_reference", "monitoring/feature_stats",
    "monitoring/clear_feature_stats",
)
PREDICTION_SQL = (
    "monitoring/drift_reference", "monitoring/prediction_stats_redo",
    "monitoring/clear_prediction_stats", "monitoring/prediction_stats",
)


@dataclass(frozen=True)
class Reader:
    """A production model and the variants of the views it reads."""

    spec: ModelSpec
    model: ModelRow
    variants: dict[str, str]


@dataclass(frozen=True)
class Written:
    rows: int
    levels: dict[str, int]
    alerts: list[str]  # "<subject> <day> PSI x.xxx" of each row over its alert threshold
    redone: int = 0  # earlier model-days written (again): new outcomes, or never written


def model_variants(conn: psycopg.Connection, spec: ModelSpec, model: ModelRow) -> dict[str, str]:
    """The variant of each view the model reads: the one it was trained on, else the current."""
    trained = trained_variants(conn, spec.task, model.feature_set_version)
    return {view.name: trained.get(view.name) or current_variant(conn, view)
            for view in spec.task.views}


def view_rows(conn: psycopg.Connection, view: FeatureView, features: list[str]) -> sql.Composed:
    """The view's rows of [first_day, last_day] as (day, feature, kind, num, cat) rows, one per
    feature in `features` (columns of the view's table, so identifiers from the catalog)."""
    types = feature_columns(conn, view)
    values = []
    for name in features:
        column = sql.SQL("t.{}").format(sql.Identifier(name))
        numeric = types[name].startswith(_NUMERIC)
        values.append(sql.SQL("({}, {}, {}, {})").format(
            sql.Literal(name),
            sql.Literal("numeric" if numeric else "category"),
            sql.SQL("{}::float8").format(column) if numeric else sql.SQL("null::float8"),
            sql.SQL("null::text") if numeric else sql.SQL("{}::text").format(column),
        ))
    return compose(
        "monitoring/feature_values",
        view_table=sql.Identifier("features", view.name),
        values=sql.SQL(", ").join(values),
        variant_filter=view.variant_filter("t"),
    )


# --- references: built once per model ---------------------------------------------------------


def reference_window(conn: psycopg.Connection, model: ModelRow) -> tuple[date, date]:
    """The as-of dates of the model's dataset's latest labelled split (test; valid or train when
    a dataset has none): its latest weeks, after every feature window has filled."""
    row = conn.execute(
        load_sql("models/dataset_version"),
        {"task": model.model_name, "version": model.training_data_version},
    ).fetchone()
    if row is None:
        raise LookupError(f"{model.label}: its dataset {model.training_data_version} is gone")
    frame = pq.read_table(row[0], columns=["label_ts", "split"]).to_pandas()
    for split in ("test", "valid", "train"):
        rows = frame[frame["split"] == split]
        if len(rows):
            as_of = pd.to_datetime(rows["label_ts"], utc=True).dt.date
            return as_of.min(), as_of.max()
    raise LookupError(f"{model.label}: its dataset {model.training_data_version} has no rows")


def _has_reference(conn: psycopg.Connection, model: ModelRow) -> bool:
    found = conn.execute(load_sql("monitoring/reference_exists"), {"model_id": model.id})
    return found.fetchone() is not None


def _score_rows(conn, spec: ModelSpec, model: ModelRow, bundle, variants, window) -> pa.Table:
    """The model's scores of its reference rows (scored as batch scoring does), one row each."""
    frame = scoring_frame(conn, spec.task, window[0], window[1], variants)
    scores = bundle.score(design(frame, bundle.features, bundle.categories)) if len(frame) else []
    scores = np.round(np.asarray(scores, dtype="float64"), SCORE_DECIMALS[spec.classifier])
    days = (pd.to_datetime(frame["label_ts"], utc=True) - pd.Timedelta(days=1)).dt.date
    n = len(frame)
    return pa.table({
        "day": pa.array(days, pa.date32()),
        "feature": pa.array([SCORE_FEATURE] * n, pa.string()),
        "kind": pa.array(["numeric"] * n, pa.string()),
        "num": pa.array(scores, pa.float64()),
        "cat": pa.nulls(n, pa.string()),
    })


def ensure_reference(
    conn: psycopg.Connection, spec: ModelSpec, model: ModelRow, run_id: str | None
) -> str | None:
    """Build the model's reference unless it exists; None when it exists, else why it cannot be
    built (the dataset snapshot or the artifact is gone): its PSI stays null then."""
    if _has_reference(conn, model):
        return None
    try:
        as_of = reference_window(conn, model)
        bundle = artifact.load(model.artifact_path, model.artifact_sha256)
    except (LookupError, OSError, artifact.ArtifactHashMismatch) as error:
        return f"{model.label}: no drift reference ({error})"
    variants = model_variants(conn, spec, model)
    scores = _score_rows(conn, spec, model, bundle, variants, as_of)
    first_day, last_day = as_of[0] - timedelta(days=1), as_of[1] - timedelta(days=1)
    params = {"model_id": model.id, "window_first": first_day, "window_last": last_day,
              "first_day": first_day, "last_day": last_day, "max_bins": BINS,
              "min_per_bin": MIN_ENTITIES_PER_BIN, "run_id": run_id}
    with conn.transaction():
        lock_relation(conn, f"monitoring.drift_reference:{model.id}")
        if _has_reference(conn, model):  # built by a concurrent run meanwhile
            return None
        for view in spec.task.views:
            features = [name for name in feature_columns(conn, view)
                        if f"{view.name}__{name}" in bundle.features]
            if features:
                conn.execute(
                    compose("monitoring/drift_reference", rows=view_rows(conn, view, features)),
                    params | {"view_name": view.name, "variant": variants[view.name]},
                )
        conn.execute(load_sql("monitoring/create_reference_rows"))
        copy_arrow(conn, _REFERENCE_ROWS, scores)
        conn.execute(compose("monitoring/drift_reference", rows=_REFERENCE_ROWS),
                     params | {"view_name": SCORE_VIEW, "variant": ""})
        conn.execute(sql.SQL("drop table {}").format(_REFERENCE_ROWS))
    return None


def production_readers(conn: psycopg.Connection, run_id: str | None, warn) -> list[Reader]:
    """The production model of each task, its reference built if it was not yet."""
    readers = []
    for spec in MODEL_SPECS.values():
        model = registry.production(conn, spec.name)
        if model is None:
            continue
        if problem := ensure_reference(conn, spec, model, run_id):
            warn(problem)
        readers.append(Reader(spec, model, model_variants(conn, spec, model)))
    return readers


# --- daily statistics ---------------------------------------------------------------------------


def _levels(conn: psycopg.Connection, table: str, first_day: str, last_day: str) -> dict:
    rows = conn.execute(
        sql.SQL("select coalesce(level, 'none'), count(*) from {} where day between %s and %s"
                " group by 1").format(sql.Identifier("monitoring", table)),
        (first_day, last_day),
    ).fetchall()
    return dict(rows)


def write_feature_stats(
    conn: psycopg.Connection, first_day: str, last_day: str, run_id: str | None, warn=log.warning
) -> Written:
    """Replace the feature statistics of [first_day, last_day], every view, in one transaction."""
    readers = production_readers(conn, run_id, warn)
    rows = 0
    with conn.transaction():
        lock_relation(conn, "monitoring.feature_stats_daily")
        conn.execute(load_sql("monitoring/clear_feature_stats"),
                     {"first_day": first_day, "last_day": last_day})
        for view in VIEWS_BY_NAME.values():
            reading = [r for r in readers if view in r.spec.task.views]
            variant = reading[0].variants[view.name] if reading else current_variant(conn, view)
            models = [{"model_id": str(r.model.id), "psi_alert": r.spec.psi_threshold,
                       "exempt": list(r.spec.drift_exempt)} for r in reading]
            statement = compose("monitoring/feature_stats",
                                rows=view_rows(conn, view, list(feature_columns(conn, view))))
            rows += conn.execute(statement, {
                "first_day": first_day, "last_day": last_day, "view_name": view.name,
                "variant": variant, "models": Jsonb(models), "psi_warn": PSI_WARN,
                "floor": PSI_FLOOR, "run_id": run_id,
            }).rowcount
    alerts = conn.execute(
        "select view_name || '.' || feature, day, psi from monitoring.feature_stats_daily"
        " where day between %s and %s and level = 'alert' order by day, psi desc",
        (first_day, last_day),
    ).fetchall()
    return Written(rows, _levels(conn, "feature_stats_daily", first_day, last_day),
                   [f"{subject} {day} PSI {psi:.3f}" for subject, day, psi in alerts])


def write_prediction_stats(
    conn: psycopg.Connection, first_day: str, last_day: str, run_id: str | None, warn=log.warning
) -> Written:
    """Replace the prediction statistics of [first_day, last_day], and of earlier days whose
    outcomes became known since or that have none yet, in one transaction."""
    tasks = list(MODEL_SPECS)
    scoring = conn.execute(load_sql("monitoring/scoring_models"),
                           {"tasks": tasks, "first_day": first_day, "last_day": last_day})
    for (model_id,) in scoring.fetchall():
        model = registry.get(conn, model_id)
        spec = MODEL_SPECS.get(model.model_name)
        if spec and (problem := ensure_reference(conn, spec, model, run_id)):
            warn(problem)
    params = {"tasks": tasks, "first_day": first_day, "last_day": last_day,
              "psi_alert": Jsonb({name: spec.psi_threshold for name, spec in MODEL_SPECS.items()}),
              "psi_warn": PSI_WARN, "floor": PSI_FLOOR, "run_id": run_id}
    with conn.transaction():
        lock_relation(conn, "monitoring.prediction_stats_daily")
        redone = conn.execute(load_sql("monitoring/prediction_stats_redo"), params).rowcount
        conn.execute(load_sql("monitoring/clear_prediction_stats"), params)
        rows = conn.execute(load_sql("monitoring/prediction_stats"), params).rowcount
        conn.execute("drop table _prediction_stats_redo")
    alerts = conn.execute(
        "select model_name || ' v' || model_version || ' (' || role || ')', day, psi"
        " from monitoring.prediction_stats_daily"
        " where day between %s and %s and level = 'alert' order by day, psi desc",
        (first_day, last_day),
    ).fetchall()
    return Written(rows, _levels(conn, "prediction_stats_daily", first_day, last_day),
                   [f"{subject} {day} PSI {psi:.3f}" for subject, day, psi in alerts], redone)


# --- assets -------------------------------------------------------------------------------------


def _metadata(conn, table: str, written: Written, days, duration_s: float, order: str) -> dict:
    sample = preview(
        conn,
        sql.SQL("select * from {} where day between %(first)s and %(last)s order by {}").format(
            sql.Identifier("monitoring", table), sql.SQL(order)),
        {"first": days.start, "last": days.end},
    )
    over = "\n".join(f"- {alert}" for alert in written.alerts[:20])
    return {
        "dagster/row_count": written.rows,
        "levels": dg.MetadataValue.json(written.levels),
        "alerts": len(written.alerts),
        "over_threshold": dg.MetadataValue.md(over or "none"),
        "dagster/column_schema": table_schema(conn, "monitoring", table),
        "preview": sample,
        "duration_s": duration_s,
    }


@daily_asset(
    key=keys.FEATURE_STATS_KEY,
    deps=[keys.feature_key(name) for name in VIEWS_BY_NAME],
    group_name=keys.MONITORING,
    kinds={"postgres"},
    owners=keys.ML_PLATFORM,
    code_version=sql_version(*FEATURE_SQL, extra=f"{PSI_WARN}:{PSI_FLOOR}"),
    description="Per feature view, feature and day: rows, null rate, mean, p05/p50/p95 and the "
    "PSI against the production model's reference (same weekday), level ok/warn/alert/exempt, "
    "in monitoring.feature_stats_daily. Builds a new production model's reference once.",
)
def feature_stats_daily(context: dg.AssetExecutionContext, postgres: PostgresResource):
    days = context.partition_key_range
    with timed() as timing, postgres.connect() as conn:
        written = write_feature_stats(conn, days.start, days.end, context.run.run_id,
                                      context.log.warning)
    context.log.info(f"monitoring.feature_stats_daily: {written.rows} rows for "
                     f"{range_label(days)}, {len(written.alerts)} over the alert threshold")
    with postgres.connect() as conn:
        metadata = _metadata(conn, "feature_stats_daily", written, days, timing["duration_s"],
                             "day desc, psi desc nulls last")
    return dg.MaterializeResult(metadata=metadata)


# prediction_stats_daily reads ml.predictions, which the predictions/<task> assets write, but is
# not declared downstream of them: a task without a production model yields no predictions
# asset, and Dagster skips every step downstream of an asset that yielded nothing (one unpromoted
# task would stop the statistics of all). It follows the same feature views at a lower priority,
# so an in-process run (the nightly default) scores first; should a multiprocess run summarise a
# day before its predictions land, the next run writes that day again (lookback days, and days
# with predictions but no statistics).
PREDICTION_STATS_DEPS = sorted(
    {view.name for spec in MODEL_SPECS.values() for view in spec.task.views}
)
AFTER_SCORING = {"dagster/priority": "-1"}  # run after the steps ready with it (the scoring)


@daily_asset(
    key=keys.PREDICTION_STATS_KEY,
    deps=[keys.feature_key(name) for name in PREDICTION_STATS_DEPS],
    op_tags=AFTER_SCORING,
    group_name=keys.MONITORING,
    kinds={"postgres"},
    owners=keys.ML_PLATFORM,
    code_version=sql_version(*PREDICTION_SQL, extra=f"{PSI_WARN}:{PSI_FLOOR}"),
    description="Per model, role (champion, challenger) and prediction day: score count, mean, "
    "p05/p50/p95, PSI against the model's reference scores (same weekday) with its level, and "
    "the live AUC/accuracy/MAE over the outcomes known, in monitoring.prediction_stats_daily, "
    "from the scores the predictions/<task> assets wrote to ml.predictions (run after them in "
    "nightly_refresh). Earlier days are written again when their outcomes become known, or "
    "when they have no statistics yet.",
)
def prediction_stats_daily(context: dg.AssetExecutionContext, postgres: PostgresResource):
    days = context.partition_key_range
    with timed() as timing, postgres.connect() as conn:
        written = write_prediction_stats(conn, days.start, days.end, context.run.run_id,
                                         context.log.warning)
    context.log.info(f"monitoring.prediction_stats_daily: {written.rows} rows for "
                     f"{range_label(days)} and earlier days ({written.redone} model-days with "
                     "new outcomes or none yet)")
    with postgres.connect() as conn:
        metadata = _metadata(conn, "prediction_stats_daily", written, days,
                             timing["duration_s"], "day desc, model_name, role")
    return dg.MaterializeResult(metadata={**metadata, "earlier_days_redone": written.redone})


drift_assets = [feature_stats_daily, prediction_stats_daily]

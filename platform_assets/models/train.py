"""Train one task's model on a registered training dataset and evaluate it on every split.

The rows come from the dataset's Parquet snapshot (immutable, named by version), not from the
live table, so a model is always trained on exactly the version the registry names.
"""

import hashlib
import inspect
import json
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import pyarrow.parquet as pq
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from platform_assets.db.sql import load_sql
from platform_assets.models import frames, metrics
from platform_assets.models.artifact import Bundle
from platform_assets.models.frames import categories_of, design, feature_columns
from platform_assets.models.specs import ModelSpec

NAIVE_COLUMN = "bin_daily__kg_collected_7d"  # demand: last week's kg as next week's forecast


@dataclass(frozen=True)
class Dataset:
    task: str
    version: str
    feature_views: dict[str, str]
    frame: pd.DataFrame


@dataclass(frozen=True)
class Trained:
    bundle: Bundle
    metrics: dict[str, dict]  # split -> metrics
    train_seconds: float
    fingerprint: str  # of the spec and code that trained it (`fingerprint`)


def fingerprint(spec: ModelSpec) -> str:
    """Changes when anything that shapes the trained model changes: the estimator, its
    hyperparameters and features, the library version and the training code itself (this module
    and `frames`): a registry row with the same fingerprint and dataset needs no retraining."""
    payload = {
        "model_type": spec.model_type,
        "hyperparameters": spec.hyperparameters,
        "features": spec.features,
        "sklearn": sklearn.__version__,
        "code": [inspect.getsource(module) for module in (frames, sys.modules[__name__])],
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_dataset(conn: psycopg.Connection, task: str, version: str) -> Dataset:
    row = conn.execute(
        load_sql("models/dataset_version"), {"task": task, "version": version}
    ).fetchone()
    if row is None:
        raise LookupError(f"training dataset {task} version {version} is not registered")
    parquet_path, feature_views = row
    frame = pq.read_table(parquet_path).to_pandas()
    return Dataset(task=task, version=version, feature_views=feature_views, frame=frame)


def _estimator(spec: ModelSpec):
    if spec.classifier:
        return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                              **spec.hyperparameters)
    return HistGradientBoostingRegressor(categorical_features="from_dtype",
                                         **spec.hyperparameters)


def trainable(train: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns with at least one value in the training rows. One without any (say, note
    topics before the first topic fit) carries nothing to learn from, and sklearn's binning
    fails on it; the bundle lists only the columns it was trained on, so scoring uses the same."""
    return [c for c in columns if train[c].notna().any()]


def fit(spec: ModelSpec, dataset: Dataset) -> Trained:
    frame = dataset.frame
    train = frame[frame["split"] == "train"]
    if train.empty:
        raise ValueError(f"{spec.name}: dataset {dataset.version} has no training rows")
    if spec.classifier and train["label"].nunique() < 2:
        raise ValueError(f"{spec.name}: training rows hold one class only")
    columns = trainable(train, spec.features or feature_columns(frame, spec.task.entity_key))
    categories = categories_of(train, columns)
    started = time.perf_counter()
    estimator = _estimator(spec).fit(design(train, columns, categories), train["label"])
    seconds = time.perf_counter() - started
    bundle = Bundle(
        estimator=estimator,
        task=spec.name,
        kind=spec.task.kind,
        features=columns,
        categories=categories,
        dataset_version=dataset.version,
    )
    by_split = {
        split: evaluate(spec, bundle, frame[frame["split"] == split])
        for split in ("train", "valid", "test")
    }
    return Trained(bundle=bundle, metrics=by_split, train_seconds=round(seconds, 3),
                   fingerprint=fingerprint(spec))


def evaluate(spec: ModelSpec, bundle: Bundle, rows: pd.DataFrame) -> dict:
    """The spec's metrics of `bundle` on `rows` (empty rows: only the row count)."""
    if rows.empty:
        return {"rows": 0}
    scores = bundle.score(design(rows, bundle.features, bundle.categories))
    if spec.classifier:
        return metrics.classification(rows["label"].to_numpy(), scores, spec.threshold)
    naive = rows[NAIVE_COLUMN].to_numpy() if NAIVE_COLUMN in rows else np.zeros(len(rows))
    return metrics.regression(rows["label"].to_numpy(), scores, naive)

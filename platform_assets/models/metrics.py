"""Evaluation metrics, one dict per split, with the row count they were computed on."""

import numpy as np
from sklearn import metrics as skm

CALIBRATION_BINS = 10


def classification(y: np.ndarray, score: np.ndarray, threshold: float) -> dict:
    y = np.asarray(y, dtype=int)
    score = np.clip(np.asarray(score, dtype=float), 1e-7, 1 - 1e-7)
    predicted = score >= threshold
    both_classes = len(np.unique(y)) == 2
    return {
        "rows": int(len(y)),
        "positive_rate": _round(y.mean()) if len(y) else None,
        "auc": _round(skm.roc_auc_score(y, score)) if both_classes else None,
        "average_precision": _round(skm.average_precision_score(y, score))
        if both_classes else None,
        "log_loss": _round(skm.log_loss(y, score, labels=[0, 1])) if len(y) else None,
        "brier": _round(skm.brier_score_loss(y, score)) if len(y) else None,
        "threshold": threshold,
        "precision": _round(skm.precision_score(y, predicted, zero_division=0)),
        "recall": _round(skm.recall_score(y, predicted, zero_division=0)),
        "calibration_error": _round(expected_calibration_error(y, score)),
        "mean_score": _round(score.mean()) if len(y) else None,
    }


def expected_calibration_error(y: np.ndarray, score: np.ndarray) -> float:
    """Mean |observed rate - mean score| over equal-width score bins, weighted by bin size."""
    if not len(y):
        return 0.0
    bins = np.minimum((score * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    error = 0.0
    for b in np.unique(bins):
        inside = bins == b
        error += inside.mean() * abs(y[inside].mean() - score[inside].mean())
    return float(error)


def regression(y: np.ndarray, predicted: np.ndarray, naive: np.ndarray) -> dict:
    """MAE, RMSE, MAPE (on rows with a non-zero label) and the MAE of a naive forecast."""
    y = np.asarray(y, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    naive = np.nan_to_num(np.asarray(naive, dtype=float), nan=0.0)
    nonzero = y != 0
    mae = float(np.mean(np.abs(y - predicted))) if len(y) else None
    naive_mae = float(np.mean(np.abs(y - naive))) if len(y) else None
    return {
        "rows": int(len(y)),
        "mae": _round(mae),
        "rmse": _round(float(np.sqrt(np.mean((y - predicted) ** 2)))) if len(y) else None,
        "mape": _round(float(np.mean(np.abs((y[nonzero] - predicted[nonzero]) / y[nonzero]))))
        if nonzero.any() else None,
        "naive_mae": _round(naive_mae),
        "mae_vs_naive": _round(mae / naive_mae) if mae is not None and naive_mae else None,
        "mean_label": _round(float(y.mean())) if len(y) else None,
    }


def _round(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)

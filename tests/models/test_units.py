"""Pure pieces of the model layer: PSI, bins, metrics and the design matrix."""

import numpy as np
import pandas as pd
import pytest

from platform_assets.models import metrics
from platform_assets.models.drift import bins_for, feature_psi, psi
from platform_assets.models.frames import categories_of, design, feature_columns

RNG = np.random.default_rng(3)


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    a = pd.Series(RNG.normal(0, 1, 5000))
    b = pd.Series(RNG.normal(0, 1, 5000))
    assert psi(a, b) < 0.02
    assert psi(a, b + 1.0) > 0.25


def test_psi_counts_missing_values_and_categories_as_bins():
    a = pd.Series([1.0] * 50 + [2.0] * 50)
    assert psi(a, pd.Series([1.0] * 50 + [np.nan] * 50)) > 0.25
    cats = pd.Series(["a"] * 90 + ["b"] * 10)
    assert psi(cats, cats) == pytest.approx(0.0)
    assert psi(cats, pd.Series(["a"] * 10 + ["b"] * 90)) > 1.0


@pytest.mark.parametrize(("entities", "bins"), [(5, 2), (36, 3), (100, 10), (10_000, 10)])
def test_bins_follow_the_number_of_entities(entities, bins):
    assert bins_for(entities) == bins


def test_feature_psi_reports_each_column():
    frame = pd.DataFrame({"x": RNG.normal(0, 1, 1000), "y": RNG.normal(0, 1, 1000)})
    moved = frame.assign(y=frame["y"] * 3)
    scores = feature_psi(frame, moved, ["x", "y"])
    assert scores["x"] == pytest.approx(0.0) and scores["y"] > 0.25


def test_classification_metrics():
    y = np.array([0, 0, 1, 1])
    got = metrics.classification(y, np.array([0.1, 0.4, 0.35, 0.8]), threshold=0.5)
    assert got["auc"] == 0.75 and got["rows"] == 4
    assert got["precision"] == 1.0 and got["recall"] == 0.5
    assert metrics.classification(np.array([0, 0]), np.array([0.1, 0.2]), 0.5)["auc"] is None


def test_regression_metrics_compare_with_the_naive_forecast():
    y = np.array([10.0, 20.0, 0.0])
    got = metrics.regression(y, np.array([12.0, 18.0, 1.0]), naive=np.array([20.0, 10.0, 5.0]))
    assert got["mae"] == pytest.approx(5 / 3, abs=1e-6)
    assert got["naive_mae"] == pytest.approx(25 / 3, abs=1e-6)
    assert got["mae_vs_naive"] == pytest.approx(0.2)
    assert got["mape"] == pytest.approx(0.15)  # the zero label is left out


def test_design_fixes_columns_and_categories():
    train = pd.DataFrame({
        "customer_id": ["a", "b"], "label_ts": [1, 2], "label": [0, 1], "split": ["train"] * 2,
        "v__feature_ts": [1, 2], "v__source_max_ts": [1, 2],
        "v__tier": ["basic", "premium"], "v__count": [1, 2],
    })
    columns = feature_columns(train, "customer_id")
    assert columns == ["v__tier", "v__count"]
    categories = categories_of(train, columns)
    assert categories == {"v__tier": ["basic", "premium"]}
    scoring = pd.DataFrame({"v__count": [3], "v__tier": ["gold"]})
    matrix = design(scoring, columns, categories)
    assert list(matrix.columns) == columns
    assert matrix["v__tier"].isna().all()  # an unseen category scores as missing
    with pytest.raises(KeyError, match="v__tier"):
        design(scoring.drop(columns="v__tier"), columns, categories)


def test_a_feature_without_any_training_value_is_left_out_of_the_model():
    """Note topics before the first topic fit are all null: sklearn's binning fails on such a
    column, and it has nothing to teach, so the model trains on the others and says so."""
    from platform_assets.models.specs import MODEL_SPECS
    from platform_assets.models.train import Dataset, fit

    spec = MODEL_SPECS["demand_forecast"]
    n = 300
    frame = pd.DataFrame({
        "bin_id": [f"b{i}" for i in range(n)],
        "split": np.select([np.arange(n) < 200, np.arange(n) < 250], ["train", "valid"], "test"),
        "bin_daily__kg_collected_7d": RNG.gamma(2.0, 10.0, n),
        "customer_topics_daily__topic_0_30d": np.where(np.arange(n) < 200, np.nan, 0.5),
    })
    frame["label"] = frame["bin_daily__kg_collected_7d"] * 1.1
    dataset = Dataset(task=spec.name, version="v1", feature_views={}, frame=frame)
    trained = fit(spec, dataset)
    assert trained.bundle.features == ["bin_daily__kg_collected_7d"]
    assert trained.metrics["test"]["rows"] == 50

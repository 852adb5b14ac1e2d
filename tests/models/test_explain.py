"""Exact explanations: contributions against brute-force Shapley values and sklearn's scores.

Small HistGradientBoosting models on synthetic rows (a numeric feature with missing values, a
categorical one, one the trees never use), so every path of the method is exercised in well
under a second: categorical splits, NaN routing, a feature tested twice on one path, unseen
categories, tables and the table-free path. No database.
"""

import json
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

from platform_assets.models import explain
from platform_assets.models.artifact import Bundle
from platform_assets.models.frames import categories_of, design

FEATURES = ["load", "fill", "kind", "constant"]
KINDS = ["glass", "organic", "paper", "plastic"]


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fill = rng.uniform(0, 100, n)
    fill[rng.random(n) < 0.25] = np.nan
    return pd.DataFrame({
        "load": rng.normal(50, 15, n).round(1),
        "fill": fill.round(1),
        "kind": rng.choice(KINDS, n),
        "constant": np.full(n, 7.0),
    })


def _target(rows: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = rows["kind"].map({"glass": -1.0, "organic": 2.0, "paper": 0.5, "plastic": -0.5})
    fill = rows["fill"].fillna(90.0)
    return 0.04 * rows["load"] + 0.03 * fill + kind + rng.normal(0, 0.5, len(rows))


def _bundle(kind: str, **params) -> Bundle:
    train = _rows(600, seed=1)
    categories = categories_of(train, FEATURES)
    matrix = design(train, FEATURES, categories)
    y = _target(train, seed=2)
    settings = dict(max_iter=6, max_depth=3, learning_rate=0.5, min_samples_leaf=10,
                    categorical_features="from_dtype", random_state=0)
    settings.update(params)
    if kind == "classification":
        estimator = HistGradientBoostingClassifier(**settings).fit(matrix, y > np.median(y))
    else:
        estimator = HistGradientBoostingRegressor(**settings).fit(matrix, y)
    return Bundle(estimator, "test_task", kind, FEATURES, categories, "v1")


@pytest.fixture(scope="module")
def classifier() -> Bundle:
    return _bundle("classification")


@pytest.fixture(scope="module")
def regressor() -> Bundle:
    return _bundle("regression")


@pytest.fixture(scope="module")
def scored(classifier) -> pd.DataFrame:
    rows = _rows(40, seed=3)
    rows.loc[[0, 1], "kind"] = ["cardboard", None]  # unseen at training, and missing
    return design(rows, FEATURES, classifier.categories)


def raw_score(bundle: Bundle, matrix: pd.DataFrame) -> np.ndarray:
    if bundle.kind == "classification":
        return bundle.estimator.decision_function(matrix)
    return bundle.estimator.predict(matrix)  # squared error: the identity link


def _sklearn_goes_left(predictor: TreePredictor, node: int, X: np.ndarray,
                       estimator) -> np.ndarray:
    """sklearn's own routing at one split: the split alone, as a tree with leaves 1 (left), 0."""
    nodes = predictor.nodes[[node, node, node]].copy()
    nodes["is_leaf"] = [0, 1, 1]
    nodes["left"], nodes["right"] = [1, 0, 0], [2, 0, 0]
    nodes["value"] = [0.0, 1.0, 0.0]
    alone = TreePredictor(nodes, predictor.binned_left_cat_bitsets,
                          predictor.raw_left_cat_bitsets)
    known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    return alone.predict(X, known, f_idx_map, n_threads=1) == 1.0


def _matrix_column(estimator) -> np.ndarray:
    """The estimator's internal column -> column of the matrix: sklearn encodes the categorical
    columns (`is_categorical_`, public) and puts them first, the others follow in order."""
    categorical = estimator.is_categorical_
    return np.concatenate([np.flatnonzero(categorical), np.flatnonzero(~categorical)])


def brute_force_shapley(bundle: Bundle, matrix: pd.DataFrame) -> tuple[float, np.ndarray]:
    """Shapley values by enumerating every subset of features, the value of a subset being the
    trees' path-dependent conditional expectation (unknown features follow both branches,
    weighted by the training count), with sklearn's own routing at every split."""
    estimator = bundle.estimator
    X = estimator._preprocess_X(matrix, reset=False)
    column_of = _matrix_column(estimator)
    trees = []
    for (predictor,) in estimator._predictors:
        nodes = predictor.nodes
        left = {i: _sklearn_goes_left(predictor, i, X, estimator)
                for i in np.flatnonzero(~nodes["is_leaf"].astype(bool))}
        trees.append((nodes, left))

    def expected(nodes, left, i: int, row: int, known: frozenset) -> float:
        node = nodes[i]
        if node["is_leaf"]:
            return float(node["value"])
        lo, hi = int(node["left"]), int(node["right"])
        if column_of[node["feature_idx"]] in known:
            return expected(nodes, left, lo if left[i][row] else hi, row, known)
        return (nodes[lo]["count"] * expected(nodes, left, lo, row, known)
                + nodes[hi]["count"] * expected(nodes, left, hi, row, known)) / node["count"]

    def value(row: int, known: frozenset) -> float:
        return sum(expected(nodes, left, 0, row, known) for nodes, left in trees)

    m = len(FEATURES)
    base = float(np.ravel(estimator._baseline_prediction)[0]) + value(0, frozenset())
    phi = np.zeros((len(matrix), m))
    for row in range(len(matrix)):
        for i in range(m):
            others = [j for j in range(m) if j != i]
            for size in range(m):
                weight = factorial(size) * factorial(m - size - 1) / factorial(m)
                for subset in combinations(others, size):
                    s = frozenset(subset)
                    phi[row, i] += weight * (value(row, s | {i}) - value(row, s))
    return base, phi


def test_the_models_exercise_what_the_tests_claim(classifier, regressor, scored) -> None:
    for bundle in (classifier, regressor):
        nodes = [p.nodes for (p,) in bundle.estimator._predictors]
        assert any(n["is_categorical"].any() for n in nodes)
        assert any(n["missing_go_to_left"][~n["is_leaf"].astype(bool)].any() for n in nodes)
        forest = explain._forest(explain._sklearn(bundle.estimator))
        # some leaf's path tests a feature twice (its share is then a product)
        assert any(bin(int(tests)).count("1") > 1
                   for tree in forest.trees for tests in tree.slot_splits.ravel())
    assert scored["fill"].isna().any() and scored["kind"].isna().sum() == 2


@pytest.mark.parametrize("model", ["classifier", "regressor"])
def test_contributions_are_the_brute_force_shapley_values(model, request, scored) -> None:
    bundle = request.getfixturevalue(model)
    rows = scored.iloc[:12]
    base, values = explain.contributions(bundle, rows)
    expected_base, expected = brute_force_shapley(bundle, rows)
    assert base == pytest.approx(expected_base, abs=1e-9)
    np.testing.assert_allclose(values, expected, atol=1e-9)
    assert (values[:, FEATURES.index("constant")] == 0).all()


@pytest.mark.parametrize("model", ["classifier", "regressor"])
def test_base_plus_contributions_is_the_raw_score(model, request, scored) -> None:
    bundle = request.getfixturevalue(model)
    base, values = explain.contributions(bundle, scored)
    np.testing.assert_allclose(base + values.sum(axis=1), raw_score(bundle, scored), atol=1e-6)


def test_trees_with_more_splits_than_a_key_word_holds_keep_the_raw_score(scored) -> None:
    bundle = _bundle("regression", max_iter=3, max_depth=None, max_leaf_nodes=80,
                     min_samples_leaf=2)
    assert max(p.get_n_leaf_nodes() for (p,) in bundle.estimator._predictors) > 63
    assert explain._forest(explain._sklearn(bundle.estimator)).words > 1
    base, values = explain.contributions(bundle, scored)
    np.testing.assert_allclose(base + values.sum(axis=1), raw_score(bundle, scored), atol=1e-6)


def test_sparse_and_dense_column_keys_agree(regressor, scored, monkeypatch) -> None:
    _, dense = explain.contributions(regressor, scored)
    monkeypatch.setattr(explain, "_DENSE_KEYS", 2.0)  # no column keys every tree
    _, sparse = explain.contributions(regressor, scored)
    np.testing.assert_array_equal(sparse, dense)


def test_the_routing_is_sklearns_at_every_split(classifier, scored) -> None:
    estimator = classifier.estimator
    X = estimator._preprocess_X(scored, reset=False)
    codes = X[:, 0]  # the categorical column comes first
    assert np.nanmax(codes) == len(KINDS) - 1
    # Codes the encoder never gives but the predictor handles: negative, unknown to training.
    odd = np.tile(X[:4], (6, 1))
    odd[:, 0] = [-1.0, 4.0, 7.0, 255.0, np.nan, 0.0] * 4
    thresholds = np.unique(np.concatenate([p.nodes["num_threshold"]
                                           for (p,) in estimator._predictors]))
    edges = np.tile(X[:1], (len(thresholds), 1))
    edges[:, 1:] = thresholds[:, None]  # exactly on each threshold: `<=` goes left
    infinite = np.tile(X[:2], (2, 1))
    infinite[:, 1:] = [[np.inf], [-np.inf], [np.inf], [-np.inf]]
    X = np.vstack([X, odd, edges, infinite])
    forest = explain._forest(explain._sklearn(estimator))
    keys = explain._keys(forest, X)  # (words, trees, rows): bit k = goes left at split k
    grown = [p for (p,) in estimator._predictors if not p.nodes[0]["is_leaf"]]
    assert len(grown) == keys.shape[1]
    for tree, predictor in enumerate(grown):
        splits = np.flatnonzero(~predictor.nodes["is_leaf"].astype(bool))
        for k, node in enumerate(splits):
            mine = (keys[0, tree] >> k) & 1 == 1
            assert (mine == _sklearn_goes_left(predictor, node, X, estimator)).all()


def test_tables_and_the_table_free_path_agree(regressor, scored, monkeypatch) -> None:
    base, values = explain.contributions(regressor, scored)
    monkeypatch.setattr(explain, "TABLE_MAX_BITS", 0)
    base_direct, direct = explain.contributions(regressor, scored)
    assert base_direct == base
    np.testing.assert_allclose(direct, values, atol=1e-12)


def test_a_row_explained_alone_is_explained_as_in_a_batch(classifier, scored) -> None:
    _, values = explain.contributions(classifier, scored)
    for i in (0, 1, 5):
        _, alone = explain.contributions(classifier, scored.iloc[[i]])
        np.testing.assert_allclose(alone[0], values[i], atol=1e-12)


def test_top_features_lists_the_largest_contributions_with_the_values_scored(
    classifier, scored
) -> None:
    _, values = explain.contributions(classifier, scored)
    texts = explain.top_features(classifier, scored, k=2)
    assert len(texts) == len(scored)
    for i, text in enumerate(texts):
        top = json.loads(text)
        sizes = [abs(t["contribution"]) for t in top]
        assert len(top) <= 2 and sizes == sorted(sizes, reverse=True)
        assert all(t["feature"] != "constant" and t["contribution"] != 0 for t in top)
        biggest = np.sort(np.abs(np.round(values[i], 6)))[::-1][: len(top)]
        assert sizes == pytest.approx(biggest, abs=1e-12)
        for t in top:
            assert t["contribution"] == round(values[i, FEATURES.index(t["feature"])], 6)
    every = [json.loads(t) for t in explain.top_features(classifier, scored, k=4)]
    seen = {t["feature"]: t["value"] for t in every[0]}
    assert seen["kind"] is None  # an unseen category scores as missing
    assert every[1][[t["feature"] for t in every[1]].index("kind")]["value"] is None
    kinds = {t["value"] for row in every for t in row if t["feature"] == "kind"}
    assert kinds - {None} <= set(KINDS) and kinds - {None}
    fills = [t["value"] for row in every for t in row if t["feature"] == "fill"]
    assert None in fills and all(isinstance(f, float) for f in fills if f is not None)


def test_no_rows_and_wrong_columns(classifier, scored) -> None:
    base, values = explain.contributions(classifier, scored.iloc[:0])
    assert values.shape == (0, len(FEATURES)) and np.isfinite(base)
    assert explain.top_features(classifier, scored.iloc[:0]) == []
    with pytest.raises(ValueError, match="columns"):
        explain.contributions(classifier, scored[FEATURES[::-1]])


def test_multiclass_models_are_refused() -> None:
    rows = _rows(300, seed=4)
    categories = categories_of(rows, FEATURES)
    matrix = design(rows, FEATURES, categories)
    estimator = HistGradientBoostingClassifier(max_iter=2).fit(matrix, rows["kind"])
    bundle = Bundle(estimator, "t", "classification", FEATURES, categories, "v1")
    with pytest.raises(ValueError, match="binary"):
        explain.contributions(bundle, matrix)

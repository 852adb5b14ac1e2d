"""Why a model scored a row as it did: each feature's signed share of that row's raw score.

An analyst reading a churn score of 0.31 wants to know which of the customer's facts pushed it
up (three complaints this month) and which held it down (a long tenure). `top_features` gives
each prediction its few largest contributions, stored in `ml.predictions.top_features`.

The numbers are exact Shapley values of the model's raw score (Lundberg et al. 2018, TreeSHAP,
"tree_path_dependent"): the score of a row with only some features known is the trees' expected
output when the unknown ones are routed as the training rows were (each branch weighted by its
share of the training `count`). Raw score means log-odds for the classifiers (churn, breakdown:
+0.4 multiplies the odds by e^0.4 = 1.5) and kilograms for the demand forecast. For every row,
`base_value + sum(contributions) == the raw score` sklearn computes (`decision_function` for a
classifier, `predict` for a regressor with an identity link such as demand's absolute error),
to rounding: the base value is the average training row's score, and the contributions share
out the difference. The `shap` package is not used: its TreeExplainer misroutes the categorical
splits of HistGradientBoosting (shap issue #3436) and pulls in numba.

The method. For one leaf l with value v, the path from the root tests a
set D of distinct features; for a row, o_j is 1 when the row passes every test of feature j on
that path, and z_j is the product of the training shares (child count / parent count) of those
tests. The leaf's part of the tree's expected output given the features S is then the product
game v * prod_{j in S} o_j * prod_{j not in S} z_j, whose Shapley value is

    phi_i = v * (o_i - z_i) * integral_0^1 prod_{j in D, j != i} (t o_j + (1 - t) z_j) dt

(the Shapley weights |S|!(d-|S|-1)!/d! are Beta integrals). The integrand is a polynomial of
degree |D| - 1, so Gauss-Legendre quadrature with ceil(|D|/2) nodes computes it exactly: no
approximation is made anywhere. Summed over the leaves of all trees, this is TreeSHAP's result.

Why it is fast without compiled code: a row's contributions from a leaf depend on the row only
through which of the leaf's path features it fails (a |D|-bit mask), so each leaf gets a table
over all 2^|D| masks, computed for all leaves at once (the "Fast TreeSHAP v2" idea, Yang 2021).
A row's direction at every split of every tree comes from one binning of each column against
all the forest's thresholds on it, then per tree a look-up that packs those directions into an
integer key, all trees at once. Rows with the same key in a tree go the same way at each of its
splits, so they share a cell and its contributions: one key per cell gives its leaves' masks
and the sum of their table rows (a tree of 31 leaves splits a day's 3,800 bins into about 800
cells, a depth-2 tree a day's 1,900 customers into at most 8). The work is a few numpy calls
per column and per tree, never a Python loop over rows; the published TreeSHAP recursion is a
loop over rows x leaves x depth^2, far too slow in Python. A path testing more than
TABLE_MAX_BITS features (only in deep trees) is computed from the cells' own masks instead of a
table. Both give the same values, which tests/models/test_explain.py checks against brute-force
Shapley values and sklearn's own scores. A day of demand_forecast (3,841 bins, 300 trees) takes
about 0.3 s of one core, a day of churn_risk (1,857 customers, 100 trees) 0.04 s; a third of
demand's is the tables, rebuilt from the model on every call. `bench/explain.py` compares it
with the nightly prediction step.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from math import isfinite

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from platform_assets.models.artifact import Bundle

TOP_K = 5
# A leaf whose path tests more distinct features than this gets no table (it would have 2^bits
# rows); the real models' deepest paths test 10 (demand_forecast), most 2 to 7.
TABLE_MAX_BITS = 10
_WORD = 31  # split directions per int32 word of a cell key
_KEY = np.int32
_MAX_PATH = 53  # distinct features on a path: its masks are exact in a float64
_NO_CODE = 256  # the bin of a missing or negative category code (codes are < max_bins <= 255)
_KEY_CELLS = 1 << 22  # rows x trees keyed at once: bounds the row phase to ~100 MB
# A column split on by at least this share of the trees keeps key rows for every tree (zeros
# for the others), so that keying a row needs no fancy indexing.
_DENSE_KEYS = 0.25


@dataclass(frozen=True)
class _Sklearn:
    """What explaining needs from a fitted HistGradientBoosting model."""

    predictors: list  # per iteration, [TreePredictor]
    baseline: float  # the raw score before the first tree
    column_of: np.ndarray  # the trees' feature_idx -> column of the matrix
    categorical: np.ndarray  # feature_idx -> whether the column is categorical
    known_categories: np.ndarray  # (categorical columns, 8) bitsets of codes seen in training
    known_row: np.ndarray  # feature_idx -> its row of known_categories
    preprocess: Callable[[pd.DataFrame], np.ndarray]


def _sklearn(estimator) -> _Sklearn:
    """The one place that reads HistGradientBoosting's private API (checked on sklearn 1.9).

    `_predictors` and `_baseline_prediction` are what `_raw_predict` sums. `_preprocess_X` is
    what `predict` applies to a DataFrame: with categorical columns, a ColumnTransformer
    ordinal-encodes them (unknown categories become NaN) and puts them first, so the trees'
    `feature_idx` counts in its output order. `make_known_categories_bitsets` is what
    `_predict_iterations` hands the Cython predictor so that codes unseen in training go the
    missing way.
    """
    if estimator.n_trees_per_iteration_ != 1:
        raise ValueError("explanations support binary classifiers and regressors only")
    n = estimator.n_features_in_
    preprocessor = estimator._preprocessor
    column_of = np.arange(n)
    if preprocessor is not None:
        for name, _, columns in preprocessor.transformers_:
            if name in preprocessor.output_indices_:
                # sklearn gives each transformer its columns as a boolean mask
                columns = np.arange(n)[np.asarray(columns, dtype=bool)]
                column_of[preprocessor.output_indices_[name]] = columns
    known, known_row = estimator._bin_mapper.make_known_categories_bitsets()
    return _Sklearn(
        predictors=[predictor for (predictor,) in estimator._predictors],
        baseline=float(np.ravel(estimator._baseline_prediction)[0]),
        column_of=column_of,
        categorical=np.asarray(estimator._bin_mapper.is_categorical_, dtype=bool),
        known_categories=known,
        known_row=known_row.astype(np.intp),
        preprocess=partial(estimator._preprocess_X, reset=False),
    )


@dataclass(frozen=True)
class _Leaves:
    """A tree's leaves whose paths test more than TABLE_MAX_BITS distinct features."""

    leaves: np.ndarray  # positions among the tree's leaves
    share: np.ndarray  # (leaves, d): z_j, the product of the training shares of j's tests
    value: np.ndarray  # (leaves,)
    slots: np.ndarray  # (leaves, d): position in the tree's `columns` of each path feature


@dataclass(frozen=True)
class _Tree:
    """One tree as its cells need it. A slot is a leaf and one feature its path tests."""

    slot_splits: np.ndarray  # (words, slots): key bits of the slot's tests (its splits)
    slot_lefts: np.ndarray  # (words, slots): those of them where the path goes left
    # (leaves, slots): 1 << the slot's bit in its leaf's failed-feature mask, 0 off the leaf;
    # its product with the failed slots is the masks (a float matmul, exact for these sums)
    slot_bits: np.ndarray
    columns: np.ndarray  # the feature_idx the tree splits on, sorted (a leaf's bit order)
    table: np.ndarray  # (rows, columns): contributions by leaf and failed-feature mask
    tabled: np.ndarray  # the leaves with table rows (at most TABLE_MAX_BITS path features)
    offsets: np.ndarray  # the table row of mask 0 of each of them
    untabled: list[_Leaves]


@dataclass(frozen=True)
class _Column:
    """One column cut into bins by every threshold the forest uses on it, and for each tree
    that splits on it, its directions at those splits packed as key bits, by bin."""

    feature: int  # feature_idx
    thresholds: np.ndarray | None  # numeric: sorted; bins 0..len for numbers, len + 1 for NaN
    trees: np.ndarray | None  # the trees that split on it; None: key has a row for every tree
    key: np.ndarray  # (words, trees, bins)


@dataclass(frozen=True)
class _Forest:
    trees: list[_Tree]
    columns: list[_Column]
    words: int
    base_value: float
    column_of: np.ndarray
    preprocess: Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class _Paths:
    """All trees' nodes in flat arrays, and what each node's path from its root tests: per
    node and per column its tree splits on (in sorted order), whether the path tests it, the
    product of the training shares of those tests, and the key bits of their splits."""

    nodes: np.ndarray  # all trees' nodes, tree after tree
    tree: np.ndarray  # each node's tree
    splits: np.ndarray  # the internal nodes
    position: np.ndarray  # per split: its rank among its tree's splits, its bit in a key
    columns: list[np.ndarray]  # per tree: the columns it splits on, sorted
    tested: np.ndarray  # (nodes, columns)
    share: np.ndarray  # (nodes, columns)
    tests: np.ndarray  # (words, nodes, columns): key bits of the path's tests of the column
    lefts: np.ndarray  # (words, nodes, columns): those where the path goes left


def _paths(grown: list, n_columns: int, words: int) -> _Paths:
    """All paths at once, one depth of all trees at a time (no Python loop over nodes)."""
    sizes = [len(p.nodes) for p in grown]
    nodes = np.concatenate([p.nodes for p in grown])
    tree = np.repeat(np.arange(len(grown)), sizes)
    offset = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes)
    splits = np.flatnonzero(~nodes["is_leaf"].astype(bool))
    pairs, slot_of = np.unique(tree[splits] * n_columns + nodes["feature_idx"][splits],
                               return_inverse=True)
    first = np.searchsorted(pairs // n_columns, np.arange(len(grown)))
    slot = np.zeros(len(nodes), np.intp)
    slot[splits] = slot_of.ravel() - first[tree[splits]]
    per_tree = np.bincount(tree[splits], minlength=len(grown))
    position = np.arange(len(splits)) - np.repeat(np.cumsum([0, *per_tree[:-1]]), per_tree)
    word = np.zeros(len(nodes), np.intp)
    bit = np.zeros(len(nodes), _KEY)
    word[splits], bit[splits] = position // _WORD, np.left_shift(1, position % _WORD)
    width = int(np.diff([*first, len(pairs)]).max())
    count = nodes["count"].astype(np.float64)
    left = nodes["left"].astype(np.intp) + offset
    right = nodes["right"].astype(np.intp) + offset
    tested = np.zeros((len(nodes), width), bool)
    share = np.ones((len(nodes), width))
    tests = np.zeros((words, len(nodes), width), _KEY)
    lefts = np.zeros((words, len(nodes), width), _KEY)
    depth = nodes["depth"][splits]
    for level in range(int(depth.max()) + 1):
        parent = splits[depth == level]
        s, w, b = slot[parent], word[parent], bit[parent]
        for child, went_left in ((left[parent], True), (right[parent], False)):
            tested[child] = tested[parent]
            tested[child, s] = True
            share[child] = share[parent]
            # sklearn never grows an empty child (min_samples_leaf >= 1): shares are > 0
            share[child, s] *= count[child] / count[parent]
            tests[:, child] = tests[:, parent]
            tests[w, child, s] |= b
            lefts[:, child] = lefts[:, parent]
            if went_left:
                lefts[w, child, s] |= b
    columns = np.split(pairs % n_columns, first[1:])
    return _Paths(nodes, tree, splits, position, columns, tested, share, tests, lefts)


def _forest(sk: _Sklearn) -> _Forest:
    grown = [p for p in sk.predictors if not p.nodes[0]["is_leaf"]]
    base = sk.baseline + sum(float(p.nodes[0]["value"]) for p in sk.predictors
                             if p.nodes[0]["is_leaf"])  # a constant tree moves only the base
    if not grown:
        return _Forest([], [], 1, base, sk.column_of, sk.preprocess)
    words = -(-max(int((~p.nodes["is_leaf"].astype(bool)).sum()) for p in grown) // _WORD)
    paths = _paths(grown, len(sk.column_of), words)
    leaves = np.flatnonzero(paths.nodes["is_leaf"])
    value = paths.nodes["value"][leaves]
    tested, share = paths.tested[leaves], paths.share[leaves]
    base += float(value @ share.prod(axis=1))  # the trees' expected outputs
    depth = tested.sum(axis=1)
    if depth.max() > _MAX_PATH:
        raise ValueError(f"a path tests more than {_MAX_PATH} distinct features: too deep to "
                         "explain")
    # Table layout: tree after tree, each leaf's 2^d masks, each a row of the tree's columns.
    tree_of = paths.tree[leaves]
    first_leaf = np.searchsorted(tree_of, np.arange(len(grown) + 1))
    width = np.array([len(c) for c in paths.columns])[tree_of]
    rows = np.where(depth <= TABLE_MAX_BITS, 1 << np.minimum(depth, TABLE_MAX_BITS), 0)
    before = np.cumsum(rows) - rows
    row = before - before[first_leaf[tree_of]]  # the leaf's first row in its tree's table
    size = np.add.reduceat(rows * width, first_leaf[:-1])
    start = np.cumsum(size) - size
    flat = np.zeros(int(size.sum()))
    origin = start[tree_of] + row * width
    for d in np.unique(depth[depth <= TABLE_MAX_BITS]):
        mine = np.flatnonzero(depth == d)
        at_share = share[mine][tested[mine]].reshape(-1, d)
        slots = np.nonzero(tested[mine])[1].reshape(-1, d)
        step = max(1, 2_000_000 // (2**d * d * 4))  # leaves at a time: ~2M cells of work
        for i in range(0, len(mine), step):
            s = slice(i, i + step)
            cell = (origin[mine[s], None, None] + slots[s, :, None]
                    + np.arange(2**d) * width[mine[s], None, None])  # (leaves, d, masks)
            flat[cell] = _all_masks_game(at_share[s], value[mine[s]])
    trees = []
    for k, columns in enumerate(paths.columns):
        lo, hi = first_leaf[k], first_leaf[k + 1]
        mine = tested[lo:hi]
        leaf, _ = np.nonzero(mine)
        # float32 holds masks of up to 24 bits exactly, and multiplies twice as fast
        bits = np.zeros((hi - lo, len(leaf)), np.float32 if depth.max() <= 24 else np.float64)
        bits[leaf, np.arange(len(leaf))] = 2.0 ** (np.cumsum(mine, axis=1) - 1)[mine]
        deep = np.flatnonzero(depth[lo:hi] > TABLE_MAX_BITS)
        trees.append(_Tree(
            slot_splits=paths.tests[:, leaves[lo:hi]][:, mine],
            slot_lefts=paths.lefts[:, leaves[lo:hi]][:, mine],
            slot_bits=bits,
            columns=columns,
            table=flat[start[k]: start[k] + size[k]].reshape(-1, len(columns)),
            tabled=np.flatnonzero(depth[lo:hi] <= TABLE_MAX_BITS),
            offsets=row[lo:hi][depth[lo:hi] <= TABLE_MAX_BITS],
            untabled=[
                _Leaves(g, share[lo + g][tested[lo + g]].reshape(len(g), d), value[lo + g],
                        np.nonzero(tested[lo + g])[1].reshape(len(g), d))
                for d in np.unique(depth[lo:hi][deep])
                for g in [deep[depth[lo:hi][deep] == d]]
            ],
        ))
    columns = _columns(sk, grown, paths, words)
    return _Forest(trees, columns, words, base, sk.column_of, sk.preprocess)


def _columns(sk: _Sklearn, grown: list, paths: _Paths, words: int) -> list[_Column]:
    """For each column the trees split on, its bins and each tree's key bits by bin."""
    splits = paths.nodes[paths.splits]
    tree_of, position = paths.tree[paths.splits], paths.position
    bitsets = np.concatenate([_left_bitsets(p) for p in grown])
    out = []
    for feature in np.unique(splits["feature_idx"]):
        on = np.flatnonzero(splits["feature_idx"] == feature)
        thresholds, left = _split_directions(sk, int(feature), splits[on], bitsets[on])
        trees_on, first = np.unique(tree_of[on], return_index=True)
        key = np.zeros((words, len(trees_on), left.shape[1]), _KEY)
        for w in range(words):
            mine = position[on] // _WORD == w
            bits = np.where(mine[:, None] & left, np.left_shift(1, position[on] % _WORD)[:, None],
                            0)
            key[w] = np.bitwise_or.reduceat(bits, first, axis=0)
        if len(trees_on) >= _DENSE_KEYS * len(grown):
            every = np.zeros((words, len(grown), left.shape[1]), _KEY)
            every[:, trees_on] = key
            trees_on, key = None, every
        out.append(_Column(int(feature), thresholds, trees_on, key))
    return out


def _split_directions(sk: _Sklearn, feature: int, nodes: np.ndarray,
                      bitsets: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The column's thresholds (None if categorical), and whether each of `nodes` (splits on
    the column) sends each bin left, as sklearn's _predictor.pyx routes: NaN the missing way;
    numbers left when <= threshold; a category left when in the split's bitset, right when a
    category seen in training, else (unknown, negative or missing) the missing way."""
    missing_left = nodes["missing_go_to_left"].astype(bool)[:, None]
    if sk.categorical[feature]:
        codes = np.arange(_NO_CODE)
        in_left = (bitsets[:, codes >> 5] >> (codes & 31).astype(np.uint32)) & 1
        seen = sk.known_categories[sk.known_row[feature]]
        known = (seen[codes >> 5] >> (codes & 31).astype(np.uint32)) & 1
        left = np.where(in_left.astype(bool), True, np.where(known.astype(bool), False,
                                                              missing_left))
        return None, np.hstack([left, missing_left])
    thresholds = np.unique(nodes["num_threshold"])
    at = np.searchsorted(thresholds, nodes["num_threshold"])
    left = np.arange(len(thresholds) + 1) <= at[:, None]
    return thresholds, np.hstack([left, missing_left])


def _left_bitsets(predictor) -> np.ndarray:
    """(splits, 8): each split's raw left-category bitset (zeros for numeric splits)."""
    splits = predictor.nodes[~predictor.nodes["is_leaf"].astype(bool)]
    raw = predictor.raw_left_cat_bitsets.reshape(-1, 8)
    if not len(raw):
        return np.zeros((len(splits), 8), np.uint32)
    return raw[splits["bitset_idx"]]


def _bins(column: _Column, x: np.ndarray) -> np.ndarray:
    if column.thresholds is None:  # category codes; NaN compares False
        return np.where((x >= 0) & (x < _NO_CODE), x, _NO_CODE).astype(np.intp)
    bins = np.searchsorted(column.thresholds, x)  # x <= thresholds[k] exactly when bin <= k
    bins[np.isnan(x)] = len(column.thresholds) + 1
    return bins


def _keys(forest: _Forest, X: np.ndarray) -> np.ndarray:
    """(words, trees, rows): each row's directions at each tree's splits, as key bits."""
    keys = np.zeros((forest.words, len(forest.trees), len(X)), _KEY)
    for column in forest.columns:
        bits = column.key[:, :, _bins(column, X[:, column.feature])]
        if column.trees is None:
            keys |= bits
        else:
            keys[:, column.trees] |= bits
    return keys


@dataclass(frozen=True)
class _Cells:
    """Per tree, the rows that go the same way at every split, and one key of each."""

    of_row: np.ndarray  # (trees, rows): the row's cell, counted within its tree
    keys: np.ndarray  # (words, cells of all trees, tree after tree)
    start: np.ndarray  # (trees + 1,): each tree's first cell in `keys`


def _cells(keys: np.ndarray) -> _Cells:
    if len(keys) == 1:
        order = np.argsort(keys[0], axis=1)
    else:
        order = np.lexsort(keys[::-1], axis=-1)
    ordered = np.take_along_axis(keys, order[None], axis=2)
    new = np.ones(order.shape, bool)
    new[:, 1:] = (ordered[:, :, 1:] != ordered[:, :, :-1]).any(axis=0)
    counted = np.cumsum(new, axis=1, dtype=np.int32) - 1
    of_row = np.empty_like(counted)
    np.put_along_axis(of_row, order, counted, axis=1)
    start = np.concatenate([[0], np.cumsum(counted[:, -1] + 1)])
    return _Cells(of_row, ordered[:, new], start)


def _gauss_legendre(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1], exact for polynomials of degree d - 1."""
    t, w = np.polynomial.legendre.leggauss(max(1, (d + 1) // 2))
    return (t + 1) / 2, w / 2


def _product_game(passed: np.ndarray, share: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Shapley values of v * prod_{j in S} o_j * prod_{j not in S} z_j (see the module doc).

    passed (o, 0/1) and share (z) broadcast together over (..., d); value is shaped like share
    without its last axis. The quadrature nodes lie inside (0, 1) and shares are > 0, so every
    factor is > 0 and the product over the other features is the whole product over one.
    """
    t, w = _gauss_legendre(share.shape[-1])
    f = passed[..., None] * t + (1 - t) * share[..., None]  # (..., d, nodes)
    others = f.prod(axis=-2, keepdims=True) / f
    return value[..., None] * (passed - share) * (others @ w)


def _all_masks_game(share: np.ndarray, value: np.ndarray) -> np.ndarray:
    """`_product_game` for every failed-feature mask at once: (leaves, d, 2^d).

    The product over all features is built for every mask by doubling (bit j set: feature j
    failed), then feature i's integrand is that product, where i passed, over i's factor.
    Arrays run quadrature node first, so each step works on whole contiguous blocks.
    """
    n, d = share.shape
    t, w = _gauss_legendre(d)
    t = t[:, None, None]
    passed = t + (1 - t) * share  # (nodes, leaves, d): t o_j + (1 - t) z_j with o_j = 1
    failed = (1 - t) * share  # o_j = 0
    whole = np.ones((len(w), n, 1))
    for j in range(d):
        whole = np.concatenate([whole * passed[:, :, j, None], whole * failed[:, :, j, None]],
                               axis=2)
    weight = w[:, None, None] / passed
    phi = np.empty((n, d, 2**d))
    for i in range(d):
        # masks as (high bits, bit i, low bits); the integral does not depend on bit i
        others = whole.reshape(len(w), n, 2 ** (d - 1 - i), 2, 2**i)[:, :, :, 0]
        integral = (others * weight[:, :, i, None, None]).sum(axis=0)
        out = phi[:, i].reshape(n, 2 ** (d - 1 - i), 2, 2**i)
        out[:, :, 0] = (value * (1 - share[:, i]))[:, None, None] * integral
        out[:, :, 1] = (value * -share[:, i])[:, None, None] * integral
    return phi


def _passed(masks: np.ndarray, d: int) -> np.ndarray:
    """(..., d) of 0/1 from failed-feature masks: 1 where the row passes feature j's tests."""
    return 1.0 - ((masks[..., None] >> np.arange(d)) & 1)


def _cell_contributions(tree: _Tree, keys: np.ndarray) -> np.ndarray:
    """cells x the tree's columns: the tree's contributions to a row of each cell.

    Arrays run leaves (or slots) x cells: numpy reduces fastest over the first axis.
    """
    # a path feature is failed when the cell goes another way at any of its tests
    failed = (tree.slot_splits[0, :, None] & keys[0]) != tree.slot_lefts[0, :, None]
    for w in range(1, len(keys)):
        failed |= (tree.slot_splits[w, :, None] & keys[w]) != tree.slot_lefts[w, :, None]
    masks = (tree.slot_bits @ failed.astype(tree.slot_bits.dtype)).astype(np.int64)
    width = len(tree.columns)
    out = np.zeros((keys.shape[1], width))
    if len(tree.tabled):
        at = masks[tree.tabled] + tree.offsets[:, None]
        rows = np.take(tree.table.view(np.dtype((np.void, 8 * width))).ravel(), at)
        out += rows.view(np.float64).reshape(*at.shape, width).sum(axis=0)
    for g in tree.untabled:
        phi = _product_game(_passed(masks[g.leaves].T, g.share.shape[1]), g.share, g.value)
        for j in range(g.share.shape[1]):
            np.add.at(out, (slice(None), g.slots[:, j]), phi[:, :, j])
    return out


def contributions(bundle: Bundle, matrix: pd.DataFrame) -> tuple[float, np.ndarray]:
    """The base value, and each row's contribution of each feature (the columns of `matrix`).

    `matrix` is `frames.design(rows, bundle.features, bundle.categories)`. For every row,
    base value + the row's contributions = the estimator's raw score of it.
    """
    if list(matrix.columns) != list(bundle.features):
        raise ValueError("the matrix's columns are not the model's features, in order")
    forest = _forest(_sklearn(bundle.estimator))
    if len(matrix) == 0 or not forest.trees:
        return forest.base_value, np.zeros((len(matrix), len(bundle.features)))
    X = forest.preprocess(matrix)
    # The matrix products here are small: BLAS threads would only wait on one another (2-3x
    # slower on a busy 2-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return forest.base_value, _explain(forest, X, len(bundle.features))


def _explain(forest: _Forest, X: np.ndarray, n_features: int) -> np.ndarray:
    # columns x rows: each tree adds to a few whole rows of it
    by_column = np.zeros((n_features, len(X)))
    step = max(1, _KEY_CELLS // len(forest.trees))
    for first in range(0, len(X), step):
        rows = slice(first, first + step)
        cells = _cells(_keys(forest, X[rows]))
        for k, tree in enumerate(forest.trees):
            per_cell = _cell_contributions(tree, cells.keys[:, cells.start[k]: cells.start[k + 1]])
            by_column[forest.column_of[tree.columns], rows] += np.take(
                per_cell.T, cells.of_row[k], axis=1
            )
    return np.ascontiguousarray(by_column.T)


def _value_json(value) -> str:
    """A feature's value as the model saw it, as JSON: a number, a category, or null."""
    if isinstance(value, str):
        return json.dumps(value)
    if value is None or value is pd.NA or not isfinite(value):
        return "null"  # NaN is a missing value; jsonb cannot hold an infinity either
    return repr(float(value))


def top_features(bundle: Bundle, matrix: pd.DataFrame, k: int = TOP_K) -> list[str]:
    """Per row, a JSON list of its `k` largest contributions by size, largest first:
    `[{"feature": ..., "value": ..., "contribution": ...}]`, contributions rounded to 6 places;
    features contributing nothing at that precision are left out. (The text is what
    `json.dumps` writes, built directly: a day's rows take a few ms instead of tens.)"""
    _, values = contributions(bundle, matrix)
    values = np.round(values, 6)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(values, order, axis=1).tolist()
    heads = [f'{{"feature": {json.dumps(c)}, "value": ' for c in matrix.columns]
    scored = [matrix[c].astype(object).tolist() for c in matrix.columns]
    out = []
    for i, (columns, contributions_) in enumerate(zip(order.tolist(), top, strict=True)):
        items = [
            f'{heads[j]}{_value_json(scored[j][i])}, "contribution": {c!r}}}'
            for j, c in zip(columns, contributions_, strict=True) if c != 0
        ]
        out.append(f"[{', '.join(items)}]")
    return out

"""Feature drift: population stability index (PSI) of each feature, training rows vs now.

PSI = sum over bins of (a - e) * ln(a / e), with e the share of training rows in a bin and a the
share of scored rows. Numeric bins are training deciles (missing values are a bin of their own);
categories are their own bins. Common reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major.
"""

import numpy as np
import pandas as pd

BINS = 10
MIN_ENTITIES_PER_BIN = 10
_FLOOR = 1e-4  # an empty bin would make ln(a / e) infinite


def bins_for(entities: int) -> int:
    """Deciles, unless there are too few entities to fill them: a week of 36 vehicles is 36
    independent values, not 252, and 10 bins of 3-4 vehicles each read noise as drift."""
    return max(2, min(BINS, entities // MIN_ENTITIES_PER_BIN))


def psi(expected: pd.Series, actual: pd.Series, bins: int = BINS) -> float:
    if isinstance(expected.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(
        expected
    ):
        e, a = _category_shares(expected, actual)
    else:
        e, a = _numeric_shares(expected.astype(float), actual.astype(float), bins)
    e = np.maximum(e, _FLOOR)
    a = np.maximum(a, _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def _numeric_shares(
    expected: pd.Series, actual: pd.Series, bins: int
) -> tuple[np.ndarray, np.ndarray]:
    known = expected.dropna().to_numpy()
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1])) if len(known) else []

    def shares(values: pd.Series) -> np.ndarray:
        counts = np.zeros(len(edges) + 2)
        present = values.dropna().to_numpy()
        np.add.at(counts, np.searchsorted(edges, present, side="right"), 1)
        counts[-1] = values.isna().sum()
        return counts / max(len(values), 1)

    return shares(expected), shares(actual)


def _category_shares(expected: pd.Series, actual: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    e = expected.astype("string").fillna("<missing>").value_counts(normalize=True)
    a = actual.astype("string").fillna("<missing>").value_counts(normalize=True)
    keys = sorted(set(e.index) | set(a.index))
    return e.reindex(keys, fill_value=0).to_numpy(), a.reindex(keys, fill_value=0).to_numpy()


def feature_psi(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], bins: int = BINS
) -> dict[str, float]:
    return {c: round(psi(reference[c], current[c], bins), 6) for c in columns}

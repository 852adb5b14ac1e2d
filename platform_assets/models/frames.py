"""The model's view of a dataset: which columns are features, and their types, fixed at training.

Training, evaluation, the gate's comparison, drift and batch scoring all go through `design`, so
a model sees the same columns, in the same order, with the same categories, wherever it runs.
"""

from collections.abc import Mapping, Sequence

import pandas as pd

from platform_assets.features.views import KEY_COLUMNS

# Columns of a dataset that are never features: keys, the label, the split, and the time
# columns the leakage check reads (`<view>__feature_ts`, `<view>__source_max_ts`).
NOT_FEATURES = {"label_ts", "label", "split"}


def feature_columns(frame: pd.DataFrame, entity_key: str) -> list[str]:
    """The dataset's feature columns in table order."""
    skip = NOT_FEATURES | {entity_key}
    return [
        c for c in frame.columns
        if c not in skip and not any(c.endswith(f"__{k}") for k in KEY_COLUMNS)
    ]


def categories_of(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """The text columns' categories as seen in training, sorted (unseen values score as NaN)."""
    return {
        c: sorted(frame[c].dropna().astype(str).unique().tolist())
        for c in columns
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    }


def design(
    frame: pd.DataFrame, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """The feature matrix: `columns` in order, text as fixed categoricals, numbers as float."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"the rows lack the model's feature columns {missing}")
    out = {}
    for column in columns:
        if column in categories:
            known = list(categories[column])
            values = frame[column].astype("string")
            out[column] = values.where(values.isin(known)).astype(pd.CategoricalDtype(known))
        else:
            out[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    return pd.DataFrame(out, index=frame.index)

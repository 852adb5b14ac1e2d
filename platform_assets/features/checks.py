"""Data-quality checks of every feature view, run as asset checks on each materialization.

Keys, nulls and leakage are blocking: the training datasets and the promotion gate downstream
must not build on a view whose rows are duplicated or claim to be known before their sources.
Volume against the previous days only warns: a quiet day is not an error.
"""

from datetime import date, timedelta

from platform_assets.features.views import FeatureView
from platform_assets.quality import (
    Check,
    column_pair_not_later_check,
    not_null_check,
    range_check,
    row_count_vs_previous_check,
    unique_keys_check,
)

# Feature rows of a day range. Casts are written cast(... as ...): GX reads `:name` as a bind
# parameter, so the relation avoids `::`.
_RANGE = (
    "select * from features.{name}"
    " where feature_ts > cast(cast(%(first_day)s as date) as timestamp) at time zone 'UTC'"
    " and feature_ts <= cast(cast(%(last_day)s as date) + 1 as timestamp) at time zone 'UTC'"
)


def relation(view: FeatureView) -> str:
    return _RANGE.format(name=view.name)


def check_params(first_day: str, last_day: str) -> dict:
    """The day range under test, and the range of the same length just before it."""
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    days = (last - first).days + 1
    return {
        "first_day": first_day,
        "last_day": last_day,
        "previous_first_day": (first - timedelta(days=days)).isoformat(),
        "previous_last_day": (first - timedelta(days=1)).isoformat(),
    }


def _columns_present(columns: list[str]):
    import great_expectations as gx  # lazy: GX costs seconds to import

    return gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False)


def view_checks(view: FeatureView) -> list[Check]:
    previous = relation(view).replace("%(first_day)s", "%(previous_first_day)s").replace(
        "%(last_day)s", "%(previous_last_day)s"
    )
    keys = [view.entity_key, "feature_ts"]
    checks = [
        Check(
            name="key_columns",
            description="The entity key and the time columns exist (the table's DDL fixes the "
            "feature columns' types).",
            blocking=True,
            expectations=lambda _: [_columns_present([*keys, "source_max_ts"])],
        ),
        unique_keys_check(keys, blocking=True, description="One row per (entity, feature_ts)."),
        not_null_check(keys, blocking=True, description="Keys are never null."),
        column_pair_not_later_check(
            "feature_ts",
            ["source_max_ts"],
            name="no_future_source",
            blocking=True,
            description="No row folds in source data later than the moment it claims to be "
            "valid (leakage).",
        ),
        row_count_vs_previous_check(
            previous, min_ratio=0.5, max_ratio=2.0,
            description="Rows per day within 0.5x-2x of the same span just before.",
        ),
    ]
    checks += [range_check(column, low, high) for column, low, high in view.ranges]
    return checks

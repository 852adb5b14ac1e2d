"""Data quality: GX suites run in SQL as Dagster asset checks, with a history in Postgres.

    from platform_assets.quality import CheckedTable, schema_check, unique_keys_check, ...

See `checks` for the contract and `common` for the one-line checks most assets need.
"""

from platform_assets.quality.checks import (
    Check,
    CheckContext,
    CheckedTable,
    quality_score,
    record_check,
)
from platform_assets.quality.common import (
    column_pair_not_later_check,
    label_balance_check,
    not_null_check,
    purged_split_check,
    range_check,
    row_count_vs_previous_check,
    schema_check,
    unique_keys_check,
)

__all__ = [
    "Check",
    "CheckContext",
    "CheckedTable",
    "column_pair_not_later_check",
    "label_balance_check",
    "not_null_check",
    "purged_split_check",
    "quality_score",
    "range_check",
    "record_check",
    "row_count_vs_previous_check",
    "schema_check",
    "unique_keys_check",
]

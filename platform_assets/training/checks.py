"""Blocking data-quality checks of every training dataset.

They stand between a dataset and anything trained on it: a model is only as trustworthy as the
rows it learned from, so any failure here stops the training and promotion downstream.
"""

from psycopg import sql

from platform_assets import keys
from platform_assets.quality import (
    Check,
    CheckedTable,
    column_pair_not_later_check,
    label_balance_check,
    not_null_check,
    purged_split_check,
    range_check,
    unique_keys_check,
)
from platform_assets.training.tasks import Task

# Share of positive labels a classification dataset may have and still be learnable.
MIN_POSITIVE_RATE = 0.001
MAX_POSITIVE_RATE = 0.9

SPLIT_PURGED = "split_purged"
HAS_TRAINING_ROWS = "has_training_rows"


def _relation(table_name: str) -> str:
    return sql.SQL("select * from {}").format(sql.Identifier("training", table_name)).as_string()


def _has_rows() -> Check:
    def expectations(_):
        import great_expectations as gx  # lazy: GX costs seconds to import

        return [gx.expectations.ExpectTableRowCountToBeBetween(min_value=1)]

    return Check(
        name="has_rows",
        description="The dataset is not empty.",
        blocking=True,
        expectations=expectations,
    )


def _has_training_rows() -> Check:
    def expectations(_):
        import great_expectations as gx  # lazy: GX costs seconds to import

        return [gx.expectations.ExpectColumnDistinctValuesToContainSet(
            column="split", value_set=["train"]
        )]

    return Check(
        name=HAS_TRAINING_ROWS,
        description="The train split has rows: a short history whose dates the purge drops "
        "(the label horizon spans them) leaves nothing to learn from.",
        blocking=True,
        expectations=expectations,
    )


def checked_dataset(task: Task, table_name: str | None = None) -> CheckedTable:
    """The dataset's checks (a dataset is one build, not partitioned), on `training.<task>` or,
    during a build, on the build table `table_name` before it is published."""
    later = [
        f"{view.name}__{column}"
        for view in task.views
        for column in ("feature_ts", "source_max_ts")
    ]
    checks = [
        _has_rows(),
        _has_training_rows(),
        unique_keys_check(
            [task.entity_key, "label_ts"],
            blocking=True,
            description="One row per (entity, label_ts).",
        ),
        not_null_check(
            [task.entity_key, "label_ts", "label", "split"],
            blocking=True,
            description="Keys, labels and splits are never null.",
        ),
        column_pair_not_later_check(
            "label_ts",
            later,
            name="no_leakage",
            blocking=True,
            description="No joined feature row, nor any source data folded into it, is later "
            "than the label's as-of time.",
        ),
        purged_split_check(
            "label_ts",
            "split",
            task.horizon,
            name=SPLIT_PURGED,
            blocking=True,
            description="No label window (label_ts, label_ts + horizon] of a train row reaches "
            "past the first valid label_ts (test when valid is empty), nor one of a valid row "
            "past the first test label_ts: train, valid and test never share a label event.",
        ),
    ]
    if task.kind == "classification":
        checks.append(
            label_balance_check(
                "label",
                MIN_POSITIVE_RATE,
                MAX_POSITIVE_RATE,
                blocking=True,
                description=f"Positive rate within [{MIN_POSITIVE_RATE}, {MAX_POSITIVE_RATE}].",
            )
        )
    else:
        checks.append(
            range_check(
                "label",
                0,
                None,
                name="label_in_range",
                blocking=True,
                description="Regression labels are non-negative.",
            )
        )
    return CheckedTable(
        keys.dataset_key(task.name), _relation(table_name or task.name), tuple(checks)
    )

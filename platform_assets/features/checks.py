"""Data-quality checks of every feature view, run as asset checks on each materialization.

Keys, nulls, leakage and value ranges are blocking: the training datasets and the promotion gate
downstream must not build on a view whose rows are duplicated, claim to be known before their
sources, or hold impossible values (a fill level of 300%).
Volume against the previous days only warns: a quiet day is not an error.
"""

from psycopg import sql

from platform_assets import keys
from platform_assets.features.views import FeatureView
from platform_assets.partitions import DAILY
from platform_assets.quality import (
    Check,
    CheckedTable,
    column_pair_not_later_check,
    not_null_check,
    range_check,
    unique_keys_check,
)

# Feature rows of a day range. Casts are written cast(... as ...): GX reads `:name` as a bind
# parameter, so the relation avoids `::`.
_RANGE = (
    "select * from {table}"
    " where feature_ts > cast(cast(%(first_day)s as date) as timestamp) at time zone 'UTC'"
    " and feature_ts <= cast(cast(%(last_day)s as date) + 1 as timestamp) at time zone 'UTC'"
)


def _relation(view: FeatureView) -> str:
    return sql.Composed([
        sql.SQL(_RANGE).format(table=sql.Identifier("features", view.name)),
        view.variant_filter(),
    ]).as_string()


def check_params(first_day: str, last_day: str, variant: str = "") -> dict:
    """The days to check, of one variant for a view with variants."""
    return {"first_day": first_day, "last_day": last_day, "variant": variant}


# Days whose row count jumps or drops beyond [0.5x, 2x] of the day before (the day before the
# range included). `{{batch}}` reaches GX as `{batch}`: the rows under test.
_VOLUME_SQL = """\
with per_day as (
    select feature_ts, count(*) as day_rows from {{batch}} group by feature_ts
    union all
    select feature_ts, count(*) from {table}
    where feature_ts = cast(cast({first_day} as date) as timestamp) at time zone 'UTC'{variant}
    group by feature_ts
),
changes as (
    select feature_ts, day_rows, lag(day_rows) over (order by feature_ts) as previous_rows
    from per_day
)
select feature_ts, day_rows, previous_rows from changes
where previous_rows is not null
  and (day_rows < {low} * previous_rows or day_rows > {high} * previous_rows)"""


def _daily_volume(view: FeatureView, low: float = 0.5, high: float = 2.0) -> Check:
    def expectations(ctx):
        import great_expectations as gx  # lazy: GX costs seconds to import

        query = sql.SQL(_VOLUME_SQL).format(
            table=sql.Identifier("features", view.name),
            first_day=sql.Literal(ctx.params["first_day"]),
            variant=sql.SQL(" and {} = {}").format(
                sql.Identifier(view.variant_column), sql.Literal(ctx.params["variant"])
            ) if view.variant_column else sql.SQL(""),
            low=sql.Literal(low),
            high=sql.Literal(high),
        ).as_string(ctx.conn)
        return [gx.expectations.UnexpectedRowsExpectation(
            unexpected_rows_query=query,
            description=f"rows per day within [{low}x, {high}x] of the day before",
            meta={"min_ratio": low, "max_ratio": high},
        )]

    return Check(
        name="daily_volume",
        description=f"Each day's row count is within {low}x-{high}x of the day before (a quiet "
        "day warns, it does not block).",
        blocking=False,
        expectations=expectations,
    )


def _columns_present(columns: list[str]):
    import great_expectations as gx  # lazy: GX costs seconds to import

    return gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False)


def checked_view(view: FeatureView) -> CheckedTable:
    """The view's rows of a day range (`check_params`) and their checks, per day."""
    key_columns = [view.entity_key, "feature_ts"]
    checks = [
        Check(
            name="key_columns",
            description="The entity key and the time columns exist (the table's DDL fixes the "
            "feature columns' types).",
            blocking=True,
            expectations=lambda _: [_columns_present([*key_columns, "source_max_ts"])],
        ),
        unique_keys_check(
            key_columns, blocking=True, description="One row per (entity, feature_ts)."
        ),
        not_null_check(key_columns, blocking=True, description="Keys are never null."),
        column_pair_not_later_check(
            "feature_ts",
            ["source_max_ts"],
            name="no_future_source",
            blocking=True,
            description="No row folds in source data later than the moment it claims to be "
            "valid (leakage).",
        ),
        _daily_volume(view),
    ]
    checks += [range_check(column, low, high, blocking=True) for column, low, high in view.ranges]
    return CheckedTable(keys.feature_key(view.name), _relation(view), tuple(checks), DAILY)

"""The point-in-time join, composed for any number of feature views, each with its own ttl.

For a label of an entity at `label_ts`, each view contributes its row of that entity with the
greatest `feature_ts` in `[label_ts - ttl, label_ts]` (NULLs when there is none), as columns
`<view>__<column>`. The view's `feature_ts` and `source_max_ts` come along so the leakage check
can compare them with `label_ts`. The statement runs inside Postgres; Python only names things.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from psycopg import sql

from platform_assets.db.catalog import table_columns
from platform_assets.db.sql import compose, identifier, table
from platform_assets.features.views import KEY_COLUMNS, FeatureView


@dataclass(frozen=True)
class JoinedView:
    view: FeatureView
    columns: tuple[str, ...]  # feature_ts, source_max_ts, then the feature columns
    variant: str = ""  # the variant read, for a view whose table holds several (a topic fit)

    def output_name(self, column: str) -> str:
        return identifier(f"{self.view.name}__{column}")

    @property
    def ttl_param(self) -> str:
        return f"ttl__{self.view.name}"

    @property
    def variant_param(self) -> str:
        return f"variant__{self.view.name}"


def joined_view(conn: psycopg.Connection, view: FeatureView, variant: str = "") -> JoinedView:
    """The view's columns to carry, read from its table so a new feature column flows through.
    A view with variants joins the one named (`training.versions.current_variant`)."""
    names = [c.name for c in table_columns(conn, "features", view.name)]
    missing = {*view.meta_columns} - set(names)
    if missing:
        raise ValueError(f"features.{view.name} lacks the columns {sorted(missing)}")
    features = [n for n in names if n not in view.meta_columns]
    return JoinedView(view=view, columns=(*KEY_COLUMNS, *features), variant=variant)


def _view_join(joined: JoinedView, alias: sql.Identifier) -> sql.Composed:
    view = joined.view
    columns = [sql.SQL("f.{}").format(sql.Identifier(c)) for c in joined.columns]
    return compose(
        "training/pit_view",
        columns=sql.SQL(", ").join(columns),
        view_table=table("features", view.name),
        entity_key=sql.Identifier(identifier(view.entity_key)),
        ttl=sql.Placeholder(joined.ttl_param),
        variant_filter=view.variant_filter("f", joined.variant_param),
        alias=alias,
    )


def pit_join(
    entity_key: str,
    views: Sequence[JoinedView],
    labels: sql.Identifier,
    target: sql.Identifier,
    purge_horizon: timedelta | None = None,
) -> tuple[sql.Composed, dict]:
    """The `create table target as` statement and its ttl and purge parameters.

    The caller binds `test_from` and `valid_from` (the split cutoffs) besides the returned ones.
    `purge_horizon` (the task's horizon) drops the rows whose label windows cross into the next
    split; None keeps every label row (scoring, unpurged builds).
    """
    if not views:
        raise ValueError("a training dataset needs at least one feature view")
    for joined in views:
        if joined.view.entity_key != entity_key:
            raise ValueError(
                f"feature view {joined.view.name} is keyed by {joined.view.entity_key}, "
                f"the labels by {entity_key}"
            )
    aliases = [sql.Identifier(f"v{i}") for i in range(len(views))]
    columns = [
        sql.SQL("{}.{} as {}").format(alias, sql.Identifier(c), sql.Identifier(j.output_name(c)))
        for j, alias in zip(views, aliases, strict=True)
        for c in j.columns
    ]
    statement = compose(
        "training/pit_join",
        target=target,
        entity_key=sql.Identifier(identifier(entity_key)),
        feature_columns=sql.SQL(",\n    ").join(columns),
        labels=labels,
        view_joins=sql.SQL("\n").join(
            _view_join(j, alias) for j, alias in zip(views, aliases, strict=True)
        ),
    )
    params = {j.ttl_param: j.view.ttl for j in views}
    params |= {j.variant_param: j.variant for j in views if j.view.variant_column}
    return statement, params | {"purge_horizon": purge_horizon}

"""Data-quality checks: Great Expectations suites run inside Postgres as Dagster asset checks.

An asset declares its checks once, as a `CheckedTable` (the asset key, the SQL of the rows
under test and the checks), takes its `specs()` for the decorator and, after writing its rows,
calls `run(...)`. Each `Check` builds its GX expectations at run time (thresholds may come from
the database, e.g. the previous partition's row count) and is validated in SQL through a GX SQL
datasource, so large tables never reach pandas. Every result is returned as an
`AssetCheckResult` (blocking checks fail with ERROR severity, which stops downstream assets) and
appended to `quality.check_results`, so quality has a history.

    TABLE = CheckedTable(
        KEY,
        "select * from features.customer_daily where feature_ts > %(start)s ...",
        (schema_check({...}), unique_keys_check(["customer_id", "feature_ts"])),
        partitions_def=DAILY,
    )

    @dg.asset(key=KEY, check_specs=TABLE.specs(), partitions_def=DAILY, ...)
    def customer_daily(context, postgres: PostgresResource):
        ...  # write the partition
        with postgres.connect() as conn:
            results = TABLE.run(conn, postgres.url(), params, partition_key=...,
                                run_id=context.run.run_id)
        return dg.MaterializeResult(metadata=..., check_results=results)

A failed blocking check fails the asset's step after its materialization is recorded
(DagsterAssetCheckFailedError), so downstream assets in the run do not execute.

GX is imported only when checks run (see `gx_runtime`): it costs seconds that loading the
definitions should not pay.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

from platform_assets.db.sql import load_sql
from platform_assets.quality import gx_runtime
from platform_assets.quality.report import Outcome, check_result

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

_CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class CheckContext:
    """What a check may look at while it builds its expectations.

    `relation` is a select with `%(name)s` placeholders bound from `params`; `conn` is an
    autocommit connection to the platform database, for thresholds computed from data.
    """

    conn: psycopg.Connection
    relation: str
    params: dict
    partition_key: str | None

    def columns(self) -> dict[str, int]:
        """Column names of the relation and their type OIDs (planned, not run: `limit 0`)."""
        cursor = self.conn.execute(
            f"select * from (\n{self.relation}\n) as relation limit 0", self.params
        )
        return {column.name: column.type_code for column in cursor.description}


@dataclass(frozen=True)
class Check:
    """A named group of expectations, shown as one asset check in the Dagster UI."""

    name: str
    description: str
    blocking: bool
    expectations: Callable[[CheckContext], list[Expectation]]

    def __post_init__(self) -> None:
        if not _CHECK_NAME.match(self.name):
            raise ValueError(f"check name {self.name!r} is not lower_snake_case")


@dataclass(frozen=True)
class CheckedTable:
    """The rows one asset writes and the checks they must pass, declared once.

    `relation` is a select with `%(name)s` placeholders for the rows under test (a partition
    range, or the whole table). With `partitions_def`, the checks are declared per partition, so
    the UI shows each day's results on that day; Dagster 1.13 records them per partition for a
    one-day run, and against the asset as a whole for a range run (the range is still in
    `quality.check_results.partition_key`).
    """

    asset_key: dg.AssetKey
    relation: str
    checks: tuple[Check, ...]
    partitions_def: dg.PartitionsDefinition | None = None

    def __post_init__(self) -> None:
        _require_unique_names(self.checks)

    def specs(self) -> list[dg.AssetCheckSpec]:
        """The specs to declare on the asset (`@dg.asset(check_specs=...)`)."""
        with warnings.catch_warnings():  # per-partition checks are a preview API in 1.13
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return [
                dg.AssetCheckSpec(
                    check.name, asset=self.asset_key, blocking=check.blocking,
                    description=check.description, partitions_def=self.partitions_def,
                )
                for check in self.checks
            ]

    def run(
        self,
        conn: psycopg.Connection,
        url: str,
        params: dict,
        *,
        partition_key: str | None,
        run_id: str,
        data_version: str | None = None,
    ) -> list[dg.AssetCheckResult]:
        """Validate the rows with every check; record and return one result per check.

        `data_version` names the version of the data under test (a dataset or feature view
        version), so the promotion gate can find the results for exactly the versions a model
        read. A check that raises (in its builder or inside GX) yields a failed result naming the
        error; the other checks still run. `url` is the platform database's URL, for GX's own
        connections.
        """
        context = CheckContext(conn, self.relation, params, partition_key)
        try:
            outcomes = [_evaluate(context, url, self.asset_key, check) for check in self.checks]
        finally:
            gx_runtime.release(url)
        record(conn, self.asset_key, partition_key, run_id, outcomes, data_version)
        return [check_result(self.asset_key, outcome, partition_key) for outcome in outcomes]


def _evaluate(context: CheckContext, url: str, asset_key: dg.AssetKey, check: Check) -> Outcome:
    query = None
    try:
        query = gx_runtime.render(context.conn, context.relation, context.params)
        expectations = check.expectations(context)
        if not expectations:
            raise ValueError(f"check {check.name!r} built no expectations")
        asset_name = f"{asset_key.to_python_identifier()}__{check.name}"
        facts = gx_runtime.validate(gx_runtime.batch(url, asset_name, query), expectations)
    except Exception as error:
        return Outcome(check.name, check.blocking, error=gx_runtime.describe(error), query=query)
    return Outcome(check.name, check.blocking, expectations=facts, query=query)


def record(
    conn: psycopg.Connection,
    asset_key: dg.AssetKey,
    partition_key: str | None,
    run_id: str,
    outcomes: Sequence[Outcome],
    data_version: str | None = None,
) -> None:
    """Append one `quality.check_results` row per check, all in one transaction."""
    rows = [
        (
            asset_key.to_user_string(),
            outcome.name,
            partition_key,
            outcome.passed,
            outcome.severity.value.lower(),
            Jsonb(outcome.observed()),
            run_id,
            data_version,
        )
        for outcome in outcomes
    ]
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(load_sql("quality/record_check_result"), rows)


def record_check(
    conn: psycopg.Connection,
    asset_key: dg.AssetKey,
    result: dg.AssetCheckResult,
    run_id: str,
    data_version: str,
) -> None:
    """Append a check that is not a GX suite (a model's `artifact_verifies`) to the history, so
    that the gate reads it like every other check, on every path to production."""
    conn.execute(
        load_sql("quality/record_check_result"),
        (
            asset_key.to_user_string(),
            result.check_name,
            None,
            result.passed,
            result.severity.value.lower(),
            Jsonb({"passed": result.passed,
                   **{k: v.value for k, v in result.metadata.items()}}),
            run_id,
            data_version,
        ),
    )


def quality_score(results: Sequence[dg.AssetCheckResult]) -> float:
    """Share of passed checks, 0..1 (1.0 when there were none: nothing failed)."""
    if not results:
        return 1.0
    return sum(1 for result in results if result.passed) / len(results)


def _require_unique_names(checks: Sequence[Check]) -> None:
    names = [check.name for check in checks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate check names: {', '.join(duplicates)}")

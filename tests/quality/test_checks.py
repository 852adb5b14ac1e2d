"""GX checks against the embedded Postgres: each helper passes on good data and explains bad data.

One GX context serves the whole file (it is cached per process), so a check costs tens of ms.
"""

from datetime import date

import dagster as dg
import great_expectations as gx
import pytest

from platform_assets.quality import (
    Check,
    CheckedTable,
    column_pair_not_later_check,
    label_balance_check,
    not_null_check,
    quality_score,
    range_check,
    row_count_vs_previous_check,
    schema_check,
    unique_keys_check,
)
from platform_assets.resources import PostgresResource

KEY = dg.AssetKey(["features", "t"])
DAY = date(2026, 6, 30)
RELATION = "select * from features.t where day = %(day)s"
PREVIOUS = "select * from features.t where day = %(day)s - 1"
SCHEMA = {
    "customer_id": "int8",
    "day": "date",
    "feature_ts": "timestamptz",
    "label_ts": "timestamptz",
    "v": "numeric",
    "label": "boolean",
}
CHECKS = [
    schema_check(SCHEMA),
    unique_keys_check(["customer_id", "day"]),
    not_null_check(["customer_id", "v"], mostly=0.95),
    range_check("v", 0, 99),
    row_count_vs_previous_check(PREVIOUS, min_ratio=0.5, max_ratio=2.0),
    label_balance_check("label", 0.1, 0.5),
    column_pair_not_later_check("label_ts", ["feature_ts"]),
]
# 300 customers on each of two days; v in 0..99, a quarter of labels true, features before labels.
CREATE = """
create table features.t (
    customer_id bigint not null, day date not null, feature_ts timestamptz not null,
    label_ts timestamptz, v numeric, label boolean
);
insert into features.t
select i, d, d + interval '1 hour', d + interval '2 days', i % 100, i % 4 = 0
from generate_series(1, 300) as i, (values (date '2026-06-29'), (date '2026-06-30')) as days (d);
"""
TODAY = "day = '2026-06-30'"


@pytest.fixture
def table(conn):
    conn.execute(CREATE)
    return conn


def check(conn, db_url, checks=CHECKS, relation=RELATION, params=None, partition="2026-06-30"):
    results = CheckedTable(KEY, relation, tuple(checks)).run(
        conn, db_url, {"day": DAY} if params is None else params,
        partition_key=partition, run_id="run-1",
    )
    return {result.check_name: result for result in results}


def failed(results) -> set[str]:
    return {name for name, result in results.items() if not result.passed}


def summary(result: dg.AssetCheckResult) -> str:
    return result.metadata["summary"].value


def test_every_helper_passes_on_good_data_and_the_results_are_recorded(table, db_url):
    results = check(table, db_url)

    assert failed(results) == set()
    assert quality_score(list(results.values())) == 1.0
    rows = table.execute(
        "select asset_key, check_name, partition_key, passed, severity, run_id, observed"
        " from quality.check_results order by check_name"
    ).fetchall()
    assert [row[1] for row in rows] == sorted(c.name for c in CHECKS)
    assert {row[0] for row in rows} == {"features/t"}
    assert {(row[2], row[3], row[4], row[5]) for row in rows} == {
        ("2026-06-30", True, "warn", "run-1")
    }
    observed = {row[1]: row[6] for row in rows}
    [count] = observed["row_count_vs_previous"]["expectations"]
    assert count["observed_value"] == 300
    assert count["meta"]["previous_row_count"] == 300
    assert count["kwargs"] == {"min_value": 150, "max_value": 600}


# failures: the check under test first, then any that fail as a consequence of the same defect.
@pytest.mark.parametrize(
    "plant, failures, explained_by",
    [
        pytest.param(
            f"insert into features.t select * from features.t where {TODAY} and customer_id = 7",
            ["keys_unique"],
            [
                "expect_compound_columns_to_be_unique",
                "column_list=['customer_id', 'day']",
                "unexpected_count=2",
                "'customer_id': 7",
            ],
            id="duplicate-keys",
        ),
        pytest.param(
            f"update features.t set v = null where {TODAY} and customer_id <= 30",
            ["not_null"],
            ["column='v'", "mostly=0.95", "unexpected_count=30", "unexpected_percent=10"],
            id="nulls-above-mostly",
        ),
        pytest.param(
            f"update features.t set v = 5000 where {TODAY} and customer_id = 3",
            ["v_in_range"],
            ["min_value=0", "max_value=99", "unexpected_count=1", "[5000"],
            id="out-of-range",
        ),
        pytest.param(
            "alter table features.t drop column label_ts",
            ["schema", "not_after_label"],
            ["expect_table_columns_to_match_set", "'missing': ['label_ts']"],
            id="missing-column",
        ),
        pytest.param(
            "alter table features.t add column extra int",
            ["schema"],
            ["'unexpected': ['extra']"],
            id="extra-column",
        ),
        pytest.param(
            "alter table features.t alter column customer_id type int",
            ["schema"],
            ["'observed_type': 'integer'", "'expected_type': 'bigint'"],
            id="wrong-type",
        ),
        pytest.param(
            f"delete from features.t where {TODAY} and customer_id > 30",
            ["row_count_vs_previous"],
            ["observed_value=30", "min_value=150", "previous_row_count=300", "min_ratio=0.5"],
            id="row-count-below-previous",
        ),
        pytest.param(
            f"update features.t set label = true where {TODAY}",
            ["label_balance"],
            ["'observed_mean': 1.0", "max_mean=0.5", "min_mean=0.1"],
            id="label-mean-out-of-bounds",
        ),
        pytest.param(
            f"update features.t set feature_ts = label_ts + interval '1 day'"
            f" where {TODAY} and customer_id = 5",
            ["not_after_label"],
            ["column_A='label_ts'", "column_B='feature_ts'", "or_equal=True", "unexpected_count=1"],
            id="feature-later-than-label",
        ),
    ],
)
def test_each_check_fails_on_planted_bad_data_and_says_why(
    table, db_url, plant, failures, explained_by
):
    table.execute(plant)

    results = check(table, db_url)

    assert failed(results) == set(failures)
    target = failures[0]
    text = summary(results[target])
    for fragment in explained_by:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert "| **no** |" in results[target].metadata["expectations"].value


def test_failures_are_recorded_with_partition_run_and_severity(table, db_url):
    table.execute(f"update features.t set v = 5000 where {TODAY} and customer_id = 3")
    blocking = range_check("v", 0, 99, blocking=True)

    [result] = check(table, db_url, checks=[blocking]).values()

    assert result.severity == dg.AssetCheckSeverity.ERROR
    row = table.execute(
        "select passed, severity, partition_key, run_id, observed from quality.check_results"
    ).fetchone()
    assert row[:4] == (False, "error", "2026-06-30", "run-1")
    [fact] = row[4]["expectations"]
    assert fact["kwargs"] == {"column": "v", "min_value": 0, "max_value": 99}  # GX drops defaults
    assert fact["unexpected_count"] == 1 and fact["unexpected_sample"] == [5000]


def test_the_same_asset_checked_again_for_another_partition_replaces_its_query(table, db_url):
    first = check(table, db_url, checks=CHECKS[:2])
    table.execute(
        "insert into features.t select * from features.t where day = '2026-06-29'"
        " and customer_id = 1"
    )
    second = check(
        table, db_url, checks=CHECKS[:2], params={"day": date(2026, 6, 29)}, partition="2026-06-29"
    )

    assert failed(first) == set()
    assert failed(second) == {"keys_unique"}
    partitions = table.execute(
        "select partition_key, bool_and(passed) from quality.check_results group by 1 order by 1"
    ).fetchall()
    assert partitions == [("2026-06-29", False), ("2026-06-30", True)]


def _raises(ctx):
    raise RuntimeError("threshold lookup broke")


def test_an_error_inside_a_check_fails_that_check_only_and_names_the_error(table, db_url):
    checks = [
        Check("builder_raises", "its builder raises", True, _raises),
        Check(
            "unknown_column",
            "GX fails inside the validation",
            False,
            lambda ctx: [gx.expectations.ExpectColumnValuesToNotBeNull(column="nope")],
        ),
        CHECKS[1],
    ]

    results = check(table, db_url, checks=checks)

    assert failed(results) == {"builder_raises", "unknown_column"}
    assert results["builder_raises"].metadata["error"].value == (
        "RuntimeError: threshold lookup broke"
    )
    assert 'The column "nope" in BatchData does not exist' in summary(results["unknown_column"])
    recorded = table.execute("select count(*) from quality.check_results").fetchone()[0]
    assert recorded == 3


@pytest.mark.parametrize(
    "relation, problem",
    [
        ("select * from features.t where day = %(day)s and v::text <> '5%%'", "'%'"),
        ("select *, ' :x' as note from features.t where day = %(day)s", "':x'"),
    ],
)
def test_relations_that_gx_would_rewrite_are_refused(table, db_url, relation, problem):
    # SQLAlchemy inside GX doubles '%' and turns ':x' into a bind parameter (NULL): refuse.
    [result] = check(table, db_url, checks=CHECKS[:1], relation=relation).values()

    assert not result.passed
    assert "UnsafeRelation" in result.metadata["error"].value
    assert problem in result.metadata["error"].value


def test_no_previous_partition_passes_the_row_count_check(table, db_url):
    table.execute("delete from features.t where day = '2026-06-29'")

    [result] = check(table, db_url, checks=[CHECKS[4]]).values()

    assert result.passed
    assert "previous_row_count=0" not in summary(result)  # a pass lists no failures
    assert result.metadata["observed"].value["expectations"][0]["meta"]["previous_row_count"] == 0


def test_a_failed_blocking_check_stops_downstream_assets(table, db_url):
    checks = [unique_keys_check(["day"], blocking=True), not_null_check(["v"])]

    checked = CheckedTable(KEY, RELATION, tuple(checks))

    @dg.asset(key=KEY, check_specs=checked.specs())
    def features_t(context: dg.AssetExecutionContext, postgres: PostgresResource):
        with postgres.connect() as conn:
            results = checked.run(
                conn, postgres.url(), {"day": DAY}, partition_key=None, run_id=context.run.run_id
            )
        return dg.MaterializeResult(check_results=results)

    @dg.asset(deps=[features_t])
    def downstream() -> None:
        pass

    result = dg.materialize(
        [features_t, downstream],
        resources={"postgres": PostgresResource(database_url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["keys_unique"].passed
    assert evaluations["keys_unique"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["not_null"].passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {KEY}
    assert not result.success
    run_ids = table.execute("select distinct run_id from quality.check_results").fetchall()
    assert run_ids == [(result.run_id,)]


def test_check_specs_carry_name_blocking_and_description():
    specs = CheckedTable(
        KEY, RELATION, (CHECKS[0], unique_keys_check(["customer_id"], blocking=True))
    ).specs()

    assert [(s.name, s.asset_key, s.blocking) for s in specs] == [
        ("schema", KEY, False),
        ("keys_unique", KEY, True),
    ]
    assert "customer_id int8" in specs[0].description


def test_duplicate_or_malformed_check_names_are_rejected():
    with pytest.raises(ValueError, match="duplicate check names: keys_unique"):
        CheckedTable(KEY, RELATION, (CHECKS[1], CHECKS[1]))
    with pytest.raises(ValueError, match="lower_snake_case"):
        Check("Keys Unique", "", False, _raises)


@pytest.mark.parametrize(
    "passed, score", [([], 1.0), ([True, True], 1.0), ([True, False, False, True], 0.5)]
)
def test_quality_score_is_the_share_of_passed_checks(passed, score):
    results = [dg.AssetCheckResult(passed=p, check_name=f"c{i}") for i, p in enumerate(passed)]

    assert quality_score(results) == score


def test_gx_learns_a_relations_columns_without_reading_its_rows(table, db_url):
    # GX's own way runs the whole query and buffers every row in the client (a year of
    # bin_daily took a backfill to 6.2 GB): here reading row 7 fails, naming the columns must not.
    relation = ("select customer_id, 1 / (customer_id - 7) as ratio from features.t"
                " where day = %(day)s")
    columns = Check(
        "columns", "the relation's columns", True,
        lambda ctx: [gx.expectations.ExpectTableColumnsToMatchSet(
            column_set=["customer_id", "ratio"], exact_match=True)],
    )

    [result] = check(table, db_url, checks=[columns], relation=relation).values()

    assert result.passed, result.metadata

"""The purged split: no label window of a split reaches into the next one, and that is checked.

Unit tests pin the rule (`Cutoffs.purged`, `purge_summary`, `interval_text`); the builds reuse
test_dataset_build's history (12 customers, 15 weekly dates: 11 train, 2 valid, 2 test), where a
30-day horizon purges the last four train dates and both valid dates.
"""

from datetime import timedelta

import pytest
from test_dataset_build import CHURN, store, write_history
from training_data import ts

from platform_assets.quality import purged_split_check
from platform_assets.quality.common import interval_text
from platform_assets.training.checks import SPLIT_PURGED, checked_dataset
from platform_assets.training.dataset import Window, build_dataset
from platform_assets.training.split import Cutoffs, purge_summary

DAY = timedelta(days=1)
CUTOFFS = Cutoffs(valid_from=ts("2026-03-20 12:00"), test_from=ts("2026-04-03 12:00"))


@pytest.mark.parametrize(
    ("label_ts", "horizon", "split", "purged"),
    [
        ("2026-02-18 12:00", 30 * DAY, "train", False),  # window ends exactly at valid_from
        ("2026-02-18 12:01", 30 * DAY, "train", True),
        ("2026-03-13 12:00", 7 * DAY, "train", False),
        ("2026-03-13 12:00", 14 * DAY, "train", True),  # maintenance: runs into valid
        ("2026-03-20 12:00", 14 * DAY, "valid", False),  # ends exactly at test_from
        ("2026-03-27 12:00", 14 * DAY, "valid", True),
        ("2026-04-10 12:00", 365 * DAY, "test", False),  # test is last: never purged
    ],
)  # fmt: skip
def test_cutoffs_purge_windows_that_cross_into_the_next_split(label_ts, horizon, split, purged):
    assert CUTOFFS.split_of(ts(label_ts)) == split
    assert CUTOFFS.purged(ts(label_ts), horizon) is purged


def test_without_valid_dates_train_is_purged_against_test():
    cutoffs = Cutoffs(valid_from=ts("2026-04-03 12:00"), test_from=ts("2026-04-03 12:00"))
    assert cutoffs.next_split_from("train") == ts("2026-04-03 12:00")
    assert cutoffs.purged(ts("2026-03-27 12:00"), 7 * DAY) is False
    assert cutoffs.purged(ts("2026-03-27 12:00"), 8 * DAY) is True
    only_train = Cutoffs(valid_from=None, test_from=None)
    assert only_train.purged(ts("2026-03-27 12:00"), 365 * DAY) is False


def test_purge_summary_counts_rows_per_split():
    counts = {ts(f"2026-03-{d:02d} 12:00"): 10 + d for d in (6, 13, 20, 27)}
    counts[ts("2026-04-03 12:00")] = 5
    summary = purge_summary(counts, CUTOFFS, 14 * DAY, enabled=True)
    assert summary == {
        "enabled": True,
        "horizon_s": 14 * 86_400,
        "valid_from": "2026-03-20T12:00:00+00:00",
        "test_from": "2026-04-03T12:00:00+00:00",
        # 03-06 + 14 days ends exactly at valid_from (kept), 03-13 crosses it; 03-20 ends at
        # test_from (kept), 03-27 crosses it.
        "rows_purged": {"train": 23, "valid": 37, "test": 0},
        "rows_overlapping": {"train": 23, "valid": 37, "test": 0},
    }
    off = purge_summary(counts, CUTOFFS, 14 * DAY, enabled=False)
    assert off["rows_purged"] == {"train": 0, "valid": 0, "test": 0}
    assert off["rows_overlapping"] == summary["rows_overlapping"]
    empty = purge_summary({}, Cutoffs(None, None), 30 * DAY, enabled=True)
    assert (empty["valid_from"], empty["rows_purged"]["train"]) == (None, 0)


@pytest.mark.parametrize(
    ("span", "text"),
    [(30 * DAY, "30 days"), (timedelta(hours=36), "36 hours"), (timedelta(minutes=5), "5 minutes"),
     (timedelta(seconds=90), "90 seconds")],
)  # fmt: skip
def test_interval_text(span, text):
    assert interval_text(span) == text


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon": timedelta(0)}, {"splits": ("train",)}, {"splits": ("train", "train")},
     {"time_column": "Label-TS"}],
)  # fmt: skip
def test_purged_split_check_refuses_bad_arguments(kwargs):
    args = {"time_column": "label_ts", "split_column": "split", "horizon": DAY} | kwargs
    with pytest.raises(ValueError):
        purged_split_check(**args)


def split_purged(conn, postgres) -> tuple[bool, dict]:
    """Run the dataset's checks; return split_purged's outcome and its expectation's facts."""
    results = checked_dataset(CHURN).run(
        conn, postgres.url(), {}, partition_key=None, run_id="test"
    )
    result = next(r for r in results if r.check_name == SPLIT_PURGED)
    return result.passed, result.metadata["observed"].value["expectations"][0]


WINDOW_ENDS = """
select split, min(label_ts), max(label_ts + %(horizon)s::interval), count(*)
from training.churn_risk group by split
"""


def test_purged_build_has_no_overlapping_windows_and_passes(conn, postgres, tmp_path):
    write_history(conn)
    build = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path))

    spans = {s: (first, last_end, n) for s, first, last_end, n in conn.execute(
        WINDOW_ENDS, {"horizon": CHURN.horizon})}  # fmt: skip
    assert set(spans) == {"train", "test"}  # both valid dates end within 30 days of test
    assert spans["train"][1] <= ts(build.purge["valid_from"])  # the first valid date
    assert spans["train"][1] <= spans["test"][0]
    assert build.split_counts == {"train": spans["train"][2], "valid": 0, "test": spans["test"][2]}
    passed, facts = split_purged(conn, postgres)
    assert passed and facts["observed_value"] == 0
    assert facts["meta"]["horizon"] == "30 days"


def test_unpurged_build_fails_split_purged_and_explains_why(conn, postgres, tmp_path):
    write_history(conn)
    build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path), purge=False)

    passed, facts = split_purged(conn, postgres)
    assert not passed
    rows = {row["split"]: row for row in facts["unexpected_rows"]}
    assert set(rows) == {"train", "valid"}
    assert all(row["offending_rows"] > 0 and row["horizon"] == "30 days" for row in rows.values())
    overlapping = conn.execute(
        "select count(*) from training.churn_risk where split = 'train'"
        " and label_ts + interval '30 days' > (select min(label_ts) from training.churn_risk"
        " where split = 'valid')"
    ).fetchone()[0]
    assert rows["train"]["offending_rows"] == overlapping


def test_registry_records_horizon_and_purge_matching_the_tables(conn, tmp_path):
    write_history(conn)
    full = build_dataset(conn, CHURN, Window(), "run-1", store(tmp_path), purge=False)
    purged = build_dataset(conn, CHURN, Window(), "run-2", store(tmp_path))

    assert purged.version != full.version  # the purge changed the rows
    rows = {
        run: (horizon, purge, counts)
        for run, horizon, purge, counts in conn.execute(
            "select run_id, horizon, purge, split_counts from training.datasets"
        )
    }
    horizon, purge, counts = rows["run-2"]
    assert horizon == CHURN.horizon
    assert counts == dict(
        conn.execute("select split, count(*) from training.churn_risk group by split").fetchall()
    ) | {"valid": 0}
    assert purge["enabled"] is True and purge["horizon_s"] == 30 * 86_400
    assert purge["rows_purged"] == {s: full.split_counts[s] - counts[s] for s in counts}
    assert purge["rows_purged"]["train"] > 0 and purge["rows_purged"]["valid"] > 0
    assert rows["run-1"][1]["enabled"] is False
    assert rows["run-1"][1]["rows_purged"] == {"train": 0, "valid": 0, "test": 0}
    assert rows["run-1"][1]["rows_overlapping"] == purge["rows_purged"]
    assert rows["run-1"][1]["valid_from"] == purge["valid_from"]  # same cutoffs either way

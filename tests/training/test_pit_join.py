"""The point-in-time join against an independent computation (pandas `merge_asof`).

The history has everything a PIT join can get wrong: several rows a day at odd times (late
arrivals), a row at exactly label_ts (allowed) and one a second later (not), rows at exactly
label_ts - ttl (allowed) and a second older (expired), gaps longer than the ttl, entities with no
feature history, and two views with different ttls joined at once.
"""

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from training_data import add_customer, insert_features, observe_until, ts, uid

from platform_assets.features.views import VIEWS_BY_NAME, FeatureView
from platform_assets.resources.artifacts import ArtifactStore
from platform_assets.training.dataset import Window, build_dataset
from platform_assets.training.tasks import TASKS_BY_NAME

DAILY = VIEWS_BY_NAME["customer_daily"]
# A second view keyed like the first with a longer ttl: a test-only table and spec.
WEEKLY = FeatureView(
    name="customer_weekly_test",
    entity="customer",
    entity_key="customer_id",
    ttl=timedelta(days=9),
    source_tables=(),
    lookback_days=0,
    description="Test-only weekly customer view.",
)
TASK = dataclasses.replace(TASKS_BY_NAME["churn_risk"], views=(DAILY, WEEKLY))
WINDOW = Window(first=date(2026, 2, 2), last=date(2026, 4, 27))  # 13 Mondays
CUSTOMERS, WITH_DAILY, WITH_WEEKLY = 40, 30, 35  # 36..40 have no history in either view
DAILY_FEATURES = ["tenure_days", "avg_fill_level_30d", "kg_trend_30d"]
WEEKLY_FEATURES = ["score", "segment"]


def _create_weekly_view(conn) -> None:
    conn.execute(
        "create table features.customer_weekly_test (customer_id uuid not null,"
        " feature_ts timestamptz not null, source_max_ts timestamptz, score double precision,"
        " segment text, primary key (customer_id, feature_ts))"
    )


def _random_times(rng, first: str, last: str, n: int) -> pd.Series:
    """n random instants (whole seconds) in [first, last): arbitrary times of day."""
    span = int((ts(last) - ts(first)).total_seconds())
    seconds = np.sort(rng.choice(span, n, replace=False))
    return pd.Series([ts(first) + timedelta(seconds=int(s)) for s in seconds])


def _daily_history(rng) -> pd.DataFrame:
    frames = []
    for n in range(5, WITH_DAILY + 1):
        days = pd.date_range("2026-01-20", "2026-05-01", freq="D", tz="UTC")
        kept = days[rng.random(len(days)) < 0.5]  # gaps longer than the 2-day ttl are common
        late = _random_times(rng, "2026-01-20", "2026-05-01", 25)  # same-day and late rows
        stamps = sorted(set(kept.to_pydatetime()) | set(late))
        frames.append(pd.DataFrame({"customer_id": uid(n), "feature_ts": stamps}))
    frame = pd.concat(frames, ignore_index=True)
    label_ts = ts("2026-03-02 12:00")
    ttl = DAILY.ttl
    edges = pd.DataFrame(
        {  # 1: exactly at label_ts; 2: a second after; 3: exactly ttl old; 4: a second older
            "customer_id": [uid(1), uid(2), uid(3), uid(4)],
            "feature_ts": [
                label_ts,
                label_ts + timedelta(seconds=1),
                label_ts - ttl,
                label_ts - ttl - timedelta(seconds=1),
            ],
        }
    )
    frame = pd.concat([frame, edges], ignore_index=True)
    frame["source_max_ts"] = frame["feature_ts"] - pd.Timedelta(hours=3)
    frame["tenure_days"] = np.arange(len(frame), dtype=np.int32)
    fill = rng.uniform(0, 100, len(frame))
    frame["avg_fill_level_30d"] = np.where(rng.random(len(frame)) < 0.1, np.nan, fill)
    frame["kg_trend_30d"] = rng.normal(0, 50, len(frame))
    return frame


def _weekly_history(rng) -> pd.DataFrame:
    frames = []
    for n in range(10, WITH_WEEKLY + 1):  # 31..35 have weekly rows only
        stamps = _random_times(rng, "2026-01-15", "2026-05-01", 12)
        frames.append(pd.DataFrame({"customer_id": uid(n), "feature_ts": stamps}))
    frame = pd.concat(frames, ignore_index=True)
    frame["source_max_ts"] = frame["feature_ts"]
    frame["score"] = rng.random(len(frame))
    frame["segment"] = rng.choice(["a", "b", ""], len(frame))  # '' must stay '' (not NULL)
    return frame


def _expected(labels: pd.DataFrame, history: pd.DataFrame, view: FeatureView) -> pd.DataFrame:
    right = history.rename(columns=lambda c: c if c == "customer_id" else f"{view.name}__{c}")
    right[f"{view.name}__ts"] = right[f"{view.name}__feature_ts"]
    merged = pd.merge_asof(
        labels.sort_values("label_ts"),
        right.sort_values(f"{view.name}__ts"),
        left_on="label_ts",
        right_on=f"{view.name}__ts",
        by="customer_id",
        direction="backward",
        tolerance=pd.Timedelta(view.ttl),
        allow_exact_matches=True,
    )
    return merged.drop(columns=[f"{view.name}__ts"])


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column.endswith("_ts"):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.sort_values(["label_ts", "customer_id"]).reset_index(drop=True)


def _values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


@pytest.fixture
def built(conn, tmp_path):
    rng = np.random.default_rng(7)
    for n in range(1, CUSTOMERS + 1):
        add_customer(conn, n, created="2025-06-01")
    observe_until(conn, "2026-06-30")
    _create_weekly_view(conn)
    daily, weekly = _daily_history(rng), _weekly_history(rng)
    insert_features(conn, DAILY, daily)
    insert_features(conn, WEEKLY, weekly)
    # Unpurged: the join is compared on every label row, the purge is test_split_purge's.
    build = build_dataset(
        conn, TASK, WINDOW, "test-run", ArtifactStore(root=str(tmp_path)), purge=False
    )
    return build, daily, weekly


def test_pit_join_matches_merge_asof_for_two_views_with_different_ttls(built):
    build, daily, weekly = built
    snapshot = pq.read_table(build.parquet_path).to_pandas()
    actual = _utc(snapshot)
    labels = actual[["customer_id", "label_ts"]].copy()
    expected = labels
    for view, history in ((DAILY, daily), (WEEKLY, weekly)):
        history = history.assign(customer_id=history["customer_id"].astype(str))
        expected = expected.merge(
            _expected(labels, _utc_history(history), view), on=["customer_id", "label_ts"]
        )
    expected = _utc(expected)

    assert len(actual) == CUSTOMERS * 13  # every label row kept, with or without features
    for column in expected.columns:
        assert _values(actual[column]) == _values(expected[column]), column
    # The history really exercised both outcomes of each view.
    for view in (DAILY, WEEKLY):
        matched = actual[f"{view.name}__feature_ts"].notna()
        assert 0 < matched.sum() < len(actual), view.name


def _utc_history(history: pd.DataFrame) -> pd.DataFrame:
    history = history.copy()
    for column in ("feature_ts", "source_max_ts"):
        history[column] = pd.to_datetime(history[column], utc=True).astype("datetime64[us, UTC]")
    return history


def test_pit_join_edges_at_label_ts_and_at_ttl(built, conn):
    """Label 2026-03-02 12:00: row at label_ts used, a second later not; ttl bound inclusive."""
    rows = dict(
        conn.execute(
            "select customer_id, customer_daily__feature_ts from training.churn_risk"
            " where label_ts = %s and customer_id = any(%s)",
            (ts("2026-03-02 12:00"), [uid(1), uid(2), uid(3), uid(4), uid(40)]),
        ).fetchall()
    )
    label_ts = ts("2026-03-02 12:00")
    assert rows == {
        uid(1): label_ts,
        uid(2): None,
        uid(3): label_ts - DAILY.ttl,
        uid(4): None,
        uid(40): None,  # no history at all: the label row stays, its features are NULL
    }


def test_joined_rows_never_read_the_future_nor_expired_rows(built, conn):
    for view in (DAILY, WEEKLY):
        bad = conn.execute(
            f"select count(*) from training.churn_risk where {view.name}__feature_ts > label_ts"
            f" or {view.name}__feature_ts < label_ts - %s"
            f" or {view.name}__source_max_ts > {view.name}__feature_ts",
            (view.ttl,),
        ).fetchone()[0]
        assert bad == 0, view.name


def test_snapshot_keeps_types_and_records_version(built, conn):
    build, _, _ = built
    parquet = pq.read_table(build.parquet_path)
    schema = parquet.schema
    assert str(schema.field("customer_id").type) == "string"
    assert str(schema.field("label_ts").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("label").type) == "int32"
    assert str(schema.field("customer_daily__tenure_days").type) == "int32"
    assert str(schema.field("customer_weekly_test__score").type) == "double"
    assert schema.metadata[b"dataset_version"].decode() == f'"{build.version}"'
    assert (
        parquet.num_rows == conn.execute("select count(*) from training.churn_risk").fetchone()[0]
    )

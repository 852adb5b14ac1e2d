"""The platform's training rows against an independent recomputation from the source's truth.

The simulator plants tier changes (downgrades mostly in the weeks before a churn, so a platform
that leaked today's tier into the past would show it) and knows every version of every row. The
platform watches the source unfold: ingest runs at go-live and at the start of every as-of date,
as the nightly job would. Then plain pandas over the source as it stood at each moment must give
the churn dataset's population (at label_ts) and its as-of tier (at the joined feature_ts).
"""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from testkit import END_DATE

from platform_assets.features.assets import feature_assets
from platform_assets.ingest.assets import ingest_assets
from platform_assets.resources import ArtifactStore
from platform_assets.simulator import ops_as_of, simulate_history
from platform_assets.simulator.load import simulation_params, write_ops
from platform_assets.training.dataset import Window, build_dataset
from platform_assets.training.tasks import TASKS_BY_NAME

pytestmark = pytest.mark.slow

CUSTOMERS, DAYS, SEED = 600, 84, 21
CUSTOMER_DAILY = [a for a in feature_assets if a.key.path == ["features", "customer_daily"]]


def day(moment: datetime) -> str:
    return moment.date().isoformat()


@pytest.fixture
def watched(conn, materialize, tmp_path):
    """The history, ingested at go-live and at midnight of every weekly as-of date."""
    end = datetime.fromisoformat(END_DATE).date()
    history = simulate_history(CUSTOMERS, DAYS, SEED, end, dirty_fraction=0.0)
    assert history.planted["tier_downgrade"] + history.planted["tier_upgrade"] >= 10
    start = history.start
    label_dates = [(start + timedelta(days=14 + 7 * k)) for k in range(6)]  # horizon observed
    params = simulation_params(CUSTOMERS, DAYS, SEED, end)
    first = day(start)
    for cut in [start, *label_dates, history.end]:
        write_ops(conn, ops_as_of(history, cut), params)
        last = max(first, day(cut - timedelta(days=1)))
        assert materialize(ingest_assets, first, last).success
        first = day(datetime.fromisoformat(last) + timedelta(days=1))
    assert materialize(CUSTOMER_DAILY, day(start), day(history.end - timedelta(days=1))).success
    task = TASKS_BY_NAME["churn_risk"]
    store = ArtifactStore(root=str(tmp_path))
    window = Window(label_dates[0].date(), label_dates[-1].date())
    build_dataset(conn, task, window, "t", store, purge=False)
    rows = pd.DataFrame(
        conn.execute(
            "select customer_id::text, label_ts, customer_daily__feature_ts,"
            " customer_daily__service_tier from training.churn_risk"
        ).fetchall(),
        columns=["customer_id", "label_ts", "feature_ts", "tier"],
    )
    return history, rows


def customers_as_of(history, moment: datetime) -> pd.DataFrame:
    return ops_as_of(history, moment)["customers"].to_pandas().set_index("id")


def test_population_and_as_of_tier_equal_the_source_as_it_stood(watched):
    history, rows = watched
    assert len(rows) > 1000
    assert rows["label_ts"].nunique() == 6
    checked_tiers = 0
    for label_ts in sorted(rows["label_ts"].unique()):
        at_label = customers_as_of(history, label_ts.to_pydatetime())
        alive = at_label[
            (at_label["created_at"] <= label_ts)
            & (at_label["churned_at"].isna() | (at_label["churned_at"] > label_ts))
        ]
        got = rows[rows["label_ts"] == label_ts]
        assert set(got["customer_id"]) == set(alive.index), label_ts
        for feature_ts, group in got.groupby("feature_ts"):
            truth = customers_as_of(history, feature_ts.to_pydatetime())["service_tier"]
            expected = truth.reindex(group["customer_id"]).to_numpy()
            assert list(group["tier"]) == list(expected), feature_ts
            checked_tiers += len(group)
    assert checked_tiers > 1000
    # The planted changes are in the rows: some customers' tier differs between as-of dates.
    per_customer = rows.dropna(subset=["tier"]).groupby("customer_id")["tier"].nunique()
    assert (per_customer > 1).sum() >= 3
    # And the comparison can fail: today's tier differs from the as-of tier on some rows.
    today = customers_as_of(history, history.end.astimezone(UTC))["service_tier"]
    leaked = today.reindex(rows["customer_id"]).to_numpy() != rows["tier"].to_numpy()
    assert leaked.sum() > 0

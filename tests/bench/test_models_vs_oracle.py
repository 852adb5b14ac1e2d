"""The models_vs_oracle benchmark's join and figures on tiny data (`make bench` runs it)."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from bench.models_vs_oracle import TARGETS, Comparison, comparison_rows, join_oracle
from platform_assets.simulator import ops_as_of, simulate_history

END = dt.date(2026, 11, 22)


def _oracle(entities: list[str], days: list[dt.date], values: list[float]) -> pa.Table:
    return pa.table({"customer_id": entities, "as_of": pa.array(days, pa.date32()),
                     "probability": values})


def test_join_matches_entity_and_the_utc_date_of_label_ts() -> None:
    oracle = _oracle(["a", "a", "b"], [dt.date(2026, 5, 1), dt.date(2026, 5, 8),
                                       dt.date(2026, 5, 1)], [0.1, 0.2, 0.3])
    noon = pd.to_datetime(["2026-05-01 12:00", "2026-05-08 12:00", "2026-05-01 12:00",
                           "2026-05-01 12:00"]).tz_localize("UTC")
    rows = pd.DataFrame({
        "customer_id": ["b", "a", "a", "c"],
        # Noon UTC is midnight of the next day in Auckland: the UTC date is the as-of date.
        "label_ts": noon.tz_convert("Pacific/Auckland"),
    }, index=[10, 11, 12, 13])
    joined = join_oracle(rows, "customer_id", oracle, "probability")
    assert joined.index.tolist() == [10, 11, 12, 13]
    assert joined.iloc[:3].tolist() == [0.3, 0.2, 0.1]
    assert np.isnan(joined.iloc[3])  # an entity the oracle does not know stays NaN


def test_join_refuses_an_oracle_with_two_values_for_one_day() -> None:
    oracle = _oracle(["a", "a"], [dt.date(2026, 5, 1)] * 2, [0.1, 0.2])
    rows = pd.DataFrame({"customer_id": ["a"],
                         "label_ts": pd.to_datetime(["2026-05-01 12:00+00:00"])})
    with pytest.raises(ValueError, match="more than one value"):
        join_oracle(rows, "customer_id", oracle, "probability")


def test_join_covers_weekly_labels_of_a_simulated_world() -> None:
    """Label rows built the way the churn labels are (customers there at noon, not churned)
    all find their oracle value, and the value is the one recorded for that day."""
    history = simulate_history(200, 60, seed=5, end_date=END, oracle=True)
    customers = ops_as_of(history, history.end)["customers"].to_pandas()
    grid = pd.date_range(history.start + pd.Timedelta(hours=12), periods=8, freq="7D")
    rows = pd.DataFrame([
        {"customer_id": c.id, "label_ts": ts} for ts in grid for c in customers.itertuples()
        if c.created_at <= ts and not (c.churned_at <= ts)
    ])
    joined = join_oracle(rows, "customer_id", history.oracle["churn"], "probability")
    assert joined.notna().all()
    truth = history.oracle["churn"].to_pandas().set_index(["customer_id", "as_of"])
    first = rows.iloc[0]
    assert joined.iloc[0] == truth.loc[(first.customer_id, first.label_ts.date()), "probability"]


@pytest.mark.parametrize(("metric", "model", "oracle", "met"), [
    ("auc", 0.60, 0.64, True),  # 0.9375x the oracle's AUC
    ("auc", 0.55, 0.64, False),
    ("mae", 5.4, 5.0, True),  # 1.08x the oracle's MAE
    ("mae", 5.6, 5.0, False),
])
def test_ratios_and_targets_say_the_model_against_the_oracle(metric, model, oracle, met) -> None:
    task = "churn_risk" if metric == "auc" else "demand_forecast"
    c = Comparison(task=task, metric=metric, model=model, oracle=oracle, rows=100,
                   positives=5 if metric == "auc" else None, coverage=1.0, registry=model)
    rows = comparison_rows(c, scale="S", measured_at="now")
    main = rows[0]
    assert main["metric"] == f"{task}_test_{metric}"
    assert (main["value"], main["baseline_value"]) == (model, oracle)
    assert main["benchmark"] == "models_vs_oracle" and main["baseline"].startswith("oracle")
    assert (TARGETS[main["metric"]].status(main) == "met") is met
    coverage = next(r for r in rows if r["metric"].endswith("oracle_coverage"))
    assert TARGETS[coverage["metric"]].status(coverage) == "met"

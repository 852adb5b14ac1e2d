"""Models against the truth: each task's trained model next to the simulator's oracle, scale S.

`platform-assets demo` builds the world, the datasets and the models on a fresh PLATFORM_HOME.
The simulation is then run again from the parameters `ops.simulation_runs` recorded, this time
with the oracle (platform_assets/simulator/oracle.py): each entity's true risk per as-of day,
which no table of the platform holds. Each task's latest model is scored on its dataset's test
rows (the Parquet snapshot the registry names), and the oracle on exactly those rows, joined by
entity and as-of date. The ratio says how much of what the truth allows the model reaches.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa

from bench.demo_run import demo_env, platform_cli, run_demo, scale_s, stop_and_delete
from bench.pg import temp_home
from bench.registry import Context
from bench.results import ERROR_METRIC, Target, row

NAME = "models_vs_oracle"
BASELINE = "oracle (the simulator's true risk)"
AUC_SHARE = 0.9  # model AUC >= 0.9x the oracle's
MAE_FACTOR = 1.1  # model MAE <= 1.1x the oracle's

# task -> (oracle table, oracle column) in `OpsHistory.oracle`
ORACLE_OF = {
    "churn_risk": ("churn", "probability"),
    "maintenance_prediction": ("breakdown", "probability"),
    "demand_forecast": ("demand", "expected_kg"),
}
TARGETS = {
    "churn_risk_test_auc": Target("ratio", ">=", AUC_SHARE),
    "maintenance_prediction_test_auc": Target("ratio", ">=", AUC_SHARE),
    # oracle MAE / model MAE >= 1/1.1, i.e. the model's MAE at most 1.1x the oracle's
    "demand_forecast_test_mae": Target("ratio", ">=", round(1 / MAE_FACTOR, 4)),
    "churn_risk_oracle_coverage": Target("value", "==", 1),
    "maintenance_prediction_oracle_coverage": Target("value", "==", 1),
    "demand_forecast_oracle_coverage": Target("value", "==", 1),
}
NOTES = f"""
The demo (scale S) trains every task's model; the bench then simulates the same world again
with the oracle on (same parameters, read back from `ops.simulation_runs`; the ops tables come
out byte-identical, which tests/simulator/test_oracle.py checks) and scores, on each dataset's
test split (the latest as-of weeks, purged), the latest registered model and the oracle on the
same rows, joined by entity and as-of date (label_ts is noon UTC of the as-of date). The oracle
forecasts from the simulator's state on the morning of the as-of date, latent values included
(service quality, churn base rates, fill rates, km to the next service): churn and breakdown
probabilities over the task's horizon, expected kg over the demand horizon. It reads nothing of
a later day, and no feature, dataset or model ever sees it.

Ratios are oriented as everywhere in this file (above 1: the model is better): model AUC /
oracle AUC for the classifiers (goal >= {AUC_SHARE}), oracle MAE / model MAE for demand (goal
>= {1 / MAE_FACTOR:.4f}, i.e. model MAE <= {MAE_FACTOR}x the oracle's). The oracle's demand
forecast is the conditional mean, which is not quite the MAE-optimal median, so its MAE is a
close bound, not an exact floor. `oracle_coverage` is the share of test rows the oracle has a
value for (it must be all of them). Test splits are small at scale S (a fleet of a few dozen
vehicles, about one percent of customers churning a month), so AUCs move by several hundredths
from one world to the next: the positives are counted beside them.
"""


@dataclass(frozen=True)
class Comparison:
    """One task's model and oracle on the same test rows."""

    task: str
    metric: str  # "auc" or "mae"
    model: float
    oracle: float
    rows: int
    positives: int | None
    coverage: float
    registry: float | None  # the registry's test metric, recomputed above on the same rows

    @property
    def ratio(self) -> float:
        if self.metric == "mae":
            return self.oracle / self.model
        return self.model / self.oracle


def join_oracle(rows: pd.DataFrame, entity_key: str, oracle: pa.Table, column: str) -> pd.Series:
    """The oracle's `column` for each of `rows` (by `entity_key` and the date of `label_ts` in
    UTC), aligned with `rows`' index; NaN where the oracle has no value."""
    truth = oracle.select([entity_key, "as_of", column]).to_pandas()
    truth["as_of"] = pd.to_datetime(truth["as_of"]).dt.date
    keys = pd.DataFrame({
        entity_key: rows[entity_key].astype(str).to_numpy(),
        "as_of": pd.to_datetime(rows["label_ts"], utc=True).dt.date.to_numpy(),
    }, index=rows.index)
    if truth.duplicated([entity_key, "as_of"]).any():
        raise ValueError("the oracle holds more than one value for an entity and day")
    joined = keys.merge(truth, on=[entity_key, "as_of"], how="left", validate="many_to_one")
    return pd.Series(joined[column].to_numpy(), index=rows.index, name=column)


def simulation_params(conn: psycopg.Connection) -> dict[str, Any]:
    """The parameters of the history now in ops (the final write, not an observed state)."""
    found = conn.execute(
        "select params from ops.simulation_runs where not params ? 'observed_through'"
        " order by simulated_at desc limit 1"
    ).fetchone()
    if found is None:
        raise LookupError("ops.simulation_runs holds no finished simulation")
    return found[0]


def oracle_tables(params: dict[str, Any]) -> dict[str, pa.Table]:
    from platform_assets.simulator import simulate_history

    history = simulate_history(
        params["customers"], params["days"], params["seed"],
        date.fromisoformat(params["end_date"]), oracle=True,
    )
    assert history.oracle is not None
    return history.oracle


def compare(conn: psycopg.Connection, task: str, oracle: dict[str, pa.Table]) -> Comparison:
    """Score the task's latest model and the oracle on the model's test rows."""
    from platform_assets.models import artifact, metrics, registry
    from platform_assets.models.specs import MODEL_SPECS
    from platform_assets.models.train import NAIVE_COLUMN, evaluate, load_dataset

    spec = MODEL_SPECS[task]
    model = registry.latest(conn, task)
    if model is None:
        raise LookupError(f"no {task} model is registered")
    bundle = artifact.load(model.artifact_path, model.artifact_sha256)
    frame = load_dataset(conn, task, model.training_data_version).frame
    test = frame[frame["split"] == "test"]
    table, column = ORACLE_OF[task]
    truth = join_oracle(test, spec.task.entity_key, oracle[table], column)
    coverage = float(truth.notna().mean()) if len(test) else 0.0
    rows, truth = test[truth.notna()], truth[truth.notna()]
    scored = evaluate(spec, bundle, rows)
    y = rows["label"].to_numpy()
    if spec.classifier:
        metric = "auc"
        truth_scored = metrics.classification(y, truth.to_numpy(), spec.threshold)
        positives = int(y.sum())
    else:
        metric = "mae"
        naive = rows[NAIVE_COLUMN].to_numpy() if NAIVE_COLUMN in rows else np.zeros(len(rows))
        truth_scored = metrics.regression(y, truth.to_numpy(), naive)
        positives = None
    return Comparison(
        task=task, metric=metric, model=scored[metric], oracle=truth_scored[metric],
        rows=len(rows), positives=positives, coverage=coverage,
        registry=model.test_metrics.get(metric),
    )


def comparison_rows(c: Comparison, scale: str, measured_at: str) -> list[dict[str, Any]]:
    def add(metric: str, value: Any, unit: str, **baseline: Any) -> dict[str, Any]:
        return row(NAME, metric, value, unit, scale=scale, measured_at=measured_at, **baseline)

    unit = "kg" if c.metric == "mae" else ""
    out = [
        add(f"{c.task}_test_{c.metric}", c.model, unit, baseline=BASELINE,
            baseline_value=c.oracle, ratio=c.ratio),
        add(f"{c.task}_test_rows", c.rows, "rows"),
        add(f"{c.task}_oracle_coverage", c.coverage, ""),
    ]
    if c.positives is not None:
        out.insert(2, add(f"{c.task}_test_positives", c.positives, "rows"))
    return out


def measure(ctx: Context, conn: psycopg.Connection, scale: str) -> list[dict[str, Any]]:
    from platform_assets.models.specs import MODEL_SPECS

    params = simulation_params(conn)
    ctx.log(f"  simulating {params} again with the oracle")
    oracle = oracle_tables(params)
    out = []
    for task in MODEL_SPECS:
        c = compare(conn, task, oracle)
        ctx.log(f"  {task}: model {c.metric} {c.model:.4f}, oracle {c.oracle:.4f}, ratio "
                f"{c.ratio:.3f} on {c.rows:,} test rows (registry: {c.registry}, oracle "
                f"coverage {c.coverage:.3f})")
        out += comparison_rows(c, scale, ctx.measured_at)
    return out


def run(ctx: Context) -> list[dict[str, Any]]:
    ctx.log("models_vs_oracle: `platform-assets demo` (scale S), then each model vs the oracle")
    home = temp_home("bench-oracle-")
    env = demo_env(home)
    scale = scale_s()
    try:
        outcome = run_demo(ctx, env)
        if outcome.exit_code != 0:
            return [row(NAME, ERROR_METRIC, outcome.failure(), "text", scale=scale,
                        measured_at=ctx.measured_at)]
        ctx.log(f"  demo finished in {outcome.seconds:.0f}s")
        url = platform_cli(env, "db", "url", "--reveal").stdout.strip()
        with psycopg.connect(url) as conn:
            return measure(ctx, conn, scale)
    finally:
        stop_and_delete(ctx, home, env)

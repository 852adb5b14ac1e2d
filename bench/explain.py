"""Explanations at scale S: what explaining a day's predictions adds to the prediction step.

Every production prediction stores its top contributing features (`ml.predictions.top_features`,
platform_assets/models/explain.py). The requirement: explaining a day's predictions must not
more than double the prediction step's time at scale S. For each task, on a world built by
`platform-assets demo`, the latest day is materialized by the nightly step itself (the Dagster
asset `predictions/<task>`, in process), which times its explanation and reports it in its
metadata (`explain_ms`); the step's own time comes from its Dagster events. Both figures come
from the same runs.
"""

import os
import statistics
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.demo_run import demo_env, platform_cli, run_demo, stop_and_delete
from bench.load_step import step_seconds
from bench.models_vs_oracle import simulation_params
from bench.pg import temp_home
from bench.registry import Context
from bench.results import ERROR_METRIC, Target, row, time_ratio

NAME = "explain"
BASELINE = "the same step without its explanation"
# A finished demo's PLATFORM_HOME to reuse instead of running the demo (it is copied first, so
# the bench never touches it); the demo takes minutes, the steps take seconds.
REUSE_ENV = "BENCH_EXPLAIN_DEMO_HOME"
REPEATS = 3  # each figure is the median of this many runs
TASKS = ("churn_risk", "maintenance_prediction", "demand_forecast")

# step / (step - explanation) <= 2, oriented as everywhere here: (step - expl.) / step >= 0.5
TARGETS = {f"{t}_prediction_step_ms": Target("ratio", ">=", 0.5) for t in TASKS}
NOTES = f"""
For each task, the production model of a `platform-assets demo` world (scale S) and the latest
day it can score. `prediction_step_ms` is that day's nightly step as Dagster runs it (the asset
`predictions/<task>` materialized in process, from its STEP_START to its STEP_SUCCESS event):
the views' versions checked, the rows read through the training join, the production model's
and any shadow challenger's scores, the explanation of production's rows, the write into
`ml.predictions` and the outcomes filled in. `explain_ms` is the explanation's part of it, as
the step measured and reported in its metadata: `explain.top_features` on the day's matrix,
exact TreeSHAP values of every row and the top 5 as JSON. The baseline is the step without
it (step - explain_ms, the same runs); the ratio is (step - explanation) / step, oriented like
every ratio in this file, so the requirement (explaining does not more than double the step)
is a ratio >= 0.5. Each figure is the median of {REPEATS} runs. By default the bench runs the
demo on a fresh home first (minutes); `{REUSE_ENV}=<a finished demo's PLATFORM_HOME>` reuses
one instead, copied to a temp dir and migrated. Explaining is numpy on one core: for demand's
300 trees of up to 31 leaves it is several times the model's own predict time.
"""


def measure_task(url: str, home: Path, task: str, day: str) -> dict[str, Any]:
    """Materialize `predictions/<task>` for `day` REPEATS times: rows, step ms, explain ms."""
    import dagster as dg

    from platform_assets import keys
    from platform_assets.definitions import defs
    from platform_assets.embeddings.model import EmbeddingModel
    from platform_assets.resources import ArtifactStore, PostgresResource

    key = keys.prediction_key(task)
    steps, explains, rows = [], [], None
    for _ in range(REPEATS):
        instance = dg.DagsterInstance.ephemeral()
        result = dg.materialize(
            list(defs.assets), selection=[key], partition_key=day, instance=instance,
            resources={"postgres": PostgresResource(database_url=url),
                       "artifacts": ArtifactStore(root=str(home / "artifacts")),
                       "embedding_model": EmbeddingModel()},
        )
        (event,) = result.get_asset_materialization_events()
        meta = event.event_specific_data.materialization.metadata
        rows = meta["dagster/row_count"].value
        explains.append(meta["explain_ms"].value)
        (seconds,) = step_seconds(instance, result.run_id).values()
        steps.append(seconds * 1000)
    return {"rows": rows, "step_ms": statistics.median(steps),
            "explain_ms": statistics.median(explains), "day": day}


def task_rows(task: str, m: dict[str, Any], scale: str, measured_at: str) -> list[dict]:
    def add(metric: str, value: Any, unit: str, **baseline: Any) -> dict[str, Any]:
        return row(NAME, f"{task}_{metric}", value, unit, scale=scale, measured_at=measured_at,
                   **baseline)

    without = m["step_ms"] - m["explain_ms"]
    return [
        add("day_rows", m["rows"], "rows"),
        add("explain_ms", m["explain_ms"], "ms"),
        add("prediction_step_ms", m["step_ms"], "ms", baseline=BASELINE,
            baseline_value=round(without, 1), ratio=time_ratio(m["step_ms"], without)),
    ]


def latest_day(conn: psycopg.Connection, task: str) -> str:
    from platform_assets.models.scoring import latest_as_of
    from platform_assets.models.specs import MODEL_SPECS

    as_of = latest_as_of(conn, MODEL_SPECS[task].task)
    return (as_of - timedelta(days=1)).isoformat()  # the partition scored as of `as_of`


def world_scale(conn: psycopg.Connection) -> str:
    p = simulation_params(conn)
    return f"S: a demo world of {p['customers']:,} customers, {p['days']} days, seed {p['seed']}"


def measure(ctx: Context, url: str, home: Path) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True) as conn:
        scale = world_scale(conn)
        days = {task: latest_day(conn, task) for task in TASKS}
    ctx.log(f"  {scale}")
    out = []
    for task in TASKS:
        m = measure_task(url, home, task, days[task])
        ctx.log(f"  {task}: day {m['day']}, {m['rows']:,} rows; step {m['step_ms']:.0f} ms, "
                f"of which explaining {m['explain_ms']:.0f} ms")
        out += task_rows(task, m, scale, ctx.measured_at)
    return out


def _copy_home(ctx: Context, source: Path) -> Path:
    """A copy of a stopped demo's home (`cp -a`: the data dir keeps its owner, pgserver's)."""
    if (source / "pgdata" / "postmaster.pid").exists():
        raise RuntimeError(f"{source}'s server is running: stop it before the bench copies it")
    home = temp_home("bench-explain-")
    ctx.log(f"  copying {source} to {home}")
    subprocess.run(["cp", "-a", f"{source}/.", str(home)], check=True)
    return home


def run(ctx: Context) -> list[dict[str, Any]]:
    reuse = os.environ.get(REUSE_ENV)
    ctx.log("explain: a day of each task scored and explained by the nightly step"
            + (f" (the demo at {reuse}, copied)" if reuse else " (`platform-assets demo` first)"))
    home = _copy_home(ctx, Path(reuse)) if reuse else temp_home("bench-explain-")
    env = demo_env(home)
    try:
        if not reuse:
            outcome = run_demo(ctx, env)
            if outcome.exit_code != 0:
                return [row(NAME, ERROR_METRIC, outcome.failure(), "text", scale="S",
                            measured_at=ctx.measured_at)]
            ctx.log(f"  demo finished in {outcome.seconds:.0f}s")
        migrated = platform_cli(env, "migrate")  # a reused demo may predate this checkout
        if migrated.returncode != 0:
            raise RuntimeError(f"platform-assets migrate failed: {migrated.stderr[-2000:]}")
        url = platform_cli(env, "db", "url", "--reveal").stdout.strip()
        return measure(ctx, url, home)
    finally:
        stop_and_delete(ctx, home, env)

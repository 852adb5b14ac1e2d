"""The whole platform under load: a backfill as one run, weekly_training and one nightly day end
to end (wall time, the share outside step compute, peak memory), analyst sessions during the
nightly run, and the dashboards' refreshes (plain against concurrent) with query latency while a
concurrent refresh runs.

Everything runs on a fresh embedded Postgres in a temp PLATFORM_HOME; each platform run is a
child process measured by bench/measure_child.py. The scale is `--load-customers` x
`--load-days` (scale M is 20,000 x 365; the figures say which scale they were taken at).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.pg import temp_home
from bench.registry import Context
from bench.results import Target, row, time_ratio
from platform_assets.access.roles import analyst_url, apply_roles
from platform_assets.db import server
from platform_assets.settings import PROJECT_ROOT

NAME = "platform_load"
MEASURE_CHILD = Path(__file__).resolve().with_name("measure_child.py")
ANALYST_SESSIONS = 20
ANALYST_PASSWORD = "bench-analyst"
QUERY_ROUNDS = 40  # dashboard queries per view while refreshes loop
_REDIRECTS = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL")

TARGETS = {
    "nightly_outside_steps_share": Target("value", "<", 0.25),
    "weekly_outside_steps_share": Target("value", "<", 0.25),
    "nightly_peak_rss_mib": Target("value", "<", 2048, "MiB"),
    "weekly_peak_rss_mib": Target("value", "<", 2048, "MiB"),
    "analyst_errors": Target("value", "==", 0),
    "dashboard_query_p95_ms": Target("value", "<", 50, "ms"),
}
NOTES = """
A fresh embedded Postgres and PLATFORM_HOME; the simulation is written, then `nightly_refresh`
(ingest, features, embeddings; predictions skip: no model yet) runs over every day of the
history as ONE run (the single-run backfill), then `weekly_training`, then `nightly_refresh` for
the last day alone (now with predictions), then `dashboard_refresh`. Each run is its own child
process; wall time and peak RSS (the largest resident set of that process, so of every step it
ran in-process) come from `measure_child`. "Outside steps" is 1 - (sum of step times, STEP_START
to STEP_SUCCESS) / wall time of the run: run start-up, planning, resource set-up and the events
between steps; the per-partition materialization events a range step stores are inside its step
time. During the one-day nightly run, 20 threads connected as the `analyst` role run the README's
analyst queries in a loop; their latencies and errors are reported. Dashboards: each view is
refreshed plainly and concurrently (3 times each, median), then each dashboard query of the README
runs while another connection refreshes the views concurrently in a loop.
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env |= {"PLATFORM_HOME": str(home), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(PROJECT_ROOT)}
    return env


def measured(ctx: Context, env: dict[str, str], *args: str) -> dict[str, Any]:
    """One `bench.load_step` child: its report plus wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        outer, inner = Path(tmp) / "outer.json", Path(tmp) / "inner.json"
        command = [sys.executable, str(MEASURE_CHILD), str(outer), sys.executable, "-m",
                   "bench.load_step", str(inner), *args]
        ctx.log(f"  {' '.join(args)}")
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True)
        if done.returncode != 0 or not inner.exists():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
            raise RuntimeError(f"{' '.join(args)} failed:\n{tail}")
        report = json.loads(inner.read_text()) | json.loads(outer.read_text())
    report["outside_share"] = (
        1 - sum(report["steps"].values()) / report["wall_s"] if report["steps"] else None
    )
    ctx.log(f"    {report['wall_s']:.1f} s, peak {report['peak_rss_bytes'] / 2**20:.0f} MiB,"
            f" outside steps {report['outside_share'] or 0:.1%}")
    return report


def readme_queries() -> list[str]:
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "access"))
    from readme_queries import readme_queries as queries

    return queries()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def analysts_during(url: str, queries: list[str], stop: threading.Event) -> tuple[list, list]:
    """Run `queries` in ANALYST_SESSIONS threads until `stop`; (latencies ms, errors)."""
    latencies, errors, lock = [], [], threading.Lock()

    def session(offset: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                i = offset
                while not stop.is_set():
                    started = time.perf_counter()
                    conn.execute(queries[i % len(queries)]).fetchall()
                    with lock:
                        latencies.append((time.perf_counter() - started) * 1000)
                    i += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=session, args=(n,)) for n in range(ANALYST_SESSIONS)]
    for thread in threads:
        thread.start()
    return threads, latencies, errors


def dashboard_figures(ctx: Context, url: str, queries: list[str]) -> dict[str, Any]:
    from platform_assets.dashboards.views import DASHBOARD_VIEWS

    figures: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for view in DASHBOARD_VIEWS:
            name = f"analytics.{view.name}"
            for mode, statement in (("plain", f"refresh materialized view {name}"),
                                    ("concurrent",
                                     f"refresh materialized view concurrently {name}")):
                times = []
                for _ in range(3):
                    started = time.perf_counter()
                    conn.execute(statement)
                    times.append(time.perf_counter() - started)
                figures[f"{view.name}:{mode}"] = statistics.median(times)
    stop = threading.Event()

    def refresh_loop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.is_set():
                for view in DASHBOARD_VIEWS:
                    conn.execute(f"refresh materialized view concurrently analytics.{view.name}")

    refresher = threading.Thread(target=refresh_loop)
    refresher.start()
    latencies = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(QUERY_ROUNDS):
                for query in queries[:4]:  # the four dashboard queries
                    started = time.perf_counter()
                    conn.execute(query).fetchall()
                    latencies.append((time.perf_counter() - started) * 1000)
    finally:
        stop.set()
        refresher.join()
    figures["query_ms"] = latencies
    return figures


def run(ctx: Context) -> list[dict[str, Any]]:
    customers, days = ctx.options.load_customers, ctx.options.load_days
    scale = "M" if (customers, days) == (20_000, 365) else f"{customers}x{days}"
    end = datetime.now(UTC).date() - timedelta(days=1)
    first = end - timedelta(days=days - 1)
    home = temp_home("bench-load-")
    env = _env(home)
    rows: list[dict[str, Any]] = []

    def add(metric: str, value: Any, unit: str, **extra: Any) -> None:
        rows.append(row(NAME, metric, value, unit, scale=scale, measured_at=ctx.measured_at,
                        **extra))

    try:
        measured(ctx, env, "simulate", str(customers), str(days), end.isoformat())
        backfill = measured(ctx, env, "range", "nightly_refresh", first.isoformat(),
                            end.isoformat())
        add("backfill_partitions", days, "partitions")
        add("backfill_wall_seconds", round(backfill["wall_s"], 1), "s")
        add("backfill_seconds_per_partition", round(backfill["wall_s"] / days, 2), "s")
        add("backfill_peak_rss_mib", round(backfill["peak_rss_bytes"] / 2**20), "MiB")
        weekly = measured(ctx, env, "job", "weekly_training")
        nightly_env = env
        os.environ["PLATFORM_HOME"] = str(home)  # this process's own connections (analysts)
        url = server.database_url()
        measured(ctx, env, "job", "dashboard_refresh")
        with psycopg.connect(url, autocommit=True) as conn:
            apply_roles(conn, ANALYST_PASSWORD)
        queries = readme_queries()
        stop = threading.Event()
        threads, latencies, errors = analysts_during(
            analyst_url(url, ANALYST_PASSWORD), queries, stop
        )
        try:
            nightly = measured(ctx, nightly_env, "range", "nightly_refresh", end.isoformat(),
                               end.isoformat())
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        for label, report in (("weekly", weekly), ("nightly", nightly)):
            add(f"{label}_wall_seconds", round(report["wall_s"], 1), "s")
            add(f"{label}_outside_steps_share", round(report["outside_share"], 3), "share")
            add(f"{label}_peak_rss_mib", round(report["peak_rss_bytes"] / 2**20), "MiB")
            slowest = max(report["steps"].items(), key=lambda kv: kv[1])
            add(f"{label}_slowest_step", f"{slowest[0]} {slowest[1]:.1f} s", "text")
        add("analyst_sessions", ANALYST_SESSIONS, "sessions")
        add("analyst_queries", len(latencies), "queries")
        add("analyst_errors", len(errors), "errors")
        if latencies:
            add("analyst_query_p50_ms", round(_percentile(latencies, 0.5), 1), "ms")
            add("analyst_query_p95_ms", round(_percentile(latencies, 0.95), 1), "ms")
        if errors:
            ctx.log(f"  analyst errors (first): {errors[0]}")
        figures = dashboard_figures(ctx, url, queries)
        query_ms = figures.pop("query_ms")
        for key, seconds in figures.items():
            view, mode = key.split(":")
            if mode == "concurrent":
                plain = figures[f"{view}:plain"]
                add(f"refresh_{view}_concurrent_ms", round(seconds * 1000, 1), "ms",
                    baseline="plain refresh", baseline_value=round(plain * 1000, 1),
                    ratio=round(time_ratio(seconds, plain), 3))
        add("dashboard_query_p50_ms", round(_percentile(query_ms, 0.5), 1), "ms")
        add("dashboard_query_p95_ms", round(_percentile(query_ms, 0.95), 1), "ms")
    finally:
        os.environ.pop("PLATFORM_HOME", None)
        subprocess.run([sys.executable, "-m", "platform_assets.cli", "db", "down"],
                       cwd=PROJECT_ROOT, env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    return rows

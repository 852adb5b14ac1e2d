"""The whole platform under load, phase by phase: simulate, a backfill of the whole history as
one run, weekly_training, dashboard_refresh, one nightly day with analyst sessions querying at a
fixed rate, and the dashboards' refreshes (plain against concurrent) with query latency while a
concurrent refresh runs.

Every phase records its wall time, the share of it outside step compute (the orchestration
overhead), the peak RSS of the platform process and of the largest Postgres process, and the
database size after it. The run is resumable: its embedded Postgres, PLATFORM_HOME and a state
file live in a run dir (`--load-run-dir`, default $TMPDIR/bench-platform-load), each phase's
figures are written to the state file and to results.json as soon as it finishes, and
`--load-resume` carries on after the last finished phase of a run of the same scale (a phase cut
short runs again from its start: every write of the platform is idempotent). Without
`--load-resume` the run dir is wiped and the run starts afresh.

The scale is `--load-customers` x `--load-days`; scale M (the default) is 20,000 x 365.
"""

import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.registry import Context
from bench.results import Target, row, time_ratio
from platform_assets.access.roles import analyst_url, apply_roles
from platform_assets.db import server
from platform_assets.settings import PROJECT_ROOT

NAME = "platform_load"
MEASURE_CHILD = Path(__file__).resolve().with_name("measure_child.py")
DEFAULT_RUN_DIR = Path(tempfile.gettempdir()) / "bench-platform-load"
STATE = "state.json"
ANALYST_SESSIONS = 20
ANALYST_INTERVAL_S = 2.0  # each session sends one query every 2 s: 10 queries/s in all
ANALYST_PASSWORD = "bench-analyst"
QUERY_ROUNDS = 40  # dashboard queries per view while refreshes loop
IDLE_ROUNDS = 10  # each README analyst query, alone, before the nightly run starts
RSS_SAMPLE_S = 0.5
SCALE_M = (20_000, 365)
_REDIRECTS = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL")
# The platform runs, in order; `simulate` is not a Dagster run (no step figures).
RUNS = (
    ("simulate", "simulate"),
    ("backfill", "range nightly_refresh"),
    ("weekly", "job weekly_training"),
    ("dashboard", "job dashboard_refresh"),
    ("nightly", "range nightly_refresh"),
)
GIB2 = Target("value", "<", 2048, "MiB")

TARGETS = {
    "backfill_wall_seconds": Target("value", "<", 3600, "s"),
    "nightly_wall_seconds": Target("value", "<", 300, "s"),
    "nightly_outside_steps_share": Target("value", "<", 0.25),
    **{f"{phase}_{what}_peak_rss_mib": GIB2 for phase, _ in RUNS
       for what in ("platform", "postgres") if (phase, what) != ("simulate", "platform")},
    "bench_analysts_peak_rss_mib": GIB2,
    "analyst_errors": Target("value", "==", 0),
    "analyst_query_p95_ms": Target("value", "<", 100, "ms"),
    "dashboard_query_p95_ms": Target("value", "<", 50, "ms"),
}
NOTES = """
A fresh embedded Postgres and PLATFORM_HOME in the run dir; the simulation is written to ops
(`simulate`), then `nightly_refresh` (ingest, features, embeddings; predictions skip: no model
yet) runs over every day of the history as ONE run (`backfill`), then `weekly_training`, then
`dashboard_refresh`, then `nightly_refresh` for the last day alone (`nightly`, now with
predictions). Each is its own child process (the simulator's figure, `simulate_simulator_*`, is
the stand-in for the operational database building the whole history in memory, not a platform
process: no target); its wall time and peak RSS (`platform`: the largest
resident set of that process, so of every step it ran in-process) come from `measure_child`;
`postgres` is the largest resident set of any one Postgres process (postmaster, backends,
autovacuum, checkpointer; shared buffers count in every process that touched them), sampled every
0.5 s while the phase ran. `db_size_mib` is `pg_database_size` of the platform database after
the phase. "Outside steps" is 1 - (sum of step times, STEP_START to STEP_SUCCESS) / wall time of
the run: process and run start-up, planning, resource set-up and the events between steps; the
per-partition materialization events a range step stores are inside its step time; the
`largest_steps_rss` names the steps with the largest resident set (sampled every 0.5 s in the
run's process); the `outside_*` rows split it into before the first step starts (definitions
import, instance, run creation, planning, resource set-up), between steps, and after the last
step. During the
nightly run, 20 sessions connected as the `analyst` role each send one of the README's analyst
queries every 2 s (10 queries/s in all; a query that overruns its slot delays only its own
session's next one); their latencies and errors are reported, and the bench process that runs
them is measured too (`bench_analysts_peak_rss_mib`). Just before the nightly run each of those
queries runs 10 times alone on one connection: that is `analyst_query_p95_ms`'s baseline ("idle,
one session") and `analyst_query_p95_by_query_idle`; `analyst_query_p95_by_query_night` gives the
same queries under the night's load. A query slow when idle costs that on its own; one slow only
at night waits for the two cores the run is using. Dashboards: each view is refreshed plainly
and concurrently (3 times each, median), then each dashboard query of the README runs while
another connection refreshes the views concurrently in a loop. A run resumed with
`--load-resume` keeps the figures of the phases it had finished (their `measured_at`).
Before and after. The share outside step compute that opened the issue, 34.6%, was a night of
a few seconds at 800 customers x 120 days (commit 9635ea0): the time outside steps is close to
fixed (`nightly_outside_*`: mostly before the first step, i.e. definitions import, run creation,
planning, resource set-up), so its share falls as the night gets real work. The first scale-M run
(2026-12-04 14:46) measured the first night after `weekly_training` at 670.6 s, 545 s of it in
`monitoring/feature_stats_daily` building the three new models' drift references; that build
moved to the weekly run's model steps (commit 7fa63d4), which is why `weekly_training` went from
261.7 s there to the `weekly_*` figure here (`models__*` are now its slowest steps). The same
day's night run again with the references in place took 119.6 s, analyst p95 160.9 ms (p50 2.1
ms); the nightly statements that read all history were fixed after it (bench nights_l,
migrations 0018-0020), and the `nightly_*` and `analyst_*` rows are after those fixes. That run's
backfill, before Great Expectations' checks named a query asset's columns under LIMIT 0 (GX ran
each checked query in full, its rows buffered in the run's process, once per expectation), took
3,551 s with a platform peak of 6,209 MiB (target < 2048 MiB not met); the `backfill_*` rows are
after it.
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env |= {"PLATFORM_HOME": str(home), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(PROJECT_ROOT)}
    return env


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return kids


class PostgresPeak:
    """The largest resident set of any one process of the server at `home`, sampled in a thread.

    Postgres is not a child of the measured run (the first connection started it), so
    `measure_child` cannot see it; the postmaster's pid is in postmaster.pid.
    """

    def __init__(self, home: Path) -> None:
        self.home, self.peak, self._stop = home, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _postmaster(self) -> int | None:
        try:
            return int((server.pgdata_dir(self.home) / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def _sample(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_S):
            postmaster = self._postmaster()
            if postmaster is not None:
                pids = [postmaster, *_children(postmaster)]
                self.peak = max(self.peak, *(_rss_bytes(pid) for pid in pids))

    def __enter__(self) -> "PostgresPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measured(ctx: Context, env: dict[str, str], home: Path, *args: str) -> dict[str, Any]:
    """One `bench.load_step` child: its report plus wall time and peak RSS (its own, Postgres's)."""
    with tempfile.TemporaryDirectory() as tmp, PostgresPeak(home) as postgres:
        outer, inner = Path(tmp) / "outer.json", Path(tmp) / "inner.json"
        log = home.parent / "phases.log"
        command = [sys.executable, str(MEASURE_CHILD), str(outer), sys.executable, "-m",
                   "bench.load_step", str(inner), *args]
        ctx.log(f"  {' '.join(args)} (log: {log})")
        with open(log, "a") as out:
            out.write(f"\n==> {' '.join(args)} at {datetime.now(UTC).isoformat()}\n")
            out.flush()
            # Its own process group, so that a run cut short (Ctrl-C, SIGTERM) ends the run too.
            child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
            try:
                child.wait()
            except BaseException:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                raise
        if child.returncode != 0 or not inner.exists():
            tail = "\n".join(log.read_text().strip().splitlines()[-25:])
            raise RuntimeError(f"{' '.join(args)} failed:\n{tail}")
        report = json.loads(inner.read_text()) | json.loads(outer.read_text())
    report["postgres_peak_rss_bytes"] = postgres.peak
    report["outside_share"] = (
        1 - sum(report["steps"].values()) / report["wall_s"] if report["steps"] else None
    )
    ctx.log(f"    {report['wall_s']:.1f} s, peak {report['peak_rss_bytes'] / 2**20:.0f} MiB"
            f" (postgres {postgres.peak / 2**20:.0f} MiB)"
            + (f", outside steps {report['outside_share']:.1%}" if report["steps"] else ""))
    return report


def readme_queries() -> list[str]:
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "access"))
    from readme_queries import readme_queries as queries

    return queries()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def query_label(query: str) -> str:
    """A README query named by the first relation it reads, as the per-query rows show it."""
    match = re.search(r"\bfrom\s+([a-z_]+\.[a-z_]+)", query)
    return match.group(1) if match else query.split()[0]


def analysts_idle(url: str, queries: list[str]) -> list[tuple[int, float]]:
    """Each query IDLE_ROUNDS times on one connection with nothing else running: the baseline
    that tells a query's own cost from the time the nightly run's load adds to it."""
    timings = []
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(IDLE_ROUNDS):
            for i, query in enumerate(queries):
                started = time.perf_counter()
                conn.execute(query).fetchall()
                timings.append((i, (time.perf_counter() - started) * 1000))
    return timings


def latency_report(timings: list[tuple[int, float]], queries: list[str]) -> dict[str, Any]:
    """p50/p95 over all queries and p95 per query, from (query index, ms) pairs."""
    every = [ms for _, ms in timings]
    by_query: dict[str, list[float]] = {}
    for i, ms in timings:
        by_query.setdefault(f"q{i + 1} {query_label(queries[i])}", []).append(ms)
    return {
        "p50_ms": round(_percentile(every, 0.5), 1) if every else None,
        "p95_ms": round(_percentile(every, 0.95), 1) if every else None,
        "p95_ms_by_query": {q: round(_percentile(v, 0.95), 1) for q, v in sorted(by_query.items())},
    }


def analysts_during(url: str, queries: list[str], stop: threading.Event) -> tuple[list, list, list]:
    """ANALYST_SESSIONS threads, each sending one of `queries` every ANALYST_INTERVAL_S until
    `stop`: a fixed rate, as people at dashboards and notebooks query, not a flat-out loop that
    would only measure how much CPU the analysts can take from the run. Returns (threads,
    (query index, ms) pairs, errors); the lists fill while the threads run."""
    latencies, errors, lock = [], [], threading.Lock()

    def session(offset: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                # Sessions start spread over one interval, so the rate is even, not in bursts.
                due = time.monotonic() + ANALYST_INTERVAL_S * offset / ANALYST_SESSIONS
                i = offset
                while not stop.wait(max(0.0, due - time.monotonic())):
                    started = time.perf_counter()
                    conn.execute(queries[i % len(queries)]).fetchall()
                    with lock:
                        latencies.append(
                            (i % len(queries), (time.perf_counter() - started) * 1000)
                        )
                    i += 1
                    due += ANALYST_INTERVAL_S
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


def scale_label(customers: int, days: int) -> str:
    if (customers, days) == SCALE_M:
        return f"M ({customers:,} customers x {days} days)"
    return f"{customers}x{days}"


def open_state(ctx: Context, run_dir: Path, customers: int, days: int,
               resume: bool) -> dict[str, Any]:
    """The run's state: kept when resuming a run of the same scale, else a fresh run dir."""
    path = run_dir / STATE
    if resume and path.exists():
        state = json.loads(path.read_text())
        if (state["customers"], state["days"]) == (customers, days):
            ctx.log(f"  resuming {run_dir}: {', '.join(state['phases']) or 'no phase'} done")
            return state
        ctx.log(f"  {run_dir} holds a run at {state['customers']}x{state['days']}: starting afresh")
    if (run_dir / "home").exists():
        server.stop_embedded(run_dir / "home")
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "home").mkdir(parents=True)
    for folder in (run_dir, run_dir / "home"):
        folder.chmod(0o755)  # pgserver runs postgres as its own user
    end = datetime.now(UTC).date() - timedelta(days=1)
    state = {"customers": customers, "days": days, "end": end.isoformat(), "phases": {}}
    save_state(run_dir, state)
    return state


def save_state(run_dir: Path, state: dict[str, Any]) -> None:
    tmp = run_dir / (STATE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(run_dir / STATE)


def db_size_bytes(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("select pg_database_size(current_database())").fetchone()[0]


def rows_from(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure the finished phases hold, as results rows."""
    scale = scale_label(state["customers"], state["days"])
    rows: list[dict[str, Any]] = []
    for phase, report in state["phases"].items():
        def add(metric: str, value: Any, unit: str, **extra: Any) -> None:
            rows.append(row(NAME, metric, value, unit, scale=scale,  # noqa: B023 - used at once
                            measured_at=report["measured_at"], **extra))  # noqa: B023

        if phase == "dashboards":
            for view, (plain, concurrent) in report["refresh_s"].items():
                add(f"refresh_{view}_concurrent_ms", round(concurrent * 1000, 1), "ms",
                    baseline="plain refresh", baseline_value=round(plain * 1000, 1),
                    ratio=round(time_ratio(concurrent, plain), 3))
            add("dashboard_query_p50_ms", report["query_p50_ms"], "ms")
            add("dashboard_query_p95_ms", report["query_p95_ms"], "ms")
            continue
        wall, steps = report["wall_s"], report["steps"]
        add(f"{phase}_wall_seconds", round(wall, 1), "s")
        if phase == "backfill":
            add("backfill_partitions", state["days"], "partitions")
            add("backfill_seconds_per_partition", round(wall / state["days"], 2), "s")
        if steps:
            inside = sum(steps.values())
            add(f"{phase}_steps", len(steps), "steps")
            add(f"{phase}_outside_steps_seconds", round(wall - inside, 1), "s")
            add(f"{phase}_outside_steps_share", round(1 - inside / wall, 3), "share")
            peaks = sorted(report.get("step_peak_rss_mib", {}).items(), key=lambda kv: -kv[1])
            if peaks:
                add(f"{phase}_largest_steps_rss", ", ".join(f"{k} {v:,} MiB" for k, v in peaks[:3]),
                    "text")
            for part, seconds in report.get("outside", {}).items():
                add(f"{phase}_outside_{part}_seconds", round(seconds, 1), "s")
            slowest = sorted(steps.items(), key=lambda kv: -kv[1])[:3]
            add(f"{phase}_slowest_steps", ", ".join(f"{k} {v:.1f} s" for k, v in slowest),
                "text")
        # The simulator stands in for the operational database: not a platform process.
        who = "simulator" if phase == "simulate" else "platform"
        add(f"{phase}_{who}_peak_rss_mib", round(report["peak_rss_bytes"] / 2**20), "MiB")
        add(f"{phase}_postgres_peak_rss_mib",
            round(report["postgres_peak_rss_bytes"] / 2**20), "MiB")
        add(f"{phase}_db_size_mib", round(report["db_size_bytes"] / 2**20), "MiB")
        analysts = report.get("analysts")
        if analysts:
            add("analyst_sessions", ANALYST_SESSIONS, "sessions")
            add("analyst_rate_qps", round(ANALYST_SESSIONS / ANALYST_INTERVAL_S, 1), "queries/s")
            add("analyst_queries", analysts["queries"], "queries")
            add("analyst_errors", analysts["errors"], "errors")
            if analysts["queries"]:
                idle = analysts.get("idle", {})  # absent from runs before the idle baseline
                add("analyst_query_p50_ms", analysts["p50_ms"], "ms")
                add("analyst_query_p95_ms", analysts["p95_ms"], "ms",
                    **({"baseline": "idle, one session", "baseline_value": idle["p95_ms"],
                        "ratio": round(idle["p95_ms"] / analysts["p95_ms"], 3)}
                       if idle and analysts["p95_ms"] else {}))
                for when, figures in (("night", analysts), ("idle", idle)):
                    by_query = figures.get("p95_ms_by_query")
                    if by_query:
                        add(f"analyst_query_p95_by_query_{when}",
                            ", ".join(f"{q} {ms:,} ms" for q, ms in by_query.items()), "text")
            add("bench_analysts_peak_rss_mib", analysts["bench_peak_rss_mib"], "MiB")
    return rows


def run_phase(ctx: Context, phase: str, kind: str, state: dict[str, Any], home: Path) -> dict:
    """One platform run of the sequence, measured; the nightly one with analysts querying."""
    env = _env(home)
    end = date.fromisoformat(state["end"])
    first = end - timedelta(days=state["days"] - 1)
    args = kind.split()
    if phase == "simulate":
        args += [str(state["customers"]), str(state["days"]), end.isoformat()]
    elif phase == "backfill":
        args += [first.isoformat(), end.isoformat()]
    elif phase == "nightly":
        args += [end.isoformat(), end.isoformat()]
    url = server.database_url()
    if phase != "nightly":
        report = measured(ctx, env, home, *args)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            apply_roles(conn, ANALYST_PASSWORD)
        queries = readme_queries()
        idle = analysts_idle(analyst_url(url, ANALYST_PASSWORD), queries)
        stop = threading.Event()
        threads, latencies, errors = analysts_during(
            analyst_url(url, ANALYST_PASSWORD), queries, stop
        )
        try:
            report = measured(ctx, env, home, *args)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        if errors:
            ctx.log(f"  analyst errors: {len(errors)} (first: {errors[0]})")
        report["analysts"] = {
            "queries": len(latencies), "errors": len(errors), "first_error": errors[:1],
            **latency_report(latencies, queries),
            "idle": latency_report(idle, queries),
            "bench_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    report["db_size_bytes"] = db_size_bytes(url)
    return report


def run(ctx: Context) -> list[dict[str, Any]]:
    customers, days = ctx.options.load_customers, ctx.options.load_days
    run_dir = Path(getattr(ctx.options, "load_run_dir", None) or DEFAULT_RUN_DIR)
    state = open_state(ctx, run_dir, customers, days, getattr(ctx.options, "load_resume", False))
    home = run_dir / "home"
    os.environ["PLATFORM_HOME"] = str(home)  # this process's own connections (sizes, analysts)
    # SIGTERM (timeout, kill) unwinds like Ctrl-C: the running phase's child ends, the server stops.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    finished = False
    try:
        for phase, kind in (*RUNS, ("dashboards", "")):
            if phase in state["phases"]:
                continue
            ctx.log(f"  phase {phase}")
            if phase == "dashboards":
                figures = dashboard_figures(ctx, server.database_url(), readme_queries())
                query_ms = figures.pop("query_ms")
                views = {key.split(":")[0] for key in figures}
                report = {
                    "refresh_s": {v: (figures[f"{v}:plain"], figures[f"{v}:concurrent"])
                                  for v in sorted(views)},
                    "query_p50_ms": round(_percentile(query_ms, 0.5), 1),
                    "query_p95_ms": round(_percentile(query_ms, 0.95), 1),
                }
            else:
                report = run_phase(ctx, phase, kind, state, home)
            state["phases"][phase] = report | {"measured_at": ctx.measured_at}
            save_state(run_dir, state)
            ctx.publish(rows_from(state))
        finished = True
        return rows_from(state)
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.environ.pop("PLATFORM_HOME", None)
        server.stop_embedded(home)
        if finished:  # the figures are in state.json and results.json; the data can go
            shutil.rmtree(home, ignore_errors=True)

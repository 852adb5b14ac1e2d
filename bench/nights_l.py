"""Nights at scale L: one nightly day on a year of history of 200,000 customers.

The simulator cannot hold L in memory and a year of nightly backfill at L is ruled out, so the
history is loaded directly, by cloning:

- `simulate`, `backfill`, `weekly`, `advance` (the seed): a fresh embedded Postgres and
  PLATFORM_HOME in the run dir; `--nights-base-customers` (2,000) simulated over `--nights-days` +
  1 days ending E = 2026-11-19, a Thursday (`simulate_history`), the ops tables as they stood at E
  00:00 UTC written to ops and those at E+1 00:00 kept as Parquet in the run dir;
  `nightly_refresh` over [E - days, E - 1] as one run (measured child, as in platform_load);
  `weekly_training`, so production models exist; then ops replaced by the E+1 cut, so day E's
  changes wait in the source as they would for the night of E. (Backfilling from the final state
  instead would reject most of the history: a vehicle's odometer changes daily, so its last
  version is E's, and every route and event of the backfill would point at a vehicle not yet
  landed.)
- `multiply`: `bench/multiply.py` adds `--nights-factor` - 1 copies of every per-entity row, in
  set-based SQL inside Postgres, ids remapped the same way in every table (ops, staging and its
  history, the feature views, the note vectors, open rejections, deletes, predictions); each
  table vacuumed and analyzed after.
- `nightly`: `nightly_refresh` for E alone, timed step by step, with `log_min_duration_statement`
  set on the platform database; the slowest logged statements are run again under EXPLAIN
  (ANALYZE, BUFFERS), rolled back, and their plans published.

Resumable like platform_load: the run dir (`--nights-run-dir`, default $TMPDIR/bench-nights-l)
holds the server, PLATFORM_HOME and state.json; each phase's figures go to the state file and
results.json as it finishes, and `--nights-resume` carries on after the last finished phase (the
multiply after its last finished table) of a run of the same scale.

Disk: the copied tables take about 110 MiB per copy of a 800-customer, 121-day world (a smoke run
at 800 x 3 x 120), so at L (100 copies of 2,000 customers x 366 days, some 7.6 times the rows per
copy) the run dir needs about 90 GB, index builds' temp files and WAL included: point
`--nights-run-dir` at a disk that has it.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import multiply, slow_log
from bench.platform_load import PostgresPeak, db_size_bytes, measured, save_state
from bench.registry import Context
from bench.results import BLOCK_UNIT, Target, row
from platform_assets.db import server
from platform_assets.settings import PROJECT_ROOT

NAME = "nights_l"
DEFAULT_RUN_DIR = Path(tempfile.gettempdir()) / "bench-nights-l"
STATE = "state.json"
# E: fixed, so every run of a scale loads the same history; a weekday, as the simulator's routes
# and events are: a Sunday night (the first runs' E, 2026-11-22) lands a twentieth of a weekday's.
END = date(2026, 11, 19)
SCALE_L = (200_000, 365)
LOG_MIN_MS = 100  # the nightly's statements at least this slow are logged
EXPLAINED = 3  # plans published: the slowest statements that can run again
LISTED = 10  # the slowest logged statements listed
EXPLAIN_TRIES = 12  # the slowest statements tried for a plan before giving up
STATEMENT_CHARS = 1500  # of a statement's text shown beside its plan
_REDIRECTS = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL")
SEED = 7  # the simulator's seed, as everywhere in bench
NEXT_CUT = "next_cut"  # run dir folder of the ops tables as of E+1 00:00, one Parquet per table
# The seed's platform runs: phase -> bench.load_step kind.
RUNS = {"backfill": "range nightly_refresh", "weekly": "job weekly_training"}
PHASES = ("simulate", "backfill", "weekly", "advance", "multiply", "nightly")

TARGETS = {"nightly_wall_seconds": Target("value", "<", 900, "s")}
NOTES = f"""
The history is loaded directly, not by a year of nightly runs: `simulate` simulates
`--nights-base-customers` customers over `--nights-days` + 1 days ending E = {END} and writes the
ops tables as they stood at E 00:00 UTC, `backfill` runs `nightly_refresh` over [E - days, E - 1]
as one run, `weekly` runs `weekly_training` (so production models score the night), `advance`
writes ops as they stood at E+1 00:00 (day E's changes wait in the source); then `multiply` clones
that world `--nights-factor` - 1 times inside Postgres (`bench/multiply.py`, `sql/bench/`): every
row of ops, staging (with its history), the feature views, the note vectors and topic assignments,
the open rejections, delete evidence and predictions, each id mapped to md5(k:id) in every table,
so keys and joins hold; each copied table's indexes are dropped and built again around the insert,
then it is vacuumed and analyzed. Registries, fits, datasets, models and checks stay single; raw.*
is not copied (the nightly reads raw only in its own range). The copies' notes are the originals'
texts; their vectors are the originals' shifted by a small fixed offset per copy. `nightly` runs
`nightly_refresh` for E alone (the schedule's run would also recompute the lookback days) against
the L database: wall time, each step's time (STEP_START to STEP_SUCCESS), the share outside steps,
peak RSS of the run's process and of the largest Postgres process, database size. During it the
platform database logs every statement of at least {LOG_MIN_MS} ms; the slowest are listed, and the
{EXPLAINED} slowest that can run again outside the run's session (not reading its temp tables) are
run under EXPLAIN (ANALYZE, BUFFERS) with the logged parameters, in a transaction rolled back,
after the run (so on the night's data already written: an upsert then updates rather than inserts,
and an INSERT whose rows the night wrote after deleting the day's runs into an empty copy of its
table, which keeps its SELECT, the reading part, as it was). `multiply_tables` lists each copied
table's rows before and after and its size; `raw_size_mib_not_copied` is raw.* at base scale. The
target: the night < 15 min.

Measured below a year of L on the development machine: after the copies at `--nights-factor 50`
(100,000 customers x 365 days) the database held 38,420 MiB, so L's 100 copies of a year need
about 75 GiB before index builds' temp files and WAL, and the machine had 77 GiB free. The rows
here keep L's 200,000 customers and shorten the history instead (`--nights-factor 100
--nights-days 120`, run of 2026-12-05): every window the night computes (90 days at most) is
full, only the history before the windows is short, and the night must not read that. The year
at half of L, the same Thursday (run of 2026-12-04), took 399.7 s, 0.9% outside step compute,
peak 1,058 MiB (Postgres 1,045 MiB), database 38,742 MiB; its slowest statements were the
customer_daily insert 57.6 s, bin_daily 52.8 s, customer_topics_daily 37.9 s. The first such run
measured a Sunday (E = 2026-11-22, 1,900 events landed): 613.5 s, of which about 170 s were
statements reading all history (topic assignment 43.3 + 19.9 s, topic scope counts 26.8 s,
embedding coverage 16.3 + 10.6 s, day fingerprints 25.1 + 15.1 + 14.2 s) and 128.4 s the
bin_daily insert over a 90-day grid. Those now read only the run's partitions (watermarks in
vectors.coverage and vectors.topic_fits, migrations 0019-0021), the fingerprints read their days
by index and bin_daily's grid spans its 28-day windows. What remains grows with the windows: the
feature views' inserts over 90 days of events (customer_daily, customer_topics_daily) and the
checks over the days a late change reaches back to.
"""


def scale_label(state: dict[str, Any]) -> str:
    base, factor, days = state["base_customers"], state["factor"], state["days"]
    customers = base * factor
    copies = f"{base:,} simulated x {factor} copies"
    if (customers, days) == SCALE_L:
        return f"L ({customers:,} customers x {days} days; {copies})"
    return f"{customers:,} customers x {days} days ({copies}; L is {SCALE_L[0]:,} x {SCALE_L[1]})"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    return env | {"PLATFORM_HOME": str(home), "PYTHONUNBUFFERED": "1",
                  "PYTHONPATH": str(PROJECT_ROOT)}


def open_state(ctx: Context, run_dir: Path, params: dict[str, Any],
               resume: bool) -> dict[str, Any]:
    """The run's state: kept when resuming a run of the same scale, else a fresh run dir."""
    path = run_dir / STATE
    if resume and path.exists():
        state = json.loads(path.read_text())
        if {k: state.get(k) for k in params} == params:
            ctx.log(f"  resuming {run_dir}: {', '.join(state['phases']) or 'no phase'} done")
            return state
        ctx.log(f"  {run_dir} holds another scale: starting afresh")
    if (run_dir / "home").exists():
        server.stop_embedded(run_dir / "home")
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "home").mkdir(parents=True)
    for folder in (run_dir, run_dir / "home"):
        folder.chmod(0o755)  # pgserver runs postgres as its own user
    state = params | {"phases": {}, "multiply_tables": {}}
    save_state(run_dir, state)
    return state


def simulate_phase(state: dict[str, Any], run_dir: Path, home: Path) -> dict:
    """Simulate the base world; ops as of E 00:00 into the database, as of E+1 00:00 to Parquet."""
    import pyarrow.parquet as pq

    from platform_assets.db.migrate import migrate
    from platform_assets.resources import PostgresResource
    from platform_assets.simulator import ops_as_of, simulate_history
    from platform_assets.simulator.load import write_ops

    started = time.perf_counter()
    end = date.fromisoformat(state["end"])
    with PostgresPeak(home) as postgres:
        history = simulate_history(state["base_customers"], state["days"] + 1, SEED, end)
        simulated = time.perf_counter() - started
        folder = run_dir / NEXT_CUT
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, table in ops_as_of(history, history.end).items():
            pq.write_table(table, folder / f"{name}.parquet")
        with PostgresResource().connect() as conn:
            migrate(conn)
        at_e = datetime.combine(end, datetime.min.time(), UTC)
        with PostgresResource().connect_source() as conn:
            rows = write_ops(conn, ops_as_of(history, at_e),
                             _simulation_params(state) | {"as_of": at_e.isoformat()})
    return {"wall_s": time.perf_counter() - started, "simulate_s": round(simulated, 1),
            "ops_rows": rows, "postgres_peak_rss_bytes": postgres.peak,
            "db_size_bytes": db_size_bytes(server.database_url())}


def advance_phase(state: dict[str, Any], run_dir: Path, home: Path) -> dict:
    """Replace ops with the E+1 00:00 cut: the changes of day E wait in the source."""
    import pyarrow.parquet as pq

    from platform_assets.resources import PostgresResource
    from platform_assets.simulator import OPS_TABLES
    from platform_assets.simulator.load import write_ops

    started = time.perf_counter()
    end = date.fromisoformat(state["end"])
    tables = {name: pq.read_table(run_dir / NEXT_CUT / f"{name}.parquet") for name in OPS_TABLES}
    with PostgresPeak(home) as postgres, PostgresResource().connect_source() as conn:
        rows = write_ops(conn, tables, _simulation_params(state)
                         | {"as_of": f"{end + timedelta(days=1)}T00:00:00+00:00"})
    return {"wall_s": time.perf_counter() - started, "ops_rows": rows,
            "postgres_peak_rss_bytes": postgres.peak,
            "db_size_bytes": db_size_bytes(server.database_url())}


def _simulation_params(state: dict[str, Any]) -> dict[str, Any]:
    from platform_assets.simulator.load import simulation_params

    return simulation_params(state["base_customers"], state["days"] + 1, SEED,
                             date.fromisoformat(state["end"]))


def run_phase(ctx: Context, phase: str, state: dict[str, Any], home: Path) -> dict:
    """A seed run of the platform (backfill, weekly) as a measured child."""
    end, days = date.fromisoformat(state["end"]), state["days"]
    args = RUNS[phase].split()
    if phase == "backfill":
        args += [(end - timedelta(days=days)).isoformat(), (end - timedelta(days=1)).isoformat()]
    started = time.perf_counter()
    try:
        report = measured(ctx, _env(home), home, *args)
    except RuntimeError as error:
        if phase != "weekly":
            raise
        # A task whose training fails (a small world may fail its blocking checks) leaves the
        # night without that task's production model; the night is measured all the same.
        failed = list(dict.fromkeys(ln.strip() for ln in str(error).splitlines()
                                    if "FAILED" in ln))
        ctx.log(f"    weekly_training failed: {'; '.join(failed) or str(error)[:200]}")
        report = {"wall_s": time.perf_counter() - started, "steps": {},
                  "postgres_peak_rss_bytes": None, "failed_steps": failed or [str(error)[:500]]}
    url = server.database_url()
    report["db_size_bytes"] = db_size_bytes(url)
    if phase == "weekly":
        with psycopg.connect(url, autocommit=True) as conn:
            report["production_models"] = conn.execute(
                "select count(*) from ml.models where deployment_status = 'production'"
            ).fetchone()[0]
        ctx.log(f"    production models: {report['production_models']}")
    return report


def check_disk(run_dir: Path, needed: float, what: str) -> None:
    """Stop with a clear error before filling the disk: a full disk mid-copy costs hours."""
    free = shutil.disk_usage(run_dir).free
    if needed > free:
        raise RuntimeError(
            f"{what} needs about {needed / 1e9:.0f} GB free in {run_dir}, which has"
            f" {free / 1e9:.0f} GB: pass --nights-run-dir on a bigger disk, or a smaller"
            " --nights-factor (the scale label then says which scale was measured)")


def multiply_phase(ctx: Context, state: dict[str, Any], run_dir: Path, home: Path) -> dict:
    url = server.database_url()
    if not state["multiply_tables"]:  # before the first copy: the base is all there is
        copies = state["factor"] - 1
        # Each copy is about the base's size again; a fifth more for index rebuilds and WAL.
        check_disk(run_dir, db_size_bytes(url) * copies * 1.2, f"{copies} copies of the base")
    started = time.perf_counter()
    with PostgresPeak(home) as postgres, psycopg.connect(url, autocommit=True) as conn:
        tables = multiply.multiply(conn, state["factor"], state["multiply_tables"],
                                   saved=lambda: save_state(run_dir, state), log=ctx.log)
        customers = conn.execute("select count(*) from staging.customers").fetchone()[0]
        raw = conn.execute(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class as c"
            " join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = 'raw' and c.relkind = 'r'").fetchone()[0]
    seconds = [t[k] for t in tables.values() for k in ("copy_s", "index_s", "vacuum_s")
               if t.get(k) is not None]
    return {
        # A resumed multiply: the sum of the finished tables' parts, not this process's time.
        "wall_s": sum(seconds) if state.get("multiply_resumed") else
        time.perf_counter() - started,
        "tables": {label: {"base_rows": t["base_rows"], "rows": t["rows"], "bytes": t["bytes"]}
                   for label, t in tables.items()},
        "staging_customers": customers, "raw_bytes": raw,
        "postgres_peak_rss_bytes": postgres.peak, "db_size_bytes": db_size_bytes(url),
    }


def _platform_database(conn: psycopg.Connection) -> sql.Identifier:
    return sql.Identifier(conn.execute("select current_database()").fetchone()[0])


def nightly_phase(ctx: Context, state: dict[str, Any], home: Path) -> dict:
    """The night of E, its statements of LOG_MIN_MS or more logged, then their plans."""
    url, end = server.database_url(), state["end"]
    log_path = server.pgdata_dir(home) / "log"
    with psycopg.connect(url, autocommit=True) as conn:
        database = _platform_database(conn)
        # Per database: the run's new connections log, Dagster's storage database does not.
        conn.execute(sql.SQL("alter database {} set log_min_duration_statement = {}").format(
            database, sql.Literal(LOG_MIN_MS)))
    offset = log_path.stat().st_size
    try:
        report = measured(ctx, _env(home), home, "range", "nightly_refresh", end, end)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("alter database {} reset log_min_duration_statement").format(
                database))
    logged = slow_log.parse(slow_log.read_from(log_path, offset))
    report["db_size_bytes"] = db_size_bytes(url)
    report["logged_statements"] = len(logged)
    report["slowest"], report["plans"] = explain_slowest(ctx, url, logged)
    return report


def explain_slowest(ctx: Context, url: str, logged: list[slow_log.Logged]) -> tuple[list, list]:
    """The LISTED slowest statements (ms, first line, whether explained) and the plans of the
    EXPLAINED slowest that can run again here."""
    candidates = slow_log.slowest(logged, max(LISTED, EXPLAIN_TRIES))
    listed, plans = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        for rank, entry in enumerate(candidates, 1):
            outcome = None
            if len(plans) < EXPLAINED and rank <= EXPLAIN_TRIES:
                if not slow_log.explainable(entry.text):
                    outcome = "not explainable (not a query, DML or CREATE TABLE AS)"
                else:
                    try:
                        started = time.perf_counter()
                        plan, how = slow_log.explain(conn, entry, 60 + 3 * entry.ms / 1000)
                        plans.append({"rank": rank, "ms": entry.ms, "text": entry.text,
                                      "params": entry.params, "plan": plan, "how": how,
                                      "explain_s": round(time.perf_counter() - started, 1)})
                        outcome = f"plan {len(plans)}" + (f" ({how})" if how else "")
                    except psycopg.Error as error:
                        outcome = f"not explained: {str(error).strip().splitlines()[0]}"
            if rank <= LISTED:
                listed.append({"rank": rank, "ms": entry.ms, "kind": entry.kind,
                               "text": entry.text, "outcome": outcome})
            ctx.log(f"    #{rank} {entry.ms:,.0f} ms {_first_line(entry.text)[:90]}"
                    + (f" -> {outcome}" if outcome else ""))
    return listed, plans


def _first_line(text: str) -> str:
    """A statement's first line of code (its header comments skipped)."""
    lines = [ln.strip() for ln in text.splitlines()]
    return next((ln for ln in lines if ln and not ln.startswith("--")), text.strip()[:120])


def _mib(value: float) -> int:
    return round(value / 2**20)


def rows_from(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure the finished phases hold, as results rows."""
    scale = scale_label(state)
    rows: list[dict[str, Any]] = []
    for phase, report in state["phases"].items():
        if phase not in PHASES:
            continue

        def add(metric: str, value: Any, unit: str) -> None:
            rows.append(row(NAME, metric, value, unit, scale=scale,  # noqa: B023 - used at once
                            measured_at=report["measured_at"]))  # noqa: B023

        add(f"{phase}_wall_seconds", round(report["wall_s"], 1), "s")
        steps = report.get("steps") or {}
        if steps:
            inside = sum(steps.values())
            add(f"{phase}_steps", len(steps), "steps")
            add(f"{phase}_outside_steps_seconds", round(report["wall_s"] - inside, 1), "s")
            add(f"{phase}_outside_steps_share", round(1 - inside / report["wall_s"], 3), "share")
        if "peak_rss_bytes" in report:
            add(f"{phase}_platform_peak_rss_mib", _mib(report["peak_rss_bytes"]), "MiB")
        if report.get("postgres_peak_rss_bytes") is not None:
            add(f"{phase}_postgres_peak_rss_mib", _mib(report["postgres_peak_rss_bytes"]),
                "MiB")
        if report.get("failed_steps"):
            add(f"{phase}_failed_steps", "; ".join(report["failed_steps"])[:300], "text")
        add(f"{phase}_db_size_mib", _mib(report["db_size_bytes"]), "MiB")
        if phase == "weekly":
            add("production_models", report["production_models"], "models")
        if "ops_rows" in report:
            add(f"{phase}_ops_rows", sum(report["ops_rows"].values()), "rows")
        if phase == "multiply":
            add("customers", report["staging_customers"], "customers")
            add("multiply_rows", sum(t["rows"] for t in report["tables"].values()), "rows")
            add("raw_size_mib_not_copied", _mib(report["raw_bytes"]), "MiB")
            add("multiply_tables", _tables_block(report["tables"]), BLOCK_UNIT)
        if phase == "nightly":
            for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
                add(f"nightly_step_{step}_seconds", round(seconds, 2), "s")
            add("nightly_logged_statements", report["logged_statements"], "statements")
            add("nightly_slowest_statements", _listing(report["slowest"]), BLOCK_UNIT)
            for n, plan in enumerate(report["plans"], 1):
                add(f"nightly_plan_{n}", _plan_block(plan), BLOCK_UNIT)
    return rows


def _tables_block(tables: dict[str, dict[str, Any]]) -> str:
    """Rows before and after the copies and size after, per copied table, largest first."""
    lines = [f"{'table':<36} {'base rows':>12} {'rows':>14} {'MiB':>9}"]
    for label, t in sorted(tables.items(), key=lambda kv: -kv[1]["bytes"]):
        lines.append(f"{label:<36} {t['base_rows']:>12,} {t['rows']:>14,} "
                     f"{t['bytes'] / 2**20:>9,.1f}")
    return "\n".join(lines)


def _listing(slowest: list[dict[str, Any]]) -> str:
    if not slowest:
        return f"(no statement of the night took {LOG_MIN_MS} ms or more)"
    return "\n".join(
        f"#{s['rank']:<2} {s['ms']:>12,.1f} ms  {_first_line(s['text'])[:110]}"
        + (f"\n{'':19}-> {s['outcome']}" if s["outcome"] else "") for s in slowest)


def _plan_block(plan: dict[str, Any]) -> str:
    text = plan["text"].strip()
    if len(text) > STATEMENT_CHARS:
        text = text[:STATEMENT_CHARS] + f"\n... ({len(plan['text']):,} characters)"
    params = ", ".join(f"${n} = {v[:60]}" for n, v in sorted(plan["params"].items(),
                                                             key=lambda kv: int(kv[0])))
    return "\n".join([
        f"#{plan['rank']} of the night's slowest: {plan['ms']:,.1f} ms as logged"
        + (f"; explained {plan['how']}" if plan.get("how") else ""), text,
        *([f"-- parameters: {params}"] if params else []), "", plan["plan"]])


def run(ctx: Context) -> list[dict[str, Any]]:
    options = ctx.options
    params = {"base_customers": options.nights_base_customers, "factor": options.nights_factor,
              "days": options.nights_days, "end": END.isoformat()}
    run_dir = Path(options.nights_run_dir or DEFAULT_RUN_DIR)
    state = open_state(ctx, run_dir, params, options.nights_resume)
    home = run_dir / "home"
    # This process's own connections (multiply, sizes, plans) go to the run dir's server.
    saved_env = {k: os.environ.pop(k) for k in ("PLATFORM_HOME", *_REDIRECTS) if k in os.environ}
    os.environ["PLATFORM_HOME"] = str(home)
    # SIGTERM (timeout, kill) unwinds like Ctrl-C: the running phase's child ends, the server stops.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    finished = False
    ctx.log(f"  {scale_label(state)}, run dir {run_dir}")
    try:
        for phase in PHASES:
            if phase in state["phases"]:
                continue
            ctx.log(f"  phase {phase}")
            started = time.perf_counter()
            if phase == "multiply":
                state["multiply_resumed"] = bool(state["multiply_tables"])
                report = multiply_phase(ctx, state, run_dir, home)
            elif phase == "nightly":
                if state.get("nightly_started"):
                    ctx.log("  the night ran before and was cut short: its day is partly written")
                state["nightly_started"] = True
                save_state(run_dir, state)
                report = nightly_phase(ctx, state, home)
            elif phase == "simulate":
                report = simulate_phase(state, run_dir, home)
            elif phase == "advance":
                report = advance_phase(state, run_dir, home)
            else:
                report = run_phase(ctx, phase, state, home)
            state["phases"][phase] = report | {"measured_at": ctx.measured_at}
            save_state(run_dir, state)
            ctx.publish(rows_from(state))
            ctx.log(f"  phase {phase} done in {time.perf_counter() - started:.0f} s")
        finished = True
        return rows_from(state)
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.environ.pop("PLATFORM_HOME", None)
        os.environ.update(saved_env)
        server.stop_embedded(home)
        if finished:  # the figures are in state.json and results.json; the data can go
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(run_dir / NEXT_CUT, ignore_errors=True)

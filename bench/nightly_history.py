"""Nightly one-day run before and after staging kept history, side by side, at scale S.

`before` is the platform at BASE_REV (before the SCD2 history), extracted with `git archive`
into a temp dir; `after` is the working tree. Both sides ingest the same source: this process
simulates the history once with the working tree's simulator (`simulate_history`) and writes the
ops tables as they stood at 00:00 UTC of E-2, E-1, E and E+1 (E = the last simulated day) to
Parquet in the run dir. Each side then runs in its own child process on its own fresh
PLATFORM_HOME (embedded Postgres), importing ITS OWN `platform_assets`: migrate, load the state
as of E-2 00:00 into ops (the side's `write_ops`), backfill the nightly job's data assets over
[first partition, E-3] as one run, then three real nights: for each night d in E-2, E-1, E the
ops state as of d+1 00:00 is written, then the nightly run for `nightly_range(d + 1)` (the day
plus the lookback) is timed. The figure is the median night. The issue's rule: the history must
not make the nightly run more than 1.2x slower.

`python -m bench nightly_history` measures both sides afresh. `python -m bench.nightly_history
[--base-rev REV] [--resume] [--run-dir DIR]` does the same through the same recording path;
`--resume` keeps a side whose figures the run dir already holds for the same source (each side
writes its JSON there as each phase finishes, so a rerun after a failure measures only what is
missing; the source is rebuilt every time, and a side measured on other data is measured again).
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from bench.registry import Context
from bench.results import ERROR_METRIC, Target, row, time_ratio

# Only the standard library and the stdlib-only bench modules above at import time: each side's
# child imports this module too, and must import the platform from its own tree, not this one.

NAME = "nightly_history"
BASE_REV = "35056b0"  # the platform before staging kept history
REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"
DEFAULT_RUN_DIR = Path(tempfile.gettempdir()) / "bench-nightly-history"
SIDES = ("before", "after")
# Scale S: the demo's world (platform_assets/cli.py DEMO_*), with a fixed last day.
CUSTOMERS, DAYS, SEED = 2_000, 180, 7
END_DATE = date(2026, 11, 22)
SCALE = f"S ({CUSTOMERS:,} customers x {DAYS} days)"
NIGHTLY_JOB = "nightly_refresh"
DATA_GROUPS = ("ingest", "features")  # no embeddings (and what reads them), no predictions
EMBEDDINGS_GROUP = "embeddings"
NIGHTS = 3  # consecutive nights: E-2, E-1, E
SOURCE = "source"  # run dir folder of the shared source: one folder per cut, one file per table
MANIFEST = "manifest.json"
TREE_DIRS = ("platform_assets", "sql")  # what a side runs, for the tree digest
SIDE_TIMEOUT_S = 3600
CHILD = "child"
MARK = ">> "  # the child's own progress lines, echoed; Dagster's logs go to the side's log only
_LOG_TAIL_LINES = 25
# Variables that would point a side at another server, instance or package than its own.
_REDIRECTS = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL", "DAGSTER_HOME",
              "PYTHONPATH")
# Overrides for `python -m bench nightly_history` (set by this module's own CLI).
ENV_BASE_REV, ENV_RESUME, ENV_RUN_DIR = (
    "NIGHTLY_HISTORY_BASE_REV", "NIGHTLY_HISTORY_RESUME", "NIGHTLY_HISTORY_RUN_DIR",
)

TARGETS = {
    # before / after >= 1/1.2: the nightly run at most 1.2x slower with the history.
    "nightly_one_day_s": Target("ratio", ">=", 0.833),
}
NOTES = f"""
`before` = the platform at {BASE_REV} (no history), extracted with `git archive`; `after` = the
working tree. Both sides get the same input: the bench process simulates scale S ending
E = {END_DATE} once with the working tree's `simulate_history` (seed {SEED}) and writes the ops
tables as they stood at 00:00 UTC of E-2, E-1, E and E+1 (`ops_as_of`) to Parquet. Each side runs
in its own child process (`PYTHONPATH` = that side's tree, checked by the child) on a fresh
embedded Postgres: migrate, its own `write_ops` loads the state as of E-2 00:00, the nightly job's
ingest and features groups (no embeddings nor what reads them, no predictions) are backfilled over
[first partition, E-3] as one run, then {NIGHTS} consecutive nights: for each night d = E-2, E-1, E
the state as of d+1 00:00 is written to ops (a new day of changes, not timed) and the nightly run
for the schedule's range (d plus the lookback, `nightly_range(d + 1)`) is timed. The figure is the
median of the {NIGHTS} nights (`run_partitions` wall time, the same code path on both sides).
Ratio = before / after: >= 0.833 means no more than 1.2x slower.
The extracted `before` tree is patched in one place: its `no_future_source` check on
features/vehicle_daily is made non-blocking, because the old SQL folds routes closed after
midnight (planted by the new simulator) into `source_max_ts`, the very bug the history fixes, and
would otherwise fail the backfill; the check still runs, so the cost measured is the same.
"""


# --- the parent: one child per side, figures into rows ---------------------------------------


def _option(ctx: Context, attr: str, env: str, default: Any) -> Any:
    return getattr(ctx.options, attr, None) or os.environ.get(env) or default


def _state_path(run_dir: Path, side: str) -> Path:
    return run_dir / f"{side}.json"


def _read_state(run_dir: Path, side: str) -> dict[str, Any]:
    path = _state_path(run_dir, side)
    return json.loads(path.read_text()) if path.exists() else {}


def _side_rev(side: str, base_rev: str) -> str:
    return base_rev if side == "before" else "working tree"


def _cut(day: date) -> str:
    """A cut's name: the ops state as it stood at 00:00 UTC of `day`."""
    return day.isoformat()


def source_cuts(end: date) -> list[date]:
    """The states the children need: at 00:00 of E-2 (the initial load), then after each night's
    day of changes, 00:00 of E-1, E and E+1 (E+1 00:00 = the end of the history)."""
    return [end - timedelta(days=NIGHTS - 1) + timedelta(days=n) for n in range(NIGHTS + 1)]


def build_source(ctx: Context, source_dir: Path) -> dict[str, Any]:
    """Simulate once (this tree's simulator) and write each cut's ops tables as Parquet.

    Returns the manifest (also written to `source_dir`): params, rows per cut and table, what was
    planted, and a digest of the files, which ties each side's figures to the data it ingested.
    """
    import pyarrow.parquet as pq

    from platform_assets.simulator import ops_as_of, simulate_history

    shutil.rmtree(source_dir, ignore_errors=True)
    source_dir.mkdir(parents=True)
    started = time.perf_counter()
    history = simulate_history(CUSTOMERS, DAYS, SEED, END_DATE)
    digest = hashlib.sha256()
    cuts: dict[str, dict[str, int]] = {}
    for day in source_cuts(END_DATE):
        at = datetime.combine(day, datetime.min.time(), UTC)
        if not history.start < at <= history.end:
            raise ValueError(f"cut {at} outside the history [{history.start}, {history.end}]")
        folder = source_dir / _cut(day)
        folder.mkdir()
        cuts[_cut(day)] = {}
        for name, table in ops_as_of(history, at).items():
            path = folder / f"{name}.parquet"
            pq.write_table(table, path)  # the schema metadata (planted_defects) goes along
            digest.update(f"{_cut(day)}/{name}\0".encode())
            digest.update(path.read_bytes())
            cuts[_cut(day)][name] = table.num_rows
    manifest = {
        "params": {"customers": CUSTOMERS, "days": DAYS, "seed": SEED,
                   "end_date": END_DATE.isoformat()},
        "cuts": cuts, "planted": history.planted, "digest": digest.hexdigest()[:16],
        "build_s": round(time.perf_counter() - started, 2),
    }
    (source_dir / MANIFEST).write_text(json.dumps(manifest, indent=2))
    ctx.log(f"  source: {len(cuts)} cuts ({', '.join(cuts)} 00:00 UTC) in "
            f"{manifest['build_s']:.1f} s, digest {manifest['digest']}")
    return manifest


# The `before` tree's one patch (see NOTES): its old vehicle_daily SQL folds routes closed after
# midnight into `source_max_ts`, so its blocking `no_future_source` check fails on the new
# simulator's data. The check still runs (same cost), it just no longer blocks.
BEFORE_PATCH_FILE = "platform_assets/features/checks.py"
BEFORE_PATCH_OLD = 'name="no_future_source",\n            blocking=True,'
BEFORE_PATCH_NEW = 'name="no_future_source",\n            blocking=False,'
BEFORE_PATCH_NOTE = (f"patched {BEFORE_PATCH_FILE}: no_future_source blocking=True -> False "
                     "(the old vehicle_daily SQL fails it on the new simulator's data; the check "
                     "still runs)")


def patch_before(root: Path) -> str:
    """Apply the `before` tree's one patch; raises unless the expected text is there exactly once
    (a later base revision must not skip it silently)."""
    path = root / BEFORE_PATCH_FILE
    text = path.read_text()
    if text.count(BEFORE_PATCH_OLD) != 1:
        raise RuntimeError(f"before side: expected {BEFORE_PATCH_OLD!r} exactly once in {path} "
                           f"(found {text.count(BEFORE_PATCH_OLD)}); update the patch for this "
                           "base revision")
    path.write_text(text.replace(BEFORE_PATCH_OLD, BEFORE_PATCH_NEW))
    return BEFORE_PATCH_NOTE


@contextmanager
def side_root(side: str, base_rev: str) -> Iterator[Path]:
    """The tree a side imports: BASE_REV extracted into a temp dir, or this working tree.

    `git archive` rather than `git worktree`: it leaves the repository's metadata untouched.
    """
    if side == "after":
        yield REPO_ROOT
        return
    root = Path(tempfile.mkdtemp(prefix=f"bench-nightly-{side}-"))
    try:
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", base_rev],
                                 capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(root, filter="data")
        patch_before(root)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def platform_home(side: str) -> Iterator[Path]:
    """A fresh PLATFORM_HOME; its embedded server is stopped and the home deleted at the end."""
    from bench.pg import temp_home

    home = temp_home(f"bench-nightly-{side}-home-")
    try:
        yield home
    finally:
        from platform_assets.db.server import stop_embedded

        try:
            stop_embedded(home)
        finally:
            shutil.rmtree(home, ignore_errors=True)


def pythonpath_shim(run_dir: Path) -> Path:
    """A dir holding only `bench` (this tree's): put before the side's tree on PYTHONPATH, the
    child finds this module while `platform_assets` still comes from the side's tree."""
    shim = run_dir / "pythonpath"
    shim.mkdir(parents=True, exist_ok=True)
    link = shim / "bench"
    if not link.is_symlink():
        link.symlink_to(BENCH_DIR, target_is_directory=True)
    return shim


def _pump(stream: IO[str], log: IO[str], lines: list[str], ctx: Context) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        lines.append(line.rstrip("\n"))
        if line.startswith(MARK):
            ctx.log(f"    {line[len(MARK):].rstrip()}")


def run_child(ctx: Context, side: str, root: Path, home: Path, run_dir: Path,
              source_dir: Path, patches: list[str]) -> None:
    """One side's child (`python -P -m bench.nightly_history child ...`); raises on failure."""
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env |= {"PLATFORM_HOME": str(home), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(pythonpath_shim(run_dir)), str(root)])}
    # -P: no cwd on sys.path, so PYTHONPATH alone decides where `bench` and the platform come from.
    command = [sys.executable, "-P", "-m", "bench.nightly_history", CHILD, "--side", side,
               "--root", str(root), "--state", str(_state_path(run_dir, side)),
               "--end", END_DATE.isoformat(), "--source", str(source_dir)]
    command += [arg for note in patches for arg in ("--patched", note)]
    lines: list[str] = []
    log_path = run_dir / f"{side}.log"
    with log_path.open("w") as log:
        # Its own session: a timeout or ^C stops the child and what it spawned, nothing else.
        proc = subprocess.Popen(command, cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        reader = threading.Thread(target=_pump, args=(proc.stdout, log, lines, ctx), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=SIDE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            lines.append(f"(killed after {SIDE_TIMEOUT_S} s)")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            reader.join(timeout=10)
    if proc.returncode != 0:
        tail = "\n".join(line[:300] for line in lines[-_LOG_TAIL_LINES:])
        phase = _read_state(run_dir, side).get("phase", "start")
        raise RuntimeError(f"{side} side exited with {proc.returncode} in phase {phase!r} "
                           f"(log {log_path}):\n{tail}")


def tree_digest(root: Path) -> str:
    """What a side runs: a digest of its platform_assets/ and sql/ files (paths and contents).

    The working tree is edited while benchmarks run; this tells a side measured on one version
    from another, and a side whose tree changed under it.
    """
    digest = hashlib.sha256()
    for top in TREE_DIRS:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(root)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def measure_side(ctx: Context, side: str, base_rev: str, run_dir: Path,
                 source: dict[str, Any]) -> dict[str, Any]:
    """Run one side's child; raises if it fails or if its tree changed while it ran."""
    rev = _side_rev(side, base_rev)
    ctx.log(f"  {side} ({rev}), load {os.getloadavg()[0]:.2f}")
    patches = [BEFORE_PATCH_NOTE] if side == "before" else []
    with side_root(side, base_rev) as root, platform_home(side) as home:
        tree = tree_digest(root)  # after the patch: the tree the side actually runs
        _state_path(run_dir, side).write_text(json.dumps(
            {"side": side, "rev": rev, "tree": tree, "measured_at": ctx.measured_at,
             "source": source["digest"], "patches": patches}
        ))
        run_child(ctx, side, root, home, run_dir, run_dir / SOURCE, patches)
        if tree_digest(root) != tree:
            raise RuntimeError(f"{side} side: {'/, '.join(TREE_DIRS)}/ changed while it ran "
                               f"(tree {tree} at the start); its figures mix two versions")
    return _read_state(run_dir, side)


def _complete(state: dict[str, Any], side: str, base_rev: str, digest: str) -> bool:
    """Complete figures of this side's revision on this source (and, for the working tree, on
    the tree as it is now)."""
    if not (state.get("complete", False) and state.get("rev") == _side_rev(side, base_rev)
            and state.get("source") == digest):
        return False
    return side == "before" or state.get("tree") == tree_digest(REPO_ROOT)


def figures_rows(ctx: Context, states: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows carry when their side was measured: a resumed side keeps its own time."""
    def when(*sides: str) -> str:
        return max(states.get(s, {}).get("measured_at", ctx.measured_at) for s in sides)

    def add(metric: str, value: Any, unit: str, sides: tuple[str, ...] = SIDES,
            **baseline: Any) -> dict[str, Any]:
        return row(NAME, metric, value, unit, scale=SCALE, measured_at=when(*sides), **baseline)

    nightly = {side: statistics.median(s["nightly_s"]) for side, s in states.items()
               if s.get("complete")}
    rows = []
    if nightly:
        after, before = nightly.get("after"), nightly.get("before")
        rows.append(add(
            "nightly_one_day_s", round(after, 2) if after else None, "s",
            baseline="before_history" if before else None,
            baseline_value=round(before, 2) if before else None,
            ratio=round(time_ratio(after, before), 3) if after and before else None,
        ))
    for side in SIDES:
        state = states.get(side, {})
        if "backfill_s" in state:
            rows.append(add(f"{side}_backfill_s", round(state["backfill_s"], 1), "s", (side,)))
        if state.get("complete"):
            runs = ", ".join(f"{night['seconds']:.1f} ({night['range']})"
                             for night in state["nights"])
            rows.append(add(f"{side}_nightly_runs_s", runs, "text", (side,)))
            load = ", ".join(f"{night['load_1min']:.1f}" for night in state["nights"])
            ctx.facts[f"Load, nightly_history {side} nightly runs"] = f"{load} (1 min)"
    return rows


def run(ctx: Context) -> list[dict[str, Any]]:
    base_rev = _option(ctx, "nightly_base_rev", ENV_BASE_REV, BASE_REV)
    resume = bool(_option(ctx, "nightly_resume", ENV_RESUME, ""))
    run_dir = Path(_option(ctx, "nightly_run_dir", ENV_RUN_DIR, DEFAULT_RUN_DIR))
    run_dir.mkdir(parents=True, exist_ok=True)
    ctx.log(f"nightly_history: {SCALE}, before = {base_rev}, after = the working tree; "
            f"run dir {run_dir}{' (resuming)' if resume else ''}")
    states, errors = {}, []
    try:
        source = build_source(ctx, run_dir / SOURCE)
        for side in SIDES:
            state = _read_state(run_dir, side)
            if resume and _complete(state, side, base_rev, source["digest"]):
                ctx.log(f"  {side}: figures already in {_state_path(run_dir, side)}; kept")
                states[side] = state
                continue
            try:
                states[side] = measure_side(ctx, side, base_rev, run_dir, source)
            except Exception as error:  # noqa: BLE001 - the other side still runs; recorded below
                ctx.log(f"  {side} FAILED: {error}")
                errors.append(str(error))
                states[side] = _read_state(run_dir, side)
    finally:
        shutil.rmtree(run_dir / SOURCE, ignore_errors=True)  # rebuilt on every run anyway
    rows = figures_rows(ctx, states)
    rows += [row(NAME, ERROR_METRIC, text, "text", scale=SCALE, measured_at=ctx.measured_at)
             for text in errors]
    return rows


# --- the child: one side, in its own tree ------------------------------------------------------


def _say(message: str) -> None:
    print(f"{MARK}{message}", flush=True)


def _save(path: Path, state: dict[str, Any]) -> None:
    path.write_text(json.dumps(state, indent=2))


def _check_imports(root: Path) -> None:
    """Fail unless this process imported the side's own package (and so reads its sql/)."""
    import platform_assets
    from platform_assets import settings

    package = Path(platform_assets.__file__).resolve()
    _say(f"platform_assets.__file__ = {package}; PROJECT_ROOT = {settings.PROJECT_ROOT}")
    if package.parent.parent != root or settings.PROJECT_ROOT.resolve() != root:
        raise SystemExit(f"imported platform_assets from {package}, not from {root}")


def _data_selection():
    """The nightly job's ingest and features assets, less whatever reads the embeddings."""
    import dagster as dg

    embeddings = dg.AssetSelection.groups(EMBEDDINGS_GROUP)
    return dg.AssetSelection.groups(*DATA_GROUPS) - embeddings.downstream()


def _timed_run(instance, first: str, last: str) -> tuple[float, dict[str, float]]:
    from bench.load_step import step_seconds
    from platform_assets.instance import run_partitions

    started = time.perf_counter()
    result = run_partitions(NIGHTLY_JOB, first, last, instance, selection=_data_selection())
    seconds = time.perf_counter() - started
    if not result.success:
        raise SystemExit(f"run {result.run_id} ({first}..{last}) failed")
    return seconds, step_seconds(instance, result.run_id)


def _read_cut(source_dir: Path, day: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """One cut's ops tables, read back from Parquet (schema metadata included), and the params
    `write_ops` records with them."""
    import pyarrow.parquet as pq

    manifest = json.loads((source_dir / MANIFEST).read_text())
    cut = _cut(day)
    if cut not in manifest["cuts"]:
        raise SystemExit(f"no cut {cut} in {source_dir} (has {', '.join(manifest['cuts'])})")
    tables = {name: pq.read_table(source_dir / cut / f"{name}.parquet")
              for name in manifest["cuts"][cut]}
    return tables, manifest["params"] | {"as_of": f"{cut}T00:00:00+00:00",
                                          "source": manifest["digest"]}


def _write_cut(source_dir: Path, day: date) -> tuple[float, dict[str, int]]:
    """Replace the ops tables with the state as of `day` 00:00 UTC through this side's own
    `write_ops` (its signature, `(conn, tables, params)`, is the same at BASE_REV)."""
    from platform_assets.resources import PostgresResource
    from platform_assets.simulator.load import write_ops

    tables, params = _read_cut(source_dir, day)
    started = time.perf_counter()
    with PostgresResource().connect_source() as conn:
        counts = write_ops(conn, tables, params)
    return time.perf_counter() - started, counts


def _slowest(steps: dict[str, float], n: int = 3) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:n])


def child(args: argparse.Namespace) -> int:
    root, state_path, end = Path(args.root).resolve(), Path(args.state), args.end
    source_dir = Path(args.source)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    _check_imports(root)
    for note in args.patched:
        _say(note)
    from platform_assets.db.migrate import migrate
    from platform_assets.ingest.source import source_extent
    from platform_assets.instance import dagster_instance
    from platform_assets.resources import PostgresResource
    from platform_assets.schedules import nightly_range

    with PostgresResource().connect() as conn:
        migrate(conn)
    nights = [end - timedelta(days=NIGHTS - 1 - n) for n in range(NIGHTS)]
    loaded_at = nights[0]  # the state as of the first night's 00:00: every day before it
    state["phase"] = f"load as of {loaded_at}"
    _save(state_path, state)
    state["load_s"], state["source_rows"] = _write_cut(source_dir, loaded_at)
    state["loaded_as_of"] = _cut(loaded_at)
    _save(state_path, state)
    _say(f"state as of {loaded_at} 00:00 UTC written in {state['load_s']:.1f} s")

    with PostgresResource().connect_source() as conn:
        extent = source_extent(conn)
    if extent is None:
        raise SystemExit("the source is empty after the initial load")
    first, before_last = date.fromisoformat(extent[0]), loaded_at - timedelta(days=1)
    if first > before_last:
        raise SystemExit(f"nothing to backfill: first partition {first} after {before_last}")
    instance = dagster_instance()
    state["backfill_range"] = f"{first}..{before_last}"
    state["phase"] = f"backfill {state['backfill_range']}"
    _save(state_path, state)
    state["backfill_s"], state["backfill_steps"] = _timed_run(
        instance, first.isoformat(), before_last.isoformat()
    )
    _save(state_path, state)
    _say(f"backfill {state['backfill_range']}: {state['backfill_s']:.1f} s "
         f"(slowest: {_slowest(state['backfill_steps'])})")

    state["nights"] = []
    for night in nights:
        state["phase"] = f"night {night}"
        _save(state_path, state)
        # The day's changes reach ops; the schedule runs at 02:00 the next day.
        write_s, counts = _write_cut(source_dir, night + timedelta(days=1))
        nightly_first, nightly_last = nightly_range(night + timedelta(days=1))
        seconds, steps = _timed_run(instance, nightly_first, nightly_last)
        state["nights"].append({
            "night": night.isoformat(), "range": f"{nightly_first}..{nightly_last}",
            "seconds": seconds, "steps": steps, "load_1min": os.getloadavg()[0],
            "write_s": write_s, "source_rows": counts,
        })
        state["nightly_s"] = [n["seconds"] for n in state["nights"]]
        _save(state_path, state)
        _say(f"night {night} ({nightly_first}..{nightly_last}): {seconds:.1f} s "
             f"(slowest: {_slowest(steps)}); ops written in {write_s:.1f} s")
    state["phase"], state["complete"] = "done", True
    _save(state_path, state)
    return 0


# --- command line ------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if argv[:1] == [CHILD]:
        parser = argparse.ArgumentParser(prog=f"python -m bench.nightly_history {CHILD}")
        parser.add_argument("--side", choices=SIDES, required=True)
        parser.add_argument("--root", required=True)
        parser.add_argument("--state", required=True)
        parser.add_argument("--end", type=date.fromisoformat, required=True)
        parser.add_argument("--source", required=True,
                            help="the shared source: one folder of Parquet files per cut")
        parser.add_argument("--patched", action="append", default=[],
                            help="a patch the parent applied to this side's tree (logged)")
        return child(parser.parse_args(argv[1:]))
    parser = argparse.ArgumentParser(
        prog="python -m bench.nightly_history",
        description="Run the nightly_history benchmark and record it like `python -m bench`.",
    )
    parser.add_argument("--base-rev", default=BASE_REV,
                        help=f"the `before` side's revision (default {BASE_REV})")
    parser.add_argument("--resume", action="store_true",
                        help="keep a side whose complete figures the run dir already holds")
    parser.add_argument("--run-dir", default=str(DEFAULT_RUN_DIR),
                        help=f"figures and logs of each side (default {DEFAULT_RUN_DIR})")
    args = parser.parse_args(argv)
    os.environ[ENV_BASE_REV], os.environ[ENV_RUN_DIR] = args.base_rev, args.run_dir
    if args.resume:
        os.environ[ENV_RESUME] = "1"
    from bench.__main__ import main as bench_main

    return bench_main([NAME])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Demo: wall time and peak memory of `platform-assets demo` (scale S) on a fresh PLATFORM_HOME.

This is what a new user pays after `make install`: migrations, the simulation and every
materialization, from nothing. A second run on the same home must be quick and must not redo
the setup, which the database itself is asked to confirm (no migration applied, no simulation
written during the re-run) rather than the CLI's messages.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psycopg

from bench.pg import temp_home
from bench.registry import Context
from bench.results import ERROR_METRIC, Target, row, time_ratio
from platform_assets.settings import PROJECT_ROOT

NAME = "demo"
_OUTPUT_TAIL_LINES = 30
MEASURE_CHILD = Path(__file__).resolve().with_name("measure_child.py")
# Variables that would point the demo at another server or instance than its fresh home.
_REDIRECTS = ("DATABASE_URL", "SOURCE_DATABASE_URL", "DAGSTER_PG_URL")

TARGETS = {
    "wall_seconds": Target("value", "<", 300, "s"),
    "peak_rss_mib": Target("value", "<", 2048, "MiB"),
    "rerun_migrations_applied": Target("value", "==", 0),
    "rerun_simulations_written": Target("value", "==", 0),
}
NOTES = """
`platform-assets demo` ran as a subprocess on a new, empty PLATFORM_HOME (the embedded Postgres
initialised from nothing), then once more on the same home. Peak memory is `ru_maxrss` of the
demo's process tree as returned by `wait4` (the RUSAGE_CHILDREN figure of that one command),
taken by a small launcher so that the benchmark's own memory is not inherited into it: the
largest resident set of any process in the tree, not a sum, and it excludes the Postgres server,
which runs detached from the command. The same launcher measures wall time. The re-run's ratio
is first-run time / re-run time, with no target: whether the re-run is quick is judged by what
it skips. Its migration and simulation counts are read from the database (`schema_migrations`
rows applied and `ops.simulation_runs` rows written during the re-run).
"""


@dataclass
class Outcome:
    seconds: float
    peak_rss_bytes: int
    exit_code: int
    output: list[str]

    def failure(self) -> str:
        tail = "\n".join(line[:300] for line in self.output[-_OUTPUT_TAIL_LINES:])
        return f"platform-assets demo exited with {self.exit_code}:\n{tail}"


def cli_path() -> Path:
    """The venv's `platform-assets` script (installed beside this interpreter)."""
    path = Path(sys.executable).parent / "platform-assets"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make install` first")
    return path


def demo_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env["PLATFORM_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"  # progress lines as they happen, not when a pipe buffer fills
    return env


def _pump(stream: IO[str], lines: list[str], ctx: Context) -> None:
    """Keep every output line (for the failure text) and echo the CLI's own progress lines."""
    for line in stream:
        line = line.rstrip("\n")
        lines.append(line)
        if " - dagster - " not in line:
            ctx.log(f"    | {line}")


def run_demo(ctx: Context, env: dict[str, str]) -> Outcome:
    """One `platform-assets demo`, through the launcher that measures it (see measure_child)."""
    lines: list[str] = []
    timeout = ctx.options.demo_timeout
    with tempfile.TemporaryDirectory(prefix="bench-demo-report-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, str(MEASURE_CHILD), str(report), str(cli_path()), "demo"]
        # Its own session, so that a timeout kills the launcher and the demo, nothing else.
        proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines, ctx), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=10)
        if not report.exists():
            lines.append(f"(killed after the {timeout:.0f}s timeout, or the launcher failed)")
            return Outcome(timeout, 0, proc.returncode or -1, lines)
        measured = json.loads(report.read_text())
    return Outcome(measured["seconds"], measured["peak_rss_bytes"], measured["exit_code"], lines)


def platform_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli_path(), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def rerun_setup_counts(ctx: Context, env: dict[str, str], since: datetime) -> dict[str, int]:
    """Migrations applied and simulations written since `since`, as the database records them."""
    url = platform_cli(env, "db", "url", "--reveal").stdout.strip()
    counts: dict[str, int] = {}
    try:
        with psycopg.connect(url) as conn:
            counts["rerun_migrations_applied"] = conn.execute(
                "select count(*) from public.schema_migrations where applied_at >= %s", (since,)
            ).fetchone()[0]
            counts["rerun_simulations_written"] = conn.execute(
                "select count(*) from ops.simulation_runs where simulated_at >= %s", (since,)
            ).fetchone()[0]
    except psycopg.Error as error:
        ctx.log(f"  could not read the re-run's setup counts: {error}")
    return counts


def stop_and_delete(ctx: Context, home: Path, env: dict[str, str]) -> None:
    """`platform-assets db down` on the demo's home, as a user would, then remove the home."""
    try:
        done = platform_cli(env, "db", "down")
        ctx.log(f"  {(done.stdout or done.stderr).strip()}")
    finally:
        from platform_assets.db.server import stop_embedded

        stop_embedded(home)  # no-op when db down worked; makes sure no server outlives the bench
        shutil.rmtree(home, ignore_errors=True)


def scale_s() -> str:
    from platform_assets import cli

    return (f"S: `platform-assets demo` defaults ({cli.DEMO_CUSTOMERS:,} customers, "
            f"{cli.DEMO_DAYS} days, seed {cli.DEMO_SEED})")


def run(ctx: Context) -> list[dict[str, Any]]:
    ctx.log("demo: `platform-assets demo` (scale S) on a fresh PLATFORM_HOME, then a re-run")
    home = temp_home("bench-demo-")
    env = demo_env(home)
    scale = scale_s()

    def add(metric: str, value: Any, unit: str, **baseline: Any) -> dict[str, Any]:
        return row(NAME, metric, value, unit, scale=scale, measured_at=ctx.measured_at, **baseline)

    try:
        ctx.log(f"  first run, PLATFORM_HOME={home}")
        first = run_demo(ctx, env)
        if first.exit_code != 0:
            return [add(ERROR_METRIC, first.failure(), "text")]
        ctx.log(f"  first run: {first.seconds:.1f}s, peak RSS {first.peak_rss_bytes / 2**20:,.0f}"
                " MiB")
        rows = [add("wall_seconds", first.seconds, "s"),
                add("peak_rss_mib", first.peak_rss_bytes / 2**20, "MiB")]
        since = datetime.now(UTC)
        ctx.log("  re-run on the same home")
        second = run_demo(ctx, env)
        if second.exit_code != 0:
            return rows + [add(ERROR_METRIC, "re-run: " + second.failure(), "text")]
        ctx.log(f"  re-run: {second.seconds:.1f}s")
        rows += [
            add("rerun_wall_seconds", second.seconds, "s", baseline="first run",
                baseline_value=first.seconds, ratio=time_ratio(second.seconds, first.seconds)),
            add("rerun_peak_rss_mib", second.peak_rss_bytes / 2**20, "MiB"),
        ]
        counts = rerun_setup_counts(ctx, env, since)
        rows += [add(metric, n, metric.rsplit("_", 2)[1]) for metric, n in counts.items()]
        return rows
    finally:
        stop_and_delete(ctx, home, env)

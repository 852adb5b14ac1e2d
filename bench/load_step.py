"""`python -m bench.load_step REPORT KIND [ARGS]`: one platform run, timed step by step.

Run as a child of `bench/measure_child.py` (which records the process's peak memory), against
the PLATFORM_HOME / DATABASE_URL in the environment. KIND is `range JOB FIRST LAST` (a
partitioned job over a range as one run), `job JOB` (an unpartitioned job) or `simulate
CUSTOMERS DAYS END`. Writes {"wall_s", "steps": {step: seconds}, "step_peak_rss_mib": {step:
MiB}, "outside": {part: seconds}, "run_id", "success"}.
"""

import json
import sys
import threading
import time
from datetime import date
from pathlib import Path

import dagster as dg


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Each step's time from its STEP_START to its STEP_SUCCESS/FAILURE event (as stored)."""
    started, took = {}, {}
    ends = (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE)
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = entry.timestamp
        elif event.event_type in ends:
            took[event.step_key] = round(entry.timestamp - started[event.step_key], 3)
    return took


class RssTrace:
    """This process's resident set every SAMPLE_S seconds, with the time: in-process steps all
    run here, so each step's peak is the largest sample between its start and end events."""

    SAMPLE_S = 0.5

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.SAMPLE_S):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.samples.append((time.time(), int(line.split()[1]) * 1024))

    def __enter__(self) -> "RssTrace":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def step_peaks(instance: dg.DagsterInstance, run_id: str,
               samples: list[tuple[float, int]]) -> dict[str, int]:
    """Each step's largest sampled resident set (MiB) between its STEP_START and its end."""
    spans: dict[str, list[float]] = {}
    ends = (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE)
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.event_type == dg.DagsterEventType.STEP_START:
            spans[event.step_key] = [entry.timestamp, float("inf")]
        elif event is not None and event.event_type in ends and event.step_key in spans:
            spans[event.step_key][1] = entry.timestamp
    return {step: round(max((rss for t, rss in samples if start <= t <= end), default=0) / 2**20)
            for step, (start, end) in spans.items()}


def outside_parts(instance: dg.DagsterInstance, run_id: str, started_at: float,
                  ended_at: float) -> dict[str, float]:
    """Where the time outside step compute went: before the first STEP_START (definitions
    import, instance, run creation, planning, resource set-up), between one step's end and the
    next step's start, and after the last step's end (run end events); epoch seconds in."""
    starts, ends = [], []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts.append(entry.timestamp)
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS,
                                  dg.DagsterEventType.STEP_FAILURE):
            ends.append(entry.timestamp)
    if not starts or not ends:
        return {}
    # In-process steps run one after another: each gap is from one end to the next start.
    gaps = sum(max(0.0, start - end) for start, end in zip(sorted(starts)[1:], sorted(ends),
                                                          strict=False))
    return {"before_first_step": round(min(starts) - started_at, 3),
            "between_steps": round(gaps, 3),
            "after_last_step": round(ended_at - max(ends), 3)}


def main(argv: list[str]) -> int:
    report, kind, args = Path(argv[1]), argv[2], argv[3:]
    from platform_assets.db.migrate import migrate
    from platform_assets.instance import dagster_instance, run_job, run_partitions
    from platform_assets.resources import PostgresResource

    with PostgresResource().connect() as conn:
        migrate(conn)
    started = time.perf_counter()
    if kind == "simulate":
        from platform_assets.simulator import simulate
        from platform_assets.simulator.load import simulation_params, write_ops

        customers, days, end = int(args[0]), int(args[1]), date.fromisoformat(args[2])
        with PostgresResource().connect_source() as conn:
            write_ops(conn, simulate(customers, days, 7, end),
                      simulation_params(customers, days, 7, end))
        out = {"wall_s": time.perf_counter() - started, "steps": {}, "run_id": None,
               "success": True}
    else:
        started_at = time.time()
        instance = dagster_instance()
        with RssTrace() as trace:
            result = (run_partitions(args[0], args[1], args[2], instance) if kind == "range"
                      else run_job(args[0], instance))
        wall = round(time.perf_counter() - started, 3)
        out = {"wall_s": wall, "steps": step_seconds(instance, result.run_id),
               "step_peak_rss_mib": step_peaks(instance, result.run_id, trace.samples),
               "outside": outside_parts(instance, result.run_id, started_at, started_at + wall),
               "run_id": result.run_id, "success": result.success}
    report.write_text(json.dumps(out))
    return 0 if out["success"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

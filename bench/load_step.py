"""`python -m bench.load_step REPORT KIND [ARGS]`: one platform run, timed step by step.

Run as a child of `bench/measure_child.py` (which records the process's peak memory), against
the PLATFORM_HOME / DATABASE_URL in the environment. KIND is `range JOB FIRST LAST` (a
partitioned job over a range as one run), `job JOB` (an unpartitioned job) or `simulate
CUSTOMERS DAYS END`. Writes {"wall_s", "steps": {step: seconds}, "run_id", "success"}.
"""

import json
import sys
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
        instance = dagster_instance()
        result = (run_partitions(args[0], args[1], args[2], instance) if kind == "range"
                  else run_job(args[0], instance))
        wall = round(time.perf_counter() - started, 3)
        out = {"wall_s": wall, "steps": step_seconds(instance, result.run_id),
               "run_id": result.run_id, "success": result.success}
    report.write_text(json.dumps(out))
    return 0 if out["success"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

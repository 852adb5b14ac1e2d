"""Sensors: failed runs into the ML audit log."""

import dagster as dg

from platform_assets.models import registry
from platform_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from platform_assets.resources import PostgresResource

RUN_FAILURE_AUDIT = "run_failure_audit"
_TAGS_KEPT = ("dagster/schedule_name", "dagster/sensor_name", "dagster/backfill",
              RANGE_START_TAG, RANGE_END_TAG, "dagster/partition")


@dg.run_failure_sensor(
    name=RUN_FAILURE_AUDIT,
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes every failed run of this code location to ml.audit_log (operation "
    "run_failure): the job, the steps that failed and the error, for the ML dashboard.",
)
def run_failure_audit(context: dg.RunFailureSensorContext, postgres: PostgresResource):
    run = context.dagster_run
    failed_steps = sorted(
        {event.step_key for event in context.get_step_failure_events() if event.step_key}
    )
    error = context.failure_event.message or ""
    with postgres.connect() as conn:
        registry.audit(
            conn, "run_failure", None, f"sensor:{RUN_FAILURE_AUDIT}", run.run_id,
            params={
                "job_name": run.job_name,
                "tags": {k: v for k, v in run.tags.items() if k in _TAGS_KEPT},
            },
            result={"failed_steps": failed_steps, "error": error[:2000]},
            status="failure",
        )


sensors = [run_failure_audit]

"""Sensors that raise alerts: a failed run of this code location."""

import dagster as dg

from platform_assets.alerts.resource import RUN_FAILURE, Alert, AlertsResource
from platform_assets.db import server
from platform_assets.resources import PostgresResource

RUN_FAILURE_ALERT = "run_failure_alert"
_ERROR_CHARS = 300


def first_line(text: str | None) -> str:
    """The first non-empty line of an error, URLs' passwords masked, cut to a few hundred
    characters: the message names what failed; row values, if any, follow on later lines."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return server.redact(line)[:_ERROR_CHARS]


def step_error(event: dg.DagsterEvent) -> str:
    """The user code's own error of a failed step: Dagster wraps it, so the innermost cause."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None:
        error = error.cause
    return first_line(error.message if error else event.message)


def run_failure_alert_for(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> Alert:
    run = context.dagster_run
    failures = [e for e in context.get_step_failure_events() if e.step_key]
    steps = sorted({e.step_key for e in failures})
    error = step_error(failures[0]) if failures else first_line(context.failure_event.message)
    subject = f"[platform] run failed: {run.job_name} ({', '.join(steps) or 'no step'})"
    partition = run.tags.get("dagster/partition")
    body = "\n".join(filter(None, [
        f"Job: {run.job_name}",
        f"Run: {run.run_id}",
        f"Partition: {partition}" if partition else None,
        f"Failed steps: {', '.join(steps) or 'none (the run failed outside a step)'}",
        f"Error: {error}",
        f"Link: {alerts.run_url(run.run_id)}",
    ]))
    # One open condition per job and failed steps: a re-run failing the same way the same day
    # is recorded, not sent again.
    return Alert(RUN_FAILURE, "critical", f"{run.job_name}:{','.join(steps)}", subject, body)


@dg.run_failure_sensor(
    name=RUN_FAILURE_ALERT,
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert for every failed run of this code location (the failed steps, "
    "the error's first line and a link to the run) and records it in monitoring.alerts.",
)
def run_failure_alert(
    context: dg.RunFailureSensorContext, postgres: PostgresResource, alerts: AlertsResource
):
    alert = run_failure_alert_for(context, alerts)
    with postgres.connect() as conn:
        deliveries = alerts.send(conn, alert, run_id=context.dagster_run.run_id)
    for delivery in deliveries:
        context.log.info(f"alert {delivery.id} {delivery.status}: {delivery.destination}")


alert_sensors = [run_failure_alert]
